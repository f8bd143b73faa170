//go:build unix

package interop

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/rfc6455/ws/conn"
	"github.com/rfc6455/ws/interop/internal/peertest"
)

// Permessage-deflate (RFC 7692) with real peers: Python websockets and Node ws both ways here,
// Chromium and cmd/wscat in compression_browser_test.go. Every peer meets the same scenario in
// each direction, the one of peertest.DeflateMessages (shared with the Go libraries of
// interop/golibs): the client sends each message of a list and awaits its echo, then closes with
// a code. The list holds the usual text and binary payloads from 0 B to 1 MiB, and probes whose
// compressed sizes tell what each compressor did; here, with the window probe, since these peers
// report the window sizes in force.
//
// Our Conn's trace hook (Conn.SetTrace) shows every frame header on both sides of our end: RSV1,
// opcode and the compressed length. peertest.CheckWire holds them against the parameters in
// force, which the test states for each case, and which the peer reports as it understood them.

// Sizes of the text and binary messages: the edges of §5.2's length encodings, and 127/128, the
// edge of our compression threshold (CompressionOptions.Threshold, 128 by default).
var (
	deflateSizes      = append(peertest.EdgeSizes(), 128, 1<<20)
	deflateSmallSizes = peertest.SmallDeflateSizes()
)

// deflateParams are the permessage-deflate parameters in force on a connection (RFC 7692 §7.1), as
// the scripts report them; an absent max_window_bits is 15.
type deflateParams struct {
	ServerNoContextTakeover bool `json:"server_no_context_takeover"`
	ClientNoContextTakeover bool `json:"client_no_context_takeover"`
	ServerMaxWindowBits     int  `json:"server_max_window_bits"`
	ClientMaxWindowBits     int  `json:"client_max_window_bits"`
}

// ourCompressor is our Conn's compressor on the server (or client) side under p.
func ourCompressor(p deflateParams, server bool) peertest.Compressor {
	if server {
		return peertest.Ours("our server", !p.ServerNoContextTakeover, p.ServerMaxWindowBits)
	}
	return peertest.OurClient("our client", !p.ClientNoContextTakeover, p.ClientMaxWindowBits)
}

// peerCompressor is a peer's compressor on the server (or client) side under p. A peer that
// keeps its window does so whenever the parameters allow it.
func peerCompressor(name string, p deflateParams, server bool, threshold int, fragments bool) peertest.Compressor {
	c := peertest.Compressor{Name: name, Threshold: threshold, Takeover: !p.ClientNoContextTakeover, WindowBits: p.ClientMaxWindowBits, Fragments: fragments}
	if server {
		c.Takeover, c.WindowBits = !p.ServerNoContextTakeover, p.ServerMaxWindowBits
	}
	return c
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

// deflateClientCase is a client script against peertest.DeflateServer.
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
	URL         string                    `json:"url"`
	Deflate     any                       `json:"deflate,omitempty"`
	Messages    []peertest.DeflateMessage `json:"messages"`
	CloseCode   int                       `json:"close_code"`
	CloseReason string                    `json:"close_reason"`
}

// runDeflateClient runs a client script (start starts it with its JSON argument) against
// peertest.DeflateServer and checks both ends.
func runDeflateClient(t *testing.T, peerName string, tc deflateClientCase, start func(arg string) *process) {
	server := peertest.StartDeflateServer(t, tc.server)
	list := peertest.DeflateMessages(tc.sizes, peertest.DeflateProbes{Large: tc.large, Window: true})
	cfg := deflateClientConfig{URL: server.URL, Deflate: tc.peer, Messages: list, CloseCode: 4001, CloseReason: peerName + " says bye"}
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

	peertest.CheckDeflateRecord(t, server.Record(t), list, tc.offer, cfg.CloseCode, cfg.CloseReason,
		peerCompressor(peerName+" client", tc.want, false, tc.peerThreshold, true), ourCompressor(tc.want, true))
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
	c, wire := peertest.DialDeflate(t, url, tc.dial, tc.respond)
	checkPeerView(t, waitDeflateEvent(t, p, "open", n), tc.offer, tc.respond, tc.want)

	list := peertest.DeflateMessages(tc.sizes, peertest.DeflateProbes{Large: tc.large, Window: true})
	peertest.EchoDeflateMessages(t, c, list)
	peertest.CloseWithEcho(t, c, 4000, "go says bye")
	if closed := waitDeflateEvent(t, p, "closed", n); closed.Code != 4000 || closed.Reason != "go says bye" {
		t.Errorf("§7.1.5: the server received close %d %q, want 4000 \"go says bye\"", closed.Code, closed.Reason)
	}
	sent, received, problems := wire.Messages()
	peertest.CheckProblems(t, problems)
	peertest.CheckWire(t, ourCompressor(tc.want, false), sent, list)
	peertest.CheckWire(t, peerCompressor(peerName+" server", tc.want, true, tc.peerThreshold, false), received, list)
}
