package load

import (
	"context"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rfc6455/ws/conn"
	"github.com/rfc6455/ws/internal/testcert"
	_ "github.com/rfc6455/ws/internal/xconnect" // extended CONNECT in net/http's HTTP/2 server
)

// h2cEcho is an echo server on conn.Upgrade that speaks HTTP/2 with prior knowledge and at most
// maxStreams streams per connection. It records the TCP connections and the HTTP versions of
// the WebSockets it served.
type h2cEcho struct {
	url string

	mu       sync.Mutex
	protos   map[int]int         // WebSockets by HTTP major version
	carriers map[string]struct{} // remote addresses of the TCP connections
}

func newH2cEcho(t *testing.T, maxStreams uint32) *h2cEcho {
	e := &h2cEcho{protos: map[int]int{}, carriers: map[string]struct{}{}}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var protocols http.Protocols
	protocols.SetHTTP1(true)
	protocols.SetUnencryptedHTTP2(true)
	srv := &http.Server{
		Protocols: &protocols,
		HTTP2:     &http.HTTP2Config{MaxConcurrentStreams: int(maxStreams)},
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			c, err := conn.Upgrade(w, r, nil)
			if err != nil {
				return
			}
			e.mu.Lock()
			e.protos[r.ProtoMajor]++
			e.carriers[r.RemoteAddr] = struct{}{}
			e.mu.Unlock()
			defer c.CloseNow()
			for {
				op, p, err := c.ReadMessage(nil)
				if err != nil {
					return
				}
				if err := c.WriteMessage(op, p); err != nil {
					return
				}
			}
		}),
	}
	go srv.Serve(ln)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		srv.Shutdown(ctx)
		srv.Close()
	})
	e.url = "ws://" + ln.Addr().String() + "/"
	return e
}

// TestRunHTTP2: with Target.HTTP2 every connection of a run is a WebSocket over an HTTP/2 stream
// (RFC 8441), every echoed byte is checked as over TCP, and streams beyond the server's
// SETTINGS_MAX_CONCURRENT_STREAMS (RFC 9113 §6.5.2) go on further HTTP/2 connections.
func TestRunHTTP2(t *testing.T) {
	e := newH2cEcho(t, 4)
	sc := Scenario{Conns: 10, InFlight: 3, Size: 1000, Text: true, Frags: 2}
	opts := Options{Messages: 20, Timeout: 5 * time.Second}
	r := Run(context.Background(), Target{URL: e.url, HTTP2: true}, sc, opts)
	want := int64(sc.Conns * opts.Messages * sc.Size)
	if r.Errors != 0 || r.BytesVerified != want || !r.HTTP2 {
		t.Fatalf("errors %d (%s), %d bytes verified (want %d), HTTP2 %v", r.Errors, r.FirstError, r.BytesVerified, want, r.HTTP2)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.protos[2] != sc.Conns || e.protos[1] != 0 {
		t.Errorf("WebSockets by HTTP version: %v, want %d over HTTP/2 only", e.protos, sc.Conns)
	}
	// 10 streams, 4 to a connection: 3 connections, one more at most if a stream ended early.
	if n := len(e.carriers); n < 3 || n > 4 {
		t.Errorf("%d HTTP/2 connections carried %d streams of at most 4 each", n, sc.Conns)
	}
}

// TestRunHTTP2Refused: a server that speaks HTTP/1.1 only fails each connection of an HTTP2
// run with an error, not a hang.
func TestRunHTTP2Refused(t *testing.T) {
	r := Run(context.Background(), Target{URL: tcpEcho(t, false), HTTP2: true},
		Scenario{Conns: 2, InFlight: 1, Size: 16, Frags: 1}, Options{Messages: 1, Timeout: 2 * time.Second})
	if r.Errors != 2 {
		t.Fatalf("errors %d (%s), want 2", r.Errors, r.FirstError)
	}
	t.Logf("reported: %s", r.FirstError)
}

// TestRunTLS: wss:// URLs go over TLS, trusting Target.TLS's roots: RFC 6455's upgrade on a
// connection that chose http/1.1 in ALPN, and with HTTP2 an extended CONNECT on one that chose
// h2 (RFC 8441 §3); every echo is checked as over TCP.
func TestRunTLS(t *testing.T) {
	cert := testcert.New(t)
	var mu sync.Mutex
	protos := map[int]int{}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := conn.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		mu.Lock()
		protos[r.ProtoMajor]++
		mu.Unlock()
		defer c.CloseNow()
		for {
			op, p, err := c.ReadMessage(nil)
			if err != nil || c.WriteMessage(op, p) != nil {
				return
			}
		}
	}))
	srv.EnableHTTP2 = true
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the untrusted dials' handshakes fail
	srv.TLS = cert.ServerConfig()
	srv.TLS.NextProtos = []string{"h2", "http/1.1"}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	url := "wss" + strings.TrimPrefix(srv.URL, "https") + "/"
	sc := Scenario{Conns: 3, InFlight: 2, Size: 1000, Frags: 1}
	opts := Options{Messages: 10, Timeout: 5 * time.Second}
	for _, h2 := range []bool{false, true} {
		r := Run(context.Background(), Target{URL: url, HTTP2: h2, TLS: cert.ClientConfig()}, sc, opts)
		if want := int64(sc.Conns * opts.Messages * sc.Size); r.Errors != 0 || r.BytesVerified != want {
			t.Fatalf("HTTP2 %v: errors %d (%s), %d bytes verified (want %d)", h2, r.Errors, r.FirstError, r.BytesVerified, want)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if protos[1] != sc.Conns || protos[2] != sc.Conns {
		t.Errorf("WebSockets by HTTP version: %v, want %d each over HTTP/1.1 and HTTP/2", protos, sc.Conns)
	}
	// Without the roots the server's certificate is not trusted.
	r := Run(context.Background(), Target{URL: url}, sc, opts)
	if r.Errors != sc.Conns || !strings.Contains(r.FirstError, "certificate") {
		t.Errorf("an untrusted certificate: errors %d (%s)", r.Errors, r.FirstError)
	}
}
