package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rfc6455/ws/conn"
	"github.com/rfc6455/ws/frame"
)

// echoServer starts an echo server on our stack that echoes each message with the opcode echoOp
// gives, and returns its ws:// URL.
func echoServer(t *testing.T, echoOp func(frame.Opcode) frame.Opcode) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := conn.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer c.CloseNow()
		var buf []byte
		for {
			op, msg, err := c.ReadMessage(buf)
			if err != nil {
				return
			}
			buf = msg[:0]
			if err := c.WriteMessage(echoOp(op), msg); err != nil {
				return
			}
		}
	}))
	t.Cleanup(srv.Close)
	return "ws" + strings.TrimPrefix(srv.URL, "http") + "/"
}

func same(op frame.Opcode) frame.Opcode { return op }

// runCommand runs the command with args and returns its exit status and output.
func runCommand(args ...string) (status int, stdout, stderr string) {
	var out, errOut bytes.Buffer
	status = run(context.Background(), args, &out, &errOut)
	return status, out.String(), errOut.String()
}

func TestServerModePass(t *testing.T) {
	dir := t.TempDir()
	status, out, errOut := runCommand("server", "-cases", "1.1,2.*", "-exclude", "2.11", "-report", dir, "-agent", "our echo", echoServer(t, same))
	if status != exitPass {
		t.Fatalf("status %d, want %d\n%s%s", status, exitPass, out, errOut)
	}
	for _, want := range []string{"18 cases", "1 framing", "2 pings and pongs", "PASS", "our_echo.json"} {
		if !strings.Contains(out, want) {
			t.Errorf("the output does not contain %q:\n%s", want, out)
		}
	}
	for _, name := range []string{"our_echo.json", "our_echo.html"} {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			t.Error(err)
		}
	}
}

func TestServerModeFail(t *testing.T) {
	url := echoServer(t, func(frame.Opcode) frame.Opcode { return frame.OpBinary })
	status, out, _ := runCommand("server", "-cases", "1.1.1,1.2.1", "-report", "", "-v", url)
	if status != exitFail {
		t.Fatalf("status %d, want %d\n%s", status, exitFail, out)
	}
	// -v prints each case; the summary repeats the failure with what was observed.
	for _, want := range []string{"OK            1.2.1", "FAILED        1.1.1", "got binary message", "FAIL: 1 FAILED"} {
		if !strings.Contains(out, want) {
			t.Errorf("the output does not contain %q:\n%s", want, out)
		}
	}
}

func TestServerModeUsage(t *testing.T) {
	url := echoServer(t, same)
	for _, tt := range []struct {
		args   []string
		status int
		want   string
	}{
		{nil, exitUsage, "usage:"},
		{[]string{"help"}, exitPass, "usage:"},
		{[]string{"probe"}, exitUsage, `unknown mode "probe"`},
		{[]string{"server"}, exitUsage, "exactly one URL"},
		{[]string{"server", "-h"}, exitPass, "-allow-non-strict"},
		{[]string{"server", "-cases", "8.*", url}, exitUsage, `no case matches "8.*"`},
		{[]string{"server", "-nosuchflag", url}, exitUsage, "not defined"},
		{[]string{"server", "-header", "novalue", url}, exitUsage, "Name: value"},
		{[]string{"server", "-report", "", "ws://127.0.0.1:1/"}, exitFail, "cannot open"},
		{[]string{"client", "extra"}, exitUsage, `unexpected argument "extra"`},
		{[]string{"client", "-h"}, exitPass, "-once"},
	} {
		status, out, errOut := runCommand(tt.args...)
		if status != tt.status || !strings.Contains(out+errOut, tt.want) {
			t.Errorf("wsconform %q: status %d, want %d, and output containing %q:\n%s%s", tt.args, status, tt.status, tt.want, out, errOut)
		}
	}
}

// syncBuffer is a bytes.Buffer safe for one writer and one reader at a time.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// TestClientMode runs the fuzzing server with -once and a client harness on conn.Dial.
func TestClientMode(t *testing.T) {
	var out, errOut syncBuffer
	statuses := make(chan int, 1)
	dir := t.TempDir()
	go func() {
		statuses <- run(context.Background(), []string{"client", "-addr", "127.0.0.1:0", "-once", "-cases", "1.1.1,5.6,7.3.2", "-report", dir}, &out, &errOut)
	}()
	countURL := regexp.MustCompile(`(ws://\S+)/getCaseCount`)
	var base string
	for deadline := time.Now().Add(10 * time.Second); base == ""; time.Sleep(10 * time.Millisecond) {
		if m := countURL.FindStringSubmatch(out.String()); m != nil {
			base = m[1]
		} else if time.Now().After(deadline) {
			t.Fatalf("the fuzzing server did not say where it listens:\n%s%s", out.String(), errOut.String())
		}
	}

	ctx := context.Background()
	for i := 1; i <= 3; i++ {
		c, _, err := conn.Dial(ctx, fmt.Sprintf("%s/runCase?case=%d&agent=conn.Dial", base, i), nil)
		if err != nil {
			t.Fatal(err)
		}
		for {
			op, p, err := c.ReadMessage(nil)
			if err != nil {
				break
			}
			c.WriteMessage(op, p)
		}
		c.CloseNow()
	}
	c, _, err := conn.Dial(ctx, base+"/updateReports?agent=conn.Dial", nil)
	if err != nil {
		t.Fatal(err)
	}
	c.ReadMessage(nil)
	c.CloseNow()

	select {
	case status := <-statuses:
		if status != exitPass {
			t.Errorf("status %d, want %d\n%s%s", status, exitPass, out.String(), errOut.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("-once did not exit after the report")
	}
	if !strings.Contains(out.String(), "the client conn.Dial: 3 cases") {
		t.Errorf("no summary for the client:\n%s", out.String())
	}
	if _, err := os.Stat(filepath.Join(dir, "conn.Dial.html")); err != nil {
		t.Error(err)
	}
}
