package echoservers

import (
	"context"
	"io"
	"net/http"

	"github.com/coder/websocket"
)

// serveCoder is coder/websocket's echo as in its documentation: Reader, Writer and io.Copy, here
// with a pooled copy buffer instead of io.Copy's fresh 32 KiB per message. coder does not
// validate text, so the server checks it incrementally; coder answers pings and the close
// handshake itself. Compression is off by default.
func serveCoder(w http.ResponseWriter, r *http.Request) {
	c, err := websocket.Accept(w, r, nil)
	if err != nil {
		return
	}
	defer c.CloseNow()
	c.SetReadLimit(ReadLimit)
	ctx := context.Background()
	var text utf8Reader
	for {
		typ, rd, err := c.Reader(ctx)
		if err != nil {
			return
		}
		if typ == websocket.MessageText {
			text.reset(rd)
			rd = &text
		}
		wr, err := c.Writer(ctx, typ)
		if err != nil {
			return
		}
		buf := copyBuffers.Get().(*[]byte)
		_, err = io.CopyBuffer(wr, rd, *buf)
		copyBuffers.Put(buf)
		if err == errInvalidUTF8 {
			c.Close(websocket.StatusInvalidFramePayloadData, "invalid UTF-8")
			return
		}
		if err != nil {
			return
		}
		if err := wr.Close(); err != nil {
			return
		}
	}
}
