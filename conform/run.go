package conform

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/rfc6455/ws/internal/h2connect"
)

// DefaultParallel is how many cases CheckServer runs at once unless told otherwise.
const DefaultParallel = 4

// Options configures a run of the suite. A nil *Options means the defaults.
type Options struct {
	// Timeout bounds each case that has no longer limit of its own (family 9 has); 0 means
	// DefaultTimeout.
	Timeout time.Duration

	// Parallel is how many cases CheckServer runs at once; 0 means DefaultParallel. Cases that
	// measure time (family 9) always run one at a time, after the others.
	Parallel int

	// Agent names the implementation under test in reports. CheckServer defaults it to
	// "server"; a FuzzingServer takes it from each client's requests.
	Agent string

	// Header holds extra header fields for CheckServer's opening handshakes, such as Origin or
	// Authorization.
	Header http.Header

	// TLSConfig is used by CheckServer for wss:// URLs.
	TLSConfig *tls.Config

	// HTTP2, if true, has CheckServer open each case's WebSocket as a stream of an HTTP/2
	// connection (RFC 8441): TLS with ALPN h2 for a wss:// URL, HTTP/2 with prior knowledge
	// (RFC 9113 §3.3) for a ws:// one. The streams share the connections, as a browser's do;
	// the server must advertise extended CONNECT (SETTINGS_ENABLE_CONNECT_PROTOCOL). What the
	// cases call the TCP connection is then the stream: its end (END_STREAM) is the FIN and a
	// RST_STREAM the reset (RFC 8441 §6).
	HTTP2 bool

	// Progress, if set, is called with each result as soon as its case is over, one call at a
	// time.
	Progress func(Result)

	// OnReport, if set, is called by a FuzzingServer when a client asks it to update the
	// reports (/updateReports?agent=A), with that agent's report.
	OnReport func(*Report)
}

// caseTimeout returns the time limit of case c: its own, or the run's if that is longer.
func (o *Options) caseTimeout(c Case) time.Duration {
	t := DefaultTimeout
	if o != nil && o.Timeout > 0 {
		t = o.Timeout
	}
	return max(t, c.Timeout)
}

// CheckServer runs cases against the WebSocket echo server at url (ws:// or wss://): for each
// case it connects, runs the opening handshake and plays the case as the client. The server must
// send every message back with its own opcode. CheckServer first checks that the server can be
// reached and returns an error if it cannot; failed cases are results, not errors. When ctx is
// done, CheckServer stops starting cases and returns the report of those that ran with ctx.Err().
func CheckServer(ctx context.Context, url string, cases []Case, opts *Options) (*Report, error) {
	if opts == nil {
		opts = new(Options)
	}
	agent := opts.Agent
	if agent == "" {
		agent = "server"
	}
	report := &Report{Mode: "server", Agent: agent, Target: url, Started: time.Now()}
	dial := dialOptions{header: opts.Header, tlsConfig: opts.TLSConfig}
	if opts.HTTP2 {
		dial.h2 = new(h2connect.Client)
		report.Target += " (HTTP/2)"
	}
	if err := probe(ctx, url, opts, dial); err != nil {
		return nil, fmt.Errorf("conform: cannot open a WebSocket connection to %s: %w", url, err)
	}

	var shared, alone []int
	for i, c := range cases {
		if c.alone {
			alone = append(alone, i)
		} else {
			shared = append(shared, i)
		}
	}
	results := make([]*Result, len(cases))
	var progressMu sync.Mutex
	run := func(i int) {
		r := runServerCase(ctx, url, cases[i], opts, dial)
		results[i] = &r
		if opts.Progress != nil {
			progressMu.Lock()
			opts.Progress(r)
			progressMu.Unlock()
		}
	}

	parallel := opts.Parallel
	if parallel <= 0 {
		parallel = DefaultParallel
	}
	jobs := make(chan int)
	var wg sync.WaitGroup
	for range parallel {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				run(i)
			}
		}()
	}
	for _, i := range shared {
		if ctx.Err() != nil {
			break
		}
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	for _, i := range alone {
		if ctx.Err() != nil {
			break
		}
		run(i)
	}

	for _, r := range results {
		if r != nil {
			report.Results = append(report.Results, *r)
		}
	}
	report.Duration = time.Since(report.Started)
	return report, ctx.Err()
}

// probe checks that url takes a WebSocket connection, and closes it properly.
func probe(ctx context.Context, url string, opts *Options, dial dialOptions) error {
	start := time.Now()
	deadline := start.Add(opts.caseTimeout(Case{}))
	dctx, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()
	rc, err := dialRaw(dctx, url, dial)
	if err != nil {
		return err
	}
	play(Case{ID: "probe", run: (*session).closeNormally}, rc, start, deadline)
	return nil
}

// runServerCase connects to url as dial says and runs case c.
func runServerCase(ctx context.Context, url string, c Case, opts *Options, dial dialOptions) Result {
	start := time.Now()
	deadline := start.Add(opts.caseTimeout(c))
	dctx, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()
	dial.deflate = c.deflate
	rc, err := dialRaw(dctx, url, dial)
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) {
			err = fmt.Errorf("no answer within %v", deadline.Sub(start))
		}
		return Result{
			ID:          c.ID,
			Description: c.Description,
			Expectation: c.Expectation,
			Verdict:     Failed,
			Observed:    "FAILED: the opening handshake failed: " + err.Error(),
			Duration:    time.Since(start),
		}
	}
	return play(c, rc, start, deadline)
}
