package peers_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/lxzan/gws"

	"github.com/rfc6455/ws/bench/peers/load"
	"github.com/rfc6455/ws/conn"
	"github.com/rfc6455/ws/frame"
)

// A publisher is one library's server side of a broadcast: it holds the upgraded connections
// and sends one message to all of them, framing (and compressing) it once.
type publisher interface {
	handler() http.Handler
	count() int
	fanOut(payload []byte) error
}

// oursPublisher uses conn.PreparedMessage and Conn.WritePrepared.
type oursPublisher struct {
	opts  *conn.UpgradeOptions
	mu    sync.Mutex
	conns []*conn.Conn
}

func (p *oursPublisher) handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := conn.Upgrade(w, r, p.opts)
		if err != nil {
			return
		}
		p.mu.Lock()
		p.conns = append(p.conns, c)
		p.mu.Unlock()
		go func() { // read, to answer the clients' close frames
			for {
				if _, _, err := c.ReadMessage(nil); err != nil {
					return
				}
			}
		}()
	})
}

func (p *oursPublisher) count() int { p.mu.Lock(); defer p.mu.Unlock(); return len(p.conns) }

func (p *oursPublisher) fanOut(payload []byte) error {
	pm, err := conn.NewPreparedMessage(frame.OpText, payload)
	if err != nil {
		return err
	}
	for _, c := range p.conns {
		if err := c.WritePrepared(pm); err != nil {
			return err
		}
	}
	return nil
}

// oursParallelPublisher is oursPublisher writing from one goroutine per core, each taking a
// share of the connections: what gws's per-connection write queues do, with GOMAXPROCS
// goroutines rather than one per connection.
type oursParallelPublisher struct{ oursPublisher }

func (p *oursParallelPublisher) fanOut(payload []byte) error {
	pm, err := conn.NewPreparedMessage(frame.OpText, payload)
	if err != nil {
		return err
	}
	workers := runtime.GOMAXPROCS(0)
	share := (len(p.conns) + workers - 1) / workers
	errs := make(chan error, workers)
	for start := 0; start < len(p.conns); start += share {
		go func(conns []*conn.Conn) {
			for _, c := range conns {
				if err := c.WritePrepared(pm); err != nil {
					errs <- err
					return
				}
			}
			errs <- nil
		}(p.conns[start:min(start+share, len(p.conns))])
	}
	var first error
	for start := 0; start < len(p.conns); start += share {
		if err := <-errs; err != nil && first == nil {
			first = err
		}
	}
	return first
}

// gorillaPublisher uses gorilla's PreparedMessage and WritePreparedMessage.
type gorillaPublisher struct {
	upgrader websocket.Upgrader
	mu       sync.Mutex
	conns    []*websocket.Conn
}

func (p *gorillaPublisher) handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := p.upgrader.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		p.mu.Lock()
		p.conns = append(p.conns, c)
		p.mu.Unlock()
		go func() {
			for {
				if _, _, err := c.NextReader(); err != nil {
					return
				}
			}
		}()
	})
}

func (p *gorillaPublisher) count() int { p.mu.Lock(); defer p.mu.Unlock(); return len(p.conns) }

func (p *gorillaPublisher) fanOut(payload []byte) error {
	pm, err := websocket.NewPreparedMessage(websocket.TextMessage, payload)
	if err != nil {
		return err
	}
	for _, c := range p.conns {
		if err := c.WritePreparedMessage(pm); err != nil {
			return err
		}
	}
	return nil
}

// gwsPublisher uses gws's Broadcaster, which queues each write on the connection's own writer:
// the fan-out is over when the subscribers have the message, which the benchmark waits for.
type gwsPublisher struct {
	upgrader *gws.Upgrader
	mu       sync.Mutex
	conns    []*gws.Conn
}

func newGWSPublisher(deflate bool) *gwsPublisher {
	return &gwsPublisher{upgrader: gws.NewUpgrader(gws.BuiltinEventHandler{}, &gws.ServerOption{
		PermessageDeflate: gws.PermessageDeflate{Enabled: deflate, Threshold: 128},
	})}
}

func (p *gwsPublisher) handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := p.upgrader.Upgrade(w, r)
		if err != nil {
			return
		}
		p.mu.Lock()
		p.conns = append(p.conns, c)
		p.mu.Unlock()
		go c.ReadLoop()
	})
}

func (p *gwsPublisher) count() int { p.mu.Lock(); defer p.mu.Unlock(); return len(p.conns) }

func (p *gwsPublisher) fanOut(payload []byte) error {
	b := gws.NewBroadcaster(gws.OpcodeText, payload)
	defer b.Close()
	for _, c := range p.conns {
		if err := b.Broadcast(c); err != nil {
			return err
		}
	}
	return nil
}

// broadcastPublishers are the libraries compared, without and with permessage-deflate.
func broadcastPublishers(deflate bool) []struct {
	lib string
	pub func() publisher
} {
	var ours *conn.CompressionOptions
	if deflate {
		ours = &conn.CompressionOptions{}
	}
	return []struct {
		lib string
		pub func() publisher
	}{
		{"ours", func() publisher { return &oursPublisher{opts: &conn.UpgradeOptions{Compression: ours}} }},
		{"ours-parallel", func() publisher {
			return &oursParallelPublisher{oursPublisher{opts: &conn.UpgradeOptions{Compression: ours}}}
		}},
		{"gorilla", func() publisher {
			return &gorillaPublisher{upgrader: websocket.Upgrader{ReadBufferSize: 4096, WriteBufferSize: 4096, EnableCompression: deflate}}
		}},
		{"gws", func() publisher { return newGWSPublisher(deflate) }},
	}
}

// BenchmarkBroadcast measures one fan-out: a 1 KiB JSON-like text message prepared once and
// written to every subscriber, until every subscriber has read it. The subscribers are our
// client (the same for every library) in a process of their own, each reading in a goroutine;
// on this 2-core machine their reading shares the CPU with the fan-out, equally for every
// library. ns/op is
// per fan-out, ns/subscriber per connection written; B/op and allocs/op count the whole process,
// the subscriber process excluded. With deflate=on the message is compressed once per fan-out (each
// library's no-context-takeover default).
//
//	cd bench/peers && go test -run '^$' -bench Broadcast -benchtime 20x -count 5 . | tee /tmp/bcast.txt
//	benchstat -col /lib /tmp/bcast.txt
func BenchmarkBroadcast(b *testing.B) {
	payload := load.TextPayload(1<<10, 0)
	for _, deflate := range []bool{false, true} {
		for _, subscribers := range []int{1, 100, 10000} {
			for _, p := range broadcastPublishers(deflate) {
				name := fmt.Sprintf("deflate=%s/subscribers=%d/lib=%s", map[bool]string{false: "off", true: "on"}[deflate], subscribers, p.lib)
				b.Run(name, func(b *testing.B) {
					if err := raiseFileLimit(subscribers + 256); err != nil {
						b.Skip(err)
					}
					benchmarkBroadcast(b, p.pub(), subscribers, deflate, payload)
				})
			}
		}
	}
}

func benchmarkBroadcast(b *testing.B, pub publisher, n int, deflate bool, payload []byte) {
	srv := httptest.NewServer(pub.handler())
	defer srv.Close()
	subs, err := startSubscribers("ws"+strings.TrimPrefix(srv.URL, "http"), n, deflate)
	if err != nil {
		b.Fatal(err)
	}
	defer subs.stop()
	for pub.count() < n {
		time.Sleep(time.Millisecond)
	}

	b.SetBytes(int64(len(payload) * n))
	b.ReportAllocs()
	for b.Loop() {
		if err := pub.fanOut(payload); err != nil {
			b.Fatal(err)
		}
		if err := subs.awaitRound(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/subscriber")
}

// subscribersEnv, when set to "URL N DEFLATE", makes the test binary a subscriber process
// instead (see TestMain): N connections to URL, each reading, and a line on standard output
// each time every one of them has received one more message. The subscribers live in a process
// of their own so that 10 000 of them and their server's 10 000 connections fit within the
// 20 000 open files a process may have here.
const subscribersEnv = "WS_BENCH_BROADCAST_SUBSCRIBERS"

// TestMain runs the subscriber process when subscribersEnv asks for it, and the tests otherwise.
func TestMain(m *testing.M) {
	if spec := os.Getenv(subscribersEnv); spec != "" {
		if err := runSubscribers(spec); err != nil {
			fmt.Fprintln(os.Stderr, "subscribers:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// subscribers is the parent's handle on the subscriber process.
type subscribers struct {
	cmd   *exec.Cmd
	lines *bufio.Reader
	stdin io.Closer
}

func startSubscribers(url string, n int, deflate bool) (*subscribers, error) {
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), fmt.Sprintf("%s=%s %d %t", subscribersEnv, url, n, deflate))
	cmd.Stderr = os.Stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	s := &subscribers{cmd: cmd, lines: bufio.NewReader(stdout), stdin: stdin}
	if line, err := s.lines.ReadString('\n'); err != nil || line != "ready\n" {
		s.stop()
		return nil, fmt.Errorf("the subscriber process did not start: %q, %v", line, err)
	}
	return s, nil
}

// awaitRound waits until every subscriber has the latest message.
func (s *subscribers) awaitRound() error {
	line, err := s.lines.ReadString('\n')
	if err != nil || line != "round\n" {
		return fmt.Errorf("subscribers: %q, %v", line, err)
	}
	return nil
}

// stop ends the subscriber process: it exits when its standard input closes.
func (s *subscribers) stop() {
	s.stdin.Close()
	done := make(chan struct{})
	go func() { s.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		s.cmd.Process.Kill()
		<-done
	}
}

// runSubscribers is the subscriber process.
func runSubscribers(spec string) error {
	var url string
	var n int
	var deflate bool
	if _, err := fmt.Sscanf(spec, "%s %d %t", &url, &n, &deflate); err != nil {
		return fmt.Errorf("%q: %v", spec, err)
	}
	if err := raiseFileLimit(n + 256); err != nil {
		return err
	}
	var opts conn.DialOptions
	if deflate {
		opts.Compression = &conn.CompressionOptions{}
	}
	clients := make([]*conn.Conn, n)
	var wg sync.WaitGroup
	sem := make(chan struct{}, 64)
	var dialErr atomic.Value
	for i := range n {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			c, _, err := conn.Dial(ctx, url, &opts)
			if err != nil {
				dialErr.Store(err)
				return
			}
			clients[i] = c
		}()
	}
	wg.Wait()
	if err, ok := dialErr.Load().(error); ok {
		return err
	}
	var received atomic.Int64
	rounds := make(chan struct{}, 1024)
	for _, c := range clients {
		go func() {
			var buf []byte
			for {
				_, p, err := c.ReadMessage(buf)
				if err != nil {
					return
				}
				buf = p
				if received.Add(1)%int64(n) == 0 {
					rounds <- struct{}{}
				}
			}
		}()
	}
	out := bufio.NewWriter(os.Stdout)
	fmt.Fprintln(out, "ready")
	out.Flush()
	stdinClosed := make(chan struct{})
	go func() { io.Copy(io.Discard, os.Stdin); close(stdinClosed) }()
	for {
		select {
		case <-rounds:
			fmt.Fprintln(out, "round")
			out.Flush()
		case <-stdinClosed:
			for _, c := range clients {
				c.CloseNow()
			}
			return nil
		}
	}
}

// raiseFileLimit makes room for at least n open files, raising the hard limit too when the
// process may (as root).
func raiseFileLimit(n int) error {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return err
	}
	if lim.Cur >= uint64(n) {
		return nil
	}
	lim.Cur = max(lim.Cur, uint64(n))
	lim.Max = max(lim.Max, lim.Cur)
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return fmt.Errorf("%d subscribers need %d open files: %v", n/2, n, err)
	}
	return nil
}
