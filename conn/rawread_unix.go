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

// waitRead reads the next bytes through the runtime's network poller. The poller calls readRaw
// when the socket may be readable; readRaw borrows a buffer only if there is something to read,
// so a connection waiting for its peer holds none. Deadlines apply as to any read.
func (b *readBuffer) waitRead() error {
	b.rawN, b.rawErr = 0, nil
	if err := b.raw.Read(b.rawFunc); err != nil {
		if b.r == b.w {
			b.consumed(0)
		}
		return err
	}
	b.w += b.rawN
	if b.rawErr != nil || b.rawN == 0 {
		if b.r == b.w {
			b.consumed(0)
		}
	}
	if b.rawErr != nil {
		return b.rawErr
	}
	if b.rawN == 0 {
		return io.EOF
	}
	return nil
}

// readRaw is the callback of waitRead: one non-blocking read(2). It returns false, asking the
// poller to wait, when the socket has nothing yet.
func (b *readBuffer) readRaw(fd uintptr) bool {
	borrowed := b.bufp == nil
	if borrowed {
		b.borrow(b.size)
	}
	for {
		n, err := syscall.Read(int(fd), b.buf[b.w:])
		switch err {
		case syscall.EINTR:
			continue
		case syscall.EAGAIN:
			if borrowed {
				b.release()
			}
			return false
		case nil:
			b.rawN = n
		default:
			b.rawErr = os.NewSyscallError("read", err)
		}
		return true
	}
}
