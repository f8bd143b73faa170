package main

import (
	"errors"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rfc6455/ws/conn"
	"github.com/rfc6455/ws/frame"
	"github.com/rfc6455/ws/internal/park"
)

// parkingWorks reports whether this system parks connections (Linux).
func parkingWorks() bool {
	p := park.New()
	p.Close()
	return p != nil
}

// waitGoroutines waits until the process has at most want goroutines, and fails the test after a
// few seconds.
func waitGoroutines(t *testing.T, what string, want int) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); runtime.NumGoroutine() > want; {
		if time.Now().After(deadline) {
			t.Fatalf("%s: %d goroutines, want %d", what, runtime.NumGoroutine(), want)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// serverGoroutines returns how many goroutines the process has once the server at url serves: a
// WebSocket has come and gone (its end logged), and the count has held still.
func serverGoroutines(t *testing.T, url string, logs *logBuffer) int {
	t.Helper()
	c := dial(t, url, nil)
	c.Close(frame.CloseNormal, "")
	logs.waitFor(t, "messages=0")
	n := runtime.NumGoroutine()
	for still := 0; still < 10; still++ {
		time.Sleep(20 * time.Millisecond)
		if m := runtime.NumGoroutine(); m != n {
			n, still = m, 0
		}
	}
	return n
}

// TestIdleParks checks that a connection silent for -park-after holds no goroutine, whether it
// has sent nothing or had a message echoed; that a parked connection wakes for its next message,
// echoes it, and parks again; and that each one still ends with its log line.
func TestIdleParks(t *testing.T) {
	if !parkingWorks() {
		t.Skip("no parking on this system")
	}
	_, url, logs := startServer(t, "-ping-interval", "0", "-park-after", "50ms")
	const conns = 300
	goroutines := serverGoroutines(t, url, logs)
	var clients []*conn.Conn
	for i := range conns {
		c := dial(t, url, nil)
		clients = append(clients, c)
		if i%2 == 0 {
			continue // half send nothing before they park
		}
		if err := c.WriteMessage(frame.OpText, payload(frame.OpText, 1<<10)); err != nil {
			t.Fatal(err)
		}
		if _, _, err := c.ReadMessage(nil); err != nil {
			t.Fatal(err)
		}
	}
	waitGoroutines(t, "idle connections", goroutines)
	for round := range 2 {
		for i, c := range clients {
			msg := []byte(strings.Repeat("w", i))
			if err := c.WriteMessage(frame.OpBinary, msg); err != nil {
				t.Fatal(err)
			}
			op, got, err := c.ReadMessage(nil)
			if err != nil || op != frame.OpBinary || string(got) != string(msg) {
				t.Fatalf("round %d, connection %d, woken: %v %q, %v; want its message back", round, i, op, got, err)
			}
		}
		waitGoroutines(t, "connections idle again", goroutines)
	}
	for _, c := range clients {
		c.Close(frame.CloseNormal, "bye")
	}
	for deadline := time.Now().Add(5 * time.Second); strings.Count(logs.String(), "close=1000 reason=\"bye\"") < conns; {
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d parked connections logged their end", strings.Count(logs.String(), "close=1000 reason=\"bye\""), conns)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestParkedKeepalive: a parked connection still gets keepalive's pings (RFC 6455 §5.5.2), since
// it is woken when keepalive's check is due: a client that answers stays connected, and one that
// never reads, and so never answers, is closed when its ping times out.
func TestParkedKeepalive(t *testing.T) {
	if !parkingWorks() {
		t.Skip("no parking on this system")
	}
	_, url, logs := startServer(t, "-ping-interval", "100ms", "-ping-timeout", "300ms", "-park-after", "20ms")
	answering := dial(t, url, nil)
	var mu sync.Mutex
	pings := 0
	answering.SetPingHandler(func([]byte) {
		mu.Lock()
		pings++
		mu.Unlock()
	})
	go func() {
		for {
			if _, _, err := answering.ReadMessage(nil); err != nil {
				return
			}
		}
	}()
	silent := dial(t, url, nil) // never reads: its pongs never go out
	defer silent.CloseNow()
	logs.waitFor(t, "close=1006") // 1006: closed without a close frame that the client read
	mu.Lock()
	got := pings
	mu.Unlock()
	if got < 3 {
		t.Errorf("the answering client got %d pings by the time the silent one was closed, want one per 100 ms", got)
	}
	if n := strings.Count(logs.String(), "messages="); n != 1 {
		t.Errorf("%d connections ended, want the silent one only; log:\n%s", n, logs)
	}
}

// TestShutdownParked: shutdown wakes parked connections, which then read the clients' answers to
// their close frames (1001, §7.4.1), so that it ends cleanly and at once.
func TestShutdownParked(t *testing.T) {
	if !parkingWorks() {
		t.Skip("no parking on this system")
	}
	url, logs, cancel, wait := runServer(t, mustConfig(t, "-park-after", "20ms"), nil)
	goroutines := serverGoroutines(t, url, logs)
	var clients []*conn.Conn
	for range 20 {
		clients = append(clients, dial(t, url, nil))
	}
	waitGoroutines(t, "parked connections", goroutines)
	start := time.Now()
	cancel()
	for i, c := range clients {
		_, _, err := c.ReadMessage(nil)
		var ce *conn.CloseError
		if !errors.As(err, &ce) || ce.Code != frame.CloseGoingAway {
			t.Fatalf("connection %d after shutdown: %v, want close 1001", i, err)
		}
	}
	if err := wait(); err != nil {
		t.Errorf("run: %v", err)
	}
	if took := time.Since(start); took > time.Second {
		t.Errorf("shutdown took %v with parked connections", took)
	}
	if n := strings.Count(logs.String(), "close=1001"); n != len(clients) {
		t.Errorf("%d connections logged close=1001, want %d", n, len(clients))
	}
}
