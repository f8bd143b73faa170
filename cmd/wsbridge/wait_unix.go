//go:build unix

package main

import (
	"net"
	"syscall"
)

// readWaiter waits until a TCP connection has something to read, without a buffer: an idle
// bridge, which spends its life waiting on its backend, then holds no read buffer at all.
type readWaiter struct {
	raw  syscall.RawConn
	peek [1]byte
	wait func(fd uintptr) bool
}

func newReadWaiter(c *net.TCPConn) *readWaiter {
	raw, err := c.SyscallConn()
	if err != nil {
		return nil
	}
	w := &readWaiter{raw: raw}
	w.wait = w.ready
	return w
}

// Wait returns when a read of the connection would not block: bytes have arrived, or its end,
// or an error. Deadlines apply as to a read.
func (w *readWaiter) Wait() error {
	if w == nil {
		return nil
	}
	return w.raw.Read(w.wait)
}

// Readable reports whether a read would find bytes at once, without waiting.
func (w *readWaiter) Readable() bool {
	if w == nil {
		return false
	}
	readable := false
	w.raw.Read(func(fd uintptr) bool {
		n, _, err := syscall.Recvfrom(int(fd), w.peek[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
		readable = err == nil && n > 0
		return true
	})
	return readable
}

// Ready reports whether a read would return at once, without waiting: bytes have arrived, or
// the end of the stream, or an error.
func (w *readWaiter) Ready() bool {
	if w == nil {
		return true
	}
	ready := true
	w.raw.Read(func(fd uintptr) bool {
		ready = w.ready(fd)
		return true
	})
	return ready
}

// ready is the poller's callback: a peek at one byte, which tells whether the socket is
// readable; false asks the poller to wait for it.
func (w *readWaiter) ready(fd uintptr) bool {
	for {
		_, _, err := syscall.Recvfrom(int(fd), w.peek[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
		switch err {
		case syscall.EINTR:
			continue
		case syscall.EAGAIN:
			return false
		}
		return true // bytes, the end of the stream (0), or an error the read will report
	}
}
