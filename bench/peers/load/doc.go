// Package load is a WebSocket load generator for echo servers: it drives any ws:// echo server
// from many connections with pre-built, pre-masked frames, keeps a fixed number of messages in
// flight on each connection, checks every echoed byte and opcode, and measures messages per
// second, round-trip latency and the server's resident memory. cmd/wsload is its command line.
//
// It speaks the protocol itself rather than through a WebSocket library, so that the client costs
// the same against every server and as little as possible: the opening handshake is written with
// package handshake (RFC 6455 §4.1) and checked with handshake.CheckResponse; frames are built once
// per scenario, masked with fixed non-zero keys (§5.3), and sent as bytes; echoed frames are
// parsed with package frame and checked against the client-side rules (§5.1: a server never
// masks) and the fragmentation rules (§5.4). A fragmented message carries a ping between each two
// fragments, and every ping must come back as a pong with the same payload (§5.5.2, §5.5.3), in
// order. Each connection ends with the close handshake (§7.1.2): the client sends 1000 and expects
// 1000 back.
//
// In raw mode, for the plain TCP echo baseline, the client sends exactly the same bytes, without a
// handshake, and expects exactly the same bytes back.
package load
