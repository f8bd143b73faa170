package main

import (
	"context"
	"errors"
	"net"
)

// errReusePortUnsupported is what -reuse-port gets on a system without SO_REUSEPORT's
// load-spreading semantics.
var errReusePortUnsupported = errors.New("-reuse-port is supported on Linux only")

// listen opens the server's TCP listener on addr. With reusePort it sets SO_REUSEPORT on the
// socket before binding it, so that several echo processes can listen on one address: Linux
// (3.9 and later) hands each new connection to one of them, by a hash of its addresses. That is
// how one machine serves more connections than one process may hold file descriptors for, and
// how it spreads them over cores, process by process.
func listen(ctx context.Context, addr string, reusePort bool) (net.Listener, error) {
	var lc net.ListenConfig
	if reusePort {
		if reusePortControl == nil {
			return nil, errReusePortUnsupported
		}
		lc.Control = reusePortControl
	}
	return lc.Listen(ctx, "tcp", addr)
}
