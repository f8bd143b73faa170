package golibs

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	coder "github.com/coder/websocket"
	"github.com/gorilla/websocket"
	"github.com/rfc6455/ws/conn"
	"github.com/rfc6455/ws/frame"
	"github.com/rfc6455/ws/handshake"
)

// Permessage-deflate (RFC 7692) with gorilla/websocket and coder/websocket, both directions: the
// scenario of interop/compression_test.go, in process. gorilla supports only
// server_no_context_takeover and client_no_context_takeover, and always asks for both (as a
// client) or answers with both (as a server); coder supports context takeover or not, and no
// window size below 15 bits. Our Conn's trace hook (Conn.SetTrace) shows each frame header,
// and checkWire holds the frames of each side against the parameters in force.

// deflateMessage describes a message of the scenario.
type deflateMessage struct {
	kind      string // text, binary, repeated, random
	size      int
	seed      byte
	fragments int // sent through a streaming writer, in writes of 7777 bytes
}

// Sizes in the scenario.
const (
	repeatedSize = 1_000_000 // 1 MB of one character: deflate shrinks it about 1000:1
	twiceSize    = 600       // sent twice: a compressor that kept its window sends the copy in a few bytes
	twiceLarge   = 20_000    // the same, 20000 bytes back
)

// deflateMessages returns the text and binary messages of each size, then the probes: the
// 1000:1 text, random binary (which deflate cannot shrink), the same 600 random bytes twice and
// the same 20000 twice (RFC 7692 §7.1.1: context takeover), and a text, a binary and a random
// message streamed (RFC 7692 §6.1: RSV1 on the first frame only; the random one takes many
// frames even compressed). With full, the sizes go up to 1 MiB, random binary too; without, to
// 64 KiB, to keep the run short under -race.
func deflateMessages(full bool) []deflateMessage {
	var list []deflateMessage
	textSizes := []int{0, 1, 127, 128, 4097, 65537}
	if full {
		textSizes = append(sizes, 128)
	}
	for _, n := range textSizes {
		list = append(list, deflateMessage{kind: "text", size: n}, deflateMessage{kind: "binary", size: n})
	}
	list = append(list,
		deflateMessage{kind: "repeated", size: repeatedSize},
		deflateMessage{kind: "random", size: 100_000, seed: 1},
	)
	if full {
		list = append(list, deflateMessage{kind: "random", size: 1 << 20, seed: 2})
	}
	return append(list,
		deflateMessage{kind: "random", size: twiceSize, seed: 4},
		deflateMessage{kind: "random", size: twiceSize, seed: 4},
		deflateMessage{kind: "random", size: twiceLarge, seed: 5},
		deflateMessage{kind: "random", size: twiceLarge, seed: 5},
		deflateMessage{kind: "text", size: 100_000, fragments: 4},
		deflateMessage{kind: "binary", size: 100_000, fragments: 4},
		deflateMessage{kind: "random", size: 100_000, seed: 6, fragments: 4},
	)
}

func (m deflateMessage) opcode() frame.Opcode {
	if m.kind == "text" || m.kind == "repeated" {
		return frame.OpText
	}
	return frame.OpBinary
}

func (m deflateMessage) content() []byte {
	switch m.kind {
	case "text", "binary":
		return payload(m.opcode(), m.size)
	case "repeated":
		return bytes.Repeat([]byte("a"), m.size)
	}
	b := make([]byte, m.size)
	rand.NewChaCha8([32]byte{m.seed}).Read(b)
	return b
}

// compressor is what one side's compressor must do under the parameters in force (RFC 7692
// §7.1), as far as the wire shows it.
type compressor struct {
	name      string
	threshold int  // messages shorter than this go uncompressed, longer compressed (RSV1)
	takeover  bool // it keeps its LZ77 window from message to message (§7.1.1)
}

// ours is our Conn's compressor with the default threshold, 128 bytes.
func ours(name string, noContextTakeover bool) compressor {
	return compressor{name: name, threshold: 128, takeover: !noContextTakeover}
}

// wireMessage is what the frame headers of one data message showed.
type wireMessage struct {
	op          frame.Opcode
	rsv1        bool
	frames      int
	wire        int64
	rsv1OnFrame bool // RSV1 on a continuation frame (RFC 7692 §6.1 forbids it)
}

// wireLog collects the frame headers that cross a Conn, from its trace hook, which runs on the
// reading goroutine and on writing ones.
type wireLog struct {
	mu             sync.Mutex
	sent, received []wireMessage
	problems       []string
}

func (l *wireLog) trace(sent bool, h frame.Header) {
	l.mu.Lock()
	defer l.mu.Unlock()
	list := &l.received
	if sent {
		list = &l.sent
	}
	switch {
	case h.Op.IsControl():
		if h.Rsv != 0 {
			l.problems = append(l.problems, "RFC 7692 §6.1: RSV bits on a control frame: "+h.String())
		}
	case h.Op == frame.OpContinuation:
		if len(*list) == 0 {
			l.problems = append(l.problems, "a continuation frame starts a message: "+h.String())
			return
		}
		m := &(*list)[len(*list)-1]
		m.frames++
		m.wire += h.Length
		m.rsv1OnFrame = m.rsv1OnFrame || h.Rsv&frame.Rsv1 != 0
	default:
		*list = append(*list, wireMessage{op: h.Op, rsv1: h.Rsv&frame.Rsv1 != 0, frames: 1, wire: h.Length})
	}
}

func (l *wireLog) messages() (sent, received []wireMessage, problems []string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]wireMessage(nil), l.sent...), append([]wireMessage(nil), l.received...), append([]string(nil), l.problems...)
}

// checkWire checks the frames of the scenario's messages as compressor c sent them.
func checkWire(t *testing.T, c compressor, got []wireMessage, list []deflateMessage) {
	t.Helper()
	if len(got) != len(list) {
		t.Errorf("%s sent %d data messages, want %d", c.name, len(got), len(list))
		return
	}
	var probes []string
	defer func() { t.Logf("%s: %s", c.name, strings.Join(probes, ", ")) }()
	for i, m := range list {
		w := got[i]
		what := fmt.Sprintf("%s's message #%d (%s, %d bytes; %d on the wire in %d frames)", c.name, i, m.kind, m.size, w.wire, w.frames)
		if m.kind != "text" && m.kind != "binary" {
			probe := fmt.Sprintf("%s %d→%d", m.kind, m.size, w.wire)
			if w.frames > 1 {
				probe += fmt.Sprintf(" in %d frames", w.frames)
			}
			probes = append(probes, probe)
		}
		if w.op != m.opcode() {
			t.Errorf("%s: opcode %v, want %v", what, w.op, m.opcode())
			continue
		}
		if w.rsv1OnFrame {
			t.Errorf("RFC 7692 §6.1: %s has RSV1 on a continuation frame", what)
		}
		if want := m.size >= c.threshold; w.rsv1 != want {
			t.Errorf("RFC 7692 §6: %s has RSV1=%v, want %v (threshold %d bytes)", what, w.rsv1, want, c.threshold)
			continue
		}
		if !w.rsv1 {
			continue
		}
		size := int64(m.size)
		switch {
		case m.kind == "repeated" && w.wire > size/500:
			t.Errorf("%s: one character repeated should shrink about 1000:1", what)
		// compress/flate at BestSpeed, our level and coder's, matches only part of a copy
		// 20000 bytes back: a copy shrinks to a few bytes at 600, by a fifth at 20000.
		case i > 0 && m == list[i-1] && c.takeover && w.wire >= size*9/10:
			t.Errorf("RFC 7692 §7.1.1: %s: the second copy should be a back-reference to the first (context takeover)", what)
		case i > 0 && m == list[i-1] && !c.takeover && w.wire < size*9/10:
			t.Errorf("RFC 7692 §7.1.1: %s: the second copy shrank, so the compressor kept its window; no_context_takeover is in force", what)
		}
	}
}

// checkProblems reports frames that broke the rules of RFC 7692 §6.1.
func checkProblems(t *testing.T, problems []string) {
	t.Helper()
	for _, p := range problems {
		t.Error(p)
	}
}

// deflateRecord is what our compressing server saw of one connection.
type deflateRecord struct {
	offer      string
	compressed bool
	wire       *wireLog
	end        error
}

// startDeflateServer starts our server with compression options opts: it echoes every message.
func startDeflateServer(t *testing.T, opts *conn.CompressionOptions) (string, <-chan deflateRecord) {
	t.Helper()
	records := make(chan deflateRecord, 4)
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := conn.Upgrade(w, r, &conn.UpgradeOptions{Compression: opts, ReadLimit: -1})
		if err != nil {
			records <- deflateRecord{end: err}
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
		records <- rec
	}))
	t.Cleanup(ts.Close)
	return "ws" + strings.TrimPrefix(ts.URL, "http") + "/ws", records
}

// checkDeflateRecord checks what our server saw: the offer, compression on, the client's close
// code, and the frames of both sides.
func checkDeflateRecord(t *testing.T, records <-chan deflateRecord, list []deflateMessage, wantOffer string, code int, peer, our compressor) {
	t.Helper()
	var rec deflateRecord
	select {
	case rec = <-records:
	case <-time.After(15 * time.Second):
		t.Fatal("our server recorded no connection within 15s")
	}
	if rec.offer != wantOffer {
		t.Errorf("our server received the offer %q, want %q", rec.offer, wantOffer)
	}
	if !rec.compressed {
		t.Fatalf("our server's Conn.Compressed() is false (offer %q)", rec.offer)
	}
	var ce *conn.CloseError
	if !errors.As(rec.end, &ce) || int(ce.Code) != code {
		t.Errorf("§7.1.5: our server's connection ended with %v, want close code %d", rec.end, code)
	}
	sent, received, problems := rec.wire.messages()
	checkProblems(t, problems)
	checkWire(t, peer, received, list)
	checkWire(t, our, sent, list)
}

// TestGorillaCompressionClient runs gorilla's client with EnableCompression against our server.
// Its offer asks both sides not to keep their windows, which our server must honour even when it
// would keep its own (§7.1.1.1).
func TestGorillaCompressionClient(t *testing.T) {
	t.Parallel()
	const offer = "permessage-deflate; server_no_context_takeover; client_no_context_takeover"
	for _, tc := range []struct {
		name string
		opts *conn.CompressionOptions
		full bool // messages up to 1 MiB
	}{
		{"defaults", &conn.CompressionOptions{}, true},
		{"context takeover", &conn.CompressionOptions{ContextTakeover: true}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			url, records := startDeflateServer(t, tc.opts)
			list := deflateMessages(tc.full)
			dialer := websocket.Dialer{HandshakeTimeout: 10 * time.Second, EnableCompression: true}
			c, resp, err := dialer.Dial(url, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			c.SetReadDeadline(time.Now().Add(time.Minute))
			if got := resp.Header.Get("Sec-WebSocket-Extensions"); got != offer {
				t.Errorf("RFC 7692 §5.1: our server answered %q, want %q", got, offer)
			}
			for i, m := range list {
				p := m.content()
				typ := int(m.opcode()) // gorilla's message types are the opcodes of §5.2
				if m.fragments > 1 {
					w, err := c.NextWriter(typ)
					if err != nil {
						t.Fatal(err)
					}
					for rest := p; len(rest) > 0; rest = rest[min(len(rest), 7_777):] {
						if _, err := w.Write(rest[:min(len(rest), 7_777)]); err != nil {
							t.Fatal(err)
						}
					}
					if err := w.Close(); err != nil {
						t.Fatal(err)
					}
				} else if err := c.WriteMessage(typ, p); err != nil {
					t.Fatalf("message #%d: %v", i, err)
				}
				gotType, got, err := c.ReadMessage()
				if err != nil {
					t.Fatalf("reading the echo of message #%d (%s): %v", i, describe(p), err)
				}
				if gotType != typ || !bytes.Equal(got, p) {
					t.Fatalf("echo of message #%d: type %d, %s; want type %d, %s", i, gotType, describe(got), typ, describe(p))
				}
			}
			msg := websocket.FormatCloseMessage(4001, "gorilla says bye")
			if err := c.WriteControl(websocket.CloseMessage, msg, time.Now().Add(5*time.Second)); err != nil {
				t.Fatal(err)
			}
			var ce *websocket.CloseError
			if _, _, err := c.ReadMessage(); !errors.As(err, &ce) || ce.Code != 4001 {
				t.Errorf("§5.5.1: after gorilla's close 4001, ReadMessage: %v; want our echo of 4001", err)
			}
			// gorilla compresses every message and never keeps its window.
			checkDeflateRecord(t, records, list, offer, 4001,
				compressor{name: "gorilla client", threshold: 0, takeover: false},
				ours("our server", true))
		})
	}
}

// gorillaServer starts a gorilla server with EnableCompression that echoes, and records each
// connection's offer and the close code it received.
func gorillaServer(t *testing.T) (string, *peerRecords) {
	records := newPeerRecords()
	upgrader := websocket.Upgrader{EnableCompression: true}
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := upgrader.Upgrade(w, r, nil)
		if err != nil {
			records.add(peerRecord{Err: err})
			return
		}
		defer c.Close()
		rec := peerRecord{Extensions: r.Header.Get("Sec-WebSocket-Extensions")}
		for {
			typ, msg, err := c.ReadMessage()
			if err != nil {
				var ce *websocket.CloseError
				if errors.As(err, &ce) {
					rec.Code, rec.Reason = ce.Code, ce.Text
				} else {
					rec.Err = err
				}
				break
			}
			if err := c.WriteMessage(typ, msg); err != nil {
				rec.Err = err
				break
			}
		}
		records.add(rec)
	}))
	t.Cleanup(ts.Close)
	return "ws" + strings.TrimPrefix(ts.URL, "http") + "/", records
}

// TestGorillaCompressionServer runs our client against a gorilla server with EnableCompression.
// gorilla answers any offer with both no_context_takeover parameters, so our client must stop
// keeping its window even when its options asked to keep it (§7.1.1.2: a server may add
// client_no_context_takeover): gorilla inflates each message on its own and would fail on a
// back-reference into an earlier one.
func TestGorillaCompressionServer(t *testing.T) {
	t.Parallel()
	const response = "permessage-deflate; server_no_context_takeover; client_no_context_takeover"
	for _, tc := range []struct {
		name  string
		opts  *conn.CompressionOptions
		offer string
	}{
		// Messages up to 64 KiB: TestGorillaCompressionClient has those up to 1 MiB.
		{"defaults", &conn.CompressionOptions{}, "permessage-deflate; client_no_context_takeover"},
		{"context takeover", &conn.CompressionOptions{ContextTakeover: true}, "permessage-deflate"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			url, records := gorillaServer(t)
			// gorilla compresses every message and never keeps its window.
			exerciseCompressingServer(t, url, deflateMessages(false), tc.opts, response, true,
				compressor{name: "gorilla server", threshold: 0, takeover: false})
			rec := records.next(t)
			if rec.Extensions != tc.offer {
				t.Errorf("gorilla received the offer %q, want %q", rec.Extensions, tc.offer)
			}
			if rec.Code != 4000 {
				t.Errorf("§7.1.5: gorilla received close code %d, want 4000", rec.Code)
			}
		})
	}

	// RFC 7692 §7.1.2.1: an offer with server_max_window_bits is accepted only by a response
	// with the same or a smaller value; gorilla's has none, so our client must fail the
	// connection (RFC 7692 §7: the response stands for a configuration it did not offer).
	t.Run("server_max_window_bits refused", func(t *testing.T) {
		url, records := gorillaServer(t)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		c, _, err := conn.Dial(ctx, url, &conn.DialOptions{Compression: &conn.CompressionOptions{ServerMaxWindowBits: 10}})
		if err == nil {
			c.CloseNow()
			t.Fatal("Dial succeeded, want an error: the response lacks server_max_window_bits")
		}
		if !errors.Is(err, handshake.ErrBadExtensions) {
			t.Errorf("Dial: %v; want an error wrapping handshake.ErrBadExtensions", err)
		}
		t.Logf("Dial: %v", err)
		// gorilla saw the connection end without a close frame.
		select {
		case rec := <-records.ch:
			if rec.Code != 0 && rec.Code != websocket.CloseAbnormalClosure {
				t.Errorf("gorilla received close code %d, want none", rec.Code)
			}
		case <-time.After(15 * time.Second):
			t.Error("gorilla's handler did not end within 15s of the failed handshake")
		}
	})
}

// exerciseCompressingServer runs our client (Dial with opts) through the scenario against a
// library's echo server at url, which must answer the offer with response, and closes with 4000.
// ourNoTakeover says whether client_no_context_takeover is in force; peer is what the server's
// compressor must do.
func exerciseCompressingServer(t *testing.T, url string, list []deflateMessage, opts *conn.CompressionOptions, response string, ourNoTakeover bool, peer compressor) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c, resp, err := conn.Dial(ctx, url, &conn.DialOptions{Compression: opts, ReadLimit: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	wire := &wireLog{}
	c.SetTrace(wire.trace)
	if got := resp.Header.Get("Sec-WebSocket-Extensions"); got != response {
		t.Errorf("RFC 7692 §5.1: the server answered %q, want %q", got, response)
	}
	if !c.Compressed() {
		t.Fatal("Conn.Compressed() is false")
	}
	for i, m := range list {
		p := m.content()
		if m.fragments > 1 {
			w, err := c.NextWriter(m.opcode())
			if err != nil {
				t.Fatal(err)
			}
			for rest := p; len(rest) > 0; rest = rest[min(len(rest), 7_777):] {
				if _, err := w.Write(rest[:min(len(rest), 7_777)]); err != nil {
					t.Fatal(err)
				}
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
		} else if err := c.WriteMessage(m.opcode(), p); err != nil {
			t.Fatalf("message #%d: %v", i, err)
		}
		expectMessage(t, c, m.opcode(), p)
	}
	if err := c.Close(4000, "go says bye"); err != nil {
		t.Errorf("Close: %v", err)
	}
	var ce *conn.CloseError
	if _, _, err := c.ReadMessage(nil); !errors.As(err, &ce) || ce.Code != 4000 {
		t.Errorf("§5.5.1: after Close, ReadMessage: %v; want the server's echo of 4000", err)
	}
	sent, received, problems := wire.messages()
	checkProblems(t, problems)
	checkWire(t, ours("our client", ourNoTakeover), sent, list)
	checkWire(t, peer, received, list)
}

// TestCoderCompressionClient runs coder's client in both of its compression modes against our
// server. coder compresses messages of 128 bytes and up while it keeps its window, of 512 bytes
// and up when it does not.
func TestCoderCompressionClient(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name     string
		mode     coder.CompressionMode
		opts     *conn.CompressionOptions
		offer    string
		response string
		peer     compressor // coder's compressor
		ourNCT   bool       // server_no_context_takeover in force
	}{
		{
			name: "both keep their windows", mode: coder.CompressionContextTakeover,
			opts:  &conn.CompressionOptions{ContextTakeover: true},
			offer: "permessage-deflate", response: "permessage-deflate",
			peer: compressor{name: "coder client", threshold: 128, takeover: true},
		},
		{
			// Our server's default: it compresses each message on its own, coder keeps its window.
			name: "our defaults", mode: coder.CompressionContextTakeover,
			opts:  &conn.CompressionOptions{},
			offer: "permessage-deflate", response: "permessage-deflate; server_no_context_takeover",
			peer:   compressor{name: "coder client", threshold: 128, takeover: true},
			ourNCT: true,
		},
		{
			// coder asks both sides not to keep their windows; our server must honour it
			// although its options would keep its own (§7.1.1.1).
			name: "no context takeover", mode: coder.CompressionNoContextTakeover,
			opts:     &conn.CompressionOptions{ContextTakeover: true},
			offer:    "permessage-deflate; client_no_context_takeover; server_no_context_takeover",
			response: "permessage-deflate; server_no_context_takeover; client_no_context_takeover",
			peer:     compressor{name: "coder client", threshold: 512, takeover: false},
			ourNCT:   true,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			url, records := startDeflateServer(t, tc.opts)
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			c, resp, err := coder.Dial(ctx, url, &coder.DialOptions{CompressionMode: tc.mode})
			if err != nil {
				t.Fatal(err)
			}
			defer c.CloseNow()
			c.SetReadLimit(4 << 20)
			if got := resp.Header.Get("Sec-WebSocket-Extensions"); got != tc.response {
				t.Errorf("RFC 7692 §5.1: our server answered %q, want %q", got, tc.response)
			}
			// coder's Read and Write may run at the same time; here they take turns. Messages
			// up to 64 KiB: TestCoderCompressionServer has those up to 1 MiB.
			list := deflateMessages(false)
			for i, m := range list {
				p := m.content()
				typ := coder.MessageType(m.opcode()) // coder's message types are the opcodes of §5.2
				if m.fragments > 1 {
					w, err := c.Writer(ctx, typ)
					if err != nil {
						t.Fatal(err)
					}
					for rest := p; len(rest) > 0; rest = rest[min(len(rest), 7_777):] {
						if _, err := w.Write(rest[:min(len(rest), 7_777)]); err != nil {
							t.Fatal(err)
						}
					}
					if err := w.Close(); err != nil {
						t.Fatal(err)
					}
				} else if err := c.Write(ctx, typ, p); err != nil {
					t.Fatalf("message #%d: %v", i, err)
				}
				gotType, got, err := c.Read(ctx)
				if err != nil {
					t.Fatalf("reading the echo of message #%d (%s): %v", i, describe(p), err)
				}
				if gotType != typ || !bytes.Equal(got, p) {
					t.Fatalf("echo of message #%d: %v, %s; want %v, %s", i, gotType, describe(got), typ, describe(p))
				}
			}
			// coder's Close fails unless our answer echoes the code (§5.5.1).
			if err := c.Close(4001, "coder says bye"); err != nil {
				t.Errorf("§5.5.1: coder's Close(4001): %v", err)
			}
			checkDeflateRecord(t, records, list, tc.offer, 4001, tc.peer, ours("our server", tc.ourNCT))
		})
	}
}

// coderServer starts a coder server in compression mode mode that echoes, and records each
// connection's offer and the close code it received.
func coderServer(t *testing.T, mode coder.CompressionMode) (string, *peerRecords) {
	records := newPeerRecords()
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := coder.Accept(w, r, &coder.AcceptOptions{CompressionMode: mode})
		if err != nil {
			records.add(peerRecord{Err: err})
			return
		}
		defer c.CloseNow()
		c.SetReadLimit(4 << 20)
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		rec := peerRecord{Extensions: r.Header.Get("Sec-WebSocket-Extensions")}
		for {
			typ, msg, err := c.Read(ctx)
			if err != nil {
				var ce coder.CloseError
				if errors.As(err, &ce) {
					rec.Code, rec.Reason = int(ce.Code), ce.Reason
				} else {
					rec.Err = err
				}
				break
			}
			if err := c.Write(ctx, typ, msg); err != nil {
				rec.Err = err
				break
			}
		}
		records.add(rec)
	}))
	t.Cleanup(ts.Close)
	return "ws" + strings.TrimPrefix(ts.URL, "http") + "/", records
}

// TestCoderCompressionServer runs our client against a coder server in both of its modes.
func TestCoderCompressionServer(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name     string
		mode     coder.CompressionMode
		opts     *conn.CompressionOptions
		offer    string
		response string
		ourNCT   bool       // client_no_context_takeover in force
		peer     compressor // coder's compressor
		full     bool       // messages up to 1 MiB
	}{
		{
			name: "both keep their windows", mode: coder.CompressionContextTakeover,
			opts:  &conn.CompressionOptions{ContextTakeover: true},
			offer: "permessage-deflate", response: "permessage-deflate",
			peer: compressor{name: "coder server", threshold: 128, takeover: true},
			full: true,
		},
		{
			// Our default offer: we compress each message on our own; coder keeps its window.
			name: "our defaults", mode: coder.CompressionContextTakeover,
			opts:     &conn.CompressionOptions{},
			offer:    "permessage-deflate; client_no_context_takeover",
			response: "permessage-deflate; client_no_context_takeover",
			ourNCT:   true,
			peer:     compressor{name: "coder server", threshold: 128, takeover: true},
		},
		{
			// coder adds client_no_context_takeover to its answer (§7.1.1.2), which our
			// client must honour although its options would keep its window.
			name: "no context takeover", mode: coder.CompressionNoContextTakeover,
			opts:     &conn.CompressionOptions{ContextTakeover: true},
			offer:    "permessage-deflate",
			response: "permessage-deflate; client_no_context_takeover; server_no_context_takeover",
			ourNCT:   true,
			peer:     compressor{name: "coder server", threshold: 512, takeover: false},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			url, records := coderServer(t, tc.mode)
			exerciseCompressingServer(t, url, deflateMessages(tc.full), tc.opts, tc.response, tc.ourNCT, tc.peer)
			rec := records.next(t)
			if rec.Extensions != tc.offer {
				t.Errorf("coder received the offer %q, want %q", rec.Extensions, tc.offer)
			}
			if rec.Code != 4000 {
				t.Errorf("§7.1.5: coder received close code %d, want 4000", rec.Code)
			}
		})
	}

	// coder cannot limit its window (RFC 7692 §7.1.2.1), so it declines an offer with
	// server_max_window_bits: the connection goes on uncompressed (RFC 7692 §5.1).
	t.Run("server_max_window_bits declined", func(t *testing.T) {
		url, records := coderServer(t, coder.CompressionContextTakeover)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		c, resp, err := conn.Dial(ctx, url, &conn.DialOptions{Compression: &conn.CompressionOptions{ServerMaxWindowBits: 10}})
		if err != nil {
			t.Fatal(err)
		}
		defer c.CloseNow()
		if got := resp.Header.Get("Sec-WebSocket-Extensions"); got != "" || c.Compressed() {
			t.Errorf("response %q, Compressed() %v; want the offer declined", got, c.Compressed())
		}
		wire := &wireLog{}
		c.SetTrace(wire.trace)
		p := bytes.Repeat([]byte("a"), 1000)
		if err := c.WriteMessage(frame.OpText, p); err != nil {
			t.Fatal(err)
		}
		expectMessage(t, c, frame.OpText, p)
		if err := c.Close(4000, ""); err != nil {
			t.Errorf("Close: %v", err)
		}
		sent, received, _ := wire.messages()
		for _, m := range append(sent, received...) {
			if m.rsv1 {
				t.Errorf("RFC 6455 §5.2: RSV1 set on a connection without extensions: %+v", m)
			}
		}
		if rec := records.next(t); rec.Extensions != "permessage-deflate; client_no_context_takeover; server_max_window_bits=10" || rec.Code != 4000 {
			t.Errorf("coder saw offer %q and close code %d", rec.Extensions, rec.Code)
		}
	})
}
