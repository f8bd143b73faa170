// Package handshake implements the opening handshake of the WebSocket
// protocol, RFC 6455 §4 (with the header fields of §11.3 and the extension
// grammar of §9.1), as pure functions over net/http types.
//
// The opening handshake is one HTTP/1.1 request and one response. The
// client asks to switch protocols (RFC 6455 §1.2, §4.1):
//
//	GET /chat HTTP/1.1
//	Host: server.example.com
//	Upgrade: websocket
//	Connection: Upgrade
//	Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==
//	Origin: http://example.com
//	Sec-WebSocket-Protocol: chat, superchat
//	Sec-WebSocket-Version: 13
//
// The server checks the request (§4.2.1: [CheckRequest], and its origin
// policy, §10.2: [CheckOrigin]), picks at most one of the offered
// subprotocols ([SelectSubprotocol]) and extensions ([ParseExtensions]), and
// proves it understood the request by hashing the key with a fixed GUID
// (§1.3, §4.2.2: [AcceptKey]):
//
//	HTTP/1.1 101 Switching Protocols
//	Upgrade: websocket
//	Connection: Upgrade
//	Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=
//	Sec-WebSocket-Protocol: chat
//
// The client then checks the response (§4.1, after the request:
// [CheckResponse]). After the blank line that ends the response, both sides
// speak WebSocket frames on the same connection.
//
// This package does no I/O. A server uses [CheckRequest], [CheckOrigin] and
// [AppendResponse]; a client uses [NewKey], [AppendRequest] and
// [CheckResponse]. Package conn glues these to a net.Conn.
//
// A server that takes connections from a net.Listener itself, without
// net/http, reads the request head with [HeadLength] and [ParseRequest]
// (HTTP/1.1 message syntax, RFC 9112) and checks the resulting [Request]
// with its methods, which apply the very same rules; a refused request is
// answered with [Error.AppendResponse].
package handshake
