package golibs

import (
	"bytes"
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/rfc6455/ws/frame"
	"github.com/rfc6455/ws/interop/internal/peertest"
)

// coder/websocket v1.8.15 (formerly nhooyr.io/websocket). Its Conn is driven by contexts, and
// Ping waits for the pong, which only a concurrent Read receives; so the client test reads in a
// goroutine of its own. Its Close returns an error unless the peer's close frame echoes the code
// it sent (§5.5.1), which makes it a strict judge of our close handshake.

// coderMessage is a message, or the error that ended reading, from the client's reader.
type coderMessage struct {
	typ websocket.MessageType
	p   []byte
	err error
}

// TestCoderClient runs coder's client against our server.
func TestCoderClient(t *testing.T) {
	s := peertest.StartEchoServer(t, ourReadLimit)
	dial := func(t *testing.T) (*websocket.Conn, <-chan coderMessage) {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		c, resp, err := websocket.Dial(ctx, s.URL, &websocket.DialOptions{
			Subprotocols: []string{"soap", "wamp"},
			// coder offers permessage-deflate in this mode; our server must decline (§9.1).
			CompressionMode: websocket.CompressionContextTakeover,
		})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.CloseNow() })
		if c.Subprotocol() != "wamp" {
			t.Errorf("§4.2.2: subprotocol %q, want \"wamp\"", c.Subprotocol())
		}
		if ext := resp.Header.Get("Sec-WebSocket-Extensions"); ext != "" {
			t.Errorf("§9.1: our server accepted extensions %q, want none", ext)
		}
		c.SetReadLimit(2 << 20)
		messages := make(chan coderMessage, 1)
		go func() {
			for {
				typ, p, err := c.Read(context.Background())
				messages <- coderMessage{typ, p, err}
				if err != nil {
					return
				}
			}
		}()
		return c, messages
	}
	next := func(t *testing.T, messages <-chan coderMessage) coderMessage {
		t.Helper()
		select {
		case m := <-messages:
			return m
		case <-time.After(15 * time.Second):
			t.Fatal("no message within 15s")
			return coderMessage{}
		}
	}
	expect := func(t *testing.T, messages <-chan coderMessage, typ websocket.MessageType, want []byte) {
		t.Helper()
		m := next(t, messages)
		if m.err != nil {
			t.Fatalf("reading the echo of %s: %v", peertest.Describe(want), m.err)
		}
		if m.typ != typ || !bytes.Equal(m.p, want) {
			t.Fatalf("got %v, %s; want %v, %s", m.typ, peertest.Describe(m.p), typ, peertest.Describe(want))
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	t.Run("client closes", func(t *testing.T) {
		c, messages := dial(t)
		for _, size := range sizes {
			for _, typ := range []websocket.MessageType{websocket.MessageText, websocket.MessageBinary} {
				p := peertest.Payload(frame.Opcode(typ), size)
				if err := c.Write(ctx, typ, p); err != nil {
					t.Fatal(err)
				}
				expect(t, messages, typ, p)
			}
		}
		// §5.4: coder's Writer sends a frame per Write.
		for _, typ := range []websocket.MessageType{websocket.MessageText, websocket.MessageBinary} {
			p := peertest.Payload(frame.Opcode(typ), peertest.FragmentedSize)
			w, err := c.Writer(ctx, typ)
			if err != nil {
				t.Fatal(err)
			}
			peertest.WriteInPieces(t, w, p)
			expect(t, messages, typ, p)
		}
		// §5.5.2: Ping returns once our server's pong, with the same data, has been read.
		pingCtx, cancelPing := context.WithTimeout(ctx, 10*time.Second)
		defer cancelPing()
		if err := c.Ping(pingCtx); err != nil {
			t.Fatalf("Ping: %v", err)
		}
		// Our server pings; coder answers while reading.
		c.Write(ctx, websocket.MessageText, []byte("ping from go"))
		expect(t, messages, websocket.MessageText, []byte("pong from go"))

		// §7.1.2: coder closes, and Close fails unless our answer echoes 4001 (§5.5.1).
		if err := c.Close(4001, "coder says bye"); err != nil {
			t.Errorf("§5.5.1: coder's Close(4001): %v", err)
		}
		// coder's Close reads our close frame itself when its reader is not quick enough,
		// and then closes the connection under the reader: either ending is right.
		if m := next(t, messages); websocket.CloseStatus(m.err) != 4001 && !errors.Is(m.err, net.ErrClosed) {
			t.Errorf("the reader ended with %v, want our close frame with 4001 (or the closed connection)", m.err)
		}

		rec := s.Record(t)
		if !strings.Contains(rec.Extensions, "permessage-deflate") {
			t.Errorf("coder offered extensions %q; the test expects a permessage-deflate offer", rec.Extensions)
		}
		if rec.Continuations < 2*(peertest.FragmentedSize/peertest.PieceSize) {
			t.Errorf("§5.4: our server received %d continuation frames, want one per Write after the first", rec.Continuations)
		}
		if len(rec.Pings) != 1 {
			t.Errorf("our server saw pings %q, want one", rec.Pings)
		}
		checkEnd(t, rec, 4001, "coder says bye")
	})

	t.Run("server closes", func(t *testing.T) {
		c, messages := dial(t)
		c.Write(ctx, websocket.MessageText, []byte("close 4002 go says bye"))
		m := next(t, messages)
		var ce websocket.CloseError
		if !errors.As(m.err, &ce) || ce.Code != 4002 || ce.Reason != "go says bye" {
			t.Fatalf("Read: %v; want close 4002 \"go says bye\"", m.err)
		}
		// coder echoes the code.
		checkEnd(t, s.Record(t), 4002, peertest.AnyReason)
	})
}

// TestCoderServer runs our client against a coder server.
func TestCoderServer(t *testing.T) {
	records := newPeerRecords()
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := websocket.Accept(w, r, &websocket.AcceptOptions{Subprotocols: []string{"wamp", "mqtt"}})
		if err != nil {
			records.add(peerRecord{Err: err})
			return
		}
		defer c.CloseNow()
		c.SetReadLimit(2 << 20)
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		rec := peerRecord{Subprotocol: c.Subprotocol(), Extensions: r.Header.Get("Sec-WebSocket-Extensions")}
		c.Write(ctx, websocket.MessageText, []byte("hello "+c.Subprotocol()))
		for {
			typ, msg, err := c.Read(ctx)
			if err != nil {
				rec.ended(err)
				break
			}
			if command, code, arg, ok := peertest.ParseCommand(string(msg)); typ == websocket.MessageText && ok {
				if command == "ping" {
					// Ping waits for the pong, which this goroutine's next Read receives.
					go func() {
						if err := c.Ping(ctx); err == nil {
							c.Write(ctx, websocket.MessageText, []byte("pong "+arg))
						}
					}()
					continue
				}
				// Close fails unless the client's answer echoes the code (§5.5.1).
				if err := c.Close(websocket.StatusCode(code), arg); err != nil {
					rec.Err = err
				} else {
					rec.Code = code
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
	exerciseTheirServer(t, "ws"+strings.TrimPrefix(ts.URL, "http")+"/", records)
}
