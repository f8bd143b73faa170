// Package golibs holds the interop tests of our WebSocket stack with two other Go
// implementations, gorilla/websocket and coder/websocket: their clients against our server
// (conn.Upgrade) and our client (conn.Dial) against their servers, in process, with
// permessage-deflate (RFC 7692) declined and, in compression_test.go, on. netconn_test.go runs
// golang.org/x/net/nettest.TestConn, the conformance test of net.Conn implementations, on
// conn.Stream, and mqtt_test.go runs Eclipse Paho's MQTT client over conn.Stream to Debian's
// mosquitto (which must be installed: bash interop/setup.sh).
//
// It is a module of its own (github.com/rfc6455/ws/interop/golibs) so that the root module
// keeps its promise of no dependencies: only this module's go.mod requires these libraries,
// and it reaches our code through a replace directive pointing at the checkout. The tests run
// from this directory:
//
//	cd interop/golibs && go test -race ./...
//
// The other peers (a browser, Python, Node, mosquitto, nginx) are in package interop, one
// directory up, which runs them as external programs. The scenarios, our servers and the checks
// that both share are in package interop/internal/peertest, which this module may import because
// its import path lies under interop/.
package golibs
