package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rfc6455/ws/conn"
	"github.com/rfc6455/ws/frame"
	"github.com/rfc6455/ws/internal/testcert"
)

const testTimeout = 10 * time.Second

// syncBuffer is a log the server writes while the test reads.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// count returns how many times s appears in the log.
func (b *syncBuffer) count(s string) int { return strings.Count(b.String(), s) }

// waitFor waits until the log has a line containing every one of wants.
func (b *syncBuffer) waitFor(t *testing.T, wants ...string) string {
	t.Helper()
	deadline := time.Now().Add(testTimeout)
	for {
		for _, line := range strings.Split(b.String(), "\n") {
			ok := true
			for _, w := range wants {
				ok = ok && strings.Contains(line, w)
			}
			if ok {
				return line
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no log line with %q:\n%s", wants, b.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// bridgeUnderTest is a running server and what the test needs of it.
type bridgeUnderTest struct {
	url    string // ws://addr
	logs   *syncBuffer
	cancel context.CancelFunc
	done   chan error
}

// startBridge runs the bridge with the command-line args (plus a listener on 127.0.0.1:0) until
// the test ends.
func startBridge(t *testing.T, args ...string) *bridgeUnderTest {
	t.Helper()
	cfg, err := parseFlags(args)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	b := &bridgeUnderTest{url: "ws://" + ln.Addr().String(), logs: new(syncBuffer), done: make(chan error, 1)}
	ctx, cancel := context.WithCancel(context.Background())
	b.cancel = cancel
	go func() { b.done <- newServer(cfg, log.New(b.logs, "", 0)).run(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-b.done:
			if err != nil {
				t.Errorf("run: %v", err)
			}
		case <-time.After(testTimeout):
			t.Error("the bridge did not shut down")
		}
		if t.Failed() {
			t.Logf("bridge log:\n%s", b.logs)
		}
	})
	return b
}

// backend is a TCP server that hands each connection to serve.
func backend(t *testing.T, serve func(net.Conn)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				serve(c)
			}()
		}
	}()
	return ln.Addr().String()
}

func echoBackend(c net.Conn) { io.Copy(c, c) }

func dial(t *testing.T, url string, opts *conn.DialOptions) *conn.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	c, resp, err := conn.Dial(ctx, url, opts)
	if err != nil {
		status := ""
		if resp != nil {
			status = resp.Status
		}
		t.Fatalf("dial %s: %v %s", url, err, status)
	}
	t.Cleanup(func() { c.CloseNow() })
	return c
}

// readBytes reads binary messages until n bytes have come, and returns them.
func readBytes(t *testing.T, c *conn.Conn, n int) []byte {
	t.Helper()
	var got []byte
	c.SetReadDeadline(time.Now().Add(testTimeout))
	defer c.SetReadDeadline(time.Time{})
	for len(got) < n {
		op, p, err := c.ReadMessage(nil)
		if err != nil {
			t.Fatalf("after %d of %d bytes: %v", len(got), n, err)
		}
		if op != frame.OpBinary {
			t.Fatalf("a %v message from the bridge, want binary", op)
		}
		got = append(got, p...)
	}
	return got
}

func closeCode(err error) frame.CloseCode {
	var ce *conn.CloseError
	if errors.As(err, &ce) {
		return ce.Code
	}
	return 0
}

// TestRelay: binary messages reach the backend as a byte stream, and its bytes come back as
// binary messages, in order, with the subprotocol negotiated (MQTT 5.0 §6: mqtt).
func TestRelay(t *testing.T) {
	b := startBridge(t, "-backend", backend(t, echoBackend), "-subprotocols", "mqtt")
	c := dial(t, b.url+"/mqtt", &conn.DialOptions{Subprotocols: []string{"mqtt"}})
	if c.Subprotocol() != "mqtt" {
		t.Fatalf("subprotocol %q, want mqtt", c.Subprotocol())
	}
	var sent []byte
	for i, size := range []int{1, 125, 126, 65535, 65536, 1 << 20, 0, 7} {
		p := bytes.Repeat([]byte{byte('a' + i)}, size)
		sent = append(sent, p...)
		if err := c.WriteMessage(frame.OpBinary, p); err != nil {
			t.Fatal(err)
		}
	}
	if got := readBytes(t, c, len(sent)); !bytes.Equal(got, sent) {
		t.Fatalf("the backend's echo differs: %d bytes, want %d", len(got), len(sent))
	}
	if err := c.Close(frame.CloseNormal, "done"); err != nil {
		t.Fatal(err)
	}
	b.logs.waitFor(t, "path=/mqtt", `subprotocol="mqtt"`, fmt.Sprintf("up=%d down=%d", len(sent), len(sent)), `client=close=1000 reason="done"`, "http=1.1")
}

// TestRefusals: what the bridge answers before any upgrade.
func TestRefusals(t *testing.T) {
	dead, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	deadAddr := dead.Addr().String()
	dead.Close()
	b := startBridge(t, "-route", "/mqtt="+backend(t, echoBackend), "-route", "/dead="+deadAddr, "-subprotocols", "mqtt")
	tests := []struct {
		name   string
		path   string
		protos []string
		status int
	}{
		{"a backend that cannot be reached: 502, not a 101 and a close", "/dead", []string{"mqtt"}, http.StatusBadGateway},
		{"MQTT 5.0 §6: no mqtt subprotocol offered: 400", "/mqtt", nil, http.StatusBadRequest},
		{"a path without a route: 404", "/other", []string{"mqtt"}, http.StatusNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
			defer cancel()
			c, resp, err := conn.Dial(ctx, b.url+tt.path, &conn.DialOptions{Subprotocols: tt.protos})
			if err == nil {
				c.CloseNow()
				t.Fatal("the handshake succeeded")
			}
			if resp == nil || resp.StatusCode != tt.status {
				t.Fatalf("%v (response %v), want status %d", err, resp, tt.status)
			}
		})
	}
	resp, err := http.Get("http" + strings.TrimPrefix(b.url, "ws") + "/mqtt")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUpgradeRequired {
		t.Errorf("a plain GET: %s, want 426", resp.Status)
	}
}

// TestTextRefused: MQTT 5.0 §6 has the receiver of a text message close the connection; the
// bridge does with 1003 (RFC 6455 §7.4.1: a data type it cannot accept).
func TestTextRefused(t *testing.T) {
	b := startBridge(t, "-backend", backend(t, echoBackend))
	c := dial(t, b.url+"/", nil)
	c.WriteMessage(frame.OpText, []byte("not bytes"))
	if _, _, err := c.ReadMessage(nil); closeCode(err) != frame.CloseUnsupportedData {
		t.Fatalf("read %v, want close 1003", err)
	}
}

// TestBackendCloses: the backend's FIN becomes a close with 1000 after its last bytes.
func TestBackendCloses(t *testing.T) {
	b := startBridge(t, "-backend", backend(t, func(c net.Conn) { c.Write([]byte("last words")) }))
	c := dial(t, b.url+"/", nil)
	if got := readBytes(t, c, 10); string(got) != "last words" {
		t.Fatalf("got %q", got)
	}
	if _, _, err := c.ReadMessage(nil); closeCode(err) != frame.CloseNormal {
		t.Fatalf("read %v, want close 1000", err)
	}
	b.logs.waitFor(t, "down=10", "backend_end=eof", "client=close=1000")
}

// TestClientCloses: the client's close becomes a FIN to the backend, which reads to its end
// what the client sent before.
func TestClientCloses(t *testing.T) {
	got := make(chan string, 1)
	b := startBridge(t, "-backend", backend(t, func(c net.Conn) {
		p, err := io.ReadAll(c) // until the FIN
		if err != nil {
			got <- "error: " + err.Error()
			return
		}
		got <- string(p)
	}))
	c := dial(t, b.url+"/", nil)
	c.WriteMessage(frame.OpBinary, []byte("all of it"))
	if err := c.Close(frame.CloseNormal, ""); err != nil {
		t.Fatal(err)
	}
	select {
	case p := <-got:
		if p != "all of it" {
			t.Fatalf("the backend read %q", p)
		}
	case <-time.After(testTimeout):
		t.Fatal("the backend saw no FIN")
	}
}

// TestMaxConns: past -max-conns the bridge answers 503 with Retry-After, and takes the next
// client once one has gone.
func TestMaxConns(t *testing.T) {
	b := startBridge(t, "-backend", backend(t, echoBackend), "-max-conns", "1")
	first := dial(t, b.url+"/", nil)
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	_, resp, err := conn.Dial(ctx, b.url+"/", nil)
	if err == nil || resp == nil || resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("the second connection: %v %v, want 503 with Retry-After", err, resp)
	}
	first.Close(frame.CloseNormal, "")
	b.logs.waitFor(t, "client=close=1000")
	dial(t, b.url+"/", nil)
}

// TestShutdown: on shutdown every client gets 1001 (RFC 6455 §7.4.1) and every backend
// connection is closed.
func TestShutdown(t *testing.T) {
	backendClosed := make(chan struct{}, 1)
	b := startBridge(t, "-backend", backend(t, func(c net.Conn) {
		io.Copy(io.Discard, c)
		backendClosed <- struct{}{}
	}))
	c := dial(t, b.url+"/", nil)
	b.logs.waitFor(t, "listening")
	time.Sleep(50 * time.Millisecond) // the relay has started
	b.cancel()
	if _, _, err := c.ReadMessage(nil); closeCode(err) != frame.CloseGoingAway {
		t.Fatalf("read %v, want close 1001", err)
	}
	select {
	case <-backendClosed:
	case <-time.After(testTimeout):
		t.Fatal("the backend connection stayed open")
	}
	if err := <-b.done; err != nil {
		t.Fatalf("run: %v", err)
	}
	b.done <- nil // for the cleanup
}

// TestIdleTimeout: a connection that moves no byte for -idle-timeout is closed with 1001.
func TestIdleTimeout(t *testing.T) {
	b := startBridge(t, "-backend", backend(t, echoBackend), "-idle-timeout", "300ms")
	c := dial(t, b.url+"/", nil)
	start := time.Now()
	for range 3 { // activity keeps it open
		c.WriteMessage(frame.OpBinary, []byte("x"))
		readBytes(t, c, 1)
		time.Sleep(150 * time.Millisecond)
	}
	var ce *conn.CloseError
	if _, _, err := c.ReadMessage(nil); !errors.As(err, &ce) || ce.Code != frame.CloseGoingAway || ce.Reason != "idle" {
		t.Fatalf("read %v, want close 1001 idle", err)
	}
	// The last activity was the third echo, some 300 ms in; the timeout runs from there.
	if d := time.Since(start); d < 550*time.Millisecond {
		t.Errorf("closed after %v, while active or too soon after", d)
	}
	b.logs.waitFor(t, "ended=idle")
}

// TestForwarded: behind a trusted proxy the client's address comes from X-Forwarded-For, and
// with -proxy-protocol the backend reads it first, in a PROXY protocol v1 line; an untrusted
// peer's X-Forwarded-For is ignored.
func TestForwarded(t *testing.T) {
	lines := make(chan string, 2)
	addr := backend(t, func(c net.Conn) {
		line, _ := bufio.NewReader(c).ReadString('\n')
		lines <- line
		io.Copy(io.Discard, c)
	})
	_, port, _ := net.SplitHostPort(addr)
	for _, tt := range []struct {
		trust, want string
	}{
		{"127.0.0.1/32", "PROXY TCP4 203.0.113.7 127.0.0.1 0 " + port + "\r\n"},
		{"10.0.0.0/8", "PROXY TCP4 127.0.0.1 127.0.0.1 "},
	} {
		b := startBridge(t, "-backend", addr, "-trust-forwarded", tt.trust, "-proxy-protocol")
		c := dial(t, b.url+"/", &conn.DialOptions{Header: http.Header{"X-Forwarded-For": {"198.51.100.1, 203.0.113.7"}}})
		select {
		case line := <-lines:
			if !strings.HasPrefix(line, tt.want) {
				t.Errorf("trusting %s: the backend read %q, want %q", tt.trust, line, tt.want)
			}
		case <-time.After(testTimeout):
			t.Fatal("the backend read no PROXY line")
		}
		c.Close(frame.CloseNormal, "")
	}
}

// TestSlowClient: a backend floods a client that does not read. The bridge takes from the
// backend only as fast as the client takes from it, so what it holds stays bounded (a buffer
// and the sockets' own), and after -write-timeout without progress it gives up on the client
// and closes the backend connection.
func TestSlowClient(t *testing.T) {
	written := make(chan int64, 1)
	b := startBridge(t, "-backend", backend(t, func(c net.Conn) {
		chunk := make([]byte, 64<<10)
		var n int64
		for {
			c.SetWriteDeadline(time.Now().Add(testTimeout))
			m, err := c.Write(chunk)
			n += int64(m)
			if err != nil {
				written <- n
				return
			}
		}
	}), "-write-timeout", "1s")
	var before runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	c := dial(t, b.url+"/", nil)
	_ = c // never read
	select {
	case n := <-written:
		// Loopback sockets buffer a few MiB each way; a bridge that queued the flood would have
		// taken hundreds of MiB in the seconds it ran.
		if n > 64<<20 {
			t.Errorf("the backend wrote %d MiB into a client that read nothing", n>>20)
		}
		t.Logf("the backend wrote %.1f MiB before the bridge gave up on the client", float64(n)/(1<<20))
	case <-time.After(testTimeout):
		t.Fatal("the bridge kept the backend connection of a client that did not read")
	}
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	if grew := int64(after.HeapInuse) - int64(before.HeapInuse); grew > 16<<20 {
		t.Errorf("the heap grew by %d MiB", grew>>20)
	}
	b.logs.waitFor(t, "backend_end=timeout")
}

// TestSlowBackend: a client floods a backend that does not read. The bridge reads from the
// client only as fast as the backend takes, so the client's writes block, and its own write
// deadline ends them, with a bounded amount sent.
func TestSlowBackend(t *testing.T) {
	stop := make(chan struct{})
	defer close(stop)
	b := startBridge(t, "-backend", backend(t, func(c net.Conn) { <-stop }))
	c := dial(t, b.url+"/", nil)
	msg := make([]byte, 1<<20)
	var sent int64
	c.SetWriteDeadline(time.Now().Add(2 * time.Second))
	for sent < 1<<30 {
		if err := c.WriteMessage(frame.OpBinary, msg); err != nil {
			break
		}
		sent += int64(len(msg))
	}
	if sent >= 64<<20 {
		t.Errorf("the client sent %d MiB towards a backend that read nothing", sent>>20)
	}
	t.Logf("the client sent %d MiB before its writes blocked", sent>>20)
}

// TestHTTP2: on its TLS listener the bridge takes WebSockets over HTTP/2 streams (RFC 8441),
// several on one connection, and relays each to a backend connection of its own.
func TestHTTP2(t *testing.T) {
	cert := testcert.New(t)
	certFile, keyFile := cert.WriteFiles(t)
	b := startBridge(t, "-backend", backend(t, echoBackend), "-tls-cert", certFile, "-tls-key", keyFile, "-subprotocols", "mqtt")
	url := "wss" + strings.TrimPrefix(b.url, "ws") + "/mqtt"
	client := &conn.HTTP2Client{}
	for i := range 3 {
		c := dial(t, url, &conn.DialOptions{TLSConfig: cert.ClientConfig(), HTTP2: client, Subprotocols: []string{"mqtt"}})
		if !c.OverHTTP2() {
			t.Fatal("the WebSocket is not over HTTP/2")
		}
		want := bytes.Repeat([]byte{byte('0' + i)}, 100000)
		c.WriteMessage(frame.OpBinary, want)
		if got := readBytes(t, c, len(want)); !bytes.Equal(got, want) {
			t.Fatalf("stream %d: the echo differs", i)
		}
		c.Close(frame.CloseNormal, "")
	}
	b.logs.waitFor(t, "up=100000 down=100000", "client=close=1000", "http=2")
}
