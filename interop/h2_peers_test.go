//go:build unix

package interop

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rfc6455/ws/conn"
	"github.com/rfc6455/ws/frame"
)

// WebSockets over HTTP/2 (RFC 8441) with peers nobody here wrote: Python's h2 and wsproto
// (Debian python3-h2, python3-wsproto), which know HTTP/2 and WebSocket frames but not each
// other; testdata/python/h2_client.py joins them into an RFC 8441 client, and h2_server.py
// into a server.

// h2Event is one JSON line of the h2 scripts; each event uses the fields it names.
type h2Event struct {
	Event string `json:"event"`

	EnableConnectProtocol *int `json:"enable_connect_protocol"` // settings

	Status  int               `json:"status"`  // response
	Headers map[string]string `json:"headers"` // response

	Size      int  `json:"size"`      // echo
	Text      bool `json:"text"`      // echo
	Fragments int  `json:"fragments"` // echo
	AfterBad  bool `json:"after_bad"` // echo
	OK        bool `json:"ok"`        // echo, pong, streams

	Count     int   `json:"count"`      // streams
	StuckEcho *bool `json:"stuck_echo"` // streams: h2_client.py has one stream stop reading

	Results map[string]struct {
		Status int  `json:"status"`
		Reset  *int `json:"reset"`
		Ended  bool `json:"ended"`
	} `json:"results"` // bad

	Code   int    `json:"code"`   // close
	Reason string `json:"reason"` // close
	Ended  bool   `json:"ended"`  // close
	Reset  *int   `json:"reset"`  // close
}

// h2Events returns the JSON events p printed, in order.
func h2Events(t *testing.T, p *process) []h2Event {
	t.Helper()
	var events []h2Event
	for _, line := range p.stdout.lines() {
		if !strings.HasPrefix(line, "{") {
			continue
		}
		var e h2Event
		if err := json.Unmarshal([]byte(line), &e); err != nil {
			t.Fatalf("%s printed %q: %v", p.name, line, err)
		}
		events = append(events, e)
	}
	return events
}

// HTTP/2 error codes (RFC 9113 §7) that the bad-input cases may get.
const (
	h2ProtocolError = 0x1
	h2StreamClosed  = 0x5
)

// TestPythonH2Client runs h2_client.py against cmd/echo over TLS: the SETTINGS advertise
// extended CONNECT (RFC 8441 §3), the CONNECT gets 200 without Sec-WebSocket-Accept although
// the request carried a Sec-WebSocket-Key (§5), text and binary messages from 0 B to 1 MiB
// and a fragmented one echo, a ping gets its pong, 20 WebSockets share the connection with
// one not reading, every malformed request gets its answer without harming the rest of the
// connection, and the close handshake ends the stream (§6).
func TestPythonH2Client(t *testing.T) {
	t.Parallel()
	requirePythonH2(t)
	cert := newTestCert(t)
	echo := startEcho(t, "-tls-cert", cert.certFile, "-tls-key", cert.keyFile, "-subprotocols", "wamp")
	port := echo.addr[strings.LastIndex(echo.addr, ":")+1:]
	p := startPython(t, "h2_client.py", fmt.Sprintf(`{"port": %s, "cafile": %q, "path": "/ws", "sizes": [0, 1, 125, 126, 65535, 65536, 1048576]}`, port, cert.certFile))
	if status := p.wait(t, 60*time.Second); status != 0 {
		t.Fatalf("h2_client.py exited with status %d", status)
	}
	events := h2Events(t, p)
	checkH2Client(t, events, 16, 4001)
	if events[len(events)-4].Event != "bad" {
		t.Errorf("h2_client.py reported no bad-input results before its last echo: %+v", events[len(events)-4])
	}
	echo.waitLog(t, `subprotocol="wamp" close=4001 reason="python h2 says bye" messages=16`)
}

// checkH2Client holds the events of an RFC 8441 client script (h2_client.py, h2_client.mjs)
// against cmd/echo -subprotocols wamp: SETTINGS_ENABLE_CONNECT_PROTOCOL (RFC 8441 §3), a 200
// without Sec-WebSocket-Accept although a Sec-WebSocket-Key was sent (§5), echoes messages
// that each came back intact, a pong, many streams, any bad-input results, and a close whose
// code came back before the stream ended (§6).
func checkH2Client(t *testing.T, events []h2Event, echoes, closeCode int) {
	t.Helper()
	seen := map[string]int{}
	for _, e := range events {
		seen[e.Event]++
		switch e.Event {
		case "settings":
			if e.EnableConnectProtocol == nil || *e.EnableConnectProtocol != 1 {
				t.Errorf("SETTINGS_ENABLE_CONNECT_PROTOCOL = %v, want 1 (RFC 8441 §3)", e.EnableConnectProtocol)
			}
		case "response":
			if e.Status != 200 {
				t.Errorf("CONNECT answered %d, want 200 (RFC 8441 §5)", e.Status)
			}
			if got := e.Headers["sec-websocket-protocol"]; got != "wamp" {
				t.Errorf("Sec-WebSocket-Protocol %q, want wamp", got)
			}
			if _, ok := e.Headers["sec-websocket-accept"]; ok {
				t.Errorf("a Sec-WebSocket-Accept over HTTP/2 (RFC 8441 §5 has none): %v", e.Headers)
			}
		case "echo", "pong":
			if !e.OK {
				t.Errorf("%s failed: %+v", e.Event, e)
			}
		case "streams":
			stuckFailed := e.StuckEcho != nil && !*e.StuckEcho
			if !e.OK || stuckFailed {
				t.Errorf("%d streams on one connection: the others echoed %v; the one that stopped reading failed to get its echo: %v", e.Count, e.OK, stuckFailed)
			}
		case "bad":
			checkH2BadInput(t, e)
		case "close":
			// cmd/echo answers a close with its code alone (RFC 6455 §5.5.1); its log has
			// the reason it received.
			if e.Code != closeCode {
				t.Errorf("close echoed %d %q, want %d", e.Code, e.Reason, closeCode)
			}
			// RFC 8441 §6: END_STREAM for the TCP FIN; a RST_STREAM would be an abnormal end,
			// but one with NO_ERROR after it is how net/http stops a request body it will
			// not read (RFC 9113 §8.1).
			if !e.Ended || (e.Reset != nil && *e.Reset != 0) {
				t.Errorf("after the close handshake the stream ended %v, reset %v; want END_STREAM (RFC 8441 §6)", e.Ended, e.Reset)
			}
		}
	}
	if seen["echo"] != echoes || seen["done"] != 1 || seen["streams"] != 1 || seen["pong"] != 1 {
		t.Errorf("events %v: want %d echoes, a pong, streams and done", seen, echoes)
	}
}

// checkH2BadInput holds what each malformed request got against what RFC 8441 and RFC 9113
// ask for.
func checkH2BadInput(t *testing.T, e h2Event) {
	t.Helper()
	want := map[string]string{
		// RFC 9113 §8.5: a plain CONNECT asks for a TCP tunnel to its :authority and has no
		// :path, so cmd/echo's routes (by path) do not reach it.
		"plain CONNECT": "status 404",
		// RFC 9220 §3's advice for a protocol the server does not support.
		"protocol not websocket": "status 501",
		// RFC 8441 §4 requires :scheme and :path; RFC 9113 §8.1.1: a malformed request is a
		// stream error of type PROTOCOL_ERROR.
		"missing :path": "reset 1",
		// The same rule, which net/http's HTTP/2 server does not apply to an extended
		// CONNECT; nor does its Request keep :scheme (only r.TLS, for "https", which h2c
		// never has), so Upgrade cannot tell. A known gap, here so that a change shows.
		"missing :scheme": "status 200",
		// RFC 6455 §4.4 by way of RFC 8441 §5.
		"version 8": "status 400",
		// RFC 9113 §5.1: DATA after END_STREAM is a stream error of type STREAM_CLOSED.
		"DATA after END_STREAM": "reset 5",
	}
	for name, w := range want {
		r, ok := e.Results[name]
		if !ok {
			t.Errorf("%s: no result", name)
			continue
		}
		got := fmt.Sprintf("status %d", r.Status)
		if r.Reset != nil {
			got = fmt.Sprintf("reset %d", *r.Reset)
		}
		if got != w {
			t.Errorf("%s: got %s (%+v), want %s", name, got, r, w)
		}
	}
}

// TestPythonH2Server runs our client (conn.Dial with an HTTP2Client) against h2_server.py, over
// TLS (ALPN h2 only: a fallback to HTTP/1.1 would fail) and in cleartext with prior knowledge:
// the scenario of TestPythonServer, every WebSocket a stream of one HTTP/2 connection.
func TestPythonH2Server(t *testing.T) {
	t.Parallel()
	requirePythonH2(t)
	sizes := []int{0, 1, 125, 126, 65535, 65536, 1 << 20}
	t.Run("TLS", func(t *testing.T) {
		t.Parallel()
		cert := newTestCert(t)
		p := startPython(t, "h2_server.py", fmt.Sprintf(`{"protocols": ["wamp", "mqtt"], "cert": %q, "key": %q}`, cert.certFile, cert.keyFile))
		port := p.waitEvent(t, "listening", 1, 20*time.Second).Port
		exerciseServer(t, p, fmt.Sprintf("wss://127.0.0.1:%d/", port), sizes, &conn.DialOptions{
			TLSConfig: &tls.Config{RootCAs: cert.pool},
			HTTP2:     &conn.HTTP2Client{},
		}, "wamp")
		checkOneH2Connection(t, p)
	})
	t.Run("prior knowledge", func(t *testing.T) {
		t.Parallel()
		p := startPython(t, "h2_server.py", `{"protocols": ["wamp", "mqtt"]}`)
		port := p.waitEvent(t, "listening", 1, 20*time.Second).Port
		exerciseServer(t, p, fmt.Sprintf("ws://127.0.0.1:%d/", port), sizes, &conn.DialOptions{
			HTTP2: &conn.HTTP2Client{Cleartext: true},
		}, "wamp")
		checkOneH2Connection(t, p)
	})
}

// checkOneH2Connection fails the test unless the peer saw one HTTP/2 connection: the Dials of
// one HTTP2Client share it.
func checkOneH2Connection(t *testing.T, p *process) {
	t.Helper()
	n := 0
	for _, e := range p.events() {
		if e.Event == "connection" {
			n++
		}
	}
	if n != 1 {
		t.Errorf("the peer saw %d HTTP/2 connections, want 1 shared by every WebSocket", n)
	}
}

// TestNodeH2Client runs h2_client.mjs, Node's http2 module with WebSocket frames by hand,
// against cmd/echo over TLS: the checks of TestPythonH2Client but the bad input.
func TestNodeH2Client(t *testing.T) {
	t.Parallel()
	node := requireNode(t)
	cert := newTestCert(t)
	echo := startEcho(t, "-tls-cert", cert.certFile, "-tls-key", cert.keyFile, "-subprotocols", "wamp")
	port := echo.addr[strings.LastIndex(echo.addr, ":")+1:]
	p := startNode(t, node, "h2_client.mjs", nil, fmt.Sprintf(`{"port": %s, "ca": %q, "sizes": [0, 1, 125, 126, 65535, 65536, 1048576]}`, port, cert.certFile))
	if status := p.wait(t, 60*time.Second); status != 0 {
		t.Fatalf("h2_client.mjs exited with status %d", status)
	}
	checkH2Client(t, h2Events(t, p), 15, 4003)
	echo.waitOutput(t, regexp.MustCompile(`subprotocol="wamp" close=4003 reason="node h2 says bye" messages=15 duration=\S+ http=2`), 15*time.Second)
}

// TestNodeH2Server runs our client against h2_server.mjs, an RFC 8441 server of Node's http2
// module: the scenario of TestPythonH2Server over TLS.
func TestNodeH2Server(t *testing.T) {
	t.Parallel()
	node := requireNode(t)
	cert := newTestCert(t)
	p := startNode(t, node, "h2_server.mjs", nil, fmt.Sprintf(`{"protocols": ["wamp", "mqtt"], "cert": %q, "key": %q}`, cert.certFile, cert.keyFile))
	port := p.waitEvent(t, "listening", 1, 20*time.Second).Port
	exerciseServer(t, p, fmt.Sprintf("wss://127.0.0.1:%d/", port), []int{0, 1, 125, 126, 65535, 65536, 1 << 20, 4 << 20}, &conn.DialOptions{
		TLSConfig: &tls.Config{RootCAs: cert.pool},
		HTTP2:     &conn.HTTP2Client{},
	}, "wamp")
	checkOneH2Connection(t, p)
}

// TestDialHTTP2WithoutExtendedConnect: against a net/http server that speaks HTTP/2 but, its
// process lacking GODEBUG=http2xconnect=1 (as this test binary does), does not advertise
// extended CONNECT, Dial with an HTTP2Client takes h2 in ALPN, sees no
// SETTINGS_ENABLE_CONNECT_PROTOCOL, and opens the WebSocket with RFC 6455's upgrade on a new
// connection that offers only http/1.1.
func TestDialHTTP2WithoutExtendedConnect(t *testing.T) {
	if strings.Contains(os.Getenv("GODEBUG"), "http2xconnect=1") {
		t.Skip("GODEBUG has http2xconnect=1: this process's servers advertise extended CONNECT")
	}
	t.Parallel()
	var mu sync.Mutex
	var offers [][]string
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := conn.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer c.CloseNow()
		op, p, err := c.ReadMessage(nil)
		if err == nil {
			c.WriteMessage(op, []byte(fmt.Sprintf("%s over HTTP/%d", p, r.ProtoMajor)))
		}
		c.ReadMessage(nil)
	}))
	srv.EnableHTTP2 = true
	srv.TLS = &tls.Config{GetConfigForClient: func(hello *tls.ClientHelloInfo) (*tls.Config, error) {
		mu.Lock()
		offers = append(offers, hello.SupportedProtos)
		mu.Unlock()
		return nil, nil
	}}
	srv.StartTLS()
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, _, err := conn.Dial(ctx, "wss"+strings.TrimPrefix(srv.URL, "https"), &conn.DialOptions{
		TLSConfig: srv.Client().Transport.(*http.Transport).TLSClientConfig,
		HTTP2:     &conn.HTTP2Client{},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	if c.OverHTTP2() {
		t.Fatal("OverHTTP2 against a server without extended CONNECT")
	}
	c.WriteMessage(frame.OpText, []byte("fell back"))
	if _, p, err := c.ReadMessage(nil); err != nil || string(p) != "fell back over HTTP/1" {
		t.Fatalf("echo: %q, %v", p, err)
	}
	mu.Lock()
	defer mu.Unlock()
	if got := fmt.Sprint(offers); got != "[[h2 http/1.1] [http/1.1]]" {
		t.Errorf("ALPN offers of the two connections: %s, want [[h2 http/1.1] [http/1.1]]", got)
	}
}
