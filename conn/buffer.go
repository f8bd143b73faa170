package conn

import (
	"io"
	"net"
	"sync"
	"syscall"

	"github.com/rfc6455/ws/frame"
)

// defaultBufferSize is the size of the read and write buffers when the options leave it at 0. A
// Conn holds a buffer only while bytes wait in it (see readBuffer and the write path), so the size
// costs nothing on an idle connection; a larger buffer takes in more pipelined frames per read
// and sends more replies per write. 32 KiB is io.Copy's buffer, and what the plain TCP echo of
// bench/peers reads and writes at a time. With 16 messages in flight, 16 KiB buffers took 2.1
// reads and writes per 16 KiB message where 32 KiB take 1.1 (the TCP echo 1.25), and 0.31 per
// 1 KiB message where 32 KiB take 0.20, a batch of 16 such frames (16.5 KiB) no longer needing
// two reads and two writes (bench/peers/README.md, 2026-12-08).
const defaultBufferSize = 32 << 10

// minWriteBufferSize is the smallest write buffer: room for the largest control frame (§5.5),
// which always goes out through the write buffer.
const minWriteBufferSize = frame.MaxHeaderSize + frame.MaxControlPayload

// bufferClasses are the sizes of the pooled buffers. A requested size is rounded up to the next
// class; larger buffers are allocated and left to the garbage collector.
var bufferClasses = [...]int{4 << 10, 8 << 10, 16 << 10, 32 << 10, largestBufferClass}

// largestBufferClass is the size of the largest pooled buffers.
const largestBufferClass = 64 << 10

// bufferPools holds released buffers, one pool per class in bufferClasses. The pools are shared
// by all connections, as net/http and fmt share theirs: an idle connection gives its buffers back
// and a busy one borrows them.
var bufferPools [len(bufferClasses)]sync.Pool

// bufferClass returns the index in bufferClasses of the class for size, or -1 if size is larger
// than every class.
func bufferClass(size int) int {
	for i, c := range bufferClasses {
		if size <= c {
			return i
		}
	}
	return -1
}

// getBuffer returns a buffer of size bytes from the pool of its class. The pools hold pointers to
// slices, so that giving a buffer back does not allocate; the caller keeps the pointer and passes
// it to putBuffer.
func getBuffer(size int) *[]byte {
	i := bufferClass(size)
	if i < 0 {
		b := make([]byte, size)
		return &b
	}
	p, ok := bufferPools[i].Get().(*[]byte)
	if !ok {
		b := make([]byte, bufferClasses[i])
		p = &b
	}
	*p = (*p)[:size]
	return p
}

// pooledBuffer is getBuffer without allocating: it returns nil when the pool of size's class
// is empty (or size is larger than every class).
func pooledBuffer(size int) *[]byte {
	i := bufferClass(size)
	if i < 0 {
		return nil
	}
	p, ok := bufferPools[i].Get().(*[]byte)
	if !ok {
		return nil
	}
	*p = (*p)[:size]
	return p
}

// putBuffer gives a buffer from getBuffer back to its pool. The caller must not use it again.
func putBuffer(p *[]byte) {
	i := bufferClass(cap(*p))
	if i < 0 || cap(*p) != bufferClasses[i] {
		return
	}
	*p = (*p)[:cap(*p)]
	bufferPools[i].Put(p)
}

// readBuffer is the input side of a Conn: a buffered reader like bufio.Reader, except that it
// holds a pooled buffer only while unread bytes are in it. When it is empty it waits for the
// network without any: the read that ends the wait borrows one from the pool if the pool has
// one at hand, and otherwise reads into a small inline buffer (allocating a buffer there could
// grow the goroutine's stack, see below), moving to a borrowed one only when more arrives at once.
// The buffer goes back to the pool as soon as everything in it has been consumed. On a TCP or Unix socket the wait goes through the runtime's
// network poller (see waitRead in rawread_unix.go), so an idle connection holds no read buffer at
// all, and the read that ends a wait neither allocates nor touches the pool: that keeps a waiting
// goroutine's stack at its smallest size, which is most of what an idle connection costs.
type readBuffer struct {
	src  io.Reader
	raw  syscall.RawConn // set on sockets whose readiness the poller reports (rawread_unix.go)
	size int             // the size of the buffers borrowed
	bufp *[]byte         // the borrowed buffer, nil when none is borrowed
	buf  []byte          // *bufp, small, or nil when empty
	r, w int             // unread bytes are buf[r:w]

	// small takes the first bytes that end a wait: a whole small message, or the start of more.
	small [smallReadSize]byte

	// err is an error that came with bytes from src (a *tls.Conn returns io.EOF with the last
	// ones): the bytes are delivered first, the error by the next read.
	err error

	// Results of the read done inside raw.Read's callback, and that callback bound once, so
	// that waiting does not allocate a closure each time.
	rawFunc func(fd uintptr) bool
	rawN    int
	rawErr  error
	noWait  bool // the callback reports an empty socket instead of waiting

	// live is the Conn's keepalive and ping state, nil until used: a read that times out asks
	// it whether keepalive set the deadline (see liveness.onTimeout).
	live livenessPointer
}

// smallReadSize is the size of a readBuffer's inline buffer: a few small frames (a chat
// message, a ping) arrive and are read without borrowing a buffer. It is also what keeps a Conn
// within the 896-byte allocation size class (see TestConnSize): 64 bytes more would put every
// connection in the next class, 1 KiB.
const smallReadSize = 192

// init readies b, the zero readBuffer of a new Conn, to read from nc with buffers of size bytes,
// starting with a copy of buffered: bytes already read from nc, such as those that followed an
// HTTP head.
func (b *readBuffer) init(nc net.Conn, buffered []byte, size int) {
	if size <= 0 {
		size = defaultBufferSize
	}
	// Field by field: a composite literal would be built on the stack first, inline
	// buffer and all, deepening the handshake's stack.
	b.src, b.size = nc, size
	b.setRaw(nc)
	if len(buffered) > 0 {
		b.borrow(max(size, len(buffered)))
		b.w = copy(b.buf, buffered)
	}
}

// Buffered returns the number of bytes that can be read without waiting.
func (b *readBuffer) Buffered() int { return b.w - b.r }

// consumed notes that the reader took n bytes, and lets go of the buffer once it is empty.
func (b *readBuffer) consumed(n int) {
	b.r += n
	if b.r == b.w && b.buf != nil {
		b.release()
	}
}

// borrow takes a buffer of size bytes from the pool.
func (b *readBuffer) borrow(size int) {
	b.bufp = getBuffer(size)
	b.buf = *b.bufp
}

// release gives a borrowed buffer, which must hold no unread bytes, back to the pool, and leaves
// b empty.
func (b *readBuffer) release() {
	if b.bufp != nil {
		putBuffer(b.bufp)
	}
	b.bufp, b.buf, b.r, b.w = nil, nil, 0, 0
}

// target returns the slice the next read goes into: the free end of the buffer or, when b is
// empty, a pooled buffer if the pool has one at hand, else the inline buffer. It never allocates,
// so that it can run in the poller's callback at the bottom of a deep stack.
func (b *readBuffer) target() []byte {
	if b.buf == nil {
		if p := pooledBuffer(b.size); p != nil {
			b.bufp, b.buf = p, *p
		} else {
			b.buf = b.small[:min(len(b.small), b.size)]
		}
	}
	return b.buf[b.w:]
}

// makeRoom makes space for need unread bytes in all (need is at most b.size) and for at least
// one more: the unread bytes slide to the front, as in bufio.Reader, and move from the inline
// buffer to a borrowed one when it is full.
func (b *readBuffer) makeRoom(need int) {
	if b.buf == nil || (b.w < len(b.buf) && len(b.buf)-b.r >= need) {
		return
	}
	if b.bufp == nil {
		p := getBuffer(b.size)
		n := copy(*p, b.buf[b.r:b.w])
		b.bufp, b.buf, b.r, b.w = p, *p, 0, n
		return
	}
	copy(b.buf, b.buf[b.r:b.w])
	b.w -= b.r
	b.r = 0
}

// fill reads at least one more byte, keeping the unread ones, with room for need unread bytes in
// all (need is at most b.size). A read deadline that keepalive set does not end it: keepalive
// pings, or fails the read with ErrPingTimeout.
func (b *readBuffer) fill(need int) error {
	for {
		err := b.fillOnce(need)
		l := b.live.Load()
		if err == nil {
			l.noteRead()
			return nil
		}
		if retry, kerr := b.keepAlive(l, err); !retry {
			return kerr
		}
	}
}

// keepAlive decides what becomes of a failed read: whether to retry it (a deadline keepalive
// set), and otherwise the error to return.
func (b *readBuffer) keepAlive(l *liveness, err error) (retry bool, _ error) {
	if !l.watchesDeadline() || !isTimeout(err) {
		return false, err
	}
	retry, kerr := l.onTimeoutAside()
	if kerr != nil {
		return false, kerr
	}
	return retry, err
}

// fillOnce is one read of fill.
func (b *readBuffer) fillOnce(need int) error {
	if b.err != nil {
		err := b.err
		b.err = nil
		if b.r == b.w {
			b.release()
		}
		return err
	}
	b.makeRoom(need)
	if b.raw != nil {
		return b.waitRead()
	}
	if b.buf == nil {
		// A Read that blocks holds its buffer while it waits, so it gets the inline one: an
		// idle connection over TLS (or any other wrapped transport) then holds no pooled
		// buffer either.
		b.buf = b.small[:min(len(b.small), b.size)]
	}
	for range 100 {
		n, err := b.src.Read(b.target())
		b.w += n
		if n > 0 {
			b.err = err
			return nil
		}
		if err != nil {
			if b.r == b.w {
				b.release()
			}
			return err
		}
	}
	return io.ErrNoProgress
}

// awaitInput waits until bytes are buffered. When the inline buffer fills up at once, more has
// probably arrived: it moves to a borrowed buffer and reads what is there without waiting again,
// so that a message, or a batch of them, is read here rather than piecemeal by the frame parser
// further down the stack.
func (b *readBuffer) awaitInput() error {
	if b.r < b.w {
		return nil
	}
	if err := b.fill(1); err != nil {
		return err
	}
	if b.raw == nil || b.bufp != nil || b.w < len(b.buf) {
		return nil
	}
	b.makeRoom(b.size)
	// A deadline that has just passed fails even this read without waiting. Bytes are buffered,
	// so it is not this wait's to report: the next read that waits meets the deadline, and
	// keepalive's or NextReaderIdle's handling of it (an expired idle deadline here used to close
	// busy connections).
	if err := b.readNow(); err != nil && !isTimeout(err) {
		return err
	}
	return nil
}

// takeArrived reads what has arrived, without waiting, after the unread bytes, with room for need
// unread bytes in all, and reports whether need bytes are then buffered. It reads only from a
// raw socket (setRaw), where a read can be made not to wait; elsewhere it reports false. A
// failed read is not its to report: the next read that waits meets the same error (a deadline,
// the end of the stream) or, for an error the socket gives only once, finds it kept in b.err.
func (b *readBuffer) takeArrived(need int) bool {
	if b.raw == nil || b.err != nil {
		return false
	}
	need = min(need, b.size)
	if b.buf == nil {
		// A whole buffer, not the inline one: what has arrived may be a batch of frames.
		b.borrow(b.size)
	}
	b.makeRoom(need)
	before := b.w
	if err := b.readNow(); err != nil {
		if !isTimeout(err) {
			b.err = err
		}
		return false
	}
	if b.w > before {
		b.live.Load().noteRead() // bytes arrived: keepalive's and NextReaderIdle's clock
	}
	return b.Buffered() >= need
}

// Peek returns the next n bytes (n at most the buffer size) without consuming them. They are
// valid until the next call.
func (b *readBuffer) Peek(n int) ([]byte, error) {
	for b.w-b.r < n {
		if err := b.fill(n); err != nil {
			if err == io.EOF && b.w > b.r {
				err = io.ErrUnexpectedEOF
			}
			return nil, err
		}
	}
	return b.buf[b.r : b.r+n], nil
}

// Discard consumes n bytes, which Peek has shown are buffered.
func (b *readBuffer) Discard(n int) { b.consumed(n) }

// Read reads into p. It reads from the network only when nothing is buffered, and then straight
// into p when p is at least as large as a buffer.
func (b *readBuffer) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	if b.r == b.w {
		if len(p) >= b.size && b.err == nil {
			for {
				n, err := b.src.Read(p)
				l := b.live.Load()
				if n > 0 {
					l.noteRead()
					if err != nil {
						b.err, err = err, nil
					}
					return n, err
				}
				if retry, kerr := b.keepAlive(l, err); !retry {
					return 0, kerr
				}
			}
		}
		if err := b.fill(1); err != nil {
			return 0, err
		}
	}
	n := copy(p, b.buf[b.r:b.w])
	b.consumed(n)
	return n, nil
}

// ReadByte reads one byte.
func (b *readBuffer) ReadByte() (byte, error) {
	if b.r == b.w {
		if err := b.fill(1); err != nil {
			return 0, err
		}
	}
	c := b.buf[b.r]
	b.consumed(1)
	return c, nil
}
