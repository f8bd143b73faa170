package conn

import (
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rfc6455/ws/frame"
)

// DefaultReadLimit is the largest message, in bytes counted across all its fragments, that a
// Conn accepts unless told otherwise. A larger message fails the connection with 1009 (§7.4.1).
const DefaultReadLimit = 32 << 20

// DefaultCloseTimeout bounds each step of the close handshake: sending the close frame, and
// waiting for the peer's.
const DefaultCloseTimeout = 5 * time.Second

// DefaultHandshakeTimeout bounds an opening handshake: a client's, when the context given to
// Dial has no deadline of its own, and a server's in UpgradeConn and UpgradeRequest, unless
// UpgradeOptions.HandshakeTimeout says otherwise.
const DefaultHandshakeTimeout = 30 * time.Second

// ErrCloseSent is returned by writes after this side has sent its close frame: §5.5.1 forbids
// sending data frames after a close frame.
var ErrCloseSent = errors.New("conn: close frame already sent")

// ErrReadLimit is the error of a read whose message is larger than the read limit. The Conn has
// failed the connection with close code 1009 (§7.4.1: "a message that is too big for it to
// process").
var ErrReadLimit = &frame.ProtocolError{Code: frame.CloseTooBig, Reason: "message exceeds the read limit"}

// errControlTooLong is returned when the caller asks to send a control frame with a payload
// over 125 bytes (§5.5).
var errControlTooLong = errors.New("conn: control frame payload exceeds 125 bytes")

// CloseError reports that the connection is closed: the code and reason of the peer's close frame
// (§7.1.5, §7.1.6), frame.CloseNoStatus (1005) when that frame carried no code, or
// frame.CloseAbnormal (1006) when the transport went away without a close frame, in which case Err
// holds the transport's error.
type CloseError struct {
	Code   frame.CloseCode
	Reason string
	Err    error
}

func (e *CloseError) Error() string {
	switch {
	case e.Err != nil:
		return fmt.Sprintf("websocket closed: %d %s: %v", uint16(e.Code), e.Code, e.Err)
	case e.Reason != "":
		return fmt.Sprintf("websocket closed: %d %s: %q", uint16(e.Code), e.Code, e.Reason)
	default:
		return fmt.Sprintf("websocket closed: %d %s", uint16(e.Code), e.Code)
	}
}

// Unwrap returns the transport error behind an abnormal closure, if any.
func (e *CloseError) Unwrap() error { return e.Err }

// Conn is one WebSocket connection, server or client side. It is created by Upgrade or Dial.
// See the package documentation for which methods may run concurrently.
type Conn struct {
	nc           net.Conn
	server       bool
	subprotocol  string
	closeTimeout time.Duration

	// Read side. readMu is held by whoever reads from br; the fields below it belong to that
	// holder. Close takes it with TryLock to wait for the peer's close frame itself when no
	// other goroutine is reading.
	readMu            sync.Mutex
	br                readBuffer
	readLimit         int64
	readErr           error            // sticky: once set, every read returns it
	inMessage         bool             // a data message has started and its final frame is not read yet
	messageOp         frame.Opcode     // OpText or OpBinary of the message being read
	messageCompressed bool             // the message being read has RSV1 set (RFC 7692 §6.1)
	messageSize       int64            // payload bytes of the current message announced so far
	messageSeq        uint64           // counts messages, so a stale NextReader reader can tell
	readers           [2]messageReader // NextReader's, for odd and even messageSeq
	frameLeft         int64            // payload bytes of the current data frame not yet read
	frameFin          bool
	frameMasked       bool
	frameKey          [4]byte
	keyPos            int
	text              frame.UTF8
	control           [frame.MaxControlPayload]byte // control frame payloads, and scratch for discarding data
	trace             func(sent bool, h frame.Header)

	// Write side. writeMu is held while one frame goes onto the wire, so frames never
	// interleave; messageMu is held for a whole data message, so two messages do not interleave
	// their fragments. Control frames take only writeMu.
	writeMu   sync.Mutex
	messageMu sync.Mutex
	wbufp     *[]byte // the borrowed write buffer, nil (back in the pool) when no frame waits
	wbuf      []byte  // *wbufp, or nil: whole frames waiting to be written
	wbufSize  int     // the size of wbuf when it is borrowed, and of a message writer's buffer
	pending   int     // bytes of whole frames waiting at the start of wbuf (BufferMessage)
	// hasPending tells the reading goroutine, without taking writeMu, that frames are waiting
	// in the write buffer: it flushes them before it waits for the network.
	hasPending atomic.Bool
	vec        [2][]byte // the pieces of a large frame, kept here so that writev does not allocate
	buffers    net.Buffers
	keys       *[64]byte // a client's masking keys, read from crypto/rand in batches; nil on a server
	keysUsed   int
	// closeSent and pongTimerArmed (the timer of armPongTimer is running) are guarded by
	// writeMu.
	closeSent, pongTimerArmed bool
	writeErr                  error // sticky, guarded by writeMu
	// writeDeadline is the application's write deadline (SetWriteDeadline, SetDeadline) in Unix
	// nanoseconds, 0 for none: the writes the Conn makes on its own set their own bound and then
	// put this one back (see ownWrite).
	writeDeadline atomic.Int64

	deflate *deflate // permessage-deflate state; nil when it was not negotiated

	closeOnce sync.Once
	// closed is closed when the transport is, for Close waiting on another goroutine's read. It is
	// made by the first goroutine that waits on it, so that a Conn nobody waits on carries none.
	closedMu        sync.Mutex
	closed          chan struct{}
	transportClosed bool // guarded by closedMu
}

// newConn returns a Conn over nc. buffered holds bytes already read from nc after the opening
// handshake: the start of the first frame. The buffer sizes are those of the options, 0 meaning
// defaultBufferSize.
func newConn(nc net.Conn, buffered []byte, server bool, readLimit int64, readBufferSize, writeBufferSize int, closeTimeout time.Duration) *Conn {
	if readLimit == 0 {
		readLimit = DefaultReadLimit
	}
	if writeBufferSize <= 0 {
		writeBufferSize = defaultBufferSize
	}
	writeBufferSize = max(writeBufferSize, minWriteBufferSize)
	if closeTimeout <= 0 {
		closeTimeout = DefaultCloseTimeout
	}
	c := &Conn{
		nc:           nc,
		server:       server,
		closeTimeout: closeTimeout,
		readLimit:    readLimit,
		wbufSize:     writeBufferSize,
	}
	c.br.init(nc, buffered, readBufferSize)
	return c
}

// Subprotocol returns the subprotocol negotiated in the opening handshake (§1.9, §4.2.2), or ""
// if none was.
func (c *Conn) Subprotocol() string { return c.subprotocol }

// NetConn returns the underlying connection. Reading from or writing to it directly corrupts
// the WebSocket stream; it is there for addresses, socket options and TLS state.
func (c *Conn) NetConn() net.Conn { return c.nc }

// LocalAddr returns the local network address.
func (c *Conn) LocalAddr() net.Addr { return c.nc.LocalAddr() }

// RemoteAddr returns the remote network address.
func (c *Conn) RemoteAddr() net.Addr { return c.nc.RemoteAddr() }

// SetReadLimit sets the largest message the Conn accepts, in bytes counted across all its
// fragments (inflated, when they arrive compressed); 0 restores the default, DefaultReadLimit
// or, when permessage-deflate was negotiated, DefaultCompressedReadLimit, and a negative n
// removes the limit. Call it before reading or from the reading goroutine.
func (c *Conn) SetReadLimit(n int64) {
	if n == 0 {
		n = c.defaultReadLimit()
	}
	c.readLimit = n
}

// SetDeadline sets the read and write deadlines of the underlying connection. A read or write
// that times out leaves the connection unusable, as a frame may be half read or half written.
//
// The write deadline bounds the application's writes, and the pongs that leave with them. The
// frames the Conn writes on its own (the pongs that answer pings, §5.5.2, and frames it flushes
// before the reading goroutine waits for input, or a millisecond after a ping) are bounded by
// the close timeout instead, so that a deadline that lapsed while the connection sat idle does
// not fail the connection at the peer's next ping.
func (c *Conn) SetDeadline(t time.Time) error {
	c.writeDeadline.Store(unixNano(t))
	if err := c.nc.SetWriteDeadline(t); err != nil {
		return err
	}
	return c.setReadDeadline(t)
}

// SetReadDeadline sets the deadline for reads; see SetDeadline. With keepalive on, the
// transport's read deadline is the earlier of this one and keepalive's next check.
func (c *Conn) SetReadDeadline(t time.Time) error { return c.setReadDeadline(t) }

// SetWriteDeadline sets the deadline for writes; see SetDeadline.
func (c *Conn) SetWriteDeadline(t time.Time) error {
	c.writeDeadline.Store(unixNano(t))
	return c.nc.SetWriteDeadline(t)
}

// unixNano returns t in Unix nanoseconds, and 0 for the zero Time (no deadline).
func unixNano(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

// SetPingHandler installs h to observe the payload of each ping received. The Conn always
// answers a ping with a pong itself (§5.5.2): at once, or, when more input arrived with the
// ping, within a millisecond, together with the frames written meanwhile (the pongs to the
// other pings of a message, BufferMessage's replies, the application's answer). h must not keep
// the slice after it returns. Call it before reading or from the reading goroutine.
//
// The handlers of SetPingHandler, SetPongHandler and SetTrace run on the reading goroutine,
// inside a read. They may write, but must not call Close, which waits for that very goroutine
// to read the peer's close frame and so would stall for the whole close timeout: use
// CloseWrite there, and the read in progress goes on to return the peer's close.
func (c *Conn) SetPingHandler(h func(payload []byte)) { c.liveness().pingHandler = h }

// SetPongHandler installs h to observe the payload of each pong received, solicited or not
// (§5.5.3). h must not keep the slice after it returns.
func (c *Conn) SetPongHandler(h func(payload []byte)) { c.liveness().pongHandler = h }

// SetTrace installs fn to be called with the header of every frame as it crosses the wire:
// sent is true for frames this side writes and false for frames it reads. It is a window on the
// protocol for learners and for debugging. Call it before the Conn is used from other goroutines.
func (c *Conn) SetTrace(fn func(sent bool, h frame.Header)) { c.trace = fn }
