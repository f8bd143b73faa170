package park

import (
	"net"
	"runtime"
	"testing"
	"time"
)

// tcpPair returns both ends of a loopback TCP connection.
func tcpPair(t *testing.T) (client, server *net.TCPConn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	s, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close(); s.Close() })
	return c.(*net.TCPConn), s.(*net.TCPConn)
}

// parked is a Spot and a channel its wake function reports on.
type parked struct {
	Spot
	woken chan struct{}
}

func newParked(t *testing.T, c *net.TCPConn) *parked {
	p := &parked{woken: make(chan struct{}, 4)}
	if !p.Init(c, func() { p.woken <- struct{}{} }) {
		t.Fatal("Init: no descriptor for a TCP connection")
	}
	return p
}

func (p *parked) wokenWithin(d time.Duration) bool {
	select {
	case <-p.woken:
		return true
	case <-time.After(d):
		return false
	}
}

// TestParker checks the Parker's contract: a parked socket wakes once when input arrives, or at
// once if input is already there; it wakes for the peer's FIN too; each Park reports one wake,
// however much more arrives; and a forgotten Spot never wakes.
func TestParker(t *testing.T) {
	p := New()
	if p == nil {
		t.Fatal("New: nil on Linux")
	}
	defer p.Close()

	t.Run("input wakes a parked socket, once per Park", func(t *testing.T) {
		client, server := tcpPair(t)
		s := newParked(t, server)
		if !p.Park(&s.Spot) {
			t.Fatal("Park refused")
		}
		if s.wokenWithin(50 * time.Millisecond) {
			t.Fatal("woken with nothing to read")
		}
		client.Write([]byte("x"))
		if !s.wokenWithin(time.Second) {
			t.Fatal("not woken by input")
		}
		client.Write([]byte("y"))
		if s.wokenWithin(50 * time.Millisecond) {
			t.Fatal("woken twice by one Park (not one-shot)")
		}
		// Parked again with the input unread: level-triggered, it wakes at once.
		if !p.Park(&s.Spot) || !s.wokenWithin(time.Second) {
			t.Fatal("a socket parked with input waiting was not woken")
		}
	})
	t.Run("the peer's FIN wakes", func(t *testing.T) {
		client, server := tcpPair(t)
		s := newParked(t, server)
		p.Park(&s.Spot)
		client.CloseWrite()
		if !s.wokenWithin(time.Second) {
			t.Fatal("not woken by FIN")
		}
	})
	t.Run("a forgotten Spot is not woken", func(t *testing.T) {
		client, server := tcpPair(t)
		s := newParked(t, server)
		p.Park(&s.Spot)
		p.Forget(&s.Spot)
		client.Write([]byte("x"))
		if s.wokenWithin(100 * time.Millisecond) {
			t.Fatal("a forgotten Spot woke")
		}
	})
}

// TestParkerNil: a nil Parker, what New returns where parking is not possible, parks nothing.
func TestParkerNil(t *testing.T) {
	var p *Parker
	_, server := tcpPair(t)
	s := newParked(t, server)
	if p.Park(&s.Spot) {
		t.Fatal("a nil Parker parked")
	}
	p.Forget(&s.Spot)
	p.Close()
}

// TestParkerCollects: once collectBatch more sockets are parked than at the last collection, the
// Parker asks for a garbage collection, which frees the stacks of the goroutines that parked
// them; fewer parked sockets ask for none.
func TestParkerCollects(t *testing.T) {
	p := New()
	defer p.Close()
	park := func(n int) {
		for range n {
			_, server := tcpPair(t)
			if !p.Park(&newParked(t, server).Spot) {
				t.Fatal("Park refused")
			}
		}
	}
	numGC := func() uint32 {
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return m.NumGC
	}
	before := numGC()
	park(collectBatch - 1)
	time.Sleep(collectInterval + collectDelay)
	if got := numGC(); got != before {
		t.Fatalf("%d collections with %d parked; want none", got-before, collectBatch-1)
	}
	park(1)
	deadline := time.Now().Add(collectInterval + collectDelay + time.Second)
	for numGC() == before {
		if time.Now().After(deadline) {
			t.Fatalf("no collection once %d were parked", collectBatch)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
