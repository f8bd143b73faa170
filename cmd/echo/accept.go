package main

import (
	"crypto/tls"
	"errors"
	"io"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/rfc6455/ws/conn"
	"github.com/rfc6455/ws/handshake"
)

// The server accepts TCP connections itself rather than through
// http.Server: it reads each connection's first request head, upgrades a
// WebSocket handshake for / or /ws with conn.UpgradeRequest, and hands any
// other request to net/http, which serves the page and whatever else the
// connection asks for later. A WebSocket connection thus never passes
// through net/http, whose per-connection buffers (8 KiB) would otherwise be
// left for the garbage collector on every upgrade, and an idle one costs
// about 5 KiB (see package conn, "Memory").

// headBufferSize is the buffer a request head is read into; ReadHead moves
// to a larger one, up to handshakeMaxHead, for a head that needs it.
const headBufferSize = 1 << 10

// handshakeMaxHead bounds a request head, as http.Server's MaxHeaderBytes
// would: a head over it gets 431.
const handshakeMaxHead = conn.DefaultMaxHeaderBytes

// serveTCP reads the first request on nc and routes it.
func (s *server) serveTCP(nc net.Conn, pages *connListener) {
	// A TLS connection runs its own handshake, which writes too, inside the
	// first read; conn.UpgradeRequest clears what is set here.
	if tc, isTLS := nc.(*tls.Conn); isTLS {
		nc.SetDeadline(time.Now().Add(s.handshakeTimeout))
		if err := tc.Handshake(); err != nil {
			nc.Close()
			return
		}
		if tc.ConnectionState().NegotiatedProtocol == "h2" {
			// HTTP/2 is net/http's to serve, WebSockets included (RFC 8441): each
			// is a stream that reaches the handler.
			nc.SetDeadline(time.Time{})
			pages.deliver(nc)
			return
		}
	} else {
		nc.SetReadDeadline(time.Now().Add(s.handshakeTimeout))
		if s.cfg.h2c {
			// HTTP/2 with prior knowledge starts with its preface, which is
			// no HTTP/1.1 request head: net/http tells them apart.
			nc = s.routeH2C(nc, pages)
			if nc == nil {
				return
			}
		}
	}
	bufp := s.heads.Get().(*[headBufferSize]byte)
	head, rest, err := handshake.ReadHead(nc, bufp[:], handshakeMaxHead)
	if err != nil {
		s.heads.Put(bufp)
		var herr *handshake.Error
		if errors.As(err, &herr) {
			refuse(nc, herr, s.handshakeTimeout)
			return
		}
		nc.Close()
		return
	}
	if pc, ok := nc.(*prefixConn); ok && len(pc.prefix) == 0 {
		// routeH2C's bytes have all been read again: the WebSocket gets the TCP connection
		// itself, with what conn does with one (a half-close after the close handshake,
		// §7.1.1; reads straight from the socket).
		nc = pc.Conn
	}
	req, err := handshake.ParseRequest(head)
	if err != nil || !isWebSocketRoute(req) {
		// Not ours: net/http reads the request again from a copy of what
		// was read, and serves the connection from then on.
		prefix := append(append([]byte(nil), head...), rest...)
		s.heads.Put(bufp)
		nc.SetDeadline(time.Time{})
		pages.deliver(&prefixConn{Conn: nc, prefix: prefix})
		return
	}
	c, err := conn.UpgradeRequest(nc, req, rest, &s.upgrade)
	s.heads.Put(bufp)
	if err != nil {
		// UpgradeRequest has answered with the HTTP error and closes nc.
		s.log.Printf("%s: %v", nc.RemoteAddr(), err)
		return
	}
	if !s.track(c) {
		c.Close(1001, shutdownReason)
		c.CloseNow()
		return
	}
	// The handshake has grown this goroutine's stack, which a goroutine
	// keeps; the echo runs in a fresh one, whose stack starts at 2 KiB.
	go s.serveConn(c)
}

// h2cPreface starts every HTTP/2 connection (RFC 9113 §3.4).
const h2cPreface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"

// routeH2C hands a cleartext connection that opens with HTTP/2's preface to net/http, and
// returns nil; any other connection comes back, its first bytes to be read again.
func (s *server) routeH2C(nc net.Conn, pages *connListener) net.Conn {
	first := make([]byte, len(h2cPreface))
	n, err := io.ReadFull(nc, first)
	pc := &prefixConn{Conn: nc, prefix: first[:n]}
	if err == nil && string(first) == h2cPreface {
		nc.SetDeadline(time.Time{})
		pages.deliver(pc)
		return nil
	}
	if n == 0 {
		nc.Close()
		return nil
	}
	// Shorter than the preface and then silent or closed: the rest of the route reads it.
	return pc
}

// refuse answers a request head the server will not read (431) and closes
// nc, within timeout. The client is likely still sending it, and closing a socket with
// unread bytes makes TCP send a reset that can destroy the response before
// the client reads it: so the write side is shut first and what still
// arrives is drained, for a bounded time, as conn.UpgradeConn does.
func refuse(nc net.Conn, herr *handshake.Error, timeout time.Duration) {
	defer nc.Close()
	nc.SetDeadline(time.Now().Add(timeout))
	if _, err := nc.Write(herr.AppendResponse(nil)); err != nil {
		return
	}
	if cw, ok := nc.(interface{ CloseWrite() error }); ok {
		cw.CloseWrite()
	}
	io.Copy(io.Discard, io.LimitReader(nc, maxDrain))
}

// maxDrain bounds what refuse reads from a refused client before closing.
const maxDrain = 1 << 20

// isWebSocketRoute reports whether req asks for a WebSocket at / or /ws,
// the two places the net/http routes (handler) upgrade: a request that asks
// to upgrade to websocket there (§4.2.1 item 3) is answered by
// conn.UpgradeRequest, which checks the rest of the handshake.
func isWebSocketRoute(req *handshake.Request) bool {
	if !req.HasToken("Upgrade", "websocket") {
		return false
	}
	path, _, _ := strings.Cut(req.Target, "?")
	return path == "/" || path == "/ws"
}

// prefixConn is a connection whose first bytes were already read: Read
// returns them first.
type prefixConn struct {
	net.Conn
	prefix []byte
}

// CloseWrite shuts the write side of the connection, if it has one to shut (refuse does).
func (c *prefixConn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}

func (c *prefixConn) Read(p []byte) (int, error) {
	if len(c.prefix) > 0 {
		n := copy(p, c.prefix)
		c.prefix = c.prefix[n:]
		return n, nil
	}
	return c.Conn.Read(p)
}

// connListener is the net.Listener that http.Server serves: it yields the
// connections serveTCP hands over.
type connListener struct {
	addr  net.Addr
	conns chan net.Conn
	done  chan struct{}
	once  sync.Once
}

func newConnListener(addr net.Addr) *connListener {
	return &connListener{addr: addr, conns: make(chan net.Conn), done: make(chan struct{})}
}

// deliver hands c to the http.Server, or closes it if the listener is
// closed.
func (l *connListener) deliver(c net.Conn) {
	select {
	case l.conns <- c:
	case <-l.done:
		c.Close()
	}
}

func (l *connListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

func (l *connListener) Close() error {
	l.once.Do(func() { close(l.done) })
	return nil
}

func (l *connListener) Addr() net.Addr { return l.addr }
