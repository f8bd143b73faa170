package conn

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rfc6455/ws/frame"
	"github.com/rfc6455/ws/handshake"
)

const (
	testPingInterval = 100 * time.Millisecond
	testPingTimeout  = 150 * time.Millisecond
	// keepAliveSlack is how much later than interval + timeout a dead peer may be found: the
	// bound is loose because the machine may be busy, and what is tested is that the connection
	// ends, and no sooner than it should.
	keepAliveSlack = 3 * time.Second
)

// expectPingTimeout checks that err ends a connection closed by keepalive: a *CloseError with
// 1006 (§7.1.5: no close frame was received) wrapping ErrPingTimeout, no sooner than interval +
// timeout after start and not much later.
func expectPingTimeout(t *testing.T, err error, start time.Time) {
	t.Helper()
	elapsed := time.Since(start)
	var ce *CloseError
	if !errors.As(err, &ce) || ce.Code != frame.CloseAbnormal || !errors.Is(err, ErrPingTimeout) {
		t.Fatalf("read error = %v, want a *CloseError 1006 wrapping ErrPingTimeout", err)
	}
	if min := testPingInterval + testPingTimeout; elapsed < min || elapsed > min+keepAliveSlack {
		t.Errorf("keepalive closed the connection after %v, want %v (interval + timeout) or a little more", elapsed, min)
	}
}

// awaitPingTimeout waits for the server's read, which began at start, to end as keepalive ends
// it (see expectPingTimeout).
func awaitPingTimeout(t *testing.T, readErr chan error, start *atomic.Int64) {
	t.Helper()
	select {
	case err := <-readErr:
		expectPingTimeout(t, err, time.Unix(0, start.Load()))
	case <-time.After(testPingInterval + testPingTimeout + keepAliveSlack):
		t.Fatal("keepalive did not end the connection")
	}
}

// TestKeepAliveSilentPeer: a server that reads everything but never answers (no pong, no
// frame): the client's keepalive sends a ping after PingInterval, then a close frame with 1011
// after PingTimeout, and the read fails with ErrPingTimeout (RFC 6455 §5.5.2, §7.1.7).
func TestKeepAliveSilentPeer(t *testing.T) {
	seen := make(chan string, 4)
	srv := startRawServer(t, func(p *serverPeer) error {
		if err := p.accept(nil); err != nil {
			return err
		}
		for {
			h, payload, err := p.readFrame()
			if err != nil {
				return nil // the client closed the connection
			}
			if h.Op == frame.OpClose {
				code, _, _ := frame.ParseClose(payload)
				seen <- fmt.Sprintf("close %d", code)
				continue
			}
			seen <- h.Op.String()
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), ioTimeout)
	defer cancel()
	c, _, err := Dial(ctx, srv.url, &DialOptions{PingInterval: testPingInterval, PingTimeout: testPingTimeout})
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	start := time.Now()
	_, _, err = c.ReadMessage(nil)
	expectPingTimeout(t, err, start)
	for _, want := range []string{"ping", fmt.Sprintf("close %d", frame.CloseInternalError)} {
		select {
		case got := <-seen:
			if got != want {
				t.Errorf("the server saw %s, want %s", got, want)
			}
		case <-time.After(ioTimeout):
			t.Fatalf("the server never saw %s", want)
		}
	}
}

// TestKeepAliveStuckPeer: a client that stops reading (its socket buffers fill with a message the
// server is writing) and sends nothing: the server's writer is stuck, so keepalive cannot even
// send its ping, and still fails the connection after PingInterval + PingTimeout, which also
// releases the stuck writer.
func TestKeepAliveStuckPeer(t *testing.T) {
	readErr := make(chan error, 1)
	writeErr := make(chan error, 1)
	var start atomic.Int64
	srv := startEchoServerWith(t, func(c *Conn) {
		go func() { writeErr <- c.WriteMessage(frame.OpBinary, make([]byte, 64<<20)) }()
		_, _, err := c.ReadMessage(nil)
		readErr <- err
	}, &UpgradeOptions{PingInterval: testPingInterval, PingTimeout: testPingTimeout})
	// Keepalive counts the silence from the handshake's last byte: the clock starts before the
	// dial, for the handler may run milliseconds after that on a loaded machine.
	start.Store(time.Now().UnixNano())
	client := dialRaw(t, srv, handshake.AppendRequest(nil, "/", srv, handshake.NewKey(), nil, "", nil))
	defer client.nc.Close()
	awaitPingTimeout(t, readErr, &start)
	select {
	case err := <-writeErr:
		if err == nil {
			t.Error("the stuck write succeeded")
		}
	case <-time.After(ioTimeout):
		t.Fatal("the stuck write was not released")
	}
}

// TestKeepAliveAnsweringPeer: against a peer that answers pings, keepalive keeps an idle
// connection open for ten intervals and more, and the pongs arrive (§5.5.3).
func TestKeepAliveAnsweringPeer(t *testing.T) {
	srv := startEchoServer(t, nil)
	ctx, cancel := context.WithTimeout(context.Background(), ioTimeout)
	defer cancel()
	c, _, err := Dial(ctx, srv.url, &DialOptions{PingInterval: testPingInterval / 4, PingTimeout: testPingTimeout})
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	var pongs atomic.Int32
	c.SetPongHandler(func([]byte) { pongs.Add(1) })
	// An application read deadline beyond ten intervals: keepalive's own deadlines come first
	// and must not end the read.
	c.SetReadDeadline(time.Now().Add(10 * testPingInterval / 4))
	_, _, err = c.ReadMessage(nil)
	if !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("read = %v, want the application's deadline to end it", err)
	}
	if n := pongs.Load(); n < 5 {
		t.Errorf("%d pongs in ten intervals, want one an interval or so", n)
	}
}

// TestKeepAliveServerSide: the server's keepalive finds a client that never answers.
func TestKeepAliveServerSide(t *testing.T) {
	readErr := make(chan error, 1)
	var start atomic.Int64
	srv := startEchoServerWith(t, func(c *Conn) {
		_, _, err := c.ReadMessage(nil)
		readErr <- err
	}, &UpgradeOptions{PingInterval: testPingInterval, PingTimeout: testPingTimeout})
	// As in TestKeepAliveStuckPeer, the clock starts before the dial.
	start.Store(time.Now().UnixNano())
	client := dialRaw(t, srv, handshake.AppendRequest(nil, "/", srv, handshake.NewKey(), nil, "", nil))
	defer client.nc.Close()
	awaitPingTimeout(t, readErr, &start)
	client.expectFrame(t, frame.OpPing, "")
	client.expectClose(t, frame.CloseInternalError)
}

// TestPingWait measures a round trip to a peer that answers, and gives up at the context's
// deadline on one that does not.
func TestPingWait(t *testing.T) {
	srv := startEchoServer(t, nil)
	ctx, cancel := context.WithTimeout(context.Background(), ioTimeout)
	defer cancel()
	c, _, err := Dial(ctx, srv.url, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	go c.ReadMessage(nil) // PingWait needs a reader to see the pong
	for range 3 {
		rtt, err := c.PingWait(ctx)
		if err != nil || rtt <= 0 {
			t.Fatalf("PingWait = %v, %v; want a round-trip time", rtt, err)
		}
	}

	silent := startRawServer(t, func(p *serverPeer) error {
		if err := p.accept(nil); err != nil {
			return err
		}
		return p.drain()
	})
	c2, _, err := Dial(ctx, silent.url, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c2.CloseNow()
	go c2.ReadMessage(nil)
	short, cancelShort := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancelShort()
	if _, err := c2.PingWait(short); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("PingWait on a peer that never answers = %v, want context.DeadlineExceeded", err)
	}
}

// startEchoServerWith starts a server that upgrades with opts and hands each Conn to handle, and
// returns its address.
func startEchoServerWith(t *testing.T, handle func(c *Conn), opts *UpgradeOptions) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := Upgrade(w, r, opts)
		if err != nil {
			return
		}
		defer c.CloseNow()
		handle(c)
	}))
	t.Cleanup(srv.Close)
	return srv.Listener.Addr().String()
}
