package conn

import (
	"context"
	"encoding/binary"
	"errors"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rfc6455/ws/frame"
)

// ErrPingTimeout is the error behind the *CloseError (code 1006) of a connection that keepalive
// closed: after PingInterval of silence a ping went out, and nothing at all came back within
// PingTimeout. The Conn sent a close frame with 1011 before closing, if it could (§7.1.7: an
// endpoint that fails a connection SHOULD send one; the peer may never read it).
var ErrPingTimeout = errors.New("conn: keepalive: no answer from the peer within the ping timeout")

// liveness is what a Conn knows of its peer's pings and pongs beyond answering them: the
// handlers of SetPingHandler and SetPongHandler, keepalive, and the pings of PingWait waiting
// for their pong. Few connections use any of it, so it is allocated on first use, which keeps
// the Conn itself in its allocation size class (TestConnSize).
type liveness struct {
	c *Conn

	pingHandler, pongHandler func([]byte) // set before reading, read by the reading goroutine

	// Keepalive (PingInterval, PingTimeout), 0 when off. The fields below are the reading
	// goroutine's, but for those under mu.
	interval, timeout time.Duration
	lastRead          int64 // when bytes last arrived, in Unix nanoseconds
	pingSent          int64 // when the keepalive ping went out, 0 if none is outstanding

	// NextReaderIdle's wait (idle.go): the reading goroutine's, but for idleAt and idleUsed.
	idle        time.Duration // of the NextReaderIdle in progress, 0 outside one
	idleSpan    time.Duration // the idle that idleAt was armed for
	idleFrom    int64         // when the idle wait was armed, in Unix nanoseconds
	idleArmed   bool          // idleAt is set
	waitingIdle bool          // the read in progress waits between frames, inside NextReaderIdle

	mu       sync.Mutex
	deadline time.Time // the read deadline the application (or the closing handshake) set
	armed    time.Time // the read deadline keepalive set: its next check
	idleAt   time.Time // the read deadline NextReaderIdle set, zero when none
	waiters  map[uint64]chan struct{}
	lastID   uint64 // the payload of the last ping PingWait sent

	// pongTimer sends the pongs that wait after a message was handed over (pong.go). It is
	// made on first use, and guarded by the Conn's writeMu.
	pongTimer *time.Timer
}

// liveness returns c's liveness, making it on first use. Several goroutines may race to make it:
// one wins, and all use that one.
func (c *Conn) liveness() *liveness {
	if l := c.br.live.Load(); l != nil {
		return l
	}
	c.br.live.CompareAndSwap(nil, &liveness{c: c})
	return c.br.live.Load()
}

// startKeepAlive turns keepalive on for a new Conn, before anyone reads from it: a ping after
// interval without input, and failure when nothing answers within timeout (interval when 0).
func (c *Conn) startKeepAlive(interval, timeout time.Duration) {
	if interval <= 0 {
		return
	}
	if timeout <= 0 {
		timeout = interval
	}
	l := c.liveness()
	l.interval, l.timeout = interval, timeout
	now := time.Now()
	l.lastRead = now.UnixNano()
	l.arm(now.Add(interval))
}

// keepingAlive reports whether l is there and runs keepalive.
func (l *liveness) keepingAlive() bool { return l != nil && l.interval > 0 }

// watchesDeadline reports whether l is there and keeps a read deadline of its own on the
// transport: keepalive's, or NextReaderIdle's.
func (l *liveness) watchesDeadline() bool { return l != nil && (l.interval > 0 || l.idleArmed) }

// noteRead records that bytes arrived. It costs a clock reading per read from the network, and
// only on a Conn with keepalive or an idle wait: the deadline itself is moved only when it
// expires (onTimeout).
func (l *liveness) noteRead() {
	if l.watchesDeadline() {
		l.lastRead = time.Now().UnixNano()
	}
}

// onTimeout runs for the reading goroutine when a read from the network timed out (see
// onTimeoutAside), which waits for it. It reports whether keepalive or NextReaderIdle set that
// deadline and the read should go on waiting; with retry false, err is the error the read
// returns instead of the timeout, if any (ErrPingTimeout, ErrNoMessage). So keepalive needs no
// timer or goroutine of its own: it rides on the read deadline, which a waiting read has anyway.
func (l *liveness) onTimeout() (retry bool, err error) {
	now := time.Now()
	l.mu.Lock()
	deadline := l.deadline
	l.mu.Unlock()
	if !deadline.IsZero() && !now.Before(deadline) {
		return false, nil // the application's deadline, or the closing handshake's: a real timeout
	}
	if l.keepingAlive() {
		if err := l.checkKeepAlive(now); err != nil {
			return false, err
		}
	}
	if l.idleArmed {
		return l.checkIdle(now)
	}
	return l.keepingAlive(), nil
}

// checkKeepAlive is keepalive's part of onTimeout: it pings when the peer has been silent for
// the interval, fails with ErrPingTimeout when a ping went unanswered for the timeout, and arms
// the next check.
func (l *liveness) checkKeepAlive(now time.Time) error {
	if l.pingSent != 0 {
		if l.lastRead <= l.pingSent {
			if now.UnixNano()-l.pingSent >= int64(l.timeout) {
				l.c.tryClose(frame.CloseInternalError, "keepalive timeout")
				return ErrPingTimeout
			}
			l.arm(time.Unix(0, l.pingSent+int64(l.timeout)))
			return nil
		}
		l.pingSent = 0 // the peer spoke after the ping: it is alive
	}
	if idle := now.UnixNano() - l.lastRead; idle < int64(l.interval) {
		l.arm(time.Unix(0, l.lastRead+int64(l.interval)))
		return nil
	}
	// RFC 6455 §5.5.2: the peer must answer with a pong; §5.5: a ping "may serve either as a
	// keepalive or as a means to verify that the remote endpoint is still responsive".
	l.c.tryPing(nil, l.timeout)
	l.pingSent = now.UnixNano()
	// The next check comes at the timeout or, if sooner, one interval on: a pong that arrives
	// by then lets the next ping go out an interval after it, not a timeout after this one.
	l.arm(now.Add(min(l.interval, l.timeout)))
	return nil
}

// onTimeoutAside is onTimeout run on a goroutine of its own, while the reading goroutine waits
// for it. The reading goroutine of an idle connection is at the bottom of its stack here, under
// the application's loop and the read; the ping's write and the new deadline, had they been
// made there, would take that stack past 2 KiB, which the runtime doubles and the goroutine then
// keeps for good, so that every idle connection would cost 2 KiB more after its first ping. A
// goroutine that starts afresh, once an interval, costs a microsecond and goes.
func (l *liveness) onTimeoutAside() (retry bool, err error) {
	type outcome struct {
		retry bool
		err   error
	}
	done := make(chan outcome, 1)
	go func() {
		retry, err := l.onTimeout()
		done <- outcome{retry, err}
	}()
	o := <-done
	return o.retry, o.err
}

// arm sets keepalive's next check as the transport's read deadline, unless the application's
// deadline comes first.
func (l *liveness) arm(t time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.armed = t
	l.applyDeadline()
}

// applyDeadline puts the earliest of the read deadlines on the transport: the application's,
// keepalive's and NextReaderIdle's. The caller holds mu.
func (l *liveness) applyDeadline() {
	d := l.deadline
	if l.keepingAlive() && (d.IsZero() || l.armed.Before(d)) {
		d = l.armed
	}
	if !l.idleAt.IsZero() && (d.IsZero() || l.idleAt.Before(d)) {
		d = l.idleAt
	}
	l.c.nc.SetReadDeadline(d)
}

// setReadDeadline sets the read deadline of the application, or of the Conn's own closing
// handshake, on a Conn that has a liveness.
func (l *liveness) setReadDeadline(t time.Time) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.deadline = t
	l.applyDeadline()
	return nil
}

// setReadDeadline sets the transport's read deadline for the application or for the Conn
// itself, keeping keepalive's, which may come first.
func (c *Conn) setReadDeadline(t time.Time) error {
	l := c.br.live.Load()
	if l == nil && t.IsZero() {
		return c.nc.SetReadDeadline(t)
	}
	// The liveness keeps the deadline, which a NextReaderIdle to come must respect.
	if l == nil {
		l = c.liveness()
	}
	return l.setReadDeadline(t)
}

// tryPing sends a ping from the reading goroutine, bounded by timeout, unless another goroutine
// is writing: then the ping is skipped, for the reading goroutine must not wait for a writer
// that a peer which does not read may hold for ever. Either way keepalive then waits for the
// peer, and a peer that neither reads nor sends is found out.
func (c *Conn) tryPing(p []byte, timeout time.Duration) {
	if !c.writeMu.TryLock() {
		return
	}
	defer c.unlockWrite()
	if c.writable() != nil {
		return
	}
	c.nc.SetWriteDeadline(time.Now().Add(timeout))
	defer c.restoreWriteDeadline()
	c.writeControlLocked(frame.OpPing, p, true)
}

// tryClose sends a close frame from the reading goroutine when the wire is free, before the
// connection is failed; see tryPing.
func (c *Conn) tryClose(code frame.CloseCode, reason string) {
	if !c.writeMu.TryLock() {
		return
	}
	defer c.unlockWrite()
	if c.closeSent || c.writeErr != nil {
		return
	}
	c.closeSent = true
	c.nc.SetWriteDeadline(time.Now().Add(c.closeTimeout))
	var payload [frame.MaxControlPayload]byte
	c.writeControlLocked(frame.OpClose, frame.AppendClose(payload[:0], code, reason), true)
}

// isTimeout reports whether err is a read deadline's expiry.
func isTimeout(err error) bool { return errors.Is(err, os.ErrDeadlineExceeded) }

// PingWait sends a ping and waits for the pong that answers it (RFC 6455 §5.5.2, §5.5.3), and
// returns the round-trip time. The pong is read by the goroutine that reads the connection, so
// PingWait must run while another goroutine reads (ReadMessage, NextReader, a Stream): the
// Conn has no reader of its own. ctx bounds the wait. A pong for a later ping also answers this
// one: §5.5.3 lets a peer answer only the most recent of several pings.
func (c *Conn) PingWait(ctx context.Context) (time.Duration, error) {
	l := c.liveness()
	l.mu.Lock()
	if l.waiters == nil {
		l.waiters = make(map[uint64]chan struct{})
	}
	l.lastID++
	id := l.lastID
	answered := make(chan struct{})
	l.waiters[id] = answered
	l.mu.Unlock()
	defer func() {
		l.mu.Lock()
		delete(l.waiters, id)
		l.mu.Unlock()
	}()

	var payload [8]byte
	binary.BigEndian.PutUint64(payload[:], id)
	start := time.Now()
	if err := c.Ping(payload[:]); err != nil {
		return 0, err
	}
	select {
	case <-answered:
		return time.Since(start), nil
	case <-ctx.Done():
		return 0, ctx.Err()
	case <-c.closedSignal():
		return 0, net.ErrClosed
	}
}

// pong shows a pong to the pong handler and to the pings of PingWait it answers.
func (l *liveness) pong(p []byte) {
	if l.pongHandler != nil {
		l.pongHandler(p)
	}
	if len(p) != 8 {
		return
	}
	id := binary.BigEndian.Uint64(p)
	l.mu.Lock()
	defer l.mu.Unlock()
	for waiting, answered := range l.waiters {
		if waiting <= id {
			close(answered)
			delete(l.waiters, waiting)
		}
	}
}

// livenessPointer is the field a readBuffer keeps its Conn's liveness in: atomic, because
// PingWait may make it on any goroutine while the reading goroutine looks at it.
type livenessPointer = atomic.Pointer[liveness]
