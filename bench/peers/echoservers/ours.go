package echoservers

import (
	"errors"
	"io"
	"net"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/rfc6455/ws/conn"
	"github.com/rfc6455/ws/internal/park"
)

// serveOursConn is ours, the server of cmd/echo without its logging, its page and its set of live
// connections: conn.UpgradeConn reads and answers the handshake on the raw connection (default
// options: read limit 32 MiB, UTF-8 validation of text always on, 8 KiB head limit, 30 s
// timeout), then oursEcho's loop runs in a fresh goroutine, as cmd/echo's does, and parks the
// connection after parkAfter of silence. Keep it in step with
// cmd/echo (accept.go, server.go), whose throughput and memory are what issue 5 targets.
func serveOursConn(nc net.Conn) {
	c, err := conn.UpgradeConn(nc, nil)
	if err != nil {
		return // UpgradeConn has answered and closed nc
	}
	// The handshake has grown this goroutine's stack; a fresh one starts at its smallest.
	go newOursEcho(c).run()
}

// serveOursKeepAlive is ours-keepalive: ours with keepalive on, as cmd/echo has it by default
// (a ping after 45 s of silence, 30 s for the answer).
func serveOursKeepAlive(nc net.Conn) {
	c, err := conn.UpgradeConn(nc, oursKeepAlive)
	if err != nil {
		return
	}
	go newOursEcho(c).run()
}

var oursKeepAlive = &conn.UpgradeOptions{PingInterval: 45 * time.Second, PingTimeout: 30 * time.Second}

// serveOurs is ours-http: the same echo behind conn.Upgrade in a net/http handler.
func serveOurs(w http.ResponseWriter, r *http.Request) { echoOurs(w, r, nil) }

// serveOursSimple is ours-simple: the seed document's gorilla echo loop written against our API,
// as an application would first write it. The handler keeps the connection (and its goroutine)
// and reads each message into the buffer of the last one, which grows to the largest message
// and stays with the connection.
func serveOursSimple(w http.ResponseWriter, r *http.Request) {
	c, err := conn.Upgrade(w, r, nil)
	if err != nil {
		return // Upgrade has answered with the HTTP error
	}
	defer c.CloseNow()
	var buf []byte
	for {
		op, p, err := c.ReadMessage(buf)
		if err != nil {
			return // *conn.CloseError after the close handshake, or a protocol error
		}
		buf = p
		if err := c.WriteMessage(op, p); err != nil && !errors.Is(err, conn.ErrCloseSent) {
			return
		}
	}
}

// oursDeflate is ours with permessage-deflate (RFC 7692) at the defaults of
// conn.CompressionOptions: flate.BestSpeed, messages under 128 bytes sent uncompressed, and no
// context takeover: each message is compressed with a pooled compressor and the response
// declares server_no_context_takeover.
var oursDeflate = &conn.UpgradeOptions{Compression: &conn.CompressionOptions{}}

// oursDeflateTakeover is oursDeflate with ContextTakeover: each connection keeps its compressor
// and its 32 KiB window from message to message (about 1.2 MiB with compress/flate).
var oursDeflateTakeover = &conn.UpgradeOptions{Compression: &conn.CompressionOptions{ContextTakeover: true}}

// echoOurs is serveOurs's loop with the given upgrade options. As cmd/echo does, it returns from
// the handler once upgraded, so that net/http frees its per-request state, and echoes from a
// goroutine of its own.
func echoOurs(w http.ResponseWriter, r *http.Request, opts *conn.UpgradeOptions) {
	c, err := conn.Upgrade(w, r, opts)
	if err != nil {
		return // Upgrade has answered with the HTTP error
	}
	go newOursEcho(c).run()
}

// messageBuffers holds the echo's message buffers (*[]byte) between messages, as cmd/echo's
// server does.
var messageBuffers = sync.Pool{New: func() any {
	buf := make([]byte, 0, 4<<10)
	return &buf
}}

// parkAfter is how long a connection of ours waits for its next message before it parks, as
// cmd/echo's default -park-after.
const parkAfter = time.Second

// oursParker holds the idle connections of every ours server in the process, as cmd/echo's
// parker holds its own: one goroutine and one epoll, made on first use. On systems other than
// Linux it is nil, and connections wait in their reads.
var oursParker = sync.OnceValue(park.New)

// oursEcho is one connection of ours: cmd/echo's session (server.go), without its logging.
type oursEcho struct {
	c       *conn.Conn
	parking park.Conn
	parks   bool
}

// newOursEcho returns the echo of c.
func newOursEcho(c *conn.Conn) *oursEcho {
	e := &oursEcho{c: c}
	if tcp, ok := c.NetConn().(*net.TCPConn); ok {
		e.parks = e.parking.Init(oursParker(), tcp, e.run, nil)
	}
	return e
}

// run is cmd/echo's loop (server.go, serveConn and echoMessage): NextReaderIdle waits for a
// message without holding any buffer, and after parkAfter of silence the connection parks,
// its goroutine returning; a pooled buffer is filled after conn.HeaderRoom bytes of room for the
// reply's header, echoed in place and given back. Unlike cmd/echo it sets no write deadline, as
// none of the peers' servers does.
func (e *oursEcho) run() {
	c := e.c
	idle := time.Duration(0)
	if e.parks {
		idle = parkAfter
	}
	for {
		op, r, err := c.NextReaderIdle(idle)
		if errors.Is(err, conn.ErrNoMessage) {
			if e.parking.Park(c.KeepAliveDue()) {
				return // wake continues on a new goroutine
			}
			continue
		}
		if err != nil {
			c.CloseNow()
			return // *conn.CloseError after the close handshake, or a protocol error
		}
		bufp := messageBuffers.Get().(*[]byte)
		buf, err := readAll(r, (*bufp)[:conn.HeaderRoom])
		if err != nil {
			c.CloseNow()
			return
		}
		if c.Buffered() > 0 {
			err = c.BufferMessageInPlace(op, buf)
		} else {
			err = c.WriteMessageInPlace(op, buf)
		}
		*bufp = buf[:0]
		messageBuffers.Put(bufp)
		if errors.Is(err, conn.ErrCloseSent) {
			continue // RFC 6455 §7.1.2: keep reading until the peer's close frame
		}
		if err != nil {
			c.CloseNow()
			return
		}
	}
}

// readAll appends what r yields up to io.EOF to buf, as cmd/echo's readAll does.
func readAll(r io.Reader, buf []byte) ([]byte, error) {
	for {
		if len(buf) == cap(buf) {
			buf = slices.Grow(buf, max(len(buf), 4<<10))
		}
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return buf, err
		}
	}
}
