//go:build unix

package conn

import (
	"io"
	"net"
	"os"
	"syscall"
)

// setRaw lets b wait for readability without a buffer when nc is a TCP or Unix socket. Only those
// exact types qualify: a type that wraps one may have bytes of its own to return first.
func (b *readBuffer) setRaw(nc net.Conn) {
	var sc syscall.Conn
	switch c := nc.(type) {
	case *net.TCPConn:
		sc = c
	case *net.UnixConn:
		sc = c
	default:
		return
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return
	}
	b.raw = raw
	b.rawFunc = b.readRaw
}

// waitRead reads the next bytes through the runtime's network poller, which calls readRaw when
// the socket may be readable. A connection waiting for its peer thus holds no buffer beyond the
// inline one, and deadlines apply as to any read.
func (b *readBuffer) waitRead() error {
	b.rawN, b.rawErr = 0, nil
	err := b.raw.Read(b.rawFunc)
	b.w += b.rawN
	if err == nil {
		err = b.rawErr
	}
	if err == nil && b.rawN == 0 {
		err = io.EOF
	}
	if err != nil && b.r == b.w {
		b.release()
	}
	return err
}

// readNow reads what has arrived, if anything, without waiting.
func (b *readBuffer) readNow() error {
	b.noWait = true
	defer func() { b.noWait = false }()
	b.rawN, b.rawErr = 0, nil
	if err := b.raw.Read(b.rawFunc); err != nil {
		return err
	}
	b.w += b.rawN
	return b.rawErr // a read of 0 bytes is the end of the stream, which the next read reports
}

// readRaw is the callback of waitRead: one non-blocking read(2) into b.target(). It returns
// false, asking the poller to wait, when the socket has nothing yet. It runs at the bottom of the
// reading goroutine's stack, so it must not allocate: an allocation there can grow the stack
// past its smallest size, which it then keeps for as long as it lives. (Giving a buffer back to
// the pool when there was nothing to read allocates only when the pool itself must grow.)
func (b *readBuffer) readRaw(fd uintptr) bool {
	for {
		n, err := syscall.Read(int(fd), b.target())
		switch err {
		case syscall.EINTR:
			continue
		case syscall.EAGAIN:
			if b.r == b.w {
				b.release() // the buffer was only the target of this read
			}
			return b.noWait
		case nil:
			b.rawN = n
		default:
			b.rawErr = os.NewSyscallError("read", err)
		}
		return true
	}
}
