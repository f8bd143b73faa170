package conn_test

import (
	"context"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/rfc6455/ws/conn"
	"github.com/rfc6455/ws/frame"
)

// ExampleHTTP2Client opens two WebSockets over HTTP/2 (RFC 8441) to a server that serves them
// on its HTTP/2 handler, as a stream each of one connection. The server's process must start
// with GODEBUG=http2xconnect=1 (a program can import a package that sets it before net/http
// starts, as cmd/echo does; this example's test binary has one).
func ExampleHTTP2Client() {
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := conn.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		// Over HTTP/2 the Conn lives in this request's stream: the handler stays until it is
		// done with it.
		defer c.CloseNow()
		for {
			op, p, err := c.ReadMessage(nil)
			if err != nil {
				return
			}
			c.WriteMessage(op, []byte(fmt.Sprintf("%s over HTTP/%d", p, r.ProtoMajor)))
		}
	}))
	srv.EnableHTTP2 = true
	// 16 KiB frames, RFC 9113's default: a Go client then keeps 16 KiB, not 512 KiB, of send
	// buffer for each WebSocket stream; and a connection window of 64 streams' worth, so that
	// a stream whose handler stops reading stalls no other (see Upgrade).
	srv.Config.HTTP2 = &http.HTTP2Config{MaxReadFrameSize: 16 << 10, MaxReceiveBufferPerConnection: 64 << 20}
	srv.StartTLS()
	defer srv.Close()

	client := &conn.HTTP2Client{} // shared: its WebSockets to a server share a connection
	defer client.CloseIdleConnections()
	for _, name := range []string{"first", "second"} {
		c, _, err := conn.Dial(context.Background(), "wss"+strings.TrimPrefix(srv.URL, "https"), &conn.DialOptions{
			TLSConfig: srv.Client().Transport.(*http.Transport).TLSClientConfig, // trusts the test's certificate
			HTTP2:     client,
		})
		if err != nil {
			log.Fatal(err)
		}
		c.WriteMessage(frame.OpText, []byte(name))
		_, p, err := c.ReadMessage(nil)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("%s (OverHTTP2 %v)\n", p, c.OverHTTP2())
		c.Close(frame.CloseNormal, "")
	}
	// Output:
	// first over HTTP/2 (OverHTTP2 true)
	// second over HTTP/2 (OverHTTP2 true)
}
