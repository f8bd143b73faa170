package load

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// Options configure a run. The zero value of each field means its default.
type Options struct {
	Duration   time.Duration // measured time, after Warmup; default 3 s
	Messages   int           // if > 0: send exactly this many messages per connection instead, all measured
	Warmup     time.Duration // time spent echoing before measuring; default none
	PID        int           // server process whose RSS and CPU time to sample; 0: none
	Timeout    time.Duration // the longest wait for a handshake, a read or a write; default 10 s
	Settle     time.Duration // Idle: wait before each RSS reading; default 2 s
	ReadBuffer int           // bytes of read buffer per connection; default 64 KiB
}

func (o Options) withDefaults() Options {
	if o.Duration <= 0 {
		o.Duration = 3 * time.Second
	}
	if o.Timeout <= 0 {
		o.Timeout = 10 * time.Second
	}
	if o.Settle <= 0 {
		o.Settle = 2 * time.Second
	}
	if o.ReadBuffer <= 0 {
		o.ReadBuffer = 64 << 10
	}
	return o
}

// Result is the outcome of one scenario.
type Result struct {
	Label    string `json:"label,omitempty"` // the server's name, set by the caller
	Scenario string `json:"scenario"`
	Conns    int    `json:"conns"`
	InFlight int    `json:"inflight"`
	Size     int    `json:"size"`
	Text     bool   `json:"text"`
	Frags    int    `json:"frags"`
	Raw      bool   `json:"raw,omitempty"`
	HTTP2    bool   `json:"http2,omitempty"` // a stream of HTTP/2 each (Target.HTTP2)

	Compressible bool   `json:"compressible,omitempty"` // text that deflate shrinks a lot ("ctext")
	Compression  string `json:"compression,omitempty"`  // "deflate" or "deflate-takeover": what was offered (Target.Compression)
	Extensions   string `json:"extensions,omitempty"`   // the server's Sec-WebSocket-Extensions, from the first connection

	Messages   int64   `json:"messages"` // echoes completed inside the measured window
	Seconds    float64 `json:"seconds"`  // the measured window
	MsgsPerSec float64 `json:"msgs_per_sec"`
	MBPerSec   float64 `json:"mb_per_sec"` // payload bytes echoed per second (counted once), 10^6
	P50us      float64 `json:"p50_us"`     // round trip: first byte written to last byte read back
	P99us      float64 `json:"p99_us"`
	MaxUs      float64 `json:"max_us"`

	BytesVerified int64  `json:"bytes_verified"` // payload bytes compared, warmup included
	Echoes        int64  `json:"echoes"`         // echoes verified, warmup included
	Errors        int    `json:"errors"`         // connections that failed, mismatches included
	FirstError    string `json:"first_error,omitempty"`

	// With compression: how many echoes came compressed (RSV1), and the payload bytes of the
	// echoes' data frames as they came, so that EchoWireBytes / BytesVerified is the size on the
	// wire per byte of payload.
	CompressedEchoes int64 `json:"compressed_echoes,omitempty"`
	EchoWireBytes    int64 `json:"echo_wire_bytes,omitempty"`

	RSSBeforeKiB int64 `json:"rss_before_kib,omitempty"` // server RSS before connecting
	RSSPeakKiB   int64 `json:"rss_peak_kib,omitempty"`   // largest sample while running
	RSSAfterKiB  int64 `json:"rss_after_kib,omitempty"`  // after every connection closed

	// ServerCPUus is the CPU time, user and system, the server process used in the measured
	// window per message echoed in it, in µs (10 ms resolution over the window). Where the
	// rate follows the scheduler's wake-ups, as with one message in flight, it varies less from
	// run to run than the rate does.
	ServerCPUus float64 `json:"server_cpu_us_per_msg,omitempty"`

	Start time.Time `json:"start"`
}

// String formats r as one line of wsload's output.
func (r Result) String() string {
	s := fmt.Sprintf("%-26s %10.0f msg/s %9.2f MB/s  p50 %8.1fµs  p99 %8.1fµs  errors %d",
		r.Scenario, r.MsgsPerSec, r.MBPerSec, r.P50us, r.P99us, r.Errors)
	if r.Compression != "" && r.Echoes > 0 && r.BytesVerified > 0 {
		s += fmt.Sprintf("  wire/payload %.3f  compressed %d%%", float64(r.EchoWireBytes)/float64(r.BytesVerified),
			100*r.CompressedEchoes/r.Echoes)
	}
	if r.ServerCPUus > 0 {
		s += fmt.Sprintf("  cpu %.1fµs/msg", r.ServerCPUus)
	}
	if r.RSSPeakKiB > 0 {
		s += fmt.Sprintf("  rss %.1f/%.1f/%.1f MiB", float64(r.RSSBeforeKiB)/1024,
			float64(r.RSSPeakKiB)/1024, float64(r.RSSAfterKiB)/1024)
	}
	if r.FirstError != "" {
		s += "  first error: " + r.FirstError
	}
	return s
}

// connStats is what one connection measured.
type connStats struct {
	hist     histogram
	inWindow int64
	verified int64
	echoes   int64
	err      error
}

// Run runs scenario sc against t: it opens sc.Conns connections, echoes for o.Warmup and then
// o.Duration keeping sc.InFlight messages in flight on each, drains the messages still in flight,
// and closes every connection with the close handshake. Errors are counted in the result, never
// returned: a run always produces a line.
func Run(ctx context.Context, t Target, sc Scenario, o Options) Result {
	o = o.withDefaults()
	res := Result{Scenario: sc.Name(), Conns: sc.Conns, InFlight: sc.InFlight, Size: sc.Size,
		Text: sc.Text, Frags: sc.Frags, Raw: t.Raw, HTTP2: t.HTTP2, Compressible: sc.Compressible,
		Compression: t.Compression.String(), Start: time.Now()}
	if err := sc.Validate(); err != nil {
		res.Errors, res.FirstError = 1, err.Error()
		return res
	}
	if t.Raw && t.Compression != NoCompression {
		res.Errors, res.FirstError = 1, "load: compression in raw mode"
		return res
	}
	if o.PID > 0 {
		res.RSSBeforeKiB, _ = RSS(o.PID)
	}
	sampler := startRSS(o.PID)

	clients, errs, closeH2 := dialAll(ctx, t, sc.Conns, o.ReadBuffer, o.Timeout)
	defer closeH2()
	wf, extensions := agree(clients, errs)
	res.Extensions = extensions
	msgs := buildMessages(sc, wf) // after the handshakes: the client's window is known only then
	stats := make([]connStats, len(clients))
	t0 := time.Now().Add(o.Warmup)
	t1 := t0.Add(o.Duration)
	if o.Messages > 0 {
		t0, t1 = time.Now(), time.Now().Add(100*365*24*time.Hour)
	}
	cpu := startCPU(o.PID, t0, t1)
	var wg sync.WaitGroup
	for i, c := range clients {
		if c == nil {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			st := &stats[i]
			st.err = c.echoLoop(msgs, sc, t0, t1, o.Messages, o.Timeout, st)
			if err := c.closeHandshake(o.Timeout); err != nil && st.err == nil {
				st.err = err
			}
		}()
	}
	wg.Wait()
	cpuUsed, cpuMeasured := cpu.finish()
	res.Seconds = o.Duration.Seconds()
	if o.Messages > 0 {
		res.Seconds = time.Since(t0).Seconds() // close handshakes included
	}
	res.RSSPeakKiB = sampler.finish()
	if o.PID > 0 {
		time.Sleep(50 * time.Millisecond) // let the server finish closing
		res.RSSAfterKiB, _ = RSS(o.PID)
		res.RSSPeakKiB = max(res.RSSPeakKiB, res.RSSAfterKiB, res.RSSBeforeKiB)
	}

	var total histogram
	for i := range stats {
		if errs[i] == nil {
			errs[i] = stats[i].err
		}
		total.merge(&stats[i].hist)
		res.Messages += stats[i].inWindow
		res.BytesVerified += stats[i].verified
		res.Echoes += stats[i].echoes
		if c := clients[i]; c != nil {
			res.CompressedEchoes += c.compressed
			res.EchoWireBytes += c.wireBytes
		}
	}
	for _, err := range errs {
		if err != nil {
			if res.Errors == 0 {
				res.FirstError = err.Error()
			}
			res.Errors++
		}
	}
	res.MsgsPerSec = float64(res.Messages) / res.Seconds
	if cpuMeasured && res.Messages > 0 {
		res.ServerCPUus = cpuUsed.Seconds() * 1e6 / float64(res.Messages)
	}
	res.MBPerSec = res.MsgsPerSec * float64(sc.Size) / 1e6
	res.P50us = float64(total.quantile(0.50)) / 1e3
	res.P99us = float64(total.quantile(0.99)) / 1e3
	res.MaxUs = float64(total.max) / 1e3
	return res
}

// dialParallelism bounds how many handshakes are in progress at once.
const dialParallelism = 64

// dialAll opens n connections, dialParallelism at a time. A failed dial leaves a nil client and
// its error at the same index. With t.HTTP2, done closes the HTTP/2 connections once the
// clients have closed their streams; otherwise it does nothing.
func dialAll(ctx context.Context, t Target, n, bufSize int, timeout time.Duration) (clients []*client, errs []error, done func()) {
	clients = make([]*client, n)
	errs = make([]error, n)
	inflaters := newInflaterPool()
	var h2 *h2Pool
	done = func() {}
	if t.HTTP2 {
		h2 = &h2Pool{}
		done = h2.client.CloseIdleConnections
	}
	parallel(n, func(i int) {
		dctx, cancel := context.WithTimeout(ctx, timeout)
		defer cancel()
		clients[i], errs[i] = dial(dctx, t, bufSize, inflaters, h2)
	})
	return clients, errs, done
}

// agree returns how messages go on the wire, from the parameters the first connection negotiated,
// and the server's Sec-WebSocket-Extensions. The messages are built once for all connections, so
// a connection that negotiated other parameters is closed with an error (a server answers the
// same offer the same way).
func agree(clients []*client, errs []error) (wireFormat, string) {
	var first *client
	for i, c := range clients {
		if c == nil || c.deflate == nil {
			continue
		}
		if first == nil {
			first = c
			continue
		}
		if c.deflate.params != first.deflate.params {
			errs[i] = fmt.Errorf("%w: parameters %+v differ from the first connection's %+v",
				ErrNotNegotiated, c.deflate.params, first.deflate.params)
			c.nc.Close()
			clients[i] = nil
		}
	}
	if first == nil {
		return wireFormat{}, ""
	}
	return wireFormat{compress: true, windowBits: first.deflate.params.ClientMaxWindowBits}, first.extensions
}

// parallel calls f(0) … f(n-1), dialParallelism at a time, and waits for them.
func parallel(n int, f func(i int)) {
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(n, dialParallelism) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				f(i)
			}
		}()
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
}

// batchLimit is the most bytes of small messages the writer joins into one write.
const batchLimit = 16 << 10

// echoLoop is the traffic of one connection. A writer goroutine sends message after message while
// fewer than sc.InFlight are unanswered, joining the messages it may send at once into one write
// when they are small; this goroutine reads the echoes in order, checks each and records its round
// trip if it completed inside [t0, t1]. The writer stops at t1, or after count messages if count > 0;
// echoLoop returns when every message sent has come back, or at the first error.
func (c *client) echoLoop(msgs []message, sc Scenario, t0, t1 time.Time, count int, timeout time.Duration, st *connStats) error {
	c.pingsPerMessage = sc.Frags - 1
	slots := make(chan struct{}, sc.InFlight) // one token per message in flight
	sent := make(chan time.Time, sc.InFlight) // send times of messages in flight, in order
	readerDone := make(chan struct{})         // the reader stopped: the writer must too
	writerDone := make(chan error, 1)

	go func() {
		defer close(sent)
		var batch []byte
		var deadline time.Time
		next := 0
		for {
			select {
			case slots <- struct{}{}:
			case <-readerDone:
				writerDone <- nil
				return
			}
			now := time.Now()
			if !now.Before(t1) || count > 0 && next >= count {
				writerDone <- nil
				return
			}
			wire := msgs[next%len(msgs)].wire
			sent <- now
			next++
			if len(wire) <= batchLimit/2 {
				// Join the messages that free slots allow, as a pipelining client would.
				batch = append(batch[:0], wire...)
				for len(batch)+len(msgs[next%len(msgs)].wire) <= batchLimit && (count == 0 || next < count) {
					select {
					case slots <- struct{}{}:
					default:
						goto write
					}
					batch = append(batch, msgs[next%len(msgs)].wire...)
					sent <- now
					next++
				}
			write:
				wire = batch
			}
			if now.After(deadline.Add(-timeout / 2)) {
				deadline = now.Add(timeout)
				c.nc.SetWriteDeadline(deadline)
			}
			if _, err := c.nc.Write(wire); err != nil {
				writerDone <- err
				return
			}
		}
	}()

	var err error
	var deadline time.Time
	received := 0
	for start := range sent {
		if now := time.Now(); now.After(deadline.Add(-timeout / 2)) {
			deadline = now.Add(timeout)
			c.nc.SetReadDeadline(deadline)
		}
		m := &msgs[received%len(msgs)]
		if err = c.readEcho(m); err != nil {
			err = fmt.Errorf("message %d: %w", received, err)
			break
		}
		done := time.Now()
		if !done.Before(t0) && !done.After(t1) {
			st.hist.record(done.Sub(start))
			st.inWindow++
		}
		st.verified += int64(len(m.payload))
		st.echoes++
		received++
		<-slots
	}
	close(readerDone)
	if err != nil {
		c.nc.Close() // unblocks a writer stuck in Write
		for range sent {
		}
		<-writerDone
		return err
	}
	if werr := <-writerDone; werr != nil {
		return werr
	}
	if want := received * c.pingsPerMessage; !c.raw && c.pongs != want {
		return fmt.Errorf("%w: %d pongs for %d pings", errMismatch, c.pongs, want)
	}
	c.nc.SetDeadline(time.Time{})
	return nil
}
