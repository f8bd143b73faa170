//go:build unix

package interop

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/rfc6455/ws/conn"
	"github.com/rfc6455/ws/frame"
)

// The tests with the Python and Node libraries share two scenarios, one per direction, so that
// every library meets the same checks.
//
// A peer's client script (testdata/*/client.*) connects to our server with the subprotocols
// soap and wamp, echoes messages of every size in sizes as text and as binary, sends a
// fragmented message of each type, pings, and closes with a code (or asks our server to close),
// printing one JSON event per step. goServer is the server it talks to.
//
// A peer's server script (testdata/*/server.*) greets each connection with "hello <subprotocol>",
// echoes messages, and obeys two commands: "close <code> <reason>" closes the connection with
// that code and reason, "ping <payload>" sends a ping and answers "pong <payload>" once the pong
// has come back. It prints a JSON event when a connection opens and when it closes, with the
// close code it received. exerciseServer is our client's side of it.

// Sizes of the echoed messages, in bytes: the edges of the three payload length encodings of
// §5.2 (7 bits, 16 bits, 64 bits), a read buffer's size, and large messages.
var (
	smallSizes = []int{0, 1, 125, 126, 127, 4095, 4096, 4097, 65535, 65536, 65537}
	upTo1MiB   = append(append([]int(nil), smallSizes...), 1<<20)
	upTo16MiB  = append(append([]int(nil), upTo1MiB...), 16<<20)
)

// payload returns n bytes of deterministic content for a message of type op. Text is valid
// UTF-8 mixing code points of 1 to 4 bytes, so that characters straddle the frame and buffer
// boundaries (§5.6, §8.1: a text message is UTF-8 as a whole, not per frame); binary has every
// byte value.
func payload(op frame.Opcode, n int) []byte {
	b := make([]byte, 0, n)
	if op == frame.OpBinary {
		for i := range n {
			b = append(b, byte(i*7+i>>8))
		}
		return b
	}
	runes := []rune("WebSocket é ß € ✓ 🌍 𝄞 ")
	for i := 0; len(b) < n; i++ {
		r := runes[i%len(runes)]
		if len(b)+utf8.RuneLen(r) > n {
			r = 'x' // pad with one-byte characters to the exact size
		}
		b = utf8.AppendRune(b, r)
	}
	return b
}

// describe summarises a message for failure messages: its length and a hash, not its bytes.
func describe(p []byte) string {
	return fmt.Sprintf("%d bytes, sha256 %x", len(p), sha256.Sum256(p))
}

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

// serverRecord is what goServer saw of one connection.
type serverRecord struct {
	Subprotocol   string
	Extensions    string // the Sec-WebSocket-Extensions header of the request: what the client offered
	Messages      int    // data messages received
	Continuations int    // continuation frames received (§5.4)
	Pings         []string
	End           error // what ended the connection: a *conn.CloseError with the peer's close code
}

// goServer is our server, in-process, for the client scripts: conn.Upgrade with the
// subprotocols wamp and soap (in that order of preference), echoing every message, and closing
// with "close <code> <reason>" when told so. It records each connection.
type goServer struct {
	url     string // ws://127.0.0.1:port/ws
	records chan serverRecord
}

// startGoServer starts goServer on a free port of 127.0.0.1 until the test ends.
func startGoServer(t *testing.T) *goServer {
	t.Helper()
	s := &goServer{records: make(chan serverRecord, 16)}
	ts := httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(ts.Close)
	s.url = "ws" + strings.TrimPrefix(ts.URL, "http") + "/ws"
	return s
}

func (s *goServer) serve(w http.ResponseWriter, r *http.Request) {
	c, err := conn.Upgrade(w, r, &conn.UpgradeOptions{Subprotocols: []string{"wamp", "soap"}})
	if err != nil {
		s.records <- serverRecord{End: err}
		return
	}
	defer c.CloseNow()
	rec := serverRecord{Subprotocol: c.Subprotocol(), Extensions: r.Header.Get("Sec-WebSocket-Extensions")}
	// This goroutine is the only reader and the only writer, so the hooks need no lock.
	c.SetTrace(func(sent bool, h frame.Header) {
		if !sent && h.Op == frame.OpContinuation {
			rec.Continuations++
		}
	})
	c.SetPingHandler(func(p []byte) { rec.Pings = append(rec.Pings, string(p)) })
	var buf []byte
	for {
		op, msg, err := c.ReadMessage(buf)
		if err != nil {
			rec.End = err
			break
		}
		buf = msg[:0]
		rec.Messages++
		if code, reason, ok := closeCommand(op, msg); ok {
			c.Close(code, reason)
			// Close has read the peer's answering close frame: the next read reports it.
			_, _, rec.End = c.ReadMessage(nil)
			break
		}
		if err := c.WriteMessage(op, msg); err != nil {
			rec.End = err
			break
		}
	}
	s.records <- rec
}

// closeCommand parses the text message "close <code> <reason>".
func closeCommand(op frame.Opcode, msg []byte) (frame.CloseCode, string, bool) {
	rest, ok := strings.CutPrefix(string(msg), "close ")
	if op != frame.OpText || !ok {
		return 0, "", false
	}
	codeText, reason, _ := strings.Cut(rest, " ")
	code, err := strconv.Atoi(codeText)
	if err != nil {
		return 0, "", false
	}
	return frame.CloseCode(code), reason, true
}

// record returns the next connection record, failing the test if none comes in time.
func (s *goServer) record(t *testing.T) serverRecord {
	t.Helper()
	select {
	case rec := <-s.records:
		return rec
	case <-time.After(15 * time.Second):
		t.Fatal("our server recorded no connection within 15s")
		return serverRecord{}
	}
}

// checkServerRecord checks what our server saw of a client script that ran cfg: the offer of
// permessage-deflate that the library makes by default (so that declining it was exercised, if
// wantDeflateOffer), the fragments, the ping and the client's close code.
func checkServerRecord(t *testing.T, rec serverRecord, cfg clientConfig, wantDeflateOffer bool) {
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
	var ce *conn.CloseError
	if !errors.As(rec.End, &ce) {
		t.Fatalf("the connection ended with %v, want a close handshake", rec.End)
	}
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
		expectMessage(t, c, frame.OpText, []byte("hello "+wantProtocol))
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
		var pongs []string
		c.SetPongHandler(func(p []byte) { pongs = append(pongs, string(p)) })

		for _, size := range sizes {
			for _, op := range []frame.Opcode{frame.OpText, frame.OpBinary} {
				p := payload(op, size)
				if err := c.WriteMessage(op, p); err != nil {
					t.Fatalf("writing %v %d: %v", op, size, err)
				}
				expectMessage(t, c, op, p)
			}
		}

		// §5.4: a message sent as fragments, through NextWriter, in writes of odd sizes.
		for _, op := range []frame.Opcode{frame.OpText, frame.OpBinary} {
			p := payload(op, 100_000)
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
			expectMessage(t, c, op, p)
		}

		// §5.5.2: the peer answers our ping with a pong carrying the same data, before it
		// echoes the message sent after the ping.
		if err := c.Ping([]byte("ping from go")); err != nil {
			t.Fatal(err)
		}
		after := []byte("after the ping")
		if err := c.WriteMessage(frame.OpText, after); err != nil {
			t.Fatal(err)
		}
		expectMessage(t, c, frame.OpText, after)
		if len(pongs) != 1 || pongs[0] != "ping from go" {
			t.Errorf("§5.5.3: pongs %q, want [\"ping from go\"]", pongs)
		}

		// The peer pings us; our Conn answers by itself, and the peer says when the pong came.
		if err := c.WriteMessage(frame.OpText, []byte("ping from the peer")); err != nil {
			t.Fatal(err)
		}
		expectMessage(t, c, frame.OpText, []byte("pong from the peer"))

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
		if err := c.WriteMessage(frame.OpText, []byte("close 4001 the peer says bye")); err != nil {
			t.Fatal(err)
		}
		var ce *conn.CloseError
		if _, _, err := c.ReadMessage(nil); !errors.As(err, &ce) || ce.Code != 4001 || ce.Reason != "the peer says bye" {
			t.Fatalf("ReadMessage: %v; want close 4001 \"the peer says bye\"", err)
		}
		// §5.5.1: our Conn answered with a close frame echoing the code.
		if closed := peer.waitEvent(t, "closed", connections, 15*time.Second); closed.Code != 4001 {
			t.Errorf("§5.5.1: the peer received close code %d in answer to its 4001, want the code echoed", closed.Code)
		}
	})
}

// expectMessage reads the next message and checks its type and payload.
func expectMessage(t *testing.T, c *conn.Conn, op frame.Opcode, want []byte) {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(15 * time.Second))
	defer c.SetReadDeadline(time.Time{})
	gotOp, got, err := c.ReadMessage(nil)
	if err != nil {
		t.Fatalf("reading the echo of a %v message (%s): %v", op, describe(want), err)
	}
	if gotOp != op || !bytes.Equal(got, want) {
		t.Fatalf("got a %v message of %s, want a %v message of %s", gotOp, describe(got), op, describe(want))
	}
}
