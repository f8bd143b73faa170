package main

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/rfc6455/ws/frame"
)

// TestDebugStats: /debug/stats, on a listener of its own, counts the live WebSockets and the
// ended ones, and nothing of it is on the WebSocket server's routes.
func TestDebugStats(t *testing.T) {
	var srv *server
	ts, url, _ := startTunedServer(t, func(s *server) { srv = s })
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go srv.serveDebug(ctx, ln)
	get := func() stats {
		t.Helper()
		resp, err := http.Get("http://" + ln.Addr().String() + "/debug/stats")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var st stats
		if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
			t.Fatal(err)
		}
		return st
	}
	if resp, err := http.Get(ts.URL + "/debug/stats"); err != nil {
		t.Error(err)
	} else if resp.Body.Close(); resp.StatusCode != http.StatusNotFound {
		t.Errorf("the WebSocket server's own /debug/stats: %s, want 404", resp.Status)
	}
	c1, c2 := dial(t, url+"/ws", nil), dial(t, url+"/ws", nil)
	if resp, err := http.Get("http://" + ln.Addr().String() + "/debug/goroutines"); err != nil {
		t.Error(err)
	} else {
		dump, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if !strings.Contains(string(dump), "(*session).run") {
			t.Errorf("/debug/goroutines shows no echo loop with two WebSockets open:\n%s", dump)
		}
	}
	if st := get(); st.Connections != 2 || st.Goroutines < 2 || st.HeapInuse == 0 {
		t.Errorf("with two WebSockets open: %+v", st)
	}
	c1.Close(frame.CloseNormal, "")
	c2.Close(frame.CloseNormal, "")
	deadline := time.Now().Add(5 * time.Second)
	for st := get(); st.Connections != 0 || st.Ended != 2; st = get() {
		if time.Now().After(deadline) {
			t.Fatalf("after both closed: %+v, want 0 live and 2 ended", st)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
