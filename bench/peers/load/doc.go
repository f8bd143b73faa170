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
//
// With Target.Compression the client offers permessage-deflate (RFC 7692) with package
// handshake's DeflateOffer, checks the answer with AcceptDeflateResponse and the mode's
// expectations (Compression.Accept), and fails every connection that did not get them. Its
// messages are compressed once per scenario (CompressMessage, within the client_max_window_bits
// in force) and sent with RSV1 on their first frame (§6); each echo may come compressed or not,
// RSV1 is allowed on the first frame of a data message only (§6.1), and a compressed echo is
// inflated (from the server's window when the server keeps its context, §7.1.1) and compared
// byte for byte, as an uncompressed one is. DeflateMatrix is the scenario set for these runs.
package load
