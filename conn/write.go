package conn

import (
	"bytes"
	"compress/flate"
	"crypto/rand"
	"errors"
	"io"
	"time"

	"github.com/rfc6455/ws/frame"
	"github.com/rfc6455/ws/mask"
)

var (
	errNotDataOpcode = errors.New("conn: a message must be frame.OpText or frame.OpBinary")
	errWriterClosed  = errors.New("conn: write to a message writer after Close")
	errNoHeaderRoom  = errors.New("conn: a buffer written in place must start with HeaderRoom bytes of room")
)

// WriteMessage sends p as one message of type op (frame.OpText or frame.OpBinary) in a single
// frame, together with any messages BufferMessage left waiting. It does not keep p. On a server
// a small payload is copied next to its header in the write buffer; of a large one only the part
// that fits there is, and the rest leaves from p itself in the same system call (writev). A
// client masks a copy of it, chunk by chunk, as §5.3 requires, and never touches p. A caller
// that can read the payload into a buffer after HeaderRoom bytes saves the copy with
// WriteMessageInPlace, and on a client the chunking too.
//
// WriteMessage does not check that a text message is valid UTF-8; sending one that is not
// makes the peer fail the connection with 1007 (§8.1).
func (c *Conn) WriteMessage(op frame.Opcode, p []byte) error {
	return c.writeMessage(op, p, 0, true)
}

// BufferMessage is WriteMessage without the sending: the frame waits in the write buffer and
// goes out with the next WriteMessage, Flush or control frame, when the buffer is full, or at
// the latest when the reading goroutine is about to wait for the network. It lets a connection
// answer many messages with one system call. A message too large for the buffer is sent at once.
//
// The echo server in cmd/echo shows the pattern: it buffers its reply while Buffered reports
// that the next message has already arrived, and writes it (flushing the batch) when no more
// input is waiting, so a lone message is never held back.
func (c *Conn) BufferMessage(op frame.Opcode, p []byte) error {
	return c.writeMessage(op, p, 0, false)
}

// HeaderRoom is how many bytes WriteMessageInPlace and BufferMessageInPlace keep free at the
// front of their buffer for the frame header: the largest header of §5.2.
const HeaderRoom = frame.MaxHeaderSize

// WriteMessageInPlace is WriteMessage for a payload that the caller has placed at
// buf[HeaderRoom:], and whose buffer it lends to the Conn for the duration of the call. The
// message then leaves in one write of one contiguous slice, its frame header written into the
// room before the payload, with nothing copied: WriteMessage copies the payload, or the part of
// it that fits, into the write buffer, and a client's WriteMessage masks a copy of all of it,
// one buffer and one write at a time. On a client the payload is masked in place (§5.3), so the
// contents of buf are undefined afterwards; on a server only buf[:HeaderRoom] changes. When
// BufferMessage left frames waiting, a message that fits after them in the write buffer is
// copied there and leaves with them, as with WriteMessage; a larger one follows them in the
// same system call.
//
// A server that reads messages into its own buffers makes them this way by reading after
// HeaderRoom bytes, as cmd/echo does. WriteMessageInPlace returns an error if buf is shorter
// than HeaderRoom.
func (c *Conn) WriteMessageInPlace(op frame.Opcode, buf []byte) error {
	return c.writeInPlace(op, buf)
}

// writeInPlace is WriteMessageInPlace. It sends the common case itself, an uncompressed message
// with nothing waiting in the write buffer: the frame leaves from buf, its header in the room,
// in one write. Everything else it leaves to writeMessage. It is writeMessage cut down to that
// case, with the locks released by hand rather than deferred, because its frame sits above the
// system call of every such write: on a goroutine that echoes messages, writeMessage's larger
// frame pushed the stack past 2 KiB, which the runtime then doubles for good, and with it the
// memory of an idle connection's goroutine.
func (c *Conn) writeInPlace(op frame.Opcode, buf []byte) error {
	if c.deflate != nil || (op != frame.OpText && op != frame.OpBinary) || len(buf) < HeaderRoom {
		return c.writeMessage(op, buf, HeaderRoom, true)
	}
	c.messageMu.Lock()
	c.lockWrite()
	if c.pending > 0 {
		c.unlockWrite()
		c.messageMu.Unlock()
		return c.writeMessage(op, buf, HeaderRoom, true)
	}
	err := c.writable()
	if err == nil {
		err = c.writeFrameInPlace(frame.Header{Fin: true, Op: op, Length: int64(len(buf) - HeaderRoom)}, buf)
	}
	c.unlockWrite()
	c.messageMu.Unlock()
	return err
}

// BufferMessageInPlace is BufferMessage for a payload at buf[HeaderRoom:], with the terms of
// WriteMessageInPlace: a message too large for the write buffer is sent at once, in one write
// after the frames that wait there, and on a client the contents of buf are undefined
// afterwards.
func (c *Conn) BufferMessageInPlace(op frame.Opcode, buf []byte) error {
	return c.writeMessage(op, buf, HeaderRoom, false)
}

// Flush sends whatever BufferMessage left in the write buffer.
func (c *Conn) Flush() error {
	c.lockWrite()
	defer c.unlockWrite()
	if c.writeErr != nil {
		return c.writeErr
	}
	return c.flushLocked()
}

// Buffered returns how many bytes of input have been received and not read yet: when it is not
// zero, the next read starts without waiting for the network. Call it from the reading goroutine.
func (c *Conn) Buffered() int {
	// Close may be reading, waiting for the peer's close frame, while the reading goroutine
	// is between two reads.
	c.readMu.Lock()
	defer c.readMu.Unlock()
	return c.br.Buffered()
}

// writeMessage sends or buffers one whole message whose payload is buf[room:]. room is 0, or
// HeaderRoom when the caller lends buf for the header (and, on a client, for masking).
func (c *Conn) writeMessage(op frame.Opcode, buf []byte, room int, send bool) error {
	if op != frame.OpText && op != frame.OpBinary {
		return errNotDataOpcode
	}
	if len(buf) < room {
		return errNoHeaderRoom
	}
	p := buf[room:]
	c.messageMu.Lock()
	defer c.messageMu.Unlock()
	h := frame.Header{Fin: true, Op: op, Length: int64(len(p))}
	if d := c.deflate; d != nil && d.writeEnabled && len(p) >= d.threshold && d.worthTrying(op) {
		// RFC 7692 §6: a compressed message has RSV1 set on its first frame. Compressing
		// happens before taking the wire, so control frames are not held up by it. A message
		// that does not shrink goes as it is, RSV1 clear.
		if compressed := d.compress(p); d.shrank(op, len(compressed), len(p)) {
			p = compressed
			h.Rsv, h.Length = frame.Rsv1, int64(len(p))
			room = 0 // the compressed payload lives in the compressor's buffer
		}
	}
	c.lockWrite()
	defer c.unlockWrite()
	if err := c.writable(); err != nil {
		return err
	}
	if room > 0 && send && c.pending == 0 {
		// Nothing waits in the write buffer: the frame leaves from buf, its header in the room
		// before the payload, in one write, with no buffer borrowed and nothing copied.
		return c.writeFrameInPlace(h, buf)
	}
	if c.appendFrame(h, p) {
		if send {
			return c.flushLocked()
		}
		c.hasPending.Store(true)
		return nil
	}
	switch {
	case room > 0:
		return c.writeFrameInPlace(h, buf)
	case c.server:
		return c.writeServerFrame(h, p)
	}
	return c.writeClientFrame(h, p)
}

// appendFrame adds a whole frame to the write buffer after what is waiting there, masking the
// copy on a client, and reports false, adding nothing, when it does not fit. The caller holds
// writeMu (and messageMu for a data frame).
func (c *Conn) appendFrame(h frame.Header, p []byte) bool {
	if !c.server {
		h.Masked = true
	}
	if c.pending+h.Size()+len(p) > c.wbufSize {
		return false
	}
	c.borrowWriteBuffer()
	if h.Masked {
		h.Key = c.nextKey()
	}
	c.traceSent(h)
	b := frame.AppendHeader(c.wbuf[c.pending:c.pending], h)
	b = append(b, p...)
	if h.Masked {
		mask.Apply(h.Key, 0, b[len(b)-len(p):])
	}
	c.pending += len(b)
	return true
}

// flushLocked writes out the frames waiting in the write buffer. The caller holds writeMu.
func (c *Conn) flushLocked() error {
	if c.pending == 0 {
		return nil
	}
	n := c.takePending()
	err := c.wrote(c.nc.Write(c.wbuf[:n]))
	c.releaseWriteBuffer()
	return err
}

// takePending empties the write buffer's account of waiting frames, which the caller is about to
// write, and returns how many bytes they take. The caller holds writeMu.
func (c *Conn) takePending() int {
	n := c.pending
	c.pending = 0
	c.hasPending.Store(false)
	return n
}

// borrowWriteBuffer takes a write buffer from the pool unless the Conn holds one already (frames
// wait in it). The caller holds writeMu.
func (c *Conn) borrowWriteBuffer() {
	if c.wbuf == nil {
		c.wbufp = getBuffer(c.wbufSize)
		c.wbuf = *c.wbufp
	}
}

// releaseWriteBuffer gives the write buffer back to the pool once its frames are written, so that
// a connection holds no write buffer between messages. The caller holds writeMu.
func (c *Conn) releaseWriteBuffer() {
	if c.wbufp != nil {
		putBuffer(c.wbufp)
		c.wbufp, c.wbuf = nil, nil
	}
}

// writeServerFrame writes an unmasked data frame too large for the write buffer, after the
// frames waiting there, in one system call (see writeLargeFrame). The caller holds messageMu and
// writeMu.
func (c *Conn) writeServerFrame(h frame.Header, p []byte) error {
	c.traceSent(h)
	return c.writeLargeFrame(h, p)
}

// writeLargeFrame writes a frame whose payload p, masked already if h says so, does not fit in
// the write buffer: the header and the first bytes of p are copied into the write buffer after
// the frames waiting there, and the rest of p leaves from where it lies, in the same system call
// (writev on TCP). On Linux loopback a writev that begins with a header of a few bytes alone took
// up to twice as long as one write of the whole frame; beginning with a full buffer, it is as
// fast. The caller holds writeMu.
func (c *Conn) writeLargeFrame(h frame.Header, p []byte) error {
	if c.pending > 0 && cap(c.wbuf)-c.pending < h.Size() {
		// The frames waiting leave no room for the header: they go first, on their own.
		if err := c.flushLocked(); err != nil {
			return err
		}
	}
	c.borrowWriteBuffer()
	b := frame.AppendHeader(c.wbuf[c.pending:c.pending], h)
	k := copy(b[len(b):cap(b)], p)
	head := c.wbuf[:c.pending+len(b)+k]
	c.takePending()
	var err error
	if k == len(p) {
		// After a flush the whole frame can fit. (An empty second piece is no help: on
		// some transports, net.Pipe among them, even a write of nothing waits for a reader.)
		_, err = c.nc.Write(head)
	} else {
		c.vec = [2][]byte{head, p[k:]}
		c.buffers = c.vec[:]
		_, err = c.buffers.WriteTo(c.nc)
		c.vec = [2][]byte{}
	}
	c.releaseWriteBuffer()
	return c.wrote(0, err)
}

// writeFrameInPlace writes a data frame from buf, whose payload starts at HeaderRoom: the header
// goes into the room just before the payload, and on a client the payload is masked where it
// lies, so that the frame leaves in one write of one slice. When frames wait in the write buffer
// (the frame is then too large to join them there), it follows them as writeLargeFrame sends
// it. The caller holds messageMu and writeMu.
func (c *Conn) writeFrameInPlace(h frame.Header, buf []byte) error {
	p := buf[HeaderRoom:]
	if !c.server {
		// RFC 6455 §5.3: a client masks every frame, with a fresh key.
		h.Masked = true
		h.Key = c.nextKey()
		mask.Apply(h.Key, 0, p)
	}
	c.traceSent(h)
	if c.pending > 0 {
		return c.writeLargeFrame(h, p)
	}
	start := HeaderRoom - h.Size()
	frame.AppendHeader(buf[start:start], h)
	return c.wrote(c.nc.Write(buf[start:]))
}

// writeClientFrame writes a masked data frame too large for the write buffer, masking a copy of
// p one buffer at a time. The caller holds messageMu and writeMu.
func (c *Conn) writeClientFrame(h frame.Header, p []byte) error {
	if err := c.flushLocked(); err != nil {
		return err
	}
	h.Masked = true
	h.Key = c.nextKey()
	c.traceSent(h)
	// Each chunk is one system call: a large message is masked in the largest pooled buffer,
	// not in write buffers, so that it takes fewer of them.
	bufp := getBuffer(max(c.wbufSize, min(len(p)+frame.MaxHeaderSize, largestBufferClass)))
	defer putBuffer(bufp)
	buf := *bufp
	b := frame.AppendHeader(buf[:0], h)
	pos := 0
	for {
		n := copy(b[len(b):cap(b)], p)
		chunk := b[len(b) : len(b)+n]
		pos = mask.Apply(h.Key, pos, chunk)
		if err := c.wrote(c.nc.Write(b[:len(b)+n])); err != nil {
			return err
		}
		p = p[n:]
		if len(p) == 0 {
			return nil
		}
		b = buf[:0]
	}
}

// writeControl sends a control frame (§5.5). It may go out between the fragments of a message
// that another goroutine is streaming, never inside a frame.
func (c *Conn) writeControl(op frame.Opcode, p []byte) error {
	if len(p) > frame.MaxControlPayload {
		return errControlTooLong
	}
	c.lockWrite()
	defer c.unlockWrite()
	if err := c.writable(); err != nil {
		return err
	}
	return c.writeControlLocked(op, p, true)
}

// writeControlLocked writes a control frame through the write buffer, after the frames waiting
// there (in one write when it fits after them), or with send false leaves it waiting there too.
// A message being streamed by NextWriter has a buffer of its own, so the control frame goes out
// between two of its fragments. The caller holds writeMu.
func (c *Conn) writeControlLocked(op frame.Opcode, p []byte, send bool) error {
	if c.writeErr != nil {
		return c.writeErr
	}
	h := frame.Header{Fin: true, Op: op, Length: int64(len(p))}
	if !c.appendFrame(h, p) {
		// It does not fit after the frames waiting: they go first. An empty write buffer
		// always has room for a control frame (minWriteBufferSize).
		if err := c.flushLocked(); err != nil {
			return err
		}
		c.appendFrame(h, p)
	}
	if !send {
		c.hasPending.Store(true)
		return nil
	}
	return c.flushLocked()
}

// answerPing sends the pong that answers a ping (§5.5.2), or with later set leaves it in the
// write buffer (see handleControl). It is the reading goroutine's own write: see ownWrite.
func (c *Conn) answerPing(p []byte, later bool) error {
	c.lockWrite()
	defer c.unlockWrite()
	if err := c.writable(); err != nil {
		return err
	}
	if c.ownWrite() {
		defer c.restoreWriteDeadline()
	}
	if err := c.writeControlLocked(frame.OpPong, p, !later); err != nil || !later {
		return err
	}
	c.armPongTimer()
	return nil
}

// flushOwn is Flush for the reading goroutine, which sends what waits in the write buffer before
// it waits for input: its own write (see ownWrite).
func (c *Conn) flushOwn() {
	c.lockWrite()
	defer c.unlockWrite()
	c.flushOwnLocked()
}

// flushOwnLocked is flushOwn for a caller that holds writeMu.
func (c *Conn) flushOwnLocked() {
	if c.writeErr != nil || c.pending == 0 {
		return
	}
	if c.ownWrite() {
		defer c.restoreWriteDeadline()
	}
	c.flushLocked()
}

// Ping sends a ping with payload p (at most 125 bytes, §5.5). The peer's pong arrives through
// the reading goroutine and is shown to the pong handler.
func (c *Conn) Ping(p []byte) error { return c.writeControl(frame.OpPing, p) }

// Pong sends an unsolicited pong with payload p (at most 125 bytes), which §5.5.3 allows as a
// unidirectional heartbeat. Pings from the peer are answered by the Conn itself.
func (c *Conn) Pong(p []byte) error { return c.writeControl(frame.OpPong, p) }

// NextWriter starts a message of type op (frame.OpText or frame.OpBinary) whose payload is
// written in pieces; Close on the returned writer sends its final frame. The message goes out
// as fragments (§5.4) of up to the write buffer's size, so it may be of any length; when
// permessage-deflate is on, the message is compressed as it is written. No other message can be
// written until it is closed; control frames still can. Another message written meanwhile waits
// for the writer to be closed, so the goroutine that holds an open writer must close it before
// it writes another message: otherwise it waits for itself, as with a locked sync.Mutex.
func (c *Conn) NextWriter(op frame.Opcode) (io.WriteCloser, error) {
	if op != frame.OpText && op != frame.OpBinary {
		return nil, errNotDataOpcode
	}
	c.messageMu.Lock()
	// The fragments are assembled in the write buffer, so what BufferMessage left there goes first.
	c.lockWrite()
	err := c.flushLocked()
	c.unlockWrite()
	if err != nil {
		c.messageMu.Unlock()
		return nil, err
	}
	w := &messageWriter{c: c, op: op, bufp: getBuffer(c.wbufSize)}
	w.buf = *w.bufp
	if d := c.deflate; d != nil && d.writeEnabled {
		w.rsv = frame.Rsv1 // RFC 7692 §6.1: on the first frame only
		w.compressor = d.getWriter(compressedSink{w})
	}
	return w, nil
}

// messageWriter writes one message as a sequence of fragments. Payload waits in buf after
// frame.MaxHeaderSize bytes of room, where each fragment's header is put right before it.
type messageWriter struct {
	c          *Conn
	bufp       *[]byte      // borrowed by NextWriter, given back by Close
	buf        []byte       // *bufp
	op         frame.Opcode // the first fragment's opcode, then OpContinuation (§5.4)
	rsv        uint8        // RSV bits of the first fragment
	compressor *flate.Writer
	n          int // payload bytes waiting in the buffer
	err        error
	closed     bool
}

func (w *messageWriter) Write(p []byte) (int, error) {
	if w.closed {
		return 0, errWriterClosed
	}
	if w.err != nil {
		return 0, w.err
	}
	if w.compressor != nil {
		n, err := w.compressor.Write(p)
		if err != nil && w.err == nil {
			w.err = err
		}
		return n, err
	}
	return w.buffer(p, 0)
}

// buffer adds p to the message's buffer, sending full buffers as fragments. It keeps the last
// keep bytes back from each fragment sent, for the compressed case, where the end of the stream
// must be trimmed once it is known (RFC 7692 §7.2.1).
func (w *messageWriter) buffer(p []byte, keep int) (int, error) {
	if w.err != nil {
		return 0, w.err
	}
	c := w.c
	room := len(w.buf) - frame.MaxHeaderSize
	written := 0
	for len(p) > 0 {
		if w.n == room {
			if w.err = w.flush(false, keep); w.err != nil {
				return written, w.err
			}
		}
		if w.n == 0 && len(p) > room && c.server && keep == 0 {
			// A server sends a large piece as a fragment of its own, without copying it.
			if w.err = w.writeDirect(p); w.err != nil {
				return written, w.err
			}
			return written + len(p), nil
		}
		k := copy(w.buf[frame.MaxHeaderSize+w.n:], p)
		w.n += k
		written += k
		p = p[k:]
	}
	return written, nil
}

// Close sends the message's final fragment and lets other messages be written again.
func (w *messageWriter) Close() error {
	if w.closed {
		return errWriterClosed
	}
	w.closed = true
	c := w.c
	defer c.messageMu.Unlock()
	defer func() {
		putBuffer(w.bufp)
		w.bufp, w.buf = nil, nil
	}()
	if w.compressor != nil {
		// The sync flush ends the output with 00 00 ff ff, which RFC 7692 §7.2.1 says to
		// remove: those 4 bytes are the ones buffer held back.
		if err := w.compressor.Flush(); err != nil && w.err == nil {
			w.err = err
		}
		c.deflate.putWriter(w.compressor)
		w.compressor = nil
		if w.err == nil && !bytes.HasSuffix(w.buf[frame.MaxHeaderSize:frame.MaxHeaderSize+w.n], syncTail) {
			w.err = errNoSyncTail
		}
		if w.err == nil {
			w.n -= len(syncTail)
		}
	}
	if w.err != nil {
		return w.err
	}
	return w.flush(true, 0)
}

// flush sends the buffered payload but its last keep bytes as one fragment.
func (w *messageWriter) flush(fin bool, keep int) error {
	c := w.c
	c.lockWrite()
	defer c.unlockWrite()
	if err := c.writable(); err != nil {
		return err
	}
	n := w.n - keep
	h := frame.Header{Fin: fin, Rsv: w.rsv, Op: w.op, Length: int64(n)}
	if !c.server {
		h.Masked = true
		h.Key = c.nextKey()
	}
	c.traceSent(h)
	start := frame.MaxHeaderSize - h.Size()
	frame.AppendHeader(w.buf[start:start], h)
	payload := w.buf[frame.MaxHeaderSize : frame.MaxHeaderSize+n]
	var kept [4]byte
	copy(kept[:keep], w.buf[frame.MaxHeaderSize+n:])
	if h.Masked {
		mask.Apply(h.Key, 0, payload)
	}
	w.op, w.rsv = frame.OpContinuation, 0
	err := c.wrote(c.nc.Write(w.buf[start : frame.MaxHeaderSize+n]))
	w.n = copy(w.buf[frame.MaxHeaderSize:], kept[:keep])
	return err
}

// writeDirect sends p as a non-final fragment straight from the caller's slice (server only).
func (w *messageWriter) writeDirect(p []byte) error {
	c := w.c
	c.lockWrite()
	defer c.unlockWrite()
	if err := c.writable(); err != nil {
		return err
	}
	h := frame.Header{Rsv: w.rsv, Op: w.op, Length: int64(len(p))}
	w.op, w.rsv = frame.OpContinuation, 0
	return c.writeServerFrame(h, p)
}

// writable reports why a data frame may not be written now, if it may not: this side sent its
// close frame (§5.5.1), or an earlier write failed. The caller holds writeMu.
func (c *Conn) writable() error {
	if c.closeSent {
		return ErrCloseSent
	}
	return c.writeErr
}

// wrote records the outcome of a write to the transport. A failed write leaves a frame half
// sent, so the stream cannot go on: the error sticks and the transport is closed.
func (c *Conn) wrote(_ int, err error) error {
	if err != nil {
		c.writeErr = err
		c.closeTransport()
	}
	return err
}

// nextKey returns a fresh masking key. RFC 6455 §5.3: the key MUST be unpredictable, "derived
// from a strong source of entropy"; keys are read from crypto/rand sixteen at a time.
func (c *Conn) nextKey() (key [4]byte) {
	if c.keys == nil {
		c.keys = new([64]byte)
		c.keysUsed = len(c.keys)
	}
	if c.keysUsed == len(c.keys) {
		rand.Read(c.keys[:])
		c.keysUsed = 0
	}
	copy(key[:], c.keys[c.keysUsed:])
	c.keysUsed += len(key)
	return key
}

func (c *Conn) traceSent(h frame.Header) {
	if c.trace != nil {
		c.trace(true, h)
	}
}

// lockWrite takes the right to put a frame on the wire.
func (c *Conn) lockWrite() { c.writeMu.Lock() }

// ownWrite bounds a write the Conn makes on its own, not at the application's request, by the
// close timeout rather than by the application's write deadline, which may have lapsed while the
// connection sat idle. It reports whether the application has a deadline, which
// restoreWriteDeadline must then put back after the write. The caller holds writeMu, so no write
// of the application's is in progress.
func (c *Conn) ownWrite() bool {
	if c.writeDeadline.Load() == 0 {
		return false
	}
	c.nc.SetWriteDeadline(time.Now().Add(c.closeTimeout))
	return true
}

// restoreWriteDeadline puts the application's write deadline back on the transport. If the
// application sets a new one meanwhile, the loop applies that one: SetWriteDeadline stores
// before it applies, so the last value stored is the one that stays.
func (c *Conn) restoreWriteDeadline() {
	for {
		d := c.writeDeadline.Load()
		var t time.Time
		if d != 0 {
			t = time.Unix(0, d)
		}
		c.nc.SetWriteDeadline(t)
		if c.writeDeadline.Load() == d {
			return
		}
	}
}

func (c *Conn) unlockWrite() { c.writeMu.Unlock() }
