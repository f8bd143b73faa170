package peertest

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rfc6455/ws/conn"
	"github.com/rfc6455/ws/frame"
)

// ParseCommand splits a text message "close <code> <reason>" or "ping <payload>" into its
// command ("close" or "ping") and arguments: code is the close code, arg the reason or the
// payload. ok is false for anything else, which the servers of the scenarios echo.
func ParseCommand(text string) (command string, code int, arg string, ok bool) {
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

// EchoRecord is what EchoServer saw of one connection.
type EchoRecord struct {
	Subprotocol   string
	Extensions    string   // the Sec-WebSocket-Extensions header of the request: what the client offered
	Messages      int      // data messages received, commands included
	Continuations int      // continuation frames received (§5.4)
	Pings         []string // the application data of the pings received (§5.5.2)
	End           error    // what ended the connection: a *conn.CloseError with the peer's close code
}

// CloseError returns the close frame that ended the connection, failing t if it ended in any
// other way than a close handshake.
func (r EchoRecord) CloseError(t testing.TB) *conn.CloseError {
	t.Helper()
	var ce *conn.CloseError
	if !errors.As(r.End, &ce) {
		t.Fatalf("the connection ended with %v, want a close handshake", r.End)
	}
	return ce
}

// EchoServer is our server, in process, for the peers' clients: conn.Upgrade with the
// subprotocols wamp and soap (in that order of preference), echoing every message, and obeying
// two text commands (ParseCommand): "close <code> <reason>" closes the connection with that
// code and reason, "ping <payload>" sends a ping and answers "pong <payload>" when the pong comes
// back. It records each connection.
type EchoServer struct {
	URL string // ws://127.0.0.1:port/ws

	readLimit int64
	records   chan EchoRecord
}

// StartEchoServer starts an EchoServer on a free port of 127.0.0.1 until the test ends. Its
// Conns accept messages of up to readLimit bytes (conn.UpgradeOptions.ReadLimit: 0 for
// conn.DefaultReadLimit).
func StartEchoServer(t testing.TB, readLimit int64) *EchoServer {
	t.Helper()
	s := &EchoServer{readLimit: readLimit, records: make(chan EchoRecord, 16)}
	s.URL = startServer(t, s.serve)
	return s
}

func (s *EchoServer) serve(w http.ResponseWriter, r *http.Request) {
	c, err := conn.Upgrade(w, r, &conn.UpgradeOptions{Subprotocols: []string{"wamp", "soap"}, ReadLimit: s.readLimit})
	if err != nil {
		s.records <- EchoRecord{End: err}
		return
	}
	defer c.CloseNow()
	rec := EchoRecord{Subprotocol: c.Subprotocol(), Extensions: r.Header.Get("Sec-WebSocket-Extensions")}
	// The hooks run on this goroutine, the only reader, so they need no lock; writes from them
	// are allowed (one goroutine reads while any number write).
	c.SetTrace(func(sent bool, h frame.Header) {
		if !sent && h.Op == frame.OpContinuation {
			rec.Continuations++
		}
	})
	c.SetPingHandler(func(p []byte) { rec.Pings = append(rec.Pings, string(p)) })
	c.SetPongHandler(func(p []byte) { c.WriteMessage(frame.OpText, append([]byte("pong "), p...)) })
	rec.Messages, rec.End = echoMessages(c, true)
	s.records <- rec
}

// Record returns what the server saw of the next connection to end, failing the test if none
// ends within 15 seconds.
func (s *EchoServer) Record(t testing.TB) EchoRecord {
	t.Helper()
	return nextRecord(t, s.records)
}

// nextRecord returns the next record of one of our servers, failing the test if none comes
// within 15 seconds.
func nextRecord[R any](t testing.TB, records <-chan R) R {
	t.Helper()
	select {
	case rec := <-records:
		return rec
	case <-time.After(15 * time.Second):
		t.Fatal("our server recorded no connection within 15s")
		var none R
		return none
	}
}

// startServer serves handler on a free port of 127.0.0.1 until the test ends, and returns its
// WebSocket URL, ws://127.0.0.1:port/ws.
func startServer(t testing.TB, handler http.HandlerFunc) string {
	t.Helper()
	ts := httptest.NewServer(handler)
	t.Cleanup(ts.Close)
	return "ws" + strings.TrimPrefix(ts.URL, "http") + "/ws"
}

// echoMessages writes back every message c receives until the connection ends, and returns how
// many messages it received and what ended the connection: a *conn.CloseError with the peer's
// close code after a close handshake. With commands, it obeys the text messages that
// ParseCommand recognises instead of echoing them: "ping <payload>" sends a ping,
// "close <code> <reason>" closes the connection.
func echoMessages(c *conn.Conn, commands bool) (messages int, end error) {
	var buf []byte
	for {
		op, msg, err := c.ReadMessage(buf)
		if err != nil {
			return messages, err
		}
		buf = msg[:0]
		messages++
		if command, code, arg, ok := ParseCommand(string(msg)); commands && op == frame.OpText && ok {
			if command == "ping" {
				c.Ping([]byte(arg))
				continue
			}
			c.Close(frame.CloseCode(code), arg)
			// Close has read the peer's answering close frame: the next read reports it.
			_, _, err := c.ReadMessage(nil)
			return messages, err
		}
		if err := c.WriteMessage(op, msg); err != nil {
			return messages, err
		}
	}
}
