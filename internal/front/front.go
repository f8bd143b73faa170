// Package front accepts the TCP connections of a server that answers WebSocket handshakes
// itself, with conn.UpgradeRequest on the raw connection, and leaves every other request to an
// http.Server: cmd/echo and cmd/wsbridge. It reads each connection's first request head (RFC
// 6455 §4.2.1: the opening handshake is an HTTP/1.1 GET), gives a WebSocket handshake to the
// server's function and hands any other connection to net/http, which then serves it (a page,
// a 404, HTTP/2 negotiated by ALPN or with prior knowledge, RFC 8441's WebSockets over it)
// as if it had accepted it.
//
// Why not net/http for the handshake too: it gives each connection a 4 KiB bufio.Reader and a
// 4 KiB bufio.Writer, which a hijack never returns, so every WebSocket would leave 8 KiB for the
// collector, and a server of many idle connections holds that garbage as memory between
// collections (see package conn, "Memory"). A head read here costs a pooled 1 KiB buffer, given
// back once the handshake is answered.
package front

import (
	"crypto/tls"
	"errors"
	"io"
	"log"
	"net"
	"sync"
	"time"

	"github.com/rfc6455/ws/conn"
	"github.com/rfc6455/ws/handshake"
)

// headBufferSize is the buffer a request head is read into; handshake.ReadHead moves to a larger
// one, up to MaxHead, for a head that needs it.
const headBufferSize = 1 << 10

// MaxHead bounds a request head, as http.Server's MaxHeaderBytes would: a head over it gets 431.
const MaxHead = conn.DefaultMaxHeaderBytes

// Config is what a Front needs from its server.
type Config struct {
	// HandshakeTimeout bounds a TLS handshake and the reading of the first request head.
	HandshakeTimeout time.Duration

	// H2C hands cleartext connections that open with HTTP/2's preface (prior knowledge) to
	// net/http; without it they are bad HTTP/1.1 requests.
	H2C bool

	// IsWebSocket reports whether the server answers req itself. Any other request goes to
	// net/http.
	IsWebSocket func(req *handshake.Request) bool

	// ServeWebSocket answers the handshake req, read from nc with the bytes rest after its
	// head, and from then on owns nc: it upgrades it (conn.UpgradeRequest) or refuses it
	// (Refuse), and closes it in the end. req and rest are valid only until it returns. It is
	// called on the goroutine that read the head, whose stack the handshake grew and which a
	// goroutine keeps: a connection's long-lived work belongs in a goroutine of its own.
	ServeWebSocket func(nc net.Conn, req *handshake.Request, rest []byte)

	// Log gets the accept loop's notes about running out of file descriptors.
	Log *log.Logger
}

// A Front accepts connections for a server configured by its Config.
type Front struct {
	cfg   Config
	heads sync.Pool // *[headBufferSize]byte
	http  *connListener
}

// New returns a Front whose HTTP listener reports addr, the address of the listener the
// connections come from.
func New(cfg Config, addr net.Addr) *Front {
	return &Front{
		cfg:   cfg,
		heads: sync.Pool{New: func() any { return new([headBufferSize]byte) }},
		http:  newConnListener(addr),
	}
}

// HTTPListener is the listener for the http.Server that serves every connection the Front does
// not keep. Closing it makes the Front close, rather than hand over, the connections it would
// give net/http.
func (f *Front) HTTPListener() net.Listener { return f.http }

// Serve accepts connections on ln and serves each on a goroutine of its own, until ln fails for
// good. A temporary failure, above all running out of file descriptors (EMFILE) with every
// connection the process may hold open, is waited out as net/http's Serve does, 5 ms and then
// twice as long each time up to a second, so that the server goes on serving those it has and
// takes new ones as others close; the clients in excess wait in the listen queue, or time out
// there.
func (f *Front) Serve(ln net.Listener) error {
	var delay time.Duration
	for {
		nc, err := ln.Accept()
		if err != nil {
			var ne net.Error
			// Temporary is deprecated for timeouts, but it is what net/http's Serve checks, and
			// it is true for EMFILE, ENFILE and ECONNABORTED.
			if errors.As(err, &ne) && ne.Temporary() {
				if delay == 0 {
					delay = 5 * time.Millisecond
					f.logf("accept: %v; waiting for connections to close", err)
				} else {
					delay = min(2*delay, time.Second)
				}
				time.Sleep(delay)
				continue
			}
			return err
		}
		if delay != 0 {
			f.logf("accepting again")
			delay = 0
		}
		go f.ServeConn(nc)
	}
}

func (f *Front) logf(format string, args ...any) {
	if f.cfg.Log != nil {
		f.cfg.Log.Printf(format, args...)
	}
}

// ServeConn reads the first request on nc and routes it.
func (f *Front) ServeConn(nc net.Conn) {
	// A TLS connection runs its own handshake, which writes too, inside the first read;
	// conn.UpgradeRequest clears what is set here.
	if tc, isTLS := nc.(*tls.Conn); isTLS {
		nc.SetDeadline(time.Now().Add(f.cfg.HandshakeTimeout))
		if err := tc.Handshake(); err != nil {
			nc.Close()
			return
		}
		if tc.ConnectionState().NegotiatedProtocol == "h2" {
			// HTTP/2 is net/http's to serve, WebSockets included (RFC 8441): each is a
			// stream that reaches its handler.
			nc.SetDeadline(time.Time{})
			f.http.deliver(nc)
			return
		}
	} else {
		nc.SetReadDeadline(time.Now().Add(f.cfg.HandshakeTimeout))
		if f.cfg.H2C {
			// HTTP/2 with prior knowledge starts with its preface, which is no HTTP/1.1
			// request head: net/http tells them apart.
			nc = f.routeH2C(nc)
			if nc == nil {
				return
			}
		}
	}
	bufp := f.heads.Get().(*[headBufferSize]byte)
	head, rest, err := handshake.ReadHead(nc, bufp[:], MaxHead)
	if err != nil {
		f.heads.Put(bufp)
		var herr *handshake.Error
		if errors.As(err, &herr) {
			Refuse(nc, herr, f.cfg.HandshakeTimeout)
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
	if err != nil || !f.cfg.IsWebSocket(req) {
		// Not the server's: net/http reads the request again from a copy of what was read,
		// and serves the connection from then on.
		prefix := append(append([]byte(nil), head...), rest...)
		f.heads.Put(bufp)
		nc.SetDeadline(time.Time{})
		f.http.deliver(&prefixConn{Conn: nc, prefix: prefix})
		return
	}
	f.cfg.ServeWebSocket(nc, req, rest)
	f.heads.Put(bufp)
}

// h2cPreface starts every HTTP/2 connection (RFC 9113 §3.4).
const h2cPreface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"

// routeH2C hands a cleartext connection that opens with HTTP/2's preface to net/http, and
// returns nil; any other connection comes back, its first bytes to be read again.
func (f *Front) routeH2C(nc net.Conn) net.Conn {
	first := make([]byte, len(h2cPreface))
	n, err := io.ReadFull(nc, first)
	pc := &prefixConn{Conn: nc, prefix: first[:n]}
	if err == nil && string(first) == h2cPreface {
		nc.SetDeadline(time.Time{})
		f.http.deliver(pc)
		return nil
	}
	if n == 0 {
		nc.Close()
		return nil
	}
	// Shorter than the preface and then silent or closed: the rest of the route reads it.
	return pc
}

// Refuse answers a handshake with herr's response and closes nc, within timeout. The client may
// still be sending (a head too large to read, say), and closing a socket with unread bytes makes
// TCP send a reset that can destroy the response before the client reads it: so the write side
// is shut first and what still arrives is drained, for a bounded time, as conn.UpgradeConn does.
func Refuse(nc net.Conn, herr *handshake.Error, timeout time.Duration) {
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

// maxDrain bounds what Refuse reads from a refused client before closing.
const maxDrain = 1 << 20

// prefixConn is a connection whose first bytes were already read: Read returns them first.
type prefixConn struct {
	net.Conn
	prefix []byte
}

// CloseWrite shuts the write side of the connection, if it has one to shut (Refuse does).
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

// connListener is the net.Listener that the http.Server serves: it yields the connections
// ServeConn hands over.
type connListener struct {
	addr  net.Addr
	conns chan net.Conn
	done  chan struct{}
	once  sync.Once
}

func newConnListener(addr net.Addr) *connListener {
	return &connListener{addr: addr, conns: make(chan net.Conn), done: make(chan struct{})}
}

// deliver hands c to the http.Server, or closes it if the listener is closed.
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
