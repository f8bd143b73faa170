package bench

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/rfc6455/ws/conn"
	"github.com/rfc6455/ws/frame"
)

// BenchmarkConnMemory measures the heap (B/conn) and the goroutine stacks (stack-B/conn) a live
// connection costs, server and client side together, after one 1 KiB message has been echoed on
// it: each iteration opens one more connection and
// keeps it open, and the heap growth divided by their number is reported as B/conn. Run it with
// a fixed count, for example -benchtime=1000x; the ns/op it also prints is the cost of a handshake
// plus one echo, not a throughput.
//
// The variants show what permessage-deflate (RFC 7692) costs per connection: with context
// takeover (§7.1.1) each side keeps a compressor and a 32 KiB window between messages; without
// it both come from pools and an idle connection holds none.
func BenchmarkConnMemory(b *testing.B) {
	variants := []struct {
		name string
		opts *conn.CompressionOptions
	}{
		{"plain", nil},
		{"deflate-no-takeover", &conn.CompressionOptions{PeerNoContextTakeover: true}},
		{"deflate-takeover", &conn.CompressionOptions{ContextTakeover: true}},
	}
	for _, v := range variants {
		b.Run(v.name, func(b *testing.B) {
			var mu sync.Mutex
			var servers []*conn.Conn
			buffers := sync.Pool{New: func() any { return new([]byte) }}
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				c, err := conn.Upgrade(w, r, &conn.UpgradeOptions{Compression: v.opts})
				if err != nil {
					return
				}
				mu.Lock()
				servers = append(servers, c)
				mu.Unlock()
				// As cmd/echo does: return from the handler, so that net/http frees its
				// per-request state, and echo from a goroutine of its own, reading each
				// message into a buffer borrowed only once the message has arrived.
				go func() {
					for {
						op, r, err := c.NextReader()
						if err != nil {
							return
						}
						bufp := buffers.Get().(*[]byte)
						b := bytes.NewBuffer((*bufp)[:0])
						if _, err := b.ReadFrom(r); err != nil {
							return
						}
						c.WriteMessage(op, b.Bytes())
						*bufp = b.Bytes()[:0]
						buffers.Put(bufp)
					}
				}()
			}))
			defer srv.Close()
			url := "ws" + strings.TrimPrefix(srv.URL, "http")
			msg := []byte(strings.Repeat("a compressible kilobyte of text. ", 32))
			var clients []*conn.Conn
			defer func() {
				for _, c := range clients {
					c.CloseNow()
				}
			}()
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			for b.Loop() {
				c, _, err := conn.Dial(context.Background(), url, &conn.DialOptions{Proxy: noProxy, Compression: v.opts})
				if err != nil {
					b.Fatal(err)
				}
				clients = append(clients, c)
				c.WriteMessage(frame.OpText, msg)
				if _, _, err := c.ReadMessage(nil); err != nil {
					b.Fatal(err)
				}
			}
			runtime.GC()
			runtime.ReadMemStats(&after)
			b.ReportMetric(float64(after.HeapInuse-before.HeapInuse)/float64(b.N), "B/conn")
			b.ReportMetric(float64(after.StackInuse-before.StackInuse)/float64(b.N), "stack-B/conn")
			mu.Lock()
			for _, c := range servers {
				c.CloseNow()
			}
			mu.Unlock()
		})
	}
}
