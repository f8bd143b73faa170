package conn

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/rfc6455/ws/handshake"
)

// DialOptions configures a client connection. A nil *DialOptions means the defaults.
type DialOptions struct {
	// Subprotocols are offered in Sec-WebSocket-Protocol, in the client's order of preference
	// (§4.1 item 10). The server's choice is Conn.Subprotocol.
	Subprotocols []string

	// Header holds extra request headers, such as Authorization or Cookie. Headers the
	// handshake itself owns (Host, Upgrade, Connection, Sec-WebSocket-*) are ignored.
	Header http.Header

	// Origin, if set, is sent as the Origin header (§4.1 item 8; RFC 6454).
	Origin string

	// TLSConfig is used for wss:// URLs. Its ServerName defaults to the URL's host, so SNI and
	// certificate verification name the server that was asked for.
	TLSConfig *tls.Config

	// NetDialContext, if set, opens the TCP connection instead of a net.Dialer.
	NetDialContext func(ctx context.Context, network, addr string) (net.Conn, error)

	// Proxy returns the HTTP proxy for a request, or nil for none; it is given a request whose
	// URL has the scheme "http" for ws:// and "https" for wss://. nil means
	// http.ProxyFromEnvironment (HTTP_PROXY, HTTPS_PROXY, NO_PROXY). The connection goes through
	// the proxy with CONNECT (§4.1 item 2 of the client requirements).
	Proxy func(*http.Request) (*url.URL, error)

	// HandshakeTimeout bounds the opening handshake when the context has no deadline; 0 means
	// DefaultHandshakeTimeout.
	HandshakeTimeout time.Duration

	// ReadLimit is the largest message accepted, in bytes (inflated, for a compressed one);
	// 0 means DefaultReadLimit, or DefaultCompressedReadLimit when permessage-deflate is
	// negotiated, and a negative value means no limit.
	ReadLimit int64

	// ReadBufferSize and WriteBufferSize size the Conn's read and write buffers; 0 means 32 KiB,
	// and a write buffer has room for at least the largest control frame, 139 bytes. A Conn
	// borrows its buffers from a shared pool only while bytes wait in them, so an idle
	// connection holds neither.
	ReadBufferSize, WriteBufferSize int

	// CloseTimeout bounds each wait of the close handshake; 0 means DefaultCloseTimeout.
	CloseTimeout time.Duration

	// Compression, if set, offers permessage-deflate (RFC 7692) with these parameters; the
	// server may accept it or not (Conn.Compressed tells).
	Compression *CompressionOptions

	// MaxHeaderBytes bounds the head of the server's handshake response, and of an HTTP
	// proxy's answer to CONNECT: the status line and every header line, through the empty
	// line that ends them. 0 means DefaultMaxHeaderBytes, the limit a server built on this
	// package puts on a request head. A longer head fails Dial with ErrResponseHeadTooLarge
	// before more of it is read, so a hostile server cannot make the client hold more.
	MaxHeaderBytes int

	// PingInterval turns keepalive on: after PingInterval without a byte from the peer, the
	// Conn sends a ping (RFC 6455 §5.5.2), and if nothing at all arrives within PingTimeout
	// (PingInterval when 0) it sends a close frame with 1011 if it can, closes the transport,
	// and the read in progress returns a *CloseError with 1006 wrapping ErrPingTimeout. It finds
	// peers that vanished without a FIN (a NAT or load balancer that dropped the connection, a
	// machine turned off) and keeps such middleboxes from dropping an idle connection (AWS's
	// load balancers do after 60 s by default). It works while a goroutine reads, as a
	// connection's reader always is, and costs no goroutine or timer of its own: it moves the
	// read deadline. 0 means off.
	PingInterval, PingTimeout time.Duration

	// HTTP2, if set, tries HTTP/2 first for a wss:// URL (RFC 8441; see HTTP2Client): ALPN h2,
	// and the WebSocket as a stream of the connection, which it shares with the other
	// WebSockets the same HTTP2Client opened to that server. A server that answers with
	// HTTP/1.1, or does not advertise extended CONNECT, gets RFC 6455's handshake on a new
	// connection. Conn.OverHTTP2 tells which it was. ws:// URLs use HTTP/1.1 unless
	// HTTP2.Cleartext is set.
	HTTP2 *HTTP2Client
}

// ErrResponseHeadTooLarge is the error of Dial (wrapped, with the limit) when the server's
// handshake response, or a proxy's CONNECT response, has a head over DialOptions.MaxHeaderBytes.
var ErrResponseHeadTooLarge = errors.New("conn: response head too large")

// maxHeaderBytes returns the limit on a response head that opts ask for.
func (opts *DialOptions) maxHeaderBytes() int {
	if opts.MaxHeaderBytes <= 0 {
		return DefaultMaxHeaderBytes
	}
	return opts.MaxHeaderBytes
}

// readResponseHead reads an HTTP/1.1 response to req from r with at most limit bytes for its
// head. http.ReadResponse reads a head of any size, line by line, into memory, so the bytes it
// may take from the connection are counted out to it: once limit bytes have gone by without
// the empty line that ends the head, the reader sees the end of its input and the error names
// the limit. The body, read afterwards through the same reader, gets maxErrorBody more bytes;
// only a refused handshake has one.
func readResponseHead(r io.Reader, bufferSize, limit int, req *http.Request) (*bufio.Reader, *http.Response, error) {
	counted := &io.LimitedReader{R: r, N: int64(limit)}
	br := bufio.NewReaderSize(counted, bufferSize)
	resp, err := http.ReadResponse(br, req)
	if err != nil {
		if counted.N == 0 {
			return nil, nil, fmt.Errorf("%w: more than %d bytes without the end of the head (DialOptions.MaxHeaderBytes)", ErrResponseHeadTooLarge, limit)
		}
		return nil, nil, err
	}
	counted.N += maxErrorBody
	return br, resp, nil
}

// ErrBadURL is the error of Dial for a URL that is not a WebSocket URL (§3).
var ErrBadURL = errors.New("conn: not a ws://, wss://, http:// or https:// URL")

// maxErrorBody is how much of a refused handshake's response body Dial keeps for the caller.
const maxErrorBody = 1024

// Dial opens a client connection to a ws:// or wss:// URL (§3, §4.1): it connects, through an
// HTTP proxy if one applies, runs TLS for wss://, sends the opening handshake and checks the
// server's response with handshake.CheckResponse. The whole handshake is bounded by ctx, or by
// HandshakeTimeout when ctx has no deadline. An http:// or https:// URL is taken for the
// ws:// or wss:// one of the same host and path, as the WHATWG WebSockets standard has
// browsers do.
//
// The response is returned with the error when the server refused the handshake, its body cut
// to the first 1 KiB and already read into memory, so the caller can show why.
func Dial(ctx context.Context, rawURL string, opts *DialOptions) (*Conn, *http.Response, error) {
	if opts == nil {
		opts = &DialOptions{}
	}
	u, secure, err := parseURL(rawURL)
	if err != nil {
		return nil, nil, err
	}
	if _, ok := ctx.Deadline(); !ok {
		timeout := opts.HandshakeTimeout
		if timeout <= 0 {
			timeout = DefaultHandshakeTimeout
		}
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	addr := net.JoinHostPort(u.Hostname(), portOf(u, secure))

	var nc net.Conn
	runTLS := secure
	if opts.HTTP2 != nil && (secure || opts.HTTP2.Cleartext) {
		c, resp, tc, err := dialHTTP2(ctx, u, secure, addr, opts)
		switch {
		case tc != nil:
			// The server chose HTTP/1.1 in ALPN: RFC 6455's handshake on this connection.
			nc, runTLS = tc, false
		case errors.Is(err, errNoH2):
			// HTTP/2, but no WebSocket over it: RFC 6455's way, on a connection of its own.
		case err != nil:
			return nil, resp, fmt.Errorf("conn: dial %s: %w", rawURL, err)
		default:
			return c, resp, nil
		}
	}
	if nc == nil {
		var err error
		if nc, err = dialThroughProxy(ctx, u, secure, addr, opts); err != nil {
			return nil, nil, err
		}
	}
	// The context bounds every step below: its deadline is the connection's, and cancelling it
	// interrupts whatever read or write is under way.
	if deadline, ok := ctx.Deadline(); ok {
		nc.SetDeadline(deadline)
	}
	stop := context.AfterFunc(ctx, func() { nc.SetDeadline(time.Unix(1, 0)) })
	c, resp, err := clientHandshake(ctx, nc, u, runTLS, opts)
	if !stop() && err == nil {
		// The context ended while the handshake finished: honour the context.
		err = ctx.Err()
	}
	if err != nil {
		nc.Close()
		return nil, resp, fmt.Errorf("conn: dial %s: %w", rawURL, err)
	}
	nc.SetDeadline(time.Time{})
	c.startKeepAlive(opts.PingInterval, opts.PingTimeout)
	return c, resp, nil
}

// clientHandshake runs TLS (for wss://) and the opening handshake on nc.
func clientHandshake(ctx context.Context, nc net.Conn, u *url.URL, secure bool, opts *DialOptions) (*Conn, *http.Response, error) {
	if secure {
		config := opts.TLSConfig.Clone()
		if config == nil {
			config = &tls.Config{}
		}
		if config.ServerName == "" {
			config.ServerName = u.Hostname()
		}
		// RFC 6455 §4.1 upgrades an HTTP/1.1 connection: offer only that in ALPN, whatever
		// the caller's config lists (a config shared with an HTTP/2 client lists h2, and a
		// server that chose it would wait for HTTP/2's preface, not our request).
		config.NextProtos = []string{"http/1.1"}
		tc := tls.Client(nc, config)
		if err := tc.HandshakeContext(ctx); err != nil {
			return nil, nil, err
		}
		nc = tc
	}

	key := handshake.NewKey()
	extra := opts.Header
	if opts.Origin != "" {
		extra = extra.Clone()
		if extra == nil {
			extra = http.Header{}
		}
		extra.Set("Origin", opts.Origin)
	}
	offer, allowedExtensions, err := opts.offer()
	if err != nil {
		return nil, nil, err
	}
	request := handshake.AppendRequest(nil, u.RequestURI(), u.Host, key, opts.Subprotocols, offer, extra)
	if _, err := nc.Write(request); err != nil {
		return nil, nil, err
	}

	// Bytes the server sent right after its 101 response are the first frame: they are handed
	// to the Conn.
	br, resp, err := readResponseHead(nc, responseBufferSize, opts.maxHeaderBytes(), &http.Request{Method: http.MethodGet, URL: u})
	if err != nil {
		return nil, nil, fmt.Errorf("reading the handshake response: %w", err)
	}
	if err := handshake.CheckResponse(resp, key, opts.Subprotocols, allowedExtensions); err != nil {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
		resp.Body.Close()
		resp.Body = io.NopCloser(bytes.NewReader(body))
		return nil, resp, err
	}
	buffered, _ := br.Peek(br.Buffered())
	c := newConn(nc, buffered, false, opts.ReadLimit, opts.ReadBufferSize, opts.WriteBufferSize, opts.CloseTimeout)
	c.subprotocol = resp.Header.Get("Sec-WebSocket-Protocol")
	if err := c.acceptDeflate(resp, opts); err != nil {
		return nil, resp, err
	}
	return c, resp, nil
}

// offer returns the Sec-WebSocket-Extensions offer of opts, and the extensions a server may
// answer with.
func (opts *DialOptions) offer() (offer string, allowed []string, err error) {
	if opts.Compression == nil {
		return "", nil, nil
	}
	if err := opts.Compression.check(); err != nil {
		return "", nil, err
	}
	return handshake.DeflateOffer(opts.Compression.config(false)).String(), []string{handshake.PermessageDeflate}, nil
}

// acceptDeflate sets up permessage-deflate on a new client Conn as the server's response
// agreed it. The response was checked to name only the extension offered; RFC 7692 §7.1 says
// which of its parameters the server may answer with.
func (c *Conn) acceptDeflate(resp *http.Response, opts *DialOptions) error {
	if opts.Compression == nil {
		return nil
	}
	answers, _ := handshake.ParseExtensions(resp.Header)
	for _, answer := range answers {
		params, err := handshake.AcceptDeflateResponse(answer, opts.Compression.config(false))
		if err != nil {
			return err
		}
		c.deflate = newDeflate(c, params, opts.Compression)
		c.SetReadLimit(opts.ReadLimit)
	}
	return nil
}

// parseURL checks a WebSocket URL (§3): the scheme ws or wss (http and https are accepted as
// their equivalents), a host, and no fragment.
func parseURL(rawURL string) (u *url.URL, secure bool, err error) {
	u, err = url.Parse(rawURL)
	if err != nil {
		return nil, false, fmt.Errorf("%w: %v", ErrBadURL, err)
	}
	switch u.Scheme {
	case "ws", "http":
	case "wss", "https":
		secure = true
	default:
		return nil, false, fmt.Errorf("%w: scheme %q", ErrBadURL, u.Scheme)
	}
	if u.Hostname() == "" {
		return nil, false, fmt.Errorf("%w: no host in %q", ErrBadURL, rawURL)
	}
	// RFC 6455 §3: fragment identifiers are meaningless in WebSocket URIs and MUST NOT be used
	// (url.Parse drops an empty one, so look for the '#' itself).
	if strings.Contains(rawURL, "#") {
		return nil, false, fmt.Errorf("%w: fragment in %q", ErrBadURL, rawURL)
	}
	return u, secure, nil
}

// portOf returns the URL's port, or the default one of §3: 80 for ws, 443 for wss.
func portOf(u *url.URL, secure bool) string {
	if p := u.Port(); p != "" {
		return p
	}
	if secure {
		return "443"
	}
	return "80"
}

// dialThroughProxy opens a TCP connection to addr, through the HTTP proxy the options name for
// this URL if there is one.
func dialThroughProxy(ctx context.Context, u *url.URL, secure bool, addr string, opts *DialOptions) (net.Conn, error) {
	dial := opts.NetDialContext
	if dial == nil {
		dial = (&net.Dialer{}).DialContext
	}
	proxyFor := opts.Proxy
	if proxyFor == nil {
		proxyFor = http.ProxyFromEnvironment
	}
	scheme := "http"
	if secure {
		scheme = "https"
	}
	proxyURL, err := proxyFor(&http.Request{Method: http.MethodGet, URL: &url.URL{Scheme: scheme, Host: u.Host}})
	if err != nil {
		return nil, fmt.Errorf("conn: choosing a proxy: %w", err)
	}
	if proxyURL == nil {
		return dial(ctx, "tcp", addr)
	}
	return dialProxy(ctx, dial, proxyURL, addr, opts.maxHeaderBytes())
}

// dialProxy connects to an HTTP (or HTTPS) proxy and asks it for a tunnel to addr with CONNECT
// (RFC 9110 §9.3.6), as §4.1 describes for clients configured to use a proxy.
func dialProxy(ctx context.Context, dial func(context.Context, string, string) (net.Conn, error), proxyURL *url.URL, addr string, maxHeaderBytes int) (net.Conn, error) {
	var defaultPort string
	switch proxyURL.Scheme {
	case "http":
		defaultPort = "80"
	case "https":
		defaultPort = "443"
	default:
		return nil, fmt.Errorf("conn: proxy scheme %q is not supported (http and https are)", proxyURL.Scheme)
	}
	port := proxyURL.Port()
	if port == "" {
		port = defaultPort
	}
	nc, err := dial(ctx, "tcp", net.JoinHostPort(proxyURL.Hostname(), port))
	if err != nil {
		return nil, fmt.Errorf("conn: dialing proxy: %w", err)
	}
	fail := func(err error) (net.Conn, error) {
		nc.Close()
		return nil, fmt.Errorf("conn: proxy %s: %w", proxyURL.Redacted(), err)
	}
	if deadline, ok := ctx.Deadline(); ok {
		nc.SetDeadline(deadline)
	}
	stop := context.AfterFunc(ctx, func() { nc.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	if proxyURL.Scheme == "https" {
		tc := tls.Client(nc, &tls.Config{ServerName: proxyURL.Hostname()})
		if err := tc.HandshakeContext(ctx); err != nil {
			return fail(err)
		}
		nc = tc
	}
	request := "CONNECT " + addr + " HTTP/1.1\r\nHost: " + addr + "\r\n"
	if user := proxyURL.User; user != nil {
		password, _ := user.Password()
		credentials := base64.StdEncoding.EncodeToString([]byte(user.Username() + ":" + password))
		request += "Proxy-Authorization: Basic " + credentials + "\r\n"
	}
	request += "\r\n"
	if _, err := io.WriteString(nc, request); err != nil {
		return fail(err)
	}
	// The proxy sends nothing after its response until the tunnel carries our bytes, so a reader
	// that stops at the end of the response loses nothing.
	br, resp, err := readResponseHead(nc, 1024, maxHeaderBytes, &http.Request{Method: http.MethodConnect})
	if err != nil {
		return fail(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fail(fmt.Errorf("CONNECT %s: %s", addr, resp.Status))
	}
	if br.Buffered() > 0 {
		return fail(errors.New("data after the CONNECT response"))
	}
	return nc, nil
}
