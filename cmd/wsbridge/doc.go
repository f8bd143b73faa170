/*
Wsbridge is a WebSocket front door for a TCP service: it accepts WebSocket
connections (RFC 6455, and RFC 8441's over HTTP/2 on its TLS listener) and
relays each one, as a byte stream, to a TCP connection of its own to a backend.
The bytes of the client's binary messages go to the backend in order; what the
backend sends comes back as binary messages. It is what websockify does for VNC,
and what a broker's WebSocket listener does for MQTT over WebSocket: with
-subprotocols mqtt in front of mosquitto's plain listener on 1883, the seed's
mqtt.js client talks to mosquitto through it.

Usage:

	wsbridge -backend host:port [flags]
	wsbridge -route /path=host:port [-route /other=host:port ...] [flags]

For example:

	wsbridge -addr :8083 -route /mqtt=127.0.0.1:1883 -subprotocols mqtt

# What it does with each connection

Before the upgrade it connects to the path's backend, so a backend that
cannot be reached gets the client a 502 rather than a 101 and an immediate
close; a path without a route gets 404, a request that is not a WebSocket
handshake 426, a client that offers none of -subprotocols 400 (MQTT over
WebSocket requires the mqtt subprotocol, MQTT 5.0 §6), and a connection past
-max-conns 503 with Retry-After. Origins are checked as package conn does:
same-origin unless -origins allows others.

While it relays, each direction holds one buffer: a client that does not read
stops the bridge reading from its backend (TCP's flow control then slows the
backend), and one that has taken nothing for -write-timeout is dropped; a
backend that does not read stops the bridge reading from the client. Nothing
queues without bound. A text message gets close 1003 (MQTT and TCP byte
streams have no text form). Keepalive pings (-ping-interval, -ping-timeout)
find clients that vanished, and -idle-timeout closes a connection that moved
no byte either way (close 1001 "idle").

An idle connection costs about 4 KiB (bench/bridgebench), less than a
broker's own WebSocket listener: the handshake is read from the raw socket,
not through net/http, whose buffers would stay behind as garbage; and on Linux
a direction with nothing to read parks, its goroutine gone, in an epoll of the
bridge's own that starts a goroutine again once the socket is readable. A
busy connection keeps Go's blocking reads. (A client over TLS straight to the
bridge, or over HTTP/2, keeps the goroutine of its side: TLS holds records of
its own. Behind a load balancer that terminates TLS both sides park.)

Ends map both ways: the backend's FIN becomes a close frame with 1000 after
its last bytes; a backend that breaks the connection, 1014 (Bad Gateway); the
client's close frame becomes a FIN to the backend, which may go on sending for
a few seconds, and a client that vanishes closes the backend connection. On
SIGTERM or SIGINT the bridge stops accepting, sends every client 1001 and
closes every backend connection, within -shutdown-timeout.

Each connection is logged when it ends, with the client's address, the path,
the backend, the subprotocol, the bytes moved each way (up: to the backend,
down: to the client), how each side ended and the HTTP version:

	wsbridge: 203.0.113.7:50412: path=/mqtt backend=127.0.0.1:1883 subprotocol="mqtt" up=212 down=64 client=close=1000 reason="" backend_end=eof duration=3.2s http=1.1

# Behind a load balancer

A load balancer that terminates TLS (as the seed's AWS one does) passes the
client's address in X-Forwarded-For; -trust-forwarded names the proxies whose
header is believed, and the log then shows the client. -proxy-protocol sends
the backend a PROXY protocol v1 line with that address before the client's
bytes, for a backend that takes one (HAProxy's accept-proxy; mosquitto 2.0
does not). nginx in front:

	location /mqtt {
	    proxy_pass http://127.0.0.1:8083;
	    proxy_http_version 1.1;
	    proxy_set_header Upgrade $http_upgrade;
	    proxy_set_header Connection "upgrade";
	    proxy_set_header Host $host;
	    proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
	    proxy_read_timeout 120s;
	}

HAProxy in front (it passes WebSockets through in mode http, and can take
them over HTTP/2 from browsers and hand them on as HTTP/1.1 upgrades):

	frontend wss
	    bind :443 ssl crt /etc/haproxy/site.pem alpn h2,http/1.1
	    option forwardfor
	    timeout client 120s
	    default_backend bridges
	backend bridges
	    balance leastconn
	    timeout server 120s
	    timeout tunnel 1h
	    server b1 10.0.0.11:8083 check
	    server b2 10.0.0.12:8083 check

with -trust-forwarded set to the proxy's address on each bridge. Several
bridges behind one balancer share nothing: each client's connection lives on
one bridge and one backend connection, and the broker behind them does the
fan-out.

# Flags

	-addr address
		listen on this TCP address (default ":8080")
	-backend host:port
		relay every path not given to -route to this TCP backend
	-route /path=host:port
		relay one URL path to a backend; may be repeated
	-subprotocols list
		comma-separated subprotocols, one of which a client must offer, in
		order of preference (mqtt for MQTT over WebSocket)
	-origins list
		allowed origin host patterns; "*" allows all (default: same origin)
	-read-limit bytes
		largest message accepted from a client (default: the library's 32 MiB)
	-tls-cert file, -tls-key file
		serve wss:// (and WebSockets over HTTP/2 streams) with this certificate
	-max-conns n
		at most n connections at once (default 10000; 0: no limit)
	-handshake-timeout, -dial-timeout, -idle-timeout, -write-timeout,
	-ping-interval, -ping-timeout, -shutdown-timeout duration
		the time limits described above (defaults 10s, 5s, 5m, 30s, 45s,
		30s, 10s)
	-trust-forwarded CIDRs
		proxies whose X-Forwarded-For names the client
	-proxy-protocol
		send the backend a PROXY protocol v1 line first
	-v
		log each connection as it opens, as well as when it ends
*/
package main
