package conn

import (
	"errors"
	"io"
	"testing"
	"time"

	"github.com/rfc6455/ws/frame"
)

// TestPollReader checks PollReader's contract, each case on a fresh connection: it reads the
// connection once, handles the control frames it finds (§5.5.2: a ping is answered), and
// returns ErrNoMessage rather than waiting when the input ends between frames; a message that
// has begun is read whole; and the Conn goes on after ErrNoMessage as if nothing happened.
func TestPollReader(t *testing.T) {
	for _, tc := range []struct {
		name  string
		sends [][]byte // each written in one write, the next after the previous PollReader
		want  []string // per PollReader: the message it returns, or "" for ErrNoMessage
		pongs []string // what the client must receive, in order
	}{
		{
			name:  "§5.5.2: a ping alone is answered, and no message begins",
			sends: [][]byte{clientFrame(true, 0, frame.OpPing, "p1")},
			want:  []string{""},
			pongs: []string{"p1"},
		},
		{
			name:  "a ping and a message in one read: the message",
			sends: [][]byte{append(clientFrame(true, 0, frame.OpPing, "p1"), textFrame("hello")...)},
			want:  []string{"hello"},
			pongs: []string{"p1"},
		},
		{
			name:  "after ErrNoMessage the next message reads as before",
			sends: [][]byte{clientFrame(true, 0, frame.OpPing, "p1"), textFrame("next")},
			want:  []string{"", "next"},
			pongs: []string{"p1"},
		},
		{
			name:  "§5.4: a fragmented message that has begun is read whole, a ping inside it answered",
			sends: [][]byte{append(append(clientFrame(false, 0, frame.OpText, "frag"), clientFrame(true, 0, frame.OpPing, "p2")...), clientFrame(true, 0, frame.OpContinuation, "mented")...)},
			want:  []string{"fragmented"},
			pongs: []string{"p2"},
		},
		{
			name:  "two messages in one read: the second without reading again",
			sends: [][]byte{append(textFrame("one"), textFrame("two")...)},
			want:  []string{"one", "two"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := newPongPeer(t)
			// A PollReader that waits where it must not fails the case, rather than hanging it.
			p.server.SetReadDeadline(time.Now().Add(time.Second))
			sent := 0
			for i, want := range tc.want {
				if sent < len(tc.sends) && (i == 0 || want == "" || tc.want[i-1] == "") {
					p.send(t, tc.sends[sent])
					sent++
				}
				op, r, err := p.server.PollReader()
				if want == "" {
					if !errors.Is(err, ErrNoMessage) {
						t.Fatalf("PollReader %d: %v, %v; want ErrNoMessage", i, op, err)
					}
					continue
				}
				if err != nil {
					t.Fatalf("PollReader %d: %v; want %q", i, err, want)
				}
				got, err := io.ReadAll(r)
				if err != nil || op != frame.OpText || string(got) != want {
					t.Fatalf("PollReader %d: %v %q, %v; want text %q", i, op, got, err, want)
				}
			}
			for _, pong := range tc.pongs {
				p.expect(t, wireFrame{frame.OpPong, pong})
			}
		})
	}
}

// TestPollReaderKeepAlive: a caller that parks the connection and calls PollReader again by
// PingInterval keeps keepalive working. Each call waits in its one read until keepalive's check
// is due, pings, and returns ErrNoMessage once the pong has come; a peer that does not answer
// gets the Conn closed with ErrPingTimeout.
func TestPollReaderKeepAlive(t *testing.T) {
	p := newPongPeer(t)
	p.server.startKeepAlive(20*time.Millisecond, 200*time.Millisecond)
	done := make(chan error, 1)
	go func() {
		for {
			_, _, err := p.server.PollReader()
			if !errors.Is(err, ErrNoMessage) {
				done <- err
				return
			}
		}
	}()
	// Answer two pings, then fall silent.
	for range 2 {
		select {
		case f, ok := <-p.frames:
			if !ok || f.op != frame.OpPing {
				t.Fatalf("got %v %q (open: %v), want a keepalive ping", f.op, f.payload, ok)
			}
			p.send(t, clientFrame(true, 0, frame.OpPong, f.payload))
		case <-time.After(ioTimeout):
			t.Fatal("no keepalive ping")
		}
	}
	select {
	case err := <-done:
		if !errors.Is(err, ErrPingTimeout) {
			t.Fatalf("PollReader after the peer fell silent: %v, want ErrPingTimeout", err)
		}
	case <-time.After(ioTimeout):
		t.Fatal("keepalive never gave up on a silent peer")
	}
}
