package conform

// Family 12: permessage-deflate (RFC 7692) with different payloads. Each case negotiates
// permessage-deflate with no parameters (context takeover both ways, 32 KiB windows), then sends
// messages cut one after the other from a corpus (corpus.go), each when the echo of the one before
// has come back, and checks every echo. Five corpora, from JSON that compresses very well to data
// that hardly compresses, and 18 message sizes each, from 16 bytes to 128 KiB, some cut into
// frames of 256 bytes to 32 KiB: Autobahn's groups 12.1–12.5 and its sizes.
//
// Family 13 (family13_compression.go) runs the same sizes with JSON under other parameters.
//
// The suite compresses its messages itself, with compress/flate, and inflates the peer's with its
// own decoder (inflate.go), which checks each back-reference against the window and the context
// takeover the peer agreed to. A peer without permessage-deflate, or that declines it, makes
// these cases INFORMATIONAL, as Autobahn makes them UNIMPLEMENTED.

import (
	"bytes"
	"fmt"
	"strings"
	"time"
)

// messageSize is the size of the messages of a compression case, and of the frames that their
// compressed payload is cut into (0: one frame per message).
type messageSize struct{ size, fragment int }

// compressionSizes are the sizes of the 18 cases of each group of families 12 and 13, Autobahn's.
var compressionSizes = []messageSize{
	{16, 0}, {64, 0}, {256, 0}, {1 << 10, 0}, {4 << 10, 0}, {8 << 10, 0}, {16 << 10, 0}, {32 << 10, 0}, {64 << 10, 0}, {128 << 10, 0},
	{8 << 10, 256}, {16 << 10, 256}, {32 << 10, 256}, {64 << 10, 256}, {128 << 10, 256},
	{128 << 10, 1 << 10}, {128 << 10, 4 << 10}, {128 << 10, 32 << 10},
}

// compressionBudget bounds what a compression case sends. Autobahn sends 1000 messages of every
// size, up to 128 MiB a case; the suite sends 1000 messages of up to 1 KiB, and fewer larger
// ones, about 1 MiB in all (at least 8 messages), which keeps a full run within seconds while
// every case still has many messages that may refer back into the ones before.
const compressionBudget = 1 << 20

// messageCount is how many messages of size bytes a compression case sends.
func messageCount(size int) int { return min(1000, max(8, compressionBudget/size)) }

// compressionTimeout is the time limit of a compression case: generous, for the race detector.
const compressionTimeout = 60 * time.Second

func compressionCases() []Case {
	corpora := newCorpora()
	var cases []Case
	for g, c := range corpora {
		for i, size := range compressionSizes {
			cases = append(cases, compressionCase(fmt.Sprintf("12.%d.%d", g+1, i+1), c, size, []deflateChoice{{}}, false))
		}
	}
	for g, group := range parameterGroups {
		for i, size := range compressionSizes {
			cases = append(cases, compressionCase(fmt.Sprintf("13.%d.%d", g+1, i+1), corpora[0], size, group.choices, group.beyondAutobahn))
		}
	}
	return cases
}

// compressionCase returns a case that negotiates choices and then exchanges messages of size
// cut from c.
func compressionCase(id string, c *corpus, size messageSize, choices []deflateChoice, beyondAutobahn bool) Case {
	count := messageCount(size.size)
	var d strings.Builder
	fmt.Fprintf(&d, "%d %v messages of %s of %s, compressed", count, c.op, sizeString(size.size), c.name)
	if size.fragment > 0 {
		fmt.Fprintf(&d, " and cut into frames of %s", sizeString(size.fragment))
	}
	fmt.Fprintf(&d, ", each sent when the echo of the one before has come back; permessage-deflate with %s (RFC 7692 §7).", describeChoices(choices))
	if beyondAutobahn {
		d.WriteString(" Beyond Autobahn.")
	}
	return Case{
		ID:          id,
		Description: d.String(),
		Expectation: "The peer accepts permessage-deflate with parameters that answer the offer (RFC 7692 §7.1) and echoes every message unchanged: " +
			"RSV1 only on the first frame of a compressed message (RFC 7692 §6.1), data that inflates, back-references within the window " +
			"and the context it agreed to (RFC 7692 §7.1.1, §7.1.2); clean close. A peer that does not take up permessage-deflate makes the case INFORMATIONAL.",
		Timeout: compressionTimeout,
		deflate: choices,
		run:     func(s *session) { exchangeCompressed(s, c, size, count) },
	}
}

// describeChoices describes the permessage-deflate configuration of a case.
func describeChoices(choices []deflateChoice) string {
	if len(choices) == 1 {
		return choices[0].String()
	}
	var parts []string
	for i, c := range choices {
		parts = append(parts, fmt.Sprintf("(%d) %s", i+1, c))
	}
	return "the first the peer takes of " + strings.Join(parts, "; ")
}

// exchangeCompressed is the body of every compression case: count messages of size, cut from c,
// each sent compressed and its echo awaited; a summary in the notes; the close handshake.
func exchangeCompressed(s *session, c *corpus, size messageSize, count int) {
	if s.rc.deflate.pmd == nil {
		s.inform()
		s.notef("no messages exchanged: without permessage-deflate the case has nothing to test (Autobahn calls this UNIMPLEMENTED)")
		s.closeNormally()
		return
	}
	if short := s.rc.deflate.short; short != "" {
		s.inform()
		s.notef("%s", short)
	}
	cut := c.cutter()
	var (
		sentWire, echoedBytes, echoWire, compressed int
		longest, intoBefore, referring              int
	)
	start := time.Now()
	for i := range count {
		msg := cut.next(size.size)
		sentWire += s.sendMessage(c.op, msg, size.fragment)
		ev := s.next()
		if ev.kind != evMessage || ev.op != c.op || !bytes.Equal(ev.data, msg) {
			detail := ""
			if ev.kind == evMessage {
				detail = difference(ev.data, msg)
			}
			s.failf("message %d of %d: want the echo, a %v; got %v%s", i+1, count, echoOf(c.op, msg), ev, detail)
		}
		echoedBytes += len(ev.data)
		if ev.compressed {
			compressed++
			echoWire += ev.wire
			longest = max(longest, ev.refs.longest)
			if ev.refs.intoBefore > 0 {
				referring++
				intoBefore = max(intoBefore, ev.refs.intoBefore)
			}
		} else {
			echoWire += len(ev.data)
		}
	}
	s.roundTrip = time.Since(start)
	s.notef("%d messages echoed in %v; the suite sent %d bytes on the wire for %d", count, s.roundTrip.Round(time.Millisecond), sentWire, count*size.size)
	if compressed == 0 {
		s.notef("the peer compressed none of its echoes (RFC 7692 lets it send any message uncompressed)")
	} else {
		s.notef("the peer compressed %d of %d echoes, %d bytes on the wire for %d", compressed, count, echoWire, echoedBytes)
		refs := "it used no back-references"
		if longest > 0 {
			refs = fmt.Sprintf("its back-references reached up to %d bytes back, in a window of %d", longest, s.rc.deflate.pmd.in.window)
		}
		if referring > 0 {
			refs += fmt.Sprintf("; %d of its messages referred into earlier ones, up to %d bytes before their start", referring, intoBefore)
		}
		s.notef("%s", refs)
	}
	s.closeNormally()
}
