//go:build unix

package interop

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rfc6455/ws/conn"
	"github.com/rfc6455/ws/frame"
	"github.com/rfc6455/ws/interop/internal/peertest"
)

// The tests with the Python and Node libraries share two scenarios, one per direction, so that
// every library meets the same checks.
//
// A peer's client script (testdata/*/client.*) connects to our server with the subprotocols
// soap and wamp, echoes messages of every size in sizes as text and as binary, sends a
// fragmented message of each type, pings, and closes with a code (or asks our server to close),
// printing one JSON event per step. peertest.EchoServer is the server it talks to.
//
// A peer's server script (testdata/*/server.*) greets each connection with "hello <subprotocol>",
// echoes messages, and obeys two commands: "close <code> <reason>" closes the connection with
// that code and reason, "ping <payload>" sends a ping and answers "pong <payload>" once the pong
// has come back. It prints a JSON event when a connection opens and when it closes, with the
// close code it received. exerciseServer is our client's side of it.
//
// Both scenarios are those of the Go libraries in the nested module interop/golibs; what they
// share (the messages, our server, our client's exchange) is in package peertest.

// Sizes of the echoed messages, in bytes: peertest.EdgeSizes (the edges of the three payload
// length encodings of §5.2 and of a read buffer), then large messages.
var (
	upTo1MiB  = append(peertest.EdgeSizes(), 1<<20)
	upTo16MiB = append(peertest.EdgeSizes(), 1<<20, 16<<20)
)

// clientConfig is the JSON argument of the client scripts.
type clientConfig struct {
	URL         string   `json:"url"`
	Protocols   []string `json:"protocols"`
	Sizes       []int    `json:"sizes"`
	Fragments   int      `json:"fragments"`    // fragments of the fragmented messages
	Ping        string   `json:"ping"`         // payload of the client's ping
	CloseCode   int      `json:"close_code"`   // the code the client closes with, or asks the server for
	CloseReason string   `json:"close_reason"` // and its reason
	ServerClose bool     `json:"server_close"` // ask the server to close, instead of closing
	CAFile      string   `json:"cafile"`       // for wss: the certificate to trust
}

// arg returns the configuration as the scripts' command-line argument.
func (c clientConfig) arg() string {
	b, err := json.Marshal(c)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// checkClientReport checks the events of a client script that ran cfg and has exited: the
// subprotocol our server chose, no extension (we decline permessage-deflate), every echo
// intact, the pong, and the close frame it received.
func checkClientReport(t *testing.T, p *process, cfg clientConfig, wantProtocol string) {
	t.Helper()
	if status := p.wait(t, 90*time.Second); status != 0 {
		t.Errorf("%s exited with status %d", p.name, status)
	}
	events := p.events()
	byName := map[string][]peerEvent{}
	for _, e := range events {
		byName[e.Event] = append(byName[e.Event], e)
		if e.Event == "error" {
			t.Errorf("%s: error: %s", p.name, e.Message)
		}
	}
	if open := byName["open"]; len(open) != 1 {
		t.Errorf("%s: %d open events, want 1", p.name, len(open))
	} else {
		// §4.2.2 item 5.4: the server selects one subprotocol among those offered.
		if open[0].Protocol != wantProtocol {
			t.Errorf("§4.2.2: subprotocol %q, want %q", open[0].Protocol, wantProtocol)
		}
		// §9.1: an extension is in use only if the server's response names it; ours declines.
		if open[0].Extensions != "" {
			t.Errorf("§9.1: the client believes extensions %q were negotiated, want none", open[0].Extensions)
		}
	}
	echoes := map[string]bool{}
	for _, e := range byName["echo"] {
		if !e.OK {
			t.Errorf("echo of a %s message of %d bytes differs: %s", e.Type, e.Size, e.Message)
		}
		echoes[e.Type+"/"+strconv.Itoa(e.Size)] = true
	}
	for _, size := range cfg.Sizes {
		for _, typ := range []string{"text", "binary"} {
			if !echoes[typ+"/"+strconv.Itoa(size)] {
				t.Errorf("no echo reported for a %s message of %d bytes", typ, size)
			}
		}
	}
	if cfg.Fragments > 0 {
		fragmented := byName["fragmented"]
		if len(fragmented) != 2 {
			t.Errorf("%d fragmented echoes reported, want 2 (text and binary)", len(fragmented))
		}
		for _, e := range fragmented {
			if !e.OK {
				t.Errorf("§5.4: echo of a %s message sent in %d fragments differs: %s", e.Type, e.Fragments, e.Message)
			}
		}
	}
	if cfg.Ping != "" {
		// §5.5.2, §5.5.3: the pong carries the ping's application data.
		if pong := byName["pong"]; len(pong) != 1 || pong[0].Message != cfg.Ping {
			t.Errorf("§5.5.3: pongs %+v, want one with %q", pong, cfg.Ping)
		}
	}
	closed := byName["closed"]
	if len(closed) != 1 {
		t.Fatalf("%s: %d closed events, want 1; events: %+v", p.name, len(closed), events)
	}
	if cfg.ServerClose {
		// §7.1.5, §7.1.6: the client sees the code and reason our server closed with.
		if closed[0].Code != cfg.CloseCode || closed[0].Reason != cfg.CloseReason {
			t.Errorf("§7.1.5: the client received close %d %q, want %d %q", closed[0].Code, closed[0].Reason, cfg.CloseCode, cfg.CloseReason)
		}
	} else if closed[0].Code != cfg.CloseCode {
		// §5.5.1: the endpoint answering a close frame typically echoes its status code; ours does.
		t.Errorf("§5.5.1: the client received close code %d in answer to its %d, want the code echoed", closed[0].Code, cfg.CloseCode)
	}
}

// checkServerRecord checks what our server saw of a client script that ran cfg: the offer of
// permessage-deflate that the library makes by default (so that declining it was exercised, if
// wantDeflateOffer), the fragments, the ping and the client's close code.
func checkServerRecord(t *testing.T, rec peertest.EchoRecord, cfg clientConfig, wantDeflateOffer bool) {
	t.Helper()
	if wantDeflateOffer && !strings.Contains(rec.Extensions, "permessage-deflate") {
		t.Errorf("the client offered extensions %q; the test expects the library's default permessage-deflate offer, to check that we decline it", rec.Extensions)
	}
	if want := 2 * len(cfg.Sizes); rec.Messages < want {
		t.Errorf("our server received %d messages, want at least %d", rec.Messages, want)
	}
	if cfg.Fragments > 1 && rec.Continuations < 2*(cfg.Fragments-1) {
		t.Errorf("§5.4: our server received %d continuation frames, want at least %d: the fragmented sends were not fragmented", rec.Continuations, 2*(cfg.Fragments-1))
	}
	if cfg.Ping != "" && (len(rec.Pings) != 1 || rec.Pings[0] != cfg.Ping) {
		t.Errorf("§5.5.2: our server saw pings %q, want [%q]", rec.Pings, cfg.Ping)
	}
	ce := rec.CloseError(t)
	// Either the client's own close, or its echo of our close (§5.5.1): the same code.
	if int(ce.Code) != cfg.CloseCode {
		t.Errorf("our server received close code %d, want %d", ce.Code, cfg.CloseCode)
	}
	if !cfg.ServerClose && ce.Reason != cfg.CloseReason {
		t.Errorf("§7.1.6: our server received close reason %q, want %q", ce.Reason, cfg.CloseReason)
	}
}

// exerciseServer runs our client (conn.Dial) through the server scenario against a peer's
// server script listening at url: the greeting, echoes of every size in sizes, fragmented
// messages, pings both ways, and the close handshake started by either side. wantProtocol is
// the subprotocol the peer selects when offered soap and wamp.
func exerciseServer(t *testing.T, peer *process, url string, sizes []int, opts *conn.DialOptions, wantProtocol string) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if opts == nil {
		opts = &conn.DialOptions{}
	}
	opts.Subprotocols = []string{"soap", "wamp"}
	dial := func(t *testing.T) *conn.Conn {
		t.Helper()
		c, _, err := conn.Dial(ctx, url, opts)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	connections := 0 // the peer's open and closed events count connections
	greet := func(t *testing.T, c *conn.Conn) {
		t.Helper()
		connections++
		open := peer.waitEvent(t, "open", connections, 15*time.Second)
		if c.Subprotocol() != wantProtocol || open.Protocol != wantProtocol {
			t.Errorf("§4.1, §4.2.2: our client has subprotocol %q, the peer %q; want %q", c.Subprotocol(), open.Protocol, wantProtocol)
		}
		if open.Extensions != "" {
			t.Errorf("our client offered extensions %q; it offers none", open.Extensions)
		}
		// The greeting is sent right after the 101 response, often in the same TCP segment:
		// the bytes read along with the response must not be lost (§4.1: the first frame may
		// follow the handshake at once).
		peertest.ExpectMessage(t, c, frame.OpText, []byte("hello "+wantProtocol))
	}

	t.Run("greeting", func(t *testing.T) {
		// Several connections: whether the greeting shares a read with the 101 response
		// depends on timing, and at least one of them should.
		for range 8 {
			c := dial(t)
			greet(t, c)
			if err := c.Close(frame.CloseNormal, ""); err != nil {
				t.Fatal(err)
			}
			if closed := peer.waitEvent(t, "closed", connections, 15*time.Second); closed.Code != int(frame.CloseNormal) {
				t.Errorf("the peer received close code %d, want 1000", closed.Code)
			}
		}
	})

	t.Run("messages", func(t *testing.T) {
		c := dial(t)
		defer c.CloseNow()
		greet(t, c)
		c.SetReadLimit(-1)
		peertest.ExchangeMessages(t, c, sizes, "the peer")

		// §7.1.2: we close; the peer receives our code and reason and echoes the code.
		if err := c.Close(4000, "go says bye"); err != nil {
			t.Fatalf("Close: %v", err)
		}
		closed := peer.waitEvent(t, "closed", connections, 15*time.Second)
		if closed.Code != 4000 || closed.Reason != "go says bye" {
			t.Errorf("§7.1.5: the peer received close %d %q, want 4000 \"go says bye\"", closed.Code, closed.Reason)
		}
		var ce *conn.CloseError
		if _, _, err := c.ReadMessage(nil); !errors.As(err, &ce) || ce.Code != 4000 {
			t.Errorf("after Close, ReadMessage: %v; want the peer's echo of close code 4000", err)
		}
	})

	t.Run("server closes", func(t *testing.T) {
		c := dial(t)
		defer c.CloseNow()
		greet(t, c)
		peertest.RequestClose(t, c, 4001, "the peer says bye")
		// §5.5.1: our Conn answered with a close frame echoing the code.
		if closed := peer.waitEvent(t, "closed", connections, 15*time.Second); closed.Code != 4001 {
			t.Errorf("§5.5.1: the peer received close code %d in answer to its 4001, want the code echoed", closed.Code)
		}
	})
}
