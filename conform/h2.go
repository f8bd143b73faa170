package conform

// The suite over HTTP/2 (RFC 8441): each case's WebSocket is a stream of an HTTP/2 connection,
// opened with an extended CONNECT request, and the stream's DATA frames carry the same bytes
// a TCP connection would. The cases do not change: only what "the connection" is, and what
// ending it means (RFC 8441 §6: END_STREAM stands for a TCP FIN, RST_STREAM for a reset).

import (
	"bufio"
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"sync"
	"time"

	"github.com/rfc6455/ws/handshake"
	"github.com/rfc6455/ws/internal/h2connect"
)

// dialH2 opens the suite's end of a WebSocket over an HTTP/2 stream to u (wss://, or ws://
// with prior knowledge), through pool's connection to the server if it has one with room for
// another stream, and over a new one otherwise. The server must advertise extended CONNECT.
func dialH2(ctx context.Context, u *url.URL, addr string, opts dialOptions) (*rawConn, error) {
	secure := u.Scheme == "wss"
	rt := opts.h2.Pooled(secure)
	if rt != nil {
		rc, err := openH2(ctx, rt, u, opts)
		if !h2connect.IsNoCachedConn(err) {
			return rc, err
		}
	}
	var d net.Dialer
	nc, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	if !secure {
		if rt, err = opts.h2.AddCleartext(u.Host, nc); err != nil {
			return nil, err
		}
		return openH2(ctx, rt, u, opts)
	}
	cfg := opts.tlsConfig.Clone()
	if cfg == nil {
		cfg = new(tls.Config)
	}
	if cfg.ServerName == "" {
		cfg.ServerName = u.Hostname()
	}
	cfg.NextProtos = []string{"h2"}
	tc := tls.Client(nc, cfg)
	if err := tc.HandshakeContext(ctx); err != nil {
		nc.Close()
		return nil, fmt.Errorf("TLS offering only h2 in ALPN: %w", err)
	}
	if p := tc.ConnectionState().NegotiatedProtocol; p != "h2" {
		tc.Close()
		return nil, fmt.Errorf("the server chose %q in ALPN, not h2", p)
	}
	return openH2(ctx, opts.h2.AddTLS(u.Host, tc), u, opts)
}

// openH2 sends the extended CONNECT request (RFC 8441 §4) through rt, the HTTP/2 client, and
// checks the answer (§5): a 2xx, no subprotocol, and permessage-deflate as the case offered it.
func openH2(ctx context.Context, rt http.RoundTripper, u *url.URL, opts dialOptions) (*rawConn, error) {
	target := *u
	target.Scheme = "https"
	if u.Scheme == "ws" {
		target.Scheme = "http"
	}
	header := http.Header{"User-Agent": {"wsconform"}}
	for name, values := range opts.header {
		header[name] = values
	}
	header.Set("Sec-WebSocket-Version", handshake.Version)
	var offered []string
	if len(opts.deflate) > 0 {
		header.Set("Sec-WebSocket-Extensions", offerExtensions(opts.deflate))
		offered = []string{handshake.PermessageDeflate}
	}
	// The stream lives as long as the case, past the handshake that ctx bounds.
	stream, err := h2connect.Open(ctx, rt, &target, header)
	if err != nil {
		return nil, err
	}
	fail := func(err error) (*rawConn, error) {
		stream.Close()
		return nil, err
	}
	if err := handshake.CheckExtendedConnectResponse(stream.Response, nil, offered); err != nil {
		return fail(err)
	}
	var n negotiation
	if len(opts.deflate) > 0 {
		if n, err = acceptAnswer(stream.Response.Header, opts.deflate); err != nil {
			return fail(err)
		}
	}
	s := &h2Stream{body: stream.Response.Body, out: stream.Body, cancel: stream.Cancel, remote: h2Addr(u.Host)}
	return newRawConnDeflate(s, bufio.NewReaderSize(s, 64<<10), true, n), nil
}

// h2Stream is the client's side of an HTTP/2 stream as the net.Conn a rawConn reads and writes:
// reads come from the response body, writes go into the request body, CloseWrite ends the
// request body (END_STREAM, the FIN of RFC 8441 §6), and Close ends both and cancels the
// request. A deadline that passes ends the direction it bounds, for good: the suite never
// reads or writes again after one.
type h2Stream struct {
	body   io.ReadCloser
	out    *io.PipeWriter
	cancel context.CancelFunc
	remote net.Addr

	mu                    sync.Mutex
	readTimer, writeTimer *time.Timer
	closeOnce             sync.Once
}

func (s *h2Stream) Read(p []byte) (int, error)  { return s.body.Read(p) }
func (s *h2Stream) Write(p []byte) (int, error) { return s.out.Write(p) }

// CloseWrite ends the client's half of the stream with END_STREAM.
func (s *h2Stream) CloseWrite() error { return s.out.Close() }

func (s *h2Stream) Close() error {
	s.closeOnce.Do(func() {
		s.out.Close()
		s.body.Close()
		s.cancel()
	})
	return nil
}

func (s *h2Stream) LocalAddr() net.Addr  { return h2Addr("") }
func (s *h2Stream) RemoteAddr() net.Addr { return s.remote }

func (s *h2Stream) SetDeadline(t time.Time) error {
	s.SetReadDeadline(t)
	return s.SetWriteDeadline(t)
}

func (s *h2Stream) SetReadDeadline(t time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.readTimer = s.arm(s.readTimer, t, func() { s.body.Close() })
	return nil
}

func (s *h2Stream) SetWriteDeadline(t time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.writeTimer = s.arm(s.writeTimer, t, func() { s.out.CloseWithError(os.ErrDeadlineExceeded) })
	return nil
}

// arm replaces timer with one that runs expire at t; a zero t means none.
func (s *h2Stream) arm(timer *time.Timer, t time.Time, expire func()) *time.Timer {
	if timer != nil {
		timer.Stop()
	}
	if t.IsZero() {
		return nil
	}
	return time.AfterFunc(time.Until(t), expire)
}

// h2Addr is a stream's address: the server's authority.
type h2Addr string

func (a h2Addr) Network() string { return "h2" }
func (a h2Addr) String() string  { return string(a) }
