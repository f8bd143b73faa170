package golibs

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	coder "github.com/coder/websocket"
	"github.com/gorilla/websocket"
	"github.com/rfc6455/ws/conn"
	"github.com/rfc6455/ws/frame"
	"github.com/rfc6455/ws/handshake"
	"github.com/rfc6455/ws/interop/internal/peertest"
)

// Permessage-deflate (RFC 7692) with gorilla/websocket and coder/websocket, both directions: the
// scenario of interop/compression_test.go (peertest.DeflateMessages), in process. gorilla
// supports only server_no_context_takeover and client_no_context_takeover, and always asks for
// both (as a client) or answers with both (as a server); coder supports context takeover or not,
// and no window size below 15 bits. Our Conn's trace hook (Conn.SetTrace) shows each frame
// header, and peertest.CheckWire holds the frames of each side against the parameters in force.

// Sizes of the text and binary messages of the full runs: those of the other tests and 128, the
// edge of our compression threshold.
var deflateFullSizes = append(peertest.EdgeSizes(), 1<<20, 128)

// deflateMessages returns the scenario's messages, without the window probe: with full, text
// and binary messages up to 1 MiB and a random message of 1 MiB; without, up to 64 KiB, to keep
// the run short under -race.
func deflateMessages(full bool) []peertest.DeflateMessage {
	if full {
		return peertest.DeflateMessages(deflateFullSizes, peertest.DeflateProbes{Large: true})
	}
	return peertest.DeflateMessages(peertest.SmallDeflateSizes(), peertest.DeflateProbes{})
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
			server := peertest.StartDeflateServer(t, tc.opts)
			list := deflateMessages(tc.full)
			dialer := websocket.Dialer{HandshakeTimeout: 10 * time.Second, EnableCompression: true}
			c, resp, err := dialer.Dial(server.URL, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			c.SetReadDeadline(time.Now().Add(time.Minute))
			if got := resp.Header.Get("Sec-WebSocket-Extensions"); got != offer {
				t.Errorf("RFC 7692 §5.1: our server answered %q, want %q", got, offer)
			}
			for i, m := range list {
				p := m.Content()
				typ := int(m.Opcode()) // gorilla's message types are the opcodes of §5.2
				if m.Fragments > 1 {
					w, err := c.NextWriter(typ)
					if err != nil {
						t.Fatal(err)
					}
					peertest.WriteInPieces(t, w, p)
				} else if err := c.WriteMessage(typ, p); err != nil {
					t.Fatalf("message #%d: %v", i, err)
				}
				gotType, got, err := c.ReadMessage()
				if err != nil {
					t.Fatalf("reading the echo of message #%d (%s): %v", i, peertest.Describe(p), err)
				}
				if gotType != typ || !bytes.Equal(got, p) {
					t.Fatalf("echo of message #%d: type %d, %s; want type %d, %s", i, gotType, peertest.Describe(got), typ, peertest.Describe(p))
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
			peertest.CheckDeflateRecord(t, server.Record(t), list, offer, 4001, peertest.AnyReason,
				peertest.Compressor{Name: "gorilla client", Threshold: 0, Takeover: false},
				peertest.Ours("our server", false, 15))
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
				rec.ended(err)
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
		// Our offers hold a bare client_max_window_bits (RFC 7692 §7.1.2.2), which gorilla
		// does not answer: our window stays 2^15.
		{"defaults", &conn.CompressionOptions{}, "permessage-deflate; client_no_context_takeover; client_max_window_bits"},
		{"context takeover", &conn.CompressionOptions{ContextTakeover: true}, "permessage-deflate; client_max_window_bits"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			url, records := gorillaServer(t)
			// gorilla compresses every message and never keeps its window.
			exerciseCompressingServer(t, url, deflateMessages(false), tc.opts, response, true,
				peertest.Compressor{Name: "gorilla server", Threshold: 0, Takeover: false})
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
func exerciseCompressingServer(t *testing.T, url string, list []peertest.DeflateMessage, opts *conn.CompressionOptions, response string, ourNoTakeover bool, peer peertest.Compressor) {
	t.Helper()
	c, wire := peertest.DialDeflate(t, url, opts, response)
	peertest.EchoDeflateMessages(t, c, list)
	peertest.CloseWithEcho(t, c, 4000, "go says bye")
	sent, received, problems := wire.Messages()
	peertest.CheckProblems(t, problems)
	peertest.CheckWire(t, peertest.OurClient("our client", !ourNoTakeover, 15), sent, list)
	peertest.CheckWire(t, peer, received, list)
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
		peer     peertest.Compressor // coder's compressor
		ourNCT   bool                // server_no_context_takeover in force
	}{
		{
			name: "both keep their windows", mode: coder.CompressionContextTakeover,
			opts:  &conn.CompressionOptions{ContextTakeover: true},
			offer: "permessage-deflate", response: "permessage-deflate",
			peer: peertest.Compressor{Name: "coder client", Threshold: 128, Takeover: true},
		},
		{
			// Our server's default: it compresses each message on its own, coder keeps its window.
			name: "our defaults", mode: coder.CompressionContextTakeover,
			opts:  &conn.CompressionOptions{},
			offer: "permessage-deflate", response: "permessage-deflate; server_no_context_takeover",
			peer:   peertest.Compressor{Name: "coder client", Threshold: 128, Takeover: true},
			ourNCT: true,
		},
		{
			// coder asks both sides not to keep their windows; our server must honour it
			// although its options would keep its own (§7.1.1.1).
			name: "no context takeover", mode: coder.CompressionNoContextTakeover,
			opts:     &conn.CompressionOptions{ContextTakeover: true},
			offer:    "permessage-deflate; client_no_context_takeover; server_no_context_takeover",
			response: "permessage-deflate; server_no_context_takeover; client_no_context_takeover",
			peer:     peertest.Compressor{Name: "coder client", Threshold: 512, Takeover: false},
			ourNCT:   true,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			server := peertest.StartDeflateServer(t, tc.opts)
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			c, resp, err := coder.Dial(ctx, server.URL, &coder.DialOptions{CompressionMode: tc.mode})
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
				p := m.Content()
				typ := coder.MessageType(m.Opcode()) // coder's message types are the opcodes of §5.2
				if m.Fragments > 1 {
					w, err := c.Writer(ctx, typ)
					if err != nil {
						t.Fatal(err)
					}
					peertest.WriteInPieces(t, w, p)
				} else if err := c.Write(ctx, typ, p); err != nil {
					t.Fatalf("message #%d: %v", i, err)
				}
				gotType, got, err := c.Read(ctx)
				if err != nil {
					t.Fatalf("reading the echo of message #%d (%s): %v", i, peertest.Describe(p), err)
				}
				if gotType != typ || !bytes.Equal(got, p) {
					t.Fatalf("echo of message #%d: %v, %s; want %v, %s", i, gotType, peertest.Describe(got), typ, peertest.Describe(p))
				}
			}
			// coder's Close fails unless our answer echoes the code (§5.5.1).
			if err := c.Close(4001, "coder says bye"); err != nil {
				t.Errorf("§5.5.1: coder's Close(4001): %v", err)
			}
			peertest.CheckDeflateRecord(t, server.Record(t), list, tc.offer, 4001, peertest.AnyReason, tc.peer, peertest.Ours("our server", !tc.ourNCT, 15))
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
				rec.ended(err)
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
		ourNCT   bool                // client_no_context_takeover in force
		peer     peertest.Compressor // coder's compressor
		full     bool                // messages up to 1 MiB
	}{
		{
			name: "both keep their windows", mode: coder.CompressionContextTakeover,
			opts:  &conn.CompressionOptions{ContextTakeover: true},
			offer: "permessage-deflate; client_max_window_bits", response: "permessage-deflate",
			peer: peertest.Compressor{Name: "coder server", Threshold: 128, Takeover: true},
			full: true,
		},
		{
			// Our default offer: we compress each message on our own; coder keeps its window.
			name: "our defaults", mode: coder.CompressionContextTakeover,
			opts:     &conn.CompressionOptions{},
			offer:    "permessage-deflate; client_no_context_takeover; client_max_window_bits",
			response: "permessage-deflate; client_no_context_takeover",
			ourNCT:   true,
			peer:     peertest.Compressor{Name: "coder server", Threshold: 128, Takeover: true},
		},
		{
			// coder adds client_no_context_takeover to its answer (§7.1.1.2), which our
			// client must honour although its options would keep its window.
			name: "no context takeover", mode: coder.CompressionNoContextTakeover,
			opts:     &conn.CompressionOptions{ContextTakeover: true},
			offer:    "permessage-deflate; client_max_window_bits",
			response: "permessage-deflate; client_no_context_takeover; server_no_context_takeover",
			ourNCT:   true,
			peer:     peertest.Compressor{Name: "coder server", Threshold: 512, Takeover: false},
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
		wire := &peertest.WireLog{}
		c.SetTrace(wire.Trace)
		p := bytes.Repeat([]byte("a"), 1000)
		if err := c.WriteMessage(frame.OpText, p); err != nil {
			t.Fatal(err)
		}
		peertest.ExpectMessage(t, c, frame.OpText, p)
		if err := c.Close(4000, ""); err != nil {
			t.Errorf("Close: %v", err)
		}
		sent, received, _ := wire.Messages()
		for _, m := range append(sent, received...) {
			if m.RSV1 {
				t.Errorf("RFC 6455 §5.2: RSV1 set on a connection without extensions: %+v", m)
			}
		}
		if rec := records.next(t); rec.Extensions != "permessage-deflate; client_no_context_takeover; server_max_window_bits=10; client_max_window_bits" || rec.Code != 4000 {
			t.Errorf("coder saw offer %q and close code %d", rec.Extensions, rec.Code)
		}
	})
}
