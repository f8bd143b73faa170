package main

import (
	"context"
	"errors"
	"log"
	"net"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/rfc6455/ws/frame"
)

// exhaustedListener fails its first accepts as a process out of file descriptors does.
type exhaustedListener struct {
	net.Listener
	failures atomic.Int32
}

func (l *exhaustedListener) Accept() (net.Conn, error) {
	if l.failures.Add(-1) >= 0 {
		return nil, &net.OpError{Op: "accept", Net: "tcp", Err: syscall.EMFILE}
	}
	return l.Listener.Accept()
}

// TestAcceptOutOfFiles: running out of file descriptors (EMFILE) is waited out, not the end
// of the server (it was, before: bench/c100k found it at 20,000 connections).
func TestAcceptOutOfFiles(t *testing.T) {
	inner, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ln := &exhaustedListener{Listener: inner}
	ln.failures.Store(4)
	logs := new(logBuffer)
	s := newServer(mustConfig(t), log.New(logs, "", 0))
	s.shutdownTimeout = time.Second
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.run(ctx, ln) }()
	c := dial(t, "ws://"+inner.Addr().String()+"/ws", nil)
	if err := c.WriteMessage(frame.OpText, []byte("still here")); err != nil {
		t.Fatal(err)
	}
	if _, got, err := c.ReadMessage(nil); err != nil || string(got) != "still here" {
		t.Fatalf("echo after EMFILE: %q, %v", got, err)
	}
	logs.waitFor(t, "too many open files; waiting for connections to close", "accepting again")
	c.Close(frame.CloseNormal, "")
	cancel()
	select {
	case err := <-done:
		if err != nil && !errors.Is(err, net.ErrClosed) {
			t.Errorf("run: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("run did not return")
	}
}
