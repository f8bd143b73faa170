// Command inflatebomb measures what compressed messages cost a server's memory: it starts an
// echo server binary with compression on, opens -conns connections that each send one message
// of -size zero bytes (which deflate shrinks about a thousandfold, RFC 7692 §8's concern), reads
// the echoes, closes, and reports the server's resident memory (from /proc) when idle, at its
// peak, and -after1 and -after2 after the last connection closed.
//
//	go build -o /tmp/echo ./cmd/echo
//	go run ./bench/inflatebomb -server /tmp/echo -conns 16 -args "-read-limit 33554432"
//
// The server must take -addr and -compress as cmd/echo does and log its address as "listening
// on ws://ADDR/ws". Linux only: it reads /proc/PID/status.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
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
	conns := flag.Int("conns", 16, "connections, each sending one message at the same time")
	size := flag.Int("size", 31<<20, "message size in `bytes`, all zeros")
	after1 := flag.Duration("after1", 10*time.Second, "first reading after the connections close")
	args := flag.String("args", "", "more `arguments` for the server, space-separated, such as \"-read-limit 33554432\"")
	serverLog := flag.Bool("log", false, "copy the server's log to standard error")
	after2 := flag.Duration("after2", 60*time.Second, "second reading after the connections close")
	flag.Parse()
	if *server == "" {
		flag.Usage()
		os.Exit(2)
	}
	if err := run(*server, strings.Fields(*args), *serverLog, *conns, *size, *after1, *after2); err != nil {
		log.Fatal(err)
	}
}

func run(server string, args []string, serverLog bool, conns, size int, after1, after2 time.Duration) error {
	var logTo io.Writer
	if serverLog {
		logTo = os.Stderr
	}
	srv, err := serverproc.Start(server, append([]string{"-addr", "127.0.0.1:0", "-compress"}, args...), logTo)
	if err != nil {
		return err
	}
	defer srv.Stop()

	time.Sleep(500 * time.Millisecond)
	idle, _, err := srv.Memory()
	if err != nil {
		return err
	}
	fmt.Printf("server %s %s, %d connections × %d bytes of zeros\n", server, strings.Join(args, " "), conns, size)
	fmt.Printf("idle      RSS %8.1f MiB\n", serverproc.MiB(idle))

	// The peak is sampled as well as read from VmHWM, so that it is known even if the
	// server dies of the attack.
	var sampled atomic.Int64
	go func() {
		for {
			_, peak, err := srv.Memory()
			if err != nil {
				return
			}
			if peak > sampled.Load() {
				sampled.Store(peak)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}()

	payload := make([]byte, size)
	var wg sync.WaitGroup
	results := make([]string, conns)
	start := time.Now()
	for i := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = exchange(srv.Addr, payload)
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	counts := map[string]int{}
	for _, r := range results {
		counts[r]++
	}
	fmt.Printf("outcomes  %v in %s\n", counts, elapsed.Round(time.Millisecond))
	if exited, werr := srv.Exited(); exited {
		fmt.Printf("peak      RSS %8.1f MiB or more (last sampled)\n", serverproc.MiB(sampled.Load()))
		return fmt.Errorf("the server died: %v", werr)
	}
	rss, peak, err := srv.Memory()
	if err != nil {
		return err
	}
	fmt.Printf("peak      RSS %8.1f MiB\n", serverproc.MiB(peak))
	fmt.Printf("closed    RSS %8.1f MiB\n", serverproc.MiB(rss))
	time.Sleep(after1)
	rss, _, _ = srv.Memory()
	fmt.Printf("+%-8s RSS %8.1f MiB\n", after1, serverproc.MiB(rss))
	time.Sleep(after2 - after1)
	rss, _, _ = srv.Memory()
	fmt.Printf("+%-8s RSS %8.1f MiB\n", after2, serverproc.MiB(rss))
	return nil
}

// exchange sends payload on a new compressed connection, reads the echo and closes; it
// returns what happened, for the outcome counts.
func exchange(addr string, payload []byte) string {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	c, _, err := conn.Dial(ctx, "ws://"+addr+"/ws", &conn.DialOptions{
		Compression: &conn.CompressionOptions{},
		ReadLimit:   -1,
	})
	if err != nil {
		return "dial: " + err.Error()
	}
	defer c.CloseNow()
	if !c.Compressed() {
		return "not compressed"
	}
	if err := c.WriteMessage(frame.OpBinary, payload); err != nil {
		return "write: " + err.Error()
	}
	_, r, err := c.NextReader()
	if err != nil {
		var ce *conn.CloseError
		if errors.As(err, &ce) {
			return fmt.Sprintf("closed %d", ce.Code)
		}
		return "read: " + err.Error()
	}
	n, err := io.Copy(io.Discard, r)
	if err != nil {
		return "read: " + err.Error()
	}
	if n != int64(len(payload)) {
		return fmt.Sprintf("echo of %d bytes", n)
	}
	c.Close(frame.CloseNormal, "")
	return "echoed"
}
