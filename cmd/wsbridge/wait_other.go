//go:build !unix

package main

import "net"

// readWaiter is the unix one's stand-in: the read itself waits, holding its buffer.
type readWaiter struct{}

func newReadWaiter(*net.TCPConn) *readWaiter { return nil }

func (w *readWaiter) Wait() error { return nil }

func (w *readWaiter) Readable() bool { return false }

func (w *readWaiter) Ready() bool { return true }
