package conn

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/rfc6455/ws/handshake"
	"github.com/rfc6455/ws/internal/h2connect"
)

// An HTTP2Client lets Dial open WebSockets over HTTP/2 (RFC 8441) for wss:// URLs (ws:// ones
// with Cleartext), and lets the WebSockets it opens to one server share an HTTP/2 connection:
// give the same HTTP2Client to each Dial (DialOptions.HTTP2). Dial then offers h2 in TLS's ALPN; when the server takes it
// and advertises extended CONNECT (SETTINGS_ENABLE_CONNECT_PROTOCOL), the WebSocket is a stream
// of that connection, and otherwise Dial goes on as over HTTP/1.1. The zero HTTP2Client is
// ready to use; it is safe for concurrent use.
//
// It is built on net/http's HTTP/2 client (see internal/h2connect for how it is reached). A
// process that dials this way needs GODEBUG=http2xconnect=1 only if it also serves.
type HTTP2Client struct {
	// Cleartext, if true, has Dial use HTTP/2 for ws:// URLs too, with prior knowledge
	// (RFC 9113 §3.3): the connection preface goes out on the new TCP connection without
	// asking first, as to a server known to speak HTTP/2 in cleartext (cmd/echo -h2c, a proxy's
	// h2c backend). A server that does not speak it fails the Dial: without TLS's ALPN there is
	// nothing to fall back on. A cleartext server that speaks HTTP/2 but does not advertise
	// extended CONNECT gets RFC 6455's handshake on a new connection, as over TLS.
	Cleartext bool

	pool   h2connect.Client // net/http's HTTP/2 client and the connections handed to it
	dialMu sync.Mutex       // one new HTTP/2 connection at a time (dialHTTP2)
}

// CloseIdleConnections closes the HTTP/2 connections of h that carry no WebSocket (no open
// stream), as http.Transport's method of the name does; the next Dial opens a new one.
func (h *HTTP2Client) CloseIdleConnections() { h.pool.CloseIdleConnections() }

// errNoH2 reports that a server did not take a WebSocket over HTTP/2; Dial falls back.
var errNoH2 = h2connect.ErrNotSupported

// open opens a WebSocket over HTTP/2 to u with an extended CONNECT request (RFC 8441 §4) through
// rt, the HTTP/2 client. It returns errNoH2 when the server does not advertise extended
// CONNECT, so that the caller can fall back to HTTP/1.1.
func (h *HTTP2Client) open(ctx context.Context, rt http.RoundTripper, u *url.URL, opts *DialOptions, offer string, allowed []string) (*Conn, *http.Response, error) {
	target := *u
	target.Scheme = "https"
	if u.Scheme == "ws" {
		target.Scheme = "http"
	}
	target.Fragment = ""
	header := http.Header{}
	for name, values := range opts.Header {
		header[name] = values
	}
	header.Set("Sec-WebSocket-Version", handshake.Version)
	if len(opts.Subprotocols) > 0 {
		header.Set("Sec-WebSocket-Protocol", strings.Join(opts.Subprotocols, ", "))
	}
	if offer != "" {
		header.Set("Sec-WebSocket-Extensions", offer)
	}
	if opts.Origin != "" {
		header.Set("Origin", opts.Origin)
	}
	// The stream outlives Dial's context, which bounds only the handshake: the request's
	// context is cancelled when the Conn is closed.
	stream, err := h2connect.Open(ctx, rt, &target, header)
	if err != nil {
		return nil, nil, err
	}
	resp := stream.Response
	if err := handshake.CheckExtendedConnectResponse(resp, opts.Subprotocols, allowed); err != nil {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
		stream.Close()
		resp.Body = io.NopCloser(strings.NewReader(string(body)))
		return nil, resp, err
	}
	out, cancel := stream.Body, stream.Cancel
	nc := newClientStream(resp.Body, out, cancel, addrString(u.Host))
	c := newConn(nc, nil, false, opts.ReadLimit, opts.ReadBufferSize, opts.WriteBufferSize, opts.CloseTimeout)
	c.subprotocol = resp.Header.Get("Sec-WebSocket-Protocol")
	if err := c.acceptDeflate(resp, opts); err != nil {
		c.CloseNow()
		return nil, resp, err
	}
	c.startKeepAlive(opts.PingInterval, opts.PingTimeout)
	return c, resp, nil
}

// clientStream is the client's side of an HTTP/2 stream as a net.Conn: reads come from the
// response body through a goroutine of its own, so that a read deadline can pass without
// breaking the stream (keepalive moves the read deadline and goes on reading); writes go into
// the request body, and a write deadline that passes ends the stream, as a timed-out write
// ends a Conn on TCP.
type clientStream struct {
	body   io.ReadCloser
	out    *io.PipeWriter
	cancel context.CancelFunc
	remote net.Addr

	readDeadline, writeDeadline deadline
	chunks                      chan []byte // the reading goroutine's pieces
	consumed                    chan struct{}
	readErr                     error // after chunks is closed
	pending                     []byte
	readMu                      sync.Mutex

	closeOnce sync.Once
	closed    chan struct{}

	timerMu    sync.Mutex
	writeTimer *time.Timer
}

func newClientStream(body io.ReadCloser, out *io.PipeWriter, cancel context.CancelFunc, remote net.Addr) *clientStream {
	s := &clientStream{body: body, out: out, cancel: cancel, remote: remote,
		chunks: make(chan []byte), consumed: make(chan struct{}, 1), closed: make(chan struct{})}
	s.readDeadline.init()
	s.writeDeadline.init()
	go s.pump()
	return s
}

func (s *clientStream) pump() {
	buf := make([]byte, 16<<10)
	for {
		n, err := s.body.Read(buf)
		if n > 0 {
			select {
			case s.chunks <- buf[:n]:
			case <-s.closed:
				return
			}
			select {
			case <-s.consumed:
			case <-s.closed:
				return
			}
		}
		if err != nil {
			s.readErr = err
			close(s.chunks)
			return
		}
	}
}

func (s *clientStream) Read(p []byte) (int, error) {
	s.readMu.Lock()
	defer s.readMu.Unlock()
	if len(s.pending) == 0 {
		if s.readDeadline.passed() {
			return 0, os.ErrDeadlineExceeded
		}
		select {
		case chunk, ok := <-s.chunks:
			if !ok {
				return 0, s.readErr
			}
			s.pending = chunk
		case <-s.readDeadline.wait():
			return 0, os.ErrDeadlineExceeded
		case <-s.closed:
			return 0, net.ErrClosed
		}
	}
	n := copy(p, s.pending)
	s.pending = s.pending[n:]
	if len(s.pending) == 0 {
		s.consumed <- struct{}{}
	}
	return n, nil
}

func (s *clientStream) Write(p []byte) (int, error) {
	if s.writeDeadline.passed() {
		return 0, os.ErrDeadlineExceeded
	}
	return s.out.Write(p)
}

// Close ends the stream: the request body ends (END_STREAM) and the request is cancelled.
func (s *clientStream) Close() error {
	s.closeOnce.Do(func() {
		close(s.closed)
		s.out.Close()
		s.body.Close()
		s.cancel()
	})
	return nil
}

func (s *clientStream) LocalAddr() net.Addr  { return addrString("") }
func (s *clientStream) RemoteAddr() net.Addr { return s.remote }

func (s *clientStream) SetDeadline(t time.Time) error {
	s.SetReadDeadline(t)
	return s.SetWriteDeadline(t)
}

func (s *clientStream) SetReadDeadline(t time.Time) error {
	s.readDeadline.set(t)
	return nil
}

// SetWriteDeadline bounds writes: a write still blocked when it passes fails, and the stream
// with it (the frame it was writing is cut).
func (s *clientStream) SetWriteDeadline(t time.Time) error {
	s.writeDeadline.set(t)
	s.timerMu.Lock()
	defer s.timerMu.Unlock()
	if s.writeTimer != nil {
		s.writeTimer.Stop()
		s.writeTimer = nil
	}
	if !t.IsZero() {
		s.writeTimer = time.AfterFunc(time.Until(t), func() {
			s.out.CloseWithError(os.ErrDeadlineExceeded)
		})
	}
	return nil
}

// dialHTTP2 is Dial's way over HTTP/2 for a wss:// URL, or a ws:// one with
// HTTP2Client.Cleartext. When the server chose HTTP/1.1 in ALPN it returns the TLS connection,
// for RFC 6455's handshake on it; when it took HTTP/2 but not extended CONNECT, errNoH2, having
// closed what it opened, so that Dial dials again.
func dialHTTP2(ctx context.Context, u *url.URL, secure bool, addr string, opts *DialOptions) (*Conn, *http.Response, net.Conn, error) {
	h := opts.HTTP2
	offer, allowed, err := opts.offer()
	if err != nil {
		return nil, nil, nil, err
	}
	tryPooled := func() (c *Conn, resp *http.Response, err error, ok bool) {
		rt := h.pool.Pooled(secure)
		if rt == nil {
			return nil, nil, nil, false
		}
		c, resp, err = h.open(ctx, rt, u, opts, offer, allowed)
		return c, resp, err, err == nil || !h2connect.IsNoCachedConn(err)
	}
	if c, resp, err, ok := tryPooled(); ok {
		return c, resp, nil, err
	}
	// No pooled connection has room for another stream. One new connection at a time: the
	// WebSockets dialed meanwhile wait for it and take its streams, rather than each opening a
	// connection of its own. net/http's pool gives a request any connection with room, so
	// another stream may take the new connection's last place first: then dial again.
	h.dialMu.Lock()
	defer h.dialMu.Unlock()
	for attempt := 1; ; attempt++ {
		if c, resp, err, ok := tryPooled(); ok {
			return c, resp, nil, err
		}
		c, resp, tc, err := h.dialNew(ctx, u, secure, addr, opts, offer, allowed)
		if err == nil || tc != nil || !h2connect.IsNoCachedConn(err) || attempt == maxH2Dials {
			return c, resp, tc, err
		}
	}
}

// maxH2Dials bounds the new HTTP/2 connections one Dial opens when others' streams keep
// taking their room (dialHTTP2).
const maxH2Dials = 4

// dialNew is dialHTTP2 on a new connection: it dials, hands the connection to net/http's HTTP/2
// client and opens the WebSocket as a stream, or returns the TLS connection when the server
// chose HTTP/1.1 in ALPN.
func (h *HTTP2Client) dialNew(ctx context.Context, u *url.URL, secure bool, addr string, opts *DialOptions, offer string, allowed []string) (*Conn, *http.Response, net.Conn, error) {
	nc, err := dialThroughProxy(ctx, u, secure, addr, opts)
	if err != nil {
		return nil, nil, nil, err
	}
	if !secure {
		rt, err := h.pool.AddCleartext(u.Host, nc)
		if err != nil {
			return nil, nil, nil, err
		}
		c, resp, err := h.open(ctx, rt, u, opts, offer, allowed)
		if err != nil && !errors.Is(err, errNoH2) {
			err = fmt.Errorf("over HTTP/2 with prior knowledge: %w", err)
		}
		return c, resp, nil, err
	}
	config := opts.TLSConfig.Clone()
	if config == nil {
		config = &tls.Config{}
	}
	if config.ServerName == "" {
		config.ServerName = u.Hostname()
	}
	config.NextProtos = []string{"h2", "http/1.1"}
	tc := tls.Client(nc, config)
	if err := tc.HandshakeContext(ctx); err != nil {
		nc.Close()
		return nil, nil, nil, err
	}
	if tc.ConnectionState().NegotiatedProtocol != "h2" {
		return nil, nil, tc, nil
	}
	c, resp, err := h.open(ctx, h.pool.AddTLS(u.Host, tc), u, opts, offer, allowed)
	if err != nil && !errors.Is(err, errNoH2) {
		err = fmt.Errorf("over HTTP/2: %w", err)
	}
	return c, resp, nil, err
}
