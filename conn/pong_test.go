package conn

import (
	"bufio"
	"io"
	"net"
	"testing"
	"time"

	"github.com/rfc6455/ws/frame"
)

// pongPeer is a server Conn on one end of a pipe, with the writes that reach its transport
// counted, and a raw client on the other end whose received frames arrive on frames.
type pongPeer struct {
	server  *Conn
	counted *countingConn
	client  net.Conn
	frames  chan wireFrame
}

func newPongPeer(t *testing.T) *pongPeer {
	a, b := net.Pipe()
	t.Cleanup(func() { a.Close(); b.Close() })
	p := &pongPeer{counted: &countingConn{Conn: b}, client: a, frames: make(chan wireFrame, 16)}
	p.server = newConn(p.counted, nil, true, 0, 0, 0, 0)
	go func() {
		defer close(p.frames)
		br := bufio.NewReader(a)
		for {
			h, err := frame.ReadHeader(br)
			if err != nil {
				return
			}
			payload := make([]byte, h.Length)
			if _, err := io.ReadFull(br, payload); err != nil {
				return
			}
			p.frames <- wireFrame{h.Op, string(payload)}
		}
	}()
	return p
}

// send writes b from the client, in one write, without waiting for the server to read it.
func (p *pongPeer) send(t *testing.T, b []byte) {
	go func() {
		p.client.SetWriteDeadline(time.Now().Add(ioTimeout))
		if _, err := p.client.Write(b); err != nil {
			t.Errorf("client write: %v", err)
		}
	}()
}

// expect checks that the client receives want next, within ioTimeout.
func (p *pongPeer) expect(t *testing.T, want wireFrame) {
	t.Helper()
	select {
	case got, ok := <-p.frames:
		if !ok {
			t.Fatalf("connection ended; want %v %q", want.op, want.payload)
		}
		if got != want {
			t.Fatalf("client received %v %q, want %v %q", got.op, got.payload, want.op, want.payload)
		}
	case <-time.After(ioTimeout):
		t.Fatalf("no frame within %v; want %v %q", ioTimeout, want.op, want.payload)
	}
}

// expectFrames checks that the client receives want, in order, and that the server's transport
// saw writes writes in all so far (not checked if writes is negative).
func (p *pongPeer) expectFrames(t *testing.T, writes int64, want ...wireFrame) {
	t.Helper()
	for _, f := range want {
		p.expect(t, f)
	}
	if n := p.counted.writes.Load(); writes >= 0 && n != writes {
		t.Errorf("the server wrote %d times, want %d", n, writes)
	}
}

// TestPongBatching checks when the pongs to pings that arrive together with more input are sent
// (§5.5.2: "as soon as is practical"): together, in order, in one write, once the message in
// progress is read; before the server waits for the network; with the application's answer to
// the message when it writes one within pongDelay, and on their own when it does not.
func TestPongBatching(t *testing.T) {
	// writesWithin returns writes if everything since start took less than pongDelay: then the
	// pong timer, armed after start, cannot have fired, and the pongs must have left with the
	// application's write. On a machine too slow for that, it returns -1: the frames and their
	// order are checked, the write count is not.
	writesWithin := func(t *testing.T, start time.Time, writes int64) int64 {
		if d := time.Since(start); d >= pongDelay {
			t.Logf("the application took %v, more than pongDelay: write count not checked", d)
			return -1
		}
		return writes
	}
	t.Run("§5.5.2 a burst of pings before a message: the pongs leave with the answer", func(t *testing.T) {
		p := newPongPeer(t)
		p.send(t, cat(clientFrame(true, 0, frame.OpPing, "a"), clientFrame(true, 0, frame.OpPing, "b"),
			clientFrame(true, 0, frame.OpPing, "c"), textFrame("m")))
		start := time.Now()
		op, msg, err := p.server.ReadMessage(nil)
		if err != nil || op != frame.OpText || string(msg) != "m" {
			t.Fatalf("ReadMessage = %v %q %v", op, msg, err)
		}
		if err := p.server.WriteMessage(op, msg); err != nil {
			t.Fatal(err)
		}
		p.expectFrames(t, writesWithin(t, start, 1), wantPong("a"), wantPong("b"), wantPong("c"), wantText("m"))
	})
	t.Run("§5.4 pings between fragments: pongs before the echo, in its write", func(t *testing.T) {
		p := newPongPeer(t)
		p.send(t, cat(clientFrame(false, 0, frame.OpText, "he"), clientFrame(true, 0, frame.OpPing, "x"),
			clientFrame(false, 0, frame.OpContinuation, "l"), clientFrame(true, 0, frame.OpPing, "y"),
			clientFrame(true, 0, frame.OpContinuation, "lo")))
		start := time.Now()
		op, msg, err := p.server.ReadMessage(nil)
		if err != nil || string(msg) != "hello" {
			t.Fatalf("ReadMessage = %v %q %v", op, msg, err)
		}
		if err := p.server.WriteMessage(op, msg); err != nil {
			t.Fatal(err)
		}
		p.expectFrames(t, writesWithin(t, start, 1), wantPong("x"), wantPong("y"), wantText("hello"))
	})
	t.Run("§5.4 pings inside a batch of messages: one write for the pongs and every reply", func(t *testing.T) {
		p := newPongPeer(t)
		p.send(t, cat(clientFrame(false, 0, frame.OpText, "m"), clientFrame(true, 0, frame.OpPing, "a"),
			clientFrame(true, 0, frame.OpContinuation, "1"), textFrame("m2"),
			clientFrame(false, 0, frame.OpText, "m"), clientFrame(true, 0, frame.OpPing, "b"),
			clientFrame(true, 0, frame.OpContinuation, "3")))
		start := time.Now()
		for _, want := range []string{"m1", "m2", "m3"} {
			op, msg, err := p.server.ReadMessage(nil)
			if err != nil || string(msg) != want {
				t.Fatalf("ReadMessage = %v %q %v, want %q", op, msg, err, want)
			}
			if p.server.Buffered() > 0 {
				err = p.server.BufferMessage(op, msg)
			} else {
				err = p.server.WriteMessage(op, msg)
			}
			if err != nil {
				t.Fatal(err)
			}
		}
		p.expectFrames(t, writesWithin(t, start, 1), wantPong("a"), wantText("m1"), wantText("m2"), wantPong("b"), wantText("m3"))
	})
	t.Run("§5.5.2 the pong does not wait for the application to handle the message", func(t *testing.T) {
		p := newPongPeer(t)
		// A ping inside a message, and the next message already there. The application
		// neither writes nor reads again: the pong must leave all the same.
		p.send(t, cat(clientFrame(false, 0, frame.OpText, "m"), clientFrame(true, 0, frame.OpPing, "a"),
			clientFrame(true, 0, frame.OpContinuation, "1"), textFrame("m2")))
		op, msg, err := p.server.ReadMessage(nil)
		if err != nil || string(msg) != "m1" {
			t.Fatalf("ReadMessage = %v %q %v, want m1", op, msg, err)
		}
		if p.server.Buffered() == 0 {
			t.Fatal("the second message is not buffered yet; the case checks nothing")
		}
		p.expectFrames(t, 1, wantPong("a"))
		// The replies, buffered while input waits, leave together with the last one.
		if err := p.server.BufferMessage(op, msg); err != nil {
			t.Fatal(err)
		}
		if op, msg, err = p.server.ReadMessage(nil); err != nil || string(msg) != "m2" {
			t.Fatalf("ReadMessage = %v %q %v, want m2", op, msg, err)
		}
		if err := p.server.WriteMessage(op, msg); err != nil {
			t.Fatal(err)
		}
		p.expectFrames(t, 2, wantText("m1"), wantText("m2"))
	})
	t.Run("§5.5.2 a pong is not held while the server waits for the rest of a frame", func(t *testing.T) {
		p := newPongPeer(t)
		msg := textFrame("after the pong")
		// The ping comes with the first byte of the next frame: the server must send the pong
		// before it waits for the rest, which this client sends only once it has the pong.
		p.send(t, cat(clientFrame(true, 0, frame.OpPing, "now"), msg[:1]))
		got := make(chan string, 1)
		go func() {
			_, m, err := p.server.ReadMessage(nil)
			if err != nil {
				t.Error(err)
			}
			got <- string(m)
		}()
		p.expect(t, wantPong("now"))
		p.send(t, msg[1:])
		if m := <-got; m != "after the pong" {
			t.Fatalf("ReadMessage read %q", m)
		}
	})
	t.Run("§5.5.2 on TCP too, a pong is not held while the server waits for the rest of a frame", func(t *testing.T) {
		// On a socket the server first reads what has arrived without waiting
		// (flushBeforeBlocking): the pong must still leave once nothing more has.
		client, server := tcpPair(t)
		c := newConn(server, nil, true, 0, 0, 0, 0)
		rest := clientFrame(true, 0, frame.OpContinuation, "llo")
		first := cat(clientFrame(false, 0, frame.OpText, "he"), clientFrame(true, 0, frame.OpPing, "now"), rest[:1])
		client.SetDeadline(time.Now().Add(ioTimeout))
		if _, err := client.Write(first); err != nil {
			t.Fatal(err)
		}
		got := make(chan string, 1)
		go func() {
			_, m, err := c.ReadMessage(nil)
			if err != nil {
				t.Error(err)
			}
			got <- string(m)
		}()
		h, err := frame.ReadHeader(client)
		if err != nil || h.Op != frame.OpPong || h.Length != 3 {
			t.Fatalf("client read %v, %v; want the pong", h, err)
		}
		payload := make([]byte, h.Length)
		if _, err := io.ReadFull(client, payload); err != nil || string(payload) != "now" {
			t.Fatalf("pong payload %q, %v", payload, err)
		}
		if _, err := client.Write(rest[1:]); err != nil {
			t.Fatal(err)
		}
		if m := <-got; m != "hello" {
			t.Fatalf("ReadMessage read %q", m)
		}
	})
	t.Run("§5.5.2 NextReader: the pong leaves once the Read that ends the message returns", func(t *testing.T) {
		p := newPongPeer(t)
		p.send(t, cat(clientFrame(false, 0, frame.OpBinary, "ab"), clientFrame(true, 0, frame.OpPing, "q"),
			clientFrame(true, 0, frame.OpContinuation, "cd")))
		_, r, err := p.server.NextReader()
		if err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, 2)
		if n, err := io.ReadFull(r, buf); err != nil || string(buf[:n]) != "ab" {
			t.Fatalf("first Read: %q %v", buf[:n], err)
		}
		if n, err := io.ReadFull(r, buf); err != nil || string(buf[:n]) != "cd" {
			t.Fatalf("second Read: %q %v", buf[:n], err)
		}
		p.expect(t, wantPong("q"))
	})
	t.Run("§5.5.2 PollReader: the pong leaves before ErrNoMessage", func(t *testing.T) {
		p := newPongPeer(t)
		// A ping with more input behind it (an unsolicited pong, §5.5.3), and nothing else.
		p.send(t, cat(clientFrame(true, 0, frame.OpPing, "a"), clientFrame(true, 0, frame.OpPong, "x")))
		// The input has run out: the event loop that called PollReader will wait for more,
		// so the pong must have been written when PollReader returns.
		if _, _, err := p.server.PollReader(); err != ErrNoMessage {
			t.Fatalf("PollReader = %v, want ErrNoMessage", err)
		}
		if n := p.counted.writes.Load(); n != 1 {
			t.Errorf("%d writes when PollReader returned, want 1", n)
		}
		p.expectFrames(t, 1, wantPong("a"))
	})
	t.Run("§5.5.2 a lone ping is answered at once", func(t *testing.T) {
		p := newPongPeer(t)
		p.send(t, clientFrame(true, 0, frame.OpPing, "alone"))
		go p.server.ReadMessage(nil) // waits for a message that never comes
		p.expect(t, wantPong("alone"))
	})
}
