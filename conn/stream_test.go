package conn

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/rfc6455/ws/frame"
)

// streamPair returns a client Conn wrapped in a Stream of op, and the server's Conn, for the
// test to drive by messages.
func streamPair(t *testing.T, op frame.Opcode) (*Stream, *Conn) {
	t.Helper()
	accepted := make(chan *Conn, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := Upgrade(w, r, &UpgradeOptions{CloseTimeout: time.Second})
		if err == nil {
			accepted <- c
		}
	}))
	t.Cleanup(srv.Close)
	ctx, cancel := context.WithTimeout(context.Background(), ioTimeout)
	defer cancel()
	c, _, err := Dial(ctx, "ws"+strings.TrimPrefix(srv.URL, "http"), &DialOptions{CloseTimeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	s := NewStream(c, op)
	t.Cleanup(func() { s.Close() })
	server := <-accepted
	t.Cleanup(func() { server.CloseNow() })
	return s, server
}

// TestStreamBytes checks that a Stream reads the payloads of messages as one stream, across
// their boundaries, and that each Write is one message of the Stream's type.
func TestStreamBytes(t *testing.T) {
	s, server := streamPair(t, frame.OpBinary)
	for _, m := range []string{"hel", "", "lo, ", "world"} {
		if err := server.WriteMessage(frame.OpBinary, []byte(m)); err != nil {
			t.Fatal(err)
		}
	}
	got := make([]byte, len("hello, world"))
	for i := range got { // one byte at a time: every read stops inside a message
		if _, err := io.ReadFull(s, got[i:i+1]); err != nil {
			t.Fatal(err)
		}
	}
	if string(got) != "hello, world" {
		t.Fatalf("read %q, want %q", got, "hello, world")
	}

	for _, w := range []string{"one", "two"} {
		if n, err := s.Write([]byte(w)); n != len(w) || err != nil {
			t.Fatalf("Write(%q) = %d, %v", w, n, err)
		}
		op, p, err := server.ReadMessage(nil)
		if err != nil || op != frame.OpBinary || string(p) != w {
			t.Fatalf("server read %v %q, %v; want binary %q", op, p, err, w)
		}
	}
}

// TestStreamEnd checks how a Stream's reads end: io.EOF after the peer's close frame (§7.1.5),
// 1003 for a message of the other type (§7.4.1), an error other than io.EOF when the
// connection drops without a close frame (1006), and net.ErrClosed after Close.
func TestStreamEnd(t *testing.T) {
	t.Run("§7.1.5 close frame reads as io.EOF", func(t *testing.T) {
		s, server := streamPair(t, frame.OpBinary)
		server.WriteMessage(frame.OpBinary, []byte("last"))
		go server.Close(frame.CloseGoingAway, "bye")
		got, err := io.ReadAll(s)
		if err != nil || string(got) != "last" {
			t.Fatalf("ReadAll = %q, %v; want %q and io.EOF", got, err, "last")
		}
	})
	t.Run("§7.4.1 text on a binary stream fails with 1003", func(t *testing.T) {
		s, server := streamPair(t, frame.OpBinary)
		server.WriteMessage(frame.OpText, []byte("text"))
		_, err := s.Read(make([]byte, 10))
		var pe *frame.ProtocolError
		if !errors.As(err, &pe) || pe.Code != frame.CloseUnsupportedData {
			t.Fatalf("Read = %v, want a *frame.ProtocolError with 1003", err)
		}
		_, _, err = server.ReadMessage(nil)
		var ce *CloseError
		if !errors.As(err, &ce) || ce.Code != frame.CloseUnsupportedData {
			t.Fatalf("the peer read %v, want close 1003", err)
		}
	})
	t.Run("§7.1.5 a dropped connection is not io.EOF", func(t *testing.T) {
		s, server := streamPair(t, frame.OpBinary)
		server.CloseNow()
		_, err := s.Read(make([]byte, 10))
		var ce *CloseError
		if err == io.EOF || !errors.As(err, &ce) || ce.Code != frame.CloseAbnormal {
			t.Fatalf("Read = %v, want a *CloseError with 1006", err)
		}
	})
	t.Run("Close runs the closing handshake", func(t *testing.T) {
		s, server := streamPair(t, frame.OpBinary)
		errs := make(chan error, 1)
		go func() {
			_, _, err := server.ReadMessage(nil)
			errs <- err
		}()
		if err := s.Close(); err != nil {
			t.Fatalf("Close: %v", err)
		}
		var ce *CloseError
		if err := <-errs; !errors.As(err, &ce) || ce.Code != frame.CloseNormal {
			t.Fatalf("the peer read %v, want close 1000", err)
		}
		if _, err := s.Read(make([]byte, 1)); !errors.Is(err, net.ErrClosed) {
			t.Fatalf("Read after Close = %v, want net.ErrClosed", err)
		}
		if _, err := s.Write([]byte("x")); !errors.Is(err, net.ErrClosed) {
			t.Fatalf("Write after Close = %v, want net.ErrClosed", err)
		}
	})
}

// TestStreamDeadline checks that a Read that times out leaves the Stream usable: a net.Error
// whose Timeout is true, then the next message once the deadline is cleared.
func TestStreamDeadline(t *testing.T) {
	s, server := streamPair(t, frame.OpBinary)
	s.SetReadDeadline(time.Now().Add(20 * time.Millisecond))
	_, err := s.Read(make([]byte, 10))
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() {
		t.Fatalf("Read past its deadline = %v, want a timeout", err)
	}
	s.SetReadDeadline(time.Time{})
	server.WriteMessage(frame.OpBinary, []byte("after"))
	got := make([]byte, 5)
	if _, err := io.ReadFull(s, got); err != nil || string(got) != "after" {
		t.Fatalf("Read after the timeout = %q, %v", got, err)
	}
}
