package main

import (
	"net"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/rfc6455/ws/conn"
	"github.com/rfc6455/ws/frame"
)

// TestIdleStack checks what an idle bridge's two goroutines cost: each must keep the runtime's
// smallest stack, 2 KiB, whether nothing has moved yet or bytes have gone each way. A goroutine
// keeps a stack it grew, so a frame too many above a wait (see serveBridge) doubles the memory
// of every idle bridge; the stacks the runtime counts show it.
func TestIdleStack(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector enlarges every frame")
	}
	for _, tc := range []struct {
		name     string
		up, down bool // the client sends 100 bytes; the backend sends 100 bytes
		warmUp   bool // not measured: fills the runtime's pools of stacks
	}{
		{name: "warm-up", up: true, down: true, warmUp: true},
		{name: "nothing moved"},
		{name: "100 B each way", up: true, down: true},
	} {
		// The backend holds its connections from one goroutine, so that only the bridge's
		// goroutines are counted.
		var mu sync.Mutex
		var held []net.Conn
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		go func() {
			for {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				if tc.down {
					c.Write(make([]byte, 100))
				}
				mu.Lock()
				held = append(held, c)
				mu.Unlock()
			}
		}()
		b := startBridge(t, "-backend", ln.Addr().String(), "-ping-interval", "0")
		const bridges = 300
		runtime.GC()
		var before runtime.MemStats
		runtime.ReadMemStats(&before)
		goroutines := runtime.NumGoroutine()
		var clients []*conn.Conn
		for range bridges {
			c := dial(t, b.url, nil)
			clients = append(clients, c)
			if tc.up {
				if err := c.WriteMessage(frame.OpBinary, make([]byte, 100)); err != nil {
					t.Fatal(err)
				}
			}
			if tc.down {
				readBytes(t, c, 100)
			}
		}
		// Two goroutines a bridge, once net/http's goroutine of each connection has returned
		// from the handler.
		for deadline := time.Now().Add(5 * time.Second); runtime.NumGoroutine() != goroutines+2*bridges; {
			if time.Now().After(deadline) {
				t.Fatalf("%d goroutines, want %d", runtime.NumGoroutine(), goroutines+2*bridges)
			}
			time.Sleep(10 * time.Millisecond)
		}
		if tc.up {
			// Wait for the client's bytes to have gone through.
			time.Sleep(100 * time.Millisecond)
		}
		runtime.GC()
		var after runtime.MemStats
		runtime.ReadMemStats(&after)
		per := float64(after.StackInuse-before.StackInuse) / bridges
		t.Logf("%s: %.0f bytes of stack per idle bridge (two goroutines)", tc.name, per)
		// 4 KiB, and some of the stacks of net/http's goroutines, which served the handshakes
		// and ended, still in the runtime's pools: 4.5 to 5 KiB here. With one of the two
		// goroutines at 4 KiB it was 6.5 KiB.
		if !tc.warmUp && per > 5.5*(1<<10) {
			t.Errorf("%s: %.0f bytes of stack per idle bridge, want 4 KiB (2 KiB a goroutine)", tc.name, per)
		}
		ln.Close()
		for _, c := range clients {
			c.CloseNow()
		}
		mu.Lock()
		for _, c := range held {
			c.Close()
		}
		mu.Unlock()
		// The bridges end with their backends: wait for their goroutines to be gone.
		for deadline := time.Now().Add(5 * time.Second); runtime.NumGoroutine() > goroutines; {
			if time.Now().After(deadline) {
				t.Fatalf("%d goroutines after the backends closed, want %d", runtime.NumGoroutine(), goroutines)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
}
