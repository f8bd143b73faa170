package conform

// Family 5: fragmentation (§5.4). A message may be split into a text or binary frame with FIN
// clear, continuation frames, and a final continuation with FIN set; control frames may come
// between the fragments but are never fragmented themselves; a continuation with no message to
// continue, and a new data frame inside a message, fail the connection.

import (
	"bytes"
	"fmt"

	"github.com/rfc6455/ws/frame"
)

// fragmentationRule names the rule the failing cases of family 5 break.
const fragmentationRule = "§5.4: fragmentation"

// sender is a way of writing frames: at once, a frame per write, or a byte per write.
type sender struct {
	how  string
	send func(s *session, frames ...wireFrame)
}

var (
	inOneWrite    = sender{"in one write", (*session).send}
	frameWise     = sender{"each frame in a write of its own", (*session).sendEach}
	octetWise     = sender{"one byte per write", func(s *session, frames ...wireFrame) { s.sendChopped(1, frames...) }}
	threeSenders  = []sender{inOneWrite, frameWise, octetWise}
	fragmentNames = [][]byte{[]byte("fragment1"), []byte("fragment2"), []byte("fragment3"), []byte("fragment4"), []byte("fragment5")}
)

func fragmentationCases() []Case {
	f := fragmentNames
	cases := []Case{
		{
			ID:          "5.1",
			Description: "A ping fragmented into 2 frames (§5.5: control frames MUST NOT be fragmented).",
			Expectation: "The peer fails the connection with 1002.",
			run: func(s *session) {
				s.send(dataFrame(false, frame.OpPing, f[0]), dataFrame(true, frame.OpContinuation, f[1]))
				s.expectFailure("§5.5: fragmented control frame", 1002)
			},
		},
		{
			ID:          "5.2",
			Description: "A pong fragmented into 2 frames (§5.5: control frames MUST NOT be fragmented).",
			Expectation: "The peer fails the connection with 1002.",
			run: func(s *session) {
				s.send(dataFrame(false, frame.OpPong, f[0]), dataFrame(true, frame.OpContinuation, f[1]))
				s.expectFailure("§5.5: fragmented control frame", 1002)
			},
		},
	}
	// 5.3–5.5: a text message in 2 fragments; 5.6–5.8: with a ping between them.
	for i, how := range threeSenders {
		cases = append(cases, Case{
			ID:          fmt.Sprintf("5.%d", 3+i),
			Description: fmt.Sprintf("A text message in 2 fragments, %s (§5.4).", how.how),
			Expectation: "The message is echoed whole; clean close.",
			run: func(s *session) {
				how.send(s, dataFrame(false, frame.OpText, f[0]), dataFrame(true, frame.OpContinuation, f[1]))
				s.expectMessage(frame.OpText, bytes.Join(f[:2], nil))
				s.closeNormally()
			},
		})
	}
	for i, how := range threeSenders {
		cases = append(cases, Case{
			ID:          fmt.Sprintf("5.%d", 6+i),
			Description: fmt.Sprintf("A text message in 2 fragments with a ping between them, %s (§5.4: control frames may be injected).", how.how),
			Expectation: "The pong, then the message echoed whole; clean close.",
			run: func(s *session) {
				how.send(s, dataFrame(false, frame.OpText, f[0]), pingFrame([]byte("pongme!")), dataFrame(true, frame.OpContinuation, f[1]))
				s.expectPong([]byte("pongme!"))
				s.expectMessage(frame.OpText, bytes.Join(f[:2], nil))
				s.closeNormally()
			},
		})
	}
	// 5.9–5.14: a continuation frame with nothing to continue, FIN set or not, then a text message.
	for i, fin := range []bool{true, false} {
		for j, how := range threeSenders {
			cases = append(cases, Case{
				ID:          fmt.Sprintf("5.%d", 9+3*i+j),
				Description: fmt.Sprintf("A continuation frame with FIN %s and nothing to continue, then a text message, %s (§5.4).", onOff(fin), how.how),
				Expectation: "The peer fails the connection with 1002 at the continuation frame.",
				run: func(s *session) {
					how.send(s, dataFrame(fin, frame.OpContinuation, f[1]), textFrame("Hello, world!"))
					s.expectFailure(fragmentationRule, 1002)
				},
			})
		}
	}
	cases = append(cases,
		Case{
			ID:          "5.15",
			Description: "A text message in 2 fragments, then a continuation frame with FIN clear and nothing to continue, then a text message (§5.4).",
			Expectation: "The first message is echoed, then the peer fails the connection with 1002. (Failing before the echo is NON-STRICT.)",
			run: func(s *session) {
				s.send(dataFrame(false, frame.OpText, f[0]), dataFrame(true, frame.OpContinuation, f[1]),
					dataFrame(false, frame.OpContinuation, f[2]), dataFrame(true, frame.OpText, f[3]))
				s.expectFailureAfter(fragmentationRule, []event{echoOf(frame.OpText, bytes.Join(f[:2], nil))}, 1002)
			},
			alone: true,
		},
		Case{
			ID:          "5.16",
			Description: "Twice: a continuation frame with FIN clear and nothing to continue, a text frame with FIN clear, a continuation with FIN set (§5.4).",
			Expectation: "The peer fails the connection with 1002 at the first frame.",
			run: func(s *session) {
				var frames []wireFrame
				for range 2 {
					frames = append(frames, dataFrame(false, frame.OpContinuation, f[0]), dataFrame(false, frame.OpText, f[1]), dataFrame(true, frame.OpContinuation, f[2]))
				}
				s.send(frames...)
				s.expectFailure(fragmentationRule, 1002)
			},
		},
		Case{
			ID:          "5.17",
			Description: "Twice: a continuation frame with FIN set and nothing to continue, a text frame with FIN clear, a continuation with FIN set (§5.4).",
			Expectation: "The peer fails the connection with 1002 at the first frame.",
			run: func(s *session) {
				var frames []wireFrame
				for range 2 {
					frames = append(frames, dataFrame(true, frame.OpContinuation, f[0]), dataFrame(false, frame.OpText, f[1]), dataFrame(true, frame.OpContinuation, f[2]))
				}
				s.send(frames...)
				s.expectFailure(fragmentationRule, 1002)
			},
		},
		Case{
			ID:          "5.18",
			Description: "A text frame with FIN clear, then another text frame, with FIN set, instead of a continuation (§5.4).",
			Expectation: "The peer fails the connection with 1002 at the second frame.",
			run: func(s *session) {
				s.send(dataFrame(false, frame.OpText, f[0]), dataFrame(true, frame.OpText, f[1]))
				s.expectFailure(fragmentationRule, 1002)
			},
		},
	)
	for i, how := range []sender{inOneWrite, frameWise} {
		cases = append(cases, Case{
			ID: fmt.Sprintf("5.%d", 19+i),
			Description: fmt.Sprintf("A text message in 5 fragments: 2 fragments and a ping; once its pong is back, 2 more fragments, a ping, the last fragment; %s (§5.4, §5.5.2).",
				how.how),
			Expectation: "The first pong arrives while the message is still incomplete, then the second pong, then the whole message; clean close.",
			run: func(s *session) {
				how.send(s, dataFrame(false, frame.OpText, f[0]), dataFrame(false, frame.OpContinuation, f[1]), pingFrame([]byte("pongme 1!")))
				// Autobahn waits a second here; waiting for the pong proves the same without the wait:
				// the peer answered the ping in the middle of a message it has not finished reading.
				s.expectPong([]byte("pongme 1!"))
				how.send(s, dataFrame(false, frame.OpContinuation, f[2]), dataFrame(false, frame.OpContinuation, f[3]),
					pingFrame([]byte("pongme 2!")), dataFrame(true, frame.OpContinuation, f[4]))
				s.expectPong([]byte("pongme 2!"))
				s.expectMessage(frame.OpText, bytes.Join(f, nil))
				s.closeNormally()
			},
		})
	}
	return append(cases,
		Case{
			ID:          "5.21",
			Description: "A binary message of 1000 bytes in 1000 fragments of 1 byte, in one write (§5.4). Beyond Autobahn.",
			Expectation: "The message is echoed whole; clean close.",
			run: func(s *session) {
				msg := patterned(1000)
				s.send(fragments(frame.OpBinary, msg, 1)...)
				s.expectMessage(frame.OpBinary, msg)
				s.closeNormally()
			},
		},
		Case{
			ID:          "5.22",
			Description: "A binary message of 40 bytes in 10 fragments of 4 bytes with a ping between each two, written one byte at a time (§5.4). Beyond Autobahn.",
			Expectation: "9 pongs in order, while the message is incomplete, then the message echoed whole; clean close.",
			run: func(s *session) {
				msg := patterned(40)
				frags := fragments(frame.OpBinary, msg, 4)
				var frames []wireFrame
				for i, fr := range frags {
					frames = append(frames, fr)
					if i < len(frags)-1 {
						frames = append(frames, pingFrame([]byte(fmt.Sprint(i))))
					}
				}
				s.sendChopped(1, frames...)
				for i := range len(frags) - 1 {
					ev := s.next()
					if ev.kind != evPong || string(ev.data) != fmt.Sprint(i) {
						s.failf("got %v, want the pong for ping %d", ev, i)
					}
				}
				s.notef("%d pongs in order", len(frags)-1)
				s.expectMessage(frame.OpBinary, msg)
				s.closeNormally()
			},
		},
	)
}

// onOff says "set" or "clear" for a bit.
func onOff(b bool) string {
	if b {
		return "set"
	}
	return "clear"
}

// patterned returns n bytes of a repeating pattern of all byte values, so that an echo that moves
// or drops bytes shows up.
func patterned(n int) []byte {
	p := make([]byte, n)
	for i := range p {
		p[i] = byte(i * 7)
	}
	return p
}
