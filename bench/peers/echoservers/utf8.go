package echoservers

import (
	"errors"
	"io"
	"unicode/utf8"
)

// errInvalidUTF8 ends a streamed text message that is not UTF-8 (RFC 6455 §8.1).
var errInvalidUTF8 = errors.New("echoservers: text message is not valid UTF-8")

// utf8Stream validates UTF-8 that arrives in pieces, for the streaming echo servers whose library
// does not validate text. A code point may be split between two pieces; up to 3 bytes of an
// incomplete one are held until the next piece. It uses only the standard library, so it costs
// what an application of that library would pay.
type utf8Stream struct {
	tail [utf8.UTFMax - 1]byte // the start of a code point not yet complete
	n    int                   // bytes in tail
}

// write validates the next piece and reports whether the text so far can still be valid.
func (v *utf8Stream) write(p []byte) bool {
	if v.n > 0 {
		// Complete the held code point with the first bytes of p.
		var buf [utf8.UTFMax]byte
		m := copy(buf[:], v.tail[:v.n])
		for m < len(buf) && len(p) > 0 && !utf8.FullRune(buf[:m]) {
			buf[m] = p[0]
			p = p[1:]
			m++
		}
		if !utf8.FullRune(buf[:m]) {
			v.n = copy(v.tail[:], buf[:m]) // still incomplete: p was short
			return true
		}
		r, size := utf8.DecodeRune(buf[:m])
		if r == utf8.RuneError && size <= 1 || size != m {
			return false
		}
		v.n = 0
	}
	// Hold back a code point cut off at the end of p: look back at most 3 bytes for its start.
	cut := len(p)
	for i := len(p) - 1; i >= 0 && i >= len(p)-(utf8.UTFMax-1); i-- {
		if utf8.RuneStart(p[i]) {
			if !utf8.FullRune(p[i:]) {
				cut = i
			}
			break
		}
	}
	if !utf8.Valid(p[:cut]) {
		return false
	}
	v.n = copy(v.tail[:], p[cut:])
	return true
}

// done reports whether the text ended on a code point boundary; it resets v for the next message.
func (v *utf8Stream) done() bool {
	ok := v.n == 0
	v.n = 0
	return ok
}

// utf8Reader passes a message through while validating it as UTF-8 text. It returns
// errInvalidUTF8 (and none of the offending bytes) at the first piece that cannot be valid, and at
// the end of a message that stops inside a code point.
type utf8Reader struct {
	r io.Reader
	v utf8Stream
}

func (u *utf8Reader) reset(r io.Reader) {
	u.r = r
	u.v = utf8Stream{}
}

func (u *utf8Reader) Read(p []byte) (int, error) {
	n, err := u.r.Read(p)
	if !u.v.write(p[:n]) {
		return 0, errInvalidUTF8
	}
	if err == io.EOF && !u.v.done() {
		return 0, errInvalidUTF8
	}
	return n, err
}
