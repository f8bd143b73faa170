package conn

import (
	"bytes"
	"fmt"
	"net"
	"testing"

	"github.com/rfc6455/ws/frame"
)

// TestWriteMessageInPlace checks that a message written from a buffer with header room arrives
// whole and unchanged, at every size around the boundaries of the header's length field (§5.2:
// 7-bit, 16-bit and 64-bit lengths) and of the write buffer, alone or after buffered frames; that
// a message with nothing waiting before it, or too large to join what waits, leaves from the
// caller's buffer, alone in a single write; and that a server leaves the payload as it was,
// while a client has masked it in place (§5.3).
func TestWriteMessageInPlace(t *testing.T) {
	sizes := []int{0, 1, 125, 126, 65535, 65536, defaultBufferSize - 8, defaultBufferSize - 4, 3 * defaultBufferSize, 1 << 20}
	for _, server := range []bool{true, false} {
		for _, afterBuffered := range []bool{false, true} {
			for _, size := range sizes {
				name := fmt.Sprintf("server=%v/after-buffered=%v/%d", server, afterBuffered, size)
				t.Run(name, func(t *testing.T) {
					a, b := net.Pipe()
					t.Cleanup(func() { a.Close(); b.Close() })
					counted := &firstWriteConn{countingConn: countingConn{Conn: a}}
					w := newConn(counted, nil, server, 0, 0, 0, 0)
					r := newConn(b, nil, !server, -1, 0, 0, 0)
					msg := make([]byte, size)
					for i := range msg {
						msg[i] = byte(i * 7)
					}
					buf := append(bytes.Repeat([]byte{0xEE}, HeaderRoom), msg...)
					errc := make(chan error, 1)
					go func() {
						if afterBuffered {
							if err := w.BufferMessage(frame.OpText, []byte("first")); err != nil {
								errc <- err
								return
							}
						}
						errc <- w.WriteMessageInPlace(frame.OpBinary, buf)
					}()
					if afterBuffered {
						if _, p, err := r.ReadMessage(nil); err != nil || string(p) != "first" {
							t.Fatalf("first message: %q, %v", p, err)
						}
					}
					op, p, err := r.ReadMessage(nil)
					if err != nil {
						t.Fatal(err)
					}
					if op != frame.OpBinary || !bytes.Equal(p, msg) {
						t.Fatalf("received %v of %d bytes, want binary of %d, equal to what was sent", op, len(p), size)
					}
					if err := <-errc; err != nil {
						t.Fatal(err)
					}
					// The message is written in place when nothing waits in the write
					// buffer, or when it does not fit there after the frames waiting.
					pending := 0
					if afterBuffered {
						pending = frame.Header{Length: 5, Masked: !server}.Size() + 5
					}
					header := frame.Header{Length: int64(size), Masked: !server}.Size()
					inPlace := !afterBuffered || pending+header+size > defaultBufferSize
					if !afterBuffered {
						if n := counted.writes.Load(); n != 1 {
							t.Errorf("%d writes for one message, want 1", n)
						}
						if want := &buf[HeaderRoom-header]; counted.first != want {
							t.Errorf("the frame was written from %p, want from the caller's buffer at %p", counted.first, want)
						}
					}
					changed := !bytes.Equal(buf[HeaderRoom:], msg)
					if wantChanged := inPlace && !server && size > 0; changed != wantChanged {
						t.Errorf("payload changed in place = %v, want %v", changed, wantChanged)
					}
				})
			}
		}
	}
}

// writeEitherWay sends buf[HeaderRoom:] as one message: with WriteMessageInPlace when inPlace,
// and otherwise with WriteMessage.
func writeEitherWay(c *Conn, op frame.Opcode, buf []byte, inPlace bool) error {
	if inPlace {
		return c.WriteMessageInPlace(op, buf)
	}
	return c.WriteMessage(op, buf[HeaderRoom:])
}

// firstWriteConn is a countingConn that also records where the bytes of its first Write lay,
// to tell a frame sent from the caller's buffer from one copied into the write buffer.
type firstWriteConn struct {
	countingConn
	first *byte
}

func (c *firstWriteConn) Write(p []byte) (int, error) {
	if c.first == nil && len(p) > 0 {
		c.first = &p[0]
	}
	return c.countingConn.Write(p)
}

// TestWriteMessageInPlaceErrors checks the arguments WriteMessageInPlace and BufferMessageInPlace
// refuse, and that a refusal writes nothing.
func TestWriteMessageInPlaceErrors(t *testing.T) {
	a, b := net.Pipe()
	t.Cleanup(func() { a.Close(); b.Close() })
	counted := &countingConn{Conn: a}
	c := newConn(counted, nil, true, 0, 0, 0, 0)
	for _, tc := range []struct {
		name string
		op   frame.Opcode
		buf  []byte
		want error
	}{
		{"no header room", frame.OpBinary, make([]byte, HeaderRoom-1), errNoHeaderRoom},
		{"nil buffer", frame.OpText, nil, errNoHeaderRoom},
		{"control opcode (§5.5: control frames are sent by the Conn)", frame.OpPing, make([]byte, HeaderRoom+1), errNotDataOpcode},
		{"continuation opcode (§5.4)", frame.OpContinuation, make([]byte, HeaderRoom+1), errNotDataOpcode},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := c.WriteMessageInPlace(tc.op, tc.buf); err != tc.want {
				t.Errorf("WriteMessageInPlace: %v, want %v", err, tc.want)
			}
			if err := c.BufferMessageInPlace(tc.op, tc.buf); err != tc.want {
				t.Errorf("BufferMessageInPlace: %v, want %v", err, tc.want)
			}
		})
	}
	if n := counted.writes.Load(); n != 0 {
		t.Errorf("%d writes after refused calls", n)
	}
}

// TestWriteMessageInPlaceHeaderOnly checks that a buffer of exactly HeaderRoom bytes is an empty
// message.
func TestWriteMessageInPlaceHeaderOnly(t *testing.T) {
	a, b := net.Pipe()
	t.Cleanup(func() { a.Close(); b.Close() })
	w := newConn(a, nil, false, 0, 0, 0, 0)
	r := newConn(b, nil, true, 0, 0, 0, 0)
	go w.WriteMessageInPlace(frame.OpText, make([]byte, HeaderRoom))
	if op, p, err := r.ReadMessage(nil); err != nil || op != frame.OpText || len(p) != 0 {
		t.Fatalf("got %v %q %v, want an empty text message", op, p, err)
	}
}

// TestWriteMessageLarge checks WriteMessage across the sizes where a server's frame stops fitting
// in the write buffer and is sent as the write buffer's head plus the rest of the payload (and
// a client's is masked chunk by chunk), alone or after buffered frames: the peer receives the
// message whole, and p is left as it was.
func TestWriteMessageLarge(t *testing.T) {
	sizes := []int{defaultBufferSize - 8, defaultBufferSize - 4, defaultBufferSize, defaultBufferSize + 1, 3*defaultBufferSize + 7, 1 << 20}
	// The buffered frames: a short one, or one that leaves fewer bytes free in the write buffer
	// than the next frame's header needs.
	buffered := map[string][]byte{"none": nil, "short": []byte("first"), "almost full": bytes.Repeat([]byte("f"), defaultBufferSize-9)}
	for _, server := range []bool{true, false} {
		for _, inPlace := range []bool{false, true} {
			for name, first := range buffered {
				for _, size := range sizes {
					t.Run(fmt.Sprintf("server=%v/in-place=%v/buffered=%s/%d", server, inPlace, name, size), func(t *testing.T) {
						testWriteLarge(t, server, inPlace, first, size)
					})
				}
			}
		}
	}
}

// testWriteLarge sends first (unless nil) with BufferMessage, then a message of size bytes with
// WriteMessage or WriteMessageInPlace, and checks what the peer receives.
func testWriteLarge(t *testing.T, server, inPlace bool, first []byte, size int) {
	a, b := net.Pipe()
	t.Cleanup(func() { a.Close(); b.Close() })
	w := newConn(a, nil, server, 0, 0, 0, 0)
	r := newConn(b, nil, !server, -1, 0, 0, 0)
	buf := make([]byte, HeaderRoom+size)
	msg := buf[HeaderRoom:]
	for i := range msg {
		msg[i] = byte(i * 13)
	}
	sent := bytes.Clone(msg)
	errc := make(chan error, 1)
	go func() {
		if first != nil {
			w.BufferMessage(frame.OpText, first)
		}
		if inPlace {
			errc <- w.WriteMessageInPlace(frame.OpBinary, buf)
		} else {
			errc <- w.WriteMessage(frame.OpBinary, msg)
		}
	}()
	if first != nil {
		if _, p, err := r.ReadMessage(nil); err != nil || !bytes.Equal(p, first) {
			t.Fatalf("first message: %d bytes, %v", len(p), err)
		}
	}
	if _, p, err := r.ReadMessage(nil); err != nil || !bytes.Equal(p, sent) {
		t.Fatalf("received %d bytes (%v), want the %d sent", len(p), err, size)
	}
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	if !inPlace && !bytes.Equal(msg, sent) {
		t.Error("WriteMessage changed the caller's payload")
	}
}
