//go:build !unix

package conn

import "net"

// setRaw does nothing where read(2) on a socket descriptor is not available: the readBuffer
// reads through nc and holds its buffer while it waits.
func (b *readBuffer) setRaw(net.Conn) {}

// waitRead is never called when setRaw leaves b.raw nil.
func (b *readBuffer) waitRead() error { panic("conn: waitRead without a raw connection") }

// readNow is never called when setRaw leaves b.raw nil.
func (b *readBuffer) readNow() error { panic("conn: readNow without a raw connection") }
