// Package interop holds the interoperability tests of the module: conn, cmd/echo and cmd/wscat
// talking to WebSocket implementations that nobody here wrote. It is the fourth testing layer of
// the design, after the unit tables, the fuzz targets and the conformance suite: those check our
// reading of RFC 6455, these check that the reading agrees with everyone else's.
//
// The package has no code of its own, only tests. Each peer has its file:
//
//   - browser_test.go: Debian's chromium, headless, runs a page that opens
//     new WebSocket(url, ["soap", "wamp"]) to the real cmd/echo binary over ws:// and wss://,
//     echoes text and ArrayBuffer messages up to 1 MiB and closes with a code; the page POSTs
//     what it saw to the test's own HTTP endpoint.
//   - python_test.go: the Python websockets library (Debian's python3-websockets, run with
//     /usr/bin/python3) as a client of our server, up to 16 MiB, with fragments, pings, close
//     codes, subprotocols and its permessage-deflate offer, and as a server for our Dial.
//   - node_test.go: the Node ws library both ways, and the seed's Node client, unchanged, against
//     the real cmd/echo binary.
//   - mqtt_test.go: MQTT 3.1.1 over WebSocket (the seed's second half) through Debian's mosquitto
//     broker, whose WebSocket listener is libwebsockets: our Dial with subprotocol mqtt, and the
//     seed's mqtt.js client publishing to our subscriber.
//   - nginx_test.go: Debian's nginx terminating TLS in front of cmd/echo, as the seed's load
//     balancer does, with cmd/wscat and a Python client going through it.
//   - compression_test.go, compression_peers_test.go, compression_browser_test.go:
//     permessage-deflate (RFC 7692) on, with Chromium, cmd/wscat, Python websockets and Node ws,
//     both ways and under several negotiated parameters; the frame headers on our side (the
//     Conn's trace hook, or a tap in front of cmd/echo for the browser) show RSV1, thresholds,
//     ratios, window sizes and context takeover as each compressor applied them.
//
// The Go libraries gorilla/websocket and coder/websocket are tested in the nested module
// interop/golibs, so that the root module keeps its empty require list. What both put their peers
// through (the messages, our in-process echo servers, our client's side of the scenarios and the
// checks of the compressed frames) is in package interop/internal/peertest.
//
// The peers are real programs run with os/exec. Their scripts live in testdata (one file per
// peer and role, so they can be read and run by hand), and the test reads back what they saw as
// JSON lines on their standard output. Every program a test starts listens on 127.0.0.1 on a
// free port, runs in its own process group, and is killed with its children when the test ends,
// however it ends. Every wait has a timeout.
//
// A test whose peer is not installed skips, naming the Debian or npm package to install, so that
// go test ./... passes on a bare machine. With WS_REQUIRE_PEERS=1 in the environment, as in CI,
// a missing peer fails the test instead. interop/setup.sh installs every peer:
//
//	bash interop/setup.sh
//	WS_REQUIRE_PEERS=1 go test -race ./interop/...
//	(cd interop/golibs && go test -race ./...)
package interop
