// Package park holds idle connections without a goroutine. A goroutine that waits in a read
// keeps its stack, at least 2 KiB, for as long as it waits; a server with many connections that
// are mostly quiet (a chat, MQTT over WebSocket, a bridge) spends most of its memory on those
// stacks. A Parker watches the sockets of such connections on one goroutine of its own, and
// calls a connection's wake function once its socket has input, which then starts a goroutine
// to read it: the goroutine-per-connection style of Go's net package for the connections that
// are busy, an event loop (as mosquitto's or nginx's) for the ones that are idle.
//
// It is internal: cmd/echo, cmd/wsbridge and the benchmarks' echo server use it, with package
// conn's NextReaderIdle and PollReader, which tell when a connection has gone quiet between
// messages (RFC 6455 §5.4: a message, once begun, is read whole before its connection parks).
// Parking is for Linux, with epoll(7); elsewhere New returns nil, a Parker that parks nothing.
package park

import "syscall"

// A Spot is one socket's place in a Parker: its descriptor, whether the Parker's epoll knows it,
// and the function that continues its connection. Its owner calls Park and Forget with a Spot
// from one goroutine at a time (under a lock of its own), and must Forget it, or have been woken
// from it, before the socket closes: a closed socket is never reported.
type Spot struct {
	fd         int32 // -1 when the socket has none to watch
	seq        uint32
	registered bool
	wake       func()
}

// Init readies s to park the socket of c, whose input wake is to continue: the Parker calls wake
// on its own goroutine, so wake must not block (it starts a goroutine). Init reports whether c
// has a descriptor to watch; without one, Park refuses s.
func (s *Spot) Init(c syscall.Conn, wake func()) bool {
	s.fd, s.wake = -1, wake
	raw, err := c.SyscallConn()
	if err != nil {
		return false
	}
	raw.Control(func(fd uintptr) { s.fd = int32(fd) })
	return s.fd >= 0
}
