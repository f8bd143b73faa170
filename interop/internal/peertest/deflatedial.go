package peertest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/rfc6455/ws/conn"
	"github.com/rfc6455/ws/frame"
)

// DialDeflate dials a peer's compressing echo server at url with our client (conn.Dial with the
// compression options opts, without limit on the size of messages), checks that the server
// answered the offer with wantResponse and that compression is in use, and returns the Conn,
// closed when the test ends, with the log of its frame headers.
func DialDeflate(t testing.TB, url string, opts *conn.CompressionOptions, wantResponse string) (*conn.Conn, *WireLog) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c, resp, err := conn.Dial(ctx, url, &conn.DialOptions{Compression: opts, ReadLimit: -1})
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	t.Cleanup(func() { c.CloseNow() })
	wire := &WireLog{}
	c.SetTrace(wire.Trace)
	got := resp.Header.Get("Sec-WebSocket-Extensions")
	if got != wantResponse {
		t.Errorf("RFC 7692 §5.1: the server answered %q, want %q", got, wantResponse)
	}
	if !c.Compressed() {
		t.Fatalf("Conn.Compressed() is false after the response %q", got)
	}
	return c, wire
}

// EchoDeflateMessages sends each message of list over c, those with Fragments > 1 through
// WriteFragmented, and checks its echo before sending the next.
func EchoDeflateMessages(t testing.TB, c *conn.Conn, list []DeflateMessage) {
	t.Helper()
	for i, m := range list {
		p := m.Content()
		if m.Fragments > 1 {
			WriteFragmented(t, c, m.Opcode(), p)
		} else if err := c.WriteMessage(m.Opcode(), p); err != nil {
			t.Fatalf("writing message #%d: %v", i, err)
		}
		ExpectMessage(t, c, m.Opcode(), p)
	}
}

// CloseWithEcho closes c with code and reason and checks that the server's close frame, which
// the next read reports, echoes the code (§5.5.1).
func CloseWithEcho(t testing.TB, c *conn.Conn, code frame.CloseCode, reason string) {
	t.Helper()
	if err := c.Close(code, reason); err != nil {
		t.Errorf("Close: %v", err)
	}
	var ce *conn.CloseError
	if _, _, err := c.ReadMessage(nil); !errors.As(err, &ce) || ce.Code != code {
		t.Errorf("§5.5.1: after Close, ReadMessage: %v; want the server's echo of %d", err, code)
	}
}
