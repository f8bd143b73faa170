package frame

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
	// state is where the DFA of utf8_dfa.go stands after the text so far:
	// at a code point boundary (the zero value), inside a code point, or
	// rejected.
	state uint8
}

// Write validates the next piece p of the text. It returns
// [ErrInvalidUTF8] if p contains a byte that cannot continue the text seen
// so far as valid UTF-8. It allocates nothing.
//
// Write runs p through a DFA whose states are the viable prefixes of UTF-8
// text, so it fails in the Write that holds the first impossible byte: a
// bad beginning such as "\xED\xA0" (a surrogate) fails now instead of at
// the next Write. Where the CPU allows, long pieces are checked with
// vector instructions instead (utf8_amd64.s), with the same verdicts.
func (v *UTF8) Write(p []byte) error {
	s := utf8State(v.state)
	if s == utf8Reject {
		return ErrInvalidUTF8
	}
	if len(p) == 0 {
		return nil
	}
	switch {
	case len(p) >= utf8VectorMin:
		s = utf8AdvanceVector(s, p)
	case len(p) >= 8:
		s = utf8Advance(s, p)
	default:
		// Too short for the word-at-a-time paths: step the DFA here,
		// which saves a call on the short messages that chats are full of.
		for _, c := range p {
			s = utf8Transitions[c] >> (s & 63)
		}
		s &= 63
	}
	v.state = uint8(s)
	if s == utf8Reject {
		return ErrInvalidUTF8
	}
	return nil
}

// Done reports whether the text written since the last Reset ended on a
// code point boundary, returning [ErrInvalidUTF8] if it did not or if a
// Write failed. It resets v for the next message.
func (v *UTF8) Done() error {
	incomplete := utf8State(v.state) != utf8Accept
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
