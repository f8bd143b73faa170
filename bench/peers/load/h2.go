package load

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rfc6455/ws/handshake"
	"github.com/rfc6455/ws/internal/h2connect"
)

// WebSocket over HTTP/2 (RFC 8441) for the load generator: with Target.HTTP2 every connection
// of a run is a stream opened by an extended CONNECT, and the streams share HTTP/2 connections
// as a browser's do, a new one only when the server's SETTINGS_MAX_CONCURRENT_STREAMS is
// reached. The connections speak HTTP/2 over TLS for wss:// (ALPN h2), and with prior
// knowledge for ws:// (RFC 9113 §3.3: an h2c server such as cmd/echo -h2c), where the figures
// hold HTTP/2's cost without TLS's. After the CONNECT the generator frames, masks and checks
// exactly as over TCP.

// h2Pool is the HTTP/2 client of one run and the connections handed to it.
type h2Pool struct {
	mu     sync.Mutex // one new connection at a time
	client h2connect.Client
}

// dialH2 opens a WebSocket to u as a stream: through a pooled HTTP/2 connection with room for
// one more, or else through a new one.
func (p *h2Pool) dialH2(ctx context.Context, t Target, u *url.URL, host string, header http.Header) (net.Conn, *http.Response, error) {
	target := *u
	target.Scheme = "http"
	secure := u.Scheme == "wss"
	if secure {
		target.Scheme = "https"
	}
	if nc, resp, err, ok := p.tryPooled(ctx, secure, &target, header, u.Host); ok {
		return nc, resp, err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	// net/http's pool hands a request to any of its connections with room; a stream that ends
	// elsewhere as a connection is added can leave the new one unused and another full, so a
	// dial that finds no room tries again.
	for attempt := 0; ; attempt++ {
		// Another dial may have added a connection while this one waited.
		if nc, resp, err, ok := p.tryPooled(ctx, secure, &target, header, u.Host); ok {
			return nc, resp, err
		}
		tcp, err := dialTCP(ctx, t, u, host, "h2")
		if err != nil {
			return nil, nil, err
		}
		var rt http.RoundTripper
		if tc, ok := tcp.(*tls.Conn); ok {
			rt = p.client.AddTLS(u.Host, tc)
		} else if rt, err = p.client.AddCleartext(u.Host, tcp); err != nil {
			return nil, nil, err
		}
		nc, resp, err := openStream(ctx, rt, &target, header, u.Host)
		if err == nil || !h2connect.IsNoCachedConn(err) || attempt == 3 {
			return nc, resp, err
		}
	}
}

// tryPooled opens the stream on a pooled connection; ok is false if there is none with room.
func (p *h2Pool) tryPooled(ctx context.Context, secure bool, target *url.URL, header http.Header, authority string) (nc net.Conn, resp *http.Response, err error, ok bool) {
	rt := p.client.Pooled(secure)
	if rt == nil {
		return nil, nil, nil, false
	}
	nc, resp, err = openStream(ctx, rt, target, header, authority)
	return nc, resp, err, err == nil || !h2connect.IsNoCachedConn(err)
}

// openStream sends the extended CONNECT through rt and returns the stream as a net.Conn if the
// server answered 200 (RFC 8441 §5).
func openStream(ctx context.Context, rt http.RoundTripper, target *url.URL, header http.Header, authority string) (net.Conn, *http.Response, error) {
	s, err := h2connect.Open(ctx, rt, target, header)
	if err != nil {
		return nil, nil, err
	}
	if s.Response.StatusCode != http.StatusOK {
		s.Close()
		return nil, s.Response, fmt.Errorf("load: extended CONNECT answered %s", s.Response.Status)
	}
	return newH2Stream(s, authority), s.Response, nil
}

// h2Stream is a stream as the net.Conn the generator's client reads and writes: reads from the
// response body, writes into the request body. A deadline that passes ends the stream, which
// fails the read or write waiting on it; the generator treats that as the error it is.
type h2Stream struct {
	s      *h2connect.Stream
	remote string

	readTimer, writeTimer *time.Timer
	timedOut              atomic.Bool
	closeOnce             sync.Once
}

func newH2Stream(s *h2connect.Stream, remote string) *h2Stream {
	h := &h2Stream{s: s, remote: remote}
	expire := func() {
		h.timedOut.Store(true)
		h.Close()
	}
	h.readTimer = time.AfterFunc(time.Hour, expire)
	h.readTimer.Stop()
	h.writeTimer = time.AfterFunc(time.Hour, expire)
	h.writeTimer.Stop()
	return h
}

func (h *h2Stream) Read(p []byte) (int, error) {
	n, err := h.s.Response.Body.Read(p)
	return n, h.explain(err)
}

func (h *h2Stream) Write(p []byte) (int, error) {
	n, err := h.s.Body.Write(p)
	return n, h.explain(err)
}

// explain reports a read or write cut by a passed deadline as the timeout it was.
func (h *h2Stream) explain(err error) error {
	if err != nil && h.timedOut.Load() {
		return errors.Join(os.ErrDeadlineExceeded, err)
	}
	return err
}

func (h *h2Stream) Close() error {
	h.closeOnce.Do(func() {
		h.readTimer.Stop()
		h.writeTimer.Stop()
		h.s.Close()
	})
	return nil
}

func (h *h2Stream) LocalAddr() net.Addr  { return h2Addr("") }
func (h *h2Stream) RemoteAddr() net.Addr { return h2Addr(h.remote) }

func (h *h2Stream) SetDeadline(t time.Time) error {
	h.SetReadDeadline(t)
	return h.SetWriteDeadline(t)
}

func (h *h2Stream) SetReadDeadline(t time.Time) error  { arm(h.readTimer, t); return nil }
func (h *h2Stream) SetWriteDeadline(t time.Time) error { arm(h.writeTimer, t); return nil }

// arm sets timer to fire at t, or stops it for the zero t.
func arm(timer *time.Timer, t time.Time) {
	if t.IsZero() {
		timer.Stop()
		return
	}
	timer.Reset(time.Until(t))
}

// h2Addr is the server's address as the URL gave it.
type h2Addr string

func (a h2Addr) Network() string { return "tcp" }
func (a h2Addr) String() string  { return string(a) }

// extendedConnectHeader is the handshake's header fields over HTTP/2 (RFC 8441 §5: no
// Sec-WebSocket-Key, no Upgrade; the version and the offers as in RFC 6455 §4.1).
func extendedConnectHeader(offer string) http.Header {
	h := http.Header{"Sec-Websocket-Version": {handshake.Version}}
	if offer != "" {
		h.Set("Sec-WebSocket-Extensions", offer)
	}
	return h
}
