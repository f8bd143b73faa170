// Command pingidle measures what keepalive costs an idle connection: it starts an echo server
// binary, opens -conns connections whose clients read (so that they answer the server's pings,
// RFC 6455 §5.5.2), echoes one 1 KiB message on each, waits -settle (longer than the server's
// ping interval, so that pings go out and their pongs come back while it waits), and reports the
// server's resident memory per connection, from /proc.
//
//	go build -o /tmp/echo ./cmd/echo
//	go run ./bench/pingidle -server /tmp/echo -conns 10000 -args "-ping-interval 1s -ping-timeout 5s"
//	go run ./bench/pingidle -server /tmp/echo -conns 10000 -args "-ping-interval 0"
//	go run ./bench/pingidle -server /tmp/echo -conns 1000 -h2 -args "-h2c -ping-interval 0"
//
// With -h2 each WebSocket is a stream of an HTTP/2 connection in cleartext (RFC 8441, with prior
// knowledge; the server needs -h2c), the streams sharing connections as the server's
// SETTINGS_MAX_CONCURRENT_STREAMS allows (250 for cmd/echo, net/http's default).
//
// The server must take -addr as cmd/echo does and log "listening on ws://ADDR/ws". The client
// process holds -conns connections, two file descriptors' worth with the server's: raise the
// limit (ulimit -n) to more than twice -conns. Linux only.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rfc6455/ws/bench/internal/serverproc"
	"github.com/rfc6455/ws/conn"
	"github.com/rfc6455/ws/frame"
)

func main() {
	server := flag.String("server", "", "echo server `binary` to start (required)")
	args := flag.String("args", "", "more `arguments` for the server, space-separated")
	conns := flag.Int("conns", 10000, "connections to hold open")
	settle := flag.Duration("settle", 5*time.Second, "wait this long, idle, before reading the server's memory")
	overH2 := flag.Bool("h2", false, "open the WebSockets as streams of HTTP/2 connections (h2c; the server needs -h2c)")
	flag.Parse()
	if *server == "" {
		flag.Usage()
		os.Exit(2)
	}
	serverproc.RaiseFileLimit()
	var h2 *conn.HTTP2Client
	if *overH2 {
		h2 = &conn.HTTP2Client{Cleartext: true}
	}
	if err := run(*server, strings.Fields(*args), *conns, *settle, h2); err != nil {
		log.Fatal(err)
	}
}

func run(server string, args []string, n int, settle time.Duration, h2 *conn.HTTP2Client) error {
	srv, err := serverproc.Start(server, append([]string{"-addr", "127.0.0.1:0"}, args...), nil)
	if err != nil {
		return err
	}
	defer srv.Stop()
	time.Sleep(500 * time.Millisecond)
	base, _, err := srv.Memory()
	if err != nil {
		return err
	}

	clients := make([]*conn.Conn, n)
	var pongs, failed atomic.Int64
	var wg sync.WaitGroup
	sem := make(chan struct{}, 64) // dial a few at a time, as clients arrive
	msg := make([]byte, 1024)
	for i := range n {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			c, _, err := conn.Dial(ctx, "ws://"+srv.Addr+"/ws", &conn.DialOptions{ReadBufferSize: 4 << 10, HTTP2: h2})
			if err != nil {
				if failed.Add(1) == 1 {
					log.Printf("dial: %v", err)
				}
				return
			}
			if err := c.WriteMessage(frame.OpBinary, msg); err != nil {
				failed.Add(1)
				return
			}
			if _, _, err := c.ReadMessage(nil); err != nil {
				failed.Add(1)
				return
			}
			clients[i] = c
			c.SetPingHandler(func([]byte) { pongs.Add(1) }) // the Conn answers; this counts
			go c.ReadMessage(nil)                           // reads, and so answers pings, until closed
		}()
	}
	wg.Wait()
	time.Sleep(settle)
	rss, _, err := srv.Memory()
	if err != nil {
		return err
	}
	over := "connections"
	if h2 != nil {
		over = "WebSockets over HTTP/2 streams"
	}
	fmt.Printf("server %s %s: %d %s (%d failed), %d pings answered during %s\n",
		server, strings.Join(args, " "), n, over, failed.Load(), pongs.Load(), settle)
	fmt.Printf("RSS %.1f → %.1f MiB: %.2f KiB per connection\n",
		serverproc.MiB(base), serverproc.MiB(rss), float64(rss-base)/1024/float64(n))
	for _, c := range clients {
		if c != nil {
			c.CloseNow()
		}
	}
	return nil
}
