package conn

import (
	"io"
	"time"

	"github.com/rfc6455/ws/frame"
)

// NextReaderIdle is NextReader with a bound on the peer's silence: it returns ErrNoMessage when,
// between frames, idle has passed since the last byte from the peer, or since the wait began if
// none has come since then (the wait begins at the first call, and again at the first call after
// ErrNoMessage). A peer already silent for idle when it is called, with nothing buffered, gets
// ErrNoMessage at once. The control frames it reads meanwhile are handled as NextReader handles
// them, and they count as bytes. A frame or message that has begun is read whole, however long
// its bytes take. The Conn is as usable after ErrNoMessage as before; nothing of it was read.
//
// It is for a server that keeps many connections and gives the goroutine of one that has fallen
// quiet back to the runtime: on ErrNoMessage the goroutine hands the connection to something that
// watches its socket (an epoll loop, as cmd/echo's parker) and returns, and the connection then
// costs no stack until its socket has input again, when a new goroutine calls NextReaderIdle or
// NextReader. idle <= 0 is NextReader.
//
// Its wait rides on the transport's read deadline, as keepalive's does, and is moved only when
// it expires: a busy connection pays one clock reading per read from the network. With keepalive
// on (UpgradeOptions.PingInterval), a connection handed away after ErrNoMessage must be read
// again by KeepAliveDue, even if nothing arrives, for keepalive to ping and to check the answer:
// keepalive works only inside reads.
func (c *Conn) NextReaderIdle(idle time.Duration) (frame.Opcode, io.Reader, error) {
	if idle <= 0 {
		return c.NextReader()
	}
	c.readMu.Lock()
	defer c.readMu.Unlock()
	l := c.liveness()
	l.armIdle(idle)
	err := c.beginMessage(false)
	l.idle = 0
	if err != nil {
		return 0, nil, err
	}
	return c.messageOp, c.newReader(), nil
}

// KeepAliveDue returns when keepalive next needs a read of c: to ping a peer that has been silent
// for PingInterval, or to fail one that has not answered within PingTimeout. A caller that has
// stopped reading c (after ErrNoMessage from NextReaderIdle or PollReader, to park it) must read
// it again by then, whether or not anything has arrived. It returns the zero time without
// keepalive.
func (c *Conn) KeepAliveDue() time.Time {
	l := c.br.live.Load()
	if !l.keepingAlive() {
		return time.Time{}
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.armed
}

// armIdle starts NextReaderIdle's wait, unless a deadline for the same idle is armed already: a
// connection that is read call after call sets its deadline once, and moves it only when it
// expires (checkIdle).
func (l *liveness) armIdle(idle time.Duration) {
	l.idle = idle
	if l.idleArmed && l.idleSpan == idle {
		return
	}
	now := time.Now()
	l.idleArmed, l.idleSpan, l.idleFrom = true, idle, now.UnixNano()
	l.mu.Lock()
	l.idleAt = now.Add(idle)
	l.applyDeadline()
	l.mu.Unlock()
}

// disarmIdle takes NextReaderIdle's deadline off the transport.
func (l *liveness) disarmIdle() {
	l.idleArmed = false
	l.mu.Lock()
	l.idleAt = time.Time{}
	l.applyDeadline()
	l.mu.Unlock()
}

// checkIdle is NextReaderIdle's part of onTimeout. Outside its wait between frames (a message
// that NextReaderIdle began is being read, or NextReader reads), the deadline is taken off;
// within it, the wait ends with ErrNoMessage if the peer has been silent for idle, and is moved
// to idle after its last byte otherwise.
func (l *liveness) checkIdle(now time.Time) (retry bool, err error) {
	if !l.waitingIdle {
		l.disarmIdle()
		return true, nil
	}
	since := max(l.lastRead, l.idleFrom)
	if now.UnixNano()-since >= int64(l.idle) {
		l.disarmIdle()
		return false, ErrNoMessage
	}
	l.mu.Lock()
	l.idleAt = time.Unix(0, since+int64(l.idle))
	l.applyDeadline()
	l.mu.Unlock()
	return true, nil
}
