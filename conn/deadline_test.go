package conn

import (
	"errors"
	"net"
	"os"
	"testing"
	"time"

	"github.com/rfc6455/ws/frame"
)

// TestLapsedWriteDeadlinePong checks that a write deadline the application set for its own
// writes, and which lapsed while the connection sat idle, does not fail the pong that answers
// the peer's next ping (§5.5.2), and still holds for the application's next write.
func TestLapsedWriteDeadlinePong(t *testing.T) {
	cn, sn := tcpPair(t)
	server, client := newConn(sn, nil, true, 0, 0, 0, 0), newConn(cn, nil, false, 0, 0, 0, 0)
	server.SetWriteDeadline(time.Now().Add(20 * time.Millisecond))
	if err := server.WriteMessage(frame.OpText, []byte("hi")); err != nil {
		t.Fatal(err)
	}
	if _, m, err := client.ReadMessage(nil); err != nil || string(m) != "hi" {
		t.Fatalf("client read %q, %v", m, err)
	}
	time.Sleep(60 * time.Millisecond) // the deadline lapses
	go server.ReadMessage(nil)        // answers pings while it waits for a message
	pongs := make(chan string, 1)
	client.SetPongHandler(func(p []byte) { pongs <- string(p) })
	go client.ReadMessage(nil)
	if err := client.Ping([]byte("still there?")); err != nil {
		t.Fatal(err)
	}
	select {
	case p := <-pongs:
		if p != "still there?" {
			t.Fatalf("pong %q", p)
		}
	case <-time.After(ioTimeout):
		t.Fatal("no pong: the lapsed deadline failed it")
	}
	if err := server.WriteMessage(frame.OpText, []byte("late")); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("WriteMessage after the deadline: %v, want os.ErrDeadlineExceeded", err)
	}
}

// TestOwnWriteBounded checks that a pong the peer never reads does not block the reading
// goroutine for as long as the application's distant write deadline: the Conn's own writes are
// bounded by the close timeout.
func TestOwnWriteBounded(t *testing.T) {
	a, b := net.Pipe() // a write waits until the other end reads
	t.Cleanup(func() { a.Close(); b.Close() })
	server := newConn(b, nil, true, 0, 0, 0, 50*time.Millisecond)
	server.SetWriteDeadline(time.Now().Add(time.Hour))
	go a.Write(clientFrame(true, 0, frame.OpPing, "never read"))
	done := make(chan error, 1)
	go func() {
		_, _, err := server.ReadMessage(nil)
		done <- err
	}()
	select {
	case err := <-done:
		if !errors.Is(err, os.ErrDeadlineExceeded) {
			t.Fatalf("ReadMessage: %v, want the pong's write to time out", err)
		}
	case <-time.After(ioTimeout):
		t.Fatal("the pong's write was not bounded by the close timeout")
	}
}
