//go:build unix

package interop

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rfc6455/ws/conn"
	"github.com/rfc6455/ws/frame"
)

// Permessage-deflate (RFC 7692) with real peers: Python websockets and Node ws both ways here,
// Chromium and cmd/wscat in compression_browser_test.go. Every peer meets the same scenario in each direction:
// the client sends each message of a list and awaits its echo, then closes with a code. The list
// holds the usual text and binary payloads from 0 B to 1 MiB, and messages chosen so that the
// sizes of their compressed frames tell what each compressor did:
//
//   - "repeated": 1 MB of one character, which deflate shrinks about 1000:1;
//   - "random": seeded random bytes, up to 1 MiB, which it cannot shrink at all;
//   - "window": a 2048-byte random block repeated to 64 KiB, which shrinks only if the
//     compressor's LZ77 window holds 2048 bytes (RFC 7692 §7.1.2: max_window_bits 12 and up);
//   - the same 600 random bytes twice, then the same 20000: the second copy shrinks if and only
//     if the compressor kept its window from the first (context takeover, RFC 7692 §7.1.1) and
//     its window reaches that far back (600 bytes: 2^10 and up; 20000 bytes: 2^15);
//   - a text, a binary and a random message of 100 kB sent in 4 fragments (§5.4; RFC 7692
//     §6.1: RSV1 on the first frame only); compressed, the random one still takes many frames.
//
// Our Conn's trace hook (Conn.SetTrace) shows every frame header on both sides of our end: RSV1,
// opcode and the compressed length. checkWire holds them against the parameters in force, which
// the test states for each case, and which the peer reports as it understood them.

// deflateMessage describes a message of the scenario; the scripts (testdata/*/deflate_messages.*)
// generate content of the same kind from it. (Their random bytes differ from Go's, which does
// not matter: whoever sends a message checks its echo.)
type deflateMessage struct {
	Kind      string `json:"kind"` // text, binary, repeated, random, window
	Size      int    `json:"size"`
	Seed      uint64 `json:"seed,omitempty"`      // random, window
	Fragments int    `json:"fragments,omitempty"` // sent as this many frames, when > 1
}

// Sizes in the scenario.
const (
	repeatedSize   = 1_000_000 // the 1000:1 text
	windowSize     = 64 << 10  // the window probe
	windowPeriod   = 2048      // its repeating block
	twiceSize      = 600       // the context takeover probe: in every window of 2^10 bytes and up
	twiceLarge     = 20_000    // and in a window of 2^15 bytes only
	fragmentedSize = 100_000
)

// deflateMessages returns the scenario's messages: text and binary of each size, then the probes.
// With large, a random message of 1 MiB too.
func deflateMessages(sizes []int, large bool) []deflateMessage {
	var list []deflateMessage
	for _, n := range sizes {
		list = append(list, deflateMessage{Kind: "text", Size: n}, deflateMessage{Kind: "binary", Size: n})
	}
	list = append(list,
		deflateMessage{Kind: "repeated", Size: repeatedSize},
		deflateMessage{Kind: "random", Size: 100_000, Seed: 1},
	)
	if large {
		list = append(list, deflateMessage{Kind: "random", Size: 1 << 20, Seed: 2})
	}
	return append(list,
		deflateMessage{Kind: "window", Size: windowSize, Seed: 3},
		deflateMessage{Kind: "random", Size: twiceSize, Seed: 4},
		deflateMessage{Kind: "random", Size: twiceSize, Seed: 4},
		deflateMessage{Kind: "random", Size: twiceLarge, Seed: 5},
		deflateMessage{Kind: "random", Size: twiceLarge, Seed: 5},
		deflateMessage{Kind: "text", Size: fragmentedSize, Fragments: 4},
		deflateMessage{Kind: "binary", Size: fragmentedSize, Fragments: 4},
		deflateMessage{Kind: "random", Size: fragmentedSize, Seed: 6, Fragments: 4},
	)
}

// Sizes of the text and binary messages: the edges of §5.2's length encodings, and 127/128, the
// edge of our compression threshold (CompressionOptions.Threshold, 128 by default).
var (
	deflateSizes      = append(append([]int(nil), smallSizes...), 128, 1<<20)
	deflateSmallSizes = []int{0, 1, 127, 128, 4097, 65537}
)

// opcode returns the message's type.
func (m deflateMessage) opcode() frame.Opcode {
	if m.Kind == "text" || m.Kind == "repeated" {
		return frame.OpText
	}
	return frame.OpBinary
}

// content returns the message's bytes (the Go twin of the scripts' generate).
func (m deflateMessage) content() []byte {
	switch m.Kind {
	case "text":
		return payload(frame.OpText, m.Size)
	case "binary":
		return payload(frame.OpBinary, m.Size)
	case "repeated":
		return bytes.Repeat([]byte("a"), m.Size)
	}
	var seed [32]byte
	seed[0] = byte(m.Seed)
	rng := rand.NewChaCha8(seed)
	if m.Kind == "window" {
		block := make([]byte, windowPeriod)
		rng.Read(block)
		return bytes.Repeat(block, m.Size/windowPeriod+1)[:m.Size]
	}
	b := make([]byte, m.Size)
	rng.Read(b)
	return b
}

// deflateParams are the permessage-deflate parameters in force on a connection (RFC 7692 §7.1), as
// the scripts report them; an absent max_window_bits is 15.
type deflateParams struct {
	ServerNoContextTakeover bool `json:"server_no_context_takeover"`
	ClientNoContextTakeover bool `json:"client_no_context_takeover"`
	ServerMaxWindowBits     int  `json:"server_max_window_bits"`
	ClientMaxWindowBits     int  `json:"client_max_window_bits"`
}

// compressor is what one side's compressor must do under the parameters in force, as far as the
// wire shows it.
type compressor struct {
	name       string
	threshold  int  // messages shorter than this go uncompressed (RSV1 clear), longer compressed
	takeover   bool // it keeps its LZ77 window from message to message (§7.1.1)
	windowBits int  // its window is at most 2^windowBits bytes (§7.1.2)
	// huffmanOnly: ours, for a window under 15 bits: compress/flate cannot shrink its window,
	// so conn compresses without back-references (handshake.DeflateParams.HuffmanOnly).
	huffmanOnly bool
	// fragments: it sends a message of the list with Fragments > 1 in at least that many frames.
	fragments bool
}

// ourCompressor is our Conn's compressor on the server (or client) side under p, with the default
// threshold of 128 bytes.
func ourCompressor(p deflateParams, server bool) compressor {
	c := compressor{name: "our client", threshold: 128, takeover: !p.ClientNoContextTakeover, windowBits: p.ClientMaxWindowBits}
	if server {
		c = compressor{name: "our server", threshold: 128, takeover: !p.ServerNoContextTakeover, windowBits: p.ServerMaxWindowBits}
	}
	c.huffmanOnly = c.windowBits < 15
	return c
}

// peerCompressor is a peer's compressor on the server (or client) side under p. A peer that
// keeps its window does so whenever the parameters allow it.
func peerCompressor(name string, p deflateParams, server bool, threshold int, fragments bool) compressor {
	c := compressor{name: name, threshold: threshold, takeover: !p.ClientNoContextTakeover, windowBits: p.ClientMaxWindowBits, fragments: fragments}
	if server {
		c.takeover, c.windowBits = !p.ServerNoContextTakeover, p.ServerMaxWindowBits
	}
	return c
}

// wireMessage is what the frame headers of one data message showed.
type wireMessage struct {
	op          frame.Opcode
	rsv1        bool  // RSV1 on the first frame: the message is compressed (RFC 7692 §6)
	frames      int   // frames it took
	wire        int64 // payload bytes on the wire, over all its frames
	rsv1OnFrame bool  // RSV1 on a continuation frame, which RFC 7692 §6.1 forbids
}

// wireLog collects the frame headers that cross one connection, in each direction, from a
// Conn's trace hook or from wireTap. The hook runs on the reading goroutine and on writing ones.
type wireLog struct {
	mu       sync.Mutex
	sent     []wireMessage // by our end (the server, for wireTap)
	received []wireMessage
	problems []string // control frames with RSV1, continuations out of place
}

// trace has the signature of Conn.SetTrace's hook.
func (l *wireLog) trace(sent bool, h frame.Header) {
	l.mu.Lock()
	defer l.mu.Unlock()
	list := &l.received
	if sent {
		list = &l.sent
	}
	switch {
	case h.Op.IsControl():
		// RFC 7692 §6.1: a PMCE must not set RSV1 on control frames.
		if h.Rsv != 0 {
			l.problems = append(l.problems, "RSV bits on a control frame: "+h.String())
		}
	case h.Op == frame.OpContinuation:
		if len(*list) == 0 {
			l.problems = append(l.problems, "a continuation frame starts a message: "+h.String())
			return
		}
		m := &(*list)[len(*list)-1]
		m.frames++
		m.wire += h.Length
		if h.Rsv&frame.Rsv1 != 0 {
			m.rsv1OnFrame = true
		}
	default:
		*list = append(*list, wireMessage{op: h.Op, rsv1: h.Rsv&frame.Rsv1 != 0, frames: 1, wire: h.Length})
	}
}

// messages returns copies of what was logged so far.
func (l *wireLog) messages() (sent, received []wireMessage, problems []string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]wireMessage(nil), l.sent...), append([]wireMessage(nil), l.received...), append([]string(nil), l.problems...)
}

// checkWire checks the frames of the scenario's messages as one compressor sent them (got,
// logged in order) against what it must do.
func checkWire(t *testing.T, c compressor, got []wireMessage, list []deflateMessage) {
	t.Helper()
	if len(got) != len(list) {
		t.Errorf("%s sent %d data messages, want %d", c.name, len(got), len(list))
		return
	}
	var probes []string // what the probes became on the wire, for the log
	defer func() { t.Logf("%s: %s", c.name, strings.Join(probes, ", ")) }()
	for i, m := range list {
		w := got[i]
		what := func() string {
			return fmt.Sprintf("%s's message #%d (%s, %d bytes; %d on the wire in %d frames)", c.name, i, m.Kind, m.Size, w.wire, w.frames)
		}
		if m.Kind != "text" && m.Kind != "binary" {
			probe := fmt.Sprintf("%s %d→%d", m.Kind, m.Size, w.wire)
			if w.frames > 1 {
				probe += fmt.Sprintf(" in %d frames", w.frames)
			}
			probes = append(probes, probe)
		}
		if w.op != m.opcode() {
			t.Errorf("%s: opcode %v, want %v", what(), w.op, m.opcode())
			continue
		}
		if w.rsv1OnFrame {
			t.Errorf("RFC 7692 §6.1: %s has RSV1 on a continuation frame", what())
		}
		// websockets sends an empty final frame after the fragments.
		if c.fragments && m.Fragments > 1 && w.frames < m.Fragments {
			t.Errorf("§5.4: %s, want at least %d frames", what(), m.Fragments)
		}
		// RFC 7692 §6: RSV1 on the first frame marks a compressed message. Every compressor
		// here compresses what reaches its threshold and nothing shorter.
		if want := m.Size >= c.threshold; w.rsv1 != want {
			t.Errorf("RFC 7692 §6: %s has RSV1=%v, want %v (threshold %d bytes)", what(), w.rsv1, want, c.threshold)
			continue
		}
		if !w.rsv1 {
			continue
		}
		size := int64(m.Size)
		switch {
		case m.Kind == "repeated" && c.huffmanOnly:
			// No back-references: a bit or so per character.
			if w.wire > size/4 {
				t.Errorf("%s: compressed without back-references, it should still shrink 4:1", what())
			}
		case m.Kind == "repeated":
			if w.wire > size/500 {
				t.Errorf("%s: one character repeated should shrink about 1000:1", what())
			}
		case m.Kind == "window" && (c.huffmanOnly || c.windowBits <= 10):
			// RFC 7692 §7.1.2: a window of 1 KiB (or none) cannot reach back 2048 bytes; a
			// compressor that did would break a peer's inflater, whose window is that small.
			if w.wire < size*9/10 {
				t.Errorf("RFC 7692 §7.1.2: %s: shrank as if its window were larger than 2^%d bytes", what(), c.windowBits)
			}
		case m.Kind == "window" && c.windowBits >= 12:
			if w.wire > size/4 {
				t.Errorf("RFC 7692 §7.1.2: %s: with a window of 2^%d bytes it should shrink to the 2048-byte block", what(), c.windowBits)
			}
		case i > 0 && m == list[i-1]:
			// The same random bytes again: only a compressor that kept its window from the
			// first copy (§7.1.1), and whose window reaches back to it (§7.1.2), can send
			// the second as back-references, and so in fewer bytes than it has. (zlib's
			// reach is its window less 262 bytes. It sends a few bytes; compress/flate at
			// BestSpeed, conn's default level, only matches part of a copy 20000 bytes back.)
			if c.takeover && !c.huffmanOnly && m.Size+262 <= 1<<c.windowBits {
				if w.wire >= size*9/10 {
					t.Errorf("RFC 7692 §7.1.1: %s: the second copy should be a back-reference to the first (context takeover)", what())
				}
			} else if w.wire < size*9/10 {
				t.Errorf("RFC 7692 §7.1.1, §7.1.2: %s: the second copy shrank, so it refers back to the first, "+
					"which no_context_takeover (in force: %v) or a window of 2^%d bytes forbids", what(), !c.takeover, c.windowBits)
			}
		}
	}
}

// deflateEvent is a JSON line of a compression script: peerEvent's fields plus what the scripts
// say of the negotiation.
type deflateEvent struct {
	Event      string         `json:"event"`
	Port       int            `json:"port"`
	Offer      string         `json:"offer"`      // "open": the client's Sec-WebSocket-Extensions
	Extensions string         `json:"extensions"` // "open": the response's
	Deflate    *deflateParams `json:"deflate"`    // "open": the parameters in force, as the library sees them
	Index      int            `json:"index"`      // "echo"
	Type       string         `json:"type"`
	Size       int            `json:"size"`
	OK         bool           `json:"ok"`
	Message    string         `json:"message"`
	Code       int            `json:"code"` // "closed"
	Reason     string         `json:"reason"`
}

// deflateEvents returns the events a script has printed so far, and fails the test on an error
// event.
func deflateEvents(t *testing.T, p *process) []deflateEvent {
	t.Helper()
	var events []deflateEvent
	for _, line := range p.stdout.lines() {
		var e deflateEvent
		if !strings.HasPrefix(line, "{") || json.Unmarshal([]byte(line), &e) != nil {
			continue
		}
		if e.Event == "error" || e.Event == "connection-error" {
			t.Fatalf("%s reports an error: %s", p.name, e.Message)
		}
		events = append(events, e)
	}
	return events
}

// waitDeflateEvent waits for the n-th (from 1) event named name.
func waitDeflateEvent(t *testing.T, p *process, name string, n int) deflateEvent {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		exited := p.exited()
		seen := 0
		for _, e := range deflateEvents(t, p) {
			if e.Event == name {
				if seen++; seen == n {
					return e
				}
			}
		}
		if exited || time.Now().After(deadline) {
			t.Fatalf("%s printed no event %q #%d (exited: %v)", p.name, name, n, exited)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// checkPeerView checks what a peer reported of the negotiation: the offer, the response, and the
// parameters in force as its library understood them.
func checkPeerView(t *testing.T, e deflateEvent, wantOffer, wantResponse string, want deflateParams) {
	t.Helper()
	if wantOffer != "" && e.Offer != wantOffer { // "": not reported
		t.Errorf("RFC 7692 §5: offer %q, want %q", e.Offer, wantOffer)
	}
	if e.Extensions != wantResponse {
		t.Errorf("RFC 7692 §5.1: response %q, want %q", e.Extensions, wantResponse)
	}
	if e.Deflate == nil {
		t.Errorf("the peer does not use permessage-deflate; want %+v", want)
	} else if *e.Deflate != want {
		t.Errorf("RFC 7692 §7.1: the peer has parameters %+v in force, want %+v", *e.Deflate, want)
	}
}

// deflateServer is our server, in-process, with compression on, for the client scripts: it
// echoes every message and records what it saw of each connection.
type deflateServer struct {
	url     string
	records chan deflateRecord
}

// deflateRecord is what deflateServer saw of one connection.
type deflateRecord struct {
	offer      string // the client's Sec-WebSocket-Extensions
	compressed bool   // Conn.Compressed
	wire       *wireLog
	end        error
}

func startDeflateServer(t *testing.T, opts *conn.CompressionOptions) *deflateServer {
	t.Helper()
	s := &deflateServer{records: make(chan deflateRecord, 4)}
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := conn.Upgrade(w, r, &conn.UpgradeOptions{Compression: opts, ReadLimit: -1})
		if err != nil {
			s.records <- deflateRecord{end: err}
			return
		}
		defer c.CloseNow()
		rec := deflateRecord{offer: r.Header.Get("Sec-WebSocket-Extensions"), compressed: c.Compressed(), wire: &wireLog{}}
		c.SetTrace(rec.wire.trace)
		var buf []byte
		for {
			op, msg, err := c.ReadMessage(buf)
			if err != nil {
				rec.end = err
				break
			}
			buf = msg[:0]
			if err := c.WriteMessage(op, msg); err != nil {
				rec.end = err
				break
			}
		}
		s.records <- rec
	}))
	t.Cleanup(ts.Close)
	s.url = "ws" + strings.TrimPrefix(ts.URL, "http") + "/ws"
	return s
}

// deflateClientCase is a client script against deflateServer.
type deflateClientCase struct {
	name    string
	server  *conn.CompressionOptions // our server's options
	peer    any                      // the script's "deflate": the library's options; nil for its default
	sizes   []int
	large   bool   // with a random message of 1 MiB
	offer   string // the client's offer
	respond string // our server's response
	want    deflateParams
	// peerThreshold: the client compresses messages of this size and up.
	peerThreshold int
}

// deflateClientConfig is the JSON argument of the client scripts.
type deflateClientConfig struct {
	URL         string           `json:"url"`
	Deflate     any              `json:"deflate,omitempty"`
	Messages    []deflateMessage `json:"messages"`
	CloseCode   int              `json:"close_code"`
	CloseReason string           `json:"close_reason"`
}

// runDeflateClient runs a client script (start starts it with its JSON argument) against
// deflateServer and checks both ends.
func runDeflateClient(t *testing.T, peerName string, tc deflateClientCase, start func(arg string) *process) {
	server := startDeflateServer(t, tc.server)
	list := deflateMessages(tc.sizes, tc.large)
	cfg := deflateClientConfig{URL: server.url, Deflate: tc.peer, Messages: list, CloseCode: 4001, CloseReason: peerName + " says bye"}
	arg, err := json.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	p := start(string(arg))
	if status := p.wait(t, 90*time.Second); status != 0 {
		t.Errorf("%s exited with status %d", p.name, status)
	}
	events := deflateEvents(t, p)
	echoes := 0
	for _, e := range events {
		switch e.Event {
		case "open":
			checkPeerView(t, e, "", tc.respond, tc.want) // the offer is checked on our side
		case "echo":
			echoes++
			if !e.OK {
				t.Errorf("echo of message #%d (%s, %d bytes) differs: %s", e.Index, e.Type, e.Size, e.Message)
			}
		case "closed":
			// §5.5.1: our server echoes the client's close code.
			if e.Code != cfg.CloseCode {
				t.Errorf("§5.5.1: the client received close code %d, want %d", e.Code, cfg.CloseCode)
			}
		}
	}
	if echoes != len(list) {
		t.Errorf("%d echoes reported, want %d", echoes, len(list))
	}

	rec := waitDeflateRecord(t, server.records)
	if !rec.compressed {
		t.Fatalf("our server's Conn.Compressed() is false after the offer %q", rec.offer)
	}
	if rec.offer != tc.offer {
		t.Errorf("our server received the offer %q, want %q", rec.offer, tc.offer)
	}
	var ce *conn.CloseError
	if !errors.As(rec.end, &ce) || int(ce.Code) != cfg.CloseCode || ce.Reason != cfg.CloseReason {
		t.Errorf("§7.1.5: our server's connection ended with %v, want close %d %q", rec.end, cfg.CloseCode, cfg.CloseReason)
	}
	sent, received, problems := rec.wire.messages()
	for _, p := range problems {
		t.Errorf("RFC 7692 §6.1: %s", p)
	}
	checkWire(t, peerCompressor(peerName+" client", tc.want, false, tc.peerThreshold, true), received, list)
	checkWire(t, ourCompressor(tc.want, true), sent, list)
}

// waitDeflateRecord returns the next connection record.
func waitDeflateRecord(t *testing.T, records <-chan deflateRecord) deflateRecord {
	t.Helper()
	select {
	case rec := <-records:
		return rec
	case <-time.After(15 * time.Second):
		t.Fatal("our server recorded no connection within 15s")
		return deflateRecord{}
	}
}

// deflateDialCase is our Dial against a server script.
type deflateDialCase struct {
	name    string
	peer    any                      // the script's "deflate": its server options; nil for its default
	dial    *conn.CompressionOptions // our client's options
	sizes   []int
	large   bool
	offer   string // our offer
	respond string // the server's response
	want    deflateParams
	// peerThreshold: the server compresses messages of this size and up.
	peerThreshold int
}

// runDeflateDial runs our client through the scenario against a server script listening on url,
// whose n-th connection this is, and checks both ends.
func runDeflateDial(t *testing.T, peerName string, p *process, url string, n int, tc deflateDialCase) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c, resp, err := conn.Dial(ctx, url, &conn.DialOptions{Compression: tc.dial, ReadLimit: -1})
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	defer c.CloseNow()
	wire := &wireLog{}
	c.SetTrace(wire.trace)
	if got := resp.Header.Get("Sec-WebSocket-Extensions"); got != tc.respond {
		t.Errorf("RFC 7692 §5.1: response %q, want %q", got, tc.respond)
	}
	if !c.Compressed() {
		t.Fatalf("Conn.Compressed() is false after the response %q", resp.Header.Get("Sec-WebSocket-Extensions"))
	}
	checkPeerView(t, waitDeflateEvent(t, p, "open", n), tc.offer, tc.respond, tc.want)

	list := deflateMessages(tc.sizes, tc.large)
	for i, m := range list {
		msg := m.content()
		if m.Fragments > 1 {
			writeFragmented(t, c, m.opcode(), msg)
		} else if err := c.WriteMessage(m.opcode(), msg); err != nil {
			t.Fatalf("writing message #%d: %v", i, err)
		}
		expectMessage(t, c, m.opcode(), msg)
	}
	if err := c.Close(4000, "go says bye"); err != nil {
		t.Errorf("Close: %v", err)
	}
	var ce *conn.CloseError
	if _, _, err := c.ReadMessage(nil); !errors.As(err, &ce) || ce.Code != 4000 {
		t.Errorf("§5.5.1: after Close, ReadMessage: %v; want the server's echo of 4000", err)
	}
	if closed := waitDeflateEvent(t, p, "closed", n); closed.Code != 4000 || closed.Reason != "go says bye" {
		t.Errorf("§7.1.5: the server received close %d %q, want 4000 \"go says bye\"", closed.Code, closed.Reason)
	}
	sent, received, problems := wire.messages()
	for _, p := range problems {
		t.Errorf("RFC 7692 §6.1: %s", p)
	}
	checkWire(t, ourCompressor(tc.want, false), sent, list)
	checkWire(t, peerCompressor(peerName+" server", tc.want, true, tc.peerThreshold, false), received, list)
}

// writeFragmented sends p through NextWriter in writes of 7777 bytes; conn compresses the whole
// message as one stream (RFC 7692 §6.1).
func writeFragmented(t *testing.T, c *conn.Conn, op frame.Opcode, p []byte) {
	t.Helper()
	w, err := c.NextWriter(op)
	if err != nil {
		t.Fatal(err)
	}
	for rest := p; len(rest) > 0; {
		n := min(len(rest), 7_777)
		if _, err := w.Write(rest[:n]); err != nil {
			t.Fatal(err)
		}
		rest = rest[n:]
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}
