package conn

import (
	"errors"
	"io"
	"net"
	"testing"
	"time"

	"github.com/rfc6455/ws/frame"
)

// idlePeer is a server Conn over TCP (so that its reads wait in the runtime's poller, as a
// deployed server's do) and the raw client socket that feeds it frames.
func idlePeer(t *testing.T) (server *Conn, client net.Conn) {
	client, nc := tcpPair(t)
	return newConn(nc, nil, true, 0, 0, 0, 0), client
}

// TestNextReaderIdle checks NextReaderIdle's contract: ErrNoMessage once the peer has been
// silent for the idle time between frames, with the Conn usable after it; a message that comes
// in time is returned; a ping within the wait is answered (§5.5.2) and counts as input; and a
// frame that has begun is read whole however long it stalls.
func TestNextReaderIdle(t *testing.T) {
	const idle = 60 * time.Millisecond
	type step struct {
		after time.Duration // when the client writes, from the start of NextReaderIdle
		bytes []byte
	}
	for _, tc := range []struct {
		name  string
		steps []step
		want  string // the message, or "" for ErrNoMessage
		least time.Duration
	}{
		{name: "silence: ErrNoMessage after idle", want: "", least: idle},
		{name: "a message in time is returned", steps: []step{{idle / 3, textFrame("hello")}}, want: "hello"},
		{
			name:  "§5.5.2: a ping within the wait is answered and counts as input",
			steps: []step{{idle / 2, clientFrame(true, 0, frame.OpPing, "p")}},
			want:  "", least: idle/2 + idle,
		},
		{
			name:  "§5.2: a header that has begun is read whole, however long the rest takes",
			steps: []step{{0, textFrame("slow")[:1]}, {3 * idle, textFrame("slow")[1:]}},
			want:  "slow",
		},
		{
			name:  "§5.4: a fragmented message that has begun is read whole",
			steps: []step{{0, clientFrame(false, 0, frame.OpText, "frag")}, {3 * idle, clientFrame(true, 0, frame.OpContinuation, "mented")}},
			want:  "fragmented",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			server, client := idlePeer(t)
			server.SetWriteDeadline(time.Now().Add(ioTimeout))
			go io.Copy(io.Discard, client) // the pong
			start := time.Now()
			go func() {
				for _, s := range tc.steps {
					time.Sleep(time.Until(start.Add(s.after)))
					client.Write(s.bytes)
				}
			}()
			op, r, err := server.NextReaderIdle(idle)
			took := time.Since(start)
			if tc.want == "" {
				if !errors.Is(err, ErrNoMessage) {
					t.Fatalf("NextReaderIdle: %v, %v; want ErrNoMessage", op, err)
				}
				if took < tc.least {
					t.Fatalf("ErrNoMessage after %v; want at least %v", took, tc.least)
				}
			} else {
				if err != nil {
					t.Fatalf("NextReaderIdle: %v; want %q", err, tc.want)
				}
				got, err := io.ReadAll(r)
				if err != nil || op != frame.OpText || string(got) != tc.want {
					t.Fatalf("NextReaderIdle: %v %q, %v; want text %q", op, got, err, tc.want)
				}
			}
			// The Conn goes on as before: the next message reads, from NextReader too.
			client.Write(textFrame("after"))
			server.SetReadDeadline(time.Now().Add(ioTimeout))
			op, r, err = server.NextReader()
			if err != nil {
				t.Fatalf("NextReader after: %v", err)
			}
			if got, _ := io.ReadAll(r); string(got) != "after" {
				t.Fatalf("NextReader after: %q; want \"after\"", got)
			}
		})
	}
}

// TestNextReaderIdleBusy: a connection whose messages keep coming, each within the idle time of
// the last, is never reported idle, though the whole run lasts many idle times (the deadline,
// set once, expires and moves on).
func TestNextReaderIdleBusy(t *testing.T) {
	const idle = 40 * time.Millisecond
	server, client := idlePeer(t)
	go func() {
		for range 20 {
			client.Write(textFrame("tick"))
			time.Sleep(idle / 4)
		}
	}()
	for i := range 20 {
		_, r, err := server.NextReaderIdle(idle)
		if err != nil {
			t.Fatalf("message %d: %v", i, err)
		}
		io.Copy(io.Discard, r)
	}
	if _, _, err := server.NextReaderIdle(idle); !errors.Is(err, ErrNoMessage) {
		t.Fatalf("after the last message: %v; want ErrNoMessage", err)
	}
}

// TestNextReaderIdleDeadlines: the application's read deadline still ends a read with a timeout,
// whether it comes before the idle time or is set after NextReaderIdle has armed its own; and a
// reader that is not idle-bound (NextReader, after NextReaderIdle) is not cut off by the idle
// deadline left armed.
func TestNextReaderIdleDeadlines(t *testing.T) {
	t.Run("the application's earlier deadline is a timeout", func(t *testing.T) {
		server, _ := idlePeer(t)
		server.SetReadDeadline(time.Now().Add(20 * time.Millisecond))
		_, _, err := server.NextReaderIdle(time.Second)
		if errors.Is(err, ErrNoMessage) || !isTimeout(err) {
			t.Fatalf("NextReaderIdle: %v; want os.ErrDeadlineExceeded", err)
		}
	})
	t.Run("NextReader after NextReaderIdle waits past the idle time", func(t *testing.T) {
		const idle = 30 * time.Millisecond
		server, client := idlePeer(t)
		client.Write(textFrame("one"))
		if _, r, err := server.NextReaderIdle(idle); err != nil {
			t.Fatal(err)
		} else {
			io.Copy(io.Discard, r)
		}
		go func() {
			time.Sleep(4 * idle)
			client.Write(textFrame("two"))
		}()
		_, r, err := server.NextReader()
		if err != nil {
			t.Fatalf("NextReader: %v; want the message sent after 4 idle times", err)
		}
		if got, _ := io.ReadAll(r); string(got) != "two" {
			t.Fatalf("NextReader: %q", got)
		}
	})
}

// TestNextReaderIdleKeepAlive: with keepalive's interval shorter than the idle time, keepalive
// pings within the wait, and the peer's pongs count as input, so a peer that answers is never
// idle; a peer that does not answer is failed with ErrPingTimeout.
func TestNextReaderIdleKeepAlive(t *testing.T) {
	p := newPongPeer(t)
	p.server.startKeepAlive(20*time.Millisecond, 100*time.Millisecond)
	done := make(chan error, 1)
	go func() {
		_, _, err := p.server.NextReaderIdle(50 * time.Millisecond)
		done <- err
	}()
	for range 4 {
		select {
		case f, ok := <-p.frames:
			if !ok || f.op != frame.OpPing {
				t.Fatalf("got %v %q (open: %v), want a keepalive ping", f.op, f.payload, ok)
			}
			p.send(t, clientFrame(true, 0, frame.OpPong, f.payload))
		case err := <-done:
			t.Fatalf("NextReaderIdle ended while the peer answered: %v", err)
		case <-time.After(ioTimeout):
			t.Fatal("no keepalive ping")
		}
	}
	select {
	case err := <-done:
		if !errors.Is(err, ErrPingTimeout) && !errors.Is(err, ErrNoMessage) {
			t.Fatalf("after the peer fell silent: %v, want ErrPingTimeout or ErrNoMessage", err)
		}
	case <-time.After(ioTimeout):
		t.Fatal("NextReaderIdle never returned once the peer fell silent")
	}
}

// TestKeepAliveDue: KeepAliveDue is zero without keepalive; with it, it is the next check, and a
// read begun after it pings (§5.5.2), so that a caller that parked the Conn and wakes at
// KeepAliveDue keeps keepalive's schedule.
func TestKeepAliveDue(t *testing.T) {
	p := newPongPeer(t)
	if due := p.server.KeepAliveDue(); !due.IsZero() {
		t.Fatalf("KeepAliveDue without keepalive: %v; want zero", due)
	}
	const interval = 40 * time.Millisecond
	start := time.Now()
	p.server.startKeepAlive(interval, time.Second)
	due := p.server.KeepAliveDue()
	if due.Before(start.Add(interval)) || due.After(time.Now().Add(interval)) {
		t.Fatalf("KeepAliveDue: %v after the start; want %v", due.Sub(start), interval)
	}
	time.Sleep(time.Until(due))
	go p.server.NextReaderIdle(time.Second)
	p.expect(t, wireFrame{frame.OpPing, ""})
	// The next check is armed just after the ping's write.
	for wait := time.Now().Add(ioTimeout); !p.server.KeepAliveDue().After(due); {
		if time.Now().After(wait) {
			t.Fatalf("KeepAliveDue after the ping: %v; want later than %v", p.server.KeepAliveDue(), due)
		}
		time.Sleep(time.Millisecond)
	}
}

// TestNextReaderIdleAlreadySilent: a peer that has been silent for the idle time by the time of
// the call, since the last byte of its last message, gets ErrNoMessage at once, not after another
// idle time; after ErrNoMessage the wait begins afresh.
func TestNextReaderIdleAlreadySilent(t *testing.T) {
	const idle = 50 * time.Millisecond
	server, client := idlePeer(t)
	client.Write(textFrame("one"))
	_, r, err := server.NextReaderIdle(idle)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, r)
	time.Sleep(2 * idle) // the application's work on the message
	start := time.Now()
	if _, _, err := server.NextReaderIdle(idle); !errors.Is(err, ErrNoMessage) {
		t.Fatalf("after %v of silence: %v; want ErrNoMessage", 2*idle, err)
	}
	if took := time.Since(start); took >= idle {
		t.Fatalf("ErrNoMessage after %v; want it at once", took)
	}
	start = time.Now()
	if _, _, err := server.NextReaderIdle(idle); !errors.Is(err, ErrNoMessage) {
		t.Fatalf("the next wait: %v; want ErrNoMessage", err)
	}
	if took := time.Since(start); took < idle {
		t.Fatalf("the next wait ended after %v; want a whole idle time, %v", took, idle)
	}
}
