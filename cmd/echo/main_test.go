package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rfc6455/ws/conn"
	"github.com/rfc6455/ws/frame"
	"github.com/rfc6455/ws/handshake"
	"github.com/rfc6455/ws/internal/testcert"
)

// logBuffer collects a server's log lines; handlers log from their own
// goroutines, possibly after a test has looked, so it is locked.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// waitFor waits until the log contains every one of want, and fails the
// test after a few seconds.
func (b *logBuffer) waitFor(t *testing.T, want ...string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		got := b.String()
		missing := ""
		for _, w := range want {
			if !strings.Contains(got, w) {
				missing = w
				break
			}
		}
		if missing == "" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("log lacks %q; log:\n%s", missing, got)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// mustConfig parses args as the command line would.
func mustConfig(t *testing.T, args ...string) config {
	t.Helper()
	cfg, err := parseFlags(args)
	if err != nil {
		t.Fatalf("parseFlags(%q): %v", args, err)
	}
	return cfg
}

// testServer is a running echo server: URL is its http:// address.
type testServer struct{ URL string }

// startServer runs the whole server configured by args, as main does (the
// accept loop of accept.go in front of net/http), on a loopback listener,
// and returns it, its ws:// URL and its log.
func startServer(t *testing.T, args ...string) (*testServer, string, *logBuffer) {
	t.Helper()
	return startTunedServer(t, func(*server) {}, args...)
}

// startTunedServer is startServer with tune applied to the server before it runs, to shorten
// its timeouts. The server is shut down, and waited for, when the test ends.
func startTunedServer(t *testing.T, tune func(*server), args ...string) (*testServer, string, *logBuffer) {
	t.Helper()
	url, logs, cancel, wait := runServer(t, mustConfig(t, args...), func(s *server) {
		s.shutdownTimeout = time.Second
		tune(s)
	})
	t.Cleanup(func() {
		cancel()
		wait()
	})
	return &testServer{URL: "http" + strings.TrimPrefix(url, "ws")}, url, logs
}

// TestEchoThroughNetHTTP checks the routes net/http serves for requests
// that do not come first on their connection: the WebSocket upgrade there
// goes through conn.Upgrade.
func TestEchoThroughNetHTTP(t *testing.T) {
	s := newServer(mustConfig(t, "-subprotocols", "wamp"), log.New(io.Discard, "", 0))
	ts := httptest.NewServer(s.handler())
	defer ts.Close()
	for _, path := range []string{"/", "/ws"} {
		c := dial(t, "ws"+strings.TrimPrefix(ts.URL, "http")+path, &conn.DialOptions{Subprotocols: []string{"soap", "wamp"}})
		if c.Subprotocol() != "wamp" {
			t.Errorf("%s: subprotocol %q, want wamp", path, c.Subprotocol())
		}
		if err := c.WriteMessage(frame.OpText, []byte("hello")); err != nil {
			t.Fatal(err)
		}
		if op, p, err := c.ReadMessage(nil); err != nil || op != frame.OpText || string(p) != "hello" {
			t.Fatalf("%s: echo = %v %q %v", path, op, p, err)
		}
	}
}

// dialRaw opens a TCP connection to the server for a test that speaks HTTP by hand, bounded in
// time and closed when the test ends.
func dialRaw(t *testing.T, ts *testServer) net.Conn {
	t.Helper()
	nc, err := net.Dial("tcp", strings.TrimPrefix(ts.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	nc.SetDeadline(time.Now().Add(5 * time.Second))
	return nc
}

// TestPageThenWebSocket sends a page request and then a WebSocket
// handshake on the same keep-alive connection: the first goes to net/http
// from the accept loop, the second is upgraded by net/http's route.
func TestPageThenWebSocket(t *testing.T) {
	ts, _, _ := startServer(t)
	nc := dialRaw(t, ts)
	br := bufio.NewReader(nc)
	host := strings.TrimPrefix(ts.URL, "http://")
	fmt.Fprintf(nc, "GET / HTTP/1.1\r\nHost: %s\r\n\r\n", host)
	resp, err := http.ReadResponse(br, nil)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("page: %v %v", resp, err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	key := handshake.NewKey()
	nc.Write(handshake.AppendRequest(nil, "/ws", host, key, nil, "", nil))
	resp, err = http.ReadResponse(br, nil)
	if err != nil || resp.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("handshake after the page: %v %v", resp, err)
	}
	if got := resp.Header.Get("Sec-WebSocket-Accept"); got != handshake.AcceptKey(key) {
		t.Errorf("§4.2.2: Sec-WebSocket-Accept %q, want %q", got, handshake.AcceptKey(key))
	}
}

// TestHeadTooLarge checks that the accept loop bounds a request head: a
// client that sends more than handshakeMaxHead gets 431 (RFC 6585 §5).
func TestHeadTooLarge(t *testing.T) {
	ts, _, _ := startServer(t)
	nc := dialRaw(t, ts)
	go fmt.Fprintf(nc, "GET /ws HTTP/1.1\r\nHost: x\r\nX-Filler: %s\r\n\r\n", strings.Repeat("a", handshakeMaxHead))
	resp, err := http.ReadResponse(bufio.NewReader(nc), nil)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
		t.Errorf("status %d, want 431", resp.StatusCode)
	}
}

// TestStalledRequests checks that a client that stops in the middle of a request, of its head
// or of a body it announced, is cut off after the handshake timeout instead of holding its
// connection (net/http reads what is left of a body before it answers).
func TestStalledRequests(t *testing.T) {
	ts, _, _ := startTunedServer(t, func(s *server) { s.handshakeTimeout = 100 * time.Millisecond })
	for _, c := range []struct{ name, sent string }{
		{"half a head", "GET / HTTP/1.1\r\nHost: x\r\n"},
		{"a body announced, not sent", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\nabc"},
		{"a body after a first request", "GET / HTTP/1.1\r\nHost: x\r\n\r\n" +
			"POST /ws HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\nabc"},
	} {
		t.Run(c.name, func(t *testing.T) {
			nc := dialRaw(t, ts)
			if _, err := io.WriteString(nc, c.sent); err != nil {
				t.Fatal(err)
			}
			nc.SetReadDeadline(time.Now().Add(5 * time.Second))
			if _, err := io.Copy(io.Discard, nc); err != nil {
				t.Fatalf("the server kept the connection open: %v", err)
			}
		})
	}
}

// TestNonWebSocketUpgrade checks that a request for / that offers another protocol's upgrade
// (h2c, RFC 7540 §3.2) is served the page, as net/http serves it, rather than taken for a
// failed WebSocket handshake.
func TestNonWebSocketUpgrade(t *testing.T) {
	ts, _, _ := startServer(t)
	for _, first := range []bool{true, false} {
		nc := dialRaw(t, ts)
		req := "GET / HTTP/1.1\r\nHost: x\r\nConnection: Upgrade, HTTP2-Settings\r\n" +
			"Upgrade: h2c\r\nHTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n\r\n"
		if !first {
			// The same request second on its connection goes through net/http's routes.
			req = "GET / HTTP/1.1\r\nHost: x\r\n\r\n" + req
		}
		go io.WriteString(nc, req)
		br := bufio.NewReader(nc)
		if !first {
			resp, err := http.ReadResponse(br, nil)
			if err != nil {
				t.Fatal(err)
			}
			io.Copy(io.Discard, resp.Body)
		}
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != http.StatusOK {
			t.Errorf("first on its connection %v: status %d, want 200 and the page", first, resp.StatusCode)
		}
	}
}

// TestClientThatDoesNotRead checks that a client that sends a message and never reads the echo
// is dropped after the write timeout, so that it no longer holds the reply's buffer.
func TestClientThatDoesNotRead(t *testing.T) {
	_, url, logs := startTunedServer(t, func(s *server) { s.writeTimeout = 200 * time.Millisecond })
	c := dial(t, url+"/ws", nil)
	// More than loopback's socket buffers hold in both directions, so the echo's write blocks.
	// The server streams the echo of so large a message while it arrives, so it may drop the
	// client before the whole message is sent: this write may fail.
	c.WriteMessage(frame.OpBinary, payload(frame.OpBinary, 24<<20))
	logs.waitFor(t, "i/o timeout")
}

// dial connects to url and closes the connection at the end of the test.
func dial(t *testing.T, url string, opts *conn.DialOptions) *conn.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, _, err := conn.Dial(ctx, url, opts)
	if err != nil {
		t.Fatalf("Dial %s: %v", url, err)
	}
	t.Cleanup(func() { c.CloseNow() })
	return c
}

// payload returns n bytes: printable ASCII (valid UTF-8) for text, random
// bytes for binary.
func payload(op frame.Opcode, n int) []byte {
	p := make([]byte, n)
	if op == frame.OpBinary {
		rand.Read(p)
		return p
	}
	for i := range p {
		p[i] = byte('a' + i%26)
	}
	return p
}

func TestEcho(t *testing.T) {
	// 125, 126 and 65536 sit at the edges of the 7-bit, 16-bit and 64-bit
	// length encodings of RFC 6455 §5.2.
	sizes := []int{0, 125, 126, 65536, 1 << 20}
	_, url, _ := startServer(t)
	for _, path := range []string{"/ws", "/"} {
		c := dial(t, url+path, nil)
		for _, op := range []frame.Opcode{frame.OpText, frame.OpBinary} {
			for _, n := range sizes {
				want := payload(op, n)
				if err := c.WriteMessage(op, want); err != nil {
					t.Fatalf("%s: write %v %d bytes: %v", path, op, n, err)
				}
				gotOp, got, err := c.ReadMessage(nil)
				if err != nil {
					t.Fatalf("%s: read echo of %v %d bytes: %v", path, op, n, err)
				}
				if gotOp != op || !bytes.Equal(got, want) {
					t.Errorf("%s: sent %v %d bytes, got back %v %d bytes (equal: %v)",
						path, op, n, gotOp, len(got), bytes.Equal(got, want))
				}
			}
		}
		if err := c.Close(frame.CloseNormal, ""); err != nil {
			t.Errorf("%s: Close: %v", path, err)
		}
	}
}

// TestSeed replays the seed note: a server configured for wamp, a client
// that offers "soap, wamp" at the root path and sends one greeting.
func TestSeed(t *testing.T) {
	_, url, logs := startServer(t, "-subprotocols", "wamp")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, resp, err := conn.Dial(ctx, url, &conn.DialOptions{Subprotocols: []string{"soap", "wamp"}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	if got := c.Subprotocol(); got != "wamp" {
		t.Errorf("Subprotocol() = %q, want wamp", got)
	}
	if got := resp.Header.Get("Sec-WebSocket-Protocol"); got != "wamp" {
		t.Errorf("response Sec-WebSocket-Protocol = %q, want wamp", got)
	}

	const greeting = "Hello from the client!"
	if err := c.WriteMessage(frame.OpText, []byte(greeting)); err != nil {
		t.Fatal(err)
	}
	op, msg, err := c.ReadMessage(nil)
	if err != nil {
		t.Fatal(err)
	}
	if op != frame.OpText || string(msg) != greeting {
		t.Errorf("got %v %q, want text %q", op, msg, greeting)
	}
	if err := c.Close(frame.CloseNormal, "bye"); err != nil {
		t.Fatal(err)
	}
	// One line per connection, nothing per message without -v.
	logs.waitFor(t, `subprotocol="wamp"`, "close=1000", `reason="bye"`, "messages=1", "duration=")
	if strings.Contains(logs.String(), "text 22 bytes") {
		t.Errorf("message logged without -v:\n%s", logs)
	}
}

func TestSubprotocolNegotiation(t *testing.T) {
	tests := []struct {
		name    string
		server  []string // flags
		offered []string
		want    string
	}{
		{"default: none negotiated", nil, []string{"soap", "wamp"}, ""},
		{"server preference wins (§4.2.2)", []string{"-subprotocols", "wamp,soap,mqtt"}, []string{"soap", "wamp"}, "wamp"},
		{"first common one", []string{"-subprotocols", "mqtt,soap"}, []string{"soap", "wamp"}, "soap"},
		{"no overlap: none", []string{"-subprotocols", "mqtt"}, []string{"soap", "wamp"}, ""},
		{"client offers none", []string{"-subprotocols", "wamp"}, nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, url, _ := startServer(t, tt.server...)
			c := dial(t, url+"/ws", &conn.DialOptions{Subprotocols: tt.offered})
			if got := c.Subprotocol(); got != tt.want {
				t.Errorf("Subprotocol() = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestPage(t *testing.T) {
	ts, _, _ := startServer(t)

	resp, err := http.Get(ts.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET / = %s", resp.Status)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		t.Errorf("Content-Type = %q, want text/html", ct)
	}
	for _, want := range []string{
		"new WebSocket(",               // connects with the browser's API
		`location.host + "/ws"`,        // default URL: this host's /ws
		`"wss://"`,                     // over TLS when the page came over https
		`value="soap"`, `value="wamp"`, // subprotocol boxes
		`value="mqtt"`,
		`binaryType = "arraybuffer"`,
		"ws.protocol",
		"crypto.getRandomValues",
		"event.code", "event.reason", // close code and reason
		"ws.close(",
	} {
		if !bytes.Contains(body, []byte(want)) {
			t.Errorf("page lacks %q", want)
		}
	}
	if bytes.Contains(body, []byte("src=")) || bytes.Contains(body, []byte("href=")) {
		t.Errorf("page loads external resources")
	}

	statusTests := []struct {
		method, path string
		want         int
	}{
		{http.MethodHead, "/", http.StatusOK},
		{http.MethodPost, "/", http.StatusMethodNotAllowed},
		{http.MethodGet, "/other", http.StatusNotFound},
	}
	for _, tt := range statusTests {
		req, _ := http.NewRequest(tt.method, ts.URL+tt.path, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tt.want {
			t.Errorf("%s %s = %d, want %d", tt.method, tt.path, resp.StatusCode, tt.want)
		}
	}

	// /ws is WebSocket only: a plain GET is a failed handshake, not a page.
	resp, err = http.Get(ts.URL + "/ws")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode < 400 {
		t.Errorf("plain GET /ws = %s, want a 4xx handshake error", resp.Status)
	}
}

func TestOrigins(t *testing.T) {
	tests := []struct {
		name   string
		flags  []string
		origin string // "": the server's own origin
		ok     bool
	}{
		{"same origin, default", nil, "", true},
		{"cross origin, default: 403 (§4.2.2, §10.2)", nil, "http://evil.example", false},
		{"star allows all", []string{"-origins", "*"}, "http://evil.example", true},
		{"listed host", []string{"-origins", "evil.example"}, "http://evil.example", true},
		{"listed host and port", []string{"-origins", "127.0.0.1:8765"}, "http://127.0.0.1:8765", true},
		{"other port", []string{"-origins", "127.0.0.1:8765"}, "http://127.0.0.1:9999", false},
		{"wildcard subdomain", []string{"-origins", "*.example.com"}, "https://app.example.com", true},
		{"wildcard does not match others", []string{"-origins", "*.example.com"}, "https://example.org", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts, url, _ := startServer(t, tt.flags...)
			origin := tt.origin
			if origin == "" {
				origin = ts.URL
			}
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			c, resp, err := conn.Dial(ctx, url+"/ws", &conn.DialOptions{Origin: origin})
			if tt.ok {
				if err != nil {
					t.Fatalf("Origin %s refused: %v", origin, err)
				}
				c.CloseNow()
				return
			}
			if err == nil {
				c.CloseNow()
				t.Fatalf("Origin %s accepted, want 403", origin)
			}
			if resp == nil || resp.StatusCode != http.StatusForbidden {
				t.Fatalf("Origin %s: resp %v, err %v; want 403", origin, resp, err)
			}
		})
	}
}

func TestReadLimit(t *testing.T) {
	_, url, _ := startServer(t, "-read-limit", "1024")
	c := dial(t, url+"/ws", nil)
	if err := c.WriteMessage(frame.OpBinary, make([]byte, 1024)); err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.ReadMessage(nil); err != nil {
		t.Fatalf("message at the limit: %v", err)
	}
	if err := c.WriteMessage(frame.OpBinary, make([]byte, 1025)); err != nil {
		t.Fatal(err)
	}
	_, _, err := c.ReadMessage(nil)
	var ce *conn.CloseError
	if !errors.As(err, &ce) || ce.Code != frame.CloseCode(1009) {
		t.Fatalf("message over the limit: got %v, want close 1009 (§7.4.1)", err)
	}
}

func TestVerboseLog(t *testing.T) {
	_, url, logs := startServer(t, "-v")
	c := dial(t, url+"/ws", nil)
	c.WriteMessage(frame.OpText, []byte("hello"))
	c.ReadMessage(nil)
	c.WriteMessage(frame.OpBinary, make([]byte, 300))
	c.ReadMessage(nil)
	logs.waitFor(t, "text 5 bytes", "binary 300 bytes")
}

// TestEchoAllocs checks that a steady-state echo round trip allocates
// nothing, on the server (the echo loop) and on our client alike.
func TestEchoAllocs(t *testing.T) {
	if testing.Short() {
		t.Skip("allocation count needs a quiet process")
	}
	if raceEnabled {
		t.Skip("the race detector makes sync.Pool allocate")
	}
	_, url, _ := startServer(t)
	c := dial(t, url+"/ws", nil)
	msg := payload(frame.OpBinary, 1024)
	buf := make([]byte, 0, 4096)
	roundTrip := func() {
		if err := c.WriteMessage(frame.OpBinary, msg); err != nil {
			t.Fatal(err)
		}
		_, got, err := c.ReadMessage(buf)
		if err != nil {
			t.Fatal(err)
		}
		buf = got[:0]
	}
	for range 10 { // let buffers and pools warm up
		roundTrip()
	}
	if allocs := testing.AllocsPerRun(200, roundTrip); allocs > 0 {
		t.Errorf("echo round trip: %v allocations, want 0", allocs)
	}
}

// runServer runs the whole server, as main does, on a loopback listener
// until the returned cancel is called; wait returns run's result.
func runServer(t *testing.T, cfg config, tune func(*server)) (url string, logs *logBuffer, cancel func(), wait func() error) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	logs = new(logBuffer)
	s := newServer(cfg, log.New(logs, "", 0))
	if tune != nil {
		tune(s)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.run(ctx, ln) }()
	t.Cleanup(cancel)
	wait = func() error {
		select {
		case err := <-done:
			return err
		case <-time.After(2*s.shutdownTimeout + time.Second):
			t.Fatal("run did not return")
			return nil
		}
	}
	return "ws://" + ln.Addr().String(), logs, cancel, wait
}

func TestShutdown(t *testing.T) {
	url, logs, cancel, wait := runServer(t, mustConfig(t), nil)
	c := dial(t, url+"/ws", nil)
	// A round trip makes sure the server has the connection in its set.
	c.WriteMessage(frame.OpText, []byte("ping"))
	if _, _, err := c.ReadMessage(nil); err != nil {
		t.Fatal(err)
	}

	cancel() // SIGINT
	_, _, err := c.ReadMessage(nil)
	var ce *conn.CloseError
	if !errors.As(err, &ce) {
		t.Fatalf("ReadMessage after shutdown: %v, want *conn.CloseError", err)
	}
	if ce.Code != frame.CloseGoingAway || ce.Reason != shutdownReason {
		t.Errorf("close %d %q, want 1001 %q (§7.4.1)", ce.Code, ce.Reason, shutdownReason)
	}
	if err := wait(); err != nil {
		t.Errorf("run after shutdown: %v, want nil", err)
	}
	logs.waitFor(t, "shutting down", "close=1001")

	ctx, cancelDial := context.WithTimeout(context.Background(), time.Second)
	defer cancelDial()
	if c2, _, err := conn.Dial(ctx, url+"/ws", nil); err == nil {
		c2.CloseNow()
		t.Error("Dial after shutdown succeeded")
	}
}

// TestShutdownUnresponsivePeer checks that a peer that never answers the
// close frame cannot hold up shutdown past its timeout.
func TestShutdownUnresponsivePeer(t *testing.T) {
	var s *server
	url, _, cancel, wait := runServer(t, mustConfig(t), func(srv *server) {
		s = srv
		s.shutdownTimeout = 200 * time.Millisecond
		s.upgrade.CloseTimeout = time.Hour // only the shutdown timeout can end it
	})

	// The client never reads, so it never answers the server's close.
	c := dial(t, url+"/ws", nil)
	c.WriteMessage(frame.OpText, []byte("x"))
	deadline := time.Now().Add(5 * time.Second)
	for {
		s.mu.Lock()
		n := len(s.conns)
		s.mu.Unlock()
		if n == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("server never tracked the connection")
		}
		time.Sleep(10 * time.Millisecond)
	}

	cancel()
	if err := wait(); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("run = %v, want a deadline error", err)
	}
}

// TestShutdownStalledRequest checks that an HTTP request stuck in its body neither holds up
// shutdown past the handshake timeout nor makes it report failure: net/http cuts the request,
// and there was no WebSocket to close.
func TestShutdownStalledRequest(t *testing.T) {
	url, _, cancel, wait := runServer(t, mustConfig(t), func(s *server) {
		s.handshakeTimeout = 200 * time.Millisecond
		s.shutdownTimeout = 5 * time.Second
	})
	nc := dialRaw(t, &testServer{URL: "http" + strings.TrimPrefix(url, "ws")})
	io.WriteString(nc, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\nabc")
	time.Sleep(50 * time.Millisecond) // the request reaches net/http
	cancel()
	// Without a bound on reading the request, Shutdown would wait out its 5 s and fail.
	if err := wait(); err != nil {
		t.Errorf("run = %v, want a clean shutdown", err)
	}
}

// selfSignedCert writes a fresh self-signed certificate for 127.0.0.1 and
// localhost (see internal/testcert) and its key as PEM files, and returns
// their paths and a pool that trusts the certificate.
func selfSignedCert(t *testing.T) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	c := testcert.New(t)
	certFile, keyFile = c.WriteFiles(t)
	return certFile, keyFile, c.Pool
}

func TestTLS(t *testing.T) {
	certFile, keyFile, pool := selfSignedCert(t)
	url, _, cancel, wait := runServer(t, mustConfig(t, "-tls-cert", certFile, "-tls-key", keyFile, "-subprotocols", "wamp"), nil)
	wssURL := "wss" + strings.TrimPrefix(url, "ws")

	c := dial(t, wssURL+"/ws", &conn.DialOptions{
		TLSConfig:    &tls.Config{RootCAs: pool},
		Subprotocols: []string{"soap", "wamp"},
	})
	if _, ok := c.NetConn().(*tls.Conn); !ok {
		t.Errorf("NetConn is %T, want *tls.Conn", c.NetConn())
	}
	if got := c.Subprotocol(); got != "wamp" {
		t.Errorf("Subprotocol() = %q, want wamp", got)
	}
	const greeting = "Hello from the client!"
	c.WriteMessage(frame.OpText, []byte(greeting))
	if _, msg, err := c.ReadMessage(nil); err != nil || string(msg) != greeting {
		t.Fatalf("wss echo: %q, %v", msg, err)
	}

	// The page over https, on HTTP/2 (ALPN h2), where a browser's
	// WebSocket then goes too (RFC 8441; TestHTTP2WebSocket).
	client := &http.Client{Transport: &http.Transport{
		TLSClientConfig:   &tls.Config{RootCAs: pool},
		ForceAttemptHTTP2: true,
	}}
	resp, err := client.Get("https" + strings.TrimPrefix(url, "ws") + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.ProtoMajor != 2 {
		t.Errorf("GET / over https: %s %s, want 200 over HTTP/2", resp.Proto, resp.Status)
	}
	client.CloseIdleConnections()

	cancel()
	if _, _, err := c.ReadMessage(nil); err == nil {
		t.Error("connection survived shutdown")
	}
	if err := wait(); err != nil {
		t.Errorf("run: %v", err)
	}
}

func TestTLSBadFiles(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	cfg := mustConfig(t, "-tls-cert", filepath.Join(dir, "missing.pem"), "-tls-key", filepath.Join(dir, "missing.key"))
	err = newServer(cfg, log.New(io.Discard, "", 0)).run(context.Background(), ln)
	if err == nil {
		t.Fatal("run with missing certificate files succeeded")
	}
}

func TestParseFlags(t *testing.T) {
	defaults := config{addr: ":8080", pingInterval: defaultPingInterval, pingTimeout: defaultPingTimeout, parkAfter: defaultParkAfter}
	with := func(change func(*config)) config {
		cfg := defaults
		change(&cfg)
		return cfg
	}
	tests := []struct {
		name    string
		args    []string
		want    config
		wantErr bool
	}{
		{"defaults", nil, defaults, false},
		{"addr", []string{"-addr", "127.0.0.1:9000"}, with(func(c *config) { c.addr = "127.0.0.1:9000" }), false},
		{"subprotocols in preference order", []string{"-subprotocols", "wamp,soap,mqtt"},
			with(func(c *config) { c.subprotocols = []string{"wamp", "soap", "mqtt"} }), false},
		{"subprotocols trimmed, empties dropped", []string{"-subprotocols", " wamp , soap,,"},
			with(func(c *config) { c.subprotocols = []string{"wamp", "soap"} }), false},
		{"empty subprotocols: none", []string{"-subprotocols", ""}, defaults, false},
		{"origins", []string{"-origins", "127.0.0.1:8765,*.example.com"},
			with(func(c *config) { c.origins = []string{"127.0.0.1:8765", "*.example.com"} }), false},
		{"origins star", []string{"-origins", "*"}, with(func(c *config) { c.origins = []string{"*"} }), false},
		{"read limit", []string{"-read-limit", "1024"}, with(func(c *config) { c.readLimit = 1024 }), false},
		{"read limit not a number", []string{"-read-limit", "1k"}, config{}, true},
		{"verbose", []string{"-v"}, with(func(c *config) { c.verbose = true }), false},
		{"free memory", []string{"-free-memory", "10s"}, with(func(c *config) { c.freeMemory = 10 * time.Second }), false},
		{"keepalive", []string{"-ping-interval", "5s", "-ping-timeout", "2s"},
			with(func(c *config) { c.pingInterval, c.pingTimeout = 5*time.Second, 2*time.Second }), false},
		{"keepalive off", []string{"-ping-interval", "0"}, with(func(c *config) { c.pingInterval = 0 }), false},
		{"reuse port", []string{"-reuse-port"}, with(func(c *config) { c.reusePort = true }), false},
		{"park after", []string{"-park-after", "5s"}, with(func(c *config) { c.parkAfter = 5 * time.Second }), false},
		{"never park", []string{"-park-after", "0"}, with(func(c *config) { c.parkAfter = 0 }), false},
		{"free memory not a duration", []string{"-free-memory", "10"}, config{}, true},
		{"tls pair", []string{"-tls-cert", "c.pem", "-tls-key", "k.pem"},
			with(func(c *config) { c.tlsCert, c.tlsKey = "c.pem", "k.pem" }), false},
		{"tls cert without key", []string{"-tls-cert", "c.pem"}, config{}, true},
		{"tls key without cert", []string{"-tls-key", "k.pem"}, config{}, true},
		{"unknown flag", []string{"-port", "80"}, config{}, true},
		{"positional argument", []string{"extra"}, config{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseFlags(tt.args)
			if (err != nil) != tt.wantErr {
				t.Fatalf("parseFlags(%q) error = %v, wantErr %v", tt.args, err, tt.wantErr)
			}
			if !tt.wantErr && !reflect.DeepEqual(got, tt.want) {
				t.Errorf("parseFlags(%q) = %+v, want %+v", tt.args, got, tt.want)
			}
		})
	}

	if _, err := parseFlags([]string{"-h"}); !errors.Is(err, flag.ErrHelp) {
		t.Errorf("parseFlags(-h) = %v, want flag.ErrHelp", err)
	}
	var usageText bytes.Buffer
	usage(&usageText)
	for _, name := range []string{"-addr", "-subprotocols", "-origins", "-read-limit", "-tls-cert", "-tls-key", "-v"} {
		if !strings.Contains(usageText.String(), name) {
			t.Errorf("usage lacks %s", name)
		}
	}
}
