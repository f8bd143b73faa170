package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rfc6455/ws/conn"
	"github.com/rfc6455/ws/frame"
	"github.com/rfc6455/ws/handshake"
	"github.com/rfc6455/ws/internal/park"
)

const (
	// handshakeTimeout bounds how long a client may take to send its
	// request headers, the opening handshake of RFC 6455 §4.1, and any
	// other request whole, body included.
	handshakeTimeout = 10 * time.Second

	// writeTimeout bounds each write to a client: a page, or an echoed
	// message. A client that sends but stops reading would otherwise hold
	// its connection, and the message buffer of the reply it does not
	// take, for as long as it stays connected.
	writeTimeout = 30 * time.Second

	// idleTimeout closes keep-alive HTTP connections (the page) that sit
	// idle. It does not apply to WebSocket connections: net/http forgets a
	// connection once it is hijacked.
	idleTimeout = 2 * time.Minute

	// shutdownTimeout bounds the whole shutdown: in-flight HTTP requests
	// and the close handshakes of live WebSocket connections.
	shutdownTimeout = 10 * time.Second

	// shutdownReason is the close reason sent with 1001 on shutdown.
	shutdownReason = "server shutting down"
)

// server is the echo server: its options, its logger and the set of live
// WebSocket connections, which it must close itself on shutdown because
// http.Server.Shutdown does not touch hijacked connections.
type server struct {
	cfg     config
	upgrade conn.UpgradeOptions
	log     *log.Logger

	// The timeouts are the constants above; tests shorten them.
	handshakeTimeout time.Duration
	writeTimeout     time.Duration
	shutdownTimeout  time.Duration

	// buffers holds message buffers (*[]byte) between messages.
	buffers sync.Pool

	// parker holds the connections that have gone quiet (park.go); nil parks none.
	parker *park.Parker

	mu       sync.Mutex
	conns    map[*conn.Conn]*session // live WebSocket connections
	ended    int                     // WebSocket connections that have ended
	closing  bool                    // shutdown has begun; refuse new connections
	handlers sync.WaitGroup          // one per tracked connection
	draining atomic.Bool             // closing, read without mu: no connection parks any more
}

// newServer returns a server configured by cfg that logs to logger.
func newServer(cfg config, logger *log.Logger) *server {
	return &server{
		cfg: cfg,
		upgrade: conn.UpgradeOptions{
			Subprotocols:   cfg.subprotocols,
			OriginPatterns: cfg.origins,
			ReadLimit:      cfg.readLimit,
			Compression:    compression(cfg.compress),
			PingInterval:   cfg.pingInterval,
			PingTimeout:    cfg.pingTimeout,
		},
		log:              logger,
		handshakeTimeout: handshakeTimeout,
		writeTimeout:     writeTimeout,
		shutdownTimeout:  shutdownTimeout,
		buffers:          sync.Pool{New: newMessageBuffer},
		conns:            make(map[*conn.Conn]*session),
	}
}

// compression returns the permessage-deflate options for -compress: the defaults
// (flate.BestSpeed; the server compresses each message on its own, so that an idle connection
// holds no compressor, and lets the client keep its context), or nil to decline every offer.
func compression(on bool) *conn.CompressionOptions {
	if !on {
		return nil
	}
	return &conn.CompressionOptions{}
}

// handler returns the server's routes: WebSocket at /ws, and at / either
// WebSocket (a request with an Upgrade header) or the page.
func (s *server) handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/ws", s.serveWebSocket)
	mux.HandleFunc("/{$}", s.serveRoot)
	return mux
}

// serveRoot serves / : the seed's Node client dials ws://localhost:8080 with
// no path, and a browser asks for the page there. A request that asks to
// upgrade to websocket goes to conn.Upgrade, which checks the rest of the
// handshake and answers 400 or 426 if it is not a valid WebSocket request;
// any other request, such as an h2c upgrade offer, gets the page.
func (s *server) serveRoot(w http.ResponseWriter, r *http.Request) {
	if handshake.HasToken(r.Header, "Upgrade", "websocket") {
		s.serveWebSocket(w, r)
		return
	}
	servePage(w, r)
}

// serveWebSocket upgrades the request and hands the connection to its own
// goroutine. Returning from the handler lets net/http free what it kept
// for the request (its buffers, the request, the response): a goroutine
// that starts afresh holds only the WebSocket, so an idle connection costs
// a few KiB.
func (s *server) serveWebSocket(w http.ResponseWriter, r *http.Request) {
	c, err := conn.Upgrade(w, r, &s.upgrade)
	if err != nil {
		// Upgrade has already answered with the HTTP error.
		s.log.Printf("%s: %v", r.RemoteAddr, err)
		return
	}
	e := s.newSession(c)
	if !s.track(e) {
		c.Close(frame.CloseGoingAway, shutdownReason)
		c.CloseNow()
		return
	}
	if c.OverHTTP2() {
		// RFC 8441: the WebSocket is this request's stream, which ends when the handler
		// returns. (It does not park: its bytes are net/http's, not a socket's.)
		e.run()
		return
	}
	go e.run()
}

// session is one WebSocket connection's echo: what its loop keeps from message to message, in
// the heap rather than in the loop's variables, so that a connection that has gone quiet can
// park (park.go), its goroutine ending, and go on from a new one when its socket has input.
type session struct {
	s        *server
	c        *conn.Conn
	start    int64 // Unix nanoseconds
	deadline int64 // the write deadline set, in Unix nanoseconds
	messages int

	parking park.Conn // the connection's place in the parker
	parks   bool      // the socket can park: plain TCP, and a parker to hold it
}

// newSession returns the echo of c.
func (s *server) newSession(c *conn.Conn) *session {
	e := &session{s: s, c: c, start: time.Now().UnixNano()}
	// Only a plain TCP connection parks: its bytes are all in the Conn's buffer or the socket.
	// TLS keeps records of its own, and an HTTP/2 stream is net/http's.
	if tcp, ok := c.NetConn().(*net.TCPConn); ok && s.cfg.parkAfter > 0 {
		e.parks = e.parking.Init(s.parker, tcp, e.run, &s.draining)
	}
	return e
}

// run echoes every message back with its own opcode until the connection ends, then logs one
// line about it; or until the connection parks, after -park-after without a message, when the
// parker continues it on a new goroutine once the socket has input (park.go).
//
// Its frame is small, and the work of each message is done further down, in echoMessage: the
// goroutine of an idle connection waits for the next message at the bottom of run, and what
// its stack grows to, it keeps (the runtime doubles a stack that overflows and shrinks it back
// only when nearly all of it is unused). Waiting under echoMessage's frame took the stack of
// every idle connection from 2 KiB to 4 KiB. The logging, whose calls take room on the stack,
// sits in functions of their own that are not inlined.
func (e *session) run() {
	s, c := e.s, e.c
	for {
		// Not a method of session's: a frame more under the wait would take the stack of
		// every waiting connection past 2 KiB.
		var op frame.Opcode
		var r io.Reader
		var err error
		if e.parks && !s.draining.Load() {
			op, r, err = c.NextReaderIdle(s.cfg.parkAfter)
		} else {
			op, r, err = c.NextReader()
		}
		switch {
		case err == nil:
			// Here rather than in echoMessage: setting a deadline goes deep into the
			// runtime's timers.
			e.deadline = s.renewWriteDeadline(c, e.deadline)
			var echoed bool
			e.deadline, echoed, err = s.echoMessage(c, op, r, e.deadline)
			if echoed {
				e.messages++
			}
		case errors.Is(err, conn.ErrNoMessage):
			if e.park() {
				return // the parker continues the connection
			}
			err = nil
		}
		if err != nil {
			s.endConn(e, err)
			return
		}
	}
}

// endConn releases a connection whose echo loop has ended and logs it.
//
//go:noinline
func (s *server) endConn(e *session, err error) {
	c := e.c
	c.CloseNow()
	s.untrack(e)
	http := "1.1"
	if c.OverHTTP2() {
		http = "2" // RFC 8441: the WebSocket was a stream of an HTTP/2 connection
	}
	s.log.Printf("%s: subprotocol=%q %s messages=%d duration=%s http=%s",
		c.RemoteAddr(), c.Subprotocol(), describeEnd(err), e.messages, time.Since(time.Unix(0, e.start)).Round(time.Millisecond), http)
}

// logMessage logs one echoed message (-v).
//
//go:noinline
func (s *server) logMessage(c *conn.Conn, op frame.Opcode, n int) {
	s.log.Printf("%s: %v %d bytes", c.RemoteAddr(), op, n)
}

// echoMessage sends back the message of type op that r reads, and returns
// the write deadline as renewWriteDeadline does, and whether the reply went
// out. It is not inlined into session.run, under which idle connections wait.
//
// It keeps no memory between messages: NextReader has waited for the
// message without any buffer, and only now is one borrowed from a pool,
// filled, echoed and given back. Once the pool holds buffers of the
// messages' size, it allocates nothing. The payload is read after
// conn.HeaderRoom bytes of room, where the reply's frame header goes: the
// reply then leaves in one write of one slice, neither copied nor gathered
// from two (see conn.WriteMessageInPlace).
//
// A message larger than maxWholeMessage is not held whole: its reply is
// streamed (see stream), so that what a connection holds does not depend on
// what its peer sends, nor on how far a compressed message inflates.
//
//go:noinline
func (s *server) echoMessage(c *conn.Conn, op frame.Opcode, r io.Reader, deadline int64) (int64, bool, error) {
	bufp := s.buffers.Get().(*[]byte)
	buf, whole, err := readUpTo(r, (*bufp)[:conn.HeaderRoom], conn.HeaderRoom+maxWholeMessage)
	if err != nil {
		return deadline, false, err
	}
	size := len(buf) - conn.HeaderRoom
	switch {
	case !whole:
		var n int
		n, deadline, err = s.stream(c, op, r, buf, deadline)
		size += n
	case c.Buffered() > 0:
		// The next message has already arrived: let this reply wait in the write
		// buffer and go out with the next ones, in one system call. conn sends it
		// at the latest when the read loop would wait for the network.
		err = c.BufferMessageInPlace(op, buf)
	default:
		err = c.WriteMessageInPlace(op, buf)
	}
	*bufp = buf[:0]
	s.buffers.Put(bufp)
	if s.cfg.verbose {
		s.logMessage(c, op, size)
	}
	if errors.Is(err, conn.ErrCloseSent) {
		// Shutdown has sent our close frame from another goroutine.
		// RFC 6455 §7.1.2: keep reading, and discarding, until the
		// peer's close frame ends session.run's loop.
		return deadline, false, nil
	}
	return deadline, err == nil, err
}

// maxWholeMessage is the largest message echo holds whole; the reply to a
// larger one is streamed. It is also the largest message buffer the pool
// keeps.
const maxWholeMessage = 64 << 10

// stream echoes a message too large to hold: head, which holds its first
// bytes after conn.HeaderRoom, goes out as the first fragments of a message
// from NextWriter, and the rest follows as r yields it, through head's
// memory. A peer that does not read the reply stops the copy (the write
// deadline bounds the wait), and with it the reading: nothing is buffered
// beyond head. It returns the bytes streamed after head, and the write
// deadline as renewWriteDeadline does.
//
//go:noinline
func (s *server) stream(c *conn.Conn, op frame.Opcode, r io.Reader, head []byte, deadline int64) (int, int64, error) {
	w, err := c.NextWriter(op)
	if err != nil {
		return 0, deadline, err
	}
	if _, err := w.Write(head[conn.HeaderRoom:]); err != nil {
		w.Close()
		return 0, deadline, err
	}
	chunk := head[conn.HeaderRoom:cap(head)]
	streamed := 0
	for {
		n, rerr := r.Read(chunk)
		if n > 0 {
			deadline = s.renewWriteDeadline(c, deadline)
			if _, err := w.Write(chunk[:n]); err != nil {
				w.Close()
				return streamed, deadline, err
			}
			streamed += n
		}
		if rerr == io.EOF {
			return streamed, deadline, w.Close()
		}
		if rerr != nil {
			// The read error ends the connection; the reply cannot be finished.
			w.Close()
			return streamed, deadline, rerr
		}
	}
}

// renewWriteDeadline bounds the next write to c by s.writeTimeout. The
// deadline is moved only once half of it has passed, so that a message
// costs a clock reading rather than a timer update; the pongs conn sends on
// its own are not bound by it (see conn.Conn.SetDeadline). It takes and
// returns the deadline set, in Unix nanoseconds (0: none yet), and is a
// function of its own, not inlined, so that its work adds nothing to echo's
// frame, under which the connection waits.
//
//go:noinline
func (s *server) renewWriteDeadline(c *conn.Conn, deadline int64) int64 {
	now := time.Now()
	if time.Duration(deadline-now.UnixNano()) >= s.writeTimeout/2 {
		return deadline
	}
	next := now.Add(s.writeTimeout)
	c.SetWriteDeadline(next)
	return next.UnixNano()
}

// readUpTo appends what r yields to buf until io.EOF or until buf holds
// limit bytes, and reports whether it reached io.EOF: whether buf holds the
// whole message. The Conn behind r enforces the read limit (§10.4).
func readUpTo(r io.Reader, buf []byte, limit int) ([]byte, bool, error) {
	for len(buf) < limit {
		if len(buf) == cap(buf) {
			buf = slices.Grow(buf, min(max(len(buf), minMessageBuffer), limit-len(buf)))
		}
		n, err := r.Read(buf[len(buf):min(cap(buf), limit)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			return buf, true, nil
		}
		if err != nil {
			return buf, false, err
		}
	}
	// A message of exactly limit bytes is not known to be whole until the
	// next read: it is streamed, which costs it nothing but a frame.
	return buf, false, nil
}

// minMessageBuffer is the size of a message buffer the first time it grows.
const minMessageBuffer = 4 << 10

// newMessageBuffer makes a message buffer for the pool: empty, with room for
// the header and a small message.
func newMessageBuffer() any {
	buf := make([]byte, 0, minMessageBuffer)
	return &buf
}

// describeEnd says how a connection ended: the close code and reason the
// peer sent (§7.1.5, §7.1.6), or the error.
func describeEnd(err error) string {
	var ce *conn.CloseError
	if errors.As(err, &ce) {
		return fmt.Sprintf("close=%d reason=%q", ce.Code, ce.Reason)
	}
	return fmt.Sprintf("error=%q", err)
}

// track adds e to the live set. It reports false once shutdown has begun;
// the caller must then close e's connection itself.
func (s *server) track(e *session) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closing {
		return false
	}
	s.conns[e.c] = e
	s.handlers.Add(1)
	return true
}

// untrack removes e from the live set when its echo ends.
func (s *server) untrack(e *session) {
	s.mu.Lock()
	delete(s.conns, e.c)
	s.ended++
	s.mu.Unlock()
	s.handlers.Done()
}

// closeAll starts the close handshake (1001, RFC 6455 §7.4.1: "an endpoint
// is going away, such as a server going down") on every live connection and
// waits until their handlers return or ctx is done. Connections still open
// then are closed at once, without a handshake.
func (s *server) closeAll(ctx context.Context) error {
	s.mu.Lock()
	s.closing = true
	s.draining.Store(true)
	live := make([]*conn.Conn, 0, len(s.conns))
	parked := make([]*session, 0, len(s.conns))
	for c, e := range s.conns {
		live = append(live, c)
		parked = append(parked, e)
	}
	s.mu.Unlock()
	// A parked connection goes on reading first, for the peer's close frame to be read; and
	// a socket must not close while it is parked (park.go).
	for _, e := range parked {
		e.unpark()
	}

	// Close blocks until the peer answers (or CloseTimeout), so close all
	// connections at the same time rather than one after another.
	for _, c := range live {
		go c.Close(frame.CloseGoingAway, shutdownReason)
	}

	done := make(chan struct{})
	go func() {
		s.handlers.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.conns) == 0 {
		return nil // they all ended as the time ran out
	}
	for c := range s.conns {
		c.CloseNow()
	}
	return fmt.Errorf("closing %d WebSocket connections: %w", len(s.conns), ctx.Err())
}

// run serves on ln until ctx is done, then shuts down: it stops accepting,
// lets in-flight HTTP requests finish, closes every WebSocket with 1001 and
// waits for them, all within s.shutdownTimeout. It returns nil after a clean
// shutdown. With cfg.tlsCert and cfg.tlsKey set it serves TLS (https, wss).
func (s *server) run(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{
		Handler:           s.handler(),
		ReadHeaderTimeout: s.handshakeTimeout,
		// A request that announces a body and never sends it would
		// otherwise hold its connection: net/http reads what is left of
		// a body before it answers.
		ReadTimeout:  s.handshakeTimeout,
		WriteTimeout: s.writeTimeout,
		IdleTimeout:  idleTimeout,
		ErrorLog:     s.log,
		Protocols:    new(http.Protocols),
	}
	srv.Protocols.SetHTTP1(true)
	// Over TLS, browsers and other clients that speak HTTP/2 get it (ALPN
	// h2), and with it WebSockets as streams (RFC 8441: extended CONNECT,
	// which package xconnect turns on). Without TLS, HTTP/2 with prior
	// knowledge (h2c) only with -h2c: RFC 6455's upgrade stays the way in.
	srv.Protocols.SetHTTP2(s.cfg.tlsCert != "")
	srv.Protocols.SetUnencryptedHTTP2(s.cfg.h2c)
	// HTTP/2 frames of at most RFC 9113's default 16 KiB (net/http's server would take 1 MiB):
	// a Go client keeps a send buffer of the server's maximum frame size, up to 512 KiB, for as
	// long as a request body is open, and a WebSocket's stays open. At 16 KiB a WebSocket
	// stream costs its client about 32 KiB rather than 540 KiB (conn's
	// BenchmarkH2StreamMemory), and echoes as fast. And a connection window of 64 streams'
	// worth: net/http credits the connection only as handlers read, so a WebSocket whose
	// echo is blocked on a slow reader keeps its stream's 1 MiB of the connection's window,
	// which by default is 1 MiB too and would stall every other stream (conn's
	// TestH2StuckReader).
	srv.HTTP2 = &http.HTTP2Config{MaxReadFrameSize: 16 << 10, MaxReceiveBufferPerConnection: 64 << 20}

	if s.cfg.tlsCert != "" {
		cert, err := tls.LoadX509KeyPair(s.cfg.tlsCert, s.cfg.tlsKey)
		if err != nil {
			ln.Close()
			return err
		}
		srv.TLSConfig = &tls.Config{
			Certificates: []tls.Certificate{cert},
			NextProtos:   []string{"h2", "http/1.1"},
		}
		ln = tls.NewListener(ln, srv.TLSConfig)
	}

	scheme := "ws"
	if srv.TLSConfig != nil {
		scheme = "wss"
	}
	s.log.Printf("listening on %s://%s/ws", scheme, ln.Addr())
	if s.cfg.freeMemory > 0 {
		go s.freeMemory(ctx, s.cfg.freeMemory)
	}
	if s.cfg.parkAfter > 0 {
		s.parker = park.New()
		// After closeAll, which wakes every parked connection, or after an error, on which
		// the process exits.
		defer s.parker.Close()
	}

	// WebSocket handshakes are answered here (accept.go); every other
	// request goes to srv through the front door's HTTP listener.
	door := s.newFront(ln.Addr())
	served := make(chan error, 1)
	go func() { served <- srv.Serve(door.HTTPListener()) }()
	accepted := make(chan error, 1)
	go func() { accepted <- door.Serve(ln) }()
	select {
	case err := <-served:
		ln.Close()
		return err
	case err := <-accepted:
		srv.Close()
		return err
	case <-ctx.Done():
	}

	s.log.Print("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), s.shutdownTimeout)
	defer cancel()
	ln.Close()
	<-accepted
	// The WebSockets are told to close at once, not after the HTTP
	// requests in flight, which Shutdown waits for.
	closedWS := make(chan error, 1)
	go func() { closedWS <- s.closeAll(shutdownCtx) }()
	errHTTP := srv.Shutdown(shutdownCtx) // stops Serve, which returns ErrServerClosed
	if errHTTP != nil {
		srv.Close() // the requests still in flight are cut
		errHTTP = fmt.Errorf("finishing HTTP requests: %w", errHTTP)
	}
	errWS := <-closedWS
	<-served
	return errors.Join(errHTTP, errWS)
}
