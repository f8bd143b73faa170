//go:build unix

package interop

import (
	"bytes"
	"context"
	"crypto/tls"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/rfc6455/ws/conn"
	"github.com/rfc6455/ws/frame"
)

// HAProxy (Debian's haproxy, 2.6) translates between the two ways of carrying a WebSocket:
// RFC 8441's extended CONNECT on an HTTP/2 stream and RFC 6455's Upgrade of an HTTP/1.1
// connection, in either direction. Its front end takes WebSockets over HTTP/2 from clients
// (ALPN h2 on its TLS listener) and hands them to cmd/echo as HTTP/1.1 upgrades; its other
// front end takes HTTP/1.1 upgrades and opens each as a stream of an HTTP/2 connection to
// cmd/echo -h2c (proto h2) or to cmd/echo's TLS listener (alpn h2). cmd/echo's log says which
// protocol each WebSocket reached it on.

// haproxyConfig is the whole configuration; HAProxy runs in the foreground (-db), as any
// user, and writes nothing but to stderr.
const haproxyConfig = `# HAProxy for the ws interop tests
global
    log stderr format raw local0 info

defaults
    mode http
    log global
    option httplog
    timeout connect 5s
    timeout client 30s
    timeout server 30s
    # Once a WebSocket is established HAProxy calls it a tunnel, with a timeout of its own.
    timeout tunnel 60s

# WebSockets over HTTP/2 from clients (RFC 8441), to cmd/echo over HTTP/1.1 (RFC 6455).
frontend from_h2
    bind 127.0.0.1:{{h2port}} ssl crt {{pem}} alpn h2,http/1.1
    default_backend echo_http1

backend echo_http1
    server echo {{echo}}

# HTTP/1.1 upgrades from clients, to cmd/echo as streams of an HTTP/2 connection: in
# cleartext with prior knowledge, or over TLS with ALPN h2.
frontend to_h2c
    bind 127.0.0.1:{{h2cport}}
    default_backend echo_h2c

backend echo_h2c
    server echo {{echoh2c}} proto h2

frontend to_h2
    bind 127.0.0.1:{{tlsport}}
    default_backend echo_h2

backend echo_h2
    server echo {{echotls}} ssl verify none alpn h2
`

// requireHAProxy returns the path of haproxy.
func requireHAProxy(t *testing.T) string {
	t.Helper()
	var path string
	requirePeer(t, "haproxy", "apt-get install haproxy", func() (string, error) {
		var err error
		if path, err = findProgram("haproxy"); err != nil {
			return "", err
		}
		// haproxy -v prints its version on the first of several lines.
		out, err := exec.Command(path, "-v").CombinedOutput()
		line, _, _ := strings.Cut(string(out), "\n")
		if err != nil || !strings.Contains(line, "HAProxy version") {
			return "", fmt.Errorf("%s -v: %v: %q", path, err, line)
		}
		return line, nil
	})
	return path
}

func TestHAProxyHTTP2(t *testing.T) {
	t.Parallel()
	haproxy := requireHAProxy(t)
	cert := newTestCert(t)
	echo := startEcho(t, "-subprotocols", "wamp")
	echoH2C := startEcho(t, "-h2c", "-subprotocols", "wamp")
	echoTLS := startEcho(t, "-tls-cert", cert.certFile, "-tls-key", cert.keyFile, "-subprotocols", "wamp")

	dir := t.TempDir()
	pem := writeCombinedPEM(t, dir, cert)
	h2Port, h2cPort, tlsPort := freePort(t), freePort(t), freePort(t)
	config := strings.NewReplacer(
		"{{h2port}}", fmt.Sprint(h2Port),
		"{{h2cport}}", fmt.Sprint(h2cPort),
		"{{tlsport}}", fmt.Sprint(tlsPort),
		"{{pem}}", pem,
		"{{echo}}", echo.addr,
		"{{echoh2c}}", echoH2C.addr,
		"{{echotls}}", echoTLS.addr,
	).Replace(haproxyConfig)
	confFile := filepath.Join(dir, "haproxy.cfg")
	if err := os.WriteFile(confFile, []byte(config), 0o644); err != nil {
		t.Fatal(err)
	}
	p := startProcess(t, "haproxy", exec.Command(haproxy, "-db", "-f", confFile))
	for _, port := range []int{h2Port, h2cPort, tlsPort} {
		waitListening(t, p, port, 15*time.Second)
	}

	// echoThrough dials url, checks how the WebSocket reached HAProxy, echoes text and binary
	// messages up to 1 MiB and closes with 4000.
	echoThrough := func(t *testing.T, url string, opts *conn.DialOptions, wantHTTP2 bool) {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		opts.Subprotocols = []string{"soap", "wamp"}
		c, _, err := conn.Dial(ctx, url, opts)
		if err != nil {
			t.Fatal(err)
		}
		defer c.CloseNow()
		if c.OverHTTP2() != wantHTTP2 || c.Subprotocol() != "wamp" {
			t.Fatalf("OverHTTP2 %v, subprotocol %q; want %v, wamp", c.OverHTTP2(), c.Subprotocol(), wantHTTP2)
		}
		for _, size := range []int{0, 125, 126, 65535, 65536, 1 << 20} {
			for _, op := range []frame.Opcode{frame.OpText, frame.OpBinary} {
				want := bytes.Repeat([]byte{'h'}, size)
				if err := c.WriteMessage(op, want); err != nil {
					t.Fatal(err)
				}
				gotOp, got, err := c.ReadMessage(nil)
				if err != nil || gotOp != op || !bytes.Equal(got, want) {
					t.Fatalf("echo of %d bytes (%v): %v, %d bytes, %v", size, op, gotOp, len(got), err)
				}
			}
		}
		if err := c.Close(4000, "through haproxy"); err != nil {
			t.Errorf("Close: %v", err)
		}
	}

	t.Run("h2 client, HTTP/1.1 server", func(t *testing.T) {
		client := &conn.HTTP2Client{}
		for range 2 {
			echoThrough(t, fmt.Sprintf("wss://127.0.0.1:%d/ws", h2Port), &conn.DialOptions{
				TLSConfig: &tls.Config{RootCAs: cert.pool},
				HTTP2:     client,
			}, true)
		}
		echo.waitLog(t, `subprotocol="wamp" close=4000 reason="through haproxy" messages=12`)
		echo.waitOutput(t, regexp.MustCompile(`close=4000 reason="through haproxy" messages=12 duration=\S+ http=1.1`), 15*time.Second)
	})

	t.Run("Python h2 client, HTTP/1.1 server", func(t *testing.T) {
		requirePythonH2(t)
		py := startPython(t, "h2_client.py", fmt.Sprintf(`{"port": %d, "cafile": %q, "path": "/ws", "sizes": [0, 125, 65536, 1048576], "bad": false, "close_code": 4002, "close_reason": "python via haproxy"}`, h2Port, cert.certFile))
		if status := py.wait(t, 60*time.Second); status != 0 {
			t.Fatalf("h2_client.py exited with status %d", status)
		}
		for _, e := range h2Events(t, py) {
			switch {
			case e.Event == "settings" && (e.EnableConnectProtocol == nil || *e.EnableConnectProtocol != 1):
				t.Errorf("HAProxy's SETTINGS_ENABLE_CONNECT_PROTOCOL = %v, want 1", e.EnableConnectProtocol)
			case e.Event == "response" && e.Status != 200:
				t.Errorf("CONNECT through HAProxy answered %d, want 200", e.Status)
			case (e.Event == "echo" || e.Event == "pong" || e.Event == "streams") && !e.OK:
				t.Errorf("%s failed through HAProxy: %+v", e.Event, e)
			case e.Event == "close" && e.Code != 4002:
				t.Errorf("close through HAProxy echoed %d, want 4002", e.Code)
			}
		}
		echo.waitOutput(t, regexp.MustCompile(`close=4002 reason="python via haproxy" messages=10 duration=\S+ http=1.1`), 15*time.Second)
	})

	t.Run("HTTP/1.1 client, h2c server", func(t *testing.T) {
		echoThrough(t, fmt.Sprintf("ws://127.0.0.1:%d/ws", h2cPort), &conn.DialOptions{}, false)
		echoH2C.waitOutput(t, regexp.MustCompile(`subprotocol="wamp" close=4000 reason="through haproxy" messages=12 duration=\S+ http=2`), 15*time.Second)
	})

	t.Run("HTTP/1.1 client, h2 server over TLS", func(t *testing.T) {
		echoThrough(t, fmt.Sprintf("ws://127.0.0.1:%d/ws", tlsPort), &conn.DialOptions{}, false)
		echoTLS.waitOutput(t, regexp.MustCompile(`subprotocol="wamp" close=4000 reason="through haproxy" messages=12 duration=\S+ http=2`), 15*time.Second)
	})
}
