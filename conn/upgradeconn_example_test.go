package conn_test

import (
	"context"
	"fmt"
	"log"
	"net"
	"time"

	"github.com/rfc6455/ws/conn"
	"github.com/rfc6455/ws/frame"
)

// ExampleUpgradeConn is the seed document's echo server without net/http: connections come
// straight from a net.Listener (wrap it with tls.NewListener for wss://), and each is upgraded
// by UpgradeConn. The server prefers the "wamp" subprotocol.
func ExampleUpgradeConn() {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	defer ln.Close()
	opts := &conn.UpgradeOptions{
		Subprotocols:     []string{"wamp"},
		HandshakeTimeout: 10 * time.Second, // for the request head; then the WebSocket lives on
	}
	go func() {
		for {
			nc, err := ln.Accept()
			if err != nil {
				return // the listener was closed
			}
			go func() {
				c, err := conn.UpgradeConn(nc, opts)
				if err != nil {
					return // UpgradeConn has answered with the right HTTP error and closed nc.
				}
				defer c.Close(frame.CloseNormal, "")
				var buf []byte
				for {
					op, p, err := c.ReadMessage(buf)
					if err != nil {
						return
					}
					buf = p
					if err := c.WriteMessage(op, p); err != nil {
						return
					}
				}
			}()
		}
	}()

	c, _, err := conn.Dial(context.Background(), "ws://"+ln.Addr().String()+"/chat",
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
