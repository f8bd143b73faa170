/*
Wsconform is a conformance suite for WebSocket (RFC 6455) servers and clients,
in the manner of the Autobahn TestSuite: a few hundred cases that send frames
crafted byte by byte, valid and invalid, and judge what the endpoint does. The
cases live in package conform; this is their command line.

The cases come in families, as Autobahn's do: 1 framing, 2 pings and pongs,
3 reserved bits, 4 opcodes, 5 fragmentation, 6 UTF-8, 7 the close handshake,
9 limits and speed, 10 fragmentation by the peer, and 12 and 13
permessage-deflate (RFC 7692) with different data and different parameters.
Only families 12 and 13 offer an extension; an endpoint without
permessage-deflate gets INFORMATIONAL for them.

Usage:

	wsconform server [flags] ws://host:port/path
	wsconform server -h2 [flags] https://host:port/path
	wsconform client [flags]

# Testing a server

	wsconform server ws://127.0.0.1:8080/ws

connects to the echo server at the URL once per case (a few cases at a time),
plays the case as the client and judges the answers. The server must send
every message back with the same opcode. wsconform prints a table of verdicts
by case family and every case that is not OK, writes a JSON and an HTML report,
and exits with status 0 when every case is OK or INFORMATIONAL, 1 otherwise
(NON-STRICT counts as a failure unless -allow-non-strict is given), so that CI
can gate on it.

# Testing a client

	wsconform client -addr :9001

serves the cases to clients with the URL protocol of Autobahn's fuzzing
server: a client harness asks ws://host:9001/getCaseCount for the number of
cases, connects to /runCase?case=N&agent=NAME for N from 1 to that number and
echoes every message it receives until the connection closes, then connects to
/updateReports?agent=NAME, at which point wsconform prints the summary and
writes the reports for that agent. /getCaseInfo?case=N and
/getCaseStatus?case=N&agent=NAME answer with JSON. Harnesses written for
Autobahn run unchanged. With -once, wsconform exits after the first report,
with the status described above.

# Flags

Both modes:

	-cases list
		comma-separated case patterns to run, such as "1.*,6.4.*" or "7"
		(a pattern without '*' selects that case and those under it);
		default: all
	-exclude list
		comma-separated case patterns to leave out
	-timeout duration
		time limit of each case (default 5s; the large cases of family 9
		and the cases of families 12 and 13 have longer limits of their own)
	-report dir
		write AGENT.json and AGENT.html to dir (default "wsconform-report");
		"" writes none
	-allow-non-strict
		let NON-STRICT verdicts pass
	-v
		print each case's verdict as it ends

Server mode:

	-agent name
		the name of the server in the report (default "server")
	-parallel n
		cases run at once (default 4)
	-header "Name: value"
		an extra header field for the opening handshake, such as an Origin
		or a cookie; may be repeated
	-insecure
		do not verify the certificate of a wss:// server
	-h2
		open every case's WebSocket as a stream of an HTTP/2 connection
		(RFC 8441): TLS with ALPN h2 for wss:// (or https://), HTTP/2 with
		prior knowledge for ws:// (or http://). The server must advertise
		extended CONNECT; the streams share connections, as a browser's do,
		and the end of a stream plays the part of the TCP close (RFC 8441 §6)

Client mode:

	-addr address
		listen on this TCP address (default ":9001", as Autobahn's)
	-once
		exit after the first report

# Examples

	go run ./cmd/echo &
	go run ./cmd/wsconform server ws://127.0.0.1:8080/ws
	go run ./cmd/wsconform server -cases '6.*' -exclude '6.25.*' -v ws://127.0.0.1:8080/ws
	go run ./cmd/echo -addr 127.0.0.1:8081 -compress &
	go run ./cmd/wsconform server -cases 12,13 ws://127.0.0.1:8081/ws
	go run ./cmd/echo -addr 127.0.0.1:8443 -tls-cert cert.pem -tls-key key.pem &
	go run ./cmd/wsconform server -h2 https://127.0.0.1:8443/ws
	go run ./cmd/wsconform client -addr 127.0.0.1:9001 -once
*/
package main
