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
func serveOurs(w http.ResponseWriter, r *http.Request) {
	c, err := conn.Upgrade(w, r, nil)
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
