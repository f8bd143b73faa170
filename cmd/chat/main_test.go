package main

import (
	"context"
	"errors"
	"io"
	"log"
	"net"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rfc6455/ws/conn"
	"github.com/rfc6455/ws/frame"
)

// logBuffer collects the server's log for the test to look at.
type logBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string { l.mu.Lock(); defer l.mu.Unlock(); return l.b.String() }

// startChat runs the chat on a loopback port until the test ends and returns its address.
func startChat(t *testing.T, tune func(*room)) (string, *logBuffer) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	logs := &logBuffer{}
	rm := newRoom(log.New(logs, "", 0))
	if tune != nil {
		tune(rm)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, ln, &conn.UpgradeOptions{ReadLimit: maxLine, Compression: &conn.CompressionOptions{}}, rm)
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("run: %v", err)
		}
	})
	return ln.Addr().String(), logs
}

// join connects a member named name, with compression or without.
func join(t *testing.T, addr, name string, compress bool) *conn.Conn {
	t.Helper()
	var opts conn.DialOptions
	if compress {
		opts.Compression = &conn.CompressionOptions{}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, _, err := conn.Dial(ctx, "ws://"+addr+"/ws?name="+name, &opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.CloseNow() })
	return c
}

// expect reads messages until one matches pattern, failing after a few seconds.
func expect(t *testing.T, c *conn.Conn, pattern string) string {
	t.Helper()
	re := regexp.MustCompile(pattern)
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	defer c.SetReadDeadline(time.Time{})
	for {
		_, p, err := c.ReadMessage(nil)
		if err != nil {
			t.Fatalf("waiting for %q: %v", pattern, err)
		}
		if re.Match(p) {
			return string(p)
		}
	}
}

func say(t *testing.T, c *conn.Conn, messages ...string) {
	t.Helper()
	for _, m := range messages {
		if err := c.WriteMessage(frame.OpText, []byte(m)); err != nil {
			t.Fatal(err)
		}
	}
}

// TestChat: two members, one compressing and one not, see each other's lines however the lines
// are cut into messages, and the commands answer.
func TestChat(t *testing.T) {
	addr, _ := startChat(t, nil)
	alice := join(t, addr, "alice", true)
	expect(t, alice, `^\* alice joined$`)
	bob := join(t, addr, "bob", false)
	expect(t, bob, `^\* bob joined$`)
	expect(t, alice, `^\* bob joined$`)

	say(t, alice, "hello, bob\n")
	for _, c := range []*conn.Conn{alice, bob} {
		expect(t, c, `^\d\d:\d\d:\d\d alice: hello, bob$`)
	}
	// A line in two messages, and two lines in one: the server reads a byte stream.
	say(t, bob, "hi al", "ice\n", "one\ntwo\n")
	for _, want := range []string{`bob: hi alice$`, `bob: one$`, `bob: two$`} {
		expect(t, alice, want)
	}

	say(t, bob, "/who\n")
	expect(t, bob, `^\* here: alice, bob$`)
	say(t, alice, "/rtt\n")
	expect(t, alice, `^\* round trip to you: \S+$`)
	say(t, bob, "/nick robert\n")
	expect(t, alice, `^\* bob is now robert$`)

	bob.Close(frame.CloseNormal, "")
	expect(t, alice, `^\* robert left$`)
}

// TestSlowMember: a member that never reads falls behind and is cut off, while the others go on
// hearing the room.
func TestSlowMember(t *testing.T) {
	addr, logs := startChat(t, func(rm *room) { rm.queueLength = 4; rm.writeTimeout = time.Second })
	slow := join(t, addr, "slow", false)
	_ = slow // never read from
	talker := join(t, addr, "talker", false)
	expect(t, talker, `^\* talker joined$`)
	line := strings.Repeat("x", 4000)
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(logs.String(), "left too slow") {
		if time.Now().After(deadline) {
			t.Fatalf("the slow member was never dropped; log:\n%s", logs.String())
		}
		say(t, talker, line+"\n")
		expect(t, talker, `talker: x+$`)
	}
	// The room goes on for the others. (The "* slow left" notice may have gone by among the
	// lines expect skipped above.)
	say(t, talker, "still here\n")
	expect(t, talker, `talker: still here$`)
}

// TestPage: the page is served at /, and only there.
func TestPage(t *testing.T) {
	addr, _ := startChat(t, nil)
	resp, err := http.Get("http://" + addr + "/")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "new WebSocket(") {
		t.Fatalf("GET / = %s, want the page", resp.Status)
	}
	resp, err = http.Get("http://" + addr + "/other")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("GET /other = %s, want 404", resp.Status)
	}
}

// TestLongLine: a line over 4 KiB ends the member's connection, with 1009 from the read limit
// when it arrives as one message (§7.4.1).
func TestLongLine(t *testing.T) {
	addr, _ := startChat(t, nil)
	c := join(t, addr, "verbose", false)
	say(t, c, strings.Repeat("y", maxLine+1))
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	for {
		_, _, err := c.ReadMessage(nil)
		var ce *conn.CloseError
		if errors.As(err, &ce) {
			if ce.Code != frame.CloseTooBig {
				t.Fatalf("closed with %d, want 1009", ce.Code)
			}
			return
		}
		if err != nil {
			t.Fatal(err)
		}
	}
}
