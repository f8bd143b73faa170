package conform_test

// The suite against our own stack: conn.Upgrade behind an echo handler (as cmd/echo has it) and
// conn.Dial behind an echo client (as an Autobahn client harness has it). Every case must be OK
// or INFORMATIONAL; a NON-STRICT or FAILED verdict is a bug in package conn, to be fixed there,
// not here.

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rfc6455/ws/conform"
	"github.com/rfc6455/ws/conn"
	"github.com/rfc6455/ws/frame"
)

// echoHandler upgrades and echoes every message with its own opcode, reusing one buffer, as
// cmd/echo does.
func echoHandler(w http.ResponseWriter, r *http.Request) { echo(w, r, nil) }

// echoHandlerWith is echoHandler upgrading with opts, such as permessage-deflate on.
func echoHandlerWith(opts *conn.UpgradeOptions) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) { echo(w, r, opts) }
}

// echo is the body of echoHandler.
func echo(w http.ResponseWriter, r *http.Request, opts *conn.UpgradeOptions) {
	c, err := conn.Upgrade(w, r, opts)
	if err != nil {
		return
	}
	defer c.CloseNow()
	buf := make([]byte, 0, 4096)
	for {
		op, msg, err := c.ReadMessage(buf)
		if err != nil {
			return
		}
		buf = msg[:0]
		if err := c.WriteMessage(op, msg); err != nil {
			return
		}
	}
}

// raceSubset is the part of family 9 that the tests run under the race detector or -short, one or
// two cases of each group: echoing 4 to 16 MiB through instrumented code takes seconds a case.
// Without -race, family 9 runs in full.
var raceSubset = []string{"9.1.1", "9.1.2", "9.2.1", "9.2.2", "9.3.9", "9.4.9", "9.5.6", "9.6.6", "9.7.1", "9.8.4"}

// suiteCases returns the cases our tests run: all of them, with family 9 cut to raceSubset under
// the race detector or -short.
func suiteCases() []conform.Case {
	var cases []conform.Case
	for _, c := range conform.Cases() {
		if (raceEnabled || testing.Short()) && conform.Family(c.ID) == "9" && !slices.Contains(raceSubset, c.ID) {
			continue
		}
		cases = append(cases, c)
	}
	return cases
}

// informational are the cases that only record what the peer does: the RFC leaves the behaviour
// open. Any other case may not be INFORMATIONAL for our stack (family 9's are when the peer refuses
// a message for a limit of its own, and ours must not), except the compression cases when the
// peer has compression off.
var informational = []string{"1.3.2", "7.1.6", "7.13.1", "7.13.2"}

// isCompression reports whether a case is one of the compression families, 12 and 13.
func isCompression(id string) bool { f := conform.Family(id); return f == "12" || f == "13" }

// crossSection returns the cases of the tests that run the suite against a peer other than
// conn.Upgrade and conn.Dial themselves (cmd/echo's binary and the broken peers): all of
// suiteCases, but under the race detector or -short only the first three cases of each group (and
// of each single-level family), which still covers every kind of case.
func crossSection() []conform.Case {
	all := suiteCases()
	if !raceEnabled && !testing.Short() {
		return all
	}
	var out []conform.Case
	perGroup := make(map[string]int)
	for _, c := range all {
		group := c.ID[:strings.LastIndex(c.ID, ".")]
		if perGroup[group]++; perGroup[group] <= 3 {
			out = append(out, c)
		}
	}
	return out
}

// requireAllPass fails the test for every case of report that is not OK, or INFORMATIONAL where
// that is all a case can be. The compression cases must be OK when the peer compresses, and
// INFORMATIONAL when it does not: it declines permessage-deflate, which RFC 7692 §5.1 allows.
func requireAllPass(t *testing.T, report *conform.Report, compresses bool) {
	t.Helper()
	for _, r := range report.Results {
		want := r.Verdict == conform.OK || r.Verdict == conform.Informational && slices.Contains(informational, r.ID)
		if isCompression(r.ID) {
			want = r.Verdict == conform.OK && compresses || r.Verdict == conform.Informational && !compresses
		}
		if !want {
			t.Errorf("case %s: %s\n\t%s\n\texpected: %s\n\tobserved: %s\n\tlog:\n\t\t%s",
				r.ID, r.Verdict, r.Description, r.Expectation, r.Observed, strings.Join(r.Log, "\n\t\t"))
		}
	}
	c := report.Counts()
	t.Logf("%s: %d cases: %d OK, %d NON-STRICT, %d INFORMATIONAL, %d FAILED in %v",
		report.Agent, c.Total, c.OK, c.NonStrict, c.Informational, c.Failed, report.Duration.Round(time.Millisecond))
}

// testParallel is how many cases the tests run at once: most cases wait more than they compute.
const testParallel = 8

// checkClient runs cases against the conn.Dial echo client that echoes with the opcode echoOp
// gives and dials with opts, through a fuzzing server, and returns the report the client asked
// for at the end.
func checkClient(cases []conform.Case, agent string, echoOp func(frame.Opcode) frame.Opcode, opts *conn.DialOptions) (*conform.Report, error) {
	reports := make(chan *conform.Report, 1)
	fs := conform.NewFuzzingServer(cases, &conform.Options{OnReport: func(r *conform.Report) { reports <- r }})
	srv := httptest.NewServer(fs)
	defer srv.Close()
	if err := echoClientWith(context.Background(), "ws"+strings.TrimPrefix(srv.URL, "http"), agent, echoOp, opts); err != nil {
		return nil, err
	}
	select {
	case r := <-reports:
		return r, nil
	default:
		return nil, errors.New("the fuzzing server made no report")
	}
}

func TestOurServer(t *testing.T) {
	t.Parallel()
	startRuns()
	report := runs.goodServer.wait(t)
	if got, want := len(report.Results), len(suiteCases()); got != want {
		t.Errorf("the report has %d results, want %d", got, want)
	}
	requireAllPass(t, report, false)
}

// echoClient is a client harness in the manner of Autobahn's: it asks the fuzzing server at base
// how many cases there are, runs each one with conn.Dial echoing every message, and asks for the
// report.
func echoClient(ctx context.Context, base, agent string) error {
	return echoClientWith(ctx, base, agent, func(op frame.Opcode) frame.Opcode { return op }, nil)
}

// echoClientWith is echoClient echoing each message with the opcode echoOp returns for it, and
// dialling each case with opts. It runs four cases at a time, as the fuzzing server allows (an
// Autobahn harness runs one).
func echoClientWith(ctx context.Context, base, agent string, echoOp func(frame.Opcode) frame.Opcode, opts *conn.DialOptions) error {
	c, _, err := conn.Dial(ctx, base+"/getCaseCount", nil)
	if err != nil {
		return err
	}
	_, p, err := c.ReadMessage(nil)
	if err != nil {
		return err
	}
	c.Close(frame.CloseNormal, "")
	count, err := strconv.Atoi(string(p))
	if err != nil {
		return fmt.Errorf("case count %q: %v", p, err)
	}

	cases := make(chan int)
	errs := make(chan error, count)
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range cases {
				errs <- echoCase(ctx, fmt.Sprintf("%s/runCase?case=%d&agent=%s", base, i, agent), echoOp, opts)
			}
		}()
	}
	for i := 1; i <= count; i++ {
		cases <- i
	}
	close(cases)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			return err
		}
	}

	c, _, err = conn.Dial(ctx, base+"/updateReports?agent="+agent, nil)
	if err != nil {
		return err
	}
	c.ReadMessage(nil)
	return c.CloseNow()
}

// echoCase connects to url with opts and echoes every message until the connection ends.
func echoCase(ctx context.Context, url string, echoOp func(frame.Opcode) frame.Opcode, opts *conn.DialOptions) error {
	c, _, err := conn.Dial(ctx, url, opts)
	if err != nil {
		return fmt.Errorf("%s: %v", url, err)
	}
	defer c.CloseNow()
	var buf []byte
	for {
		op, msg, err := c.ReadMessage(buf)
		if err != nil {
			return nil
		}
		buf = msg[:0]
		if err := c.WriteMessage(echoOp(op), msg); err != nil && !errors.Is(err, conn.ErrCloseSent) {
			return nil
		}
	}
}

func TestOurClient(t *testing.T) {
	t.Parallel()
	startRuns()
	report := runs.goodClient.wait(t)
	if got, want := len(report.Results), len(suiteCases()); got != want {
		t.Errorf("the report has %d results, want %d", got, want)
	}
	requireAllPass(t, report, false)
}
