package conn

import (
	"errors"
	"io"
	"slices"

	"github.com/rfc6455/ws/frame"
	"github.com/rfc6455/ws/mask"
)

// errStaleReader is returned by a reader from NextReader once a newer message has been asked for.
var errStaleReader = errors.New("conn: read from a message reader after the next message was requested")

// growStep caps how much ReadMessage grows its buffer ahead of the bytes that actually arrived,
// so that a peer claiming a huge frame and then stalling costs little memory (§10.4).
const growStep = 64 << 10

// minInflateGrow is the first growth of ReadMessage's buffer for a compressed message.
const minInflateGrow = 512

// ReadMessage reads the next data message, whatever its fragmentation, and appends its payload
// to buf[:0]. It returns the message's opcode (frame.OpText or frame.OpBinary) and the payload
// (inflated, when the message was compressed). Passing the previous result back as buf makes
// reading allocation-free once it has grown to the size of the messages. Control frames that
// arrive meanwhile are handled as the RFC requires.
//
// Errors: a *CloseError when the connection closed (the peer's close code, or 1006); a
// *frame.ProtocolError (ErrReadLimit among them) when the peer broke the protocol, after the Conn
// has sent the close frame that the violation calls for.
func (c *Conn) ReadMessage(buf []byte) (frame.Opcode, []byte, error) {
	c.readMu.Lock()
	defer c.readMu.Unlock()
	var reserved int64 // taken from the inflate budget by growInflated
	op, buf, err := c.readMessage(buf, &reserved)
	if reserved > 0 {
		c.deflate.budget.release(reserved)
	}
	return op, buf, err
}

// readMessage is ReadMessage's work; *reserved counts what it took from the inflate budget.
func (c *Conn) readMessage(buf []byte, reserved *int64) (frame.Opcode, []byte, error) {
	buf = buf[:0]
	if err := c.beginMessage(false); err != nil {
		return 0, buf, err
	}
	for {
		if len(buf) == cap(buf) {
			if !c.messageCompressed && c.frameLeft == 0 {
				// The frame is done: end the message, or go on to the next fragment, before
				// deciding whether the buffer must grow.
				var err error
				if c.frameFin {
					err = c.endMessage()
				} else {
					err = c.nextDataFrame()
				}
				if err != nil {
					return 0, buf, err
				}
				if !c.inMessage {
					return c.messageOp, buf, nil
				}
				continue
			}
			if c.messageCompressed {
				var err error
				if buf, err = c.growInflated(buf, reserved); err != nil {
					return 0, buf, err
				}
			} else {
				// Grow by what the current frame still holds, but never far ahead of the
				// bytes that actually arrived.
				buf = slices.Grow(buf, int(min(c.frameLeft, max(int64(len(buf)), growStep))))
			}
		}
		n, err := c.readBody(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			return c.messageOp, buf, nil
		}
		if err != nil {
			return 0, buf, err
		}
	}
}

// growInflated grows ReadMessage's buffer for a compressed message, whose size is unknown until
// it is inflated: it doubles from a small start, never past one byte over the read limit, and
// only with room taken from the inflate budget, which *reserved counts. A message that no
// budget can hold fails the connection with ErrInflateBudget (RFC 7692 §8: an endpoint may
// bound the resources a message takes).
func (c *Conn) growInflated(buf []byte, reserved *int64) ([]byte, error) {
	want := max(int64(len(buf)), minInflateGrow)
	if c.readLimit >= 0 {
		want = max(min(want, c.readLimit+1-int64(len(buf))), 1)
	}
	budget := c.deflate.budget
	if !budget.reserve(want) {
		return buf, c.fail(ErrInflateBudget)
	}
	grown := slices.Grow(buf, int(want))
	// The allocator may round the new buffer up; count what it really holds.
	if extra := int64(cap(grown)-cap(buf)) - want; extra > 0 {
		budget.inUse.Add(extra)
		want += extra
	}
	*reserved += want
	return grown, nil
}

// NextReader starts reading the next data message and returns its opcode and a reader of its
// payload, which returns io.EOF at the end of the message. The reader is valid until the next
// call of NextReader or ReadMessage, which discard whatever of it was left unread.
func (c *Conn) NextReader() (frame.Opcode, io.Reader, error) {
	c.readMu.Lock()
	defer c.readMu.Unlock()
	if err := c.beginMessage(false); err != nil {
		return 0, nil, err
	}
	return c.messageOp, c.newReader(), nil
}

// ErrNoMessage is what PollReader returns when the input it read ran out, between frames, before
// a data message began: it held nothing, or only control frames, which PollReader has handled.
// NextReaderIdle returns it when its idle time has passed between frames. The Conn is as usable
// as before.
var ErrNoMessage = errors.New("conn: no message has begun")

// PollReader is NextReader for a caller that waits for input itself, such as an event loop that
// watches many sockets with epoll and hands a connection to a goroutine only while its socket
// is readable: an idle connection then holds no goroutine and no stack. It reads the connection
// only if nothing is buffered, and then once, a read that waits only while nothing has arrived at
// all; it handles the control frames it finds (answering pings, §5.5.2), and returns the next
// data message as NextReader does, or ErrNoMessage once the input runs out between frames. A
// frame or message that has begun is read whole, waiting for its bytes as NextReader does.
//
// Keepalive (UpgradeOptions.PingInterval) sends its pings and checks their answers inside reads:
// a caller that keeps the connection waiting in its own loop must call PollReader again within
// PingInterval of the last, even if nothing arrives, and then it waits for the answer.
func (c *Conn) PollReader() (frame.Opcode, io.Reader, error) {
	c.readMu.Lock()
	defer c.readMu.Unlock()
	if err := c.beginMessage(true); err != nil {
		return 0, nil, err
	}
	return c.messageOp, c.newReader(), nil
}

// newReader returns the reader of the message beginMessage began. The caller holds readMu.
func (c *Conn) newReader() io.Reader {
	// The readers live in the Conn, so that NextReader does not allocate. Consecutive messages
	// use alternate readers: the reader of the previous message then still holds its own seq and
	// reports errStaleReader instead of reading this message.
	r := &c.readers[c.messageSeq%2]
	*r = messageReader{c: c, seq: c.messageSeq}
	return r
}

// messageReader reads one message's payload across its frames.
type messageReader struct {
	c   *Conn
	seq uint64
}

func (r *messageReader) Read(p []byte) (int, error) {
	c := r.c
	c.readMu.Lock()
	defer c.readMu.Unlock()
	if r.seq != c.messageSeq {
		return 0, errStaleReader
	}
	if c.readErr != nil {
		return 0, c.readErr
	}
	if !c.inMessage {
		return 0, io.EOF
	}
	if len(p) == 0 {
		return 0, nil
	}
	return c.readBody(p)
}

// readBody reads the current message's payload into p, across its frames and, for a compressed
// message, through the decompressor. It returns io.EOF once the message is complete (possibly
// with n > 0). The caller holds readMu and passes a non-empty p.
func (c *Conn) readBody(p []byte) (int, error) {
	if c.messageCompressed {
		return c.readInflated(p)
	}
	for c.frameLeft == 0 {
		if c.frameFin {
			if err := c.endMessage(); err != nil {
				return 0, err
			}
			return 0, io.EOF
		}
		if err := c.nextDataFrame(); err != nil {
			return 0, err
		}
	}
	return c.readPayload(p)
}

// beginMessage discards what is left of a message the caller stopped reading and reads up to the
// first data frame of the next message. With poll (PollReader) it reads from the connection only
// if nothing was buffered, once, and returns ErrNoMessage when the input runs out between
// frames. The caller holds readMu.
func (c *Conn) beginMessage(poll bool) error {
	if c.readErr != nil {
		return c.readErr
	}
	if c.inMessage {
		if err := c.discardMessage(); err != nil {
			return err
		}
	}
	c.messageSeq++
	mayRead := !poll || c.br.Buffered() == 0
	for {
		if c.br.Buffered() == 0 {
			if !mayRead {
				// PollReader's caller waits for input itself now: what waits in the write
				// buffer (replies, pongs) goes first, as before any wait for the network.
				c.flushBeforeWaiting(1)
				return ErrNoMessage
			}
			mayRead = !poll
			// Wait for the next message here, high on the reading goroutine's stack, rather
			// than in the frame parser below: what a goroutine's stack grows to, it keeps, and
			// an idle connection's goroutine is waiting right here. So it waits here after a
			// control frame too (a keepalive's pong), not for the next header in the parser.
			c.flushBeforeWaiting(1)
			// Within NextReaderIdle this wait is the idle wait (idle.go). It is marked here,
			// not in a function of its own: a frame more would take the stack of a waiting
			// connection past 2 KiB.
			l := c.br.live.Load()
			idleWait := l != nil && l.idle != 0
			if idleWait {
				l.waitingIdle = true
			}
			err := c.br.awaitInput()
			if idleWait {
				l.waitingIdle = false
			}
			if err != nil {
				if err == ErrNoMessage {
					return err // NextReaderIdle's wait has passed: the Conn is as it was
				}
				return c.transportError(err)
			}
		}
		if data, err := c.nextFrame(); err != nil || data {
			return err
		}
	}
}

// discardMessage reads the rest of the current message, still checking it, and drops it.
func (c *Conn) discardMessage() error {
	for c.inMessage {
		if _, err := c.readBody(c.control[:]); err != nil && err != io.EOF {
			return err
		}
	}
	return nil
}

// endMessage closes the current message after its final frame was read in full.
func (c *Conn) endMessage() error {
	c.inMessage = false
	if c.messageOp == frame.OpText {
		// RFC 6455 §8.1: a text message that ends inside a code point is invalid UTF-8.
		if err := c.text.Done(); err != nil {
			return c.fail(err)
		}
	}
	return nil
}

// readHeader reads and checks the next frame header. It allocates nothing: the header bytes are
// peeked in the read buffer and then discarded.
func (c *Conn) readHeader() (frame.Header, error) {
	c.flushBeforeBlocking(2)
	b, err := c.br.Peek(2)
	if err != nil {
		return frame.Header{}, c.transportError(err)
	}
	n := frame.HeaderSize(b[0], b[1])
	c.flushBeforeBlocking(n)
	if b, err = c.br.Peek(n); err != nil {
		return frame.Header{}, c.transportError(err)
	}
	h, _, err := frame.ParseHeader(b)
	if err != nil {
		return frame.Header{}, c.fail(err)
	}
	c.br.Discard(n)
	if c.trace != nil {
		c.trace(false, h)
	}
	role := frame.RoleClient
	if c.server {
		role = frame.RoleServer
	}
	// RFC 6455 §5.2: an RSV bit is allowed only if an extension gives it a meaning; RFC 7692 §6
	// gives RSV1 to permessage-deflate, on the first frame of a message only (§6.1).
	var rsvAllowed uint8
	if c.deflate != nil {
		rsvAllowed = frame.Rsv1
	}
	if err := h.Check(role, rsvAllowed); err != nil {
		return h, c.fail(err)
	}
	if h.Rsv&frame.Rsv1 != 0 && (h.Op.IsControl() || h.Op == frame.OpContinuation) {
		return h, c.fail(errRsv1Misplaced)
	}
	return h, nil
}

// nextDataFrame reads frames until the next data frame of the current message (or the first one
// of a new message), handling control frames on the way, and makes it the current frame.
func (c *Conn) nextDataFrame() error {
	for {
		if data, err := c.nextFrame(); err != nil || data {
			return err
		}
	}
}

// nextFrame reads one frame header. A control frame it handles whole and reports data false; a
// data frame's header it checks and records, and reports data true, its payload next to read.
func (c *Conn) nextFrame() (data bool, err error) {
	h, err := c.readHeader()
	if err != nil {
		return false, err
	}
	if h.Op.IsControl() {
		// RFC 6455 §5.4: control frames MAY be injected in the middle of a fragmented
		// message; they are handled here without disturbing the message.
		return false, c.handleControl(h)
	}
	if err := frame.CheckSequence(c.inMessage, h); err != nil {
		return false, c.fail(err)
	}
	if !c.inMessage {
		c.inMessage = true
		c.messageOp = h.Op
		c.messageSize = 0
		c.text.Reset()
		// RFC 7692 §6.1: RSV1 on a message's first frame marks it compressed.
		c.messageCompressed = h.Rsv&frame.Rsv1 != 0
	}
	// RFC 6455 §10.4: check the length a frame claims against the limit before reading
	// (or allocating for) a byte of it, counting the whole message across its fragments.
	if c.readLimit >= 0 && h.Length > c.readLimit-c.messageSize {
		return false, c.fail(ErrReadLimit)
	}
	c.messageSize += h.Length
	c.frameLeft = h.Length
	c.frameFin = h.Fin
	c.frameMasked = h.Masked
	c.frameKey = h.Key
	c.keyPos = 0
	if c.messageCompressed && h.Op != frame.OpContinuation {
		c.deflate.startReading()
	}
	return true, nil
}

// readPayload reads up to len(p) bytes of the current data frame's payload into p, unmasks them
// and checks text as it goes. It reads at least one byte unless it returns an error.
func (c *Conn) readPayload(p []byte) (int, error) {
	if int64(len(p)) > c.frameLeft {
		p = p[:c.frameLeft]
	}
	// The read waits only if nothing at all is buffered.
	c.flushBeforeBlocking(1)
	n, err := c.br.Read(p)
	if n > 0 {
		c.frameLeft -= int64(n)
		if c.frameMasked {
			c.keyPos = mask.Apply(c.frameKey, c.keyPos, p[:n])
		}
		if c.messageOp == frame.OpText && !c.messageCompressed {
			// RFC 6455 §8.1: fail as soon as the text can no longer be valid UTF-8,
			// not only at the end of the message. (Compressed text is checked once inflated.)
			if verr := c.text.Write(p[:n]); verr != nil {
				return n, c.fail(verr)
			}
		}
	}
	if err != nil {
		return n, c.transportError(err)
	}
	return n, nil
}

// handleControl reads a control frame's payload and acts on it (§5.5).
func (c *Conn) handleControl(h frame.Header) error {
	// h.Check has bounded h.Length by frame.MaxControlPayload.
	p := c.control[:h.Length]
	c.flushBeforeBlocking(len(p))
	if _, err := io.ReadFull(&c.br, p); err != nil {
		return c.transportError(err)
	}
	if h.Masked {
		mask.Apply(h.Key, 0, p)
	}
	switch h.Op {
	case frame.OpPing:
		if l := c.br.live.Load(); l != nil && l.pingHandler != nil {
			l.pingHandler(p)
		}
		// RFC 6455 §5.5.2: a ping is answered with a pong carrying the same application data,
		// as soon as is practical. When more input has arrived with the ping, the pong waits
		// in the write buffer while that input is read, so that the pongs to the pings between
		// the fragments of a message, the replies buffered meanwhile (BufferMessage) and the
		// application's answer to the message leave in one write. It waits pongDelay at most
		// (pong.go), and goes out at once when this goroutine would wait for the network
		// (flushBeforeBlocking, flushBeforeWaiting), so it never waits for the peer. On an
		// HTTP/2 stream of a server it is written at once: a timer's write could reach the
		// response after the handler has returned. After our close frame no pong may follow
		// (§5.5.1).
		later := c.br.Buffered() > 0 && !c.onServerStream()
		if err := c.answerPing(p, later); err != nil && err != ErrCloseSent {
			return c.transportError(err)
		}
	case frame.OpPong:
		// RFC 6455 §5.5.3: an unsolicited pong needs no answer.
		if l := c.br.live.Load(); l != nil {
			l.pong(p)
		}
	case frame.OpClose:
		code, reason, err := frame.ParseClose(p)
		if err != nil {
			return c.fail(err)
		}
		return c.peerClosed(code, reason)
	}
	return nil
}

// flushBeforeWaiting sends the frames waiting in the write buffer (BufferMessage's, or pongs
// handleControl left there) when reading need more bytes may wait for the network: a reply must
// never sit in a buffer while its connection waits for the peer, who may be waiting for that
// very reply.
func (c *Conn) flushBeforeWaiting(need int) {
	if c.hasPending.Load() && c.br.Buffered() < need {
		c.flushOwn()
	}
}

// flushBeforeBlocking is flushBeforeWaiting inside a frame or between the frames of a message,
// where more input is on its way: what has arrived is read first, without waiting, and the frames
// waiting in the write buffer are sent only if that is not enough, that is, only when the read
// would wait. The pongs to the pings between the fragments of a message that arrives in several
// reads then leave with the answer to the message rather than one write each.
func (c *Conn) flushBeforeBlocking(need int) {
	if c.hasPending.Load() && c.br.Buffered() < need && !c.br.takeArrived(need) {
		c.flushOwn()
	}
}

// transportError records a failure of the underlying connection as an abnormal closure (1006,
// §7.1.5: the connection closed without a close frame) and closes the transport.
func (c *Conn) transportError(err error) error {
	if c.readErr != nil {
		return c.readErr
	}
	if err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	c.readErr = &CloseError{Code: frame.CloseAbnormal, Err: err}
	c.closeTransport()
	return c.readErr
}
