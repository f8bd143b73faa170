package conn

import (
	"bufio"
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

	// ReadLimit is the largest message accepted, in bytes; 0 means DefaultReadLimit and a
	// negative value means no limit.
	ReadLimit int64

	// ReadBufferSize and WriteBufferSize size the Conn's buffers; 0 means 4096 bytes.
	ReadBufferSize, WriteBufferSize int

	// Header holds extra headers for the 101 response, such as Set-Cookie.
	Header http.Header

	// CloseTimeout bounds each wait of the close handshake, and the write of the 101 response;
	// 0 means DefaultCloseTimeout.
	CloseTimeout time.Duration

	// Compression, if set, accepts a client's permessage-deflate offer (RFC 7692).
	Compression *CompressionOptions
}

// Upgrade answers an opening handshake request (§4.2) from a net/http handler and returns the
// server side of the connection. It checks the request (handshake.CheckRequest) and its origin,
// selects a subprotocol, takes over the TCP connection from net/http and sends the 101 response.
// When the request is refused, Upgrade has already answered it with the status the failure calls
// for (400, 403, 405 or 426, with a plain-text reason) and returns the *handshake.Error.
//
// Bytes that the client sent after its request, and that net/http had already read, are the
// start of the first frame: the Conn reads them first.
func Upgrade(w http.ResponseWriter, r *http.Request, opts *UpgradeOptions) (*Conn, error) {
	if opts == nil {
		opts = &UpgradeOptions{}
	}
	if err := handshake.CheckRequest(r); err != nil {
		return nil, refuse(w, err)
	}
	if opts.CheckOrigin != nil {
		if !opts.CheckOrigin(r) {
			return nil, refuse(w, &handshake.Error{Status: http.StatusForbidden, Reason: "origin not allowed"})
		}
	} else if err := handshake.CheckOrigin(r, opts.OriginPatterns); err != nil {
		return nil, refuse(w, err)
	}
	protocol := handshake.SelectSubprotocol(handshake.Subprotocols(r.Header), opts.Subprotocols)
	key := r.Header.Get("Sec-WebSocket-Key")

	// RFC 7692 §5.1: accept the first permessage-deflate offer we can honour, or none. A
	// malformed Sec-WebSocket-Extensions header only means that nothing is accepted.
	var extensions string
	var deflateParams handshake.DeflateParams
	negotiated := false
	if opts.Compression != nil {
		if err := opts.Compression.check(); err != nil {
			http.Error(w, "websocket: server misconfigured", http.StatusInternalServerError)
			return nil, err
		}
		if offers, err := handshake.ParseExtensions(r.Header); err == nil {
			var response handshake.Extension
			response, deflateParams, negotiated = handshake.NegotiateDeflate(offers, opts.Compression.config(true))
			if negotiated {
				extensions = response.String()
			}
		}
	}

	nc, brw, err := http.NewResponseController(w).Hijack()
	if err != nil {
		http.Error(w, "websocket: the server cannot take over this connection", http.StatusInternalServerError)
		return nil, fmt.Errorf("conn: upgrade: %w", err)
	}
	// net/http may have left its own deadlines on the connection; the WebSocket has its own life.
	nc.SetDeadline(time.Time{})

	// net/http hands over a 4 KiB write buffer with the connection, unused: by default it becomes
	// the Conn's, rather than being dropped for a new one.
	var wbuf []byte
	if opts.WriteBufferSize <= 0 {
		if b := brw.Writer.AvailableBuffer(); cap(b) >= defaultBufferSize {
			wbuf = b[:cap(b)]
		}
	}
	c := newConn(nc, serverReader(nc, brw.Reader, opts.ReadBufferSize), wbuf, true, opts.ReadLimit, opts.WriteBufferSize, opts.CloseTimeout)
	c.subprotocol = protocol
	if negotiated {
		c.deflate = newDeflate(c, deflateParams, opts.Compression)
	}

	// The response is built in the Conn's write buffer, which is not in use yet.
	response := handshake.AppendResponse(c.wbuf[:0], key, protocol, extensions, opts.Header)
	nc.SetWriteDeadline(time.Now().Add(c.closeTimeout))
	if _, err := nc.Write(response); err != nil {
		nc.Close()
		return nil, fmt.Errorf("conn: upgrade: writing the response: %w", err)
	}
	nc.SetWriteDeadline(time.Time{})
	return c, nil
}

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

// serverReader returns the reader the Conn reads frames from. By default it is net/http's own
// buffered reader, which holds any bytes the client sent right after its request headers; with a
// custom size those buffered bytes are handed over to a new reader first.
func serverReader(nc net.Conn, br *bufio.Reader, size int) *bufio.Reader {
	if size <= 0 && br.Size() >= defaultBufferSize {
		return br
	}
	if size <= 0 {
		size = defaultBufferSize
	}
	buffered := br.Buffered()
	if buffered == 0 {
		return bufio.NewReaderSize(nc, size)
	}
	prefix, _ := br.Peek(buffered)
	return bufio.NewReaderSize(&prefixReader{prefix: append([]byte(nil), prefix...), r: nc}, size)
}

// prefixReader reads prefix, then r.
type prefixReader struct {
	prefix []byte
	r      net.Conn
}

func (p *prefixReader) Read(b []byte) (int, error) {
	if len(p.prefix) > 0 {
		n := copy(b, p.prefix)
		p.prefix = p.prefix[n:]
		return n, nil
	}
	return p.r.Read(b)
}
