package conform

import (
	"testing"
	"unicode/utf8"
)

// TestUTF8GroupsAsAutobahn checks that groups 6.5–6.23 hold as many texts as Autobahn's, so that
// case numbers mean the same texts, and that each text is valid or not as the group's name says.
func TestUTF8GroupsAsAutobahn(t *testing.T) {
	sizes := []int{5, 11, 4, 2, 4, 3, 5, 8, 5, 10, 1, 3, 5, 5, 5, 7, 8, 34, 7} // 6.5 … 6.23
	groups := utf8Groups()
	if len(groups) != len(sizes) {
		t.Fatalf("%d groups, want %d (6.5 to 6.23)", len(groups), len(sizes))
	}
	for i, g := range groups {
		group := i + 5
		if len(g.texts) != sizes[i] {
			t.Errorf("6.%d (%s): %d texts, want %d", group, g.name, len(g.texts), sizes[i])
		}
		for j, text := range g.texts {
			valid := utf8.ValidString(text)
			switch {
			case group == 5 || group == 7 || group == 9 || group == 22 || group == 23:
				if !valid {
					t.Errorf("6.%d.%d %x: invalid in a group of valid texts (%s)", group, j+1, text, g.name)
				}
			case group == 6 || group == 11:
				// Mixed groups: checked below.
			default:
				if valid {
					t.Errorf("6.%d.%d %x: valid in a group of invalid texts (%s)", group, j+1, text, g.name)
				}
			}
		}
	}
	// 6.6: the prefixes of κόσμε ending on a code point boundary are valid: 2, 5, 7, 9, 11 bytes.
	for j, text := range groups[1].texts {
		want := len(text) == 2 || len(text) == 5 || len(text) == 7 || len(text) == 9 || len(text) == 11
		if utf8.ValidString(text) != want {
			t.Errorf("6.6.%d (%d bytes): valid = %v, want %v", j+1, len(text), !want, want)
		}
	}
	// 6.11: all but U+110000 (the last) are valid.
	for j, text := range groups[6].texts {
		if want := j < 4; utf8.ValidString(text) != want {
			t.Errorf("6.11.%d %x: valid = %v, want %v", j+1, text, !want, want)
		}
	}
}

// validPrefixes returns every proper prefix of the UTF-8 encoding of every Unicode scalar value:
// the texts a receiver must not reject before the message ends (RFC 3629, §8.1). The code points
// of a block of 64 that starts at a multiple of 64 differ only in their last byte, so one code
// point of each block gives all the proper prefixes.
func validPrefixes() map[string]bool {
	prefixes := make(map[string]bool)
	var buf [utf8.UTFMax]byte
	for r := rune(0); r <= utf8.MaxRune; r += 64 {
		if r >= 0xd800 && r <= 0xdfff {
			continue // surrogates are not scalar values
		}
		n := utf8.EncodeRune(buf[:], r)
		for k := 1; k < n; k++ {
			prefixes[string(buf[:k])] = true
		}
	}
	return prefixes
}

// TestCompletable checks completable against a reference built from every scalar value: a text
// can still become valid if and only if it is valid UTF-8 followed by a proper prefix of the
// encoding of some code point. All texts of 1 and 2 bytes are tried, the same after a valid 'a',
// and 3-byte texts after the lead bytes with special second bytes, with every second byte and
// the boundary values of the third.
func TestCompletable(t *testing.T) {
	prefixes := validPrefixes()
	reference := func(text []byte) bool {
		for cut := len(text); cut >= 0 && cut >= len(text)-3; cut-- {
			if utf8.Valid(text[:cut]) && (cut == len(text) || prefixes[string(text[cut:])]) {
				return true
			}
		}
		return false
	}
	check := func(text []byte) {
		if got, want := completable(text), reference(text); got != want {
			t.Errorf("completable(%x) = %v, want %v", text, got, want)
		}
	}
	for a := range 256 {
		check([]byte{byte(a)})
		for b := range 256 {
			check([]byte{byte(a), byte(b)})
			check([]byte{'a', byte(a), byte(b)})
		}
	}
	for _, lead := range []byte{0xe0, 0xed, 0xef, 0xf0, 0xf1, 0xf4, 0xf5} {
		for b := range 256 {
			for _, c := range []byte{0x00, 0x7f, 0x80, 0x8f, 0x90, 0x9f, 0xa0, 0xbf, 0xc0, 0xc2, 0xf4, 0xff} {
				check([]byte{lead, byte(b), c})
			}
		}
	}
}

func TestFirstBadByte(t *testing.T) {
	for _, tt := range []struct {
		text string
		want int
	}{
		{"hello", -1},
		{kosme, -1},
		{"\xce", -1},             // 6.6.1: only the end shows it
		{"\x80", 0},              // a continuation byte with nothing to continue
		{"\xc0\xaf", 0},          // 0xC0 only ever starts overlong forms
		{"\xe0\x80\xaf", 1},      // 0xE0 must be followed by 0xA0–0xBF
		{"\xed\xa0\x80", 1},      // 0xED 0xA0 begins a surrogate
		{"\xf4\x90\x80\x80", 1},  // beyond U+10FFFF
		{"\xf5", 0},              // never in UTF-8
		{"\xdf", -1},             // 6.14.6: a lead byte at the end
		{"\xe0 ", 1},             // the space cannot continue 0xE0
		{kosme + "\xf4\x90", 12}, // 6.4.2's byte
		{invalidKosme, len(kosme) + 1},
	} {
		if got := firstBadByte([]byte(tt.text)); got != tt.want {
			t.Errorf("firstBadByte(%x) = %d, want %d", tt.text, got, tt.want)
		}
	}
}
