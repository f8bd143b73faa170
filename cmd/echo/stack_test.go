package main

import (
	"runtime"
	"testing"
	"time"

	"github.com/rfc6455/ws/frame"
)

// TestIdleStack checks what the goroutine of an idle connection costs: its stack must stay at
// the runtime's smallest, 2 KiB, both for a connection that has sent nothing yet and for one
// that has had a message echoed. A goroutine keeps a stack it grew, so a frame too many above
// the wait (see serveConn) doubles the memory of every idle connection; the stacks of the
// server's goroutines, counted by the runtime, show it. (A message whose payload arrives in
// several pieces, as large ones do, still grows it: the wait for the rest of it sits under the
// frames of the reading and the echo.)
func TestIdleStack(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector enlarges every frame")
	}
	_, url, _ := startServer(t, "-ping-interval", "0")
	for _, tc := range []struct {
		name string
		op   frame.Opcode
		size int // -1: nothing sent
	}{
		{"nothing sent", 0, -1},
		{"binary 100 B echoed", frame.OpBinary, 100},
		{"text 1 KiB echoed", frame.OpText, 1 << 10},
	} {
		const conns = 400
		runtime.GC()
		var before runtime.MemStats
		runtime.ReadMemStats(&before)
		goroutines := runtime.NumGoroutine()
		for range conns {
			c := dial(t, url, nil)
			if tc.size >= 0 {
				if err := c.WriteMessage(tc.op, payload(tc.op, tc.size)); err != nil {
					t.Fatal(err)
				}
				if _, _, err := c.ReadMessage(nil); err != nil {
					t.Fatal(err)
				}
			}
		}
		// Each connection's goroutine starts once its handshake is done; the dialing side
		// has none.
		for deadline := time.Now().Add(5 * time.Second); runtime.NumGoroutine() < goroutines+conns; {
			if time.Now().After(deadline) {
				t.Fatalf("%d goroutines, want %d", runtime.NumGoroutine(), goroutines+conns)
			}
			time.Sleep(10 * time.Millisecond)
		}
		runtime.GC()
		var after runtime.MemStats
		runtime.ReadMemStats(&after)
		per := float64(after.StackInuse-before.StackInuse) / conns
		t.Logf("%s: %.0f bytes of stack per idle connection", tc.name, per)
		if per > 3<<10 {
			t.Errorf("%s: %.0f bytes of stack per idle connection, want 2 KiB", tc.name, per)
		}
	}
}
