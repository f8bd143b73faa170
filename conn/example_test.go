package conn_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/rfc6455/ws/conn"
	"github.com/rfc6455/ws/frame"
)

// ExampleUpgrade is the seed document's echo server: every message goes back with its own
// opcode. The server prefers the "wamp" subprotocol.
func ExampleUpgrade() {
	echo := func(w http.ResponseWriter, r *http.Request) {
		c, err := conn.Upgrade(w, r, &conn.UpgradeOptions{Subprotocols: []string{"wamp"}})
		if err != nil {
			return // Upgrade has answered the request with the right HTTP error.
		}
		defer c.Close(frame.CloseNormal, "")
		var buf []byte
		for {
			op, p, err := c.ReadMessage(buf)
			if err != nil {
				return
			}
			buf = p // reuse the buffer: no allocation per message
			if err := c.WriteMessage(op, p); err != nil {
				return
			}
		}
	}
	srv := httptest.NewServer(http.HandlerFunc(echo))
	defer srv.Close()

	c, _, err := conn.Dial(context.Background(), "ws"+strings.TrimPrefix(srv.URL, "http"),
		&conn.DialOptions{Subprotocols: []string{"soap", "wamp"}})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close(frame.CloseNormal, "")
	c.WriteMessage(frame.OpText, []byte("Hello from the client!"))
	op, p, err := c.ReadMessage(nil)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(c.Subprotocol(), op, string(p))
	// Output: wamp text Hello from the client!
}

// ExampleDial shows how a client learns why the connection closed: the peer's close code and
// reason come back as a *conn.CloseError.
func ExampleDial() {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := conn.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		c.Close(frame.CloseGoingAway, "server shutting down")
	}))
	defer srv.Close()

	c, _, err := conn.Dial(context.Background(), "ws"+strings.TrimPrefix(srv.URL, "http"), nil)
	if err != nil {
		log.Fatal(err)
	}
	_, _, err = c.ReadMessage(nil)
	var closeErr *conn.CloseError
	if errors.As(err, &closeErr) {
		fmt.Println(uint16(closeErr.Code), closeErr.Reason)
	}
	// Output: 1001 server shutting down
}
