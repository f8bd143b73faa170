package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rfc6455/ws/conn"
	"github.com/rfc6455/ws/frame"
)

// A worker holds its share of the connections and answers its parent's commands, one line each:
//
//	open N      upgrade N connections from the worker's source address
//	echo SIZE   send a binary message of SIZE bytes on every connection, and read its echo
//	close       close every connection with 1000 and wait for the server's close frame
//
// and answers each with "ok DONE FAILED [first error]".
type worker struct {
	url         string
	dialer      net.Dialer
	concurrency int
	conns       []*conn.Conn
}

func runWorker(url, source string, concurrency int, in io.Reader, out io.Writer) error {
	local, err := net.ResolveTCPAddr("tcp", net.JoinHostPort(source, "0"))
	if err != nil {
		return err
	}
	w := &worker{url: url, dialer: net.Dialer{LocalAddr: local}, concurrency: concurrency}
	lines := bufio.NewScanner(in)
	for lines.Scan() {
		command, arg, _ := strings.Cut(lines.Text(), " ")
		n, _ := strconv.Atoi(arg)
		var done, failed int
		var first string
		switch command {
		case "open":
			done, failed, first = w.open(n)
		case "echo":
			done, failed, first = w.each(func(c *conn.Conn) error { return echo(c, n) })
		case "close":
			done, failed, first = w.each(closeNormally)
		default:
			return fmt.Errorf("unknown command %q", lines.Text())
		}
		fmt.Fprintf(out, "ok %d %d %s\n", done, failed, strings.ReplaceAll(first, "\n", " "))
	}
	return lines.Err()
}

// open dials n connections, w.concurrency at a time.
func (w *worker) open(n int) (done, failed int, first string) {
	conns := make([]*conn.Conn, n)
	opts := &conn.DialOptions{
		NetDialContext: w.dialer.DialContext,
		// Small buffers: this process holds tens of thousands of connections, each of which
		// reads one 1 KiB echo and a close frame.
		ReadBufferSize: 2 << 10,
	}
	d, f, first := parallel(n, w.concurrency, func(i int) error {
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		c, _, err := conn.Dial(ctx, w.url, opts)
		conns[i] = c
		return err
	})
	for _, c := range conns {
		if c != nil {
			w.conns = append(w.conns, c)
		}
	}
	return d, f, first
}

// each runs fn on every open connection, w.concurrency at a time.
func (w *worker) each(fn func(*conn.Conn) error) (done, failed int, first string) {
	return parallel(len(w.conns), w.concurrency, func(i int) error { return fn(w.conns[i]) })
}

func echo(c *conn.Conn, size int) error {
	msg := bytes.Repeat([]byte{'e'}, size)
	c.SetDeadline(time.Now().Add(60 * time.Second))
	defer c.SetDeadline(time.Time{})
	if err := c.WriteMessage(frame.OpBinary, msg); err != nil {
		return err
	}
	op, got, err := c.ReadMessage(nil)
	if err != nil {
		return err
	}
	if op != frame.OpBinary || !bytes.Equal(got, msg) {
		return fmt.Errorf("the echo of %d bytes came back as %v of %d bytes", size, op, len(got))
	}
	return nil
}

// closeNormally runs the close handshake: 1000 out, and the server's close frame back
// (RFC 6455 §7.1.2), which Close waits for.
func closeNormally(c *conn.Conn) error {
	return c.Close(frame.CloseNormal, "")
}

// parallel runs fn(0) … fn(n-1), at most limit at once, and counts what succeeded and failed.
func parallel(n, limit int, fn func(i int) error) (done, failed int, first string) {
	var ok, bad atomic.Int64
	var once sync.Once
	var wg sync.WaitGroup
	sem := make(chan struct{}, max(limit, 1))
	for i := range n {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			if err := fn(i); err != nil {
				bad.Add(1)
				once.Do(func() { first = err.Error() })
				return
			}
			ok.Add(1)
		}()
	}
	wg.Wait()
	return int(ok.Load()), int(bad.Load()), first
}
