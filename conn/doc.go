// Package conn is a WebSocket connection (RFC 6455) over a net.Conn: it turns the frames of
// package frame into messages and back, and runs everything the protocol asks of an endpoint
// once the opening handshake is done.
//
// Where it sits in the RFC:
//
//   - §4: the opening handshake, on the server with [Upgrade] (from a net/http handler) and on
//     the client with [Dial] (ws:// and wss://, through an HTTP proxy when the environment names
//     one). The header rules themselves live in package handshake.
//   - §5.1–§5.4: reading and writing frames, masking (client to server only), fragmentation.
//     [Conn.ReadMessage] and [Conn.WriteMessage] move whole messages; [Conn.NextReader] and
//     [Conn.NextWriter] stream messages of any size.
//   - §5.5: control frames. A ping is answered with a pong carrying the same payload, also in the
//     middle of a fragmented message; an unsolicited pong is ignored.
//   - §5.6 and §8.1: text messages are validated as UTF-8 while they arrive, and the connection
//     fails with 1007 at the first byte that can never be valid.
//   - §7: the close handshake. [Conn.Close] sends a close frame, waits a bounded time for the
//     peer's, and closes TCP; when the peer starts it, the Conn echoes the peer's code. The server
//     closes TCP first (§7.1.1).
//   - §10.4: a read limit (on by default) bounds every message, counted across all its fragments
//     and checked against the length a frame header claims before a byte of payload is read.
//
// # Concurrency
//
// One goroutine may read (ReadMessage, NextReader and the readers it returns) while any number
// of goroutines write. Writes are serialized: two frames never interleave on the wire, and a
// control frame (a pong sent by the reading goroutine, a ping, a close) may go out between the
// fragments of a message being streamed with NextWriter but never inside a frame.
// Close and CloseNow may be called from any goroutine.
package conn
