/*
Wscat connects to a WebSocket server and joins it to the terminal: each line
read from standard input goes out as a message, and each message that comes
back is printed. It is the seed's Node client as a command, built on package
conn, and with -trace a way to watch RFC 6455 at work, frame by frame.

Usage:

	wscat [flags] ws://host[:port]/path
	wscat [flags] wss://host[:port]/path

Each line of input (without its line ending) is sent as a text message, or as
a binary message with -binary. Received messages are printed after "< ": text
as it is, binary as "<binary N bytes>" followed by the bytes in hex when there
are at most 64 of them. Sent lines are not repeated unless -trace is given.

At the end of input, wscat sends a close frame with -close-code and waits for
the server's close frame (the close handshake, RFC 6455 §7.1.2). When the
connection closes, by either side, it prints "closed: <code> <reason>".

The flags are:

	-subprotocols list
		comma-separated subprotocols to offer, such as "soap,wamp" (§4.1)
	-H "Name: value"
		add a request header to the handshake; repeatable
	-origin origin
		send this Origin header, such as "http://localhost:8080"
	-insecure
		for wss, do not verify the server's certificate
	-binary
		send lines as binary messages
	-h2
		for wss, try HTTP/2 first: the WebSocket is a stream of an HTTP/2
		connection (RFC 8441) when the server offers h2 and extended CONNECT,
		and the usual HTTP/1.1 upgrade otherwise. For ws://, HTTP/2 in
		cleartext with prior knowledge (RFC 9113 §3.3), for a server known to
		speak it (cmd/echo -h2c): there is no fallback. The "connected" line
		says which.
	-ping-interval duration
		keepalive: after this long without a byte from the server, send a
		ping (RFC 6455 §5.5.2); if nothing arrives within as long again,
		close the connection and exit with its error. Default 0: off.
	-compress
		offer permessage-deflate (RFC 7692); with -trace, compressed frames
		show RSV1=1
	-trace
		print the handshake response and every frame header as it crosses
		the wire: direction, FIN, RSV1-3, opcode, MASK, payload length and
		masking key (§5.2)
	-timeout duration
		time limit for the opening handshake (default 10s)
	-close-code code
		close code to send at the end of input (default 1000, §7.4.1);
		1005 sends a close frame without a code

Exit status: 0 after a clean close (code 1000, 1001 or 1005), 1 after any
other close code or an error, 2 when the opening handshake fails or the
command line is wrong.

Example, against cmd/echo started with -subprotocols wamp,soap (without it,
no subprotocol is chosen and wscat prints subprotocol ""):

	$ echo 'Hello from the client!' | wscat -subprotocols soap,wamp ws://localhost:8080/
	wscat: connected to ws://localhost:8080/, subprotocol "wamp"
	< Hello from the client!
	closed: 1000
*/
package main
