package park

import (
	"runtime/debug"
	"sync"
	"syscall"
	"time"
)

// A Parker waits for the sockets of parked connections to become readable, on one goroutine
// that waits on all of them at once with an epoll of its own (epoll(7)).
//
// Go's runtime has every socket in an epoll of its own, edge-triggered; this one is separate,
// level-triggered, and each registration in it is one-shot (EPOLLONESHOT): it reports a socket
// once, input that arrived before the Park call included, and is armed again (EPOLL_CTL_MOD)
// the next time the Spot parks. A close removes a socket from every epoll; a report that arrives
// for a Spot that was woken or forgotten since, or for an earlier socket with the same
// descriptor number, carries a stale sequence number and is dropped.
type Parker struct {
	epfd int
	wake [2]int // a pipe in the epoll: a byte on it ends the loop

	mu      sync.Mutex
	seq     uint32
	waiting map[int32]*Spot // by descriptor

	// How many were parked at the last garbage collection, or fewer if fewer have been since,
	// when it was, and whether one is due; guarded by mu.
	collectedAt int
	collected   time.Time
	collecting  bool
}

// The stack of a goroutine that has ended is freed only by the next garbage collection, and a
// server whose connections have all gone quiet allocates nothing that would start one: the
// runtime then waits two minutes for its periodic one. Nor does the runtime give freed memory
// back to the system while it is within its heap goal, twice what is live. So once
// collectBatch more connections are parked than at the last collection, a Parker asks for one
// that also returns what is free (debug.FreeOSMemory), collectDelay later, when the connections
// that are going quiet with them have parked too, and at most every collectInterval: a few
// milliseconds of work to give back the stacks (2 KiB or more each) of that many connections. A
// busy server whose connections park and wake by the thousand every second, as cmd/wsbridge's
// do, pays at most that every collectInterval.
const (
	collectBatch    = 256
	collectDelay    = 250 * time.Millisecond
	collectInterval = time.Second
)

// New starts a Parker, or returns nil, which parks nothing, if the system refuses one.
func New() *Parker {
	epfd, err := syscall.EpollCreate1(syscall.EPOLL_CLOEXEC)
	if err != nil {
		return nil
	}
	p := &Parker{epfd: epfd, waiting: map[int32]*Spot{}}
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

// loop reports readable sockets until Close.
func (p *Parker) loop() {
	events := make([]syscall.EpollEvent, 128)
	for {
		n, err := syscall.EpollWait(p.epfd, events, -1)
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			// Not expected of a valid epoll: every Spot parked from now on would wait for
			// good, so none may park any more.
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

// ready wakes the Spot parked on fd, if it is still the one the report was for.
func (p *Parker) ready(fd int32, seq uint32) {
	p.mu.Lock()
	s := p.waiting[fd]
	if s == nil || s.seq != seq {
		p.mu.Unlock()
		return
	}
	p.remove(fd)
	p.mu.Unlock()
	s.wake()
}

// collect runs the garbage collection that Park asked for.
func (p *Parker) collect() {
	debug.FreeOSMemory()
	p.mu.Lock()
	p.collectedAt, p.collected, p.collecting = len(p.waiting), time.Now(), false
	p.mu.Unlock()
}

// remove takes the Spot parked on fd out of waiting. The caller holds mu.
func (p *Parker) remove(fd int32) {
	delete(p.waiting, fd)
	p.collectedAt = min(p.collectedAt, len(p.waiting))
}

// Park has p watch s's socket, and reports whether it does: then s's goroutine may return, and
// p calls s's wake function once the socket is readable (bytes, the peer's FIN, an error), or
// at once if it is already.
func (p *Parker) Park(s *Spot) bool {
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
	epfd := p.epfd
	if !p.collecting && len(p.waiting)-p.collectedAt >= collectBatch {
		p.collecting = true
		time.AfterFunc(max(collectDelay, time.Until(p.collected.Add(collectInterval))), p.collect)
	}
	p.mu.Unlock()
	// RFC 793's FIN and an error are reasons to wake, as bytes are: the connection's read
	// reports them.
	ev := syscall.EpollEvent{Events: syscall.EPOLLIN | syscall.EPOLLRDHUP | syscall.EPOLLONESHOT, Fd: s.fd, Pad: int32(s.seq)}
	op := syscall.EPOLL_CTL_MOD
	if !s.registered {
		op = syscall.EPOLL_CTL_ADD
	}
	if err := syscall.EpollCtl(epfd, op, int(s.fd), &ev); err != nil {
		p.Forget(s)
		return false
	}
	s.registered = true
	return true
}

// Forget stops p waking s, whose owner has woken it itself (to close it, say). A report already
// on its way is dropped.
func (p *Parker) Forget(s *Spot) {
	if p == nil {
		return
	}
	p.mu.Lock()
	if p.waiting[s.fd] == s {
		p.remove(s.fd)
	}
	p.mu.Unlock()
}

// Close ends p's loop. Every Spot must have been woken or forgotten before.
func (p *Parker) Close() {
	if p != nil {
		syscall.Write(p.wake[1], []byte{0})
		syscall.Close(p.wake[1])
	}
}
