// Package peertest is the shared support of the interop tests: package interop, whose peers are
// external programs (Python websockets, Node ws, Chromium, ...), and the nested module
// interop/golibs, whose peers are the Go libraries gorilla/websocket and coder/websocket. Both
// put their peers through the same scenarios, and this package holds what the scenarios are made
// of, so that every peer meets the same messages and the same checks:
//
//   - the messages: Payload makes deterministic text and binary content of any size, EdgeSizes
//     lists the sizes at the edges of the payload length encodings of RFC 6455 §5.2, and
//     ExpectMessage, WriteFragmented and WriteInPieces send and check them;
//   - our server, in process, for the peers' clients: EchoServer echoes every message, obeys
//     the commands "close <code> <reason>" and "ping <payload>" (ParseCommand), and records
//     what it saw of each connection as an EchoRecord;
//   - our client's side of the server scenario: ExchangeMessages and RequestClose, against a
//     peer's server that echoes and obeys the same commands;
//   - the compression scenario (RFC 7692, permessage-deflate): DeflateMessages, whose probes
//     make the sizes of the compressed frames tell what each compressor did; WireLog, which
//     collects the frame headers from a Conn's trace hook; Compressor and CheckWire, which hold
//     those frames against what a compressor must do under the parameters in force; and
//     DeflateServer, our compressing echo server.
//
// It is a package of its own, not a _test.go file, because test files cannot be imported across
// packages, let alone modules; it is internal to interop/, whose import path covers the nested
// module too. Like the root module it imports only the standard library and this module, so
// that the root go.mod keeps its empty require list. Nothing but tests uses it: its functions
// take a testing.TB and fail the test on any error.
package peertest
