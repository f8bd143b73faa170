package golibs

import (
	"context"
	"errors"
	"testing"
	"time"

	coder "github.com/coder/websocket"
	gorilla "github.com/gorilla/websocket"
	"github.com/rfc6455/ws/conn"
	"github.com/rfc6455/ws/frame"
	"github.com/rfc6455/ws/interop/internal/peertest"
)

// Both libraries meet the same two scenarios, one per direction, as the peers of package
// interop do; what the two share is in package peertest (interop/internal/peertest).
//
// Their client talks to peertest.EchoServer: conn.Upgrade with the subprotocols wamp and soap
// (in that order of preference), echoing every message, and obeying two commands:
// "close <code> <reason>" closes the connection with that code, "ping <payload>" sends a ping
// and answers "pong <payload>" when the pong comes back.
//
// Our client talks to their server, which greets each connection with "hello <subprotocol>",
// echoes, and obeys the same two commands (peertest.ParseCommand); it reports what it saw of
// each connection as a peerRecord. exerciseTheirServer is our client's side.

// sizes are the lengths of the echoed messages: peertest.EdgeSizes (the edges of the three
// payload length encodings of §5.2 and of a 4 KiB buffer), and 1 MiB.
var sizes = append(peertest.EdgeSizes(), 1<<20)

// ourReadLimit is the read limit of our server's Conns: above the largest message, 1 MiB.
const ourReadLimit = 8 << 20

// checkEnd checks that a connection of our server ended with a close handshake in which it
// received code and, unless reason is peertest.AnyReason, reason.
func checkEnd(t *testing.T, rec peertest.EchoRecord, code int, reason string) {
	t.Helper()
	ce := rec.CloseError(t)
	if int(ce.Code) != code || (reason != peertest.AnyReason && ce.Reason != reason) {
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

// ended records what ended a library's server loop: the close frame it received, with its code
// and reason, or another error.
func (r *peerRecord) ended(err error) {
	var gorillaClose *gorilla.CloseError
	var coderClose coder.CloseError
	switch {
	case errors.As(err, &gorillaClose):
		r.Code, r.Reason = gorillaClose.Code, gorillaClose.Text
	case errors.As(err, &coderClose):
		r.Code, r.Reason = int(coderClose.Code), coderClose.Reason
	default:
		r.Err = err
	}
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
		peertest.ExpectMessage(t, c, frame.OpText, []byte("hello wamp"))
		return c
	}

	t.Run("messages", func(t *testing.T) {
		c := dial(t)
		defer c.CloseNow()
		peertest.ExchangeMessages(t, c, sizes, "the server")

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
		peertest.RequestClose(t, c, 4001, "the server says bye")
		// §5.5.1: our Conn answered with a close frame echoing the code.
		if rec := records.next(t); rec.Code != 4001 {
			t.Errorf("§5.5.1: the server received close code %d in answer to its 4001, want the code echoed", rec.Code)
		}
	})
}
