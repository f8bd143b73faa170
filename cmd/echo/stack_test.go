package main

import (
	"bufio"
	"io"
	"net"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/rfc6455/ws/frame"
)

// TestIdleStack checks what the goroutine of an idle connection costs: its stack must stay at
// the runtime's smallest, 2 KiB, both for a connection that has sent nothing yet and for one
// that has had a message echoed. A goroutine keeps a stack it grew, so a frame too many above
// the wait (see session.run) doubles the memory of every idle connection; the stacks of the
// server's goroutines, counted by the runtime, show it. (A message whose payload arrives in
// several pieces, as large ones do, still grows it: the wait for the rest of it sits under the
// frames of the reading and the echo.)
func TestIdleStack(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector enlarges every frame")
	}
	// Connections that do not park: those over TLS or HTTP/2, and on systems without epoll.
	_, url, _ := startServer(t, "-ping-interval", "0", "-park-after", "0")
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

// TestIdleStackKeepalive is TestIdleStack for connections that keepalive pings and that answer
// with pongs: the ping's write and the next deadline are made off the reading goroutine, and
// after the pong it waits for the next message high on its stack (RFC 6455 §5.5.2, §5.5.3), so
// its stack stays at 2 KiB. The clients are bare sockets that one goroutine, this one, answers
// for, so that only the server's goroutines count.
func TestIdleStackKeepalive(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector enlarges every frame")
	}
	ts, _, _ := startServer(t, "-ping-interval", "200ms", "-ping-timeout", "10s", "-park-after", "0")
	addr := strings.TrimPrefix(ts.URL, "http://")
	const conns = 300
	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	goroutines := runtime.NumGoroutine()
	clients := make([]net.Conn, conns)
	readers := make([]*bufio.Reader, conns)
	for i := range clients {
		nc, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { nc.Close() })
		nc.SetDeadline(time.Now().Add(10 * time.Second))
		// The RFC's own key (§1.3); the accept is not checked here.
		io.WriteString(nc, "GET /ws HTTP/1.1\r\nHost: "+addr+"\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"+
			"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
		br := bufio.NewReader(nc)
		for {
			line, err := br.ReadString('\n')
			if err != nil {
				t.Fatalf("connection %d: reading the 101: %v", i, err)
			}
			if line == "\r\n" {
				break
			}
		}
		clients[i], readers[i] = nc, br
	}
	// Two rounds of keepalive: each connection's ping (0x89, no payload) answered by a masked
	// pong (0x8a, mask bit, a key, no payload).
	for round := range 2 {
		for i, nc := range clients {
			var head [2]byte
			if _, err := io.ReadFull(readers[i], head[:]); err != nil {
				t.Fatalf("round %d, connection %d: waiting for a ping: %v", round, i, err)
			}
			if head != [2]byte{0x89, 0x00} {
				t.Fatalf("round %d, connection %d: frame % x, want an empty ping", round, i, head)
			}
			if _, err := nc.Write([]byte{0x8a, 0x80, 1, 2, 3, 4}); err != nil {
				t.Fatal(err)
			}
		}
	}
	// The last pongs read, and keepalive's short-lived goroutines gone.
	for deadline := time.Now().Add(5 * time.Second); runtime.NumGoroutine() != goroutines+conns; {
		if time.Now().After(deadline) {
			t.Fatalf("%d goroutines, want %d", runtime.NumGoroutine(), goroutines+conns)
		}
		time.Sleep(5 * time.Millisecond)
	}
	// Two collections: the first empties the processors' caches of free stacks, the second
	// gives the runtime the spans they held.
	runtime.GC()
	runtime.GC()
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	per := float64(after.StackInuse-before.StackInuse) / conns
	t.Logf("%.0f bytes of stack per idle connection after two pings answered", per)
	// 2 KiB, and the stacks of keepalive's ended goroutines that the runtime still holds:
	// 2.1–3.0 KiB here alone, up to 3.6 KiB right after CI's other tests or beside a loaded
	// machine (2026-12-08: 3604 and 3714 bytes, with the same code at 1311 and 2.4–2.7 KiB in
	// other runs), 4.1 KiB with keepalive's work done on the reading goroutine, which is what
	// this test is for: the limit sits between the two.
	if per > 3.9*(1<<10) {
		t.Errorf("%.0f bytes of stack per idle connection after two pings answered, want 2 KiB", per)
	}
}
