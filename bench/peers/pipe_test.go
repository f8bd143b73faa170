package peers_test

import (
	"context"
	"net"
	"sync"
	"testing"

	"github.com/rfc6455/ws/bench/peers/echoservers"
)

// pipeListener is a net.Listener whose connections are in-memory pipes (net.Pipe), so that the
// micro-benchmarks measure the libraries and not the kernel.
type pipeListener struct {
	conns chan net.Conn
	done  chan struct{}
	once  sync.Once
}

func newPipeListener() *pipeListener {
	return &pipeListener{conns: make(chan net.Conn), done: make(chan struct{})}
}

func (l *pipeListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

func (l *pipeListener) Close() error {
	l.once.Do(func() { close(l.done) })
	return nil
}

func (l *pipeListener) Addr() net.Addr { return pipeAddr{} }

// dial returns the client end of a new pipe whose server end the listener accepts.
func (l *pipeListener) dial(ctx context.Context) (net.Conn, error) {
	client, server := net.Pipe()
	select {
	case l.conns <- server:
		return client, nil
	case <-l.done:
		return nil, net.ErrClosed
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

type pipeAddr struct{}

func (pipeAddr) Network() string { return "pipe" }
func (pipeAddr) String() string  { return "pipe" }

// servePipe runs a library's echo server on a new pipe listener until the test ends.
func servePipe(tb testing.TB, lib string) *pipeListener {
	l := newPipeListener()
	go echoservers.Serve(lib, l)
	tb.Cleanup(func() { l.Close() })
	return l
}
