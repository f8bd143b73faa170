/*
Echo is a WebSocket echo server: every message a client sends comes back to it
unchanged, as text if it was text and as binary if it was binary. It is the
echo server of the project's seed note, built on package conn instead of
gorilla/websocket, and the peer to try cmd/wscat, a browser or any other
client against.

Usage:

	echo [flags]

Echo listens on -addr (default :8080) and answers the WebSocket opening
handshake (RFC 6455 §4.2) at /ws and at / (the seed's Node client dials
ws://localhost:8080 with no path). Any other GET of / (no Upgrade header, or
another protocol's, such as h2c) gets a small HTML page: enter a URL, tick
subprotocols, connect, send text or binary, and watch what comes back and how
the connection closes.

A client must send each request, head and body, within 10 seconds, and take
each reply (a page, an echoed message) within 30 seconds; one that does not is
disconnected. An idle WebSocket may stay open for as long as it likes.

The flags are:

	-addr address
		listen on this TCP address (default ":8080")
	-reuse-port
		let several echo processes listen on one -addr, each started with
		-reuse-port: Linux spreads new connections among them (SO_REUSEPORT).
		This is how one machine serves more connections than one process may
		hold file descriptors for (bench/c100k does), or uses its cores one
		process each.
	-subprotocols list
		comma-separated subprotocols in the server's order of preference,
		such as "wamp,soap,mqtt"; the first of them the client also offers is
		chosen (§4.2.2). Empty (the default): no subprotocol is negotiated.
	-origins list
		comma-separated host patterns of the browser origins allowed to
		connect, such as "127.0.0.1:8765" or "*.example.com"; "*" alone
		allows every origin, as the seed's server does. The default allows
		only same-origin requests (and clients that send no Origin); others
		get 403 Forbidden (§4.2.2, §10.2).
	-read-limit bytes
		the largest message accepted, counted across its fragments (and
		inflated, when compressed); a larger one closes the connection with
		1009 (§7.4.1). 0, the default, means the library's default: 32 MiB,
		or 4 MiB on a connection that negotiated compression, where a small
		message may inflate a thousandfold. A negative number means no limit.
	-tls-cert file, -tls-key file
		serve https and wss with this certificate and key (PEM); give both or
		neither. Over TLS the server offers HTTP/2 (ALPN h2) besides HTTP/1.1,
		and a client on HTTP/2, such as a browser that loaded the page over
		https, opens its WebSocket as a stream of that connection (RFC 8441:
		extended CONNECT, which the server turns on for itself). The log line
		of each connection ends with http=2 or http=1.1.
	-h2c
		also serve HTTP/2 without TLS to clients that start with its preface
		(prior knowledge), WebSockets included; RFC 6455's upgrade of an
		HTTP/1.1 connection works as before.
	-compress
		accept permessage-deflate (RFC 7692) when the client offers it, as
		browsers, Node's ws and Python's websockets do; without it the offer
		is declined and messages travel uncompressed
	-ping-interval duration, -ping-timeout duration
		keepalive (RFC 6455 §5.5.2): a connection silent for -ping-interval
		(default 45s) gets a ping, and one from which nothing arrives within
		-ping-timeout (default 30s) after it is closed, with 1011 if the
		client can still read. It finds clients that vanished without a word
		and keeps load balancers that drop idle connections (AWS's after
		60 s) from dropping quiet ones. -ping-interval 0 turns it off.
	-park-after duration
		a connection silent for this long between messages (default 1s)
		parks: its goroutine ends, and one epoll for the whole server watches
		its socket until it has input, when a new goroutine continues it. An
		idle connection then costs about 3 KiB instead of 5. Keepalive goes
		on: a parked connection is woken when its ping is due. Only plain TCP
		connections park (not TLS, nor WebSockets over HTTP/2), and only on
		Linux. 0 turns it off.
	-free-memory interval
		every interval in which connections ended, give the memory they
		freed back to the operating system at once, rather than when the Go
		runtime gets to it (minutes, in an idle process).
	-debug-addr address
		serve the counts of goroutines, live and ended WebSockets, and the
		heap, as JSON at /debug/stats on this address, a listener of its own
		(give it a loopback one, such as 127.0.0.1:6060), and the stacks of
		all goroutines as text at /debug/goroutines. bench/soak reads them
		to check that the server gives back every goroutine it started, and
		to show which ones it kept when it does not.
	-v
		log every message (its opcode and length), not only one line per
		connection.

Messages of up to 64 KiB are read whole and echoed in one frame; a larger
one is streamed back as it arrives, so that a connection never holds more
than 64 KiB of a message, however large it is, or however far it inflates.

Echo logs to standard error: one line when each connection ends, with the
remote address, subprotocol, close code or error, message count and duration.

On SIGINT or SIGTERM it stops accepting connections, closes every live
WebSocket with 1001 (going away) "server shutting down", waits up to 10
seconds for the close handshakes and the HTTP requests in flight to finish,
and exits with status 0; with status 1 if some had to be cut at that
deadline.

Examples:

	go run ./cmd/echo -subprotocols wamp,soap
	go run ./cmd/wscat -subprotocols soap,wamp ws://localhost:8080/ws
*/
package main
