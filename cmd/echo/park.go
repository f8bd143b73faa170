package main

import "time"

// A connection that has gone quiet parks: after -park-after without a message (conn's
// NextReaderIdle), its goroutine hands the socket to the server's parker (package
// internal/park, an epoll of its own) and returns, and the parker starts a new goroutine for it
// once the socket has input. An idle connection then costs no goroutine and no stack, which
// are 2 KiB of the 5 a goroutine that waits in its read costs; a busy one keeps its goroutine
// and pays nothing more than a clock reading per read. Keepalive goes on: a parked connection
// is woken when its check is due (conn's KeepAliveDue) and pings, or fails a silent client,
// from within its read as before.

// park hands the connection to the parker, and reports whether it took it: then run returns.
func (e *session) park() bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	// Checked under mu, which unpark takes after closeAll has set draining: a connection
	// parks before shutdown wakes it, or not at all.
	if e.s.draining.Load() || !e.s.parker.Park(&e.spot) {
		return false
	}
	e.parked = true
	if due := e.c.KeepAliveDue(); !due.IsZero() {
		wait := time.Until(due) + keepaliveSlack
		if e.ping == nil {
			e.ping = time.AfterFunc(wait, e.unpark)
		} else {
			e.ping.Reset(wait)
		}
	}
	return true
}

// keepaliveSlack is how much later than keepalive's check a parked connection wakes, so that the
// check is due when its read begins.
const keepaliveSlack = 10 * time.Millisecond

// wake continues the parked connection on a new goroutine, unless it is running already: the
// parker calls it when the socket is readable.
func (e *session) wake() {
	e.mu.Lock()
	parked := e.parked
	e.parked = false
	e.mu.Unlock()
	if parked {
		go e.run()
	}
}

// unpark continues the parked connection, if it is, before its socket has input: for keepalive's
// check, or for shutdown.
func (e *session) unpark() {
	e.mu.Lock()
	parked := e.parked
	if parked {
		e.parked = false
		e.s.parker.Forget(&e.spot)
	}
	e.mu.Unlock()
	if parked {
		go e.run()
	}
}
