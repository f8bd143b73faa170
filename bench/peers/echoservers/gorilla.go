package echoservers

import (
	"io"
	"net/http"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/gorilla/websocket"
)

// gorillaUpgrader uses 4 KiB buffers, as gorilla's documentation suggests for small messages;
// compression is off.
var gorillaUpgrader = websocket.Upgrader{ReadBufferSize: 4096, WriteBufferSize: 4096}

// gorillaDeflateUpgrader is gorillaUpgrader with EnableCompression: gorilla accepts any
// permessage-deflate offer, always answers "server_no_context_takeover;
// client_no_context_takeover" (the only mode it supports), and then compresses every message,
// whatever its size, with pooled compress/flate writers at its default level 1 (BestSpeed).
var gorillaDeflateUpgrader = websocket.Upgrader{ReadBufferSize: 4096, WriteBufferSize: 4096, EnableCompression: true}

// failUTF8 sends the close frame that fails a connection on invalid text (RFC 6455 §7.4.1: 1007).
func failUTF8(c *websocket.Conn) {
	msg := websocket.FormatCloseMessage(websocket.CloseInvalidFramePayloadData, "invalid UTF-8")
	c.WriteControl(websocket.CloseMessage, msg, time.Now().Add(time.Second))
}

// serveGorilla is gorilla's simplest echo: ReadMessage and WriteMessage. gorilla does not
// validate text, so the server checks it with utf8.Valid, as gorilla's own Autobahn server does.
// gorilla's default handlers answer pings and echo the peer's close frame.
func serveGorilla(w http.ResponseWriter, r *http.Request) { echoGorilla(w, r, &gorillaUpgrader) }

// echoGorilla is serveGorilla's loop with the given upgrader.
func echoGorilla(w http.ResponseWriter, r *http.Request, u *websocket.Upgrader) {
	c, err := u.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	defer c.Close()
	c.SetReadLimit(ReadLimit)
	for {
		mt, p, err := c.ReadMessage()
		if err != nil {
			return
		}
		if mt == websocket.TextMessage && !utf8.Valid(p) {
			failUTF8(c)
			return
		}
		if err := c.WriteMessage(mt, p); err != nil {
			return
		}
	}
}

// copyBuffers are the 32 KiB buffers of the streaming echo servers, shared by all connections,
// so that an idle connection holds none.
var copyBuffers = sync.Pool{New: func() any { b := make([]byte, 32<<10); return &b }}

// serveGorillaStream is gorilla's streaming echo: NextReader, NextWriter and a copy between them,
// with text validated incrementally on the way through.
func serveGorillaStream(w http.ResponseWriter, r *http.Request) {
	c, err := gorillaUpgrader.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	defer c.Close()
	c.SetReadLimit(ReadLimit)
	var text utf8Reader
	for {
		mt, rd, err := c.NextReader()
		if err != nil {
			return
		}
		if mt == websocket.TextMessage {
			text.reset(rd)
			rd = &text
		}
		wr, err := c.NextWriter(mt)
		if err != nil {
			return
		}
		buf := copyBuffers.Get().(*[]byte)
		_, err = io.CopyBuffer(wr, rd, *buf)
		copyBuffers.Put(buf)
		if err == errInvalidUTF8 {
			failUTF8(c)
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
