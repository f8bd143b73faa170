package conform

// Family 2: pings and pongs (§5.5.2, §5.5.3). A ping is answered by a pong with the same
// payload; a control frame holds at most 125 bytes (§5.5); an unsolicited pong is ignored.

import (
	"bytes"
	"fmt"

	"github.com/rfc6455/ws/frame"
)

func pingPongCases() []Case {
	binaryPayload := []byte{0x00, 0xff, 0xfe, 0xfd, 0xfc, 0xfb, 0x00, 0xff}
	max := bytes.Repeat([]byte{0xfe}, 125)
	return []Case{
		pingCase("2.1", "A ping without payload (§5.5.2).", nil, 0),
		pingCase("2.2", "A ping with a short text payload (§5.5.2).", []byte("Hello, world!"), 0),
		pingCase("2.3", "A ping with a short binary payload, not UTF-8 (§5.5.2).", binaryPayload, 0),
		pingCase("2.4", "A ping with a binary payload of 125 bytes, the most a control frame holds (§5.5).", max, 0),
		{
			ID:          "2.5",
			Description: "A ping with a binary payload of 126 bytes (§5.5: control frames carry at most 125).",
			Expectation: "The peer fails the connection with 1002 and sends no pong.",
			run: func(s *session) {
				s.send(pingFrame(bytes.Repeat([]byte{0xfe}, 126)))
				s.expectFailure("§5.5: control frame of 126 bytes", 1002)
			},
		},
		pingCase("2.6", "A ping of 125 bytes written to TCP one byte at a time (§5.5.2).", max, 1),
		{
			ID:          "2.7",
			Description: "An unsolicited pong without payload (§5.5.3: allowed, as a unidirectional heartbeat).",
			Expectation: "The peer sends nothing in response; clean close.",
			run: func(s *session) {
				s.send(pongFrame(nil))
				s.closeNormally()
			},
		},
		{
			ID:          "2.8",
			Description: "An unsolicited pong with payload (§5.5.3).",
			Expectation: "The peer sends nothing in response; clean close.",
			run: func(s *session) {
				s.send(pongFrame([]byte("unsolicited pong payload")))
				s.closeNormally()
			},
		},
		{
			ID:          "2.9",
			Description: "An unsolicited pong with payload, then a ping with payload (§5.5.3).",
			Expectation: "A pong for the ping only, with its payload; clean close.",
			run: func(s *session) {
				s.send(pongFrame([]byte("unsolicited pong payload")), pingFrame([]byte("ping payload")))
				s.expectPong([]byte("ping payload"))
				s.closeNormally()
			},
		},
		pingBurstCase("2.10", "Ten pings with distinct payloads in one write (§5.5.3).", 0),
		pingBurstCase("2.11", "Ten pings with distinct payloads, written to TCP one byte at a time (§5.5.3).", 1),
	}
}

// pingCase returns a case that sends one ping, written in chops of chop bytes, and expects its
// pong.
func pingCase(id, description string, payload []byte, chop int) Case {
	return Case{
		ID:          id,
		Description: description,
		Expectation: "A pong with the same payload (§5.5.3: \"identical Application data\"); clean close.",
		run: func(s *session) {
			s.sendChopped(chop, pingFrame(payload))
			s.expectPong(payload)
			s.closeNormally()
		},
	}
}

// pingBurstCase returns a case that sends ten pings back to back. §5.5.3: an endpoint that has
// not yet answered earlier pings "MAY elect to send a Pong frame for only the most recently
// processed Ping frame", so the pongs must answer the pings in order, skipping any but the last.
// (Autobahn wants every pong; answering each ping is what most endpoints do, and is OK here too.)
func pingBurstCase(id, description string, chop int) Case {
	return Case{
		ID:          id,
		Description: description,
		Expectation: "Pongs with the pings' payloads in order: for each ping, or for some of them ending with the last (§5.5.3); clean close.",
		run: func(s *session) {
			const n = 10
			var pings []wireFrame
			for i := 1; i <= n; i++ {
				pings = append(pings, pingFrame([]byte(fmt.Sprintf("payload-%d", i))))
			}
			s.sendChopped(chop, pings...)
			answered := 0 // pings 1..answered have been answered or skipped
			for answered < n {
				ev := s.next()
				if ev.kind != evPong {
					s.failf("got %v after %d of %d pings were answered; want the pong for ping %d", ev, answered, n, n)
				}
				var i int
				if _, err := fmt.Sscanf(string(ev.data), "payload-%d", &i); err != nil || i <= answered || i > n ||
					string(ev.data) != fmt.Sprintf("payload-%d", i) {
					s.failf("got %v after the pong for ping %d; pongs must answer later pings, in order (§5.5.3)", ev, answered)
				}
				answered = i
			}
			if got := s.rc.receivedCounts()[frame.OpPong.String()]; got == n {
				s.notef("a pong for each of the %d pings", n)
			} else {
				s.notef("%d pongs for %d pings, the last one answered (§5.5.3 allows skipping)", got, n)
			}
			s.closeNormally()
		},
	}
}
