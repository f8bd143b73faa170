package conform

// Family 3: the reserved bits RSV1–RSV3 (§5.2). They "MUST be 0 unless an extension is
// negotiated that defines meanings for non-zero values. If a nonzero value is received and none
// of the negotiated extensions defines the meaning of such a nonzero value, the receiving
// endpoint MUST _Fail the WebSocket Connection_." The suite negotiates no extension.

import "github.com/rfc6455/ws/frame"

// rsvRule names the rule the cases of family 3 break.
const rsvRule = "§5.2: RSV bits without an extension"

func reservedBitsCases() []Case {
	hello := []byte("Hello, world!")
	withRsv := func(f wireFrame, rsv uint8) wireFrame {
		f.Rsv = rsv
		return f
	}
	// afterEcho sends a valid text message, the same message with reserved bits set, and a ping,
	// in the given way; the echo of the first comes back, then the failure, and no pong.
	afterEcho := func(rsv uint8, send func(s *session, frames ...wireFrame)) func(*session) {
		return func(s *session) {
			send(s, dataFrame(true, frame.OpText, hello), withRsv(dataFrame(true, frame.OpText, hello), rsv), pingFrame(nil))
			s.expectFailureAfter(rsvRule, []event{echoOf(frame.OpText, hello)}, 1002)
		}
	}
	octetWise := func(s *session, frames ...wireFrame) { s.sendChopped(1, frames...) }
	failing := func(f wireFrame) func(*session) {
		return func(s *session) {
			s.send(f)
			s.expectFailure(rsvRule, 1002)
		}
	}
	const fails = "The peer fails the connection with 1002."
	const echoThenFails = "The first message is echoed, then the peer fails the connection with 1002; no pong. (Failing before the echo is NON-STRICT.)"
	return []Case{
		{ID: "3.1", Description: "A text message with RSV = 1 (RSV3) (§5.2).", Expectation: fails,
			run: failing(withRsv(textFrame("Hello, world!"), 1))},
		{ID: "3.2", Description: "A text message, the same with RSV = 2 (RSV2), then a ping (§5.2).", Expectation: echoThenFails,
			run: afterEcho(2, (*session).send), alone: true},
		{ID: "3.3", Description: "As 3.2 with RSV = 3, each frame in a write of its own (§5.2).", Expectation: echoThenFails,
			run: afterEcho(3, (*session).sendEach), alone: true},
		{ID: "3.4", Description: "As 3.2 with RSV = 4 (RSV1), written one byte at a time (§5.2).", Expectation: echoThenFails,
			run: afterEcho(4, octetWise), alone: true},
		{ID: "3.5", Description: "A binary message with RSV = 5 (§5.2).", Expectation: fails,
			run: failing(withRsv(binaryFrame([]byte{0x00, 0xff, 0xfe, 0xfd, 0xfc, 0xfb, 0x00, 0xff}), 5))},
		{ID: "3.6", Description: "A ping with RSV = 6 (§5.2).", Expectation: fails + " No pong.",
			run: failing(withRsv(pingFrame(hello), 6))},
		{ID: "3.7", Description: "A close frame with RSV = 7 (§5.2).", Expectation: fails,
			run: func(s *session) {
				f := withRsv(closeFrame(closePayload(1000, "")), 7)
				s.send(f)
				s.expectFailure(rsvRule, 1002)
			}},
	}
}
