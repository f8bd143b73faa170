package conn_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/rfc6455/ws/conn"
	"github.com/rfc6455/ws/frame"
)

// ExampleDialOptions_keepalive finds a server that has stopped answering: this one upgrades and
// then never reads again, as a process that hangs or a peer behind a dropped NAT mapping would.
// After PingInterval of silence the client pings; when nothing comes back within PingTimeout,
// the read in progress fails with ErrPingTimeout.
func ExampleDialOptions_keepalive() {
	hung := make(chan struct{})
	defer close(hung)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := conn.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer c.CloseNow()
		<-hung
	}))
	defer srv.Close()

	c, _, err := conn.Dial(context.Background(), "ws"+strings.TrimPrefix(srv.URL, "http"), &conn.DialOptions{
		PingInterval: 50 * time.Millisecond,
		PingTimeout:  50 * time.Millisecond,
	})
	if err != nil {
		log.Fatal(err)
	}
	defer c.CloseNow()
	_, _, err = c.ReadMessage(nil)
	fmt.Println(errors.Is(err, conn.ErrPingTimeout))
	// Output: true
}

// ExampleConn_PingWait measures the round trip to the server while another goroutine reads,
// which is where the pong arrives.
func ExampleConn_PingWait() {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := conn.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer c.CloseNow()
		c.ReadMessage(nil) // answers pings until the client closes
	}))
	defer srv.Close()

	c, _, err := conn.Dial(context.Background(), "ws"+strings.TrimPrefix(srv.URL, "http"), nil)
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close(frame.CloseNormal, "")
	go c.ReadMessage(nil)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	rtt, err := c.PingWait(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("pong after", rtt > 0)
	// Output: pong after true
}
