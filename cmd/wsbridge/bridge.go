package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"math/bits"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rfc6455/ws/conn"
	"github.com/rfc6455/ws/frame"
	"github.com/rfc6455/ws/handshake"
	"github.com/rfc6455/ws/internal/front"
	"github.com/rfc6455/ws/internal/park"
)

// server bridges WebSocket connections to TCP backends.
type server struct {
	cfg     config
	log     *log.Logger
	upgrade conn.UpgradeOptions
	parker  *park.Parker // holds the directions of idle bridges; nil parks none

	active atomic.Int64 // bridges open, for -max-conns

	mu       sync.Mutex
	bridges  map[*bridge]struct{}
	shutdown bool
	wg       sync.WaitGroup // one per bridge
}

func newServer(cfg config, logger *log.Logger) *server {
	return &server{
		cfg: cfg,
		log: logger,
		upgrade: conn.UpgradeOptions{
			Subprotocols:   cfg.subprotocols,
			OriginPatterns: cfg.origins,
			ReadLimit:      cfg.readLimit,
			PingInterval:   cfg.pingInterval,
			PingTimeout:    cfg.pingTimeout,
		},
		bridges: map[*bridge]struct{}{},
	}
}

// ServeHTTP is the bridge's handler for what net/http serves: WebSockets over HTTP/2 (RFC
// 8441), and requests that are no WebSocket handshake, which get 404 or 426. An HTTP/1.1
// handshake never reaches it: the front door (serveHandshake) answers those itself.
func (s *server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	upgrade := isUpgradeRequest(r)
	var offered []string
	if upgrade {
		offered = handshake.Subprotocols(r.Header)
	}
	backend, herr := s.admit(r.URL.Path, upgrade, offered)
	if herr != nil {
		for k, v := range herr.Header {
			w.Header()[k] = v
		}
		http.Error(w, herr.Reason, herr.Status)
		return
	}
	relaying := false
	defer func() {
		if !relaying {
			s.active.Add(-1)
		}
	}()
	client := clientAddr(r.RemoteAddr, r.Header.Values("X-Forwarded-For"), s.cfg.trusted)
	tcp, herr := s.dialBackend(client, backend)
	if herr != nil {
		http.Error(w, herr.Reason, herr.Status)
		return
	}
	c, err := conn.Upgrade(w, r, &s.upgrade)
	if err != nil {
		tcp.Close()
		s.log.Printf("%s: %v", client, err)
		return
	}
	b := s.open(c, tcp, client, backend, r.URL.Path)
	if b == nil {
		return
	}
	relaying = true
	// Over HTTP/2 the WebSocket is this request's stream, which ends when the handler returns:
	// the relay runs here.
	s.serveBridge(b)
}

// serveHandshake answers an HTTP/1.1 WebSocket handshake that the front door read from nc:
// refused before the upgrade as ServeHTTP would refuse it, or upgraded on nc itself, without
// net/http's buffers (package internal/front).
func (s *server) serveHandshake(nc net.Conn, req *handshake.Request, rest []byte) {
	path := "/"
	if u, err := url.ParseRequestURI(req.Target); err == nil {
		path = u.Path
	}
	backend, herr := s.admit(path, true, req.Subprotocols())
	if herr != nil {
		front.Refuse(nc, herr, s.cfg.handshakeTimeout)
		return
	}
	var forwarded []string
	for _, f := range req.Fields {
		if strings.EqualFold(f.Name, "X-Forwarded-For") {
			forwarded = append(forwarded, f.Value)
		}
	}
	client := clientAddr(nc.RemoteAddr().String(), forwarded, s.cfg.trusted)
	tcp, herr := s.dialBackend(client, backend)
	if herr != nil {
		s.active.Add(-1)
		front.Refuse(nc, herr, s.cfg.handshakeTimeout)
		return
	}
	c, err := conn.UpgradeRequest(nc, req, rest, &s.upgrade)
	if err != nil {
		// UpgradeRequest has answered with the HTTP error and closes nc.
		s.active.Add(-1)
		tcp.Close()
		s.log.Printf("%s: %v", client, err)
		return
	}
	b := s.open(c, tcp, client, backend, path)
	if b == nil {
		s.active.Add(-1)
		return
	}
	// The handshake has grown this goroutine's stack, which a goroutine keeps for good; the
	// relay, which an idle connection spends its life in, runs in a fresh one, whose stack
	// starts at 2 KiB.
	go s.serveBridge(b)
}

// admit decides, before anything is dialed, whether a request for path that asks for a
// WebSocket (upgrade) offering the subprotocols offered is served, and which backend it goes
// to. A request it admits counts in s.active, which the caller gives back if the bridge does
// not open.
func (s *server) admit(path string, upgrade bool, offered []string) (backend string, _ *handshake.Error) {
	backend, ok := s.cfg.routes[path]
	if !ok {
		backend, ok = s.cfg.routes[""]
	}
	if !ok {
		return "", &handshake.Error{Status: http.StatusNotFound, Reason: "404 page not found"}
	}
	if !upgrade {
		return "", &handshake.Error{Status: http.StatusUpgradeRequired, Reason: "this is a WebSocket bridge: connect with a WebSocket client",
			Header: http.Header{"Upgrade": {"websocket"}, "Connection": {"Upgrade"}}}
	}
	if len(s.cfg.subprotocols) > 0 && !offersOneOf(offered, s.cfg.subprotocols) {
		// MQTT over WebSocket, for one, requires the mqtt subprotocol (MQTT 5.0 §6): a client
		// that offers none of ours speaks something else.
		return "", &handshake.Error{Status: http.StatusBadRequest, Reason: fmt.Sprintf("offer one of the subprotocols %v", s.cfg.subprotocols)}
	}
	if n := s.active.Add(1); s.cfg.maxConns > 0 && n > int64(s.cfg.maxConns) {
		s.active.Add(-1)
		return "", &handshake.Error{Status: http.StatusServiceUnavailable, Reason: "too many connections", Header: http.Header{"Retry-After": {"5"}}}
	}
	return backend, nil
}

// dialBackend connects to backend for client, and sends the PROXY line first with
// -proxy-protocol. A backend that cannot be reached gets the client a 502 rather than a 101
// and a close.
func (s *server) dialBackend(client netip.AddrPort, backend string) (*net.TCPConn, *handshake.Error) {
	unreachable := &handshake.Error{Status: http.StatusBadGateway, Reason: "the backend cannot be reached"}
	ctx, cancel := context.WithTimeout(context.Background(), s.cfg.dialTimeout)
	var d net.Dialer
	nc, err := d.DialContext(ctx, "tcp", backend)
	cancel()
	if err != nil {
		s.log.Printf("%s: backend %s: %v", client, backend, err)
		return nil, unreachable
	}
	tcp := nc.(*net.TCPConn)
	if s.cfg.proxyProtocol {
		tcp.SetWriteDeadline(time.Now().Add(s.cfg.dialTimeout))
		if _, err := tcp.Write(proxyHeader(client, tcp.RemoteAddr())); err != nil {
			tcp.Close()
			return nil, unreachable
		}
		tcp.SetWriteDeadline(time.Time{})
	}
	return tcp, nil
}

// open makes the bridge of an upgraded client c and its backend connection tcp, and registers
// it; during shutdown it closes both with 1001 instead and returns nil.
func (s *server) open(c *conn.Conn, tcp *net.TCPConn, client netip.AddrPort, backend, path string) *bridge {
	b := &bridge{srv: s, c: c, tcp: tcp, client: client, backend: backend, path: path, start: time.Now(), http2: c.OverHTTP2()}
	if b.http2 {
		b.finished = make(chan struct{})
	}
	if !s.track(b) {
		c.Close(frame.CloseGoingAway, "server shutting down")
		tcp.Close()
		return nil
	}
	if s.cfg.verbose {
		s.log.Printf("%s: open path=%s backend=%s subprotocol=%q", client, b.path, backend, c.Subprotocol())
	}
	return b
}

// serveBridge relays b until both its directions are done, or park; the one that ends last
// lets go of the bridge and logs it (endBridge). Over HTTP/2 it returns only then, since the
// stream ends with its handler.
func (s *server) serveBridge(b *bridge) {
	b.relay()
	if b.finished != nil {
		<-b.finished
	}
}

// endBridge forgets a bridge whose relay is over and logs its summary.
//
//go:noinline
func (s *server) endBridge(b *bridge) {
	s.untrack(b)
	s.active.Add(-1)
	s.log.Print(b.summary())
}

// track registers b for shutdown, unless shutdown has begun.
func (s *server) track(b *bridge) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.shutdown {
		return false
	}
	s.bridges[b] = struct{}{}
	s.wg.Add(1)
	return true
}

func (s *server) untrack(b *bridge) {
	s.mu.Lock()
	delete(s.bridges, b)
	s.mu.Unlock()
	s.wg.Done()
}

// closeAll sends every client 1001 (RFC 6455 §7.4.1: going away) and closes every backend
// connection, then waits for the relays to end, at most until ctx is done.
func (s *server) closeAll(ctx context.Context) error {
	s.mu.Lock()
	s.shutdown = true
	for b := range s.bridges {
		go b.end(frame.CloseGoingAway, "server shutting down")
	}
	s.mu.Unlock()
	done := make(chan struct{})
	go func() {
		s.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		s.mu.Lock()
		for b := range s.bridges {
			b.wakeAll()
			b.c.CloseNow()
			b.tcp.Close()
		}
		s.mu.Unlock()
		return ctx.Err()
	}
}

// A bridge is one WebSocket client relayed to one TCP connection to its backend.
type bridge struct {
	srv     *server
	c       *conn.Conn
	tcp     *net.TCPConn
	client  netip.AddrPort
	backend string
	path    string
	start   time.Time
	http2   bool

	up, down     atomic.Int64 // bytes client→backend, backend→client
	lastActivity atomic.Int64 // unix nanoseconds

	// The two directions, each run by a goroutine of its own while it has something to do and
	// parked (see package park) while it waits for input; directions counts those not yet done.
	fromClient, fromBackend side
	directions              atomic.Int32
	finished                chan struct{} // closed once both are done; over HTTP/2 only

	mu       sync.Mutex
	ended    string      // why end closed the bridge from outside the relay; guarded by mu
	closing  bool        // the bridge is ending: no direction parks any more; guarded by mu
	done     bool        // the relay is over: end does nothing; guarded by mu
	idle     *time.Timer // guarded by mu
	ping     *time.Timer // wakes a parked client side for keepalive; guarded by mu
	closeErr error       // how the client's side ended, from the reading goroutine
	downErr  error       // how the backend's side ended, from the writing goroutine

	// Of the client side: bytes for the backend, in the pooled buffer *pooled, held only while
	// there is something to send.
	out    []byte
	pooled *[]byte
}

// A side is one direction of a bridge: what the parker needs to watch its socket and to start it
// again.
type side struct {
	b      *bridge
	waiter *readWaiter // of the socket the direction reads; nil if it cannot park
	spot   park.Spot   // the socket's place in the parker; guarded by b.mu
	parked bool        // guarded by b.mu
	run    func()      // continues the direction, on the goroutine the parker starts
}

func (s *side) init(b *bridge, c *net.TCPConn, run func()) {
	s.b, s.run = b, run
	if c != nil && b.srv.parker != nil && s.spot.Init(c, func() { b.resume(s) }) {
		s.waiter = newReadWaiter(c)
	}
}

// relay starts both directions; it returns when the client's side parks or is done. Each
// direction holds one buffer and waits on the other side before it reads more: a client that
// does not read stops the bridge reading from the backend (so TCP's flow control slows the
// backend), and a backend that does not read stops it reading from the client; nothing queues
// without bound.
func (b *bridge) relay() {
	b.touch()
	cfg := &b.srv.cfg
	if cfg.idleTimeout > 0 {
		b.mu.Lock()
		timeout := cfg.idleTimeout
		b.idle = time.AfterFunc(timeout, func() { b.checkIdle(timeout) })
		b.mu.Unlock()
	}
	// The client's side parks only on a plain TCP connection, whose bytes are all in the Conn's
	// buffer or the socket: TLS keeps records of its own, and an HTTP/2 stream is net/http's.
	clientTCP, _ := b.c.NetConn().(*net.TCPConn)
	b.fromClient.init(b, clientTCP, b.clientToBackend)
	b.fromBackend.init(b, b.tcp, b.backendToClient)
	b.directions.Store(2)
	go b.backendToClient()
	b.clientToBackend()
}

// park parks direction s if its socket has nothing to read, and reports whether it did: its
// goroutine must then return, and the parker starts another when there is input.
func (b *bridge) park(s *side) bool {
	if s.waiter == nil || s.waiter.Ready() {
		return false
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closing || !b.srv.parker.Park(&s.spot) {
		return false
	}
	s.parked = true
	if s != &b.fromClient {
		return true
	}
	if due := b.c.KeepAliveDue(); !due.IsZero() {
		// Keepalive pings, and fails a silent client, from within the client side's reads
		// (conn.PollReader): a parked client side is woken when the next check is due.
		wait := time.Until(due) + keepaliveSlack
		if b.ping == nil {
			b.ping = time.AfterFunc(wait, func() { b.resume(&b.fromClient) })
		} else {
			b.ping.Reset(wait)
		}
	}
	return true
}

// keepaliveSlack is how much later than the Conn's keepalive check a parked client side wakes,
// so that the check is due when its read begins.
const keepaliveSlack = 10 * time.Millisecond

// resume continues the parked direction s on a new goroutine, unless it is running already.
func (b *bridge) resume(s *side) {
	b.mu.Lock()
	parked := s.parked
	s.parked = false
	b.mu.Unlock()
	if parked {
		go s.run()
	}
}

// wakeAll starts the bridge's ending: no direction parks from now on, and a parked one continues,
// to see the end in its read. It comes before anything closes a socket of the bridge, or sends
// a close frame (whose closing handshake the Conn times out by closing its socket): a parked
// socket that closed would never be reported.
func (b *bridge) wakeAll() {
	b.mu.Lock()
	b.closing = true
	wake := [2]*side{}
	for i, s := range [...]*side{&b.fromClient, &b.fromBackend} {
		if s.parked {
			s.parked = false
			b.srv.parker.Forget(&s.spot)
			wake[i] = s
		}
	}
	b.mu.Unlock()
	for _, s := range wake {
		if s != nil {
			go s.run()
		}
	}
}

// directionDone is called by each direction as it ends; the last lets go of the bridge.
func (b *bridge) directionDone() {
	if b.directions.Add(-1) > 0 {
		return
	}
	b.mu.Lock()
	b.done = true
	if b.idle != nil {
		b.idle.Stop()
	}
	if b.ping != nil {
		b.ping.Stop()
	}
	b.mu.Unlock()
	b.tcp.Close()
	b.c.CloseNow()
	b.srv.endBridge(b)
	if b.finished != nil {
		close(b.finished)
	}
}

func (b *bridge) touch() { b.lastActivity.Store(time.Now().UnixNano()) }

// checkIdle ends the bridge if nothing has moved for timeout, and otherwise checks again when
// it could next have been idle that long.
func (b *bridge) checkIdle(timeout time.Duration) {
	quiet := time.Since(time.Unix(0, b.lastActivity.Load()))
	if quiet >= timeout {
		b.end(frame.CloseGoingAway, "idle")
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.done {
		b.idle.Reset(timeout - quiet)
	}
}

// end closes the bridge from outside the relay (shutdown, idle): the client gets a close frame
// with code and reason, and the backend connection is closed.
func (b *bridge) end(code frame.CloseCode, reason string) {
	b.mu.Lock()
	if b.done || b.ended != "" {
		b.mu.Unlock()
		return
	}
	b.ended = reason
	b.mu.Unlock()
	b.wakeAll()
	b.c.CloseWrite(code, reason)
	b.tcp.Close()
}

// endedBy returns why end closed the bridge, or "".
func (b *bridge) endedBy() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.ended
}

// clientToBackend writes each binary message's bytes to the backend, in order, until the
// client's side ends, or parks. After a close frame from the client it ends the backend's input
// with a FIN (TCP's half-close), so the backend can finish what it is sending.
//
// Messages that arrive together go to the backend together: while the Conn has more input
// buffered, their bytes gather in one buffer (from a pool, held only while there is something
// to send), so that a burst of small messages, such as MQTT publishes, costs the backend
// connection one write rather than one each. (A client that stops in the middle of a frame
// holds back the messages before it that share the buffer: its own bytes, no one else's.)
func (b *bridge) clientToBackend() {
	for {
		if b.c.Buffered() == 0 && b.park(&b.fromClient) {
			return
		}
		op, r, err := b.c.PollReader()
		if err == conn.ErrNoMessage {
			// Control frames only, handled: the bytes of the messages before them, held
			// while more input was buffered, go now, before the side waits.
			if werr := b.sendOut(); werr != nil {
				b.backendLost(werr)
				b.releaseOut()
				b.directionDone()
				return
			}
			b.releaseOut()
			continue
		}
		if err != nil {
			b.clientEnded(err)
			return
		}
		if !b.relayMessage(op, r) {
			b.releaseOut()
			b.directionDone()
			return
		}
	}
}

// clientEnded ends the client's side after err, which ended its input: what came before the
// end goes to the backend, then a FIN, and a few seconds for the backend to finish what it
// sends (the client can take it only until its close frame, so that is all it gets).
//
//go:noinline
func (b *bridge) clientEnded(err error) {
	b.wakeAll()
	b.closeErr = err
	b.sendOut()
	b.releaseOut()
	b.tcp.CloseWrite()
	b.tcp.SetReadDeadline(time.Now().Add(backendLinger))
	b.directionDone()
}

// relayMessage adds the message of type op that r reads to the bytes for the backend, and
// writes them once no more input waits. It reports false when the relay is over: a text
// message, or an error on either side.
//
//go:noinline
func (b *bridge) relayMessage(op frame.Opcode, r io.Reader) bool {
	b.touch()
	if op != frame.OpBinary {
		// MQTT 5.0 §6 (and 3.1.1 §6): control packets travel in binary messages only; the
		// bytes of a TCP service have no text form.
		b.wakeAll()
		b.sendOut()
		b.c.Close(frame.CloseUnsupportedData, "binary messages only")
		b.closeErr = errors.New("a text message")
		b.tcp.Close()
		return false
	}
	if b.pooled == nil {
		b.pooled = relayBuffers.Get().(*[]byte)
		b.out = (*b.pooled)[:0]
	}
	var werr error
	for {
		n, rerr := r.Read(b.out[len(b.out):cap(b.out)])
		b.out = b.out[:len(b.out)+n]
		if len(b.out) == cap(b.out) {
			werr = b.sendOut()
		}
		if rerr == io.EOF || werr != nil {
			break
		}
		if rerr != nil {
			b.wakeAll()
			b.closeErr = rerr
			b.tcp.Close()
			return false
		}
	}
	if werr == nil && b.c.Buffered() == 0 {
		werr = b.sendOut()
		b.releaseOut()
	}
	if werr != nil {
		b.backendLost(werr)
		return false
	}
	return true
}

// backendLost ends the client's side after a write to the backend failed with err.
//
//go:noinline
func (b *bridge) backendLost(err error) {
	b.wakeAll()
	if b.endedBy() == "" {
		// The backend went away while the client sent: 1014, a gateway's bad answer (IANA's
		// registry of close codes, RFC 6455 §11.7).
		b.c.Close(frame.CloseBadGateway, "backend connection lost")
	}
	b.closeErr = fmt.Errorf("backend: %w", err)
	b.tcp.Close()
}

// sendOut writes the bytes gathered for the backend.
func (b *bridge) sendOut() error {
	if len(b.out) == 0 {
		return nil
	}
	n, err := b.tcp.Write(b.out)
	b.up.Add(int64(n))
	b.out = b.out[:0]
	return err
}

// releaseOut gives the buffer of bytes for the backend back to the pool.
func (b *bridge) releaseOut() {
	if b.pooled != nil {
		relayBuffers.Put(b.pooled)
		b.pooled, b.out = nil, nil
	}
}

// relayBuffers hold the bytes on their way to a backend, between a burst's first message and
// its write.
var relayBuffers = sync.Pool{New: func() any { b := make([]byte, 32<<10); return &b }}

// readBuffers hold what is read from backends, one pool per size from minReadBuffer to
// maxReadBuffer, each twice the one before; a buffer is taken for one read and its write.
var readBuffers sizedPools

type sizedPools [7]sync.Pool // 4 KiB … 256 KiB

func (p *sizedPools) get(size int) *[]byte {
	i := bits.Len(uint(size/minReadBuffer)) - 1
	if b, ok := p[i].Get().(*[]byte); ok {
		return b
	}
	b := make([]byte, size)
	return &b
}

func (p *sizedPools) put(b *[]byte) {
	p[bits.Len(uint(len(*b)/minReadBuffer))-1].Put(b)
}

// Reads from a backend start small, as an idle connection, or one that carries MQTT, needs, and
// grow while the backend sends in bulk (a read that fills the buffer doubles it, up to
// maxReadBuffer), then shrink back after a run of small reads.
const (
	minReadBuffer = 4 << 10
	maxReadBuffer = 256 << 10
)

// backendToClient sends what the backend writes as binary messages, one per read, until the
// backend's side ends, or parks. When the backend ends its output (FIN) the client gets a close
// frame with 1000; the client's side goes on until the client's answer.
func (b *bridge) backendToClient() {
	writeTimeout := b.srv.cfg.writeTimeout
	waiter := b.fromBackend.waiter
	if waiter == nil {
		waiter = newReadWaiter(b.tcp)
	}
	size, small := minReadBuffer, 0
	for {
		// Wait without a buffer, parked or in the poller, and read into one from the pool only
		// once there is something to read; a backend sending in bulk is read again at once.
		var err error
		if size == minReadBuffer {
			if b.park(&b.fromBackend) {
				return
			}
			err = waiter.Wait()
		}
		var n int
		if err == nil {
			// The bytes go after conn.HeaderRoom, where the message's frame header is then
			// written: the message leaves from this buffer, not copied.
			buf := readBuffers.get(size)
			n, err = b.tcp.Read((*buf)[conn.HeaderRoom:])
			if n > 0 {
				b.touch()
				b.down.Add(int64(n))
				if writeTimeout > 0 {
					b.c.SetWriteDeadline(time.Now().Add(writeTimeout))
				}
				// While the backend has more ready, this message waits in the Conn's write
				// buffer for the next: a burst of small packets (MQTT publishes) goes to the
				// client in one write.
				var werr error
				if message := (*buf)[:conn.HeaderRoom+n]; n < size-conn.HeaderRoom && waiter.Readable() {
					werr = b.c.BufferMessageInPlace(frame.OpBinary, message)
				} else {
					werr = b.c.WriteMessageInPlace(frame.OpBinary, message)
				}
				if werr != nil {
					// The client is gone, or has not read for writeTimeout: the client's
					// side sees the end too.
					readBuffers.put(buf)
					b.wakeAll()
					b.downErr = werr
					b.tcp.Close()
					b.c.CloseNow()
					b.directionDone()
					return
				}
			}
			readBuffers.put(buf)
			switch {
			case n == size-conn.HeaderRoom && size < maxReadBuffer:
				size, small = 2*size, 0
			case n < size/8 && size > minReadBuffer:
				if small++; small == 16 {
					size, small = minReadBuffer, 0
				}
			default:
				small = 0
			}
		}
		if err != nil {
			b.backendEnded(err)
			return
		}
	}
}

// backendEnded ends the backend's side after err, which ended its input.
//
//go:noinline
func (b *bridge) backendEnded(err error) {
	b.wakeAll()
	b.downErr = err
	switch {
	case errors.Is(err, io.EOF):
		// The backend closed: so does the WebSocket, normally (RFC 6455 §7.4.1).
		b.c.CloseWrite(frame.CloseNormal, "")
	case errors.Is(err, net.ErrClosed), errors.Is(err, os.ErrDeadlineExceeded):
		// Closed on this side (by the relay, shutdown or the idle timer), or the client has
		// gone and the backend's linger is over.
	default:
		b.c.CloseWrite(frame.CloseBadGateway, "backend connection lost")
	}
	b.directionDone()
}

// backendLinger is how long a backend may go on sending after the client's close.
const backendLinger = 5 * time.Second

// summary is the bridge's log line: who, where to, what moved, how each side ended.
func (b *bridge) summary() string {
	client := "error=none"
	var ce *conn.CloseError
	switch {
	case errors.As(b.closeErr, &ce):
		client = fmt.Sprintf("close=%d reason=%q", ce.Code, ce.Reason)
	case b.closeErr != nil:
		client = fmt.Sprintf("error=%q", b.closeErr.Error())
	}
	backend := "open"
	switch {
	case errors.Is(b.downErr, io.EOF):
		backend = "eof"
	case errors.Is(b.downErr, os.ErrDeadlineExceeded) && !errors.Is(b.closeErr, os.ErrDeadlineExceeded):
		backend = "timeout"
	case errors.Is(b.downErr, net.ErrClosed):
		backend = "closed"
	case b.downErr != nil:
		backend = fmt.Sprintf("%q", b.downErr.Error())
	}
	ended := ""
	if why := b.endedBy(); why != "" {
		ended = " ended=" + why
	}
	proto := "1.1"
	if b.http2 {
		proto = "2"
	}
	return fmt.Sprintf("%s: path=%s backend=%s subprotocol=%q up=%d down=%d client=%s backend_end=%s%s duration=%s http=%s",
		b.client, b.path, b.backend, b.c.Subprotocol(), b.up.Load(), b.down.Load(), client, backend, ended,
		time.Since(b.start).Round(time.Millisecond), proto)
}

// isUpgradeRequest reports whether r asks for a WebSocket at all, over HTTP/1.1 (RFC 6455
// §4.2.1) or HTTP/2 (RFC 8441 §4); conn.Upgrade checks the rest.
func isUpgradeRequest(r *http.Request) bool {
	if r.ProtoMajor >= 2 {
		return r.Method == http.MethodConnect
	}
	for _, v := range r.Header.Values("Upgrade") {
		for _, token := range splitList(v) {
			if strings.EqualFold(token, "websocket") {
				return true
			}
		}
	}
	return false
}

// offersOneOf reports whether the subprotocols a client offered include one of protocols.
func offersOneOf(offered, protocols []string) bool {
	for _, o := range offered {
		for _, p := range protocols {
			if o == p {
				return true
			}
		}
	}
	return false
}
