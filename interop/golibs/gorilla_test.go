package golibs

import (
	"bytes"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/rfc6455/ws/frame"
	"github.com/rfc6455/ws/interop/internal/peertest"
)

// gorilla/websocket v1.5.3, the library of the seed's echo server.

// TestGorillaClient runs gorilla's client against our server.
func TestGorillaClient(t *testing.T) {
	s := peertest.StartEchoServer(t, ourReadLimit)
	dialer := websocket.Dialer{
		Subprotocols:     []string{"soap", "wamp"},
		HandshakeTimeout: 10 * time.Second,
		// gorilla offers permessage-deflate when asked; our server must decline it (§9.1).
		EnableCompression: true,
	}
	dial := func(t *testing.T) *websocket.Conn {
		t.Helper()
		c, resp, err := dialer.Dial(s.URL, nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		c.SetReadDeadline(time.Now().Add(30 * time.Second))
		// §4.2.2: the server's preference, wamp, among those offered.
		if c.Subprotocol() != "wamp" {
			t.Errorf("§4.2.2: subprotocol %q, want \"wamp\"", c.Subprotocol())
		}
		if ext := resp.Header.Get("Sec-WebSocket-Extensions"); ext != "" {
			t.Errorf("§9.1: our server accepted extensions %q, want none", ext)
		}
		return c
	}
	expect := func(t *testing.T, c *websocket.Conn, typ int, want []byte) {
		t.Helper()
		gotType, got, err := c.ReadMessage()
		if err != nil {
			t.Fatalf("reading the echo of %s: %v", peertest.Describe(want), err)
		}
		if gotType != typ || !bytes.Equal(got, want) {
			t.Fatalf("got type %d, %s; want type %d, %s", gotType, peertest.Describe(got), typ, peertest.Describe(want))
		}
	}
	deadline := func() time.Time { return time.Now().Add(5 * time.Second) }

	t.Run("client closes", func(t *testing.T) {
		c := dial(t)
		for _, size := range sizes {
			for _, typ := range []int{websocket.TextMessage, websocket.BinaryMessage} {
				p := peertest.Payload(opcodeOf(typ), size)
				if err := c.WriteMessage(typ, p); err != nil {
					t.Fatal(err)
				}
				expect(t, c, typ, p)
			}
		}
		// §5.4: gorilla's NextWriter sends a frame each time its 4 KiB buffer fills.
		for _, typ := range []int{websocket.TextMessage, websocket.BinaryMessage} {
			p := peertest.Payload(opcodeOf(typ), peertest.FragmentedSize)
			w, err := c.NextWriter(typ)
			if err != nil {
				t.Fatal(err)
			}
			peertest.WriteInPieces(t, w, p)
			expect(t, c, typ, p)
		}
		// §5.5.2: our server answers gorilla's ping with the same data.
		var pongs []string
		c.SetPongHandler(func(data string) error { pongs = append(pongs, data); return nil })
		if err := c.WriteControl(websocket.PingMessage, []byte("gorilla ping"), deadline()); err != nil {
			t.Fatal(err)
		}
		c.WriteMessage(websocket.TextMessage, []byte("after the ping"))
		expect(t, c, websocket.TextMessage, []byte("after the ping"))
		if len(pongs) != 1 || pongs[0] != "gorilla ping" {
			t.Errorf("§5.5.3: pongs %q, want [\"gorilla ping\"]", pongs)
		}
		// Our server pings; gorilla's default ping handler answers while reading.
		c.WriteMessage(websocket.TextMessage, []byte("ping from go"))
		expect(t, c, websocket.TextMessage, []byte("pong from go"))

		// §7.1.2: gorilla closes; our server echoes the code (§5.5.1).
		msg := websocket.FormatCloseMessage(4001, "gorilla says bye")
		if err := c.WriteControl(websocket.CloseMessage, msg, deadline()); err != nil {
			t.Fatal(err)
		}
		var ce *websocket.CloseError
		if _, _, err := c.ReadMessage(); !errors.As(err, &ce) || ce.Code != 4001 {
			t.Errorf("§5.5.1: after gorilla's close 4001, ReadMessage: %v; want our echo of 4001", err)
		}

		rec := s.Record(t)
		if !strings.Contains(rec.Extensions, "permessage-deflate") {
			t.Errorf("gorilla offered extensions %q; the test expects a permessage-deflate offer", rec.Extensions)
		}
		if rec.Continuations < 2*(peertest.FragmentedSize/4096) {
			t.Errorf("§5.4: our server received %d continuation frames, want the fragmented messages' many", rec.Continuations)
		}
		if len(rec.Pings) != 1 || rec.Pings[0] != "gorilla ping" {
			t.Errorf("our server saw pings %q, want [\"gorilla ping\"]", rec.Pings)
		}
		checkEnd(t, rec, 4001, "gorilla says bye")
	})

	t.Run("server closes", func(t *testing.T) {
		c := dial(t)
		c.WriteMessage(websocket.TextMessage, []byte("close 4002 go says bye"))
		var ce *websocket.CloseError
		if _, _, err := c.ReadMessage(); !errors.As(err, &ce) || ce.Code != 4002 || ce.Text != "go says bye" {
			t.Fatalf("ReadMessage: %v; want close 4002 \"go says bye\"", err)
		}
		// gorilla's default close handler echoes the code.
		checkEnd(t, s.Record(t), 4002, peertest.AnyReason)
	})
}

// TestGorillaServer runs our client against a gorilla server.
func TestGorillaServer(t *testing.T) {
	records := newPeerRecords()
	upgrader := websocket.Upgrader{Subprotocols: []string{"wamp", "mqtt"}}
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := upgrader.Upgrade(w, r, nil)
		if err != nil {
			records.add(peerRecord{Err: err})
			return
		}
		defer c.Close()
		rec := peerRecord{Subprotocol: c.Subprotocol(), Extensions: r.Header.Get("Sec-WebSocket-Extensions")}
		deadline := func() time.Time { return time.Now().Add(5 * time.Second) }
		// The pong handler runs inside ReadMessage, on this goroutine, the only writer.
		c.SetPongHandler(func(data string) error {
			return c.WriteMessage(websocket.TextMessage, []byte("pong "+data))
		})
		c.WriteMessage(websocket.TextMessage, []byte("hello "+c.Subprotocol()))
		for {
			typ, msg, err := c.ReadMessage()
			if err != nil {
				rec.ended(err)
				break
			}
			if command, code, arg, ok := peertest.ParseCommand(string(msg)); typ == websocket.TextMessage && ok {
				if command == "ping" {
					err = c.WriteControl(websocket.PingMessage, []byte(arg), deadline())
				} else {
					// Then read on: the client's answering close frame ends the loop.
					err = c.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, arg), deadline())
				}
			} else {
				err = c.WriteMessage(typ, msg)
			}
			if err != nil {
				rec.Err = err
				break
			}
		}
		records.add(rec)
	}))
	t.Cleanup(ts.Close)
	exerciseTheirServer(t, "ws"+strings.TrimPrefix(ts.URL, "http")+"/", records)
}

// opcodeOf converts gorilla's message type to our opcode: both use the values of §5.2.
func opcodeOf(typ int) frame.Opcode {
	if typ == websocket.TextMessage {
		return frame.OpText
	}
	return frame.OpBinary
}
