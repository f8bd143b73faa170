package park

import (
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// A Conn is what a connection served by a goroutine needs to park between messages: its Spot, and
// the guard that continues it exactly once, whether its socket becomes readable, its keepalive
// check comes due, or its owner wakes it (to shut down). Its goroutine calls Park and returns if
// Park reports true; resume then runs on a new goroutine. cmd/echo and bench/peers' echo server
// park their connections with it; cmd/wsbridge, whose bridges have two sides under one lock,
// uses Spot itself.
type Conn struct {
	parker *Parker
	resume func()
	stop   *atomic.Bool // when set, Park refuses; nil: never

	mu     sync.Mutex
	spot   Spot
	parked bool
	due    *time.Timer // wakes the connection for keepalive
}

// Init readies c to park sc's socket on p, and reports whether it can: p is not nil and sc has a
// descriptor. resume continues the connection; stop, if not nil, makes Park refuse once it is
// set (checked under the same lock as Unpark, so that an owner that sets it and then calls
// Unpark leaves no connection parked).
func (c *Conn) Init(p *Parker, sc syscall.Conn, resume func(), stop *atomic.Bool) bool {
	if p == nil || !c.spot.Init(sc, c.wake) {
		return false
	}
	c.parker, c.resume, c.stop = p, resume, stop
	return true
}

// Park hands the connection to the parker, and reports whether it took it: then the caller's
// goroutine must return. A non-zero due is when keepalive next needs a read (conn's
// KeepAliveDue): the connection is woken a little after it, input or not.
func (c *Conn) Park(due time.Time) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.parker == nil || (c.stop != nil && c.stop.Load()) || !c.parker.Park(&c.spot) {
		return false
	}
	c.parked = true
	if !due.IsZero() {
		wait := time.Until(due) + dueSlack
		if c.due == nil {
			c.due = time.AfterFunc(wait, c.Unpark)
		} else {
			c.due.Reset(wait)
		}
	}
	return true
}

// dueSlack is how much later than keepalive's check a parked connection wakes, so that the check
// is due when its read begins.
const dueSlack = 10 * time.Millisecond

// wake is the Parker's report that the socket is readable.
func (c *Conn) wake() {
	c.mu.Lock()
	parked := c.parked
	c.parked = false
	c.mu.Unlock()
	if parked {
		go c.resume()
	}
}

// Unpark continues the connection now if it is parked, before its socket has input: for
// keepalive's check, or for its owner.
func (c *Conn) Unpark() {
	c.mu.Lock()
	parked := c.parked
	if parked {
		c.parked = false
		c.parker.Forget(&c.spot)
	}
	c.mu.Unlock()
	if parked {
		go c.resume()
	}
}
