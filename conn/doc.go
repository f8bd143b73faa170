// Package conn is a WebSocket connection (RFC 6455) over a net.Conn: it turns the frames of
// package frame into messages and back, and runs everything the protocol asks of an endpoint
// once the opening handshake is done.
//
// Where it sits in the RFC:
//
//   - §4: the opening handshake, on the server with [Upgrade] (from a net/http handler) or
//     [UpgradeConn] (on a connection from a net.Listener, without net/http; [UpgradeRequest] when
//     the server has read the request head itself), and on the client with [Dial] (ws:// and
//     wss://, through an HTTP proxy when the environment names one). The header rules themselves
//     live in package handshake.
//   - §5.1–§5.4: reading and writing frames, masking (client to server only), fragmentation.
//     [Conn.ReadMessage] and [Conn.WriteMessage] move whole messages; [Conn.NextReader] and
//     [Conn.NextWriter] stream messages of any size; [Conn.BufferMessage] answers many messages
//     with one system call, and [Conn.WriteMessageInPlace] sends a message from a buffer with
//     room for its header, in one write without a copy.
//   - §5.5: control frames. A ping is answered with a pong carrying the same payload, also in the
//     middle of a fragmented message (the pongs to the pings between its fragments leave in one
//     write within a millisecond, with the application's WriteMessage if it makes one by then);
//     an unsolicited pong is ignored.
//   - §5.6 and §8.1: text messages are validated as UTF-8 while they arrive, and the connection
//     fails with 1007 at the first byte that can never be valid.
//   - §7: the close handshake. [Conn.Close] sends a close frame, waits a bounded time for the
//     peer's, and closes TCP; when the peer starts it, the Conn echoes the peer's code. The server
//     closes TCP first (§7.1.1).
//   - §10.4: a read limit (on by default) bounds every message, counted across all its fragments
//     and checked against the length a frame header claims before a byte of payload is read.
//     With permessage-deflate (RFC 7692) it counts inflated bytes, is 4 MiB by default, and an
//     [InflateBudget] bounds what ReadMessage holds for compressed messages across connections.
//   - RFC 8441: over HTTP/2, [Upgrade] answers an extended CONNECT request and the Conn runs over
//     that request's stream (the process needs GODEBUG=http2xconnect=1; see Conn.OverHTTP2), and
//     [Dial] with an [HTTP2Client] opens its WebSocket as a stream, many sharing a connection.
//     What differs: CONNECT with :protocol websocket, not GET with Upgrade; no
//     Sec-WebSocket-Key or Accept; 200, not 101; the stream's end (END_STREAM) in place of the
//     TCP close, and a proxy in between must speak HTTP/2 or translate to RFC 6455's upgrade.
//
// Beyond the protocol, the tools applications reach for: [Stream], a net.Conn whose bytes travel
// as messages, for protocols that want a byte stream (MQTT, SSH); keepalive (PingInterval and
// PingTimeout in the options) and [Conn.PingWait]; [PreparedMessage], one message framed and
// compressed once for many connections.
//
// # Concurrency
//
// One goroutine may read (ReadMessage, NextReader and the readers it returns) while any number
// of goroutines write. Writes are serialized: two frames never interleave on the wire, and a
// control frame (a pong, a ping, a close) may go out between the
// fragments of a message being streamed with NextWriter but never inside a frame.
// Close and CloseNow may be called from any goroutine (Close not from the handlers that run on
// the reading goroutine: see Conn.SetPingHandler).
//
// # Memory
//
// A Conn holds buffers only while bytes wait in them: its read and write buffers (32 KiB by
// default) are borrowed from pools shared by all connections and given back as soon as they are
// empty, and on TCP a Conn waits for its peer with no buffer at all (what ends the wait is read
// into a pooled buffer if the pool has one at hand, else into a 192-byte inline one). What an
// idle connection costs is then the Conn itself (under 900 bytes), the socket, and the goroutine
// that reads it: 2 KiB of stack if the goroutine has never needed more, because a goroutine keeps
// the largest stack it has grown to. Two habits keep it there, and cmd/echo follows both:
//
//   - Serve each connection from a goroutine started after the handshake, which grows the stack
//     of the goroutine that runs it. With Upgrade, returning from the net/http handler also lets
//     net/http free the request and its buffers.
//   - Wait for messages with [Conn.NextReader], which holds nothing while it waits, and borrow a
//     message buffer (from a sync.Pool) only once a message has arrived, rather than keeping one
//     per connection for [Conn.ReadMessage].
//
// A third matters as much: keep the frames of the loop small. The stack an echo needs is its
// loop's frames plus the library's and the runtime's down to a system call, about 1 KiB, and
// the runtime doubles a 2 KiB stack once a call would leave less than about 900 bytes free. So
// do each message's work in a function of its own that the loop calls, and reply with
// [Conn.WriteMessageInPlace], whose path to the write is the shortest (cmd/echo's session.run
// and echoMessage; its TestIdleStack fails when a change adds a frame too many). Keepalive does
// its work (the ping, the next deadline) on a short-lived goroutine of its own for the same
// reason. A message whose payload arrives in several reads still grows the stack to 4 KiB.
//
// A server can do without the goroutine of an idle connection too, as an event loop does: wait
// for its socket to become readable in an epoll of its own, and only then hand the connection
// to a goroutine, which returns once the connection has gone quiet. [Conn.NextReaderIdle] tells
// when: it returns [ErrNoMessage] after a given time without input between messages (cmd/echo
// parks a connection after a second so). [Conn.PollReader] reads only what has arrived, for an
// event loop that hands over a connection for each input (cmd/wsbridge does). Keepalive works
// only inside reads: a parked connection must be read again by [Conn.KeepAliveDue].
//
// Measured with bench/peers (wsload -idle 10000 against its ours server, which does all of this
// as cmd/echo does: UpgradeConn, NextReaderIdle, parking after a second), a server holding
// 10 000 idle connections costs about 3.0 KiB of RSS per connection, before and after a 1 KiB
// echo on each; 4.6 KiB when they do not park, each goroutine waiting in NextReader. A plain
// TCP echo, a goroutine per connection and a 32 KiB buffer, costs 3.8 and 7.8 KiB.
package conn
