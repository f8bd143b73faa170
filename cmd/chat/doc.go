/*
Chat is a chat room over WebSocket: a page at / that a person uses from a browser (open it in
two tabs and talk to yourself), and a WebSocket endpoint at /ws that any client can join.

	go run ./cmd/chat                 # then open http://localhost:8080/ in two tabs
	go run ./cmd/wscat 'ws://localhost:8080/ws?name=terminal'

It puts package conn's application toolkit where each piece fits:

  - conn.Stream: a member's input is read as a stream of lines with bufio.Scanner, whatever
    messages they arrive in: the page sends a line per message, wscat too, and a program may
    send several lines in one message or one line in several.
  - conn.PreparedMessage: every line said in the room is framed once, and compressed once for
    the members that negotiated permessage-deflate (RFC 7692), however many they are; each
    member has a queue of its own, written from a goroutine of its own, so that one that reads
    slowly holds up no one, and one that falls 256 messages behind is cut off.
  - Keepalive (PingInterval, PingTimeout): a member that vanished without closing (a laptop
    lid, a dropped network) is found within a minute and a quarter, and "/rtt" measures the
    round trip to you with PingWait.

Lines starting with a slash are commands: "/nick NAME" renames you, "/who" lists the room,
"/rtt" shows your round-trip time. A line is at most 4 KiB. Your name comes from ?name= in the
WebSocket URL; the page takes it from its own URL (http://localhost:8080/?name=ann) or asks.

Usage:

	chat [-addr :8080] [-origins list] [-compress=false]

Only same-origin browsers may join unless -origins lists others ("*" for all), as RFC 6455
§10.2 advises. On SIGINT or SIGTERM every member is closed with 1001 (going away).
*/
package main
