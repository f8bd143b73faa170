package golibs

import (
	"bytes"
	"context"
	"crypto/sha256"
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

// Both libraries meet the same two scenarios, one per direction, as the peers of package
// interop do.
//
// Their client talks to ourServer: conn.Upgrade with the subprotocols wamp and soap (in that
// order of preference), echoing every message, and obeying two commands: "close <code> <reason>"
// closes the connection with that code, "ping <payload>" sends a ping and answers
// "pong <payload>" when the pong comes back.
//
// Our client talks to their server, which greets each connection with "hello <subprotocol>",
// echoes, and obeys the same two commands; it reports what it saw of each connection as a
// peerRecord. exerciseTheirServer is our client's side.

// sizes are the lengths of the echoed messages: the edges of the three payload length
// encodings of §5.2, a 4 KiB buffer's, and 1 MiB.
var sizes = []int{0, 1, 125, 126, 127, 4095, 4096, 4097, 65535, 65536, 65537, 1 << 20}

// payload returns n bytes of deterministic content: for text, valid UTF-8 that mixes code
// points of 1 to 4 bytes so that characters straddle frame boundaries (§5.6); for binary, every
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
			r = 'x'
		}
		b = utf8.AppendRune(b, r)
	}
	return b
}

// describe summarises a message for failure messages.
func describe(p []byte) string {
	return fmt.Sprintf("%d bytes, sha256 %x", len(p), sha256.Sum256(p))
}

// parseCommand splits a text message "close <code> <reason>" or "ping <payload>" into its
// command and arguments. ok is false for anything else, which is echoed.
func parseCommand(text string) (command string, code int, arg string, ok bool) {
	if rest, found := strings.CutPrefix(text, "ping "); found {
		return "ping", 0, rest, true
	}
	if rest, found := strings.CutPrefix(text, "close "); found {
		codeText, reason, _ := strings.Cut(rest, " ")
		code, err := strconv.Atoi(codeText)
		if err == nil {
			return "close", code, reason, true
		}
	}
	return "", 0, "", false
}

// ourRecord is what ourServer saw of one connection.
type ourRecord struct {
	Subprotocol   string
	Extensions    string // the client's Sec-WebSocket-Extensions offer
	Messages      int
	Continuations int // continuation frames received (§5.4)
	Pings         []string
	End           error // what ended the connection: a *conn.CloseError with the peer's code
}

// ourServer is our server, in process, for the libraries' clients.
type ourServer struct {
	url     string // ws://127.0.0.1:port/ws
	records chan ourRecord
}

func startOurServer(t *testing.T) *ourServer {
	t.Helper()
	s := &ourServer{records: make(chan ourRecord, 8)}
	ts := httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(ts.Close)
	s.url = "ws" + strings.TrimPrefix(ts.URL, "http") + "/ws"
	return s
}

func (s *ourServer) serve(w http.ResponseWriter, r *http.Request) {
	c, err := conn.Upgrade(w, r, &conn.UpgradeOptions{Subprotocols: []string{"wamp", "soap"}})
	if err != nil {
		s.records <- ourRecord{End: err}
		return
	}
	defer c.CloseNow()
	rec := ourRecord{Subprotocol: c.Subprotocol(), Extensions: r.Header.Get("Sec-WebSocket-Extensions")}
	// The hooks run on this goroutine, the only reader; writes from them are allowed (one
	// goroutine reads while any number write).
	c.SetTrace(func(sent bool, h frame.Header) {
		if !sent && h.Op == frame.OpContinuation {
			rec.Continuations++
		}
	})
	c.SetPingHandler(func(p []byte) { rec.Pings = append(rec.Pings, string(p)) })
	c.SetPongHandler(func(p []byte) { c.WriteMessage(frame.OpText, append([]byte("pong "), p...)) })
	c.SetReadLimit(8 << 20)
	var buf []byte
	for {
		op, msg, err := c.ReadMessage(buf)
		if err != nil {
			rec.End = err
			break
		}
		buf = msg[:0]
		rec.Messages++
		if command, code, arg, ok := parseCommand(string(msg)); op == frame.OpText && ok {
			if command == "ping" {
				c.Ping([]byte(arg))
				continue
			}
			c.Close(frame.CloseCode(code), arg)
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

// record returns what the server saw of the next connection to end.
func (s *ourServer) record(t *testing.T) ourRecord {
	t.Helper()
	select {
	case rec := <-s.records:
		return rec
	case <-time.After(15 * time.Second):
		t.Fatal("our server recorded no connection within 15s")
		return ourRecord{}
	}
}

// checkEnd checks that a connection of our server ended with a close handshake in which it
// received code and, unless reason is "-", reason.
func checkEnd(t *testing.T, rec ourRecord, code int, reason string) {
	t.Helper()
	var ce *conn.CloseError
	if !errors.As(rec.End, &ce) {
		t.Fatalf("the connection ended with %v, want a close handshake", rec.End)
	}
	if int(ce.Code) != code || (reason != "-" && ce.Reason != reason) {
		t.Errorf("§7.1.5: our server received close %d %q, want %d %q", ce.Code, ce.Reason, code, reason)
	}
}

// peerRecord is what a library's server saw of one of our client's connections.
type peerRecord struct {
	Subprotocol string
	Extensions  string // our client's Sec-WebSocket-Extensions offer (none)
	Code        int    // the close code it received from us
	Reason      string
	Err         error // an error other than the close
}

// peerRecords collects the records of a library's server.
type peerRecords struct {
	ch chan peerRecord
}

func newPeerRecords() *peerRecords { return &peerRecords{ch: make(chan peerRecord, 32)} }

func (p *peerRecords) add(rec peerRecord) { p.ch <- rec }

func (p *peerRecords) next(t *testing.T) peerRecord {
	t.Helper()
	select {
	case rec := <-p.ch:
		if rec.Err != nil {
			t.Errorf("the library's server: %v", rec.Err)
		}
		return rec
	case <-time.After(15 * time.Second):
		t.Fatal("the library's server recorded no connection within 15s")
		return peerRecord{}
	}
}

// exerciseTheirServer runs our client through the server scenario against a library's server at
// url: subprotocol and greeting, echoes of every size, fragmented messages, pings both ways,
// and the close handshake started by either side. The server selects wamp among soap and wamp.
func exerciseTheirServer(t *testing.T, url string, records *peerRecords) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	dial := func(t *testing.T) *conn.Conn {
		t.Helper()
		c, _, err := conn.Dial(ctx, url, &conn.DialOptions{Subprotocols: []string{"soap", "wamp"}})
		if err != nil {
			t.Fatal(err)
		}
		if c.Subprotocol() != "wamp" {
			t.Errorf("§4.1: subprotocol %q, want \"wamp\"", c.Subprotocol())
		}
		// Sent right after the 101 response: bytes read with the response must not be lost.
		expectMessage(t, c, frame.OpText, []byte("hello wamp"))
		return c
	}

	t.Run("messages", func(t *testing.T) {
		c := dial(t)
		defer c.CloseNow()
		var pongs []string
		c.SetPongHandler(func(p []byte) { pongs = append(pongs, string(p)) })
		for _, size := range sizes {
			for _, op := range []frame.Opcode{frame.OpText, frame.OpBinary} {
				p := payload(op, size)
				if err := c.WriteMessage(op, p); err != nil {
					t.Fatal(err)
				}
				expectMessage(t, c, op, p)
			}
		}
		// §5.4: fragments, through NextWriter.
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
		// §5.5.2: our ping comes back as a pong with the same data, before the next echo.
		if err := c.Ping([]byte("ping from go")); err != nil {
			t.Fatal(err)
		}
		if err := c.WriteMessage(frame.OpText, []byte("after the ping")); err != nil {
			t.Fatal(err)
		}
		expectMessage(t, c, frame.OpText, []byte("after the ping"))
		if len(pongs) != 1 || pongs[0] != "ping from go" {
			t.Errorf("§5.5.3: pongs %q, want [\"ping from go\"]", pongs)
		}
		// The server pings; our Conn answers by itself while reading.
		if err := c.WriteMessage(frame.OpText, []byte("ping from the server")); err != nil {
			t.Fatal(err)
		}
		expectMessage(t, c, frame.OpText, []byte("pong from the server"))

		if err := c.Close(4000, "go says bye"); err != nil {
			t.Fatalf("Close: %v", err)
		}
		var ce *conn.CloseError
		if _, _, err := c.ReadMessage(nil); !errors.As(err, &ce) || ce.Code != 4000 {
			t.Errorf("after Close, ReadMessage: %v; want the server's echo of 4000", err)
		}
		rec := records.next(t)
		if rec.Subprotocol != "wamp" || rec.Extensions != "" {
			t.Errorf("the server saw subprotocol %q, extensions %q; want wamp and none", rec.Subprotocol, rec.Extensions)
		}
		if rec.Code != 4000 || rec.Reason != "go says bye" {
			t.Errorf("§7.1.5: the server received close %d %q, want 4000 \"go says bye\"", rec.Code, rec.Reason)
		}
	})

	t.Run("server closes", func(t *testing.T) {
		c := dial(t)
		defer c.CloseNow()
		if err := c.WriteMessage(frame.OpText, []byte("close 4001 the server says bye")); err != nil {
			t.Fatal(err)
		}
		var ce *conn.CloseError
		if _, _, err := c.ReadMessage(nil); !errors.As(err, &ce) || ce.Code != 4001 || ce.Reason != "the server says bye" {
			t.Fatalf("ReadMessage: %v; want close 4001 \"the server says bye\"", err)
		}
		// §5.5.1: our Conn answered with a close frame echoing the code.
		if rec := records.next(t); rec.Code != 4001 {
			t.Errorf("§5.5.1: the server received close code %d in answer to its 4001, want the code echoed", rec.Code)
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
