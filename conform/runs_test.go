package conform_test

// The runs of the suite that the tests check, all started together the first time a test needs
// one. They wait on the network far more than they compute, and go test runs only GOMAXPROCS
// parallel tests at a time, so starting them from the tests one by one would make them queue.

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/rfc6455/ws/conform"
	"github.com/rfc6455/ws/frame"
)

// suiteRun is a run of the suite that may still be going on.
type suiteRun struct {
	done   chan struct{}
	report *conform.Report
	err    error
}

// startRun runs check in a goroutine of its own.
func startRun(check func() (*conform.Report, error)) *suiteRun {
	r := &suiteRun{done: make(chan struct{})}
	go func() {
		defer close(r.done)
		r.report, r.err = check()
	}()
	return r
}

// wait returns the run's report, failing the test if the run failed.
func (r *suiteRun) wait(t *testing.T) *conform.Report {
	t.Helper()
	<-r.done
	if r.err != nil {
		t.Fatal(r.err)
	}
	return r.report
}

var (
	runsOnce sync.Once
	runs     struct {
		goodServer, goodClient                                 *suiteRun // our stack, all of suiteCases
		textAsBinaryServer, unmaskedServer, textAsBinaryClient *suiteRun // broken_test.go's peers, crossSection

		// compression_test.go's runs: our stack with compression on, deflateCases or deflateCrossSection
		deflateServer, deflateServerTakeover, deflateClient, deflateClientExact *suiteRun
		// broken_deflate_test.go's peers, deflateCrossSection
		keepsTail, rsv1OnContinuation, ignoresNoContextTakeover *suiteRun
		// h2_test.go's: our server over HTTP/2 (RFC 8441), suiteCases, crossSection, deflateCases
		h2Server, h2cServer, h2DeflateServer *suiteRun
	}
)

// startRuns starts every run, once.
func startRuns() {
	runsOnce.Do(func() {
		same := func(op frame.Opcode) frame.Opcode { return op }
		binary := func(frame.Opcode) frame.Opcode { return frame.OpBinary }
		runs.goodServer = startRun(func() (*conform.Report, error) {
			return checkHandler(http.HandlerFunc(echoHandler), suiteCases(), "conn.Upgrade", false)
		})
		runs.goodClient = startRun(func() (*conform.Report, error) {
			return checkClient(suiteCases(), "conn.Dial", same, nil)
		})
		runs.textAsBinaryServer = startRun(func() (*conform.Report, error) {
			return checkHandler(http.HandlerFunc(textAsBinaryHandler), crossSection(), "text-as-binary", false)
		})
		runs.unmaskedServer = startRun(func() (*conform.Report, error) {
			return checkHandler(http.HandlerFunc(echoHandler), crossSection(), "accepts-unmasked", true)
		})
		runs.textAsBinaryClient = startRun(func() (*conform.Report, error) {
			return checkClient(crossSection(), "text-as-binary", binary, nil)
		})

		runs.deflateServer = startRun(func() (*conform.Report, error) {
			return checkHandler(echoHandlerWith(serverDeflate), deflateCases(), "conn.Upgrade+deflate", false)
		})
		runs.deflateServerTakeover = startRun(func() (*conform.Report, error) {
			return checkHandler(echoHandlerWith(serverDeflateTakeover), deflateCases(), "conn.Upgrade+deflate+takeover", false)
		})
		runs.deflateClient = startRun(func() (*conform.Report, error) {
			return checkClient(deflateCases(), "conn.Dial+deflate", same, clientDeflate)
		})
		runs.deflateClientExact = startRun(func() (*conform.Report, error) {
			return checkClient(deflateCrossSection(), "conn.Dial+deflate-exact", same, clientDeflateExact)
		})
		runs.h2Server = startRun(func() (*conform.Report, error) {
			return checkHandlerH2(http.HandlerFunc(echoHandler), suiteCases(), "conn.Upgrade over HTTP/2", true)
		})
		runs.h2cServer = startRun(func() (*conform.Report, error) {
			return checkHandlerH2(http.HandlerFunc(echoHandler), crossSection(), "conn.Upgrade over h2c", false)
		})
		runs.h2DeflateServer = startRun(func() (*conform.Report, error) {
			return checkHandlerH2(echoHandlerWith(serverDeflate), deflateCases(), "conn.Upgrade+deflate over HTTP/2", true)
		})
		for _, b := range []struct {
			run   **suiteRun
			fault deflateFault
		}{{&runs.keepsTail, keepsTail}, {&runs.rsv1OnContinuation, rsv1OnContinuation}, {&runs.ignoresNoContextTakeover, ignoresNoContextTakeover}} {
			*b.run = startRun(func() (*conform.Report, error) {
				return checkHandler(brokenDeflateHandler(b.fault), deflateCrossSection(), b.fault.String(), false)
			})
		}
	})
}

// checkHandler runs cases against the echo server behind h, through the masking proxy of
// broken_test.go when unmasked is set.
func checkHandler(h http.Handler, cases []conform.Case, agent string, unmasked bool) (*conform.Report, error) {
	srv := httptest.NewServer(h)
	defer srv.Close()
	url := "ws" + strings.TrimPrefix(srv.URL, "http") + "/"
	if unmasked {
		proxy, stop, err := startMaskingProxy(srv.Listener.Addr().String())
		if err != nil {
			return nil, err
		}
		defer stop()
		url = "ws://" + proxy + "/"
	}
	return conform.CheckServer(context.Background(), url, cases, &conform.Options{Agent: agent, Parallel: testParallel})
}
