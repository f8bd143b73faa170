package conn

import (
	"io"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rfc6455/ws/handshake"
)

// WebSocket over HTTP/2 (RFC 8441). An HTTP/2 connection carries many streams; a WebSocket takes
// one of them. The client asks with an extended CONNECT request (method CONNECT, :protocol
// websocket), the server answers 200, and from then on the request's body carries the client's
// frames and the response's body the server's: the stream plays the part that the TCP
// connection plays in RFC 6455. net/http's HTTP/2 server handles extended CONNECT when the
// process starts with GODEBUG=http2xconnect=1 (it reads the variable once, as it starts);
// without it, it refuses such requests before any handler sees them.

// upgradeH2 is Upgrade for an extended CONNECT request on an HTTP/2 stream.
func upgradeH2(w http.ResponseWriter, r *http.Request, opts *UpgradeOptions) (*Conn, error) {
	if err := handshake.CheckExtendedConnect(r); err != nil {
		return nil, refuse(w, err)
	}
	if err := checkOrigin(r, opts); err != nil {
		return nil, refuse(w, err)
	}
	a, err := accept(w, r, opts)
	if err != nil {
		return nil, err
	}
	rc := http.NewResponseController(w)
	h := w.Header()
	if a.protocol != "" {
		h.Set("Sec-WebSocket-Protocol", a.protocol)
	}
	if a.extensions != "" {
		h.Set("Sec-WebSocket-Extensions", a.extensions)
	}
	for name, values := range opts.Header {
		h[name] = values
	}
	// RFC 8441 §5: a 2xx answers the CONNECT; the stream then stays open for the WebSocket.
	rc.SetWriteDeadline(time.Now().Add(opts.closeTimeout()))
	w.WriteHeader(http.StatusOK)
	if err := rc.Flush(); err != nil {
		return nil, err
	}
	// From here the WebSocket has its own life: deadlines net/http set for the request (an
	// http.Server's ReadTimeout and WriteTimeout apply to each stream) are lifted.
	rc.SetWriteDeadline(time.Time{})
	rc.SetReadDeadline(time.Time{})
	nc := &streamConn{body: r.Body, w: w, rc: rc, remote: addrString(r.RemoteAddr)}
	if la, ok := r.Context().Value(http.LocalAddrContextKey).(net.Addr); ok {
		nc.local = la
	} else {
		nc.local = addrString("")
	}
	c := newConn(nc, nil, true, opts.ReadLimit, opts.ReadBufferSize, opts.WriteBufferSize, opts.CloseTimeout)
	c.subprotocol = a.protocol
	if a.deflate != nil {
		c.deflate = newDeflate(c, *a.deflate, opts.Compression)
		c.SetReadLimit(opts.ReadLimit)
	}
	c.startKeepAlive(opts.PingInterval, opts.PingTimeout)
	return c, nil
}

// OverHTTP2 reports whether c is a WebSocket over an HTTP/2 stream (RFC 8441) rather than over a
// connection of its own. On a server such a Conn lives in its handler's stream: the handler must
// not return until it is done with the Conn, for returning ends the stream.
func (c *Conn) OverHTTP2() bool {
	switch c.nc.(type) {
	case *streamConn, *clientStream:
		return true
	}
	return false
}

// streamConn is an HTTP/2 stream seen as a net.Conn, the transport of a Conn over HTTP/2 on the
// server: reads come from the request's body, writes go to the response's body, each flushed,
// so that a frame leaves when it is written; deadlines are the stream's own
// (http.ResponseController), so that a stuck stream holds up no other stream of its connection.
type streamConn struct {
	body   io.ReadCloser
	w      http.ResponseWriter
	rc     *http.ResponseController
	local  net.Addr
	remote net.Addr

	mu     sync.Mutex // one Write, and its Flush, at a time
	closed atomic.Bool
}

func (s *streamConn) Read(p []byte) (int, error) { return s.body.Read(p) }

func (s *streamConn) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed.Load() {
		return 0, net.ErrClosed
	}
	n, err := s.w.Write(p)
	if err == nil {
		err = s.rc.Flush()
	}
	return n, err
}

// Close ends the WebSocket's use of the stream: reads fail at once, and writes from then on.
// The stream itself ends when the handler returns (RFC 8441 §6: the stream's end is the TCP
// close of RFC 6455).
func (s *streamConn) Close() error {
	s.closed.Store(true)
	return s.body.Close()
}

func (s *streamConn) LocalAddr() net.Addr  { return s.local }
func (s *streamConn) RemoteAddr() net.Addr { return s.remote }

// The deadlines, like Write, leave the ResponseWriter alone once the stream is closed: its
// handler may have returned since.

func (s *streamConn) SetDeadline(t time.Time) error {
	if err := s.SetReadDeadline(t); err != nil {
		return err
	}
	return s.SetWriteDeadline(t)
}

// They take no lock: a deadline is what unblocks a Write stuck on the stream's flow control.
func (s *streamConn) SetReadDeadline(t time.Time) error {
	if s.closed.Load() {
		return net.ErrClosed
	}
	return s.rc.SetReadDeadline(t)
}

func (s *streamConn) SetWriteDeadline(t time.Time) error {
	if s.closed.Load() {
		return net.ErrClosed
	}
	return s.rc.SetWriteDeadline(t)
}

// addrString is a network address known only as the "host:port" string net/http gives.
type addrString string

func (a addrString) Network() string { return "tcp" }
func (a addrString) String() string  { return string(a) }
