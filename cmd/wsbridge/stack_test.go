package main

import (
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/rfc6455/ws/conn"
	"github.com/rfc6455/ws/frame"
)

// heldBackend accepts connections and holds them from one goroutine, writing down bytes to each
// first, so that the goroutines a test counts are the bridge's alone.
type heldBackend struct {
	ln   net.Listener
	mu   sync.Mutex
	held []net.Conn
}

func newHeldBackend(t *testing.T, down int) *heldBackend {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	h := &heldBackend{ln: ln}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			if down > 0 {
				c.Write(make([]byte, down))
			}
			h.mu.Lock()
			h.held = append(h.held, c)
			h.mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		h.mu.Lock()
		for _, c := range h.held {
			c.Close()
		}
		h.mu.Unlock()
	})
	return h
}

func (h *heldBackend) conns() []net.Conn {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]net.Conn(nil), h.held...)
}

// waitGoroutines waits until at most want goroutines run, and fails the test after a few seconds.
func waitGoroutines(t *testing.T, what string, want int) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); runtime.NumGoroutine() > want; {
		if time.Now().After(deadline) {
			t.Fatalf("%s: %d goroutines, want %d", what, runtime.NumGoroutine(), want)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestIdleParks checks that an idle bridge holds no goroutine, and so no stack: both its
// directions park (see package park) once neither socket has anything to read, whether nothing has
// moved yet or bytes have gone each way; and that a parked bridge wakes for input on either
// side, relays it, and parks again. Before the parker each idle bridge held two goroutines,
// 4 KiB of stack at the least.
func TestIdleParks(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector enlarges every stack")
	}
	for _, tc := range []struct {
		name     string
		up, down bool // the client sends 100 bytes; the backend sends 100 bytes
	}{
		{name: "nothing moved"},
		{name: "100 B each way", up: true, down: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			down := 0
			if tc.down {
				down = 100
			}
			backend := newHeldBackend(t, down)
			b := startBridge(t, "-backend", backend.ln.Addr().String(), "-ping-interval", "0")
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
			waitGoroutines(t, "idle bridges", goroutines)
			runtime.GC()
			var after runtime.MemStats
			runtime.ReadMemStats(&after)
			t.Logf("%s: %d goroutines for %d idle bridges; stack in use %+.0f bytes per bridge", tc.name,
				runtime.NumGoroutine()-goroutines, bridges, (float64(after.StackInuse)-float64(before.StackInuse))/bridges)

			// Wake every bridge from both sides: the client's bytes reach the backend, and
			// the backend's reach the client.
			held := backend.conns()
			if len(held) != bridges {
				t.Fatalf("the backend holds %d connections, want %d", len(held), bridges)
			}
			for _, c := range clients {
				if err := c.WriteMessage(frame.OpBinary, []byte("wake up")); err != nil {
					t.Fatal(err)
				}
			}
			for _, nc := range held {
				want := []byte("wake up")
				if tc.up {
					want = append(make([]byte, 100), want...)
				}
				got := make([]byte, len(want))
				nc.SetReadDeadline(time.Now().Add(testTimeout))
				if _, err := io.ReadFull(nc, got); err != nil || !bytes.Equal(got, want) {
					t.Fatalf("the backend read %q, %v; want %q", got, err, want)
				}
				if _, err := nc.Write([]byte("back")); err != nil {
					t.Fatal(err)
				}
			}
			for _, c := range clients {
				if got := readBytes(t, c, 4); string(got) != "back" {
					t.Fatalf("the client read %q, want %q", got, "back")
				}
			}
			waitGoroutines(t, "bridges idle again", goroutines)

			for _, c := range clients {
				c.CloseNow()
			}
			for _, nc := range held {
				nc.Close()
			}
			for deadline := time.Now().Add(testTimeout); b.logs.count("backend_end=") < bridges; {
				if time.Now().After(deadline) {
					t.Fatalf("%d of %d bridges ended after their clients left", b.logs.count("backend_end="), bridges)
				}
				time.Sleep(10 * time.Millisecond)
			}
		})
	}
}

// TestParkedKeepalive: a parked client side still gets keepalive's pings, since the bridge wakes
// it when a check is due (conn.PollReader): a client that answers stays connected, and one that
// never reads, and so never answers, is closed when its ping times out.
func TestParkedKeepalive(t *testing.T) {
	b := startBridge(t, "-backend", backend(t, echoBackend), "-ping-interval", "100ms", "-ping-timeout", "300ms")
	answering := dial(t, b.url, nil)
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
	silent := dial(t, b.url, nil) // never reads: its pongs never go out
	defer silent.CloseNow()
	b.logs.waitFor(t, "client=close=1006")
	time.Sleep(300 * time.Millisecond)
	mu.Lock()
	got := pings
	mu.Unlock()
	if got < 3 {
		t.Errorf("the answering client got %d pings, want one per 100 ms", got)
	}
	if n := b.logs.count("backend_end="); n != 1 {
		t.Errorf("%d bridges ended, want only the silent client's:\n%s", n, b.logs)
	}
	answering.CloseNow()
}

// TestParkingStress relays bursts with pauses between them, both ways, through many bridges at
// once, so that their directions park and wake thousands of times, with client pings (control
// frames only, conn.ErrNoMessage) among the messages: every byte must come back from the echo
// backend, in order, and every bridge must end when its client closes.
func TestParkingStress(t *testing.T) {
	b := startBridge(t, "-backend", backend(t, echoBackend), "-ping-interval", "0")
	clients, rounds := 50, 40
	if testing.Short() {
		clients, rounds = 10, 10
	}
	var wg sync.WaitGroup
	errs := make(chan error, clients)
	for i := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(i), 1))
			c := dial(t, b.url, nil)
			defer c.Close(frame.CloseNormal, "")
			var sent, got []byte
			for round := range rounds {
				burst := make([]byte, 1+rng.IntN(20<<10))
				for j := range burst {
					burst[j] = byte(rng.Uint32())
				}
				for len(burst) > 0 {
					n := min(len(burst), 1+rng.IntN(4<<10))
					if err := c.WriteMessage(frame.OpBinary, burst[:n]); err != nil {
						errs <- err
						return
					}
					sent = append(sent, burst[:n]...)
					burst = burst[n:]
				}
				if round%3 == 0 {
					c.Ping([]byte("are you there"))
				}
				c.SetReadDeadline(time.Now().Add(testTimeout))
				for len(got) < len(sent) {
					_, p, err := c.ReadMessage(nil)
					if err != nil {
						errs <- fmt.Errorf("client %d, round %d: %d of %d bytes back: %w", i, round, len(got), len(sent), err)
						return
					}
					got = append(got, p...)
				}
				if !bytes.Equal(got, sent) {
					errs <- fmt.Errorf("client %d, round %d: the bytes came back changed", i, round)
					return
				}
				// A pause: both directions of the bridge park.
				time.Sleep(time.Duration(rng.IntN(3000)) * time.Microsecond)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	for deadline := time.Now().Add(testTimeout); b.logs.count("backend_end=") < clients; {
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d bridges ended", b.logs.count("backend_end="), clients)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
