package frame

import "unicode/utf8"

// UTF8 validates UTF-8 text incrementally, as it arrives in pieces: the
// fragments of a message (§5.4) or partial reads of one frame.
//
// RFC 6455 §5.6 says text payloads are UTF-8, and §8.1: "When an endpoint is
// to interpret a byte stream as UTF-8 but finds that the byte stream is not,
// in fact, a valid UTF-8 stream, that endpoint MUST _Fail the WebSocket
// Connection_." A code point split across two Writes is fine. Write fails
// fast, at the first byte that can never become part of valid UTF-8 —
// rather than at the end of the message — which lets an endpoint stop
// reading a bad message early: overlong forms, surrogates U+D800–U+DFFF,
// code points above U+10FFFF, stray continuation bytes and the bytes that
// never appear in UTF-8 (0xC0, 0xC1, 0xF5–0xFF). Done reports a message that
// ends inside a code point.
//
// The zero value is ready to use. After a Write fails, every further Write
// fails too until Reset or Done.
type UTF8 struct {
	need   uint8 // continuation bytes still needed to finish the current code point
	lo, hi uint8 // range allowed for the next byte while need > 0
	failed bool  // an invalid byte was seen
}

// Bounds of continuation bytes, 10xxxxxx.
const (
	contLo = 0x80
	contHi = 0xBF
)

// Write validates the next piece p of the text. It returns
// [ErrInvalidUTF8] if p contains a byte that cannot continue the text seen
// so far as valid UTF-8. It allocates nothing.
//
// Write finishes a code point left incomplete by the previous Write byte by
// byte, checks the complete code points in the middle of p with
// utf8.Valid, which is fast on ASCII, and then steps through the up to 3
// bytes of a code point that p leaves incomplete, so that a bad beginning
// such as "\xED\xA0" (a surrogate) fails now instead of at the next Write.
func (v *UTF8) Write(p []byte) error {
	if v.failed {
		return ErrInvalidUTF8
	}
	// Finish the code point that the previous Write began.
	for v.need > 0 && len(p) > 0 {
		if !v.step(p[0]) {
			return ErrInvalidUTF8
		}
		p = p[1:]
	}
	if len(p) == 0 {
		return nil
	}
	complete := len(p) - incompleteSuffix(p)
	if !utf8.Valid(p[:complete]) {
		v.failed = true
		return ErrInvalidUTF8
	}
	for _, c := range p[complete:] {
		if !v.step(c) {
			return ErrInvalidUTF8
		}
	}
	return nil
}

// Done reports whether the text written since the last Reset ended on a
// code point boundary, returning [ErrInvalidUTF8] if it did not or if a
// Write failed. It resets v for the next message.
func (v *UTF8) Done() error {
	incomplete := v.need > 0 || v.failed
	v.Reset()
	if incomplete {
		return ErrInvalidUTF8
	}
	return nil
}

// Reset forgets all text written so far.
func (v *UTF8) Reset() {
	*v = UTF8{}
}

// step advances the state machine by one byte and reports whether the text
// is still a valid prefix. The ranges are those of the Unicode Standard,
// Table 3-7 "Well-Formed UTF-8 Byte Sequences"; RFC 3629 §4 gives the same
// as a grammar.
func (v *UTF8) step(c byte) bool {
	if v.need > 0 {
		if c < v.lo || c > v.hi {
			v.failed = true
			return false
		}
		v.need--
		v.lo, v.hi = contLo, contHi
		return true
	}
	need, lo, hi := leadByte(c)
	if need < 0 {
		v.failed = true
		return false
	}
	v.need, v.lo, v.hi = uint8(need), lo, hi
	return true
}

// leadByte classifies the first byte of a code point. It returns how many
// continuation bytes must follow and the allowed range of the first of them,
// or need = -1 if c cannot start a code point. The narrowed ranges after
// E0, ED, F0 and F4 are what exclude overlong forms, surrogates and code
// points above U+10FFFF.
func leadByte(c byte) (need int, lo, hi uint8) {
	switch {
	case c < 0x80: // ASCII
		return 0, 0, 0
	case c < 0xC2: // 80–BF: continuation without a lead; C0, C1: overlong 2-byte forms
		return -1, 0, 0
	case c < 0xE0: // U+0080–U+07FF
		return 1, contLo, contHi
	case c == 0xE0: // U+0800–U+0FFF; E0 80–9F would be overlong
		return 2, 0xA0, contHi
	case c == 0xED: // U+D000–U+D7FF; ED A0–BF would be the surrogates U+D800–U+DFFF
		return 2, contLo, 0x9F
	case c < 0xF0: // the rest of U+1000–U+FFFF
		return 2, contLo, contHi
	case c == 0xF0: // U+10000–U+3FFFF; F0 80–8F would be overlong
		return 3, 0x90, contHi
	case c < 0xF4: // U+40000–U+FFFFF
		return 3, contLo, contHi
	case c == 0xF4: // U+100000–U+10FFFF; F4 90–BF would be above U+10FFFF
		return 3, contLo, 0x8F
	}
	return -1, 0, 0 // F5–FF: would encode above U+10FFFF
}

// incompleteSuffix returns the length of the code point that p ends inside
// of: 0 when p ends on a code point boundary (or with bytes that are invalid
// anyway), else 1 to 3. It looks at no more than the last 3 bytes: a lead
// byte further back starts a sequence of at most 4 bytes that is either
// complete or invalid, and utf8.Valid will tell which.
func incompleteSuffix(p []byte) int {
	for back := 1; back <= 3 && back <= len(p); back++ {
		c := p[len(p)-back]
		if c < contLo || c > contHi { // not a continuation byte: a lead byte or ASCII
			if need, _, _ := leadByte(c); need >= back {
				return back
			}
			return 0
		}
	}
	return 0
}
