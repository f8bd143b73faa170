package conform

// Family 9: limits and speed. Messages of 64 KiB to 16 MiB, whole, fragmented into frames of 64
// bytes to 4 MiB, and written to TCP in small chops; and thousands of small round trips. The RFC
// sets no size limit (§10.4 lets an endpoint choose one); these cases check that a peer handles
// large messages correctly, and record how long each case takes (Result.RoundTrip) so that runs
// can be compared. They run one at a time, after the other cases, so that the timings mean
// something.

import (
	"bytes"
	"fmt"
	"time"

	"github.com/rfc6455/ws/frame"
)

// Payload patterns of family 9, as Autobahn uses them: ASCII for text, arbitrary bytes for binary.
var (
	textPattern   = []byte("BAsd7&jh23")
	binaryPattern = []byte{0x00, 0xfe, 0x23, 0xfa, 0xf0}
)

// limitKinds are the two message types of family 9, in group order.
var limitKinds = []struct {
	op      frame.Opcode
	pattern []byte
}{{frame.OpText, textPattern}, {frame.OpBinary, binaryPattern}}

func limitsCases() []Case {
	var cases []Case
	add := func(c Case) {
		c.alone = true
		cases = append(cases, c)
	}
	// 9.1, 9.2: one message in one frame.
	for g, kind := range limitKinds {
		for i, size := range []int{64 << 10, 256 << 10, 1 << 20, 4 << 20, 8 << 20, 16 << 20} {
			payload := repeatTo(kind.pattern, size)
			add(timedEchoCase(fmt.Sprintf("9.%d.%d", 1+g, i+1),
				fmt.Sprintf("A %v message of %s in one frame (§5.2, §10.4).", kind.op, sizeString(size)),
				limitTimeout(size), kind.op, payload, fragments(kind.op, payload, size), 0))
		}
	}
	// 9.3, 9.4: 4 MiB in frames of 64 bytes to 4 MiB.
	for g, kind := range limitKinds {
		const size = 4 << 20
		payload := repeatTo(kind.pattern, size)
		for i, frameSize := range []int{64, 256, 1 << 10, 4 << 10, 16 << 10, 64 << 10, 256 << 10, 1 << 20, 4 << 20} {
			add(timedEchoCase(fmt.Sprintf("9.%d.%d", 3+g, i+1),
				fmt.Sprintf("A %v message of 4 MiB in frames of %s (§5.4, §10.4).", kind.op, sizeString(frameSize)),
				60*time.Second, kind.op, payload, fragments(kind.op, payload, frameSize), 0))
		}
	}
	// 9.5, 9.6: 1 MiB in one frame, written in chops of 64 to 2048 bytes.
	for g, kind := range limitKinds {
		const size = 1 << 20
		payload := repeatTo(kind.pattern, size)
		for i, chop := range []int{64, 128, 256, 512, 1024, 2048} {
			add(timedEchoCase(fmt.Sprintf("9.%d.%d", 5+g, i+1),
				fmt.Sprintf("A %v message of 1 MiB in one frame, written to TCP in chops of %d bytes (§5.2).", kind.op, chop),
				60*time.Second, kind.op, payload, fragments(kind.op, payload, size), chop))
		}
	}
	// 9.7, 9.8: 1000 round trips.
	for g, kind := range limitKinds {
		for i, size := range []int{0, 16, 64, 256, 1 << 10, 4 << 10} {
			payload := repeatTo(kind.pattern, size)
			add(Case{
				ID:          fmt.Sprintf("9.%d.%d", 7+g, i+1),
				Description: fmt.Sprintf("1000 %v messages of %s, each sent when the echo of the one before has come back (§5.6).", kind.op, sizeString(size)),
				Expectation: "Every message is echoed unchanged; clean close. The time of the 1000 round trips is recorded.",
				Timeout:     60 * time.Second,
				run: func(s *session) {
					const n = 1000
					start := time.Now()
					for range n {
						s.send(dataFrame(true, kind.op, payload))
						if _, ok := awaitEchoOrLimit(s, kind.op, payload); !ok {
							return
						}
					}
					s.roundTrip = time.Since(start)
					s.notef("%d echoes in %v, %v per round trip", n, s.roundTrip.Round(time.Microsecond), (s.roundTrip / n).Round(time.Microsecond))
					s.closeNormally()
				},
			})
		}
	}
	return cases
}

// timedEchoCase returns a case that sends frames (one message of type op with payload), written
// in chops of chop bytes, expects the message echoed and records the time from the first byte
// sent to the end of the echo.
func timedEchoCase(id, description string, timeout time.Duration, op frame.Opcode, payload []byte, frames []wireFrame, chop int) Case {
	return Case{
		ID:          id,
		Description: description,
		Expectation: fmt.Sprintf("The %v message is echoed unchanged; clean close. The round trip time is recorded.", op),
		Timeout:     timeout,
		run: func(s *session) {
			start := time.Now()
			s.sendChoppedFast(chop, frames...)
			ev, ok := awaitEchoOrLimit(s, op, payload)
			if !ok {
				return
			}
			s.roundTrip = time.Since(start)
			s.notef("echo: %v, round trip %v", ev, s.roundTrip.Round(time.Microsecond))
			s.closeNormally()
		},
	}
}

// awaitEchoOrLimit waits for the echo of a message of type op with payload, as awaitMessage does.
// A close frame with 1009 (too big) or 1008 (policy violation) in its place ends the case as
// INFORMATIONAL, with ok false: §10.4 lets an endpoint limit the size of messages (and ws, for
// one, limits their number of fragments), so the refusal is no fault; but the case then measures
// nothing, and the note says how the peer refused.
func awaitEchoOrLimit(s *session, op frame.Opcode, payload []byte) (ev event, ok bool) {
	ev = s.next()
	if ev.kind == evClose && (ev.code == 1008 || ev.code == 1009) {
		s.inform()
		s.notef("the peer refused the message with %v: a limit of its own, which §10.4 allows; raise it to run this case", ev)
		s.answerClose(ev)
		return ev, false
	}
	if ev.kind == evMessage && ev.op == op && bytes.Equal(ev.data, payload) {
		return ev, true
	}
	want := echoOf(op, payload)
	if ev.kind == evMessage {
		s.failf("want the echo, a %v; got %v%s", want, ev, difference(ev.data, payload))
	}
	s.failf("want the echo, a %v; got %v", want, ev)
	return ev, false
}

// limitTimeout is the time limit of a case that echoes size bytes: generous, for slow peers and
// the race detector.
func limitTimeout(size int) time.Duration {
	return 10*time.Second + time.Duration(size>>20)*3*time.Second
}

// sizeString formats a byte count as "64 KiB", "16 MiB" or "64 bytes".
func sizeString(n int) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}
