package conform_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/rfc6455/ws/conform"
	"github.com/rfc6455/ws/conn"
)

// fetch opens a WebSocket to url and returns the text message it sends before closing.
func fetch(t *testing.T, url string) string {
	t.Helper()
	c, _, err := conn.Dial(context.Background(), url, nil)
	if err != nil {
		t.Fatalf("%s: %v", url, err)
	}
	defer c.CloseNow()
	_, p, err := c.ReadMessage(nil)
	if err != nil {
		t.Fatalf("%s: %v", url, err)
	}
	return string(p)
}

// TestFuzzingServerEndpoints checks the URL protocol of Autobahn's fuzzing server.
func TestFuzzingServerEndpoints(t *testing.T) {
	cases, err := conform.Select(conform.Cases(), []string{"1.1.1", "2.1"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(conform.NewFuzzingServer(cases, nil))
	defer srv.Close()
	base := "ws" + strings.TrimPrefix(srv.URL, "http")

	if got := fetch(t, base+"/getCaseCount"); got != "2" {
		t.Errorf("getCaseCount = %q, want 2", got)
	}
	var info struct{ ID, Description string }
	if err := json.Unmarshal([]byte(fetch(t, base+"/getCaseInfo?case=2")), &info); err != nil || info.ID != "2.1" || info.Description == "" {
		t.Errorf("getCaseInfo?case=2 = %+v, %v", info, err)
	}
	status := func() string {
		var s struct{ Behavior string }
		if err := json.Unmarshal([]byte(fetch(t, base+"/getCaseStatus?case=1&agent=a")), &s); err != nil {
			t.Fatal(err)
		}
		return s.Behavior
	}
	if got := status(); got != "UNKNOWN" {
		t.Errorf("status before the case ran = %q, want UNKNOWN", got)
	}
	if err := echoClient(context.Background(), base, "a"); err != nil {
		t.Fatal(err)
	}
	// The server records a verdict once the case's connection has ended on its side too, which
	// may be just after the client's side: it is asked again until the verdict is in (a loaded
	// CI machine once read UNKNOWN here).
	got := status()
	for deadline := time.Now().Add(5 * time.Second); got == "UNKNOWN" && time.Now().Before(deadline); got = status() {
		time.Sleep(10 * time.Millisecond)
	}
	if got != "OK" {
		t.Errorf("status after the case ran = %q, want OK", got)
	}

	for _, tt := range []struct {
		path   string
		status int
	}{
		{"/runCase?case=1", http.StatusBadRequest},         // no agent
		{"/runCase?case=3&agent=a", http.StatusBadRequest}, // no such case
		{"/getCaseInfo?case=x", http.StatusBadRequest},     // not a number
		{"/updateReports", http.StatusBadRequest},          // no agent
		{"/elsewhere", http.StatusNotFound},
	} {
		_, resp, err := conn.Dial(context.Background(), base+tt.path, nil)
		if err == nil || resp == nil || resp.StatusCode != tt.status {
			code := 0
			if resp != nil {
				code = resp.StatusCode
			}
			t.Errorf("%s: status %d, error %v; want status %d", tt.path, code, err, tt.status)
		}
	}
}

// TestCheckServerUnreachable checks that a server that cannot be reached is an error, not a
// report of failed cases.
func TestCheckServerUnreachable(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := "ws" + strings.TrimPrefix(srv.URL, "http") + "/"
	report, err := conform.CheckServer(context.Background(), url, conform.Cases()[:1], nil)
	if err == nil || report != nil {
		t.Errorf("CheckServer of a plain HTTP server: %v, %v; want an error", report, err)
	}
	srv.Close()
	if _, err := conform.CheckServer(context.Background(), url, conform.Cases()[:1], nil); err == nil {
		t.Error("CheckServer of a closed port: no error")
	}
	if _, err := conform.CheckServer(context.Background(), "http://example.com/", nil, nil); err == nil {
		t.Error("CheckServer of an http:// URL: no error")
	}
}

// TestCheckServerCancel checks that CheckServer stops when its context is done.
func TestCheckServerCancel(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(echoHandler))
	defer srv.Close()
	ctx, cancel := context.WithCancel(context.Background())
	opts := &conform.Options{Parallel: 1, Progress: func(conform.Result) { cancel() }}
	report, err := conform.CheckServer(ctx, "ws"+strings.TrimPrefix(srv.URL, "http"), conform.Cases(), opts)
	if err != context.Canceled {
		t.Errorf("error %v, want context.Canceled", err)
	}
	if report == nil || len(report.Results) == 0 || len(report.Results) > 3 {
		t.Errorf("after cancelling at the first result: %v", report)
	}
}
