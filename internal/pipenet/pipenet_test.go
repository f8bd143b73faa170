package pipenet

import (
	"context"
	"errors"
	"io"
	"net"
	"testing"
	"time"
)

// TestDialAccept checks that bytes written at one end of a dialed pipe come out of the end that
// Accept returned, both ways.
func TestDialAccept(t *testing.T) {
	l := Listen()
	defer l.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, err := l.Accept()
		if err != nil {
			t.Error(err)
		}
		accepted <- c
	}()
	client, err := l.DialContext(context.Background(), "pipe", "pipe")
	if err != nil {
		t.Fatal(err)
	}
	server := <-accepted
	go client.Write([]byte("ping"))
	buf := make([]byte, 4)
	if _, err := io.ReadFull(server, buf); err != nil || string(buf) != "ping" {
		t.Fatalf("server read %q, %v", buf, err)
	}
	go server.Write([]byte("pong"))
	if _, err := io.ReadFull(client, buf); err != nil || string(buf) != "pong" {
		t.Fatalf("client read %q, %v", buf, err)
	}
}

// TestClose checks that a closed Listener refuses both Accept and DialContext, and that a dial
// nobody accepts gives up with its context.
func TestClose(t *testing.T) {
	l := Listen()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	if _, err := l.DialContext(ctx, "pipe", "pipe"); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("unaccepted dial: %v, want the context's deadline", err)
	}
	l.Close()
	l.Close() // a second Close is harmless
	if _, err := l.Accept(); !errors.Is(err, net.ErrClosed) {
		t.Errorf("Accept after Close: %v", err)
	}
	if _, err := l.DialContext(context.Background(), "pipe", "pipe"); !errors.Is(err, net.ErrClosed) {
		t.Errorf("DialContext after Close: %v", err)
	}
	if got := l.Addr().String(); got != "pipe" {
		t.Errorf("Addr = %q", got)
	}
}
