package main

import (
	"context"
	"net"
	"sync/atomic"
	"testing"
)

// TestReusePort checks -reuse-port's listener: a second process's listener (here a second
// socket) on the same address is refused without it, and with it both get connections.
func TestReusePort(t *testing.T) {
	if reusePortControl == nil {
		if _, err := listen(context.Background(), "127.0.0.1:0", true); err != errReusePortUnsupported {
			t.Fatalf("listen with reusePort here: %v, want errReusePortUnsupported", err)
		}
		t.Skip("no SO_REUSEPORT on this system")
	}
	ctx := context.Background()
	first, err := listen(ctx, "127.0.0.1:0", true)
	if err != nil {
		t.Fatal(err)
	}
	defer first.Close()
	addr := first.Addr().String()
	if ln, err := listen(ctx, addr, false); err == nil {
		ln.Close()
		t.Fatal("a second listener without SO_REUSEPORT was allowed on the address")
	}
	second, err := listen(ctx, addr, true)
	if err != nil {
		t.Fatalf("a second listener with SO_REUSEPORT: %v", err)
	}
	defer second.Close()

	// Linux picks a listener by a hash of each connection's addresses: of 64 connections, each
	// from a port of its own, both listeners get some unless the hash is broken (2^-63).
	const dials = 64
	var counts [2]atomic.Int32
	for i, ln := range []net.Listener{first, second} {
		go func() {
			for {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				counts[i].Add(1)
				c.Close()
			}
		}()
	}
	for range dials {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		// Wait for the server's close, so the connection was accepted by one of them.
		c.Read(make([]byte, 1))
		c.Close()
	}
	a, b := counts[0].Load(), counts[1].Load()
	if a+b != dials || a == 0 || b == 0 {
		t.Errorf("connections accepted: %d and %d of %d, want both listeners used", a, b, dials)
	}
}
