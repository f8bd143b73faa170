package conn

import (
	"bytes"
	"errors"
	"io"
	"net"
	"os"
	"testing"
	"time"

	"github.com/rfc6455/ws/frame"
)

// tcpPair returns the two ends of a loopback TCP connection, the kind of socket on which a
// readBuffer waits without a buffer.
func tcpPair(t *testing.T) (client, server net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, _ := ln.Accept()
		accepted <- c
	}()
	client, err = net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	server = <-accepted
	if server == nil {
		t.Fatal("accept failed")
	}
	t.Cleanup(func() { client.Close(); server.Close() })
	return client, server
}

// transports are the two ways a readBuffer reads: through the poller without a buffer (TCP),
// and through net.Conn.Read with one (net.Pipe stands for TLS and other wrapped connections).
var transports = []struct {
	name string
	pair func(t *testing.T) (net.Conn, net.Conn)
	raw  bool
}{
	{"tcp", tcpPair, true},
	{"pipe", func(t *testing.T) (net.Conn, net.Conn) {
		a, b := net.Pipe()
		t.Cleanup(func() { a.Close(); b.Close() })
		return a, b
	}, false},
}

// TestReadBufferReleasesWhenEmpty checks the point of readBuffer: bytes are delivered intact
// across buffer boundaries, and once everything buffered is consumed no buffer is held.
func TestReadBufferReleasesWhenEmpty(t *testing.T) {
	for _, tr := range transports {
		t.Run(tr.name, func(t *testing.T) {
			w, r := tr.pair(t)
			var b readBuffer
			b.init(r, []byte("pre"), 64)
			if (b.raw != nil) != tr.raw {
				t.Fatalf("raw = %v, want %v", b.raw != nil, tr.raw)
			}
			want := []byte("pre")
			for i := range 1000 {
				want = append(want, byte(i))
			}
			go w.Write(want[3:])

			got := make([]byte, 0, len(want))
			// Peek across the end of the 64-byte buffer, then Read and ReadByte.
			for len(got) < len(want) {
				n := min(7, len(want)-len(got))
				p, err := b.Peek(n)
				if err != nil {
					t.Fatalf("Peek(%d) after %d bytes: %v", n, len(got), err)
				}
				got = append(got, p...)
				b.Discard(n)
				if len(got) < len(want) {
					c, err := b.ReadByte()
					if err != nil {
						t.Fatal(err)
					}
					got = append(got, c)
				}
				if len(got) < len(want) {
					var chunk [5]byte
					k, err := b.Read(chunk[:min(5, len(want)-len(got))])
					if err != nil {
						t.Fatal(err)
					}
					got = append(got, chunk[:k]...)
				}
			}
			if !bytes.Equal(got, want) {
				t.Fatalf("bytes differ")
			}
			if b.Buffered() != 0 || b.buf != nil {
				t.Errorf("after consuming everything: Buffered %d, buffer held %v; want 0, none", b.Buffered(), b.bufp != nil)
			}
		})
	}
}

// TestReadBufferEOFAndDeadline checks that the end of the stream and a read deadline come out
// of a readBuffer as they do from the connection, without a buffer left held.
func TestReadBufferEOFAndDeadline(t *testing.T) {
	for _, tr := range transports {
		t.Run(tr.name, func(t *testing.T) {
			w, r := tr.pair(t)
			var b readBuffer
			b.init(r, nil, 0)
			r.SetReadDeadline(time.Now().Add(20 * time.Millisecond))
			if _, err := b.Peek(2); !errors.Is(err, os.ErrDeadlineExceeded) {
				t.Fatalf("Peek past the deadline: %v, want os.ErrDeadlineExceeded", err)
			}
			if b.buf != nil {
				t.Error("a buffer is held after the deadline")
			}
			r.SetReadDeadline(time.Time{})
			go func() {
				w.Write([]byte{1})
				w.Close()
			}()
			if _, err := b.Peek(2); err != io.ErrUnexpectedEOF {
				t.Fatalf("Peek(2) of a 1-byte stream: %v, want io.ErrUnexpectedEOF", err)
			}
			if _, err := b.ReadByte(); err != nil {
				t.Fatalf("ReadByte of the byte left: %v", err)
			}
			if _, err := b.ReadByte(); err != io.EOF {
				t.Fatalf("ReadByte at the end: %v, want io.EOF", err)
			}
			if b.buf != nil {
				t.Error("a buffer is held at the end of the stream")
			}
		})
	}
}

// eofWithData is a reader that returns its last bytes together with io.EOF, as a *tls.Conn
// does when a close_notify alert follows them.
type eofWithData struct{ data []byte }

func (r *eofWithData) Read(p []byte) (int, error) {
	n := copy(p, r.data)
	r.data = r.data[n:]
	if len(r.data) == 0 {
		return n, io.EOF
	}
	return n, nil
}

// TestReadBufferDataWithEOF checks that bytes that arrive together with the end of the stream
// are read before it: a close frame (§5.5.1) is often the last thing a peer sends.
func TestReadBufferDataWithEOF(t *testing.T) {
	closeFrame := []byte{0x88, 0x02, 0x0f, 0xa0} // close 4000
	for _, size := range []int{0, 2} {
		var b readBuffer
		b.init(nil, nil, size)
		b.src = &eofWithData{data: bytes.Clone(closeFrame)}
		p, err := b.Peek(2)
		if err != nil {
			t.Fatalf("size %d: Peek(2): %v", size, err)
		}
		if p[0] != 0x88 {
			t.Fatalf("size %d: Peek(2) = %x", size, p)
		}
		b.Discard(2)
		got := make([]byte, 2)
		if _, err := io.ReadFull(&b, got); err != nil || !bytes.Equal(got, closeFrame[2:]) {
			t.Fatalf("size %d: payload %x, %v", size, got, err)
		}
		if _, err := b.ReadByte(); err != io.EOF {
			t.Fatalf("size %d: after the data: %v, want io.EOF", size, err)
		}
	}
}

// TestIdleConnHoldsNoBuffers checks that a Conn between messages holds neither a read nor a
// write buffer, on both sides, after whole messages, buffered batches and streamed ones.
func TestIdleConnHoldsNoBuffers(t *testing.T) {
	cn, sn := tcpPair(t)
	client := newConn(cn, nil, false, 0, 0, 0, 0)
	server := newConn(sn, nil, true, 0, 0, 0, 0)
	idle := func(step string) {
		t.Helper()
		for _, c := range []*Conn{client, server} {
			if c.br.buf != nil || c.wbufp != nil {
				t.Errorf("%s: server=%v holds a read buffer %v, a write buffer %v", step, c.server, c.br.bufp != nil, c.wbufp != nil)
			}
		}
	}
	echo := func() {
		op, p, err := server.ReadMessage(nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := server.WriteMessage(op, p); err != nil {
			t.Fatal(err)
		}
		if _, _, err := client.ReadMessage(nil); err != nil {
			t.Fatal(err)
		}
	}
	client.WriteMessage(frame.OpText, []byte("hello"))
	echo()
	idle("one message")

	client.BufferMessage(frame.OpBinary, make([]byte, 1000))
	client.BufferMessage(frame.OpBinary, make([]byte, 1000))
	client.Flush()
	echo()
	echo()
	idle("a batch")

	w, _ := client.NextWriter(frame.OpBinary)
	w.Write(make([]byte, 100<<10))
	w.Close()
	echo()
	idle("a streamed 100 KiB message")
}

// TestTakeArrived checks the read that flushBeforeBlocking makes before it decides whether to
// send what waits in the write buffer: on a socket it takes what has arrived without waiting and
// reports whether that is enough; elsewhere it reads nothing and reports false, so that the frames
// waiting go out before a read that may wait.
func TestTakeArrived(t *testing.T) {
	for _, tr := range transports {
		t.Run(tr.name, func(t *testing.T) {
			client, server := tr.pair(t)
			var b readBuffer
			b.init(server, nil, 64)
			// Nothing has arrived: it must not wait. Had it waited, only the deadline would
			// have ended its read.
			deadline := time.Now().Add(ioTimeout)
			server.SetReadDeadline(deadline)
			if b.takeArrived(1) {
				t.Fatal("takeArrived(1) = true with nothing sent")
			}
			if time.Now().After(deadline) {
				t.Fatal("takeArrived waited for input")
			}
			if !tr.raw {
				return // a pipe's read would wait: takeArrived does not try one
			}
			if _, err := client.Write([]byte("0123456789")); err != nil {
				t.Fatal(err)
			}
			// On loopback the bytes are in the socket once Write returns; the loop only covers a
			// slow delivery.
			deadline = time.Now().Add(ioTimeout)
			for !b.takeArrived(4) {
				if time.Now().After(deadline) {
					t.Fatal("takeArrived(4) never saw the 10 bytes sent")
				}
				time.Sleep(time.Millisecond)
			}
			if b.takeArrived(11) {
				t.Errorf("takeArrived(11) = true with 10 bytes sent; buffered %d", b.Buffered())
			}
			got := make([]byte, 10)
			if n, err := io.ReadFull(&b, got); err != nil || string(got[:n]) != "0123456789" {
				t.Fatalf("read %q, %v", got[:n], err)
			}
			// A closed peer: takeArrived reports false, and the next read reports the end.
			client.Close()
			if b.takeArrived(1) {
				t.Error("takeArrived(1) = true after the peer closed")
			}
			if _, err := b.ReadByte(); err != io.EOF {
				t.Errorf("ReadByte after the peer closed = %v, want io.EOF", err)
			}
		})
	}
}
