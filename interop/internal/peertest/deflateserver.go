package peertest

import (
	"errors"
	"fmt"
	"net/http"
	"testing"

	"github.com/rfc6455/ws/conn"
)

// DeflateRecord is what DeflateServer saw of one connection.
type DeflateRecord struct {
	Offer      string   // the client's Sec-WebSocket-Extensions
	Compressed bool     // Conn.Compressed: permessage-deflate is in use
	Wire       *WireLog // the frame headers, from the server's point of view
	End        error    // what ended the connection: a *conn.CloseError with the client's code
}

// DeflateServer is our server, in process, with compression on, for the peers' clients: it
// echoes every message, without limit on their size, and records what it saw of each
// connection.
type DeflateServer struct {
	URL string // ws://127.0.0.1:port/ws

	records chan DeflateRecord
}

// StartDeflateServer starts a DeflateServer with the compression options opts on a free port of
// 127.0.0.1 until the test ends.
func StartDeflateServer(t testing.TB, opts *conn.CompressionOptions) *DeflateServer {
	t.Helper()
	s := &DeflateServer{records: make(chan DeflateRecord, 4)}
	s.URL = startServer(t, func(w http.ResponseWriter, r *http.Request) {
		c, err := conn.Upgrade(w, r, &conn.UpgradeOptions{Compression: opts, ReadLimit: -1})
		if err != nil {
			s.records <- DeflateRecord{End: err}
			return
		}
		defer c.CloseNow()
		rec := DeflateRecord{Offer: r.Header.Get("Sec-WebSocket-Extensions"), Compressed: c.Compressed(), Wire: &WireLog{}}
		c.SetTrace(rec.Wire.Trace)
		_, rec.End = echoMessages(c, false)
		s.records <- rec
	})
	return s
}

// Record returns what the server saw of the next connection to end, failing the test if none
// ends within 15 seconds.
func (s *DeflateServer) Record(t testing.TB) DeflateRecord {
	t.Helper()
	return nextRecord(t, s.records)
}

// AnyReason, as the close reason a check expects (CheckDeflateRecord's reason), leaves the
// reason unchecked: the code alone is checked.
const AnyReason = "-"

// CheckDeflateRecord checks what DeflateServer saw of a client that sent the messages of list
// and closed with code and reason (or AnyReason): the client's offer, compression in use, the
// close handshake (§7.1.5), and the frames of both sides, the client's against peer and our
// server's against ours.
func CheckDeflateRecord(t testing.TB, rec DeflateRecord, list []DeflateMessage, wantOffer string, code int, reason string, peer, ours Compressor) {
	t.Helper()
	if rec.Offer != wantOffer {
		t.Errorf("our server received the offer %q, want %q", rec.Offer, wantOffer)
	}
	if !rec.Compressed {
		t.Fatalf("our server's Conn.Compressed() is false after the offer %q", rec.Offer)
	}
	want := fmt.Sprintf("close %d %q", code, reason)
	if reason == AnyReason {
		want = fmt.Sprintf("close code %d", code)
	}
	var ce *conn.CloseError
	if !errors.As(rec.End, &ce) || int(ce.Code) != code || (reason != AnyReason && ce.Reason != reason) {
		t.Errorf("§7.1.5: our server's connection ended with %v, want %s", rec.End, want)
	}
	sent, received, problems := rec.Wire.Messages()
	CheckProblems(t, problems)
	CheckWire(t, peer, received, list)
	CheckWire(t, ours, sent, list)
}
