package conn

import (
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/rfc6455/ws/handshake"
)

// DefaultMaxHeaderBytes is the largest request head UpgradeConn reads when
// UpgradeOptions.MaxHeaderBytes is 0.
const DefaultMaxHeaderBytes = 8 << 10

// headBufferSize is the size of the pooled buffer a request head is read into. A handshake
// request is a few hundred bytes, a browser's with cookies rarely over 2 KiB; a longer head is
// read into a larger buffer, up to the MaxHeaderBytes limit.
const headBufferSize = 4 << 10

// headFields is how many header fields a pooled Request holds without allocating: a browser
// sends about 15.
const headFields = 32

// UpgradeConn answers the opening handshake (§4.2) on nc, a connection fresh from a
// net.Listener (TCP, or TLS with tls.Server), without net/http, and returns the server side of
// the WebSocket connection.
//
// It reads the client's request head, at most opts.MaxHeaderBytes within opts.HandshakeTimeout
// (which on a *tls.Conn also bounds the TLS handshake), and checks it as Upgrade does:
// handshake.Request.Check, then the origin with opts.CheckOrigin (given an *http.Request built
// for it, with RemoteAddr and, on a *tls.Conn, TLS) or opts.OriginPatterns. It then selects a
// subprotocol, negotiates compression and writes the 101 response.
//
// A refused request gets an HTTP/1.1 error response — 400, 403, 405 or 426 as the failed rule
// calls for (see handshake.CheckRequest), 431 for a head over MaxHeaderBytes — and UpgradeConn
// returns the *handshake.Error; a misconfigured opts.Compression gets 500, and its error is
// returned. A client that does not send a whole head in time, or closes the connection first,
// gets no response. In every failure nc is closed: at once when nothing was answered, and
// otherwise after the response, in the background, once the client has closed its side or the
// close timeout has passed, so that the response is not lost to a TCP reset.
//
// Bytes the client sent after its request head are the start of the first frame: the Conn
// reads them first.
//
// The handshake grows the stack of the goroutine that runs it, and a goroutine keeps its stack
// for as long as it lives; a server that holds many idle connections serves each Conn from a
// goroutine of its own started after UpgradeConn, whose stack starts at its smallest (see the
// package documentation, "Memory").
func UpgradeConn(nc net.Conn, opts *UpgradeOptions) (*Conn, error) {
	if opts == nil {
		opts = &UpgradeOptions{}
	}
	// The steps are small functions of their own: this goroutine's stack grows (and stays
	// grown) if the deepest call made from here, a read or a deadline deep in the runtime,
	// goes past 2 KiB.
	deadline := handshakeDeadline(opts)
	if !deadline.IsZero() {
		// One deadline for both directions bounds the whole handshake: the request head (and
		// on a *tls.Conn the TLS handshake, which writes too) and the answer to it.
		nc.SetDeadline(deadline)
	}
	st := upgradeStates.Get().(*upgradeState)
	defer st.release()
	head, buffered, err := handshake.ReadHead(nc, st.buf[:], maxHeaderBytes(opts))
	if err != nil {
		return nil, readHeadFailed(nc, err, deadline, opts)
	}
	if err := st.req.Parse(head); err != nil {
		return nil, refuseConn(nc, err, st.req.Method, deadline, opts)
	}
	return upgradeRequest(nc, &st.req, buffered, deadline, opts)
}

// UpgradeRequest is UpgradeConn for a server that has read and parsed the request head itself
// (handshake.ReadHead, handshake.ParseRequest), for example to route requests that are not
// WebSocket handshakes to net/http: it answers req, read from nc, as UpgradeConn does. buffered
// holds the bytes read after the head, the start of the first frame; they are copied. A refusal
// is written within opts.HandshakeTimeout, as is the 101 response, after which nc's deadlines
// are cleared.
func UpgradeRequest(nc net.Conn, req *handshake.Request, buffered []byte, opts *UpgradeOptions) (*Conn, error) {
	if opts == nil {
		opts = &UpgradeOptions{}
	}
	deadline := handshakeDeadline(opts)
	if !deadline.IsZero() {
		nc.SetDeadline(deadline)
	}
	return upgradeRequest(nc, req, buffered, deadline, opts)
}

// handshakeDeadline returns when the handshake must be done by, from opts.HandshakeTimeout, or
// the zero time when the caller bounds it.
func handshakeDeadline(opts *UpgradeOptions) time.Time {
	if opts.HandshakeTimeout < 0 {
		return time.Time{}
	}
	timeout := opts.HandshakeTimeout
	if timeout == 0 {
		timeout = DefaultHandshakeTimeout
	}
	return time.Now().Add(timeout)
}

// maxHeaderBytes returns the limit on the request head from opts.
func maxHeaderBytes(opts *UpgradeOptions) int {
	if opts.MaxHeaderBytes <= 0 {
		return DefaultMaxHeaderBytes
	}
	return opts.MaxHeaderBytes
}

// readHeadFailed ends a handshake whose request head could not be read: a head too large or
// malformed is refused with its HTTP status; a connection that failed or timed out is closed.
func readHeadFailed(nc net.Conn, err error, deadline time.Time, opts *UpgradeOptions) error {
	var herr *handshake.Error
	if errors.As(err, &herr) {
		return refuseConn(nc, herr, "", deadline, opts)
	}
	nc.Close()
	return fmt.Errorf("conn: upgrade: reading the request: %w", err)
}

// upgradeRequest checks req and answers it, under the deadline set on nc (none if zero): a
// refusal, or the 101 response and the Conn.
func upgradeRequest(nc net.Conn, req *handshake.Request, buffered []byte, deadline time.Time, opts *UpgradeOptions) (*Conn, error) {
	if err := req.Check(); err != nil {
		return nil, refuseConn(nc, err, req.Method, deadline, opts)
	}
	if err := checkOriginConn(nc, req, opts); err != nil {
		return nil, refuseConn(nc, err, req.Method, deadline, opts)
	}
	a := acceptance{key: req.Get("Sec-WebSocket-Key")}
	if len(opts.Subprotocols) > 0 {
		a.protocol = handshake.SelectSubprotocol(req.Subprotocols(), opts.Subprotocols)
	}
	if opts.Compression != nil {
		// A malformed Sec-WebSocket-Extensions header only means that nothing is accepted.
		offers, _ := req.Extensions()
		var err error
		if a.extensions, a.deflate, err = negotiateExtensions(offers, opts); err != nil {
			refuseConn(nc, &handshake.Error{Status: http.StatusInternalServerError, Reason: "websocket: server misconfigured"}, req.Method, deadline, opts)
			return nil, err
		}
	}

	return startServer(nc, buffered, a, opts, deadline)
}

// checkOriginConn applies the origin policy of opts to req (§4.2.1 item 7, §10.2). An
// *http.Request is built only for opts.CheckOrigin, which asks for one.
func checkOriginConn(nc net.Conn, req *handshake.Request, opts *UpgradeOptions) error {
	if opts.CheckOrigin == nil {
		return req.CheckOrigin(opts.OriginPatterns)
	}
	r, err := req.HTTPRequest()
	if err != nil {
		return err
	}
	r.RemoteAddr = nc.RemoteAddr().String()
	if tc, ok := nc.(*tls.Conn); ok {
		state := tc.ConnectionState()
		r.TLS = &state
	}
	if !opts.CheckOrigin(r) {
		return &handshake.Error{Status: http.StatusForbidden, Reason: "origin not allowed"}
	}
	return nil
}

// upgradeState is the scratch space of one UpgradeConn: the buffer the request head is read
// into, and the Request it is parsed into with room for its fields. It comes from a pool, so
// that a handshake allocates little beyond its Conn: the copy of the head as a string, which
// the Request's strings are cut from.
type upgradeState struct {
	buf    [headBufferSize]byte
	fields [headFields]handshake.HeaderField
	req    handshake.Request
}

// upgradeStates holds upgradeStates between handshakes, shared by all UpgradeConn calls as the
// buffer pools of package conn are.
var upgradeStates = sync.Pool{New: func() any {
	st := new(upgradeState)
	st.req.Fields = st.fields[:0]
	return st
}}

// release forgets the last request, so that the pool does not keep its strings alive, and puts
// st back in the pool.
func (st *upgradeState) release() {
	clear(st.fields[:min(len(st.req.Fields), len(st.fields))])
	st.req = handshake.Request{Fields: st.fields[:0]}
	upgradeStates.Put(st)
}

// refuseConn answers a refused handshake on nc with the HTTP response err calls for (see
// handshake.Error.AppendResponseTo, given the request's method if it is known), closes nc and returns err. The handshake's deadline, set on
// nc, bounds the write.
//
// Closing a socket that still has unread bytes makes TCP send a reset, which can destroy the
// response before the client reads it — and a client refused for a head too large is likely
// still sending. So the write side is shut first and what the client still sends is drained,
// in the background, until it closes or the close timeout passes.
func refuseConn(nc net.Conn, err error, method string, deadline time.Time, opts *UpgradeOptions) error {
	herr, ok := err.(*handshake.Error)
	if !ok {
		herr = &handshake.Error{Status: http.StatusBadRequest, Reason: err.Error()}
	}
	if _, werr := nc.Write(herr.AppendResponseTo(nil, method)); werr != nil {
		nc.Close()
		return err
	}
	timeout := opts.closeTimeout()
	go func() {
		defer nc.Close()
		if cw, ok := nc.(interface{ CloseWrite() error }); ok {
			cw.CloseWrite()
		}
		nc.SetReadDeadline(time.Now().Add(timeout))
		io.Copy(io.Discard, nc)
	}()
	return err
}
