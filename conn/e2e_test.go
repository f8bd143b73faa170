package conn

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rfc6455/ws/frame"
)

// echoHandler upgrades with opts and echoes every message with its own opcode, as cmd/echo does.
// The error that ended its read loop is sent on done, if done is not nil.
func echoHandler(opts *UpgradeOptions, done chan<- error) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := Upgrade(w, r, opts)
		if err != nil {
			return
		}
		defer c.Close(frame.CloseNormal, "")
		var buf []byte
		for {
			op, p, err := c.ReadMessage(buf)
			if err != nil {
				if done != nil {
					done <- err
				}
				return
			}
			buf = p
			if err := c.WriteMessage(op, p); err != nil {
				if done != nil {
					done <- err
				}
				return
			}
		}
	})
}

func wsURL(httpURL string) string { return "ws" + strings.TrimPrefix(httpURL, "http") }

func dialTest(t testing.TB, url string, opts *DialOptions) *Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, _, err := Dial(ctx, url, opts)
	if err != nil {
		t.Fatalf("Dial(%s): %v", url, err)
	}
	t.Cleanup(func() { c.CloseNow() })
	return c
}

// TestEchoSizes sends messages of every length class of §5.2 (7-bit, 16-bit and 64-bit lengths)
// through a client and a server over real TCP, and over TLS.
func TestEchoSizes(t *testing.T) {
	sizes := []int{0, 1, 125, 126, 127, 128, 65535, 65536, 1 << 20}
	for _, secure := range []bool{false, true} {
		name := "ws"
		srv := httptest.NewUnstartedServer(echoHandler(nil, nil))
		if secure {
			name = "wss"
			srv.StartTLS()
		} else {
			srv.Start()
		}
		defer srv.Close()
		t.Run(name, func(t *testing.T) {
			opts := &DialOptions{}
			if secure {
				opts.TLSConfig = srv.Client().Transport.(*http.Transport).TLSClientConfig
			}
			c := dialTest(t, wsURL(srv.URL), opts)
			var buf []byte
			for _, n := range sizes {
				for _, op := range []frame.Opcode{frame.OpText, frame.OpBinary} {
					msg := bytes.Repeat([]byte("é-"), n/3+1)[:n]
					if op == frame.OpText {
						msg = bytes.Repeat([]byte("a"), n)
					}
					if err := c.WriteMessage(op, msg); err != nil {
						t.Fatalf("write %d: %v", n, err)
					}
					gotOp, p, err := c.ReadMessage(buf)
					if err != nil {
						t.Fatalf("read %d: %v", n, err)
					}
					buf = p
					if gotOp != op || !bytes.Equal(p, msg) {
						t.Fatalf("size %d %v: echoed %v of %d bytes", n, op, gotOp, len(p))
					}
				}
			}
			if err := c.Close(frame.CloseNormal, ""); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestSeedFlow is the seed document's exchange: a client offering "soap, wamp" to a server that
// speaks wamp (§1.9, §4.2.2) sends "Hello from the client!" and gets it back.
func TestSeedFlow(t *testing.T) {
	srv := httptest.NewServer(echoHandler(&UpgradeOptions{Subprotocols: []string{"wamp"}}, nil))
	defer srv.Close()
	c := dialTest(t, wsURL(srv.URL), &DialOptions{Subprotocols: []string{"soap", "wamp"}})
	if got := c.Subprotocol(); got != "wamp" {
		t.Fatalf("Subprotocol() = %q, want wamp", got)
	}
	if err := c.WriteMessage(frame.OpText, []byte("Hello from the client!")); err != nil {
		t.Fatal(err)
	}
	op, p, err := c.ReadMessage(nil)
	if err != nil || op != frame.OpText || string(p) != "Hello from the client!" {
		t.Fatalf("ReadMessage = %v %q %v", op, p, err)
	}
}

// TestStreaming writes a message in pieces with NextWriter (so it goes out in fragments, §5.4)
// and reads it back in pieces with NextReader.
func TestStreaming(t *testing.T) {
	srv := httptest.NewServer(echoHandler(nil, nil))
	defer srv.Close()
	c := dialTest(t, wsURL(srv.URL), &DialOptions{WriteBufferSize: 512})
	var fragments int
	c.SetTrace(func(sent bool, h frame.Header) {
		if sent && h.Op.IsData() || sent && h.Op == frame.OpContinuation {
			fragments++
		}
	})
	want := bytes.Repeat([]byte("0123456789"), 10000)
	w, err := c.NextWriter(frame.OpText)
	if err != nil {
		t.Fatal(err)
	}
	for rest := want; len(rest) > 0; {
		n := min(len(rest), 777)
		if _, err := w.Write(rest[:n]); err != nil {
			t.Fatal(err)
		}
		rest = rest[n:]
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if fragments < len(want)/512 {
		t.Errorf("sent %d fragments, want at least %d", fragments, len(want)/512)
	}
	op, r, err := c.NextReader()
	if err != nil || op != frame.OpText {
		t.Fatalf("NextReader = %v, %v", op, err)
	}
	got, err := io.ReadAll(r)
	if err != nil || !bytes.Equal(got, want) {
		t.Fatalf("streamed echo: %d bytes, %v", len(got), err)
	}
}

// TestNextReaderDiscardsUnread checks that asking for the next message skips what the caller
// left unread of the previous one, and that the old reader then refuses to read.
func TestNextReaderDiscardsUnread(t *testing.T) {
	srv := httptest.NewServer(echoHandler(nil, nil))
	defer srv.Close()
	c := dialTest(t, wsURL(srv.URL), nil)
	c.WriteMessage(frame.OpBinary, bytes.Repeat([]byte{1}, 10000))
	c.WriteMessage(frame.OpText, []byte("second"))
	_, r1, err := c.NextReader()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r1.Read(make([]byte, 10)); err != nil {
		t.Fatal(err)
	}
	op, p, err := c.ReadMessage(nil)
	if err != nil || op != frame.OpText || string(p) != "second" {
		t.Fatalf("ReadMessage after a partly read message = %v %q %v", op, p, err)
	}
	if _, err := r1.Read(make([]byte, 10)); !errors.Is(err, errStaleReader) {
		t.Fatalf("stale reader: err = %v, want errStaleReader", err)
	}
}

// TestConcurrentWriters has many goroutines write at once, whole messages and streamed ones,
// plus pings; the server must receive every message intact (frames never interleave).
func TestConcurrentWriters(t *testing.T) {
	srv := httptest.NewServer(echoHandler(nil, nil))
	defer srv.Close()
	c := dialTest(t, wsURL(srv.URL), &DialOptions{WriteBufferSize: 256})
	const writers, each = 8, 20
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			msg := bytes.Repeat([]byte{byte('a' + w)}, 1000+w)
			for i := range each {
				if i%2 == 0 {
					if err := c.WriteMessage(frame.OpText, msg); err != nil {
						t.Error(err)
						return
					}
				} else {
					wr, _ := c.NextWriter(frame.OpText)
					wr.Write(msg[:500])
					c.Ping([]byte("mid-message ping"))
					wr.Write(msg[500:])
					if err := wr.Close(); err != nil {
						t.Error(err)
						return
					}
				}
			}
		}()
	}
	var buf []byte
	for range writers * each {
		_, p, err := c.ReadMessage(buf)
		if err != nil {
			t.Fatal(err)
		}
		buf = p
		w := int(p[0] - 'a')
		if len(p) != 1000+w || !bytes.Equal(p, bytes.Repeat(p[:1], len(p))) {
			t.Fatalf("message interleaved: %d bytes starting %q", len(p), p[:1])
		}
	}
	wg.Wait()
}

// TestCloseFromServer checks §7.1.2/§7.1.5: a close started by the server reaches the client
// with the server's code and reason, and the server's Close returns once the client answered.
func TestCloseFromServer(t *testing.T) {
	closed := make(chan error, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := Upgrade(w, r, nil)
		if err != nil {
			return
		}
		closed <- c.Close(frame.CloseGoingAway, "server shutting down")
	}))
	defer srv.Close()
	c := dialTest(t, wsURL(srv.URL), nil)
	_, _, err := c.ReadMessage(nil)
	var ce *CloseError
	if !errors.As(err, &ce) || ce.Code != frame.CloseGoingAway || ce.Reason != "server shutting down" {
		t.Fatalf("client read: %v, want CloseError 1001", err)
	}
	select {
	case err := <-closed:
		if err != nil {
			t.Fatalf("server Close: %v", err)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("server Close did not return after the client's reply")
	}
	// Reads after the close keep returning the same error.
	if _, _, err2 := c.ReadMessage(nil); err2 != err {
		t.Fatalf("second read: %v, want %v", err2, err)
	}
	if err := c.WriteMessage(frame.OpText, []byte("late")); err != ErrCloseSent {
		t.Fatalf("write after close: %v, want ErrCloseSent", err)
	}
}

// TestCloseWhileReading closes from one goroutine while another is blocked reading: the reader
// sees the peer's close reply and Close returns promptly.
func TestCloseWhileReading(t *testing.T) {
	srv := httptest.NewServer(echoHandler(nil, nil))
	defer srv.Close()
	c := dialTest(t, wsURL(srv.URL), nil)
	readErr := make(chan error, 1)
	go func() {
		_, _, err := c.ReadMessage(nil)
		readErr <- err
	}()
	time.Sleep(20 * time.Millisecond)
	start := time.Now()
	if err := c.Close(frame.CloseNormal, "done"); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("Close took %v", d)
	}
	var ce *CloseError
	if err := <-readErr; !errors.As(err, &ce) || ce.Code != frame.CloseNormal {
		t.Fatalf("reader: %v, want the server's 1000 echo", err)
	}
}

// TestCloseWithStuckWriter checks that a writer blocked on a peer that reads nothing cannot keep
// Close from finishing (§7.1.2 asks for the close frame; a bounded wait is all an endpoint can
// give it): Close fails the stuck write after the close timeout and returns an error, and the
// writer gets one too.
func TestCloseWithStuckWriter(t *testing.T) {
	const closeTimeout = 200 * time.Millisecond
	a, b := net.Pipe() // b never reads: a's writes block
	t.Cleanup(func() { a.Close(); b.Close() })
	c := newConn(a, nil, true, 0, 0, 0, closeTimeout)
	writeErr := make(chan error, 1)
	go func() { writeErr <- c.WriteMessage(frame.OpBinary, make([]byte, 1<<20)) }()
	time.Sleep(20 * time.Millisecond) // let the writer take the wire
	start := time.Now()
	err := c.Close(frame.CloseNormal, "")
	if err == nil {
		t.Error("Close reported success, but the close frame could not be sent")
	}
	if d := time.Since(start); d > 3*closeTimeout+time.Second {
		t.Errorf("Close took %v with a close timeout of %v", d, closeTimeout)
	}
	select {
	case err := <-writeErr:
		if err == nil {
			t.Error("the stuck write reported success")
		}
	case <-time.After(time.Second):
		t.Fatal("the stuck writer was still blocked after Close returned")
	}
}

// TestCloseRejectsReservedCodes checks §7.4: codes that must never be sent are refused.
func TestCloseRejectsReservedCodes(t *testing.T) {
	srv := httptest.NewServer(echoHandler(nil, nil))
	defer srv.Close()
	c := dialTest(t, wsURL(srv.URL), nil)
	for _, code := range []frame.CloseCode{0, 999, 1004, 1006, 1015, 2000, 5000} {
		if err := c.Close(code, ""); err == nil {
			t.Errorf("Close(%d) = nil, want an error (§7.4)", code)
		}
	}
}

// TestControlPayloadLimit checks §5.5: Ping and Pong refuse payloads over 125 bytes.
func TestControlPayloadLimit(t *testing.T) {
	srv := httptest.NewServer(echoHandler(nil, nil))
	defer srv.Close()
	c := dialTest(t, wsURL(srv.URL), nil)
	if err := c.Ping(make([]byte, 126)); err == nil {
		t.Error("Ping(126 bytes) = nil, want an error (§5.5)")
	}
	if err := c.Pong(make([]byte, 126)); err == nil {
		t.Error("Pong(126 bytes) = nil, want an error (§5.5)")
	}
	got := make(chan string, 1)
	c.SetPongHandler(func(p []byte) { got <- string(p) })
	if err := c.Ping(bytes.Repeat([]byte("p"), 125)); err != nil {
		t.Fatal(err)
	}
	c.WriteMessage(frame.OpText, []byte("x"))
	if _, _, err := c.ReadMessage(nil); err != nil {
		t.Fatal(err)
	}
	select {
	case p := <-got:
		if p != strings.Repeat("p", 125) {
			t.Fatalf("pong payload %q", p)
		}
	default:
		t.Fatal("no pong seen before the echo (§5.5.2)")
	}
}

// TestCloseWriteKeepsReading checks CloseWrite: after this side's close frame (§7.1.2) the reader
// still receives the messages the peer sent before it saw that frame, then the peer's close.
func TestCloseWriteKeepsReading(t *testing.T) {
	srv := httptest.NewServer(echoHandler(nil, nil))
	defer srv.Close()
	c := dialTest(t, wsURL(srv.URL), nil)
	for _, m := range []string{"one", "two", "three"} {
		if err := c.WriteMessage(frame.OpText, []byte(m)); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.CloseWrite(frame.CloseNormal, "input ended"); err != nil {
		t.Fatal(err)
	}
	if err := c.WriteMessage(frame.OpText, []byte("four")); err != ErrCloseSent {
		t.Fatalf("write after CloseWrite: %v, want ErrCloseSent (§5.5.1)", err)
	}
	for _, want := range []string{"one", "two", "three"} {
		_, p, err := c.ReadMessage(nil)
		if err != nil || string(p) != want {
			t.Fatalf("ReadMessage = %q, %v; want %q", p, err, want)
		}
	}
	_, _, err := c.ReadMessage(nil)
	var ce *CloseError
	if !errors.As(err, &ce) || ce.Code != frame.CloseNormal {
		t.Fatalf("after the echoes: %v, want the server's 1000", err)
	}
	select {
	case <-c.closedSignal():
	case <-time.After(time.Second):
		t.Fatal("transport still open after the close handshake")
	}
}
