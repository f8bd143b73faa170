// Command pingidle measures what keepalive costs an idle connection: it starts an echo server
// binary, opens -conns connections whose clients read (so that they answer the server's pings,
// RFC 6455 §5.5.2), echoes one 1 KiB message on each, waits -settle (longer than the server's
// ping interval, so that pings go out and their pongs come back while it waits), and reports the
// server's resident memory per connection, from /proc.
//
//	go build -o /tmp/echo ./cmd/echo
//	go run ./bench/pingidle -server /tmp/echo -conns 10000 -args "-ping-interval 1s -ping-timeout 5s"
//	go run ./bench/pingidle -server /tmp/echo -conns 10000 -args "-ping-interval 0"
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
	"syscall"
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
	flag.Parse()
	if *server == "" {
		flag.Usage()
		os.Exit(2)
	}
	raiseFileLimit()
	if err := run(*server, strings.Fields(*args), *conns, *settle); err != nil {
		log.Fatal(err)
	}
}

func run(server string, args []string, n int, settle time.Duration) error {
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
			c, _, err := conn.Dial(ctx, "ws://"+srv.Addr+"/ws", &conn.DialOptions{ReadBufferSize: 4 << 10})
			if err != nil {
				failed.Add(1)
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
	fmt.Printf("server %s %s: %d connections (%d failed), %d pings answered during %s\n",
		server, strings.Join(args, " "), n, failed.Load(), pongs.Load(), settle)
	fmt.Printf("RSS %.1f → %.1f MiB: %.2f KiB per connection\n",
		serverproc.MiB(base), serverproc.MiB(rss), float64(rss-base)/1024/float64(n))
	for _, c := range clients {
		if c != nil {
			c.CloseNow()
		}
	}
	return nil
}

// raiseFileLimit raises the soft limit of open files to the hard limit.
func raiseFileLimit() {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err == nil && lim.Cur < lim.Max {
		lim.Cur = lim.Max
		syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim)
	}
}
