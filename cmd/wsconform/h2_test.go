package main

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/rfc6455/ws/conn"
	_ "github.com/rfc6455/ws/internal/xconnect" // RFC 8441 in net/http's HTTP/2 server
)

// TestServerModeHTTP2: -h2 runs the cases through HTTP/2 streams (RFC 8441) of an https:// URL,
// and they pass against conn.Upgrade, every request reaching it over HTTP/2.
func TestServerModeHTTP2(t *testing.T) {
	protocols := make(chan int, 100)
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		protocols <- r.ProtoMajor
		c, err := conn.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer c.CloseNow()
		for {
			op, msg, err := c.ReadMessage(nil)
			if err != nil || c.WriteMessage(op, msg) != nil {
				return
			}
		}
	}))
	srv.EnableHTTP2 = true
	srv.StartTLS()
	defer srv.Close()
	status, out, errOut := runCommand("server", "-h2", "-insecure", "-cases", "1.1,2.*,7.1", "-report", "", srv.URL+"/")
	if status != exitPass {
		t.Fatalf("status %d, want %d\n%s%s", status, exitPass, out, errOut)
	}
	if !strings.Contains(out, "over HTTP/2") {
		t.Errorf("the output does not say HTTP/2:\n%s", out)
	}
	srv.Close() // waits for the handlers
	close(protocols)
	n := 0
	for major := range protocols {
		n++
		if major != 2 {
			t.Fatalf("a case reached the server over HTTP/%d", major)
		}
	}
	if n < 10 {
		t.Errorf("%d requests reached the server", n)
	}
}
