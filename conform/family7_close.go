package conform

// Family 7: the close handshake (§5.5.1, §7). An endpoint that receives a close frame answers
// with one, "typically echoing the status code it received", and sends nothing after it; a close
// body is empty or a 2-byte status code with an optional UTF-8 reason; some codes may never be
// sent (§7.4); and the server closes TCP first (§7.1.1).

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/rfc6455/ws/frame"
)

// closeRule names the rule the failing cases of family 7 break.
const closeRule = "§5.5.1, §7.4: close frame"

// validCodes are the codes of 7.7.*, which an endpoint may send (§7.4.1, §7.4.2).
var validCodes = []int{1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 3000, 3999, 4000, 4999}

// invalidCodes are the codes of 7.9.*, which no endpoint may send: below 1000 (§7.4.2: "not
// used"), 1004 (reserved), 1005 and 1006 (§7.4.1: "MUST NOT be set as a status code in a Close
// control frame"), and unassigned codes in 1000–2999, reserved for the protocol (§7.4.2).
var invalidCodes = []int{0, 999, 1004, 1005, 1006, 1016, 1100, 2000, 2999}

func closeCases() []Case {
	text := frame.OpText
	hello := []byte("Hello World!")
	cases := []Case{
		{ID: "7.1.1", Description: "A text message, then a close frame with 1000 (§7.1.2).",
			Expectation: "The message is echoed, then the close handshake completes with 1000.",
			run: func(s *session) {
				s.send(textFrame(string(hello)))
				s.expectMessage(text, hello)
				s.closeNormally()
			}},
		{ID: "7.1.2", Description: "Two close frames (§5.5.1).",
			Expectation: "One close frame in reply, with 1000; the second close frame is ignored.",
			run: func(s *session) {
				s.send(closeFrame(closePayload(1000, "")), closeFrame(nil))
				s.expectCloseReply(1000)
			}},
		{ID: "7.1.3", Description: "A close frame, then a ping (§5.5.1: after a close frame, the peer handles nothing more).",
			Expectation: "The close reply with 1000 and no pong.",
			run: func(s *session) {
				s.send(closeFrame(closePayload(1000, "")), pingFrame(hello))
				s.expectCloseReply(1000)
			}},
		{ID: "7.1.4", Description: "A close frame, then a text message (§5.5.1).",
			Expectation: "The close reply with 1000 and no echo.",
			run: func(s *session) {
				s.send(closeFrame(closePayload(1000, "")), textFrame(string(hello)))
				s.expectCloseReply(1000)
			}},
		{ID: "7.1.5", Description: "The first fragment of a text message, a close frame, then the last fragment (§5.4, §5.5.1).",
			Expectation: "The close reply with 1000 and no echo: the message was never finished.",
			run: func(s *session) {
				s.send(dataFrame(false, text, []byte("fragment1")), closeFrame(closePayload(1000, "")), dataFrame(true, frame.OpContinuation, []byte("fragment2")))
				s.expectCloseReply(1000)
			}},
		{ID: "7.1.6", Description: "A text message of 256 KiB, a short text message, a close frame and a ping, all at once (§7.1.2).",
			Expectation: "Up to the peer: whether it echoes the messages before its close reply depends on how it orders its work. Recorded only.",
			run: func(s *session) {
				s.inform()
				s.send(textFrame(string(repeatTo([]byte("BAsd7&jh23"), 256<<10))), textFrame(string(hello)),
					closeFrame(closePayload(1000, "")), pingFrame(nil))
				s.observe()
			}, alone: true},
		{ID: "7.3.1", Description: "A close frame with an empty body (§5.5.1).",
			Expectation: "The close reply: empty or with 1000.",
			run:         func(s *session) { s.closeWith(nil, 1000) }},
		{ID: "7.3.2", Description: "A close frame with a 1-byte body (§5.5.1: a body starts with a 2-byte code).",
			Expectation: "The peer fails the connection with 1002.",
			run: func(s *session) {
				s.send(closeFrame([]byte{0x03}))
				s.expectFailure(closeRule, 1002)
			}},
		{ID: "7.3.3", Description: "A close frame with 1000 and no reason (§5.5.1).",
			Expectation: "The close reply with 1000.",
			run:         func(s *session) { s.closeWith(closePayload(1000, ""), 1000) }},
		{ID: "7.3.4", Description: "A close frame with 1000 and a reason (§5.5.1).",
			Expectation: "The close reply with 1000.",
			run:         func(s *session) { s.closeWith(closePayload(1000, "Hello World!"), 1000) }},
		{ID: "7.3.5", Description: "A close frame with 1000 and a reason of 123 bytes, the longest that fits (§5.5).",
			Expectation: "The close reply with 1000.",
			run:         func(s *session) { s.closeWith(closePayload(1000, strings.Repeat("*", 123)), 1000) }},
		{ID: "7.3.6", Description: "A close frame with 1000 and a reason of 124 bytes: a control frame of 126 bytes (§5.5).",
			Expectation: "The peer fails the connection with 1002.",
			run: func(s *session) {
				s.send(closeFrame(closePayload(1000, strings.Repeat("*", 124))))
				s.expectFailure("§5.5: control frame of 126 bytes", 1002)
			}},
		{ID: "7.5.1", Description: "A close frame with 1000 and a reason that is not UTF-8: " + hexOf(invalidKosme) + " (§5.5.1).",
			Expectation: "The peer fails the connection with 1007 (or 1002).",
			run: func(s *session) {
				s.send(closeFrame(closePayload(1000, invalidKosme)))
				s.expectFailure("§5.5.1: close reason not UTF-8", 1007, 1002)
			}},
	}
	for i, code := range validCodes {
		cases = append(cases, Case{
			ID:          fmt.Sprintf("7.7.%d", i+1),
			Description: fmt.Sprintf("A close frame with the valid code %d (§7.4).", code),
			Expectation: fmt.Sprintf("The close reply with %d or 1000.", code),
			run:         func(s *session) { s.closeWith(closePayload(code, ""), code, 1000) },
		})
	}
	for i, code := range invalidCodes {
		cases = append(cases, Case{
			ID:          fmt.Sprintf("7.9.%d", i+1),
			Description: fmt.Sprintf("A close frame with the invalid code %d (§7.4).", code),
			Expectation: "The peer fails the connection with 1002.",
			run: func(s *session) {
				s.send(closeFrame(closePayload(code, "")))
				s.expectFailure(fmt.Sprintf("§7.4: close code %d", code), 1002)
			}},
		)
	}
	for i, code := range []int{5000, 65535} {
		cases = append(cases, Case{
			ID:          fmt.Sprintf("7.13.%d", i+1),
			Description: fmt.Sprintf("A close frame with code %d, outside every range of §7.4.2.", code),
			Expectation: "The RFC assigns no meaning to it; answering with 1000, echoing it or failing with 1002 are recorded.",
			run: func(s *session) {
				s.inform()
				s.send(closeFrame(closePayload(code, "")))
				s.observe()
			},
		})
	}
	return append(cases, Case{
		ID:          "7.14.1",
		Description: "A text message, then the TCP connection half-closed without a close frame (§7.1.5: the connection is then closed with 1006, which no frame may carry). Beyond Autobahn.",
		Expectation: "The message is echoed; then the peer closes TCP too, sending at most a close frame with a valid code, never 1005 or 1006.",
		run: func(s *session) {
			s.send(textFrame(string(hello)))
			s.expectMessage(text, hello)
			tcp, ok := s.rc.nc.(interface{ CloseWrite() error })
			if !ok {
				s.inform()
				s.notef("this kind of connection cannot be half-closed: case not run")
				return
			}
			s.logf("half-closed TCP (sent FIN)")
			if err := tcp.CloseWrite(); err != nil {
				s.failf("half-closing TCP: %v", err)
			}
			for {
				switch ev := s.next(); ev.kind {
				case evDrop:
					s.notef("%v", ev)
					return
				case evClose:
					s.notef("sent %v before closing", ev)
				case evTimeout:
					if s.rc.client {
						s.failf("the server did not close TCP within %v of the client's FIN", s.timeout)
					}
					s.failf("the client did not close TCP within %v of the server's FIN", s.timeout)
				default:
					s.failf("got %v after the TCP half-close", ev)
				}
			}
		},
	})
}

// repeatTo returns pattern repeated to exactly n bytes.
func repeatTo(pattern []byte, n int) []byte {
	return bytes.Repeat(pattern, n/len(pattern)+1)[:n]
}
