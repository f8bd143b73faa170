package echoservers

import (
	"errors"
	"net/http"

	"github.com/rfc6455/ws/conn"
)

// serveOurs is the echo loop of cmd/echo (server.go, echo) without its logging and its set of live
// connections: conn.Upgrade with the default options (read limit 32 MiB, UTF-8 validation of
// text always on), then ReadMessage into a reused buffer and WriteMessage with the same opcode,
// or BufferMessage while the next message has already arrived (one write per batch).
// Keep it in step with cmd/echo, whose throughput is what issue 5 targets.
func serveOurs(w http.ResponseWriter, r *http.Request) { echoOurs(w, r, nil) }

// oursDeflate is ours with permessage-deflate (RFC 7692) at the defaults of
// conn.CompressionOptions: flate.BestSpeed, messages under 128 bytes sent uncompressed, and no
// context takeover: each message is compressed with a pooled compressor and the response
// declares server_no_context_takeover.
var oursDeflate = &conn.UpgradeOptions{Compression: &conn.CompressionOptions{}}

// oursDeflateTakeover is oursDeflate with ContextTakeover: each connection keeps its compressor
// and its 32 KiB window from message to message (about 1.2 MiB with compress/flate).
var oursDeflateTakeover = &conn.UpgradeOptions{Compression: &conn.CompressionOptions{ContextTakeover: true}}

// echoOurs is serveOurs's loop with the given upgrade options.
func echoOurs(w http.ResponseWriter, r *http.Request, opts *conn.UpgradeOptions) {
	c, err := conn.Upgrade(w, r, opts)
	if err != nil {
		return // Upgrade has answered with the HTTP error
	}
	defer c.CloseNow()
	buf := make([]byte, 0, 4096)
	for {
		op, msg, err := c.ReadMessage(buf)
		if err != nil {
			return // *conn.CloseError after the close handshake, or a protocol error
		}
		buf = msg[:0]
		if c.Buffered() > 0 {
			err = c.BufferMessage(op, msg)
		} else {
			err = c.WriteMessage(op, msg)
		}
		if errors.Is(err, conn.ErrCloseSent) {
			continue // RFC 6455 §7.1.2: keep reading until the peer's close frame
		}
		if err != nil {
			return
		}
	}
}
