package frame

import (
	"bytes"
	"sort"
	"strings"
	"testing"
	"unicode/utf8"
)

// viablePrefix reports whether p is the beginning of some valid UTF-8 text,
// by trying every completion of up to 3 continuation bytes. The bytes 0x80,
// 0x90 and 0xA0 stand for all continuation bytes: every range a
// continuation byte may have to fall in (80–BF, 80–9F, 80–8F, 90–BF, A0–BF;
// Unicode Table 3-7) contains one of them. This is a reference
// implementation independent of UTF8's state machine.
func viablePrefix(p []byte) bool {
	if utf8.Valid(p) {
		return true
	}
	reps := []byte{0x80, 0x90, 0xA0}
	buf := append([]byte(nil), p...)
	var try func(k int) bool
	try = func(k int) bool {
		if utf8.Valid(buf) {
			return true
		}
		if k == 0 {
			return false
		}
		for _, c := range reps {
			buf = append(buf, c)
			if try(k - 1) {
				return true
			}
			buf = buf[:len(buf)-1]
		}
		return false
	}
	return try(3)
}

// firstImpossible returns the index of the first byte of p after which p can
// no longer become valid UTF-8, or -1 if every prefix of p is viable. A
// prefix that is not viable has no viable extension, so it binary-searches.
func firstImpossible(p []byte) int {
	i := sort.Search(len(p), func(i int) bool { return !viablePrefix(p[:i+1]) })
	if i == len(p) {
		return -1
	}
	return i
}

var utf8Cases = []struct {
	name  string
	text  string
	valid bool
}{
	{"empty", "", true},
	{"ASCII", "Hello, world", true},
	{"2-byte", "κόσμε", true},
	{"3-byte", "€ 日本語", true},
	{"4-byte", "😀𝄞", true},
	{"mixed", "a é € 😀 z", true},
	{"smallest 2-byte U+0080", "\xC2\x80", true},
	{"largest 2-byte U+07FF", "\xDF\xBF", true},
	{"smallest 3-byte U+0800", "\xE0\xA0\x80", true},
	{"last before surrogates U+D7FF", "\xED\x9F\xBF", true},
	{"first after surrogates U+E000", "\xEE\x80\x80", true},
	{"U+FFFD", "\xEF\xBF\xBD", true},
	{"U+FFFF", "\xEF\xBF\xBF", true},
	{"smallest 4-byte U+10000", "\xF0\x90\x80\x80", true},
	{"largest U+10FFFF", "\xF4\x8F\xBF\xBF", true},
	{"NUL", "\x00", true},
	{"lone continuation 0x80", "\x80", false},
	{"lone continuation 0xBF", "a\xBF", false},
	{"two continuations", "\x80\x80", false},
	{"continuation after complete rune", "é\x80", false},
	{"overlong 2-byte C0", "\xC0\x80", false},
	{"overlong 2-byte C1", "\xC1\xBF", false},
	{"overlong 3-byte /", "\xE0\x80\xAF", false},
	{"overlong 3-byte U+07FF", "\xE0\x9F\xBF", false},
	{"overlong 4-byte", "\xF0\x8F\xBF\xBF", false},
	{"surrogate U+D800", "\xED\xA0\x80", false},
	{"surrogate U+DFFF", "\xED\xBF\xBF", false},
	{"surrogate pair", "\xED\xA0\x80\xED\xB0\x80", false},
	{"above U+10FFFF F4 90", "\xF4\x90\x80\x80", false},
	{"F5 lead", "\xF5\x80\x80\x80", false},
	{"FF byte", "\xFF", false},
	{"FE byte", "a\xFE", false},
	{"truncated 2-byte", "\xC2", false},
	{"truncated 3-byte", "\xE2\x82", false},
	{"truncated 4-byte", "\xF0\x9F\x98", false},
	{"truncated then ASCII", "\xE2\x82a", false},
	{"truncated then new lead", "\xE2\xE2\x82\xAC", false},
	{"Autobahn 6.3.1 κόσμε with surrogate", "\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xed\xa0\x80\x65\x64\x69\x74\x65\x64", false},
	{"long ASCII then bad", strings.Repeat("x", 100) + "\xC0\xAF" + strings.Repeat("y", 20), false},
	{"long ASCII then truncated", strings.Repeat("x", 100) + "\xF0\x9F", false},
}

// writeAll feeds the pieces to a fresh UTF8 and returns the index of the
// first Write that failed (-1 if none) and the result of Done.
func writeAll(pieces ...[]byte) (failedAt int, done error) {
	var v UTF8
	failedAt = -1
	for i, p := range pieces {
		if err := v.Write(p); err != nil {
			if err != ErrInvalidUTF8 {
				panic(err)
			}
			if failedAt < 0 {
				failedAt = i
			}
		} else if failedAt >= 0 {
			panic("Write succeeded after a failure")
		}
	}
	return failedAt, v.Done()
}

func TestUTF8(t *testing.T) {
	for _, tc := range utf8Cases {
		t.Run(tc.name, func(t *testing.T) {
			if utf8.ValidString(tc.text) != tc.valid {
				t.Fatalf("test case disagrees with utf8.ValidString")
			}
			_, done := writeAll([]byte(tc.text))
			if (done == nil) != tc.valid {
				t.Errorf("§8.1 Write+Done(%q) = %v, want valid=%v", tc.text, done, tc.valid)
			}
			checkSplits(t, []byte(tc.text))
		})
	}
}

// checkSplits writes p in every 2- and 3-way split and checks that Done
// agrees with utf8.Valid and that the failing Write is the one holding the
// first impossible byte (fail-fast, §8.1).
func checkSplits(t *testing.T, p []byte) {
	t.Helper()
	valid := utf8.Valid(p)
	bad := firstImpossible(p)
	for i := 0; i <= len(p); i++ {
		for j := i; j <= len(p); j++ {
			pieces := [][]byte{p[:i], p[i:j], p[j:]}
			failedAt, done := writeAll(pieces...)
			if (done == nil) != valid {
				t.Fatalf("split %d|%d|%d of %q: Done = %v, utf8.Valid = %v", i, j-i, len(p)-j, p, done, valid)
			}
			wantFailedAt := -1
			switch {
			case bad < 0:
			case bad < i:
				wantFailedAt = 0
			case bad < j:
				wantFailedAt = 1
			default:
				wantFailedAt = 2
			}
			if failedAt != wantFailedAt {
				t.Fatalf("split %d|%d|%d of %q: first failing Write %d, want %d (first impossible byte at %d)", i, j-i, len(p)-j, p, failedAt, wantFailedAt, bad)
			}
		}
	}
}

// TestUTF8FailFast writes byte by byte: the Write of the first byte that can
// never be part of valid UTF-8 fails, not a later one.
func TestUTF8FailFast(t *testing.T) {
	tests := []struct {
		text string
		at   int
	}{
		{"\x80", 0},
		{"ab\xC0", 2},
		{"\xED\xA0", 1},  // surrogate known from the second byte
		{"\xF4\x90", 1},  // above U+10FFFF known from the second byte
		{"\xE0\x80", 1},  // overlong known from the second byte
		{"\xF0\x80", 1},  // overlong known from the second byte
		{"\xE2\x82a", 2}, // truncated: the ASCII byte is impossible
		{"\xF5", 0},      // never a lead byte
		{"\xF0\x9F\x98\x80\x80", 4},
		{"\xC2", -1}, // incomplete but still viable: only Done fails
	}
	for _, tc := range tests {
		p := []byte(tc.text)
		if got := firstImpossible(p); got != tc.at {
			t.Fatalf("reference firstImpossible(%q) = %d, want %d", p, got, tc.at)
		}
		var pieces [][]byte
		for i := range p {
			pieces = append(pieces, p[i:i+1])
		}
		if failedAt, _ := writeAll(pieces...); failedAt != tc.at {
			t.Errorf("§8.1 byte-by-byte %q: Write %d failed, want %d", p, failedAt, tc.at)
		}
		// The same in one Write with the tail of the text: the bad tail
		// must fail now, not wait for the next Write.
		if failedAt, _ := writeAll(p); (failedAt == 0) != (tc.at >= 0) {
			t.Errorf("§8.1 one Write %q: failed=%v, want %v", p, failedAt == 0, tc.at >= 0)
		}
	}
}

// TestUTF8Exhaustive2 tries every pair of bytes, whole and split.
func TestUTF8Exhaustive2(t *testing.T) {
	for a := range 256 {
		for b := range 256 {
			p := []byte{byte(a), byte(b)}
			bad := firstImpossible(p)
			failedAt, done := writeAll(p[:1], p[1:])
			if (done == nil) != utf8.Valid(p) || failedAt != bad {
				t.Fatalf("% x: Done = %v, failing Write %d; want valid=%v, failing byte %d", p, done, failedAt, utf8.Valid(p), bad)
			}
		}
	}
}

// TestUTF8Leads tries every byte from 0xC0 up as a lead with every second
// byte, byte by byte. Only the second byte has lead-specific ranges, so the
// third and fourth take the edges of the continuation range and just
// outside it.
func TestUTF8Leads(t *testing.T) {
	edges := []byte{0x7F, 0x80, 0xBF, 0xC0}
	for lead := 0xC0; lead <= 0xFF; lead++ {
		for second := range 256 {
			for _, third := range edges {
				for _, fourth := range edges {
					p := []byte{byte(lead), byte(second), third, fourth}
					failedAt, done := writeAll(p[0:1], p[1:2], p[2:3], p[3:4])
					if want := firstImpossible(p); failedAt != want || (done == nil) != utf8.Valid(p) {
						t.Fatalf("% x: failing Write %d, Done %v; want %d, valid=%v", p, failedAt, done, want, utf8.Valid(p))
					}
				}
			}
		}
	}
}

func TestUTF8State(t *testing.T) {
	var v UTF8
	if err := v.Write([]byte("\xE2\x82")); err != nil {
		t.Fatal(err)
	}
	if err := v.Done(); err != ErrInvalidUTF8 {
		t.Errorf("Done inside a code point = %v, want ErrInvalidUTF8", err)
	}
	// Done reset v: a new message starts clean.
	if err := v.Write([]byte("\xAC")); err != ErrInvalidUTF8 {
		t.Errorf("after Done, a continuation byte = %v, want ErrInvalidUTF8", err)
	}
	// Failure is sticky until Reset.
	if err := v.Write([]byte("ok")); err != ErrInvalidUTF8 {
		t.Errorf("Write after failure = %v, want ErrInvalidUTF8", err)
	}
	v.Reset()
	if err := v.Write([]byte("ok")); err != nil {
		t.Errorf("Write after Reset = %v", err)
	}
	if err := v.Write([]byte("\xF0\x9F")); err != nil {
		t.Fatal(err)
	}
	v.Reset()
	if err := v.Write([]byte("a")); err != nil {
		t.Errorf("Reset inside a code point, then ASCII: %v", err)
	}
	// Empty writes change nothing.
	v.Reset()
	for _, p := range [][]byte{nil, []byte("\xF0"), {}, []byte("\x9F\x98"), nil, []byte("\x80")} {
		if err := v.Write(p); err != nil {
			t.Fatalf("Write(%q): %v", p, err)
		}
	}
	if err := v.Done(); err != nil {
		t.Errorf("Done after 😀 in pieces with empty writes: %v", err)
	}
}

// TestUTF8Long checks long texts, which take the utf8.Valid path, in a few
// splits around every kind of code point.
func TestUTF8Long(t *testing.T) {
	valid := bytes.Repeat([]byte("ASCII text, κόσμε, € 日本語 😀. "), 50)
	for _, p := range [][]byte{
		valid,
		append(append([]byte(nil), valid...), 0xED, 0xA0, 0x80),
		append(append([]byte(nil), valid[:len(valid)-1]...), 0xC0),
	} {
		for _, cut := range []int{1, 7, 63, 64, 65, 500, len(p) - 3, len(p) - 2, len(p) - 1} {
			for _, cut2 := range []int{cut, cut + 1, cut + 2, cut + 3, len(p)} {
				if cut2 > len(p) {
					continue
				}
				failedAt, done := writeAll(p[:cut], p[cut:cut2], p[cut2:])
				bad := firstImpossible(p)
				want := -1
				switch {
				case bad < 0:
				case bad < cut:
					want = 0
				case bad < cut2:
					want = 1
				default:
					want = 2
				}
				if failedAt != want || (done == nil) != utf8.Valid(p) {
					t.Errorf("len %d split at %d, %d: failing Write %d, Done %v; want %d, valid=%v", len(p), cut, cut2, failedAt, done, want, utf8.Valid(p))
				}
			}
		}
	}
}
