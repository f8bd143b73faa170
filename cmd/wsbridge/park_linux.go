package main

import (
	"sync"
	"syscall"
)

// A parker holds the directions of idle bridges, each waiting for its socket to become readable,
// on one goroutine of its own that waits on all their sockets at once with epoll (epoll(7)).
// A direction with nothing to read parks here and its goroutine ends; when its socket becomes
// readable (bytes, the peer's FIN, an error), the parker starts a goroutine that continues it.
// An idle bridge thus holds no goroutine and no stack, where it held two of 2 KiB: what
// mosquitto's or a C proxy's event loop does, for the connections that are idle, while those
// that are busy keep the plain blocking reads of Go's runtime.
//
// Go's runtime has every socket in an epoll of its own, edge-triggered; this one is separate,
// and each registration in it is one-shot (EPOLLONESHOT): it reports a socket once, and is
// armed again (EPOLL_CTL_MOD) the next time the direction parks. A socket is closed only once
// its bridge has woken both directions (bridge.wakeAll), and a close removes it from this epoll
// too; a report that arrives for a direction that has woken already, or for an earlier use of
// the same descriptor number, carries a stale sequence number and is dropped.
type parker struct {
	epfd int
	wake [2]int // a pipe in the epoll: a byte on it ends the loop

	mu      sync.Mutex
	seq     uint32
	waiting map[int32]*side // by descriptor
}

// newParker starts a parker, or returns nil, which parks nothing, if the system refuses one.
func newParker() *parker {
	epfd, err := syscall.EpollCreate1(syscall.EPOLL_CLOEXEC)
	if err != nil {
		return nil
	}
	p := &parker{epfd: epfd, waiting: map[int32]*side{}}
	if err := syscall.Pipe2(p.wake[:], syscall.O_CLOEXEC|syscall.O_NONBLOCK); err != nil {
		syscall.Close(epfd)
		return nil
	}
	ev := syscall.EpollEvent{Events: syscall.EPOLLIN, Fd: -1}
	if err := syscall.EpollCtl(epfd, syscall.EPOLL_CTL_ADD, p.wake[0], &ev); err != nil {
		syscall.Close(epfd)
		syscall.Close(p.wake[0])
		syscall.Close(p.wake[1])
		return nil
	}
	go p.loop()
	return p
}

// loop reports readable sockets until close.
func (p *parker) loop() {
	events := make([]syscall.EpollEvent, 128)
	for {
		n, err := syscall.EpollWait(p.epfd, events, -1)
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			// Not expected of a valid epoll: every direction parked from now on would wait
			// for good, so none may park any more.
			p.mu.Lock()
			p.epfd = -1
			p.mu.Unlock()
			return
		}
		for _, ev := range events[:n] {
			if ev.Fd == -1 {
				syscall.Close(p.epfd)
				syscall.Close(p.wake[0])
				return
			}
			p.ready(ev.Fd, uint32(ev.Pad))
		}
	}
}

// ready hands the direction parked on fd, if it is still the one the report was for, back to its
// bridge to continue.
func (p *parker) ready(fd int32, seq uint32) {
	p.mu.Lock()
	s := p.waiting[fd]
	if s == nil || s.seq != seq {
		p.mu.Unlock()
		return
	}
	delete(p.waiting, fd)
	p.mu.Unlock()
	s.b.resume(s)
}

// park has the parker watch s's socket, and reports whether it does. The caller holds s's
// bridge's mu.
func (p *parker) park(s *side) bool {
	if p == nil || s.fd < 0 {
		return false
	}
	p.mu.Lock()
	if p.epfd < 0 {
		p.mu.Unlock()
		return false
	}
	p.seq++
	s.seq = p.seq
	p.waiting[s.fd] = s
	p.mu.Unlock()
	// RFC 793's FIN and an error are reasons to continue, as bytes are: the direction's read
	// reports them.
	ev := syscall.EpollEvent{Events: syscall.EPOLLIN | syscall.EPOLLRDHUP | syscall.EPOLLONESHOT, Fd: s.fd, Pad: int32(s.seq)}
	op := syscall.EPOLL_CTL_MOD
	if !s.registered {
		op = syscall.EPOLL_CTL_ADD
	}
	if err := syscall.EpollCtl(p.epfd, op, int(s.fd), &ev); err != nil {
		p.forget(s)
		return false
	}
	s.registered = true
	return true
}

// forget stops reporting s, which its bridge has woken itself.
func (p *parker) forget(s *side) {
	p.mu.Lock()
	if p.waiting[s.fd] == s {
		delete(p.waiting, s.fd)
	}
	p.mu.Unlock()
}

// close ends the parker's loop. Every bridge must have ended before.
func (p *parker) close() {
	if p != nil {
		syscall.Write(p.wake[1], []byte{0})
		syscall.Close(p.wake[1])
	}
}
