package conn

import (
	"bytes"
	"errors"
	"io"
	"net"
	"slices"
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
// (§8.1), a protocol error must come with a close frame of the code it carries (§7.1.7),
// everything the Conn writes must be well-formed control frames (it never writes data of its
// own), and every ping must be answered by a pong with its payload, in order, before the close
// frame (§5.5.2, however long the pong waited for the input that came with it).
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
		var pings, pongs []string
		c.SetPingHandler(func(p []byte) { pings = append(pings, string(p)) })
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
			if h.Op == frame.OpPong {
				if sentClose != nil {
					t.Fatal("Conn sent a pong after its close frame")
				}
				pongs = append(pongs, string(payload))
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
		if !slices.Equal(pongs, pings) {
			t.Fatalf("pings %q answered by pongs %q", pings, pongs)
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

// FuzzConnWrite drives a Conn's write side with an arbitrary sequence of WriteMessage,
// BufferMessage, their in-place forms, Flush and Ping, at arbitrary sizes and write buffer
// sizes, in the server role or the client role, and reads what it wrote with a Conn of the other
// role: every message must arrive whole and in order, nothing else may (§5.2, §5.3: a client's
// frames masked, a server's not, or the reader fails), and WriteMessage and BufferMessage must
// leave the caller's payload as it was.
//
// The script is read 3 bytes a step: an action (the low 3 bits; bit 7 multiplies the size by 4)
// and a 16-bit size. It ends early once its messages add up to maxScriptBytes: a long script of
// large messages would otherwise take the fuzzer seconds an input, without reaching new code.
func FuzzConnWrite(f *testing.F) {
	const maxScriptBytes = 1 << 20
	f.Add(true, uint16(0), []byte{0, 0, 5, 1, 0, 200, 2, 0xff, 0xff, 3, 0x40, 0, 4, 0, 0})
	f.Add(false, uint16(0), []byte{1, 0x3f, 0xf7, 2, 0x3f, 0xf8, 0x80, 0xff, 0xff, 5, 0, 125})
	f.Add(true, uint16(200), []byte{1, 0, 100, 0, 1, 0, 3, 0, 150, 5, 0, 10, 1, 0, 60, 2, 4, 0})
	f.Add(false, uint16(1), []byte{3, 0, 1, 1, 0, 0, 0, 0, 200})
	f.Fuzz(func(t *testing.T, server bool, writeBufferSize uint16, script []byte) {
		out := &scriptConn{r: bytes.NewReader(nil)}
		w := newConn(out, nil, server, 0, 0, int(writeBufferSize), 0)
		var want [][]byte
		total := 0
		for step := 0; len(script) >= 3; step++ {
			action, size := script[0], int(script[1])<<8|int(script[2])
			script = script[3:]
			if action&0x80 != 0 {
				size *= 4
			}
			if total += size; total > maxScriptBytes {
				break
			}
			buf := make([]byte, HeaderRoom+size)
			payload := buf[HeaderRoom:]
			for i := range payload {
				payload[i] = byte(i*7 + step)
			}
			sent := bytes.Clone(payload)
			var err error
			switch action & 7 {
			case 0:
				err = w.WriteMessage(frame.OpBinary, payload)
			case 1:
				err = w.BufferMessage(frame.OpBinary, payload)
			case 2:
				err = w.WriteMessageInPlace(frame.OpBinary, buf)
			case 3:
				err = w.BufferMessageInPlace(frame.OpBinary, buf)
			case 4:
				err = w.Flush()
				sent = nil
			default:
				err = w.Ping(payload[:min(len(payload), frame.MaxControlPayload)])
				sent = nil
			}
			if err != nil {
				t.Fatalf("step %d (action %d, %d bytes): %v", step, action&7, size, err)
			}
			if sent == nil {
				continue
			}
			want = append(want, sent)
			if inPlace := action&7 >= 2; (!inPlace || server) && !bytes.Equal(payload, sent) {
				t.Fatalf("step %d (action %d, %d bytes): the payload was changed", step, action&7, size)
			}
		}
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}

		in := &scriptConn{r: bytes.NewReader(out.written.Bytes())}
		r := newConn(in, nil, !server, -1, 0, 0, 0)
		for i := 0; ; i++ {
			_, p, err := r.ReadMessage(nil)
			if err != nil {
				var ce *CloseError
				if !errors.As(err, &ce) || ce.Code != frame.CloseAbnormal {
					t.Fatalf("after %d messages: %v, want the end of the stream", i, err)
				}
				if i != len(want) {
					t.Fatalf("%d messages arrived, want %d", i, len(want))
				}
				return
			}
			if i >= len(want) || !bytes.Equal(p, want[i]) {
				t.Fatalf("message %d (%d bytes) is not the one sent", i, len(p))
			}
		}
	})
}
