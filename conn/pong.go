package conn

import "time"

// pongDelay is the longest a pong waits in the write buffer once the read call that found its
// ping has handed the application a message (see handleControl). RFC 6455 §5.5.2 asks for the
// pong "as soon as is practical": an application that answers the message, as an echo or a
// request-response protocol does, sends it within microseconds, and the pongs then leave in the
// same write as its answer; one that does not answer, or takes longer, has them sent by a timer
// after pongDelay. A millisecond is small against a keepalive's interval and timeout (seconds,
// cmd/echo's 45 s and 30 s), and long against the microseconds an echo takes to answer.
const pongDelay = time.Millisecond

// sendPongsSoon is called by the reading goroutine when it hands the application a message while
// pongs wait in the write buffer: rather than write them at once, in a write of their own, it
// leaves them to the application's next write, to the reading goroutine's next wait for input
// (flushBeforeWaiting), or to a timer that sends them after pongDelay, whichever comes first.
// The caller holds readMu.
//
// The timer is armed only if it is not running already, and never stopped: when it fires it
// sends whatever waits in the write buffer then, and a write that took the pongs first leaves it
// nothing to do. Arming it wakes an idle processor for the new, earliest timer, which at one
// message in flight costs about what the write it saves does (bench/peers, c1/k1/.../frag4);
// left running, it serves every message of its millisecond.
func (c *Conn) sendPongsSoon() {
	l := c.liveness()
	c.lockWrite()
	defer c.unlockWrite()
	if c.pongTimerArmed || c.pending == 0 || c.writeErr != nil {
		return // the timer runs already, or a write of the application's took the pongs
	}
	c.pongTimerArmed = true
	if l.pongTimer == nil {
		l.pongTimer = time.AfterFunc(pongDelay, c.pongTimerFired)
	} else {
		l.pongTimer.Reset(pongDelay)
	}
}

// pongTimerFired sends what waits in the write buffer, pongs that sendPongsSoon left there and
// whatever joined them, unless a write took them first.
func (c *Conn) pongTimerFired() {
	c.lockWrite()
	c.pongTimerArmed = false
	c.unlockWrite()
	c.flushOwn()
}
