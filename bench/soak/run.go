package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/rfc6455/ws/bench/internal/serverproc"
	"github.com/rfc6455/ws/conn"
	"github.com/rfc6455/ws/frame"
)

type config struct {
	url      string
	clients  int
	faulty   float64
	duration time.Duration
	compress bool
	seed     int64
	record   *recorder // nil: record nothing
}

// The faults a misbehaving client injects, one per connection.
const (
	faultMidFrame    = iota // a frame header and part of its payload, then the connection closed
	faultReset              // a TCP reset (SO_LINGER 0) after a few echoes
	faultStopReading        // messages sent and the echoes never read, for a while
	faultHalfClose          // TCP's FIN without a close frame
	faultKinds
)

var faultNames = [faultKinds]string{"stopped mid-frame", "reset", "stopped reading", "half-closed"}

// report is what a run found.
type report struct {
	cfg                        config
	messages, bytes            atomic.Int64 // echoes checked on healthy connections
	fragmented, compressed     atomic.Int64
	sessions                   atomic.Int64 // healthy connections opened (restarts included)
	corrupt, lost              atomic.Int64
	faults                     [faultKinds]atomic.Int64
	mu                         sync.Mutex
	failures                   []string // the first few corrupt or lost messages, described
	rss                        []string // the server's RSS over time
	fdsBefore, fdsAfter        int
	goroutinesBefore           int // the server's goroutines, from its /debug/stats; -1: unknown
	goroutinesAfter            int
	goroutineDump              string // the server's stacks when goroutines were left over (cmd/echo's /debug/goroutines)
	rssBefore, rssAfter, rssHi int64
}

func (r *report) fail(kind *atomic.Int64, format string, args ...any) {
	kind.Add(1)
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.failures) < 10 {
		r.failures = append(r.failures, fmt.Sprintf(format, args...))
	}
}

func (r *report) ok() bool {
	return r.corrupt.Load() == 0 && r.lost.Load() == 0 && r.fdsAfter <= r.fdsBefore && r.goroutinesAfter <= r.goroutinesBefore && r.messages.Load() > 0
}

func (r *report) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "soak: %d clients (%.0f%% faulty) for %v against %s, seed %d\n", r.cfg.clients, 100*r.cfg.faulty, r.cfg.duration, r.cfg.url, r.cfg.seed)
	fmt.Fprintf(&b, "checked: %d echoes, %.1f MiB, on %d healthy connections (%d fragmented with pings between fragments, %d compressed)\n",
		r.messages.Load(), float64(r.bytes.Load())/(1<<20), r.sessions.Load(), r.fragmented.Load(), r.compressed.Load())
	fmt.Fprintf(&b, "corrupt: %d, lost: %d\n", r.corrupt.Load(), r.lost.Load())
	for _, f := range r.failures {
		fmt.Fprintf(&b, "  %s\n", f)
	}
	b.WriteString("faults injected:")
	for i, name := range faultNames {
		fmt.Fprintf(&b, " %s %d;", name, r.faults[i].Load())
	}
	fmt.Fprintf(&b, "\nserver RSS: %.1f MiB before, %.1f MiB highest, %.1f MiB after; samples: %s\n",
		serverproc.MiB(r.rssBefore), serverproc.MiB(r.rssHi), serverproc.MiB(r.rssAfter), strings.Join(r.rss, " "))
	fmt.Fprintf(&b, "server file descriptors: %d before, %d after\n", r.fdsBefore, r.fdsAfter)
	if r.goroutinesBefore >= 0 {
		fmt.Fprintf(&b, "server goroutines: %d before, %d after\n", r.goroutinesBefore, r.goroutinesAfter)
		if r.goroutineDump != "" {
			fmt.Fprintf(&b, "server goroutines left over, from its /debug/goroutines:\n%s\n", r.goroutineDump)
		}
	} else {
		b.WriteString("server goroutines: not counted (the server serves no /debug/stats)\n")
	}
	if r.ok() {
		b.WriteString("PASS\n")
	} else {
		b.WriteString("FAIL\n")
	}
	return b.String()
}

// openFDs counts the open file descriptors of a process.
func openFDs(pid int) int {
	entries, _ := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	return len(entries)
}

func run(cfg config, srv *serverproc.Server) *report {
	r := &report{cfg: cfg}
	// A server that listens may not serve yet: the kernel queues connections as soon as the
	// socket listens, before the server's accepting goroutines have started, and a count taken
	// then is short of them (CI saw 7 before and 9 after, the two being cmd/echo's accept loop
	// and net/http's Serve). One WebSocket opened and closed first, and a count that has
	// settled, make the "before" the server's resting state.
	settle(cfg, srv)
	// Goroutines first: asking for them opens the connection to /debug/stats that the count
	// of file descriptors then includes, before and after alike.
	r.goroutinesBefore, r.goroutinesAfter = goroutines(srv), -1
	r.fdsBefore = openFDs(srv.PID)
	r.rssBefore, _, _ = srv.Memory()
	ctx, cancel := context.WithTimeout(context.Background(), cfg.duration)
	defer cancel()

	var wg sync.WaitGroup
	nFaulty := int(float64(cfg.clients) * cfg.faulty)
	for i := range cfg.clients {
		wg.Add(1)
		rng := rand.New(rand.NewSource(cfg.seed + int64(i)))
		go func() {
			defer wg.Done()
			time.Sleep(time.Duration(rng.Intn(2000)) * time.Millisecond) // arrive over two seconds
			for !over(ctx) {
				if i < nFaulty {
					misbehave(ctx, cfg, r, rng)
				} else {
					behave(ctx, cfg, r, rng)
				}
			}
		}()
	}
	sample := time.NewTicker(max(cfg.duration/10, time.Second))
	defer sample.Stop()
	start := time.Now()
	for done := false; !done; {
		select {
		case <-ctx.Done():
			done = true
		case <-sample.C:
			rss, _, _ := srv.Memory()
			r.rssHi = max(r.rssHi, rss)
			r.rss = append(r.rss, fmt.Sprintf("%s:%.0fMiB", time.Since(start).Round(time.Second), serverproc.MiB(rss)))
		}
	}
	wg.Wait()
	// The server closes what the clients left within its close timeout; then count.
	deadline := time.Now().Add(30 * time.Second)
	for (openFDs(srv.PID) > r.fdsBefore || goroutines(srv) > r.goroutinesBefore) && time.Now().Before(deadline) {
		time.Sleep(200 * time.Millisecond)
	}
	r.fdsAfter = openFDs(srv.PID)
	r.goroutinesAfter = goroutines(srv)
	if r.goroutinesAfter > r.goroutinesBefore {
		r.goroutineDump = goroutineDump(srv)
	}
	r.rssAfter, _, _ = srv.Memory()
	return r
}

// over reports whether the run has ended. The dialer times out at ctx's deadline by the
// socket's own clock, which on a loaded machine can be well before ctx's timer marks it done;
// a dial failing then is the end of the run, not a lost message.
func over(ctx context.Context) bool {
	if ctx.Err() != nil {
		return true
	}
	deadline, ok := ctx.Deadline()
	return ok && !time.Now().Before(deadline)
}

// settle opens and closes one WebSocket to the server, then waits until its goroutine count
// has held still for half a second (at most 5 s).
func settle(cfg config, srv *serverproc.Server) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if c, _, err := conn.Dial(ctx, cfg.url, nil); err == nil {
		c.Close(frame.CloseNormal, "")
	}
	last, still := goroutines(srv), 0
	for deadline := time.Now().Add(5 * time.Second); still < 5 && time.Now().Before(deadline); {
		time.Sleep(100 * time.Millisecond)
		if n := goroutines(srv); n == last {
			still++
		} else {
			last, still = n, 0
		}
	}
}

// goroutineDump returns the server's goroutine stacks from /debug/goroutines, or "".
func goroutineDump(srv *serverproc.Server) string {
	if srv.DebugAddr == "" {
		return ""
	}
	client := &http.Client{Timeout: 5 * time.Second}
	resp, err := client.Get("http://" + srv.DebugAddr + "/debug/goroutines")
	if err != nil {
		return ""
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	return string(b)
}

// goroutines returns the server's goroutine count from its /debug/stats, or -1 without one.
func goroutines(srv *serverproc.Server) int {
	st, err := srv.Stats()
	if err != nil {
		return -1
	}
	return st.Goroutines
}

// behave is one healthy connection: a few dozen random messages, each echo checked, then a
// normal close.
func behave(ctx context.Context, cfg config, r *report, rng *rand.Rand) {
	opts := &conn.DialOptions{ReadLimit: -1}
	compressed := cfg.compress && rng.Intn(3) == 0
	if compressed {
		opts.Compression = &conn.CompressionOptions{}
	}
	dial, recorded := cfg.record.dialer()
	opts.NetDialContext = dial
	dctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	c, _, err := conn.Dial(dctx, cfg.url, opts)
	cancel()
	if err != nil {
		if !over(ctx) {
			r.fail(&r.lost, "dial: %v", err)
		}
		return
	}
	defer c.CloseNow()
	r.sessions.Add(1)
	var buf []byte
	for n := 5 + rng.Intn(45); n > 0 && !over(ctx); n-- {
		op, msg := randomMessage(rng)
		fragments := 1
		if len(msg) > 2 && rng.Intn(5) == 0 {
			fragments = 2 + rng.Intn(4)
		}
		c.SetDeadline(time.Now().Add(60 * time.Second))
		if err := send(c, op, msg, fragments); err != nil {
			r.fail(&r.lost, "send %v of %d bytes in %d fragments: %v", op, len(msg), fragments, err)
			return
		}
		gotOp, got, err := c.ReadMessage(buf)
		if err != nil {
			r.fail(&r.lost, "echo of %v of %d bytes: %v", op, len(msg), err)
			return
		}
		buf = got[:0]
		if gotOp != op || !bytes.Equal(got, msg) {
			r.fail(&r.corrupt, "echo of %v of %d bytes came back as %v of %d bytes", op, len(msg), gotOp, len(got))
			return
		}
		r.messages.Add(1)
		r.bytes.Add(int64(len(msg)))
		if fragments > 1 {
			r.fragmented.Add(1)
		}
		if compressed {
			r.compressed.Add(1)
		}
	}
	c.SetDeadline(time.Time{})
	if err := c.Close(frame.CloseNormal, ""); err != nil && !over(ctx) {
		r.fail(&r.lost, "close: %v", err)
		return
	}
	if recorded != nil {
		cfg.record.save(recorded, compressed)
	}
}

// send writes msg as one message, in fragments with a ping between each (RFC 6455 §5.4: control
// frames may come between the fragments of a message).
func send(c *conn.Conn, op frame.Opcode, msg []byte, fragments int) error {
	if fragments == 1 {
		return c.WriteMessage(op, msg)
	}
	w, err := c.NextWriter(op)
	if err != nil {
		return err
	}
	step := len(msg) / fragments
	for i := range fragments {
		end := (i + 1) * step
		if i == fragments-1 {
			end = len(msg)
		}
		if _, err := w.Write(msg[i*step : end]); err != nil {
			return err
		}
		if i < fragments-1 {
			if err := c.Ping([]byte("between fragments")); err != nil {
				return err
			}
		}
	}
	return w.Close()
}

// randomMessage returns text (valid UTF-8, characters of 1 to 4 bytes) or binary, mostly small:
// 70% under 1 KiB, 25% up to 64 KiB, 5% up to 1 MiB.
func randomMessage(rng *rand.Rand) (frame.Opcode, []byte) {
	var size int
	switch p := rng.Intn(100); {
	case p < 70:
		size = rng.Intn(1024)
	case p < 95:
		size = 1024 + rng.Intn(63<<10)
	default:
		size = 64<<10 + rng.Intn(960<<10)
	}
	if rng.Intn(2) == 0 {
		b := make([]byte, size)
		rng.Read(b)
		return frame.OpBinary, b
	}
	runes := []rune("aé€𝄞 z✓ß🌍")
	b := make([]byte, 0, size+4)
	for len(b) < size {
		ch := runes[rng.Intn(len(runes))]
		if len(b)+utf8.RuneLen(ch) > size {
			ch = 'x'
		}
		b = utf8.AppendRune(b, ch)
	}
	return frame.OpText, b
}

// misbehave is one faulty connection: a few echoes, then one fault.
func misbehave(ctx context.Context, cfg config, r *report, rng *rand.Rand) {
	dctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	c, _, err := conn.Dial(dctx, cfg.url, nil)
	cancel()
	if err != nil {
		time.Sleep(100 * time.Millisecond)
		return
	}
	defer c.CloseNow()
	for n := rng.Intn(5); n > 0; n-- {
		_, msg := randomMessage(rng)
		if c.WriteMessage(frame.OpBinary, msg) != nil {
			return
		}
		c.SetReadDeadline(time.Now().Add(30 * time.Second))
		if _, _, err := c.ReadMessage(nil); err != nil {
			return
		}
	}
	tcp, _ := c.NetConn().(*net.TCPConn)
	kind := rng.Intn(faultKinds)
	r.faults[kind].Add(1)
	switch kind {
	case faultMidFrame:
		// A masked binary frame that claims 1000 bytes, and 10 of them.
		tcp.Write(append([]byte{0x82, 0xFE, 0x03, 0xE8, 1, 2, 3, 4}, make([]byte, 10)...))
		tcp.Close()
	case faultReset:
		tcp.SetLinger(0)
		tcp.Close()
	case faultStopReading:
		// The server's echoes pile up in the sockets until its writes block; then go.
		msg := make([]byte, 256<<10)
		c.SetWriteDeadline(time.Now().Add(2 * time.Second))
		for i := 0; i < 64 && ctx.Err() == nil; i++ {
			if c.WriteMessage(frame.OpBinary, msg) != nil {
				break
			}
		}
		time.Sleep(time.Duration(500+rng.Intn(1500)) * time.Millisecond)
		tcp.SetLinger(0)
		tcp.Close()
	case faultHalfClose:
		tcp.CloseWrite()
		// The server sees the end of its input (1006); it closes its side.
		c.SetReadDeadline(time.Now().Add(10 * time.Second))
		for {
			if _, _, err := c.ReadMessage(nil); err != nil {
				if errors.Is(err, os.ErrDeadlineExceeded) {
					r.fail(&r.lost, "the server kept a half-closed connection open for 10 s")
				}
				break
			}
		}
	}
}
