//go:build !linux || mips || mipsle || mips64 || mips64le

package main

import "syscall"

// reusePortControl is nil where SO_REUSEPORT does not spread connections among the processes
// that share an address (BSD's and macOS's give them all to the last one bound), and on MIPS,
// whose Linux numbers the option differently.
var reusePortControl func(network, address string, c syscall.RawConn) error
