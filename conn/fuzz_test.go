package conn

import (
	"bytes"
	"errors"
	"io"
	"net"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/rfc6455/ws/frame"
)

// scriptConn is a net.Conn that reads a fixed script of bytes and records what is written.
type scriptConn struct {
	r       *bytes.Reader
	written bytes.Buffer
}

func (s *scriptConn) Read(p []byte) (int, error)         { return s.r.Read(p) }
func (s *scriptConn) Write(p []byte) (int, error)        { return s.written.Write(p) }
func (s *scriptConn) Close() error                       { return nil }
func (s *scriptConn) LocalAddr() net.Addr                { return &net.TCPAddr{} }
func (s *scriptConn) RemoteAddr() net.Addr               { return &net.TCPAddr{} }
func (s *scriptConn) SetDeadline(t time.Time) error      { return nil }
func (s *scriptConn) SetReadDeadline(t time.Time) error  { return nil }
func (s *scriptConn) SetWriteDeadline(t time.Time) error { return nil }

// fuzzReadLimit keeps the fuzzer's messages small, so that going past the limit is reachable.
const fuzzReadLimit = 4096

// FuzzConnRead feeds arbitrary bytes to a Conn as what its peer sent, in the server role (first
// input byte even) or the client role (odd). Whatever the bytes, the Conn must not panic or hang,
// every message it returns must respect the read limit, every text message must be valid UTF-8
// (§8.1), a protocol error must come with a close frame of the code it carries (§7.1.7), and
// everything the Conn writes must be well-formed control frames (it never writes data of its own).
func FuzzConnRead(f *testing.F) {
	add := func(server bool, frames ...[]byte) {
		role := byte(0)
		if !server {
			role = 1
		}
		f.Add(append([]byte{role}, bytes.Join(frames, nil)...))
	}
	masked := func(h frame.Header, payload string) []byte {
		h.Masked, h.Key, h.Length = true, [4]byte{1, 2, 3, 4}, int64(len(payload))
		b := frame.AppendHeader(nil, h)
		for i := range len(payload) {
			b = append(b, payload[i]^h.Key[i%4])
		}
		return b
	}
	plain := func(h frame.Header, payload string) []byte {
		h.Length = int64(len(payload))
		return append(frame.AppendHeader(nil, h), payload...)
	}
	add(true, masked(frame.Header{Fin: true, Op: frame.OpText}, "Hello"))
	add(true, masked(frame.Header{Op: frame.OpText}, "Hel"), masked(frame.Header{Fin: true, Op: frame.OpPing}, "p"), masked(frame.Header{Fin: true}, "lo"))
	add(true, masked(frame.Header{Fin: true, Op: frame.OpText}, "\xce"), masked(frame.Header{Fin: true, Op: frame.OpClose}, "\x03\xe8bye"))
	add(true, masked(frame.Header{Fin: true, Op: frame.OpBinary}, "\x00\xff"), masked(frame.Header{Fin: true, Op: frame.OpClose}, "\x03"))
	add(true, []byte{0x82, 0xff, 0x40, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4})
	add(false, plain(frame.Header{Fin: true, Op: frame.OpText}, "Hello"), plain(frame.Header{Fin: true, Op: frame.OpClose}, "\x03\xe9"))
	add(false, []byte{0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f})
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) == 0 {
			return
		}
		server := data[0]%2 == 0
		sc := &scriptConn{r: bytes.NewReader(data[1:])}
		c := newConn(sc, nil, server, fuzzReadLimit, 64, 0, 10*time.Millisecond)
		var err error
		var buf []byte
		for range len(data) + 1 {
			var op frame.Opcode
			op, buf, err = c.ReadMessage(buf)
			if err != nil {
				break
			}
			if len(buf) > fuzzReadLimit {
				t.Fatalf("message of %d bytes returned, read limit %d", len(buf), fuzzReadLimit)
			}
			if op == frame.OpText && !utf8.Valid(buf) {
				t.Fatalf("invalid UTF-8 returned as text: %q", buf)
			}
		}
		if err == nil {
			t.Fatal("reading never ended on a finite input")
		}
		<-c.closedSignal()
		var sentClose *frame.Header
		var sentCode frame.CloseCode
		out := sc.written.Bytes()
		for len(out) > 0 {
			h, n, perr := frame.ParseHeader(out)
			if perr != nil || int64(len(out)-n) < h.Length {
				t.Fatalf("Conn wrote a malformed frame: % x", out)
			}
			if !h.Op.IsControl() || h.Masked == server {
				t.Fatalf("Conn wrote %+v", h)
			}
			payload := append([]byte(nil), out[n:n+int(h.Length)]...)
			if h.Masked {
				for i := range payload {
					payload[i] ^= h.Key[i%4]
				}
			}
			if h.Op == frame.OpClose {
				if sentClose != nil {
					t.Fatal("Conn sent two close frames")
				}
				sentClose = &h
				code, _, cerr := frame.ParseClose(payload)
				if cerr != nil {
					t.Fatalf("Conn sent a bad close payload % x: %v", payload, cerr)
				}
				sentCode = code
			}
			out = out[n+int(h.Length):]
		}
		var pe *frame.ProtocolError
		var ce *CloseError
		switch {
		case errors.As(err, &pe):
			if sentClose == nil || sentCode != pe.Code {
				t.Fatalf("protocol error %v, but the close frame sent had code %d", err, sentCode)
			}
		case errors.As(err, &ce):
			if ce.Code != frame.CloseAbnormal && sentClose == nil {
				t.Fatalf("peer closed with %v but no close frame was sent back", ce)
			}
			if ce.Code == frame.CloseAbnormal && !errors.Is(err, io.ErrUnexpectedEOF) {
				t.Fatalf("abnormal closure for an unexpected reason: %v", err)
			}
		default:
			t.Fatalf("unexpected error type %T: %v", err, err)
		}
	})
}
