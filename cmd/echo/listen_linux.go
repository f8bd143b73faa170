//go:build linux && !mips && !mipsle && !mips64 && !mips64le

package main

import "syscall"

// soReusePort is SO_REUSEPORT of Linux's asm-generic/socket.h, which package syscall, frozen
// before Linux 3.9 added it, does not define. (MIPS numbers it 0x200 and is left out.)
const soReusePort = 15

// reusePortControl sets SO_REUSEPORT on a listening socket before it is bound. Every socket that
// shares the address must set it, and all must belong to the same user (socket(7)).
var reusePortControl = func(network, address string, c syscall.RawConn) error {
	var sockErr error
	err := c.Control(func(fd uintptr) {
		sockErr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, soReusePort, 1)
	})
	if err != nil {
		return err
	}
	return sockErr
}
