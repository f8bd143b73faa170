package conn

// Black-box tests of the server side: a raw client (rawpeer_test.go) sends hand-made bytes over
// TCP to an echo server built on Upgrade, and each case checks what comes back on the wire —
// echoes, pongs, the close frame and its code — and that the server closes TCP. One table per
// family of RFC 6455 rules; every case name starts with the section it checks.

import (
	"errors"
	"fmt"
	"net/http"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/rfc6455/ws/frame"
	"github.com/rfc6455/ws/handshake"
)

// wireFrame is a frame the server must send: a final frame of type op with payload.
type wireFrame struct {
	op      frame.Opcode
	payload string
}

func wantText(s string) wireFrame   { return wireFrame{frame.OpText, s} }
func wantBinary(s string) wireFrame { return wireFrame{frame.OpBinary, s} }
func wantPong(s string) wireFrame   { return wireFrame{frame.OpPong, s} }

// serverCase is one exchange with the echo server.
type serverCase struct {
	name string          // starts with the RFC section the case checks
	opts *UpgradeOptions // nil: the defaults

	send          []byte // bytes written after the handshake, in one write
	withHandshake bool   // write send in the same write as the handshake request instead
	byteByByte    bool   // write send one byte per write

	want []wireFrame // frames the server must answer with, in this order, before anything else

	// How the exchange ends. fail: the server must fail the connection (§7.1.7) with a close
	// frame of this code, its read returning a *frame.ProtocolError. closed: send ended with a
	// close frame, which the server must answer with this code (§5.5.1), its read returning a
	// *CloseError. Neither: send was fine; the test then closes with 1000 and wants 1000 back.
	fail   frame.CloseCode
	closed frame.CloseCode
}

func runServerCases(t *testing.T, cases []serverCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) { runServerCase(t, tc) })
	}
}

func runServerCase(t *testing.T, tc serverCase) {
	s := startEchoServer(t, tc.opts)
	var c *rawClient
	switch {
	case tc.withHandshake:
		c = s.dial(t, tc.send)
	case tc.byteByByte:
		c = s.dial(t, nil)
		c.writeByteByByte(t, tc.send)
	default:
		c = s.dial(t, nil)
		c.write(t, tc.send)
	}
	for _, f := range tc.want {
		c.expectFrame(t, f.op, f.payload)
	}
	switch {
	case tc.fail != 0:
		c.expectClose(t, tc.fail)
		s.expectFailure(t, tc.fail)
	case tc.closed != 0:
		c.expectClose(t, tc.closed)
		s.expectPeerClose(t, tc.closed)
	default:
		c.write(t, closeFrame(frame.CloseNormal, ""))
		c.expectClose(t, frame.CloseNormal)
		s.expectPeerClose(t, frame.CloseNormal)
	}
}

// TestServerFrameHeaderRules covers the rules a single frame header must obey: masking (§5.1),
// the reserved bits and opcodes and the length encoding (§5.2), and the limits on control frames
// (§5.5). Each violation fails the connection with 1002.
func TestServerFrameHeaderRules(t *testing.T) {
	unmasked := func(op frame.Opcode, payload string) []byte {
		return appendFrame(nil, frame.Header{Fin: true, Op: op, Length: int64(len(payload))}, []byte(payload))
	}
	// A 64-bit length with the most significant bit set: 0x8000000000000000.
	topBit := []byte{0x82, 0x80 | 127, 0x80, 0, 0, 0, 0, 0, 0, 0}
	key := testKey()
	topBit = append(topBit, key[:]...)
	long := strings.Repeat("x", 126)

	cases := []serverCase{
		{name: "§5.1 unmasked text frame", send: unmasked(frame.OpText, "hello"), fail: frame.CloseProtocolError},
		{name: "§5.1 unmasked ping", send: unmasked(frame.OpPing, "p"), fail: frame.CloseProtocolError},
		{name: "§5.1 unmasked close", send: unmasked(frame.OpClose, string(codePayload(1000, ""))), fail: frame.CloseProtocolError},
		{name: "§5.1 unmasked frame after a valid message", send: cat(textFrame("ok"), unmasked(frame.OpText, "bad")),
			want: []wireFrame{wantText("ok")}, fail: frame.CloseProtocolError},
		{name: "§5.1 masked frames are accepted", send: textFrame("masked"), want: []wireFrame{wantText("masked")}},

		{name: "§5.2 RSV1 set", send: clientFrame(true, frame.Rsv1, frame.OpText, "x"), fail: frame.CloseProtocolError},
		{name: "§5.2 RSV2 set", send: clientFrame(true, frame.Rsv2, frame.OpText, "x"), fail: frame.CloseProtocolError},
		{name: "§5.2 RSV3 set", send: clientFrame(true, frame.Rsv3, frame.OpText, "x"), fail: frame.CloseProtocolError},
		{name: "§5.2 RSV1 set after a valid message", send: cat(textFrame("first"), clientFrame(true, frame.Rsv1, frame.OpBinary, "x")),
			want: []wireFrame{wantText("first")}, fail: frame.CloseProtocolError},
		{name: "§5.2 RSV2 set on a ping", send: clientFrame(true, frame.Rsv2, frame.OpPing, "p"), fail: frame.CloseProtocolError},
		{name: "§5.2 RSV3 set on a continuation", send: cat(clientFrame(false, 0, frame.OpText, "a"), clientFrame(true, frame.Rsv3, frame.OpContinuation, "b")),
			fail: frame.CloseProtocolError},

		{name: "§5.2 64-bit length with the most significant bit set", send: topBit, fail: frame.CloseProtocolError},

		{name: "§5.5 ping with a payload of 126 bytes", send: clientFrame(true, 0, frame.OpPing, long), fail: frame.CloseProtocolError},
		{name: "§5.5 pong with a payload of 126 bytes", send: clientFrame(true, 0, frame.OpPong, long), fail: frame.CloseProtocolError},
		{name: "§5.5 close with a payload of 126 bytes", send: closePayloadFrame(codePayload(1000, long[:124])), fail: frame.CloseProtocolError},
		{name: "§5.5 fragmented ping (FIN clear)", send: clientFrame(false, 0, frame.OpPing, "p"), fail: frame.CloseProtocolError},
		{name: "§5.5 fragmented pong (FIN clear)", send: clientFrame(false, 0, frame.OpPong, "p"), fail: frame.CloseProtocolError},
		{name: "§5.5 fragmented close (FIN clear)", send: clientFrame(false, 0, frame.OpClose, string(codePayload(1000, ""))), fail: frame.CloseProtocolError},
		{name: "§5.5 fragmented ping inside a fragmented message", send: cat(clientFrame(false, 0, frame.OpText, "a"), clientFrame(false, 0, frame.OpPing, "p")),
			fail: frame.CloseProtocolError},
	}
	for _, op := range []frame.Opcode{3, 4, 5, 6, 7, 0xB, 0xC, 0xD, 0xE, 0xF} {
		cases = append(cases, serverCase{
			name: fmt.Sprintf("§5.2 reserved opcode %#x", uint8(op)),
			send: clientFrame(true, 0, op, "x"),
			fail: frame.CloseProtocolError,
		})
	}
	cases = append(cases, serverCase{
		name: "§5.2 reserved opcode 0x3 inside a fragmented message",
		send: cat(clientFrame(false, 0, frame.OpText, "a"), clientFrame(true, 0, 3, "x")),
		fail: frame.CloseProtocolError,
	})
	runServerCases(t, cases)
}

// TestServerFragmentationRules covers §5.4: a message is one frame with FIN set, or a text or
// binary frame without FIN, any continuation frames, and a final continuation frame.
func TestServerFragmentationRules(t *testing.T) {
	runServerCases(t, []serverCase{
		{name: "§5.4 continuation with no message to continue", send: clientFrame(true, 0, frame.OpContinuation, "x"),
			fail: frame.CloseProtocolError},
		{name: "§5.4 non-final continuation with no message to continue", send: clientFrame(false, 0, frame.OpContinuation, "x"),
			fail: frame.CloseProtocolError},
		{name: "§5.4 continuation after a complete message", send: cat(textFrame("done"), clientFrame(true, 0, frame.OpContinuation, "x")),
			want: []wireFrame{wantText("done")}, fail: frame.CloseProtocolError},
		{name: "§5.4 text frame inside a fragmented text message", send: cat(clientFrame(false, 0, frame.OpText, "a"), textFrame("b")),
			fail: frame.CloseProtocolError},
		{name: "§5.4 binary frame inside a fragmented text message", send: cat(clientFrame(false, 0, frame.OpText, "a"), binaryFrame("b")),
			fail: frame.CloseProtocolError},
		{name: "§5.4 non-final text frame inside a fragmented binary message",
			send: cat(clientFrame(false, 0, frame.OpBinary, "a"), clientFrame(true, 0, frame.OpContinuation, "b"), clientFrame(false, 0, frame.OpBinary, "c"), clientFrame(false, 0, frame.OpText, "d")),
			want: []wireFrame{wantBinary("ab")}, fail: frame.CloseProtocolError},

		{name: "§5.4 text in three fragments is echoed whole",
			send: cat(clientFrame(false, 0, frame.OpText, "frag"), clientFrame(false, 0, frame.OpContinuation, "men"), clientFrame(true, 0, frame.OpContinuation, "ted")),
			want: []wireFrame{wantText("fragmented")}},
		{name: "§5.4 binary with empty fragments is echoed whole",
			send: cat(clientFrame(false, 0, frame.OpBinary, ""), clientFrame(false, 0, frame.OpContinuation, "ab"), clientFrame(false, 0, frame.OpContinuation, ""), clientFrame(true, 0, frame.OpContinuation, "")),
			want: []wireFrame{wantBinary("ab")}},
		{name: "§5.4 two fragmented messages in a row",
			send: cat(clientFrame(false, 0, frame.OpText, "one "), clientFrame(true, 0, frame.OpContinuation, "1"), clientFrame(false, 0, frame.OpBinary, "two "), clientFrame(true, 0, frame.OpContinuation, "2")),
			want: []wireFrame{wantText("one 1"), wantBinary("two 2")}},
	})
}

// TestServerUTF8Rules covers §8.1 (with §5.6): a text message must be valid UTF-8, as a whole
// across its fragments; the server fails the connection with 1007 otherwise, and as soon as the
// text can no longer be valid.
func TestServerUTF8Rules(t *testing.T) {
	const invalid = frame.CloseInvalidPayload
	runServerCases(t, []serverCase{
		{name: "§8.1 invalid byte 0xFF in a whole message", send: textFrame("ab\xffcd"), fail: invalid},
		{name: "§8.1 stray continuation byte", send: textFrame("\x80"), fail: invalid},
		{name: "§8.1 overlong encoding of '/'", send: textFrame("\xc0\xaf"), fail: invalid},
		{name: "§8.1 UTF-16 surrogate U+D800", send: textFrame("a\xed\xa0\x80b"), fail: invalid},
		{name: "§8.1 code point above U+10FFFF", send: textFrame("\xf4\x90\x80\x80"), fail: invalid},
		{name: "§8.1 message ends inside a code point", send: textFrame("caf\xc3"), fail: invalid},
		{name: "§8.1 invalid UTF-8 after a valid message", send: cat(textFrame("fine"), textFrame("\xfe")),
			want: []wireFrame{wantText("fine")}, fail: invalid},
		{name: "§8.1 invalid byte in a middle fragment",
			send: cat(clientFrame(false, 0, frame.OpText, "ab"), clientFrame(false, 0, frame.OpContinuation, "\xff"), clientFrame(true, 0, frame.OpContinuation, "cd")),
			fail: invalid},
		{name: "§8.1 invalid continuation of a code point begun in the previous fragment",
			send: cat(clientFrame(false, 0, frame.OpText, "a\xe2"), clientFrame(true, 0, frame.OpContinuation, "(")),
			fail: invalid},
		{name: "§8.1 fragmented message ends inside a code point",
			send: cat(clientFrame(false, 0, frame.OpText, "ok"), clientFrame(true, 0, frame.OpContinuation, "\xf0\x9f\x98")),
			fail: invalid},

		// Fail fast: the frame claims more bytes than are ever sent. A server that waited for
		// the whole frame (or message) before validating would never answer.
		{name: "§8.1 fail fast: a frame that starts with an invalid byte", send: claimFrame(frame.OpText, 100, "\xff\xfe"), fail: invalid},
		{name: "§8.1 fail fast: a surrogate begun in the first bytes", send: claimFrame(frame.OpText, 100, "hello \xed\xa0"), fail: invalid},
		{name: "§8.1 fail fast: invalid non-final fragment, the rest never sent", send: clientFrame(false, 0, frame.OpText, "\xc1"), fail: invalid},

		{name: "§8.1 a 3-byte code point split across two fragments is valid",
			send: cat(clientFrame(false, 0, frame.OpText, "a\xe2\x82"), clientFrame(true, 0, frame.OpContinuation, "\xacb")),
			want: []wireFrame{wantText("a€b")}},
		{name: "§8.1 a 4-byte code point split across three fragments is valid",
			send: cat(clientFrame(false, 0, frame.OpText, "\xf0"), clientFrame(false, 0, frame.OpContinuation, "\x9f\x98"), clientFrame(true, 0, frame.OpContinuation, "\x80!")),
			want: []wireFrame{wantText("😀!")}},
		{name: "§8.1 a code point split around a ping is valid",
			send: cat(clientFrame(false, 0, frame.OpText, "\xc3"), clientFrame(true, 0, frame.OpPing, "p"), clientFrame(true, 0, frame.OpContinuation, "\xa9")),
			want: []wireFrame{wantPong("p"), wantText("é")}},
		{name: "§5.6 a binary message need not be UTF-8", send: binaryFrame("\xff\xfe\xc0"), want: []wireFrame{wantBinary("\xff\xfe\xc0")}},
		{name: "§8.1 an empty text message is valid", send: textFrame(""), want: []wireFrame{wantText("")}},
	})
}

// TestServerCloseRules covers the close frame's payload (§5.5.1) and status codes (§7.4): a
// valid close frame is answered with a close frame echoing its code; an invalid one fails the
// connection.
func TestServerCloseRules(t *testing.T) {
	cases := []serverCase{
		{name: "§5.5.1 empty close payload gets an empty close back", send: closePayloadFrame(nil), closed: frame.CloseNoStatus},
		{name: "§5.5.1 close payload of 1 byte", send: closePayloadFrame([]byte{0x03}), fail: frame.CloseProtocolError},
		{name: "§5.5.1 close reason that is invalid UTF-8", send: closePayloadFrame(codePayload(1000, "bad \xff reason")), fail: frame.CloseInvalidPayload},
		{name: "§5.5.1 close reason that ends inside a code point", send: closePayloadFrame(codePayload(1000, "caf\xc3")), fail: frame.CloseInvalidPayload},
		{name: "§5.5.1 close with a 123-byte reason is valid", send: closePayloadFrame(codePayload(1000, strings.Repeat("r", 123))), closed: frame.CloseNormal},
		{name: "§5.5.1 close in the middle of a fragmented message", send: cat(clientFrame(false, 0, frame.OpText, "unfinished"), closeFrame(frame.CloseGoingAway, "")),
			closed: frame.CloseGoingAway},
	}
	for _, code := range []uint16{0, 999, 1004, 1005, 1006, 1015, 1016, 2999, 5000, 65535} {
		cases = append(cases, serverCase{
			name: fmt.Sprintf("§7.4 invalid close code %d", code),
			send: closePayloadFrame(codePayload(code, "")),
			fail: frame.CloseProtocolError,
		})
	}
	for _, code := range []uint16{1000, 1001, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 4999} {
		cases = append(cases, serverCase{
			name:   fmt.Sprintf("§7.4 valid close code %d is echoed", code),
			send:   closePayloadFrame(codePayload(code, "bye")),
			closed: frame.CloseCode(code),
		})
	}
	runServerCases(t, cases)
}

// TestServerReadLimitRules covers §10.4: a message over the read limit, whether it comes in one
// frame or in many, fails the connection with 1009, decided from the lengths the headers claim.
func TestServerReadLimitRules(t *testing.T) {
	limit := &UpgradeOptions{ReadLimit: 1000}
	fragments := func(n int) []byte {
		var b []byte
		for i := range n {
			op := frame.OpContinuation
			if i == 0 {
				op = frame.OpText
			}
			b = append(b, clientFrame(i == n-1, 0, op, "a")...)
		}
		return b
	}
	runServerCases(t, []serverCase{
		{name: "§10.4 one frame of exactly the limit is echoed", opts: limit,
			send: binaryFrame(strings.Repeat("b", 1000)), want: []wireFrame{wantBinary(strings.Repeat("b", 1000))}},
		{name: "§10.4 one frame of limit+1 bytes", opts: limit,
			send: binaryFrame(strings.Repeat("b", 1001)), fail: frame.CloseTooBig},
		{name: "§10.4 header claiming limit+1 bytes, none sent", opts: limit,
			send: claimFrame(frame.OpBinary, 1001, ""), fail: frame.CloseTooBig},
		{name: "§10.4 1000 fragments of 1 byte are echoed", opts: limit,
			send: fragments(1000), want: []wireFrame{wantText(strings.Repeat("a", 1000))}},
		{name: "§10.4 1001 fragments of 1 byte", opts: limit,
			send: fragments(1001), fail: frame.CloseTooBig},
		{name: "§10.4 the limit applies to each message, not to the connection", opts: limit,
			send: cat(binaryFrame(strings.Repeat("c", 600)), binaryFrame(strings.Repeat("d", 600))),
			want: []wireFrame{wantBinary(strings.Repeat("c", 600)), wantBinary(strings.Repeat("d", 600))}},
		{name: "§10.4 default limit: header claiming 2^62 bytes",
			send: claimFrame(frame.OpBinary, 1<<62, ""), fail: frame.CloseTooBig},
		{name: "§10.4 default limit: header claiming 2^63-1 bytes",
			send: claimFrame(frame.OpText, 1<<63-1, "abc"), fail: frame.CloseTooBig},
	})
}

// TestServerHugeFrameIsNotAllocated checks §10.4 on memory: a header that claims 2^62 bytes is
// refused with 1009 at once, and the server does not try to make room for it.
func TestServerHugeFrameIsNotAllocated(t *testing.T) {
	s := startEchoServer(t, nil)
	c := s.dial(t, nil)
	// One echo first, so the server is waiting for the next header when we measure.
	c.write(t, textFrame("warm up"))
	c.expectFrame(t, frame.OpText, "warm up")

	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	c.write(t, claimFrame(frame.OpBinary, 1<<62, ""))
	c.expectClose(t, frame.CloseTooBig)
	s.expectFailure(t, frame.CloseTooBig)
	runtime.ReadMemStats(&after)
	if grew := after.TotalAlloc - before.TotalAlloc; grew >= 1<<20 {
		t.Errorf("§10.4: the process allocated %d bytes around a frame claiming 2^62 bytes, want < 1 MiB", grew)
	}
}

// TestServerClaimWithinLimitIsNotAllocatedAhead checks §10.4 for a frame under the read limit
// whose header claims much more than the peer sends: the server must grow its buffer with the
// bytes that arrive, not allocate the claimed length up front.
func TestServerClaimWithinLimitIsNotAllocatedAhead(t *testing.T) {
	s := startEchoServer(t, nil)
	c := s.dial(t, nil)
	c.write(t, textFrame("warm up"))
	c.expectFrame(t, frame.OpText, "warm up")

	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	c.write(t, claimFrame(frame.OpBinary, DefaultReadLimit/2, strings.Repeat("z", 1000)))
	time.Sleep(50 * time.Millisecond) // let the server read what was sent
	c.nc.Close()
	err := s.nextReadErr(t)
	runtime.ReadMemStats(&after)
	var ce *CloseError
	if !errors.As(err, &ce) || ce.Code != frame.CloseAbnormal {
		t.Errorf("server read error = %v, want a *CloseError with code 1006", err)
	}
	if grew := after.TotalAlloc - before.TotalAlloc; grew >= 1<<20 {
		t.Errorf("§10.4: the process allocated %d bytes for a frame claiming %d bytes of which 1000 came, want < 1 MiB", grew, DefaultReadLimit/2)
	}
}

// TestServerControlFrameRules covers §5.5.2 and §5.5.3: a ping is answered with a pong carrying
// the same payload, also between the fragments of a message and ahead of its echo; a pong gets
// no answer.
func TestServerControlFrameRules(t *testing.T) {
	p125 := strings.Repeat("0123456789", 12) + "abcde"
	runServerCases(t, []serverCase{
		{name: "§5.5.2 ping gets a pong with the same payload", send: clientFrame(true, 0, frame.OpPing, "are you there?"),
			want: []wireFrame{wantPong("are you there?")}},
		{name: "§5.5.2 ping with an empty payload", send: clientFrame(true, 0, frame.OpPing, ""), want: []wireFrame{wantPong("")}},
		{name: "§5.5.2 ping with a 125-byte payload", send: clientFrame(true, 0, frame.OpPing, p125), want: []wireFrame{wantPong(p125)}},
		{name: "§5.5.2 pings with empty and 125-byte payloads in a row",
			send: cat(clientFrame(true, 0, frame.OpPing, ""), clientFrame(true, 0, frame.OpPing, p125)),
			want: []wireFrame{wantPong(""), wantPong(p125)}},
		{name: "§5.5.2 ping with binary payload", send: clientFrame(true, 0, frame.OpPing, "\x00\xff\x80"), want: []wireFrame{wantPong("\x00\xff\x80")}},
		{name: "§5.5.2 ping in the middle of a fragmented message: pong first, then the whole message",
			send: cat(clientFrame(false, 0, frame.OpText, "Hel"), clientFrame(true, 0, frame.OpPing, "mid"), clientFrame(true, 0, frame.OpContinuation, "lo")),
			want: []wireFrame{wantPong("mid"), wantText("Hello")}},
		{name: "§5.5.2 two pings between three fragments",
			send: cat(clientFrame(false, 0, frame.OpBinary, "a"), clientFrame(true, 0, frame.OpPing, "1"), clientFrame(false, 0, frame.OpContinuation, "b"),
				clientFrame(true, 0, frame.OpPing, "2"), clientFrame(true, 0, frame.OpContinuation, "c")),
			want: []wireFrame{wantPong("1"), wantPong("2"), wantBinary("abc")}},
		{name: "§5.5.3 unsolicited pong gets no answer and the next message is echoed",
			send: cat(clientFrame(true, 0, frame.OpPong, "heartbeat"), textFrame("after")),
			want: []wireFrame{wantText("after")}},
		{name: "§5.5.3 pong in the middle of a fragmented message",
			send: cat(clientFrame(false, 0, frame.OpText, "a"), clientFrame(true, 0, frame.OpPong, ""), clientFrame(true, 0, frame.OpContinuation, "b")),
			want: []wireFrame{wantText("ab")}},
	})
}

// TestServerFrameDelivery covers how frames arrive on the wire (§4.2.1, §5.2): the bytes after
// the handshake request are frames however TCP cuts or joins them.
func TestServerFrameDelivery(t *testing.T) {
	big := strings.Repeat("0123456789abcdef", 1000) // 16000 bytes: more than a read buffer
	several := cat(textFrame("one"), clientFrame(true, 0, frame.OpPing, "p"), binaryFrame("two"),
		clientFrame(false, 0, frame.OpText, "thr"), clientFrame(true, 0, frame.OpContinuation, "ee"))
	severalWant := []wireFrame{wantText("one"), wantPong("p"), wantBinary("two"), wantText("three")}
	slow := strings.Repeat("s", 130) // a 16-bit length (§5.2), so the header is cut 8 ways too

	runServerCases(t, []serverCase{
		{name: "§4.2.1 first frame in the same write as the handshake", withHandshake: true,
			send: textFrame("early"), want: []wireFrame{wantText("early")}},
		{name: "§4.2.1 first frame in the same write as the handshake, ReadBufferSize 512", withHandshake: true,
			opts: &UpgradeOptions{ReadBufferSize: 512}, send: textFrame("early"), want: []wireFrame{wantText("early")}},
		{name: "§4.2.1 first frame in the same write as the handshake, ReadBufferSize 8192", withHandshake: true,
			opts: &UpgradeOptions{ReadBufferSize: 8192}, send: textFrame("early"), want: []wireFrame{wantText("early")}},
		{name: "§4.2.1 several frames in the same write as the handshake", withHandshake: true,
			send: several, want: severalWant},
		{name: "§4.2.1 a 16000-byte frame in the same write as the handshake", withHandshake: true,
			send: binaryFrame(big), want: []wireFrame{wantBinary(big)}},
		{name: "§4.2.1 close in the same write as the handshake", withHandshake: true,
			send: closeFrame(frame.CloseGoingAway, ""), closed: frame.CloseGoingAway},
		{name: "§5.2 several frames in one write", send: several, want: severalWant},
		{name: "§5.2 a frame delivered one byte per write", byteByByte: true,
			send: textFrame(slow), want: []wireFrame{wantText(slow)}},
		{name: "§5.2 a fragmented message with a ping delivered one byte per write", byteByByte: true,
			send: cat(clientFrame(false, 0, frame.OpText, "ab"), clientFrame(true, 0, frame.OpPing, "p"), clientFrame(true, 0, frame.OpContinuation, "\xe2\x82\xac")),
			want: []wireFrame{wantPong("p"), wantText("ab€")}},
	})
}

// TestServerClosesTCPFirst covers §7.1.1: after the close handshake "the server MUST close the
// underlying TCP connection" first. The raw client never closes its side; it must read the
// server's close frame, echoing the client's code, and then the end of the stream.
func TestServerClosesTCPFirst(t *testing.T) {
	s := startEchoServer(t, nil)
	c := s.dial(t, nil)
	c.write(t, textFrame("before closing"))
	c.expectFrame(t, frame.OpText, "before closing")
	c.write(t, closeFrame(frame.CloseGoingAway, "client leaving"))
	c.expectClose(t, frame.CloseGoingAway) // reads the close frame, then EOF
	s.expectPeerClose(t, frame.CloseGoingAway)
}

// TestServerHandshakeFailures covers the server's side of the opening handshake (§4.2.1, §4.2.2,
// §4.4, §10.2): a request that is not a valid handshake is refused with the status and headers
// its fault calls for.
func TestServerHandshakeFailures(t *testing.T) {
	const key = "dGhlIHNhbXBsZSBub25jZQ==" // the example key of §1.3
	valid := func() http.Header {
		return http.Header{
			"Upgrade":               {"websocket"},
			"Connection":            {"Upgrade"},
			"Sec-Websocket-Key":     {key},
			"Sec-Websocket-Version": {"13"},
		}
	}
	cases := []struct {
		name       string
		method     string
		edit       func(h http.Header, host string)
		opts       *UpgradeOptions
		wantStatus int
		wantHeader map[string]string // header fields the response must contain (the value as a token)
	}{
		{name: "§4.2.1 item 1: method POST", method: "POST",
			wantStatus: http.StatusMethodNotAllowed, wantHeader: map[string]string{"Allow": "GET"}},
		{name: "§4.2.1 item 6: version 8", edit: func(h http.Header, _ string) { h.Set("Sec-WebSocket-Version", "8") },
			wantStatus: http.StatusUpgradeRequired, wantHeader: map[string]string{"Sec-WebSocket-Version": "13", "Upgrade": "websocket"}},
		{name: "§4.2.1 item 5: missing Sec-WebSocket-Key", edit: func(h http.Header, _ string) { h.Del("Sec-WebSocket-Key") },
			wantStatus: http.StatusBadRequest},
		{name: "§10.2 cross-origin request is refused by default",
			edit:       func(h http.Header, _ string) { h.Set("Origin", "http://evil.example") },
			wantStatus: http.StatusForbidden},
		{name: "§10.2 cross-origin request allowed with OriginPatterns *",
			edit: func(h http.Header, _ string) { h.Set("Origin", "http://evil.example") },
			opts: &UpgradeOptions{OriginPatterns: []string{"*"}}, wantStatus: http.StatusSwitchingProtocols,
			wantHeader: map[string]string{"Sec-WebSocket-Accept": handshake.AcceptKey(key), "Upgrade": "websocket", "Connection": "upgrade"}},
		{name: "§10.2 same-origin request is allowed by default",
			edit:       func(h http.Header, host string) { h.Set("Origin", "http://"+host) },
			wantStatus: http.StatusSwitchingProtocols,
			wantHeader: map[string]string{"Sec-WebSocket-Accept": handshake.AcceptKey(key)}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := startEchoServer(t, tc.opts)
			h := valid()
			if tc.edit != nil {
				tc.edit(h, s.addr)
			}
			method := tc.method
			if method == "" {
				method = http.MethodGet
			}
			var request strings.Builder
			fmt.Fprintf(&request, "%s / HTTP/1.1\r\nHost: %s\r\n", method, s.addr)
			if method != http.MethodGet {
				request.WriteString("Content-Length: 0\r\n")
			}
			h.Write(&request)
			request.WriteString("\r\n")

			c := dialRaw(t, s.addr, []byte(request.String()))
			if c.resp.StatusCode != tc.wantStatus {
				t.Fatalf("status %s, want %d", c.resp.Status, tc.wantStatus)
			}
			for name, want := range tc.wantHeader {
				if !handshake.HasToken(c.resp.Header, name, want) {
					t.Errorf("response %s: %q, want %q", name, c.resp.Header.Values(name), want)
				}
			}
			if tc.wantStatus == http.StatusSwitchingProtocols {
				// The connection works: one echo, then the close handshake.
				c.write(t, textFrame("allowed"))
				c.expectFrame(t, frame.OpText, "allowed")
				c.write(t, closeFrame(frame.CloseNormal, ""))
				c.expectClose(t, frame.CloseNormal)
				return
			}
			select {
			case err := <-s.upgradeErr:
				var he *handshake.Error
				if !errors.As(err, &he) || he.Status != tc.wantStatus {
					t.Errorf("Upgrade returned %v, want a *handshake.Error with status %d", err, tc.wantStatus)
				}
			case <-time.After(ioTimeout):
				t.Error("Upgrade did not return")
			}
		})
	}
}
