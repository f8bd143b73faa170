package peertest

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/rfc6455/ws/conn"
	"github.com/rfc6455/ws/frame"
)

func TestPayload(t *testing.T) {
	for _, n := range append(EdgeSizes(), 3, 1<<20) {
		text, binary := Payload(frame.OpText, n), Payload(frame.OpBinary, n)
		if len(text) != n || len(binary) != n {
			t.Errorf("Payload(%d): %d bytes of text, %d of binary, want %d of each", n, len(text), len(binary), n)
		}
		// §5.6: a text message is valid UTF-8 at every size, padding included.
		if !utf8.Valid(text) {
			t.Errorf("§5.6: Payload(OpText, %d) is not valid UTF-8", n)
		}
		if !bytes.Equal(text, Payload(frame.OpText, n)) || !bytes.Equal(binary, Payload(frame.OpBinary, n)) {
			t.Errorf("Payload(%d) differs from one call to the next", n)
		}
	}
	// Characters of every length, so that some straddle frame and buffer boundaries.
	text := Payload(frame.OpText, 4096)
	lengths := map[int]bool{}
	for _, r := range string(text) {
		lengths[utf8.RuneLen(r)] = true
	}
	if len(lengths) != 4 {
		t.Errorf("Payload(OpText, 4096) has characters of %d lengths, want 1 to 4", len(lengths))
	}
	values := map[byte]bool{}
	for _, b := range Payload(frame.OpBinary, 256) {
		values[b] = true
	}
	if len(values) != 256 {
		t.Errorf("Payload(OpBinary, 256) has %d byte values, want all 256", len(values))
	}
}

func TestParseCommand(t *testing.T) {
	for _, tc := range []struct {
		text    string
		command string
		code    int
		arg     string
		ok      bool
	}{
		{"close 4001 the peer says bye", "close", 4001, "the peer says bye", true},
		{"close 1000", "close", 1000, "", true},
		{"ping from the peer", "ping", 0, "from the peer", true},
		{"ping ", "ping", 0, "", true},
		{"close bye", "", 0, "", false}, // no code: echoed
		{"closed 4001", "", 0, "", false},
		{"ping", "", 0, "", false},
		{"hello wamp", "", 0, "", false},
		{"", "", 0, "", false},
	} {
		command, code, arg, ok := ParseCommand(tc.text)
		if command != tc.command || code != tc.code || arg != tc.arg || ok != tc.ok {
			t.Errorf("ParseCommand(%q) = %q, %d, %q, %v; want %q, %d, %q, %v", tc.text, command, code, arg, ok, tc.command, tc.code, tc.arg, tc.ok)
		}
	}
}

func ExampleParseCommand() {
	for _, text := range []string{"close 4001 go says bye", "ping hi", "hello"} {
		command, code, arg, ok := ParseCommand(text)
		fmt.Printf("%q %d %q %v\n", command, code, arg, ok)
	}
	// Output:
	// "close" 4001 "go says bye" true
	// "ping" 0 "hi" true
	// "" 0 "" false
}

func TestDeflateMessages(t *testing.T) {
	list := DeflateMessages([]int{0, 128}, DeflateProbes{Large: true, Window: true})
	kinds := map[string]int{}
	for i, m := range list {
		kinds[m.Kind]++
		p := m.Content()
		if len(p) != m.Size {
			t.Errorf("message #%d (%s): %d bytes, want %d", i, m.Kind, len(p), m.Size)
		}
		if m.Kind == "text" && !utf8.Valid(p) {
			t.Errorf("§5.6: message #%d is text but not valid UTF-8", i)
		}
		if !bytes.Equal(p, m.Content()) {
			t.Errorf("message #%d (%s) differs from one call to the next", i, m.Kind)
		}
		// The context takeover probes: a copy of the message before, byte for byte.
		if i > 0 && m == list[i-1] && !bytes.Equal(p, list[i-1].Content()) {
			t.Errorf("message #%d is not the same bytes as #%d", i, i-1)
		}
		if m.Kind == "window" && !bytes.Equal(p[:WindowPeriod], p[WindowPeriod:2*WindowPeriod]) {
			t.Errorf("the window probe does not repeat every %d bytes", WindowPeriod)
		}
	}
	if want := map[string]int{"text": 3, "binary": 3, "repeated": 1, "random": 7, "window": 1}; fmt.Sprint(kinds) != fmt.Sprint(want) {
		t.Errorf("kinds %v, want %v", kinds, want)
	}
	if n := len(DeflateMessages(nil, DeflateProbes{})); n != len(list)-4-2 {
		t.Errorf("without the optional probes: %d messages, want %d", n, len(list)-4-2)
	}
	// Different seeds, different bytes.
	a := DeflateMessage{Kind: "random", Size: 64, Seed: 1}.Content()
	b := DeflateMessage{Kind: "random", Size: 64, Seed: 2}.Content()
	if bytes.Equal(a, b) {
		t.Error("random messages of seeds 1 and 2 are the same bytes")
	}
}

func TestWireLog(t *testing.T) {
	var l WireLog
	l.Trace(true, frame.Header{Op: frame.OpContinuation, Length: 1})           // nothing to continue
	l.Trace(true, frame.Header{Rsv: frame.Rsv1, Op: frame.OpText, Length: 10}) // compressed, first of three
	l.Trace(true, frame.Header{Op: frame.OpPing, Length: 2})                   // between fragments (§5.4)
	l.Trace(true, frame.Header{Op: frame.OpContinuation, Length: 20})
	l.Trace(true, frame.Header{Fin: true, Rsv: frame.Rsv1, Op: frame.OpContinuation, Length: 30})
	l.Trace(false, frame.Header{Fin: true, Op: frame.OpBinary, Length: 5})
	l.Trace(false, frame.Header{Fin: true, Rsv: frame.Rsv1, Op: frame.OpClose, Length: 2})

	sent, received, problems := l.Messages()
	wantSent := []WireMessage{{Op: frame.OpText, RSV1: true, Frames: 3, Wire: 60, RSV1OnFrame: true}}
	wantReceived := []WireMessage{{Op: frame.OpBinary, Frames: 1, Wire: 5}}
	if fmt.Sprint(sent) != fmt.Sprint(wantSent) || fmt.Sprint(received) != fmt.Sprint(wantReceived) {
		t.Errorf("sent %+v, received %+v; want %+v, %+v", sent, received, wantSent, wantReceived)
	}
	if len(problems) != 2 || !strings.HasPrefix(problems[0], "a continuation frame starts a message") ||
		!strings.HasPrefix(problems[1], "RFC 7692 §6.1: RSV bits on a control frame") {
		t.Errorf("problems %q, want the lone continuation and the close frame with RSV1", problems)
	}
}

// recorder is a testing.TB that keeps the errors reported to it, for checking the checkers.
type recorder struct {
	testing.TB
	errors []string
}

func (r *recorder) Errorf(format string, args ...any) {
	r.errors = append(r.errors, fmt.Sprintf(format, args...))
}
func (r *recorder) Logf(string, ...any) {}
func (r *recorder) Helper()             {}

func TestCheckWire(t *testing.T) {
	list := []DeflateMessage{
		{Kind: "text", Size: 10},
		{Kind: "binary", Size: 1000},
		{Kind: "window", Size: WindowSize, Seed: 3},
		{Kind: "random", Size: TwiceSize, Seed: 4},
		{Kind: "random", Size: TwiceSize, Seed: 4},
	}
	// What a compressor with a threshold of 128 bytes, a window of 2^15 and context takeover
	// sends: the text uncompressed, the rest compressed, the window probe and the copy small.
	good := func() []WireMessage {
		return []WireMessage{
			{Op: frame.OpText, Frames: 1, Wire: 10},
			{Op: frame.OpBinary, RSV1: true, Frames: 1, Wire: 900},
			{Op: frame.OpBinary, RSV1: true, Frames: 1, Wire: 2100},
			{Op: frame.OpBinary, RSV1: true, Frames: 1, Wire: 605},
			{Op: frame.OpBinary, RSV1: true, Frames: 1, Wire: 10},
		}
	}
	keeper := Compressor{Name: "keeper", Threshold: 128, Takeover: true}
	for _, tc := range []struct {
		name   string
		c      Compressor
		change func(w []WireMessage) []WireMessage
		want   string // in the one error expected; "" for none
	}{
		{"all as it should be", keeper, nil, ""},
		{"RFC 7692 §6: compressed under the threshold", keeper,
			func(w []WireMessage) []WireMessage { w[0].RSV1 = true; return w }, "RFC 7692 §6: "},
		{"RFC 7692 §6.1: RSV1 on a continuation frame", keeper,
			func(w []WireMessage) []WireMessage { w[1].RSV1OnFrame = true; return w }, "RFC 7692 §6.1: "},
		{"a message missing", keeper,
			func(w []WireMessage) []WireMessage { return w[:4] }, "sent 4 data messages, want 5"},
		{"RFC 7692 §7.1.1: the copy did not shrink with context takeover", keeper,
			func(w []WireMessage) []WireMessage { w[4].Wire = 605; return w }, "RFC 7692 §7.1.1: "},
		{"RFC 7692 §7.1.1: the copy shrank without context takeover",
			Compressor{Name: "forgetter", Threshold: 128}, nil, "RFC 7692 §7.1.1, §7.1.2: "},
		{"RFC 7692 §7.1.2: the window probe shrank through a window of 2^10",
			Compressor{Name: "small window", Threshold: 128, WindowBits: 10},
			func(w []WireMessage) []WireMessage { w[4].Wire = 605; return w }, "RFC 7692 §7.1.2: "},
		{"ours under 15 bits compresses without back-references", Ours("ours", true, 12),
			func(w []WireMessage) []WireMessage { w[2].Wire, w[4].Wire = WindowSize, 605; return w }, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := good()
			if tc.change != nil {
				got = tc.change(got)
			}
			r := &recorder{TB: t}
			CheckWire(r, tc.c, got, list)
			switch {
			case tc.want == "" && len(r.errors) > 0:
				t.Errorf("errors %q, want none", r.errors)
			case tc.want != "" && (len(r.errors) != 1 || !strings.Contains(r.errors[0], tc.want)):
				t.Errorf("errors %q, want one with %q", r.errors, tc.want)
			}
		})
	}
}

// TestEchoServer puts our client's side of the server scenario against EchoServer, which obeys
// the same commands as the peers' servers.
func TestEchoServer(t *testing.T) {
	s := StartEchoServer(t, 1<<20)
	c, _, err := conn.Dial(t.Context(), s.URL, &conn.DialOptions{Subprotocols: []string{"soap", "wamp"}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	if c.Subprotocol() != "wamp" {
		t.Errorf("§4.2.2: subprotocol %q, want the server's preference, wamp", c.Subprotocol())
	}
	sizes := []int{0, 125, 126, 65536}
	ExchangeMessages(t, c, sizes, "the echo server")
	RequestClose(t, c, 4001, "the echo server says bye")

	rec := s.Record(t)
	// Echoes, fragmented messages, "after the ping", the ping command and the close command.
	if want := 2*len(sizes) + 2 + 1 + 2; rec.Messages != want {
		t.Errorf("the server counted %d messages, want %d", rec.Messages, want)
	}
	// Our NextWriter sends a frame each time its buffer fills: some per fragmented message.
	if rec.Continuations < 2 {
		t.Errorf("§5.4: %d continuation frames, want some in each of the 2 fragmented messages", rec.Continuations)
	}
	if len(rec.Pings) != 1 || rec.Pings[0] != "ping from go" {
		t.Errorf("§5.5.2: the server saw pings %q, want [\"ping from go\"]", rec.Pings)
	}
	// §5.5.1: our Conn echoed the code of the server's close.
	if ce := rec.CloseError(t); ce.Code != 4001 {
		t.Errorf("§5.5.1: the server received close code %d, want 4001", ce.Code)
	}
}

// TestDeflateServer puts our compressing client against DeflateServer, and checks both sides
// with CheckWire through CheckDeflateRecord: both are our Conn.
func TestDeflateServer(t *testing.T) {
	s := StartDeflateServer(t, &conn.CompressionOptions{ContextTakeover: true})
	c, wire := DialDeflate(t, s.URL, &conn.CompressionOptions{ContextTakeover: true}, "permessage-deflate")
	list := DeflateMessages(SmallDeflateSizes(), DeflateProbes{Window: true})
	EchoDeflateMessages(t, c, list)
	CloseWithEcho(t, c, 4000, "done")
	sent, received, problems := wire.Messages()
	CheckProblems(t, problems)
	CheckWire(t, OurClient("our client", true, 15), sent, list)
	CheckWire(t, Ours("our server", true, 15), received, list)
	// Our client's default offer lets the server choose the client's window (RFC 7692 §7.1.2.2).
	CheckDeflateRecord(t, s.Record(t), list, "permessage-deflate; client_max_window_bits", 4000, "done", OurClient("our client", true, 15), Ours("our server", true, 15))
}
