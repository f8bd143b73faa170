package conn_test

import (
	"bytes"
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
		HandshakeTimeout: 10 * time.Second, // for the handshake; then the WebSocket lives on
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

// ExampleConn_WriteMessageInPlace echoes messages as cmd/echo does: each message is read into a
// buffer after conn.HeaderRoom bytes, so that the echo's frame header can be written in front of
// the payload and even a large echo leaves in one write, without a copy.
func ExampleConn_WriteMessageInPlace() {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	defer ln.Close()
	go func() {
		nc, err := ln.Accept()
		if err != nil {
			return
		}
		c, err := conn.UpgradeConn(nc, nil)
		if err != nil {
			return
		}
		defer c.CloseNow()
		buf := make([]byte, 0, 64<<10)
		for {
			op, r, err := c.NextReader()
			if err != nil {
				return // the client closed the connection
			}
			msg := bytes.NewBuffer(buf[:conn.HeaderRoom]) // the payload goes after the room
			if _, err := msg.ReadFrom(r); err != nil {
				return
			}
			if err := c.WriteMessageInPlace(op, msg.Bytes()); err != nil {
				return
			}
			buf = msg.Bytes()[:0] // keep the grown buffer for the next message
		}
	}()

	c, _, err := conn.Dial(context.Background(), "ws://"+ln.Addr().String()+"/", nil)
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close(frame.CloseNormal, "")
	sent := bytes.Repeat([]byte("0123456789"), 100_000) // 1 MB: one frame, one write each way
	if err := c.WriteMessage(frame.OpBinary, sent); err != nil {
		log.Fatal(err)
	}
	_, got, err := c.ReadMessage(nil)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(len(got), bytes.Equal(got, sent))
	// Output: 1000000 true
}
