package conform

// The UTF-8 test texts of groups 6.5–6.23, by the categories of Markus Kuhn's "UTF-8 decoder
// capability and stress test" file, in the order the Autobahn TestSuite numbers them, so that case
// 6.12.3 here sends what Autobahn's 6.12.3 sends. Whether a text is valid is not written down by
// hand: it is what unicode/utf8 says (RFC 3629: no surrogates, no overlong forms, nothing above
// U+10FFFF), and a test checks each group against the claim in its name.

import (
	"bytes"
	"unicode/utf8"
)

// kosme is "κόσμε" (Greek for "world"), the sample text of Kuhn's file: 11 bytes, 5 code points
// of 2 or 3 bytes each.
const kosme = "\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5"

// utf8Group is a list of test texts with a common theme.
type utf8Group struct {
	name  string
	texts []string
}

// utf8Groups returns the groups of 6.5–6.23, the first being 6.5.
func utf8Groups() []utf8Group {
	var prefixes []string
	for i := 1; i <= len(kosme); i++ {
		prefixes = append(prefixes, kosme[:i])
	}

	// Start bytes, each followed by a space: none of them is followed by its continuation bytes.
	lonely := func(from, to byte) string {
		var b []byte
		for c := from; c < to; c++ {
			b = append(b, c, ' ')
		}
		return string(b)
	}
	var continuations []byte
	for c := byte(0x80); c < 0xbf; c++ {
		continuations = append(continuations, c)
	}
	truncated := []string{
		"\xc0", "\xe0\x80", "\xf0\x80\x80", "\xf8\x80\x80\x80", "\xfc\x80\x80\x80\x80",
		"\xdf", "\xef\xbf", "\xf7\xbf\xbf", "\xfb\xbf\xbf\xbf", "\xfd\xbf\xbf\xbf\xbf",
	}

	// Noncharacters: U+FFFE, U+FFFF, and the last two code points of each plane 1–16. They are
	// valid UTF-8 (RFC 3629 encodes every scalar value).
	nonchars := []string{"\xef\xbf\xbe", "\xef\xbf\xbf"}
	for _, lead := range []byte{0xf0, 0xf1, 0xf2, 0xf3, 0xf4} {
		for _, second := range []byte{0x8f, 0x9f, 0xaf, 0xbf} {
			if lead == 0xf4 && second != 0x8f {
				continue // above U+10FFFF
			}
			if lead == 0xf0 && second == 0x8f {
				continue // overlong: plane 0, already listed
			}
			for _, last := range []byte{0xbe, 0xbf} {
				nonchars = append(nonchars, string([]byte{lead, second, 0xbf, last}))
			}
		}
	}

	return []utf8Group{
		{"some valid UTF-8", []string{
			"hello\x24world", "hello\xc2\xa2world", "hello\xe2\x82\xacworld", "hello\xf0\xa4\xad\xa2world", kosme}},
		{"every prefix of a valid text with multi-byte code points", prefixes},
		{"the first possible sequence of each length", []string{"\x00", "\xc2\x80", "\xe0\xa0\x80", "\xf0\x90\x80\x80"}},
		{"the first possible sequence of length 5 and 6 (beyond U+10FFFF)", []string{"\xf8\x88\x80\x80\x80", "\xfc\x84\x80\x80\x80\x80"}},
		{"the last possible sequence of each length", []string{"\x7f", "\xdf\xbf", "\xef\xbf\xbf", "\xf4\x8f\xbf\xbf"}},
		{"the last possible sequence of length 4, 5 and 6 (beyond U+10FFFF)", []string{"\xf7\xbf\xbf\xbf", "\xfb\xbf\xbf\xbf\xbf", "\xfd\xbf\xbf\xbf\xbf\xbf"}},
		{"other boundaries: U+D7FF, U+E000, U+FFFD, U+10FFFF, U+110000", []string{
			"\xed\x9f\xbf", "\xee\x80\x80", "\xef\xbf\xbd", "\xf4\x8f\xbf\xbf", "\xf4\x90\x80\x80"}},
		{"unexpected continuation bytes", []string{
			"\x80", "\xbf", "\x80\xbf", "\x80\xbf\x80", "\x80\xbf\x80\xbf", "\x80\xbf\x80\xbf\x80", "\x80\xbf\x80\xbf\x80\xbf",
			string(continuations)}},
		{"lonely start bytes, each followed by a space", []string{
			lonely(0xc0, 0xdf), lonely(0xe0, 0xef), lonely(0xf0, 0xf7), lonely(0xf8, 0xfb), lonely(0xfc, 0xfd)}},
		{"sequences with the last continuation byte missing", truncated},
		{"the sequences with a missing byte, concatenated", []string{string(bytes.Join(stringsToBytes(truncated), nil))}},
		{"bytes that never appear in UTF-8", []string{"\xfe", "\xff", "\xfe\xfe\xff\xff"}},
		{"overlong forms of '/'", []string{"\xc0\xaf", "\xe0\x80\xaf", "\xf0\x80\x80\xaf", "\xf8\x80\x80\x80\xaf", "\xfc\x80\x80\x80\x80\xaf"}},
		{"the largest overlong form of each length", []string{"\xc1\xbf", "\xe0\x9f\xbf", "\xf0\x8f\xbf\xbf", "\xf8\x87\xbf\xbf\xbf", "\xfc\x83\xbf\xbf\xbf\xbf"}},
		{"overlong forms of NUL", []string{"\xc0\x80", "\xe0\x80\x80", "\xf0\x80\x80\x80", "\xf8\x80\x80\x80\x80", "\xfc\x80\x80\x80\x80\x80"}},
		{"single UTF-16 surrogates", []string{
			"\xed\xa0\x80", "\xed\xad\xbf", "\xed\xae\x80", "\xed\xaf\xbf", "\xed\xb0\x80", "\xed\xbe\x80", "\xed\xbf\xbf"}},
		{"paired UTF-16 surrogates", []string{
			"\xed\xa0\x80\xed\xb0\x80", "\xed\xa0\x80\xed\xbf\xbf", "\xed\xad\xbf\xed\xb0\x80", "\xed\xad\xbf\xed\xbf\xbf",
			"\xed\xae\x80\xed\xb0\x80", "\xed\xae\x80\xed\xbf\xbf", "\xed\xaf\xbf\xed\xb0\x80", "\xed\xaf\xbf\xed\xbf\xbf"}},
		{"noncharacters (valid UTF-8)", nonchars},
		{"Unicode specials U+FFF9–U+FFFF (valid UTF-8)", []string{
			"\xef\xbf\xb9", "\xef\xbf\xba", "\xef\xbf\xbb", "\xef\xbf\xbc", "\xef\xbf\xbd", "\xef\xbf\xbe", "\xef\xbf\xbf"}},
	}
}

// stringsToBytes converts a list of strings to byte slices.
func stringsToBytes(ss []string) [][]byte {
	out := make([][]byte, len(ss))
	for i, s := range ss {
		out[i] = []byte(s)
	}
	return out
}

// completions are what completable appends to a text to see whether some continuation makes it
// valid: up to three bytes, the first of which may have to be in 0x90–0xBF (after 0xF0) or
// 0xA0–0xBF (after 0xE0), or in 0x80–0x8F/0x9F (after 0xF4/0xED). 0x80, 0x90 and 0xA0 cover every
// case, and any later continuation byte may be 0x80.
var completions = []string{
	"",
	"\x80", "\x80\x80", "\x80\x80\x80",
	"\x90", "\x90\x80", "\x90\x80\x80",
	"\xa0", "\xa0\x80", "\xa0\x80\x80",
}

// completable reports whether text is the beginning of some valid UTF-8 text: whether a receiver
// that has seen only text may still accept the message.
func completable(text []byte) bool {
	for _, c := range completions {
		if utf8.Valid(append(text[:len(text):len(text)], c...)) {
			return true
		}
	}
	return false
}

// firstBadByte returns the index of the byte of text at which a fail-fast receiver can tell that
// text will never be valid UTF-8 (§8.1), or -1 if every prefix of text can still become valid, so
// that only the end of the message shows it is not.
func firstBadByte(text []byte) int {
	for n := 1; n <= len(text); n++ {
		if !completable(text[:n]) {
			return n - 1
		}
	}
	return -1
}
