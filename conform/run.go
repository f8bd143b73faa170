package conform

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"
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
	if err := probe(ctx, url, opts); err != nil {
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
		r := runServerCase(ctx, url, cases[i], opts)
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
func probe(ctx context.Context, url string, opts *Options) error {
	start := time.Now()
	deadline := start.Add(opts.caseTimeout(Case{}))
	dctx, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()
	rc, err := dialRaw(dctx, url, dialOptions{header: opts.Header, tlsConfig: opts.TLSConfig})
	if err != nil {
		return err
	}
	play(Case{ID: "probe", run: (*session).closeNormally}, rc, start, deadline)
	return nil
}

// runServerCase connects to url and runs case c.
func runServerCase(ctx context.Context, url string, c Case, opts *Options) Result {
	start := time.Now()
	deadline := start.Add(opts.caseTimeout(c))
	dctx, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()
	rc, err := dialRaw(dctx, url, dialOptions{header: opts.Header, tlsConfig: opts.TLSConfig, deflate: c.deflate})
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
