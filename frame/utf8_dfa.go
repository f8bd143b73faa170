package frame

import (
	"encoding/binary"
	"math/bits"
)

// The portable UTF-8 validator is a deterministic finite automaton (DFA)
// over bytes whose states are exactly the viable prefixes of UTF-8 text:
// "at a code point boundary", "inside a code point, expecting a byte in
// such and such range", and "no longer valid" (a sink). Reaching the sink
// at the first byte that can never be valid is what makes UTF8.Write fail
// fast (§8.1).
//
// The ranges are those of the Unicode Standard, Table 3-7 "Well-Formed
// UTF-8 Byte Sequences"; RFC 3629 §4 gives the same as a grammar:
//
//	Code points         1st byte  2nd byte  3rd byte  4th byte
//	U+0000..U+007F      00..7F
//	U+0080..U+07FF      C2..DF    80..BF
//	U+0800..U+0FFF      E0        A0..BF    80..BF
//	U+1000..U+CFFF      E1..EC    80..BF    80..BF
//	U+D000..U+D7FF      ED        80..9F    80..BF
//	U+E000..U+FFFF      EE..EF    80..BF    80..BF
//	U+10000..U+3FFFF    F0        90..BF    80..BF    80..BF
//	U+40000..U+FFFFF    F1..F3    80..BF    80..BF    80..BF
//	U+100000..U+10FFFF  F4        80..8F    80..BF    80..BF
//
// The narrowed second-byte ranges after E0, ED, F0 and F4 are what exclude
// overlong forms, the surrogates U+D800–U+DFFF and code points above
// U+10FFFF; C0, C1 and F5–FF never appear at all.
//
// The DFA is "shift-based": a state is a multiple of 6, and the entry of
// utf8Transitions for a byte c packs, for every state s, the next state
// into the 6 bits at bit offset s. One step is then a table load (which
// does not depend on the state, so the CPU can issue it early), one shift
// and an implicit mask:
//
//	s = utf8Transitions[c] >> (s & 63)
//
// Only the low 6 bits of s are the state; the bits above are left over
// from the row and ignored, because a shift count is taken mod 64.

// utf8State is a state of the DFA: a bit offset into a row of
// utf8Transitions, so a multiple of 6 below 64.
type utf8State = uint64

// The states, each named after what the next byte must be.
const (
	utf8Accept   utf8State = 0 * 6 // at a code point boundary: any lead byte or ASCII
	utf8Reject   utf8State = 1 * 6 // not valid, whatever follows: the sink
	utf8Cont1    utf8State = 2 * 6 // one continuation byte 80..BF left
	utf8Cont2    utf8State = 3 * 6 // two continuation bytes 80..BF left
	utf8Cont3    utf8State = 4 * 6 // three continuation bytes 80..BF left
	utf8AfterE0  utf8State = 5 * 6 // A0..BF, then one more (no overlong 3-byte forms)
	utf8AfterED  utf8State = 6 * 6 // 80..9F, then one more (no surrogates)
	utf8AfterF0  utf8State = 7 * 6 // 90..BF, then two more (no overlong 4-byte forms)
	utf8AfterF4  utf8State = 8 * 6 // 80..8F, then two more (nothing above U+10FFFF)
	utf8NumState           = 9
)

// utf8Transition is the DFA written out from Table 3-7: the state after
// byte c in state s. utf8Transitions is built from it, and tests check the
// fast paths against it.
func utf8Transition(s utf8State, c byte) utf8State {
	// inRange returns next if c is in lo..hi, else the sink.
	inRange := func(lo, hi byte, next utf8State) utf8State {
		if lo <= c && c <= hi {
			return next
		}
		return utf8Reject
	}
	switch s {
	case utf8Accept:
		switch {
		case c <= 0x7F:
			return utf8Accept
		case c <= 0xC1: // 80..BF: continuation without a lead; C0, C1: overlong 2-byte forms
			return utf8Reject
		case c <= 0xDF:
			return utf8Cont1
		case c == 0xE0:
			return utf8AfterE0
		case c == 0xED:
			return utf8AfterED
		case c <= 0xEF:
			return utf8Cont2
		case c == 0xF0:
			return utf8AfterF0
		case c <= 0xF3:
			return utf8Cont3
		case c == 0xF4:
			return utf8AfterF4
		}
		return utf8Reject // F5..FF would encode above U+10FFFF
	case utf8Cont1:
		return inRange(0x80, 0xBF, utf8Accept)
	case utf8Cont2:
		return inRange(0x80, 0xBF, utf8Cont1)
	case utf8Cont3:
		return inRange(0x80, 0xBF, utf8Cont2)
	case utf8AfterE0:
		return inRange(0xA0, 0xBF, utf8Cont1)
	case utf8AfterED:
		return inRange(0x80, 0x9F, utf8Cont1)
	case utf8AfterF0:
		return inRange(0x90, 0xBF, utf8Cont2)
	case utf8AfterF4:
		return inRange(0x80, 0x8F, utf8Cont2)
	}
	return utf8Reject
}

// utf8Transitions holds, for each byte, the packed next states of the DFA
// (see utf8Transition). It is computed once, while the package is
// initialized, and only read afterwards.
var utf8Transitions = buildUTF8Transitions()

func buildUTF8Transitions() (t [256]uint64) {
	for c := range t {
		for i := range utf8NumState {
			s := utf8State(i * 6)
			t[c] |= utf8Transition(s, byte(c)) << s
		}
	}
	return t
}

// asciiBits has the high bit of each of 8 bytes set: a word of text is all
// ASCII when none of these bits is set in it.
const asciiBits = 0x8080808080808080

// utf8Advance runs the DFA from state s over p and returns the state it
// ends in. It is the portable validator, built on every platform.
//
// Text that a WebSocket peer sends is mostly ASCII, so at a code point
// boundary it skips ASCII 8 or 32 bytes at a time, and otherwise steps the
// DFA 8 bytes at a time, starting at the first byte that is not ASCII.
func utf8Advance(s utf8State, p []byte) utf8State {
	for len(p) >= 8 {
		if s&63 == utf8Accept {
			w := binary.LittleEndian.Uint64(p)
			if w&asciiBits == 0 {
				p = p[8:]
				// "> 32" rather than ">= 32" leaves p non-empty, which
				// spares the compiler the code that keeps p[32:] from
				// pointing past the end of the array.
				for len(p) > 32 && (binary.LittleEndian.Uint64(p)|binary.LittleEndian.Uint64(p[8:])|
					binary.LittleEndian.Uint64(p[16:])|binary.LittleEndian.Uint64(p[24:]))&asciiBits == 0 {
					p = p[32:]
				}
				continue
			}
			// Skip the ASCII bytes before the first one that is not.
			p = p[bits.TrailingZeros64(w&asciiBits)/8:]
			if len(p) < 8 {
				break
			}
		}
		_ = p[7]
		s = utf8Transitions[p[0]] >> (s & 63)
		s = utf8Transitions[p[1]] >> (s & 63)
		s = utf8Transitions[p[2]] >> (s & 63)
		s = utf8Transitions[p[3]] >> (s & 63)
		s = utf8Transitions[p[4]] >> (s & 63)
		s = utf8Transitions[p[5]] >> (s & 63)
		s = utf8Transitions[p[6]] >> (s & 63)
		s = utf8Transitions[p[7]] >> (s & 63)
		p = p[8:]
		if s&63 == utf8Reject {
			return utf8Reject
		}
	}
	for _, c := range p {
		s = utf8Transitions[c] >> (s & 63)
	}
	return s & 63
}

// validGeneric reports whether p is valid UTF-8, with the portable DFA.
func validGeneric(p []byte) bool {
	return utf8Advance(utf8Accept, p) == utf8Accept
}
