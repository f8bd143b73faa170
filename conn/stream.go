package conn

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sync"
	"time"

	"github.com/rfc6455/ws/frame"
)

// A Stream is a net.Conn whose bytes travel as the messages of a WebSocket: each Write sends one
// message, and Read returns the payloads of the messages received one after another, as one
// stream of bytes that ignores where messages begin and end. Protocols that want a byte stream
// run over it unchanged: MQTT (whose WebSocket binding, MQTT 5 §6, is exactly this), SSH, VNC,
// gRPC.
//
// A close frame from the peer reads as io.EOF (after the bytes before it); a connection that
// ended otherwise reads as the *CloseError or *frame.ProtocolError that ended it. A message of
// the other data type than the Stream's fails the connection with 1003 (RFC 6455 §7.4.1: "a
// type of data it cannot accept"). Close runs the closing handshake with 1000.
//
// Deadlines are the Stream's own, as net.Conn requires of them: a Read or Write that times out
// returns an error whose Timeout method reports true, and the Stream stays usable once the
// deadline is moved. To keep the WebSocket intact when a deadline cuts a call short, a Stream
// reads in a goroutine of its own, started by the first Read, and writes in another, started
// by the first Write; a Write that times out has handed its bytes over, returns len(p), and the
// message goes out when the peer lets it. Closing the Stream ends both goroutines.
//
// As net.Conn promises, all methods may be called from several goroutines; Reads are served
// one at a time, and so are Writes.
type Stream struct {
	c  *Conn
	op frame.Opcode

	closeOnce sync.Once
	closed    chan struct{} // closed by Close: every wait ends

	// Read side: the pump goroutine reads the Conn into buf and hands each piece over on chunks;
	// Read copies it out and, once the piece is used up, says so on consumed.
	readMu       sync.Mutex
	readDeadline deadline
	pumpOnce     sync.Once
	chunks       chan []byte
	consumed     chan struct{}
	pumpErr      error  // why the pump stopped; read after chunks is closed
	pending      []byte // what is left of the piece Read holds, guarded by readMu

	// Write side: the writer goroutine sends each message handed over on writes, and reports on
	// written.
	writeMu       sync.Mutex
	writeDeadline deadline
	writerOnce    sync.Once
	writes        chan []byte
	written       chan error
	inFlight      bool   // a message is handed over and not yet reported, guarded by writeMu
	wbuf          []byte // the message in flight: Write's copy of p, guarded by writeMu
}

// streamChunk is the size of the pieces a Stream's pump reads.
const streamChunk = 16 << 10

// NewStream returns a Stream over c that sends messages of type op (frame.OpBinary or
// frame.OpText; with text, every Write must be valid UTF-8 on its own, RFC 6455 §5.6). The
// Stream takes over reading from c: do not read from c afterwards. Whole messages may still be
// written to c alongside the Stream (WriteMessage, WritePrepared: a message never interleaves
// with another), and c's pings (Ping, PingWait) and read limit work as before.
func NewStream(c *Conn, op frame.Opcode) *Stream {
	if op != frame.OpBinary && op != frame.OpText {
		panic(fmt.Sprintf("conn: NewStream with opcode %v, not text or binary", op))
	}
	s := &Stream{
		c:        c,
		op:       op,
		closed:   make(chan struct{}),
		chunks:   make(chan []byte),
		consumed: make(chan struct{}, 1),
		writes:   make(chan []byte),
		written:  make(chan error, 1),
	}
	s.readDeadline.init()
	s.writeDeadline.init()
	return s
}

// Conn returns the WebSocket connection under s.
func (s *Stream) Conn() *Conn { return s.c }

// errTimeout is what a Read or Write returns when its deadline passes. os.ErrDeadlineExceeded is
// what the net package returns in the same case: a net.Error whose Timeout reports true.
var errTimeout error = os.ErrDeadlineExceeded

// errWrongType fails a Stream's connection when a message of the other data type arrives.
var errWrongType = &frame.ProtocolError{Code: frame.CloseUnsupportedData, Reason: "unexpected message type for this stream"}

// Read reads the next bytes of the stream into p.
func (s *Stream) Read(p []byte) (int, error) {
	s.readMu.Lock()
	defer s.readMu.Unlock()
	if s.isClosed() {
		return 0, net.ErrClosed
	}
	if s.readDeadline.passed() {
		return 0, errTimeout
	}
	if len(s.pending) == 0 {
		s.pumpOnce.Do(func() { go s.pump() })
		select {
		case chunk, ok := <-s.chunks:
			if !ok {
				return 0, s.pumpErr
			}
			s.pending = chunk
		case <-s.readDeadline.wait():
			return 0, errTimeout
		case <-s.closed:
			return 0, net.ErrClosed
		}
	}
	n := copy(p, s.pending)
	s.pending = s.pending[n:]
	if len(s.pending) == 0 {
		s.consumed <- struct{}{}
	}
	return n, nil
}

// pump reads the Conn's messages and hands their payloads to Read, a piece at a time, until the
// connection ends. Once the Stream is closed it goes on reading, and discarding, so that the
// closing handshake sees the peer's close frame (§7.1.2).
func (s *Stream) pump() {
	buf := make([]byte, streamChunk)
	discarding := false
	handOver := func(p []byte) {
		if discarding {
			return
		}
		select {
		case s.chunks <- p:
		case <-s.closed:
			discarding = true
			return
		}
		select {
		case <-s.consumed:
		case <-s.closed:
			// A Read that took p before the Stream closed may still be copying from it:
			// from here on the pump reads, and discards, into a buffer of its own.
			discarding = true
			buf = make([]byte, streamChunk)
		}
	}
	for {
		op, r, err := s.c.NextReader()
		if err != nil {
			s.stopPump(err)
			return
		}
		if op != s.op {
			s.stopPump(s.c.fail(errWrongType))
			return
		}
		for {
			n, err := r.Read(buf)
			if n > 0 {
				handOver(buf[:n])
			}
			if err == io.EOF {
				break
			}
			if err != nil {
				s.stopPump(err)
				return
			}
		}
	}
}

// stopPump records why the pump stopped and tells Read. A close frame from the peer is the end
// of the stream; whatever else ended the connection is reported as it is.
func (s *Stream) stopPump(err error) {
	var ce *CloseError
	if errors.As(err, &ce) && ce.Code != frame.CloseAbnormal {
		err = io.EOF
	}
	s.pumpErr = err
	close(s.chunks)
}

// Write sends p as one message. A Write whose deadline passes after it handed p over returns
// len(p) with the timeout error: the message goes out when the connection lets it, before any
// later one.
func (s *Stream) Write(p []byte) (int, error) {
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	if s.isClosed() {
		return 0, net.ErrClosed
	}
	if s.writeDeadline.passed() {
		return 0, errTimeout
	}
	if s.inFlight {
		// The message of a Write that timed out is still on its way.
		if err := s.awaitWritten(); err != nil {
			return 0, err
		}
	}
	if len(p) == 0 {
		return 0, nil
	}
	s.writerOnce.Do(func() { go s.writer() })
	// The writer sends a copy: the caller may reuse p as soon as Write returns, even when the
	// message is still on its way.
	s.wbuf = append(s.wbuf[:0], p...)
	select {
	case s.writes <- s.wbuf:
	case <-s.closed:
		return 0, net.ErrClosed
	}
	s.inFlight = true
	if err := s.awaitWritten(); err != nil {
		if err == errTimeout {
			return len(p), err
		}
		return 0, err
	}
	return len(p), nil
}

// awaitWritten waits for the writer's report on the message in flight, bounded by the write
// deadline. The caller holds writeMu.
func (s *Stream) awaitWritten() error {
	select {
	case err := <-s.written:
		s.inFlight = false
		return err
	case <-s.writeDeadline.wait():
		return errTimeout
	case <-s.closed:
		return net.ErrClosed
	}
}

// writer sends the messages Write hands over until the Stream is closed.
func (s *Stream) writer() {
	for {
		select {
		case p := <-s.writes:
			s.written <- s.c.WriteMessage(s.op, p)
		case <-s.closed:
			return
		}
	}
}

// Close runs the closing handshake with 1000 (normal closure, §7.4.1), bounded by the Conn's
// close timeout, and ends the Stream's goroutines. Reads and Writes in progress return
// net.ErrClosed.
func (s *Stream) Close() error {
	err := net.ErrClosed
	s.closeOnce.Do(func() {
		close(s.closed)
		err = s.c.Close(frame.CloseNormal, "")
	})
	return err
}

func (s *Stream) isClosed() bool {
	select {
	case <-s.closed:
		return true
	default:
		return false
	}
}

// LocalAddr returns the local network address.
func (s *Stream) LocalAddr() net.Addr { return s.c.LocalAddr() }

// RemoteAddr returns the remote network address.
func (s *Stream) RemoteAddr() net.Addr { return s.c.RemoteAddr() }

// SetDeadline sets the read and write deadlines; the zero time means none.
func (s *Stream) SetDeadline(t time.Time) error {
	s.readDeadline.set(t)
	s.writeDeadline.set(t)
	return nil
}

// SetReadDeadline sets the deadline of Reads, including one in progress.
func (s *Stream) SetReadDeadline(t time.Time) error {
	s.readDeadline.set(t)
	return nil
}

// SetWriteDeadline sets the deadline of Writes, including one in progress.
func (s *Stream) SetWriteDeadline(t time.Time) error {
	s.writeDeadline.set(t)
	return nil
}

// deadline is a point in time that calls can wait for: its channel is closed once the time has
// come, and replaced by an open one when the deadline is moved into the future or cleared.
type deadline struct {
	mu    sync.Mutex
	timer *time.Timer
	done  chan struct{}
}

func (d *deadline) init() { d.done = make(chan struct{}) }

// set moves the deadline to t; the zero t clears it.
func (d *deadline) set(t time.Time) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.timer != nil {
		d.timer.Stop()
		d.timer = nil
	}
	passed := isClosedChan(d.done)
	wait := time.Until(t)
	switch {
	case !t.IsZero() && wait <= 0:
		if !passed {
			close(d.done)
		}
		return
	case passed:
		d.done = make(chan struct{})
	}
	if t.IsZero() {
		return
	}
	done := d.done
	d.timer = time.AfterFunc(wait, func() {
		d.mu.Lock()
		defer d.mu.Unlock()
		// A timer stopped too late finds its channel replaced, or already closed.
		if d.done == done && !isClosedChan(done) {
			close(done)
		}
	})
}

// wait returns a channel that is closed when the deadline passes.
func (d *deadline) wait() <-chan struct{} {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.done
}

// passed reports whether the deadline has passed.
func (d *deadline) passed() bool { return isClosedChan(d.wait()) }

func isClosedChan(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}
