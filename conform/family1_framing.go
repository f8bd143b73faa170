package conform

// Family 1: framing. Messages whose lengths sit on each boundary of the payload length encoding
// of §5.2 (7-bit, 16-bit, 64-bit), whole and with the stream cut in odd places; and, beyond
// Autobahn, the masking rule of §5.1 and the length rules that a receiver can check.

import (
	"bytes"
	"fmt"

	"github.com/rfc6455/ws/frame"
)

// lengthBoundaries are the payload lengths of groups 1.1 and 1.2, with why each one matters.
var lengthBoundaries = []struct {
	n   int
	why string
}{
	{0, "an empty payload"},
	{125, "the largest 7-bit length"},
	{126, "the smallest 16-bit length"},
	{127, "a 16-bit length (127 in the 7-bit field would announce a 64-bit one)"},
	{128, "a 16-bit length"},
	{65535, "the largest 16-bit length"},
	{65536, "the smallest 64-bit length"},
}

func framingCases() []Case {
	var cases []Case
	for g, kind := range []struct {
		op   frame.Opcode
		fill byte
	}{{frame.OpText, '*'}, {frame.OpBinary, 0xfe}} {
		group := g + 1
		for i, b := range lengthBoundaries {
			payload := bytes.Repeat([]byte{kind.fill}, b.n)
			cases = append(cases, echoCase(fmt.Sprintf("1.%d.%d", group, i+1),
				fmt.Sprintf("A %v message of %d bytes: %s (§5.2).", kind.op, b.n, b.why),
				kind.op, payload, 0))
		}
		// The stream cut every 997 bytes: a prime, so the cuts fall everywhere, the header
		// included (§5.2: frames are a byte stream, not packets).
		payload := bytes.Repeat([]byte{kind.fill}, 65536)
		cases = append(cases, echoCase(fmt.Sprintf("1.%d.8", group),
			fmt.Sprintf("A %v message of 65536 bytes written to TCP in chops of 997 bytes (§5.2).", kind.op),
			kind.op, payload, 997))
	}
	return append(cases,
		Case{
			ID:          "1.3.1",
			Description: "A text message masked the wrong way for its direction: unmasked from a client, masked from a server (§5.1). Beyond Autobahn.",
			Expectation: "The peer fails the connection, with 1002: §5.1 a server MUST close the connection on an unmasked frame, and a client on a masked one.",
			run: func(s *session) {
				f := textFrame("Hello, world!")
				f.Mask = maskWrong
				s.send(f)
				s.expectFailure("§5.1: masking", 1002)
			},
		},
		Case{
			ID:          "1.3.2",
			Description: "A text message of 5 bytes whose length is written in the 64-bit form, not the minimal one (§5.2). Beyond Autobahn.",
			Expectation: "The RFC binds the sender (\"the minimal number of bytes MUST be used\") but does not tell the receiver what to do: echoing and failing with 1002 are both recorded.",
			run: func(s *session) {
				s.inform()
				f := textFrame("Hello")
				f.Length = lengthAs64
				s.send(f)
				switch ev := s.next(); ev.kind {
				case evMessage:
					s.notef("accepted it: %v", ev)
					s.send(closeFrame(closePayload(1000, "")))
				case evClose:
					s.notef("refused it: %v", ev)
					s.send(closeFrame(ev.data))
				default:
					s.notef("%v", ev)
				}
				s.observe()
			},
		},
		Case{
			ID:          "1.3.3",
			Description: "A text frame whose 64-bit length has the most significant bit set (§5.2). Beyond Autobahn.",
			Expectation: "The peer fails the connection, with 1002 (§5.2: \"the most significant bit MUST be 0\") or 1009 (too big), and does not wait for 2^63 bytes.",
			run: func(s *session) {
				f := textFrame("Hello")
				f.Length = lengthTopBitSet
				s.send(f)
				s.expectFailure("§5.2: 64-bit length", 1002, 1009)
			},
		},
	)
}

// echoCase returns a case that sends one message of type op in a single frame, written in
// chops of chop bytes (at once when chop is 0), and expects it echoed unchanged.
func echoCase(id, description string, op frame.Opcode, payload []byte, chop int) Case {
	return Case{
		ID:          id,
		Description: description,
		Expectation: fmt.Sprintf("The %v message is echoed unchanged; clean close.", op),
		run: func(s *session) {
			s.sendChopped(chop, dataFrame(true, op, payload))
			s.expectMessage(op, payload)
			s.closeNormally()
		},
	}
}
