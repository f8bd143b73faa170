package main

// A connection that has gone quiet parks: after -park-after without a message (conn's
// NextReaderIdle), its goroutine hands the socket to the server's parker (package
// internal/park, an epoll of its own) and returns, and the parker starts a new goroutine for it
// once the socket has input. An idle connection then costs no goroutine and no stack, which
// are 2 KiB of the 5 a goroutine that waits in its read costs; a busy one keeps its goroutine
// and pays nothing more than a clock reading per read. Keepalive goes on: a parked connection
// is woken when its check is due (conn's KeepAliveDue) and pings, or fails a silent client,
// from within its read as before.

// park hands the connection to the parker, and reports whether it took it: then run returns.
// Once closeAll has set draining it refuses, checked under the lock that unpark takes after it:
// a connection parks before shutdown wakes it, or not at all.
func (e *session) park() bool { return e.parking.Park(e.c.KeepAliveDue()) }

// unpark continues the parked connection, if it is, before its socket has input: for shutdown.
func (e *session) unpark() { e.parking.Unpark() }
