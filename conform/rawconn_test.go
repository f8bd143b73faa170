package conform

import (
	"bufio"
	"bytes"
	"errors"
	"net"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/rfc6455/ws/frame"
	"github.com/rfc6455/ws/mask"
)

// pipeConn returns a rawConn over one end of a pipe, with the suite in the client role when
// client is set, and the other end, where a test plays the peer.
func pipeConn(t testing.TB, client bool) (*rawConn, net.Conn) {
	suite, peer := net.Pipe()
	rc := newRawConn(suite, bufio.NewReader(suite), client)
	t.Cleanup(func() {
		peer.Close()
		rc.close()
	})
	return rc, peer
}

// decode parses one frame from b, unmasking its payload.
func decode(t *testing.T, b []byte) (frame.Header, []byte) {
	t.Helper()
	h, n, err := frame.ParseHeader(b)
	if err != nil {
		t.Fatalf("ParseHeader(% x): %v", b[:min(len(b), 14)], err)
	}
	payload := append([]byte(nil), b[n:]...)
	if int64(len(payload)) != h.Length {
		t.Fatalf("the header claims %d bytes, %d follow", h.Length, len(payload))
	}
	if h.Masked {
		mask.Apply(h.Key, 0, payload)
	}
	return h, payload
}

// TestEncode checks the frames the suite writes in each role: masked from a client only (§5.1),
// unless the frame asks for the wrong masking, and the length in the form asked for (§5.2).
func TestEncode(t *testing.T) {
	payload := []byte("Hello, world!")
	for _, client := range []bool{true, false} {
		rc := &rawConn{client: client}
		h, p := decode(t, rc.encode(wireFrame{Fin: true, Rsv: 5, Op: frame.OpText, Payload: payload}))
		if h.Masked != client || !h.Fin || h.Rsv != 5 || h.Op != frame.OpText || !bytes.Equal(p, payload) {
			t.Errorf("client=%v: got %v %q", client, h, p)
		}
		h, _ = decode(t, rc.encode(wireFrame{Fin: true, Op: frame.OpText, Payload: payload, Mask: maskWrong}))
		if h.Masked == client {
			t.Errorf("client=%v, wrong masking: masked = %v", client, h.Masked)
		}
		b := rc.encode(wireFrame{Fin: true, Op: frame.OpBinary, Payload: payload, Length: lengthAs64})
		if b[1]&0x7f != 127 {
			t.Errorf("client=%v, 64-bit form: the 7-bit length is %d, want 127", client, b[1]&0x7f)
		}
		if h, p := decode(t, b); h.Length != int64(len(payload)) || !bytes.Equal(p, payload) {
			t.Errorf("client=%v, 64-bit form: got %v %q", client, h, p)
		}
		b = rc.encode(wireFrame{Fin: true, Op: frame.OpBinary, Payload: payload, Length: lengthTopBitSet})
		if _, _, err := frame.ParseHeader(b); !errors.Is(err, frame.ErrLengthOverflow) {
			t.Errorf("client=%v, top bit set: ParseHeader error %v, want ErrLengthOverflow", client, err)
		}
	}
	// Two frames get two keys: §5.3 asks for a fresh key per frame.
	rc := &rawConn{client: true}
	h1, _ := decode(t, rc.encode(textFrame("a")))
	h2, _ := decode(t, rc.encode(textFrame("a")))
	if h1.Key == h2.Key {
		t.Errorf("two frames masked with the same key %x", h1.Key)
	}
}

// peerFrame returns a frame as a peer of the given role sends it: masked when the peer is a client.
func peerFrame(peerIsClient, fin bool, rsv uint8, op frame.Opcode, payload []byte) []byte {
	h := frame.Header{Fin: fin, Rsv: rsv, Op: op, Masked: peerIsClient, Key: [4]byte{1, 2, 3, 4}, Length: int64(len(payload))}
	b := frame.AppendHeader(nil, h)
	start := len(b)
	b = append(b, payload...)
	if peerIsClient {
		mask.Apply(h.Key, 0, b[start:])
	}
	return b
}

// TestReader checks what the suite makes of what a peer sends, in both roles: messages put back
// together, and each rule the peer can break reported as a violation citing its section.
func TestReader(t *testing.T) {
	for _, client := range []bool{true, false} {
		peerIsClient := !client
		f := func(fin bool, rsv uint8, op frame.Opcode, payload string) []byte {
			return peerFrame(peerIsClient, fin, rsv, op, []byte(payload))
		}
		wrongMask := peerFrame(!peerIsClient, true, 0, frame.OpText, []byte("x"))
		for _, tt := range []struct {
			name   string
			stream []byte
			want   []string // event descriptions, in order; the last is the end of the stream
		}{
			{"message", f(true, 0, frame.OpText, "hello"), []string{`text message of 5 bytes "hello"`}},
			{"fragments", bytes.Join([][]byte{f(false, 0, frame.OpBinary, "ab"), f(true, 0, frame.OpPing, "p"), f(true, 0, frame.OpContinuation, "c")}, nil),
				[]string{`ping of 1 bytes "p"`, `binary message of 3 bytes in 2 frames "abc"`}},
			{"close", f(true, 0, frame.OpClose, "\x03\xe8bye"), []string{`close 1000 "bye"`}},
			{"empty close", f(true, 0, frame.OpClose, ""), []string{"close frame without a status code"}},
			{"§5.1 masking", wrongMask, []string{"§5.1", "text message"}},
			{"§5.2 rsv", f(true, 4, frame.OpText, "x"), []string{"RSV bits 100", "text message"}},
			{"§5.2 opcode", f(true, 0, 3, "x"), []string{"reserved opcode 0x3"}},
			{"§5.5 fragmented ping", f(false, 0, frame.OpPing, "x"), []string{"fragmented ping", "ping"}},
			{"§5.5 long pong", f(true, 0, frame.OpPong, strings.Repeat("x", 126)), []string{"126 bytes (§5.5", "pong"}},
			{"§5.4 continuation", f(true, 0, frame.OpContinuation, "x"), []string{"no message to continue"}},
			{"§5.4 interleaved", append(f(false, 0, frame.OpText, "a"), f(true, 0, frame.OpText, "b")...), []string{"new data frame inside", "text message of 1 bytes"}},
			{"§8.1 text", f(true, 0, frame.OpText, "\xed\xa0\x80"), []string{"not valid UTF-8 (§8.1)"}},
			{"§5.5.1 1-byte close", f(true, 0, frame.OpClose, "\x03"), []string{"1-byte body"}},
			{"§7.4 code 1005", f(true, 0, frame.OpClose, "\x03\xed"), []string{"close code 1005"}},
			{"§5.5.1 reason", f(true, 0, frame.OpClose, "\x03\xe8\xff"), []string{"reason that is not valid UTF-8"}},
			{"§5.5.1 after close", append(f(true, 0, frame.OpClose, ""), f(true, 0, frame.OpText, "late")...), []string{"close frame", "after the close frame"}},
		} {
			rc, peer := pipeConn(t, client)
			go func() {
				peer.Write(tt.stream)
				peer.Close()
			}()
			var got []string
			for {
				var ev event
				select {
				case ev = <-rc.events:
				case <-time.After(5 * time.Second):
					t.Fatalf("client=%v %s: no end of stream", client, tt.name)
				}
				if ev.kind == evDrop {
					break
				}
				got = append(got, ev.String())
			}
			if len(got) != len(tt.want) {
				t.Errorf("client=%v %s: events %q, want %d matching %q", client, tt.name, got, len(tt.want), tt.want)
				continue
			}
			for i := range got {
				if !strings.Contains(got[i], tt.want[i]) {
					t.Errorf("client=%v %s: event %d is %q, want it to contain %q", client, tt.name, i, got[i], tt.want[i])
				}
			}
		}
	}
}

// FuzzReader feeds arbitrary bytes to the suite's reader in both roles. It must not panic, must
// end with the end of the stream, and what it reports must follow from the input: messages hold
// no more bytes than came in, and a text message is valid UTF-8.
func FuzzReader(f *testing.F) {
	f.Add(peerFrame(true, true, 0, frame.OpText, []byte("hello")), true)
	f.Add(peerFrame(false, false, 0, frame.OpBinary, []byte("ab")), false)
	f.Add(append(peerFrame(false, true, 0, frame.OpClose, []byte{3, 0xe8}), 0x81, 0x00), false)
	f.Add([]byte{0x81, 0xff, 0x80, 0, 0, 0, 0, 0, 0, 5, 'x'}, true)
	f.Fuzz(func(t *testing.T, stream []byte, client bool) {
		rc, peer := pipeConn(t, client)
		go func() {
			peer.Write(stream)
			peer.Close()
		}()
		total := 0
		for {
			var ev event
			select {
			case ev = <-rc.events:
			case <-time.After(5 * time.Second):
				t.Fatal("no end of stream")
			}
			switch ev.kind {
			case evDrop:
				return
			case evMessage:
				total += len(ev.data)
				if total > len(stream) {
					t.Fatalf("messages of %d bytes from a stream of %d", total, len(stream))
				}
				if ev.op == frame.OpText && !utf8.Valid(ev.data) {
					t.Fatalf("a text message of invalid UTF-8 reported as a message: %q", ev.data)
				}
			case evViolation:
				if !strings.Contains(ev.what, "§") && !strings.Contains(ev.what, "suite accepts") {
					t.Fatalf("a violation that cites no section: %q", ev.what)
				}
			}
		}
	})
}
