// Package pipenet is a net.Listener whose connections are in-memory pipes (net.Pipe), for the
// benchmarks in bench and bench/peers: over a pipe they measure a WebSocket library's own work,
// not the kernel's TCP stack.
package pipenet

import (
	"context"
	"net"
	"sync"
)

// Listener accepts the server ends of the pipes its DialContext makes. The zero Listener is not
// usable; call Listen.
type Listener struct {
	conns chan net.Conn
	done  chan struct{}
	once  sync.Once
}

// Listen returns a new Listener.
func Listen() *Listener {
	return &Listener{conns: make(chan net.Conn), done: make(chan struct{})}
}

// Accept waits for the next DialContext and returns the server end of its pipe.
func (l *Listener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

// Close stops the Listener: Accept and DialContext then fail with net.ErrClosed. Pipes already
// made stay open.
func (l *Listener) Close() error {
	l.once.Do(func() { close(l.done) })
	return nil
}

// Addr returns the Listener's address, which is the same for all of them: "pipe".
func (l *Listener) Addr() net.Addr { return Addr{} }

// DialContext makes a pipe, hands its server end to Accept and returns its client end. The
// network and address are ignored; the signature is that of net.Dialer.DialContext, so that
// a client's dial hook can be set to it.
func (l *Listener) DialContext(ctx context.Context, network, address string) (net.Conn, error) {
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

// Addr is the address of every Listener.
type Addr struct{}

// Network returns "pipe".
func (Addr) Network() string { return "pipe" }

// String returns "pipe".
func (Addr) String() string { return "pipe" }
