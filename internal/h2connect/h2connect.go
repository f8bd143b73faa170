// Package h2connect hands connections to net/http's HTTP/2 client so that extended CONNECT
// requests (RFC 8441 §4), the way a WebSocket opens over HTTP/2, can be sent on them. It is
// shared by package conn's HTTP2Client and by the conformance suite, which must not use conn.
//
// net/http's HTTP/2 client sends a CONNECT with a :protocol pseudo-header only when it is
// reached directly, as the round tripper that http.Transport.TLSNextProto["h2"] returns for a
// connection: http.Client, and http.Transport.NewClientConn's ClientConn, check header names
// as HTTP/1.1 has them, and ":protocol" is not one. It waits for the server's first SETTINGS
// frame before it sends such a request and fails it unless that frame had
// SETTINGS_ENABLE_CONNECT_PROTOCOL (§3). A process that only dials this way needs no GODEBUG
// setting; one that serves extended CONNECT with net/http does (see internal/xconnect).
package h2connect

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"

	"github.com/rfc6455/ws/handshake"
)

// ErrNotSupported reports that a server speaks HTTP/2 but did not advertise extended CONNECT
// (RFC 8441 §3), so that no WebSocket can open over its streams.
var ErrNotSupported = errors.New("the server does not offer extended CONNECT (RFC 8441 §3)")

// A Client holds net/http's HTTP/2 client and the connections handed to it, which it pools:
// requests sent through the round trippers it returns go on any of those connections with room
// for another stream. The zero Client is ready to use; it is safe for concurrent use.
type Client struct {
	once sync.Once
	tr   *http.Transport

	mu        sync.Mutex
	tlsRT     http.RoundTripper // for the TLS connections
	cleartext http.RoundTripper // the same client, admitting http:// URLs
}

func (c *Client) transport() *http.Transport {
	c.once.Do(func() {
		c.tr = &http.Transport{ForceAttemptHTTP2: true}
		c.tr.CloseIdleConnections() // sets up its HTTP/2 client, and with it TLSNextProto
	})
	return c.tr
}

// Pooled returns the round tripper for https:// (secure) or http:// requests if a connection of
// that kind was handed over already, or nil.
func (c *Client) Pooled(secure bool) http.RoundTripper {
	c.mu.Lock()
	defer c.mu.Unlock()
	if secure {
		return c.tlsRT
	}
	return c.cleartext
}

// AddTLS hands over a TLS connection that negotiated h2 in ALPN and returns the round tripper
// for https:// requests to authority (host:port).
func (c *Client) AddTLS(authority string, tc *tls.Conn) http.RoundTripper {
	rt := c.transport().TLSNextProto["h2"](authority, tc)
	c.mu.Lock()
	defer c.mu.Unlock()
	c.tlsRT = rt
	return rt
}

// AddCleartext hands over a TCP connection for HTTP/2 with prior knowledge (RFC 9113 §3.3) and
// returns the round tripper for http:// requests to authority. net/http's only way in for one
// is the handoff its own Transport uses when its Protocols allow unencrypted HTTP/2:
// TLSNextProto's "unencrypted_http2" entry, given a *tls.Conn that is never used and whose
// NetConn has an UnencryptedNetConn method returning the connection. conn's TestDialH2C fails
// if that changes.
func (c *Client) AddCleartext(authority string, nc net.Conn) (http.RoundTripper, error) {
	next, ok := c.transport().TLSNextProto["unencrypted_http2"]
	if !ok {
		nc.Close()
		return nil, errors.New("this net/http has no HTTP/2 without TLS")
	}
	rt := next(authority, tls.Client(unencryptedHandoff{nc}, nil))
	c.mu.Lock()
	defer c.mu.Unlock()
	c.cleartext = rt
	return rt, nil
}

// unencryptedHandoff carries a cleartext connection through an API that takes a *tls.Conn
// (see AddCleartext).
type unencryptedHandoff struct{ net.Conn }

func (u unencryptedHandoff) UnencryptedNetConn() net.Conn { return u.Conn }

// CloseIdleConnections closes the handed-over connections that carry no stream.
func (c *Client) CloseIdleConnections() { c.transport().CloseIdleConnections() }

// Classify returns ErrNotSupported for the error net/http's HTTP/2 client gives when the server
// did not advertise extended CONNECT, and err otherwise.
func Classify(err error) error {
	if err != nil && strings.Contains(err.Error(), "extended connect not supported") {
		return ErrNotSupported
	}
	return err
}

// IsNoCachedConn reports whether err says that no pooled connection has room for another
// stream, so that a new one must be dialed and handed over.
func IsNoCachedConn(err error) bool {
	return err != nil && strings.Contains(err.Error(), "no cached connection")
}

// A Stream is the client's side of an extended CONNECT that the server answered: the response,
// whose body carries what the server sends, and the request body's writer, which carries what
// the client sends. Close ends both.
type Stream struct {
	Response *http.Response
	Body     *io.PipeWriter
	Cancel   context.CancelFunc // cancels the request, and with it the stream
}

// Close ends the client's half of the stream and cancels the request.
func (s *Stream) Close() {
	s.Body.Close()
	s.Response.Body.Close()
	s.Cancel()
}

// Open sends an extended CONNECT request (RFC 8441 §4) for a WebSocket to target (an http:// or
// https:// URL) through rt, with header and :protocol websocket, and returns the stream once
// the server has answered, whatever its status. ctx bounds the wait for the answer only: the
// stream lives until Close. The error is ErrNotSupported when the server did not advertise
// extended CONNECT.
func Open(ctx context.Context, rt http.RoundTripper, target *url.URL, header http.Header) (*Stream, error) {
	var body retryableBody
	streamCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	req, err := http.NewRequestWithContext(streamCtx, http.MethodConnect, target.String(), body.fresh())
	if err != nil {
		cancel()
		body.current().Close()
		return nil, err
	}
	req.GetBody = func() (io.ReadCloser, error) { return body.fresh(), nil }
	for name, values := range header {
		req.Header[name] = values
	}
	req.Header.Set(handshake.ProtocolPseudoHeader, "websocket")
	type result struct {
		resp *http.Response
		err  error
	}
	done := make(chan result, 1)
	go func() {
		resp, err := rt.RoundTrip(req)
		done <- result{resp, err}
	}()
	select {
	case r := <-done:
		if r.err != nil {
			cancel()
			body.current().Close()
			return nil, Classify(r.err)
		}
		return &Stream{Response: r.resp, Body: body.current(), Cancel: cancel}, nil
	case <-ctx.Done():
		cancel()
		body.current().Close()
		return nil, ctx.Err()
	}
}

// retryableBody is the request body of an extended CONNECT: a pipe whose writer becomes the
// stream's Body. net/http's HTTP/2 client retries a request on another connection when the
// one it chose cannot take it after all (another request took its last stream, or it is
// going away), and having closed the body of the failed attempt, it asks GetBody for a new
// one. Each call of fresh is such a body: a new pipe, whose writer replaces the last. Nothing
// is written into the body until Open has returned, so a retry loses no data.
type retryableBody struct {
	mu sync.Mutex
	w  *io.PipeWriter
}

func (b *retryableBody) fresh() io.ReadCloser {
	r, w := io.Pipe()
	b.mu.Lock()
	old := b.w
	b.w = w
	b.mu.Unlock()
	if old != nil {
		old.Close()
	}
	return r
}

func (b *retryableBody) current() *io.PipeWriter {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.w
}
