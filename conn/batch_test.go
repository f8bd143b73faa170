package conn

import (
	"bytes"
	"fmt"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rfc6455/ws/frame"
)

// countingConn counts the writes that reach the transport.
type countingConn struct {
	net.Conn
	writes atomic.Int64
}

func (c *countingConn) Write(p []byte) (int, error) {
	c.writes.Add(1)
	return c.Conn.Write(p)
}

// TestBufferMessage checks that buffered messages cost no write until a WriteMessage, Flush or
// control frame sends them all together, in order, and that a message too big for the buffer
// still goes out at once.
func TestBufferMessage(t *testing.T) {
	for _, server := range []bool{true, false} {
		t.Run(fmt.Sprintf("server=%v", server), func(t *testing.T) {
			a, b := net.Pipe()
			counted := &countingConn{Conn: a}
			w := newConn(counted, nil, server, 0, 0, 0, 0)
			r := newConn(b, nil, !server, 0, 0, 0, 0)
			t.Cleanup(func() { a.Close(); b.Close() })
			got := make(chan string, 100)
			go func() {
				for {
					_, p, err := r.ReadMessage(nil)
					if err != nil {
						close(got)
						return
					}
					got <- string(p)
				}
			}()
			expect := func(want ...string) {
				t.Helper()
				for _, m := range want {
					if g := <-got; g != m {
						t.Fatalf("received %q, want %q", g, m)
					}
				}
			}
			for i := range 5 {
				if err := w.BufferMessage(frame.OpText, []byte{'0' + byte(i)}); err != nil {
					t.Fatal(err)
				}
			}
			if n := counted.writes.Load(); n != 0 {
				t.Fatalf("%d writes before anything was sent", n)
			}
			w.WriteMessage(frame.OpText, []byte("5"))
			expect("0", "1", "2", "3", "4", "5")
			if n := counted.writes.Load(); n != 1 {
				t.Fatalf("six messages took %d writes, want 1", n)
			}
			w.BufferMessage(frame.OpBinary, []byte("6"))
			w.Flush()
			expect("6")
			// From here on w also reads, to take the pong that answers the ping below. It is
			// started only now because a reading goroutine about to wait flushes whatever
			// BufferMessage left, which would break the write counts above.
			go func() {
				for {
					if _, _, err := w.ReadMessage(nil); err != nil {
						return
					}
				}
			}()
			w.BufferMessage(frame.OpBinary, []byte("7"))
			w.Ping(nil) // a control frame takes the waiting frames with it
			expect("7")
			big := bytes.Repeat([]byte("x"), 3*defaultBufferSize)
			w.BufferMessage(frame.OpBinary, []byte("8"))
			w.BufferMessage(frame.OpBinary, big) // too big: sent at once, after "8"
			expect("8", string(big))
			if n := counted.writes.Load(); n > 8 {
				t.Fatalf("%d writes in all", n)
			}
		})
	}
}

// TestBuffered checks that Buffered tells the reading goroutine whether more input is already
// there: three messages sent in one write are read one by one without waiting.
func TestBuffered(t *testing.T) {
	a, b := net.Pipe()
	t.Cleanup(func() { a.Close(); b.Close() })
	server := newConn(b, nil, true, 0, 0, 0, 0)
	go func() {
		var all []byte
		for _, m := range []string{"one", "two", "three"} {
			all = append(all, clientFrame(true, 0, frame.OpText, m)...)
		}
		a.Write(all)
	}()
	for i, want := range []int{1, 1, 0} {
		if _, _, err := server.ReadMessage(nil); err != nil {
			t.Fatal(err)
		}
		if got := server.Buffered() > 0; got != (want == 1) {
			t.Fatalf("after message %d: Buffered() = %d", i+1, server.Buffered())
		}
	}
}

// TestControlFrameTinyWriteBuffer checks that a control frame of the largest size (§5.5: 125
// bytes of payload) goes out whole even when the write buffer was configured smaller than it.
func TestControlFrameTinyWriteBuffer(t *testing.T) {
	for _, server := range []bool{true, false} {
		t.Run(fmt.Sprintf("server=%v", server), func(t *testing.T) {
			a, b := net.Pipe()
			t.Cleanup(func() { a.Close(); b.Close() })
			w := newConn(a, nil, server, 0, 0, 1, 0)
			r := newConn(b, nil, !server, 0, 0, 0, 0)
			got := make(chan []byte, 1)
			r.SetPingHandler(func(p []byte) { got <- bytes.Clone(p) })
			go r.ReadMessage(nil)
			ping := bytes.Repeat([]byte("p"), frame.MaxControlPayload)
			if err := w.Ping(ping); err != nil {
				t.Fatal(err)
			}
			select {
			case p := <-got:
				if !bytes.Equal(p, ping) {
					t.Fatalf("the peer saw a ping of %q, want %q", p, ping)
				}
			case <-time.After(5 * time.Second):
				t.Fatal("no ping arrived")
			}
		})
	}
}
