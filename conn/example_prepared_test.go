package conn_test

import (
	"context"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"

	"github.com/rfc6455/ws/conn"
	"github.com/rfc6455/ws/frame"
)

// ExamplePreparedMessage sends one notice to every connected client: the frame is built once,
// and compressed once for the clients that negotiated permessage-deflate, however many they are.
func ExamplePreparedMessage() {
	var mu sync.Mutex
	var subscribers []*conn.Conn
	joined := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := conn.Upgrade(w, r, &conn.UpgradeOptions{Compression: &conn.CompressionOptions{}})
		if err != nil {
			return
		}
		mu.Lock()
		subscribers = append(subscribers, c)
		mu.Unlock()
		joined <- struct{}{}
	}))
	defer srv.Close()

	url := "ws" + strings.TrimPrefix(srv.URL, "http")
	var clients []*conn.Conn
	for _, compression := range []*conn.CompressionOptions{nil, {}, {}} {
		c, _, err := conn.Dial(context.Background(), url, &conn.DialOptions{Compression: compression})
		if err != nil {
			log.Fatal(err)
		}
		defer c.CloseNow()
		clients = append(clients, c)
		<-joined
	}

	notice, err := conn.NewPreparedMessage(frame.OpText, []byte(strings.Repeat("the server restarts at noon. ", 10)))
	if err != nil {
		log.Fatal(err)
	}
	mu.Lock()
	for _, c := range subscribers {
		if err := c.WritePrepared(notice); err != nil {
			log.Print(err)
		}
	}
	mu.Unlock()

	for _, c := range clients {
		_, p, err := c.ReadMessage(nil)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(c.Compressed(), len(p))
	}
	// Output:
	// false 290
	// true 290
	// true 290
}
