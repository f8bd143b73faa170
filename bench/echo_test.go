package bench

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/rfc6455/ws/conn"
	"github.com/rfc6455/ws/frame"
	"github.com/rfc6455/ws/internal/pipenet"
)

// echo is the echo server of the seed document on our stack: each message goes back with its opcode.
func echo(w http.ResponseWriter, r *http.Request) {
	c, err := conn.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	defer c.Close(frame.CloseNormal, "")
	var buf []byte
	for {
		op, p, err := c.ReadMessage(buf)
		if err != nil {
			return
		}
		buf = p
		if err := c.WriteMessage(op, p); err != nil {
			return
		}
	}
}

var noProxy = func(*http.Request) (*url.URL, error) { return nil, nil }

// dialEcho starts an echo server on the given transport and returns a client connected to it.
func dialEcho(b *testing.B, transport string) *conn.Conn {
	b.Helper()
	opts := &conn.DialOptions{Proxy: noProxy}
	url := ""
	switch transport {
	case "pipe":
		l := pipenet.Listen()
		srv := &http.Server{Handler: http.HandlerFunc(echo)}
		go srv.Serve(l)
		b.Cleanup(func() { srv.Close() })
		opts.NetDialContext = l.DialContext
		url = "ws://pipe/"
	case "tcp":
		srv := httptest.NewServer(http.HandlerFunc(echo))
		b.Cleanup(srv.Close)
		url = "ws" + srv.URL[len("http"):]
	}
	c, _, err := conn.Dial(context.Background(), url, opts)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { c.Close(frame.CloseNormal, "") })
	return c
}

// BenchmarkEcho measures a message's round trip through a client Conn and a server Conn: the
// client masks and writes it, the server reads, unmasks, validates (text) and writes it back, and
// the client reads it. Bytes per second count the message once.
func BenchmarkEcho(b *testing.B) {
	for _, transport := range []string{"pipe", "tcp"} {
		for _, op := range []frame.Opcode{frame.OpText, frame.OpBinary} {
			for _, size := range []struct {
				name string
				n    int
			}{{"16B", 16}, {"1KiB", 1 << 10}, {"64KiB", 64 << 10}, {"1MiB", 1 << 20}} {
				b.Run(transport+"/"+op.String()+"/"+size.name, func(b *testing.B) {
					c := dialEcho(b, transport)
					msg := bytes.Repeat([]byte("websocket"), size.n/9+1)[:size.n]
					buf := make([]byte, 0, size.n)
					b.SetBytes(int64(size.n))
					b.ReportAllocs()
					for b.Loop() {
						if err := c.WriteMessage(op, msg); err != nil {
							b.Fatal(err)
						}
						var err error
						if _, buf, err = c.ReadMessage(buf); err != nil {
							b.Fatal(err)
						}
					}
				})
			}
		}
	}
}

// BenchmarkHandshake measures a whole opening handshake over loopback TCP, client and server:
// connect, request, checks, 101 response, response checks; then an immediate TCP close.
func BenchmarkHandshake(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := conn.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		c.ReadMessage(nil) // returns when the client goes away
		c.CloseNow()
	}))
	defer srv.Close()
	url := "ws" + srv.URL[len("http"):]
	opts := &conn.DialOptions{Proxy: noProxy}
	b.ReportAllocs()
	for b.Loop() {
		c, _, err := conn.Dial(context.Background(), url, opts)
		if err != nil {
			b.Fatal(err)
		}
		c.CloseNow()
	}
}

// TestEchoTransports runs one echo on each transport, so that `go test ./...` proves the
// benchmarks' plumbing works without running them.
func TestEchoTransports(t *testing.T) {
	for _, transport := range []string{"pipe", "tcp"} {
		res := testing.Benchmark(func(b *testing.B) {
			c := dialEcho(b, transport)
			for b.Loop() {
				c.WriteMessage(frame.OpText, []byte("ping"))
				if _, p, err := c.ReadMessage(nil); err != nil || string(p) != "ping" {
					b.Fatal(errors.Join(err, errors.New(string(p))))
				}
			}
		})
		if res.N == 0 {
			t.Fatalf("%s: the echo benchmark did not run", transport)
		}
	}
}
