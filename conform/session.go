package conform

// A session runs one case on one connection. Cases are written as plain sequences of sends and
// expectations; a failed expectation ends the case at once (like testing.T.FailNow), so a case
// reads from top to bottom as the story of a conforming exchange.

import (
	"bytes"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/rfc6455/ws/frame"
)

// Log sizes: a case keeps the first logHead entries and the last logTail, so that a case of
// thousands of frames still shows how it began and how it ended.
const (
	logHead = 80
	logTail = 40
)

// session is the state of one case while it runs.
type session struct {
	rc       *rawConn
	start    time.Time
	deadline time.Time
	timeout  time.Duration

	verdict       Verdict  // the worst verdict found so far; "" means OK so far
	informational bool     // the case only records what happens
	notes         []string // observations, in order: they become Result.Observed

	log     []string // the first logHead entries
	tail    []string // the latest entries after those, at most logTail
	dropped int      // entries neither in log nor in tail

	writeErr  error  // the first write error; later writes are skipped
	closeSent bool   // the suite has sent a close frame
	ended     *event // the event that ended the connection, once it came
	closeCode int    // the status code of the peer's close frame
	roundTrip time.Duration
}

// play runs case c on rc, a connection whose opening handshake is done, and returns the result.
// The case must be over by deadline; play closes the connection when it is.
func play(c Case, rc *rawConn, start, deadline time.Time) Result {
	s := &session{rc: rc, start: start, deadline: deadline, timeout: deadline.Sub(start)}
	s.notes = append(s.notes, rc.deflate.notes...) // what the handshake negotiated, in compression cases
	// Every wait of a case ends at its deadline, and every write has the deadline too; this only
	// guards against a case that forgets.
	guard := time.AfterFunc(time.Until(deadline)+time.Second, func() { rc.nc.Close() })
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer func() {
			if r := recover(); r != nil {
				s.verdict = Failed
				s.notes = append(s.notes, fmt.Sprintf("suite bug: panic: %v", r))
			}
		}()
		if c.run == nil {
			s.failf("the case has no behaviour: cases come from Cases")
		}
		c.run(s)
	}()
	<-done
	guard.Stop()
	rc.close()
	return s.result(c)
}

// result turns the session's findings into a Result.
func (s *session) result(c Case) Result {
	verdict := OK
	switch {
	case s.verdict == Failed:
		verdict = Failed
	case s.informational:
		verdict = Informational
	case s.verdict != "":
		verdict = s.verdict
	}
	log := s.log
	if s.dropped > 0 {
		log = append(log, fmt.Sprintf("… %d entries not shown …", s.dropped))
	}
	log = append(log, s.tail...)
	return Result{
		ID:          c.ID,
		Description: c.Description,
		Expectation: c.Expectation,
		Verdict:     verdict,
		Observed:    strings.Join(s.notes, "; "),
		CloseCode:   s.closeCode,
		Duration:    time.Since(s.start),
		RoundTrip:   s.roundTrip,
		Received:    s.rc.receivedCounts(),
		Log:         log,
	}
}

// ---- Verdicts and notes --------------------------------------------------------------------------

// notef records an observation.
func (s *session) notef(format string, args ...any) {
	s.notes = append(s.notes, fmt.Sprintf(format, args...))
}

// failf records why the case failed and ends it.
func (s *session) failf(format string, args ...any) {
	s.verdict = Failed
	s.notef("FAILED: "+format, args...)
	s.logf("FAILED: "+format, args...)
	runtime.Goexit()
}

// nonStrictf records behaviour that the RFC allows but that is not the best, and goes on.
func (s *session) nonStrictf(format string, args ...any) {
	s.verdict = worse(s.verdict, NonStrict)
	s.notef("NON-STRICT: "+format, args...)
}

// inform marks the case as one that only records what the peer does.
func (s *session) inform() { s.informational = true }

// logf adds an entry to the case's log, prefixed with the time since the case began.
func (s *session) logf(format string, args ...any) {
	entry := fmt.Sprintf("%7.1fms ", float64(time.Since(s.start).Microseconds())/1000) + fmt.Sprintf(format, args...)
	switch {
	case len(s.log) < logHead:
		s.log = append(s.log, entry)
	case len(s.tail) < logTail:
		s.tail = append(s.tail, entry)
	default:
		copy(s.tail, s.tail[1:])
		s.tail[len(s.tail)-1] = entry
		s.dropped++
	}
}

// ---- Sending -------------------------------------------------------------------------------------

// send writes frames to the peer in a single write.
func (s *session) send(frames ...wireFrame) { s.writeBytes(s.encodeAll(frames), 0, 0) }

// sendMessage writes a data message in one write: compressed when permessage-deflate is in
// force (RFC 7692 §7.2.1), with RSV1 on its first frame only (RFC 7692 §6.1), and fragmented into
// frames of at most fragment bytes of (compressed) payload, 0 meaning a single frame. It returns
// the payload's size on the wire.
func (s *session) sendMessage(op frame.Opcode, payload []byte, fragment int) int {
	wire, rsv := payload, uint8(0)
	if pmd := s.rc.deflate.pmd; pmd != nil {
		wire, rsv = pmd.out.compress(payload), frame.Rsv1
	}
	if fragment <= 0 {
		fragment = max(len(wire), 1)
	}
	frames := fragments(op, wire, fragment)
	frames[0].Rsv = rsv
	s.send(frames...)
	return len(wire)
}

// sendEach writes each frame in a write of its own ("frame-wise chops").
func (s *session) sendEach(frames ...wireFrame) {
	for _, f := range frames {
		s.send(f)
	}
}

// chopPause is the pause between the writes of sendChopped. Writing chops back to back, the peer
// may well read several in one go; the pause makes each chop a read of its own, as Autobahn's
// chopped writes (each flushed in a turn of its event loop) do.
const chopPause = 100 * time.Microsecond

// sendChopped writes the frames' bytes in writes of chop bytes each ("octet-wise chops" for 1),
// chopPause apart, so that the peer reads the stream cut in the middle of headers and payloads.
func (s *session) sendChopped(chop int, frames ...wireFrame) {
	s.writeBytes(s.encodeAll(frames), chop, chopPause)
}

// sendChoppedFast is sendChopped without the pauses, for cases that measure throughput (family 9).
func (s *session) sendChoppedFast(chop int, frames ...wireFrame) {
	s.writeBytes(s.encodeAll(frames), chop, 0)
}

// encodeAll logs frames as sent and returns their wire form, one after the other.
func (s *session) encodeAll(frames []wireFrame) []byte {
	var b []byte
	for _, f := range frames {
		s.logFrame(f)
		if f.Op == frame.OpClose {
			s.closeSent = true
		}
		b = append(b, s.rc.encode(f)...)
	}
	return b
}

// writeBytes writes raw bytes to the peer in writes of chop bytes (all at once for chop <= 0),
// pausing pause between writes. A write error is logged, not judged: a peer that fails the
// connection may close it while the suite is still sending, and what the peer sent before is what
// counts. After an error the session writes nothing more.
func (s *session) writeBytes(b []byte, chop int, pause time.Duration) {
	if s.writeErr != nil {
		return
	}
	s.rc.nc.SetWriteDeadline(s.deadline)
	if err := s.rc.write(b, chop, pause); err != nil {
		s.writeErr = err
		s.logf("write failed: %v", err)
	}
}

// logFrame logs a frame the suite sends.
func (s *session) logFrame(f wireFrame) {
	var flags []string
	if f.Fin {
		flags = append(flags, "fin")
	}
	if f.Rsv != 0 {
		flags = append(flags, fmt.Sprintf("rsv=%03b", f.Rsv))
	}
	if f.Mask == maskWrong {
		flags = append(flags, "wrong-mask")
	}
	switch f.Length {
	case lengthAs64:
		flags = append(flags, "length-as-64-bit")
	case lengthTopBitSet:
		flags = append(flags, "length-top-bit-set")
	}
	s.logf("sent %v %s len=%d%s", f.Op, strings.Join(flags, " "), len(f.Payload), preview(f.Payload))
}

// ---- Receiving -----------------------------------------------------------------------------------

// next returns the next thing the peer did, waiting until the case's deadline at most; evTimeout
// means nothing came. A ping from the peer is answered with a pong (§5.5.2) and not returned.
// Once the connection has ended, next returns that end again at once.
func (s *session) next() event { return s.nextBefore(s.deadline) }

// nextWithin is next waiting at most d.
func (s *session) nextWithin(d time.Duration) event {
	t := time.Now().Add(d)
	if t.After(s.deadline) {
		t = s.deadline
	}
	return s.nextBefore(t)
}

// nextBefore is next waiting until t.
func (s *session) nextBefore(t time.Time) event {
	if s.ended != nil {
		return *s.ended
	}
	timer := time.NewTimer(time.Until(t))
	defer timer.Stop()
	for {
		select {
		case ev := <-s.rc.events:
			s.logf("received %v", ev)
			switch ev.kind {
			case evPing:
				if !s.closeSent {
					s.send(pongFrame(ev.data))
				}
				continue
			case evClose:
				s.closeCode = ev.code
			case evDrop:
				s.ended = &ev
			}
			return ev
		case <-timer.C:
			return event{kind: evTimeout}
		}
	}
}

// awaitMessage waits for the peer's next message and fails the case unless it is of type op
// with exactly payload. It notes nothing, for cases that exchange many messages.
func (s *session) awaitMessage(op frame.Opcode, payload []byte) event {
	ev := s.next()
	if ev.kind == evMessage && ev.op == op && bytes.Equal(ev.data, payload) {
		return ev
	}
	want := event{kind: evMessage, op: op, data: payload}
	if ev.kind == evMessage {
		s.failf("want the echo, a %v; got %v%s", want, ev, difference(ev.data, payload))
	}
	s.failf("want the echo, a %v; got %v", want, ev)
	return ev
}

// expectMessage is awaitMessage, noting the echo.
func (s *session) expectMessage(op frame.Opcode, payload []byte) {
	ev := s.awaitMessage(op, payload)
	s.notef("echo: %v", ev)
}

// expectPong waits for a pong with exactly payload (§5.5.3: "identical Application data").
func (s *session) expectPong(payload []byte) {
	ev := s.next()
	if ev.kind != evPong || !bytes.Equal(ev.data, payload) {
		s.failf("want a pong of %d bytes%s (§5.5.2); got %v", len(payload), preview(payload), ev)
	}
	s.notef("%v", ev)
}

// difference says where two payloads differ, for a verdict.
func difference(got, want []byte) string {
	if len(got) != len(want) {
		return fmt.Sprintf(" (%d bytes instead of %d)", len(got), len(want))
	}
	for i := range got {
		if got[i] != want[i] {
			return fmt.Sprintf(" (first difference at byte %d: %#02x instead of %#02x)", i, got[i], want[i])
		}
	}
	return ""
}

// barrier sends a ping and waits for its pong. Since an endpoint handles frames in order and
// answers a ping "as soon as is practical" (§5.5.2), the pong proves that the peer has processed
// everything sent before the ping without failing the connection; ok is false, with the event
// that came instead, when the peer closed the connection. Pings may be sent between the
// fragments of a message (§5.4), so a barrier can stand anywhere between frames.
func (s *session) barrier(payload string) (ev event, ok bool) {
	s.send(pingFrame([]byte(payload)))
	ev = s.next()
	switch ev.kind {
	case evPong:
		if string(ev.data) != payload {
			s.failf("got %v, want the pong for ping %q (§5.5.2)", ev, payload)
		}
		return ev, true
	case evClose, evDrop:
		return ev, false
	case evTimeout:
		s.failf("no pong for ping %q within %v (§5.5.2)", payload, s.timeout)
	}
	s.failf("got %v, want the pong for ping %q", ev, payload)
	return ev, false
}

// ---- Ending a case -------------------------------------------------------------------------------

// closeNormally ends a case whose exchanges went as expected: the suite starts the close
// handshake with 1000 (§7.1.2) and wants 1000 or no code back, and nothing before it, which also
// proves that the peer had nothing else to say: it handles frames in order.
func (s *session) closeNormally() { s.closeWith(closePayload(1000, ""), 1000) }

// closeWith sends a close frame with the given payload and expects the peer's close reply with
// one of codes, or with no code (§5.5.1: the reply "typically echos the status code it received").
func (s *session) closeWith(payload []byte, codes ...int) {
	s.send(closeFrame(payload))
	s.expectCloseReply(codes...)
}

// expectCloseReply waits for the peer's answer to the close frame the suite sent.
func (s *session) expectCloseReply(codes ...int) {
	ev := s.next()
	switch ev.kind {
	case evClose:
		if ev.code != 0 && !slices.Contains(codes, ev.code) {
			s.failf("the close reply carried %d, want %s", ev.code, codesString(codes))
		}
		s.notef("close handshake: %v", ev)
		s.expectTCPClose()
		return
	case evTimeout:
		s.failf("no close frame in reply within %v (§5.5.1: the peer MUST answer a close frame with one)", s.timeout)
	case evDrop:
		s.failf("%v without answering the close frame (§5.5.1, §7.1.2)", ev)
	case evViolation:
		s.failf("%v", ev)
	}
	s.failf("got %v where the close reply was expected", ev)
}

// expectTCPClose waits, when the suite is testing a server, for the server to close the TCP
// connection after the close handshake: §7.1.1 "the underlying TCP connection, in most normal
// cases, SHOULD be closed first by the server". A server that leaves it open is NON-STRICT. When
// the suite is the server, it closes the connection itself as the case ends.
func (s *session) expectTCPClose() {
	if !s.rc.client {
		return
	}
	ev := s.next()
	switch ev.kind {
	case evDrop:
		s.notef("the server closed TCP")
	case evTimeout:
		s.nonStrictf("the server did not close the TCP connection after the close handshake (§7.1.1: it should close first)")
	default:
		s.failf("got %v after the close frames (§5.5.1: nothing may follow a close frame)", ev)
	}
}

// expectFailure waits for the peer to fail the connection (§7.1.7) because of what the case sent
// last, for breaking rule (such as "§5.2: reserved bits"). Nothing may arrive before. See
// judgeFailure for the verdict.
func (s *session) expectFailure(rule string, codes ...int) { s.expectFailureAfter(rule, nil, codes...) }

// expectFailureAfter is expectFailure for cases that send valid messages before the bad frame, as
// Autobahn judges them: OK when exactly the events in echoes arrive before the failure; NON-STRICT
// when none arrives (the peer failed before echoing what it had received intact); FAILED otherwise.
func (s *session) expectFailureAfter(rule string, echoes []event, codes ...int) {
	got := 0
	for {
		ev := s.next()
		switch ev.kind {
		case evClose, evDrop:
			switch {
			case got == len(echoes):
			case got == 0:
				s.nonStrictf("the peer failed the connection without first echoing the valid message sent before the bad frame")
			default:
				s.failf("the peer failed the connection after %d of the %d echoes expected first", got, len(echoes))
			}
			s.judgeFailure(ev, rule, codes)
			return
		case evTimeout:
			s.failf("the peer did not fail the connection within %v (%s)", s.timeout, rule)
		case evViolation:
			s.failf("%v", ev)
		}
		if got < len(echoes) && sameEvent(ev, echoes[got]) {
			got++
			s.notef("echo: %v", ev)
			continue
		}
		s.failf("got %v; the peer should have failed the connection (%s)", ev, rule)
	}
}

// judgeFailure judges ev, the close frame or TCP close with which the peer failed the connection.
// §7.1.7: the endpoint "SHOULD send a Close frame with an appropriate status code" before closing,
// so a close frame with one of codes is OK, and so (as in Autobahn) are a close frame without a
// code and a TCP close without a close frame; a close frame with another code is FAILED.
func (s *session) judgeFailure(ev event, rule string, codes []int) {
	switch {
	case ev.kind == evDrop:
		s.notef("the peer closed TCP without a close frame (allowed when failing the connection, §7.1.7)")
		return
	case ev.code == 0:
		s.notef("failed the connection with a close frame without a status code (%s expected)", codesString(codes))
	case slices.Contains(codes, ev.code):
		s.notef("failed the connection with close %d", ev.code)
	default:
		s.failf("failed the connection with close %d, want %s (%s)", ev.code, codesString(codes), rule)
	}
	s.answerClose(ev)
}

// answerClose completes a close handshake that the peer started: unless the suite has sent a
// close frame already, it sends the one §5.5.1 requires in response, echoing the peer's code;
// then it expects the TCP close.
func (s *session) answerClose(ev event) {
	if !s.closeSent {
		var payload []byte
		if ev.code != 0 {
			payload = closePayload(ev.code, "")
		}
		s.send(closeFrame(payload))
	}
	s.expectTCPClose()
}

// observe records, without judging, what the peer does until the connection ends: for
// INFORMATIONAL cases. It answers a close frame as answerClose does.
func (s *session) observe() {
	for {
		ev := s.next()
		switch ev.kind {
		case evTimeout:
			s.notef("nothing more within %v", s.timeout)
			return
		case evDrop:
			s.notef("%v", ev)
			return
		case evClose:
			s.notef("%v", ev)
			if !s.closeSent {
				var payload []byte
				if ev.code != 0 && validCloseCode(ev.code) {
					payload = closePayload(ev.code, "")
				}
				s.send(closeFrame(payload))
			}
			if !s.rc.client {
				return
			}
		default:
			s.notef("%v", ev)
		}
	}
}

// sameEvent reports whether got is the message or pong that want describes.
func sameEvent(got, want event) bool {
	return got.kind == want.kind && got.op == want.op && bytes.Equal(got.data, want.data)
}

// echoOf is the event of the echo of a message.
func echoOf(op frame.Opcode, payload []byte) event {
	return event{kind: evMessage, op: op, data: payload}
}

// codesString formats the acceptable close codes, such as "1002" or "1002 or 1007".
func codesString(codes []int) string {
	var parts []string
	for _, c := range codes {
		parts = append(parts, fmt.Sprint(c))
	}
	return strings.Join(parts, " or ")
}
