package conn

import (
	"io"
	"net"
	"sync"
	"syscall"
)

// defaultBufferSize is the size of the read and write buffers when the options leave it at 0. A
// Conn holds a buffer only while bytes wait in it (see readBuffer and the write path), so the size
// costs nothing on an idle connection; a larger buffer takes in more pipelined frames per read
// and sends more replies per write.
const defaultBufferSize = 16 << 10

// bufferClasses are the sizes of the pooled buffers. A requested size is rounded up to the next
// class; larger buffers are allocated and left to the garbage collector.
var bufferClasses = [...]int{4 << 10, 8 << 10, 16 << 10, 32 << 10, 64 << 10}

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
// holds a buffer only while unread bytes are in it. Once everything buffered has been consumed it
// gives the buffer back to the pool, and on a TCP or Unix socket it waits for the next bytes
// without any buffer at all (see waitRead in rawread_unix.go), borrowing one only when there is
// something to read. An idle connection therefore costs no read buffer, which is most of what a
// WebSocket server holds per connection.
type readBuffer struct {
	src  io.Reader
	raw  syscall.RawConn // set on sockets that can wait for readability without a buffer
	size int             // the size of the buffers borrowed
	bufp *[]byte         // the borrowed buffer, nil when empty
	buf  []byte          // *bufp, or nil
	r, w int             // unread bytes are buf[r:w]

	// Results of the read done inside raw.Read's callback, and that callback bound once, so
	// that waiting does not allocate a closure each time.
	rawFunc func(fd uintptr) bool
	rawN    int
	rawErr  error
}

// newReadBuffer returns a readBuffer over nc whose buffers are size bytes, starting with a copy of
// buffered: bytes already read from nc, such as those that followed an HTTP head.
func newReadBuffer(nc net.Conn, buffered []byte, size int) *readBuffer {
	if size <= 0 {
		size = defaultBufferSize
	}
	b := &readBuffer{src: nc, size: size}
	b.setRaw(nc)
	if len(buffered) > 0 {
		b.borrow(max(size, len(buffered)))
		b.w = copy(b.buf, buffered)
	}
	return b
}

// Buffered returns the number of bytes that can be read without waiting.
func (b *readBuffer) Buffered() int { return b.w - b.r }

// consumed notes that the reader took n bytes, and releases the buffer once it is empty.
func (b *readBuffer) consumed(n int) {
	b.r += n
	if b.r == b.w && b.bufp != nil {
		b.release()
	}
}

// borrow takes a buffer of size bytes from the pool.
func (b *readBuffer) borrow(size int) {
	b.bufp = getBuffer(size)
	b.buf = *b.bufp
}

// release gives the buffer, which must hold no unread bytes, back to the pool.
func (b *readBuffer) release() {
	putBuffer(b.bufp)
	b.bufp, b.buf, b.r, b.w = nil, nil, 0, 0
}

// fill reads at least one more byte into the buffer, keeping the unread ones. It makes room for
// need unread bytes in all (need is at most b.size).
func (b *readBuffer) fill(need int) error {
	if b.buf != nil && b.r > 0 && len(b.buf)-b.r < need {
		// Slide the unread bytes to the front, as bufio.Reader does.
		copy(b.buf, b.buf[b.r:b.w])
		b.w -= b.r
		b.r = 0
	}
	if b.raw != nil {
		return b.waitRead()
	}
	if b.bufp == nil {
		b.borrow(b.size)
	}
	for range 100 {
		n, err := b.src.Read(b.buf[b.w:])
		b.w += n
		if n > 0 || err != nil {
			if err != nil && b.r == b.w {
				b.consumed(0)
			}
			return err
		}
	}
	return io.ErrNoProgress
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
		if len(p) >= b.size {
			return b.src.Read(p)
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
