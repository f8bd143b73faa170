// Package echoservers has one WebSocket echo server per library under comparison, each written the
// way that library's documentation recommends for an efficient echo, and a plain TCP echo as the
// baseline that does no WebSocket work at all.
//
// Every WebSocket server here echoes each message with its own opcode, answers pings with pongs
// carrying the same payload (RFC 6455 §5.5.2, §5.5.3), completes the close handshake (§7), bounds
// the size of a message (§10.4) at no less than 16 MiB, and fails the connection with 1007 on a
// text message that is not UTF-8 (§8.1). Where a library does not validate UTF-8 itself, the echo
// server does, with the standard library, so that every server does the work RFC 6455 asks; Libs
// says which does which.
//
// The servers named *-deflate also accept permessage-deflate (RFC 7692): ours, gorilla and gws
// without context takeover, and ours and gws with it (*-deflate-takeover); Lib.Compression says
// which load mode drives them. Without an offer they echo uncompressed.
package echoservers
