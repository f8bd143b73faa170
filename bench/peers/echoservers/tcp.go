package echoservers

import "net"

// serveTCP is the baseline: a plain TCP echo that does no WebSocket work. It is io.Copy's own
// read/write loop with io.Copy's 32 KiB buffer, written out so that Go does not use splice(2),
// which would hold a pipe (two file descriptors) for every idle connection and run out of
// descriptors at 10 000 connections.
func serveTCP(c net.Conn) {
	defer c.Close()
	buf := make([]byte, 32<<10)
	for {
		n, err := c.Read(buf)
		if n > 0 {
			if _, werr := c.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}
