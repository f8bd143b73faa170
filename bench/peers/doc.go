// Package peers measures the ws stack against other Go WebSocket libraries, side by side in one
// run, so that every performance claim is a ratio taken on the same machine at the same time.
//
// It is a nested module (its own go.mod) so that the root module stays dependency-free: only
// these benchmarks import gorilla/websocket, gobwas/ws, lxzan/gws and coder/websocket.
//
//   - echoservers: one echo server per library, each written the way that library's
//     documentation recommends, plus a plain TCP echo that does no WebSocket work.
//   - load: the load generator behind cmd/wsload: pre-masked frames from many connections,
//     every echoed byte verified, round-trip latency histograms, server RSS.
//   - cmd/peerecho: serves one library's echo server on an address.
//   - cmd/wsload: drives any ws:// echo server (or the TCP echo, with -raw), with
//     permessage-deflate if asked (-deflate, -deflate-takeover).
//   - cmd/wstable: turns wsload's JSON results into the comparison table.
//   - micro_test.go: masking, header parsing, handshake and in-memory echo benchmarks (also with
//     permessage-deflate) whose names line up so that benchstat shows the libraries side by side.
//
// See README.md for how to run it and for the results of a real run.
package peers
