package conform

// Family 4: reserved opcodes (§5.2). 0x3–0x7 are reserved for further non-control frames and
// 0xB–0xF for further control frames; "If an unknown opcode is received, the receiving endpoint
// MUST _Fail the WebSocket Connection_."

import (
	"fmt"

	"github.com/rfc6455/ws/frame"
)

// opcodeRule names the rule the cases of family 4 break.
const opcodeRule = "§5.2: reserved opcode"

func opcodeCases() []Case {
	var cases []Case
	for g, ops := range [][]frame.Opcode{{3, 4, 5, 6, 7}, {11, 12, 13, 14, 15}} {
		kind := "non-control"
		if g == 1 {
			kind = "control"
		}
		cases = append(cases, reservedOpcodeCases(fmt.Sprintf("4.%d", g+1), kind, ops)...)
	}
	return cases
}

// reservedOpcodeCases returns the five cases of a group: the reserved opcodes ops[0..4] alone,
// with a payload, and after a valid message (the last one written a byte at a time).
func reservedOpcodeCases(group, kind string, ops []frame.Opcode) []Case {
	hello := []byte("Hello, world!")
	reserved := func(op frame.Opcode, payload []byte) wireFrame { return dataFrame(true, op, payload) }
	const fails = "The peer fails the connection with 1002."
	const echoThenFails = "The text message is echoed, then the peer fails the connection with 1002; no pong. (Failing before the echo is NON-STRICT.)"
	alone := func(f wireFrame) func(*session) {
		return func(s *session) {
			s.send(f)
			s.expectFailure(opcodeRule, 1002)
		}
	}
	afterEcho := func(f wireFrame, chop int) func(*session) {
		return func(s *session) {
			s.sendChopped(chop, textFrame(string(hello)), f, pingFrame(nil))
			s.expectFailureAfter(opcodeRule, []event{echoOf(frame.OpText, hello)}, 1002)
		}
	}
	id := func(n int) string { return fmt.Sprintf("%s.%d", group, n) }
	return []Case{
		{ID: id(1), Description: fmt.Sprintf("A frame with the reserved %s opcode %d (§5.2).", kind, ops[0]),
			Expectation: fails, run: alone(reserved(ops[0], nil))},
		{ID: id(2), Description: fmt.Sprintf("A frame with the reserved %s opcode %d and a payload (§5.2).", kind, ops[1]),
			Expectation: fails, run: alone(reserved(ops[1], hello))},
		{ID: id(3), Description: fmt.Sprintf("A text message, a frame with the reserved %s opcode %d, a ping (§5.2).", kind, ops[2]),
			Expectation: echoThenFails, run: afterEcho(reserved(ops[2], nil), 0), alone: true},
		{ID: id(4), Description: fmt.Sprintf("A text message, a frame with the reserved %s opcode %d and a payload, a ping (§5.2).", kind, ops[3]),
			Expectation: echoThenFails, run: afterEcho(reserved(ops[3], hello), 0), alone: true},
		{ID: id(5), Description: fmt.Sprintf("As %s with opcode %d, written one byte at a time (§5.2).", id(4), ops[4]),
			Expectation: echoThenFails, run: afterEcho(reserved(ops[4], hello), 1), alone: true},
	}
}
