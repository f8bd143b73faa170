package conform

// Family 6: UTF-8 in text messages. §5.6: text is "interpreted as UTF-8", and §8.1: "When an
// endpoint is to interpret a byte stream as UTF-8 but finds that the byte stream is not, in fact,
// a valid UTF-8 stream, that endpoint MUST _Fail the WebSocket Connection_", with 1007 (§7.4.1).
// A text may be split anywhere, in the middle of a code point too, across fragments (§5.4).
//
// The best receivers fail fast: at the first byte that can never be part of valid UTF-8, not at
// the end of the message. Failing only at the end is allowed and judged NON-STRICT.

import (
	"encoding/hex"
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/rfc6455/ws/frame"
)

// utf8Rule names the rule the invalid cases of family 6 break.
const utf8Rule = "§8.1: invalid UTF-8"

// failFastWait is how long cases 6.4.3 and 6.4.4 give the peer to react to part of a frame, where
// no ping can be slipped in to find out whether it has (the bytes are inside one frame).
const failFastWait = time.Second

// helloUTF8 is a text with 2-byte code points: "Hello-µ@ßöäüàá-UTF-8!!".
const helloUTF8 = "Hello-\xc2\xb5@\xc3\x9f\xc3\xb6\xc3\xa4\xc3\xbc\xc3\xa0\xc3\xa1-UTF-8!!"

// invalidKosme is κόσμε, then U+D800 (a surrogate, ED A0 80), then "edited".
const invalidKosme = kosme + "\xed\xa0\x80" + "edited"

func utf8Cases() []Case {
	text := frame.OpText
	cases := []Case{
		{ID: "6.1.1", Description: "An empty text message (§5.6).", Expectation: "The empty message is echoed; clean close.",
			run: func(s *session) {
				s.send(textFrame(""))
				s.expectMessage(text, nil)
				s.closeNormally()
			}},
		{ID: "6.1.2", Description: "An empty text message in 3 empty fragments (§5.4, §5.6).", Expectation: "The empty message is echoed; clean close.",
			run: func(s *session) {
				s.send(dataFrame(false, text, nil), dataFrame(false, frame.OpContinuation, nil), dataFrame(true, frame.OpContinuation, nil))
				s.expectMessage(text, nil)
				s.closeNormally()
			}},
		{ID: "6.1.3", Description: "A text message in 3 fragments, the first and last empty (§5.4).", Expectation: "The middle fragment's text is echoed; clean close.",
			run: func(s *session) {
				const middle = "middle frame payload"
				s.send(dataFrame(false, text, nil), dataFrame(false, frame.OpContinuation, []byte(middle)), dataFrame(true, frame.OpContinuation, nil))
				s.expectMessage(text, []byte(middle))
				s.closeNormally()
			}},
		validTextCase("6.2.1", "Valid UTF-8 with 2-byte code points in one frame (§5.6).", []wireFrame{textFrame(helloUTF8)}, helloUTF8),
		validTextCase("6.2.2", "The text of 6.2.1 in 2 fragments split between code points (§5.4).",
			[]wireFrame{dataFrame(false, text, []byte(helloUTF8[:15])), dataFrame(true, frame.OpContinuation, []byte(helloUTF8[15:]))}, helloUTF8),
		validTextCase("6.2.3", "The text of 6.2.1 in fragments of 1 byte, most ending inside a code point (§5.4, §5.6).",
			fragments(text, []byte(helloUTF8), 1), helloUTF8),
		validTextCase("6.2.4", "κόσμε (2- and 3-byte code points) in fragments of 1 byte (§5.4, §5.6).",
			fragments(text, []byte(kosme), 1), kosme),
		{ID: "6.3.1", Description: "A text message with a surrogate, which is not UTF-8, in one frame: " + hexOf(invalidKosme) + " (§8.1).",
			Expectation: "The peer fails the connection with 1007.",
			run: func(s *session) {
				s.send(textFrame(invalidKosme))
				s.expectFailure(utf8Rule, 1007)
			}},
		{ID: "6.3.2", Description: "The text of 6.3.1 in fragments of 1 byte (§8.1).",
			Expectation: "The peer fails the connection with 1007.",
			run: func(s *session) {
				s.send(fragments(text, []byte(invalidKosme), 1)...)
				s.expectFailure(utf8Rule, 1007)
			}},
	}

	// 6.4: fail fast. The text is κόσμε, then F4 90 80 80 (U+110000, beyond Unicode: invalid at
	// its second byte, 0x90), then "edited".
	const tooBig = kosme + "\xf4\x90\x80\x80" + "edited"
	split41 := [3]int{len(kosme), len(kosme) + 4, len(tooBig)}     // the 4 bytes of U+110000 make part 2
	split42 := [3]int{len(kosme) + 1, len(kosme) + 2, len(tooBig)} // part 2 is the one bad byte, 0x90
	cases = append(cases,
		failFastFramesCase("6.4.1", "Invalid UTF-8 in 3 fragments: valid text, then a 4-byte sequence above U+10FFFF, then valid text (§8.1).", tooBig, split41),
		failFastFramesCase("6.4.2", "As 6.4.1, with the second fragment holding just the byte that makes the text invalid (§8.1).", tooBig, split42),
		failFastChopsCase("6.4.3", "The text of 6.4.1 in one frame written in 3 parts a second apart, the second holding the sequence above U+10FFFF (§8.1).", tooBig, split41),
		failFastChopsCase("6.4.4", "As 6.4.3, with the second part holding just the byte that makes the text invalid (§8.1).", tooBig, split42),
	)

	// 6.5–6.23: the test texts, each in one frame, as Autobahn sends them.
	groups := utf8Groups()
	for g, group := range groups {
		for i, t := range group.texts {
			id := fmt.Sprintf("6.%d.%d", g+5, i+1)
			if utf8.ValidString(t) {
				cases = append(cases, validTextCase(id,
					fmt.Sprintf("Valid UTF-8 in one frame: %s: %s (§5.6).", group.name, hexOf(t)), []wireFrame{textFrame(t)}, t))
				continue
			}
			cases = append(cases, Case{
				ID:          id,
				Description: fmt.Sprintf("Invalid UTF-8 in one frame: %s: %s (§8.1).", group.name, hexOf(t)),
				Expectation: "The peer fails the connection with 1007.",
				run: func(s *session) {
					s.send(textFrame(t))
					s.expectFailure(utf8Rule, 1007)
				},
			})
		}
	}

	// 6.24, beyond Autobahn: every valid text of a group of 6.5–6.23, split into 2 fragments at
	// each byte boundary in turn, and into fragments of 1 byte.
	n := 0
	for g, group := range groups {
		var valid []string
		for _, t := range group.texts {
			if utf8.ValidString(t) {
				valid = append(valid, t)
			}
		}
		if len(valid) == 0 {
			continue
		}
		n++
		cases = append(cases, Case{
			ID: fmt.Sprintf("6.24.%d", n),
			Description: fmt.Sprintf("The %d valid texts of 6.%d.* (%s), each split into 2 fragments at every byte boundary and into 1-byte fragments (§5.4, §5.6). Beyond Autobahn.",
				len(valid), g+5, group.name),
			Expectation: "Every message is echoed whole: a code point split between fragments is valid; clean close.",
			run: func(s *session) {
				var frames []wireFrame
				var want []string
				for _, t := range valid {
					for k := 1; k < len(t); k++ {
						frames = append(frames, dataFrame(false, text, []byte(t[:k])), dataFrame(true, frame.OpContinuation, []byte(t[k:])))
						want = append(want, t)
					}
					frames = append(frames, fragments(text, []byte(t), 1)...)
					want = append(want, t)
				}
				s.send(frames...)
				for _, t := range want {
					s.awaitMessage(text, []byte(t))
				}
				s.notef("%d messages echoed", len(want))
				s.closeNormally()
			},
		})
	}

	// 6.25, beyond Autobahn: every invalid text of 6.5–6.23 in 1-byte fragments, judged for fail-fast.
	n = 0
	for g, group := range groups {
		for i, t := range group.texts {
			if utf8.ValidString(t) {
				continue
			}
			n++
			cases = append(cases, failFastBytesCase(fmt.Sprintf("6.25.%d", n), fmt.Sprintf("6.%d.%d", g+5, i+1), group.name, t))
		}
	}
	return cases
}

// validTextCase returns a case that sends frames forming one valid text message and expects
// the text echoed.
func validTextCase(id, description string, frames []wireFrame, want string) Case {
	return Case{
		ID:          id,
		Description: description,
		Expectation: "The text is echoed unchanged; clean close.",
		run: func(s *session) {
			s.send(frames...)
			s.expectMessage(frame.OpText, []byte(want))
			s.closeNormally()
		},
	}
}

// failFastFramesCase returns a 6.4 case that sends text in 3 fragments ending at the offsets in
// split, of which the second makes the text invalid. After each fragment a ping checks whether the
// peer has failed the connection: it must not after the first, should after the second, and must
// after the third.
func failFastFramesCase(id, description, text string, split [3]int) Case {
	return Case{
		ID:          id,
		Description: description + " Parts: " + hexOf(text[:split[0]]) + " | " + hexOf(text[split[0]:split[1]]) + " | " + hexOf(text[split[1]:]) + ".",
		Expectation: "The peer accepts the first fragment and fails the connection with 1007 at the second (fail-fast); failing only at the third is NON-STRICT.",
		run: func(s *session) {
			s.send(dataFrame(false, frame.OpText, []byte(text[:split[0]])))
			// A ping may come between fragments (§5.4); its pong proves the peer read on.
			if ev, ok := s.barrier("after part 1"); !ok {
				s.failf("%v after the first fragment, which is valid UTF-8", ev)
			}
			s.send(dataFrame(false, frame.OpContinuation, []byte(text[split[0]:split[1]])))
			ev, ok := s.barrier("after part 2")
			if !ok {
				s.judgeFailure(ev, utf8Rule, []int{1007})
				return
			}
			s.nonStrictf("the peer answered a ping after the fragment that makes the text invalid (no fail-fast)")
			s.send(dataFrame(true, frame.OpContinuation, []byte(text[split[1]:])))
			s.expectFailure(utf8Rule, 1007)
		},
	}
}

// failFastChopsCase returns a 6.4 case that sends text in one frame written in 3 parts ending at
// the offsets in split, waiting failFastWait after each: a ping cannot show, inside a frame,
// whether the peer has read the part.
func failFastChopsCase(id, description, text string, split [3]int) Case {
	return Case{
		alone:       true,
		ID:          id,
		Description: description + " Parts: " + hexOf(text[:split[0]]) + " | " + hexOf(text[split[0]:split[1]]) + " | " + hexOf(text[split[1]:]) + ".",
		Expectation: fmt.Sprintf("The peer says nothing for %v after the first part and fails the connection with 1007 within %v of the second (fail-fast); failing only at the third is NON-STRICT.", failFastWait, failFastWait),
		run: func(s *session) {
			b := s.rc.encode(textFrame(text))
			header := len(b) - len(text)
			s.logf("sent the header and part 1 of a text frame of %d bytes", len(text))
			s.writeBytes(b[:header+split[0]], 0, 0)
			if ev := s.nextWithin(failFastWait); ev.kind != evTimeout {
				s.failf("%v after the first part, which is valid UTF-8", ev)
			}
			s.logf("sent part 2")
			s.writeBytes(b[header+split[0]:header+split[1]], 0, 0)
			switch ev := s.nextWithin(failFastWait); ev.kind {
			case evClose, evDrop:
				s.judgeFailure(ev, utf8Rule, []int{1007})
				return
			case evTimeout:
				s.nonStrictf("the peer did not fail the connection within %v of the part that makes the text invalid (no fail-fast)", failFastWait)
			default:
				s.failf("got %v after the part that makes the text invalid", ev)
			}
			s.logf("sent part 3")
			s.writeBytes(b[header+split[1]:], 0, 0)
			s.expectFailure(utf8Rule, 1007)
		},
	}
}

// failFastBytesCase returns a 6.25 case: the invalid text t of case source in fragments of 1 byte.
// A ping after the fragments that are still the beginning of valid UTF-8 must be answered; one
// after the first byte that can never be valid should not be (fail-fast); the whole message must
// fail the connection.
func failFastBytesCase(id, source, groupName, t string) Case {
	bad := firstBadByte([]byte(t))
	where := "only the end of the message shows it is invalid"
	if bad >= 0 {
		where = fmt.Sprintf("byte %d (%#02x) can never be valid", bad, t[bad])
	}
	return Case{
		ID:          id,
		Description: fmt.Sprintf("The invalid text of %s (%s: %s) in fragments of 1 byte; %s (§8.1). Beyond Autobahn.", source, groupName, hexOf(t), where),
		Expectation: "The peer fails the connection with 1007 at the first fragment that makes the text impossible (fail-fast), and answers pings before it; failing only at the end of the message is NON-STRICT.",
		run: func(s *session) {
			frags := fragments(frame.OpText, []byte(t), 1)
			if bad < 0 || bad == len(t)-1 {
				// Nothing to tell apart: the failure can only come with the final fragment.
				s.send(frags...)
				s.expectFailure(utf8Rule, 1007)
				return
			}
			if bad > 0 {
				s.send(frags[:bad]...)
				if ev, ok := s.barrier("valid so far"); !ok {
					s.failf("%v before the first invalid byte: %s is the beginning of valid UTF-8", ev, hexOf(t[:bad]))
				}
			}
			s.send(frags[bad])
			ev, ok := s.barrier("invalid now")
			if !ok {
				s.judgeFailure(ev, utf8Rule, []int{1007})
				return
			}
			s.nonStrictf("the peer answered a ping after byte %d, which can never be valid UTF-8 (no fail-fast)", bad)
			s.send(frags[bad+1:]...)
			s.expectFailure(utf8Rule, 1007)
		},
	}
}

// hexOf formats a text as hex bytes for a description, such as "0xcebae1bd".
func hexOf(s string) string {
	if s == "" {
		return "(empty)"
	}
	return "0x" + hex.EncodeToString([]byte(s))
}
