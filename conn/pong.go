package conn

import "time"

// pongDelay is the longest a pong waits in the write buffer when its ping arrived with more
// input behind it (see handleControl). RFC 6455 §5.5.2 asks for the pong "as soon as is
// practical": meanwhile the rest of the input is read, the pongs to the other pings of a
// fragmented message join it, and an application that answers the message, as an echo or a
// request-response protocol does, sends its answer within microseconds, in the same write; one
// that does not, or a message that takes longer to arrive, has them sent by a timer. A
// millisecond is small against a keepalive's interval and timeout (seconds, cmd/echo's 45 s and
// 30 s), and long against the microseconds an echo takes to answer.
const pongDelay = time.Millisecond

// armPongTimer is called by answerPing when it leaves a pong in the write buffer: it arms the
// timer that sends what waits there after pongDelay, unless the timer runs already. The timer is
// never stopped: a write that took the pongs first leaves it nothing to do. Arming it wakes an
// idle processor for the new, earliest timer, which at one message in flight costs about what
// the write it saves does (bench/peers, c1/k1/.../frag4); left running, it serves every pong of
// its millisecond. The caller holds writeMu.
func (c *Conn) armPongTimer() {
	if c.pongTimerArmed {
		return
	}
	c.pongTimerArmed = true
	l := c.liveness()
	if l.pongTimer == nil {
		l.pongTimer = time.AfterFunc(pongDelay, c.pongTimerFired)
	} else {
		l.pongTimer.Reset(pongDelay)
	}
}

// pongTimerFired sends what waits in the write buffer, the pongs armPongTimer was armed for and
// whatever joined them, unless a write took them first.
func (c *Conn) pongTimerFired() {
	c.lockWrite()
	defer c.unlockWrite()
	c.pongTimerArmed = false
	c.flushOwnLocked()
}

// onServerStream reports whether c runs over an HTTP/2 stream of a server (h2.go), whose
// response must not be written once the handler has returned: there no timer writes the pongs.
func (c *Conn) onServerStream() bool {
	_, ok := c.nc.(*streamConn)
	return ok
}
