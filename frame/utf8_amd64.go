//go:build amd64 && !purego

package frame

import "github.com/rfc6455/ws/internal/x86"

// utf8VectorMin is the piece length from which UTF8.Write hands the text
// to the AVX2 code in utf8_amd64.s rather than the portable DFA. Below it
// the vector code's fixed costs (a call into assembly, the constants, the
// copy of a partial block) outweigh what it saves; BenchmarkUTF8Paths
// measures both.
const utf8VectorMin = 32

// useAVX2 reports whether the CPU has AVX2 and the operating system saves
// the 256-bit registers it uses (see package internal/x86).
var useAVX2 = x86.HasAVX2

// utf8AdvanceVector runs the UTF-8 DFA from state s over p, as utf8Advance
// does, but checks the bulk of p with AVX2 if the CPU has it. The vector
// code only answers
// "is this valid UTF-8 on its own", so utf8AdvanceVector cuts p in three:
//
//  1. the end of a code point the previous Write began, at most 3 bytes,
//     which the DFA finishes;
//  2. the middle, from a code point boundary to the start of the last code
//     point, which validAVX2 checks;
//  3. that last code point, complete or not, which the DFA steps through
//     so that the state says how much of it is missing.
//
// The verdict is the DFA's: a Write fails exactly when one of its bytes
// cannot continue the text as valid UTF-8. An error in the middle is such a
// byte, since the middle ends just before a byte that is not a
// continuation byte, so a code point it leaves unfinished can never be
// finished.
func utf8AdvanceVector(s utf8State, p []byte) utf8State {
	if !useAVX2 {
		return utf8Advance(s, p)
	}
	for s != utf8Accept {
		if s == utf8Reject || len(p) == 0 {
			return s
		}
		s = utf8Transitions[p[0]] >> s & 63
		p = p[1:]
	}
	last := lastCodePointStart(p)
	if !validAVX2(p[:last]) {
		return utf8Reject
	}
	s = utf8Accept
	for _, c := range p[last:] { // at most 4 bytes
		s = utf8Transitions[c] >> (s & 63)
	}
	return s & 63
}

// lastCodePointStart returns the index of the last byte of p that is not a
// continuation byte (10xxxxxx), looking at no more than the last 4 bytes:
// a code point is at most 4 bytes long (RFC 3629 §3), so 4 continuation
// bytes in a row are invalid wherever they stand, and then it returns
// len(p) to leave them all to the vector code. It returns len(p) too when
// p ends in ASCII, a code point that is complete.
func lastCodePointStart(p []byte) int {
	for i := len(p) - 1; i >= 0 && i >= len(p)-4; i-- {
		switch c := p[i]; {
		case c < 0x80:
			return len(p)
		case c&0xC0 != 0x80:
			return i
		}
	}
	return len(p)
}

// validAVX2 reports whether p is valid UTF-8. useAVX2 must be true.
//
// The vector code reads whole 32-byte blocks. It reads the blocks of p in
// place and the last, partial one from a copy padded with zeros, so that
// it never reads outside p; the zeros are ASCII, after which a code point
// that p leaves unfinished is an error like any other.
func validAVX2(p []byte) bool {
	whole := len(p) &^ (utf8Block - 1)
	var tail [utf8Block]byte
	if whole < len(p) {
		copy(tail[:], p[whole:])
	}
	return utf8BlocksAVX2(p[:whole], &tail)
}

// utf8Block is the length of the blocks the vector code validates: one
// 256-bit AVX2 register.
const utf8Block = 32

// utf8BlocksAVX2 reports whether blocks followed by tail is valid UTF-8.
// len(blocks) must be a multiple of utf8Block. It is implemented in
// utf8_amd64.s, with the lookup tables below.
//
//go:noescape
func utf8BlocksAVX2(blocks []byte, tail *[utf8Block]byte) bool

// The vector code follows the lookup-table algorithm of J. Keiser and D.
// Lemire, "Validating UTF-8 In Less Than One Instruction Per Byte"
// (Software: Practice and Experience, 2021). Every rule of Table 3-7 (see
// utf8_dfa.go) but one is about two adjacent bytes, and can be decided from
// three nibbles: the high and low nibble of the first byte and the high
// nibble of the second. Each of the tables below maps one such nibble to
// the set of errors it is compatible with, one bit per error; a 16-entry
// table is one PSHUFB, so a block of 32 byte pairs is classified with three
// table lookups and two ANDs: an error bit survives only where all three
// nibbles allow it.
//
// The rule that is not about a pair: the bytes after the second of a 3-
// or 4-byte code point must be continuation bytes too, and a continuation
// byte must not appear anywhere else. The vector code finds where such
// bytes must be (two bytes after E0..FF or three after F0..FF) with
// saturating subtractions, and compares that with where they are (the
// utf8TwoConts bit, a continuation byte after a continuation byte).
const (
	utf8TooShort  = 1 << 0 // a lead byte C0..FF not followed by a continuation byte
	utf8TooLong   = 1 << 1 // a continuation byte after ASCII: no lead byte before it
	utf8Overlong3 = 1 << 2 // E0 80..9F: an overlong 3-byte form
	utf8TooLarge  = 1 << 3 // F4..FF 90..BF: above U+10FFFF
	utf8Surrogate = 1 << 4 // ED A0..BF: U+D800..U+DFFF
	utf8Overlong2 = 1 << 5 // C0..C1 80..BF: an overlong 2-byte form
	// F0 80..8F, an overlong 4-byte form, or F5..FF 80..8F, above
	// U+10FFFF: they share a bit because they share the high nibbles.
	utf8Overlong4OrTooLarge = 1 << 6
	// Two continuation bytes in a row: not an error by itself, but the
	// vector code compares it with where such pairs must be.
	utf8TwoConts = 1 << 7

	// utf8AnyLow are the errors that do not depend on the low nibble of
	// the first byte.
	utf8AnyLow = utf8TooShort | utf8TooLong | utf8TwoConts
)

// utf8FirstHigh maps the high nibble of the first byte of a pair to the
// errors it can be part of.
var utf8FirstHigh = [16]byte{
	0x0: utf8TooLong, 0x1: utf8TooLong, 0x2: utf8TooLong, 0x3: utf8TooLong,
	0x4: utf8TooLong, 0x5: utf8TooLong, 0x6: utf8TooLong, 0x7: utf8TooLong,
	0x8: utf8TwoConts, 0x9: utf8TwoConts, 0xA: utf8TwoConts, 0xB: utf8TwoConts,
	0xC: utf8TooShort | utf8Overlong2,
	0xD: utf8TooShort,
	0xE: utf8TooShort | utf8Overlong3 | utf8Surrogate,
	0xF: utf8TooShort | utf8TooLarge | utf8Overlong4OrTooLarge,
}

// utf8FirstLow maps the low nibble of the first byte of a pair to the
// errors it can be part of.
var utf8FirstLow = [16]byte{
	0x0: utf8AnyLow | utf8Overlong2 | utf8Overlong3 | utf8Overlong4OrTooLarge, // C0, E0, F0
	0x1: utf8AnyLow | utf8Overlong2,                                           // C1
	0x2: utf8AnyLow,
	0x3: utf8AnyLow,
	0x4: utf8AnyLow | utf8TooLarge, // F4
	0x5: utf8AnyLow | utf8TooLarge | utf8Overlong4OrTooLarge,
	0x6: utf8AnyLow | utf8TooLarge | utf8Overlong4OrTooLarge,
	0x7: utf8AnyLow | utf8TooLarge | utf8Overlong4OrTooLarge,
	0x8: utf8AnyLow | utf8TooLarge | utf8Overlong4OrTooLarge,
	0x9: utf8AnyLow | utf8TooLarge | utf8Overlong4OrTooLarge,
	0xA: utf8AnyLow | utf8TooLarge | utf8Overlong4OrTooLarge,
	0xB: utf8AnyLow | utf8TooLarge | utf8Overlong4OrTooLarge,
	0xC: utf8AnyLow | utf8TooLarge | utf8Overlong4OrTooLarge,
	0xD: utf8AnyLow | utf8TooLarge | utf8Overlong4OrTooLarge | utf8Surrogate, // ED
	0xE: utf8AnyLow | utf8TooLarge | utf8Overlong4OrTooLarge,
	0xF: utf8AnyLow | utf8TooLarge | utf8Overlong4OrTooLarge,
}

// utf8SecondHigh maps the high nibble of the second byte of a pair to the
// errors it can be part of.
var utf8SecondHigh = [16]byte{
	0x0: utf8TooShort, 0x1: utf8TooShort, 0x2: utf8TooShort, 0x3: utf8TooShort,
	0x4: utf8TooShort, 0x5: utf8TooShort, 0x6: utf8TooShort, 0x7: utf8TooShort,
	0x8: utf8TooLong | utf8TwoConts | utf8Overlong2 | utf8Overlong3 | utf8Overlong4OrTooLarge,
	0x9: utf8TooLong | utf8TwoConts | utf8Overlong2 | utf8Overlong3 | utf8TooLarge,
	0xA: utf8TooLong | utf8TwoConts | utf8Overlong2 | utf8Surrogate | utf8TooLarge,
	0xB: utf8TooLong | utf8TwoConts | utf8Overlong2 | utf8Surrogate | utf8TooLarge,
	0xC: utf8TooShort, 0xD: utf8TooShort, 0xE: utf8TooShort, 0xF: utf8TooShort,
}

// utf8LastMax holds, for each byte of a block, the largest value it may
// have if the text ended right after the block: a lead byte of a 4-byte
// code point (F0..) needs 3 bytes after it, of a 3-byte one (E0..) 2 and of
// a 2-byte one (C0..) 1. A block that is followed by ASCII must not exceed
// it.
var utf8LastMax = [utf8Block]byte{
	0: 0xFF, 1: 0xFF, 2: 0xFF, 3: 0xFF, 4: 0xFF, 5: 0xFF, 6: 0xFF, 7: 0xFF,
	8: 0xFF, 9: 0xFF, 10: 0xFF, 11: 0xFF, 12: 0xFF, 13: 0xFF, 14: 0xFF, 15: 0xFF,
	16: 0xFF, 17: 0xFF, 18: 0xFF, 19: 0xFF, 20: 0xFF, 21: 0xFF, 22: 0xFF, 23: 0xFF,
	24: 0xFF, 25: 0xFF, 26: 0xFF, 27: 0xFF, 28: 0xFF,
	29: 0xF0 - 1, 30: 0xE0 - 1, 31: 0xC0 - 1,
}
