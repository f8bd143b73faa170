package conn

import (
	"bytes"
	"errors"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/rfc6455/ws/handshake"
)

// floodLimit is how much a flooding server offers in all: far more than any head limit plus
// every socket buffer between the two ends, so a client that read without bound would be seen
// taking it all.
const floodLimit = 256 << 20

// flood writes prefix and then chunk after chunk until the peer stops reading and closes, or
// floodLimit bytes have gone; it returns how many bytes were written.
func flood(nc net.Conn, prefix, chunk []byte) int64 {
	var written int64
	n, err := nc.Write(prefix)
	written += int64(n)
	for err == nil && written < floodLimit {
		n, err = nc.Write(chunk)
		written += int64(n)
	}
	return written
}

// floodBound is the most a flooding server may get written before the client, which stops at
// its head limit, closes the connection: the limit, the client's read-ahead and the two
// sockets' buffers (loopback buffers grow to a few MiB).
const floodBound = 32 << 20

// TestClientBoundsResponseHead covers the client's side of the head limit: RFC 6455 §4.1 has
// the client read the server's handshake response, and RFC 9112 §2.3 lets a recipient bound
// how long a head may be. Dial reads at most DialOptions.MaxHeaderBytes (DefaultMaxHeaderBytes)
// of it, however the server spends them — one endless line or many short ones — and fails with
// ErrResponseHeadTooLarge without reading the rest.
func TestClientBoundsResponseHead(t *testing.T) {
	floods := []struct {
		name  string
		chunk []byte
	}{
		{name: "§4.1 one endless header line", chunk: bytes.Repeat([]byte("a"), 64<<10)},
		{name: "§4.1 endless short header lines", chunk: bytes.Repeat([]byte("X-A: b\r\n"), 8<<10)},
	}
	for _, tc := range floods {
		t.Run(tc.name, func(t *testing.T) {
			var written atomic.Int64
			srv := startRawServer(t, func(p *serverPeer) error {
				written.Store(flood(p.nc, []byte("HTTP/1.1 101 Switching Protocols\r\nX-Flood: "), tc.chunk))
				return nil
			})
			c, _, err := dialForRules(srv.url, nil)
			if err == nil {
				c.CloseNow()
				t.Fatal("Dial succeeded, want ErrResponseHeadTooLarge")
			}
			if !errors.Is(err, ErrResponseHeadTooLarge) {
				t.Fatalf("Dial error = %v, want one wrapping ErrResponseHeadTooLarge", err)
			}
			if !strings.Contains(err.Error(), "8192") {
				t.Errorf("Dial error %q does not name the limit, 8192 bytes", err)
			}
			srv.wait(t)
			if got := written.Load(); got > floodBound {
				t.Errorf("the server got %d bytes written before the client hung up, want at most %d", got, floodBound)
			}
		})
	}

	// Heads within the limit, or within a raised one, are read whole.
	within := []struct {
		name  string
		extra int // bytes of one extra header line
		limit int // DialOptions.MaxHeaderBytes
	}{
		{name: "§4.1 a 7 KiB head within the default limit", extra: 7 << 10},
		{name: "§4.1 a 40 KiB head within a raised limit", extra: 40 << 10, limit: 64 << 10},
	}
	for _, tc := range within {
		t.Run(tc.name, func(t *testing.T) {
			srv := startRawServer(t, func(p *serverPeer) error {
				response := response101("Upgrade: websocket", "Connection: Upgrade",
					"Sec-WebSocket-Accept: "+handshake.AcceptKey(p.key()), "X-Big: "+strings.Repeat("b", tc.extra))
				if err := p.write(response); err != nil {
					return err
				}
				return p.drain()
			})
			c, resp, err := dialForRules(srv.url, &DialOptions{MaxHeaderBytes: tc.limit})
			if err != nil {
				t.Fatalf("Dial: %v", err)
			}
			if got := len(resp.Header.Get("X-Big")); got != tc.extra {
				t.Errorf("X-Big has %d bytes, want %d", got, tc.extra)
			}
			c.CloseNow()
			srv.wait(t)
		})
	}

	t.Run("§4.1 a 9 KiB head over the default limit", func(t *testing.T) {
		srv := startRawServer(t, func(p *serverPeer) error {
			response := response101("Upgrade: websocket", "Connection: Upgrade",
				"Sec-WebSocket-Accept: "+handshake.AcceptKey(p.key()), "X-Big: "+strings.Repeat("b", 9<<10))
			// The client hangs up with the rest of the head unread, which may reset the
			// connection under this write or the wait after it.
			p.write(response)
			p.drain()
			return nil
		})
		c, _, err := dialForRules(srv.url, nil)
		if err == nil {
			c.CloseNow()
			t.Fatal("Dial succeeded, want ErrResponseHeadTooLarge")
		}
		if !errors.Is(err, ErrResponseHeadTooLarge) {
			t.Fatalf("Dial error = %v, want one wrapping ErrResponseHeadTooLarge", err)
		}
		srv.wait(t)
	})
}

// TestClientBoundsProxyResponseHead covers §4.1's client behind an HTTP proxy: the proxy's
// answer to CONNECT is bounded by DialOptions.MaxHeaderBytes as the server's response is.
func TestClientBoundsProxyResponseHead(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	written := make(chan int64, 1)
	go func() {
		nc, err := ln.Accept()
		if err != nil {
			written <- 0
			return
		}
		defer nc.Close()
		// The CONNECT request is small and sent in one write; the proxy answers at once.
		buf := make([]byte, 4096)
		nc.Read(buf)
		written <- flood(nc, []byte("HTTP/1.1 200 Connection established\r\nX-Flood: "), bytes.Repeat([]byte("a"), 64<<10))
	}()
	proxyURL := &url.URL{Scheme: "http", Host: ln.Addr().String()}
	c, _, err := dialForRules("ws://example.invalid/", &DialOptions{
		Proxy: func(*http.Request) (*url.URL, error) { return proxyURL, nil },
	})
	if err == nil {
		c.CloseNow()
		t.Fatal("Dial succeeded, want ErrResponseHeadTooLarge")
	}
	if !errors.Is(err, ErrResponseHeadTooLarge) {
		t.Fatalf("Dial error = %v, want one wrapping ErrResponseHeadTooLarge", err)
	}
	if got := <-written; got > floodBound {
		t.Errorf("the proxy got %d bytes written before the client hung up, want at most %d", got, floodBound)
	}
}
