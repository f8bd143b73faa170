/*
Package conform is a conformance suite for RFC 6455 WebSocket endpoints, in
the manner of the Autobahn TestSuite: a few hundred cases, each of which opens
one connection to the endpoint under test, drives it with frames crafted byte
by byte, watches what comes back and gives a verdict.

It tests servers and clients alike, ours or anyone's:

  - CheckServer connects to an echo server (one that sends every message
    back with its own opcode) once per case, as the client.
  - FuzzingServer is an http.Handler that clients connect to case by case,
    speaking the URL protocol of Autobahn's fuzzing server (/getCaseCount,
    /runCase?case=N&agent=A, /getCaseInfo?case=N, /getCaseStatus?case=N&agent=A,
    /updateReports?agent=A), so a client harness written for Autobahn runs
    against it unchanged. The client under test echoes every message; the
    suite plays the case as the server.

The same cases run in both roles. The suite does not use package conn: it
writes the opening handshake with package handshake, frame headers with
package frame and masks with package mask, and puts the raw bytes on the TCP
connection itself, so it can send what a well-behaved endpoint never would
(reserved bits, reserved opcodes, fragmented pings, invalid UTF-8, bad close
codes, unmasked client frames) and judge our stack like any other. For the
compression cases it compresses with compress/flate itself and inflates with
a DEFLATE decoder of its own (RFC 1951), which checks every back-reference
against what the peer agreed to.

# Cases

Cases are numbered like Autobahn's: family.group.case, such as 1.1.1 or 6.4.3,
and a case with an Autobahn number does what Autobahn's case of that number
does, so results can be compared case by case. The families:

	1   framing: payload lengths at every length-encoding boundary (§5.2), masking (§5.1)
	2   pings and pongs (§5.5.2, §5.5.3)
	3   reserved bits without an extension (§5.2)
	4   reserved opcodes (§5.2)
	5   fragmentation (§5.4)
	6   UTF-8 in text messages, fail-fast (§5.6, §8.1)
	7   the close handshake and close codes (§5.5.1, §7)
	9   limits and speed: messages up to 16 MiB, fragmented and chopped (§10.4)
	10  a peer that fragments messages its own way (§5.4)
	12  permessage-deflate (RFC 7692) with five kinds of data, 16 bytes to 128 KiB a message
	13  permessage-deflate with other parameters: no_context_takeover and
	    max_window_bits of 8, 9 and 15, for the peer and for the suite

Cases that Autobahn does not have carry numbers Autobahn does not use
(1.3.*, 5.21–5.22, 6.24–6.25, 7.14.*, 10.1.2, 13.8–13.12); their descriptions
say so.

# Compression

Only the cases of families 12 and 13 offer an extension: permessage-deflate,
with the parameters of the case (RFC 7692 §7.1). A case's parameters are told
from the side of the endpoint under test: "the peer's max_window_bits=8" is
server_max_window_bits=8 in the suite's offer to a server, and
client_max_window_bits=8 in its answer to a client whose offer allows it. Each
case then sends messages cut one after the other from a generated body of data
(JSON, a bitmap, verse, HTML, random bytes), each when the echo of the one
before has come back, and checks that the peer answered with parameters that
fit the offer (RFC 7692 §7.1), set RSV1 only on the first frame of a
compressed message (§6.1), removed the 00 00 ff ff that ends a sync flush
(§7.2.1), and compressed within the window and the context it agreed to
(§7.1.1, §7.1.2), and that every echo inflates to the message sent. A peer
that takes up no permessage-deflate makes the case INFORMATIONAL, as does a
client whose offer does not let the suite ask for the window the case is
about.

# Verdicts

Each case ends with one of four verdicts:

  - OK: the endpoint did what the RFC asks, in the best way.
  - NON-STRICT: the RFC allows what it did, but it is not the best behaviour:
    invalid UTF-8 detected only at the end of a message instead of as soon as
    a byte can never be valid (fail-fast), a valid message sent just before a
    bad frame that was not echoed, a server that leaves the TCP connection to
    the client after the close handshake (§7.1.1 says the server closes first).
  - INFORMATIONAL: the RFC leaves the behaviour open; the case only records
    it (close codes 5000 and 65535, a non-minimal length encoding, a close
    frame racing a large message, a message of family 9 that the peer
    refuses with 1008 or 1009 for a limit of its own, which §10.4 allows, a
    compression case with a peer that does not take up permessage-deflate,
    which RFC 7692 §5.1 allows).
  - FAILED: the endpoint broke the RFC or did not do what the case expects.

A case that expects an echo passes when the echo arrives with the same
opcode and payload and the close handshake then completes: the suite sends
close 1000 and wants 1000 (or no code) back, and when it tests a server,
wants the server to close TCP. A case that sends something the peer must
reject passes when the peer fails the connection (§7.1.7): a close frame with
the expected code (1002, or 1007 for invalid UTF-8) is best; closing TCP
without a close frame, which _Fail the WebSocket Connection_ allows, passes
too, as in Autobahn; a close frame with another code fails.
*/
package conform
