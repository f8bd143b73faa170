package conn

import (
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/rfc6455/ws/handshake"
)

// UpgradeOptions configures the server side of the opening handshake and the Conn it yields.
// A nil *UpgradeOptions means the defaults.
type UpgradeOptions struct {
	// Subprotocols lists the subprotocols the server speaks, in its order of preference. The
	// first of them that the client offered is selected (§4.2.2 item 5.4); none is selected
	// when the list is empty or nothing matches.
	Subprotocols []string

	// OriginPatterns allows browsers on other origins to connect. With none, only a same-origin
	// request (its Origin's host equal to Host) is accepted, and a cross-origin one gets 403
	// (§10.2). "*" allows every origin; otherwise a pattern such as "127.0.0.1:8765" or
	// "*.example.com" is matched against the Origin's host (see handshake.CheckOrigin).
	OriginPatterns []string

	// CheckOrigin, if set, decides instead of OriginPatterns whether a request's origin is allowed.
	CheckOrigin func(r *http.Request) bool

	// ReadLimit is the largest message accepted, in bytes (inflated, for a compressed one);
	// 0 means DefaultReadLimit, or DefaultCompressedReadLimit when permessage-deflate is
	// negotiated, and a negative value means no limit.
	ReadLimit int64

	// ReadBufferSize and WriteBufferSize size the Conn's read and write buffers; 0 means 32 KiB,
	// and a write buffer has room for at least the largest control frame, 139 bytes. A Conn
	// borrows its buffers from a shared pool only while bytes wait in them, so an idle
	// connection holds neither.
	ReadBufferSize, WriteBufferSize int

	// Header holds extra headers for the 101 response, such as Set-Cookie.
	Header http.Header

	// CloseTimeout bounds each wait of the close handshake and, with Upgrade, the write of the
	// 101 response; 0 means DefaultCloseTimeout.
	CloseTimeout time.Duration

	// Compression, if set, accepts a client's permessage-deflate offer (RFC 7692).
	Compression *CompressionOptions

	// HandshakeTimeout bounds the whole handshake of UpgradeConn: the client's request head
	// (and, on a *tls.Conn, the TLS handshake before it) and the answer, a 101 response or a
	// refusal; for UpgradeRequest, the answer. 0 means DefaultHandshakeTimeout. A negative value
	// sets no deadline at all, for a caller that bounds the handshake itself with nc's own
	// deadlines. It is used by UpgradeConn and UpgradeRequest only: behind net/http,
	// http.Server's ReadHeaderTimeout does this job for Upgrade.
	HandshakeTimeout time.Duration

	// MaxHeaderBytes bounds the request head (request line and header fields) that
	// UpgradeConn reads; a longer one is refused with 431 Request Header Fields Too Large.
	// 0 means DefaultMaxHeaderBytes, 8 KiB: several times a browser's handshake with its
	// cookies, yet a small bound on what a client that has proved nothing yet can make the
	// server hold (net/http's default, 1 MiB, is sized for general HTTP requests). It is used
	// by UpgradeConn only: behind net/http, http.Server's MaxHeaderBytes does this job.
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
}

// Upgrade answers an opening handshake request (§4.2) from a net/http handler and returns the
// server side of the connection. It checks the request (handshake.CheckRequest) and its origin,
// selects a subprotocol, takes over the TCP connection from net/http and sends the 101 response.
// When the request is refused, Upgrade has already answered it with the status the failure calls
// for (400, 403, 405 or 426, with a plain-text reason) and returns the *handshake.Error.
//
// Bytes that the client sent after its request, and that net/http had already read, are the
// start of the first frame: the Conn reads them first.
//
// On an HTTP/2 connection Upgrade answers an extended CONNECT request (RFC 8441) instead: it
// checks it (handshake.CheckExtendedConnect, and the origin, subprotocols and extensions as
// above), answers 200, and returns a Conn over the request's stream (see Conn.OverHTTP2). That
// Conn lives in the handler's stream, so the handler must not return until it is done with
// it. net/http's HTTP/2 server passes such requests to handlers only when the process was
// started with GODEBUG=http2xconnect=1. Such a server should also set, in http.Server.HTTP2:
//   - MaxReadFrameSize to 16384, RFC 9113's default: net/http's HTTP/2 client keeps a buffer of
//     the server's largest frame size (up to 512 KiB) for each open request body, so that each
//     WebSocket stream a Go client opens costs it that much with net/http's default of 1 MiB;
//   - MaxReceiveBufferPerConnection to many times MaxReceiveBufferPerStream (both 1 MiB by
//     default), such as 64 MiB: net/http credits the connection's flow-control window only as
//     handlers read, so a WebSocket that stops reading (its handler blocked writing to a slow
//     peer) keeps its stream's window of the connection's, and with the defaults that one
//     stream stalls every other stream of the connection, which a proxy may share among many
//     clients.
func Upgrade(w http.ResponseWriter, r *http.Request, opts *UpgradeOptions) (*Conn, error) {
	if opts == nil {
		opts = &UpgradeOptions{}
	}
	if r.ProtoMajor >= 2 && r.Method == http.MethodConnect {
		return upgradeH2(w, r, opts)
	}
	if err := handshake.CheckRequest(r); err != nil {
		return nil, refuse(w, err)
	}
	if err := checkOrigin(r, opts); err != nil {
		return nil, refuse(w, err)
	}
	a, err := accept(w, r, opts)
	if err != nil {
		return nil, err
	}

	nc, brw, err := http.NewResponseController(w).Hijack()
	if err != nil {
		http.Error(w, "websocket: the server cannot take over this connection", http.StatusInternalServerError)
		return nil, fmt.Errorf("conn: upgrade: %w", err)
	}
	// net/http may have left its own deadlines on the connection; the WebSocket has its own
	// life. Only the 101 response is bounded, by the close timeout.
	deadline := time.Now().Add(opts.closeTimeout())
	nc.SetDeadline(time.Time{})
	nc.SetWriteDeadline(deadline)
	// Bytes the client sent right after its request, which net/http has already read, start the
	// first frame. Beyond them the Conn keeps nothing of net/http's: its buffers are dropped.
	buffered, _ := brw.Reader.Peek(brw.Reader.Buffered())
	return startServer(nc, buffered, a, opts, deadline)
}

// checkOrigin applies opts's origin policy to r (§10.2).
func checkOrigin(r *http.Request, opts *UpgradeOptions) error {
	if opts.CheckOrigin != nil {
		if !opts.CheckOrigin(r) {
			return &handshake.Error{Status: http.StatusForbidden, Reason: "origin not allowed"}
		}
		return nil
	}
	return handshake.CheckOrigin(r, opts.OriginPatterns)
}

// accept decides the subprotocol and extensions of a valid request (§4.2.2), the same over
// HTTP/1.1 and HTTP/2 (RFC 8441 §5). It answers the request itself only when opts are
// misconfigured.
func accept(w http.ResponseWriter, r *http.Request, opts *UpgradeOptions) (acceptance, error) {
	a := acceptance{
		key:      r.Header.Get("Sec-WebSocket-Key"),
		protocol: handshake.SelectSubprotocol(handshake.Subprotocols(r.Header), opts.Subprotocols),
	}
	if opts.Compression != nil {
		// A malformed Sec-WebSocket-Extensions header only means that nothing is accepted.
		offers, _ := handshake.ParseExtensions(r.Header)
		var err error
		if a.extensions, a.deflate, err = negotiateExtensions(offers, opts); err != nil {
			http.Error(w, "websocket: server misconfigured", http.StatusInternalServerError)
			return a, err
		}
	}
	return a, nil
}

// acceptance is what a server decided about a valid opening handshake request.
type acceptance struct {
	key        string                   // the request's Sec-WebSocket-Key
	protocol   string                   // the selected subprotocol, "" for none
	extensions string                   // the Sec-WebSocket-Extensions response value, "" for none
	deflate    *handshake.DeflateParams // non-nil when permessage-deflate was agreed
}

// negotiateExtensions answers the client's Sec-WebSocket-Extensions offers under opts. RFC 7692
// §5.1: the server accepts the first permessage-deflate offer it can honour, or none. It returns
// an error only when opts.Compression is misconfigured.
func negotiateExtensions(offers []handshake.Extension, opts *UpgradeOptions) (extensions string, deflate *handshake.DeflateParams, err error) {
	if opts.Compression == nil {
		return "", nil, nil
	}
	if err := opts.Compression.check(); err != nil {
		return "", nil, err
	}
	response, params, ok := handshake.NegotiateDeflate(offers, opts.Compression.config(true))
	if !ok {
		return "", nil, nil
	}
	return response.String(), &params, nil
}

// startServer makes the server side Conn over nc and writes the 101 response (§4.2.2 item 5)
// under the deadline the caller set on nc, which it then clears (none if zero). buffered holds
// the bytes the client sent after its request, the start of the first frame; they are copied.
func startServer(nc net.Conn, buffered []byte, a acceptance, opts *UpgradeOptions, deadline time.Time) (*Conn, error) {
	c := newConn(nc, buffered, true, opts.ReadLimit, opts.ReadBufferSize, opts.WriteBufferSize, opts.CloseTimeout)
	c.subprotocol = a.protocol
	if a.deflate != nil {
		c.deflate = newDeflate(c, *a.deflate, opts.Compression)
		c.SetReadLimit(opts.ReadLimit)
	}
	bufp := getBuffer(responseBufferSize)
	defer putBuffer(bufp)
	response := handshake.AppendResponse((*bufp)[:0], a.key, a.protocol, a.extensions, opts.Header)
	if _, err := nc.Write(response); err != nil {
		nc.Close()
		return nil, fmt.Errorf("conn: upgrade: writing the response: %w", err)
	}
	// From here the WebSocket has its own life.
	if !deadline.IsZero() {
		nc.SetDeadline(time.Time{})
	}
	c.startKeepAlive(opts.PingInterval, opts.PingTimeout)
	return c, nil
}

// closeTimeout returns o.CloseTimeout, or DefaultCloseTimeout for 0 or less.
func (o *UpgradeOptions) closeTimeout() time.Duration {
	if o.CloseTimeout <= 0 {
		return DefaultCloseTimeout
	}
	return o.CloseTimeout
}

// responseBufferSize is the buffer the 101 response is built in: room for the status line, the
// handshake's own fields and a few extra ones; append grows it for more.
const responseBufferSize = 4 << 10

// refuse answers a refused handshake with its status, headers and reason.
func refuse(w http.ResponseWriter, err error) error {
	status, reason := http.StatusBadRequest, err.Error()
	if he, ok := err.(*handshake.Error); ok {
		status, reason = he.Status, he.Reason
		for name, values := range he.Header {
			w.Header()[name] = values
		}
	}
	http.Error(w, reason, status)
	return err
}
