// Package xconnect turns on extended CONNECT (RFC 8441), the way a WebSocket opens over HTTP/2,
// in net/http's bundled HTTP/2 server and client, which read GODEBUG=http2xconnect=1 from the
// environment once, as they start. A program imports it for its side effect:
//
//	import _ "github.com/rfc6455/ws/internal/xconnect"
//
// and its init adds http2xconnect=1 to GODEBUG before net/http's init reads it. That order is the
// language's: packages are initialized in the order of their import paths among those whose
// own imports are done (The Go Programming Language Specification, "Package initialization"),
// and this one imports only os and strings, so it is ready long before net/http and its path,
// github.com/…, sorts before net/http. A //go:debug line cannot do the same: net/http reads the
// environment, not the runtime's GODEBUG settings.
//
// Setting GODEBUG this way also passes it to the processes the program starts.
package xconnect

import (
	"os"
	"strings"
)

// Setting is the GODEBUG setting that turns extended CONNECT on.
const Setting = "http2xconnect=1"

func init() {
	godebug := os.Getenv("GODEBUG")
	if strings.Contains(godebug, Setting) {
		return
	}
	if godebug != "" {
		godebug += ","
	}
	os.Setenv("GODEBUG", godebug+Setting)
}
