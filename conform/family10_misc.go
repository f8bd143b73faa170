package conform

// Family 10: a peer that fragments messages its own way. §5.4: "An intermediary MAY change the
// fragmentation of a message" and a sender may fragment as it likes; a receiver must put any
// fragmentation back together.

import (
	"bytes"
	"math/rand/v2"

	"github.com/rfc6455/ws/frame"
)

func miscCases() []Case {
	return []Case{
		{
			ID:          "10.1.1",
			Description: "A text message of 65536 bytes fragmented into frames of 1300 bytes (§5.4).",
			Expectation: "The message is echoed whole; clean close.",
			run: func(s *session) {
				payload := bytes.Repeat([]byte{'*'}, 65536)
				s.send(fragments(frame.OpText, payload, 1300)...)
				s.expectMessage(frame.OpText, payload)
				s.closeNormally()
			},
		},
		{
			ID:          "10.1.2",
			Description: "A binary message of 65536 bytes in fragments of random sizes from 0 to 4000 bytes, written to TCP in chops of random sizes (§5.4). Beyond Autobahn.",
			Expectation: "The message is echoed whole; clean close.",
			run: func(s *session) {
				// A fixed seed: the same fragmentation on every run, so that results compare.
				rng := rand.New(rand.NewPCG(6455, 1))
				payload := patterned(65536)
				var frames []wireFrame
				for rest, first := payload, true; first || len(rest) > 0; first = false {
					n := min(rng.IntN(4001), len(rest))
					op := frame.OpContinuation
					if first {
						op = frame.OpBinary
					}
					frames = append(frames, dataFrame(n == len(rest), op, rest[:n]))
					rest = rest[n:]
				}
				var wire []byte
				for _, f := range frames {
					s.logFrame(f)
					wire = append(wire, s.rc.encode(f)...)
				}
				for len(wire) > 0 {
					n := min(1+rng.IntN(3000), len(wire))
					s.writeBytes(wire[:n], 0, 0)
					wire = wire[n:]
				}
				s.expectMessage(frame.OpBinary, payload)
				s.closeNormally()
			},
		},
	}
}
