package conform_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/rfc6455/ws/conform"
	_ "github.com/rfc6455/ws/internal/xconnect" // RFC 8441 in net/http's HTTP/2 server
)

// checkHandlerH2 runs cases against the echo server behind h with every WebSocket a stream of
// an HTTP/2 connection (RFC 8441): over TLS, or in cleartext with prior knowledge.
func checkHandlerH2(h http.Handler, cases []conform.Case, agent string, overTLS bool) (*conform.Report, error) {
	srv := httptest.NewUnstartedServer(h)
	opts := &conform.Options{Agent: agent, Parallel: testParallel, HTTP2: true}
	url := "ws"
	if overTLS {
		srv.EnableHTTP2 = true
		srv.StartTLS()
		opts.TLSConfig = srv.Client().Transport.(*http.Transport).TLSClientConfig
		url = "wss"
	} else {
		var protocols http.Protocols
		protocols.SetUnencryptedHTTP2(true)
		srv.Config.Protocols = &protocols
		srv.Start()
	}
	defer srv.Close()
	url += "://" + strings.TrimPrefix(strings.TrimPrefix(srv.URL, "https://"), "http://") + "/"
	return conform.CheckServer(context.Background(), url, cases, opts)
}

// TestOurServerHTTP2 runs every case against conn.Upgrade over HTTP/2 streams of TLS
// connections (RFC 8441), as a browser reaches cmd/echo's https:// page: the verdicts must be
// those over TCP.
func TestOurServerHTTP2(t *testing.T) {
	t.Parallel()
	startRuns()
	report := runs.h2Server.wait(t)
	if got, want := len(report.Results), len(suiteCases()); got != want {
		t.Errorf("the report has %d results, want %d", got, want)
	}
	if !strings.HasSuffix(report.Target, "(HTTP/2)") {
		t.Errorf("the report's target %q does not say HTTP/2", report.Target)
	}
	requireAllPass(t, report, false)
}

// TestOurServerH2C runs a cross-section of the cases over HTTP/2 with prior knowledge.
func TestOurServerH2C(t *testing.T) {
	t.Parallel()
	startRuns()
	requireAllPass(t, runs.h2cServer.wait(t), false)
}

// TestOurServerHTTP2Compression runs the compression families over HTTP/2 streams.
func TestOurServerHTTP2Compression(t *testing.T) {
	t.Parallel()
	startRuns()
	requireAllPass(t, runs.h2DeflateServer.wait(t), true)
}

// TestCheckServerHTTP2Refused: a server that speaks HTTP/2 only over HTTP/1.1 (no h2 in ALPN)
// is reported as unreachable over HTTP/2, not run.
func TestCheckServerHTTP2Refused(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(echoHandler))
	defer srv.Close()
	url := "wss://" + strings.TrimPrefix(srv.URL, "https://") + "/"
	report, err := conform.CheckServer(context.Background(), url, crossSection()[:1], &conform.Options{
		HTTP2: true, TLSConfig: srv.Client().Transport.(*http.Transport).TLSClientConfig,
	})
	if report != nil || err == nil || !strings.Contains(err.Error(), "ALPN") {
		t.Fatalf("CheckServer over HTTP/2 against an HTTP/1.1 server: report %v, error %v; want an error naming ALPN", report, err)
	}
}
