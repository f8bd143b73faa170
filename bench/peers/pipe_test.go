package peers_test

import (
	"testing"

	"github.com/rfc6455/ws/bench/peers/echoservers"
	"github.com/rfc6455/ws/internal/pipenet"
)

// servePipe runs a library's echo server on a new pipe listener until the test ends.
func servePipe(tb testing.TB, lib string) *pipenet.Listener {
	l := pipenet.Listen()
	go echoservers.Serve(lib, l)
	tb.Cleanup(func() { l.Close() })
	return l
}
