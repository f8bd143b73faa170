package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rfc6455/ws/conn"
	"github.com/rfc6455/ws/frame"
)

// peer is an in-process WebSocket server for wscat to talk to.
type peer struct {
	*httptest.Server
	url string // ws:// or wss:// URL of the server's root

	mu      sync.Mutex
	request *http.Request // the last handshake request
	ended   error         // how the last connection ended, as the server saw it
}

// echoHandler echoes every message until the connection ends.
func echoHandler(c *conn.Conn) error {
	var buf []byte
	for {
		op, msg, err := c.ReadMessage(buf)
		if err != nil {
			return err
		}
		if err := c.WriteMessage(op, msg); err != nil {
			return err
		}
		buf = msg[:0]
	}
}

// newPeer starts a server that upgrades with opts and then runs handle.
func newPeer(t *testing.T, tlsServer bool, opts *conn.UpgradeOptions, handle func(*conn.Conn) error) *peer {
	t.Helper()
	p := new(peer)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.mu.Lock()
		p.request = r
		p.mu.Unlock()
		c, err := conn.Upgrade(w, r, opts)
		if err != nil {
			return
		}
		defer c.CloseNow()
		err = handle(c)
		p.mu.Lock()
		p.ended = err
		p.mu.Unlock()
	})
	if tlsServer {
		p.Server = httptest.NewTLSServer(h)
	} else {
		p.Server = httptest.NewServer(h)
	}
	t.Cleanup(p.Close)
	p.url = "ws" + strings.TrimPrefix(p.Server.URL, "http") + "/"
	return p
}

// serverSaw returns the close code the server's read ended with, waiting a
// little for the handler to finish.
func (p *peer) serverSaw(t *testing.T) frame.CloseCode {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		p.mu.Lock()
		err := p.ended
		p.mu.Unlock()
		var ce *conn.CloseError
		if errors.As(err, &ce) {
			return ce.Code
		}
		if err != nil || time.Now().After(deadline) {
			t.Fatalf("server's connection ended with %v, want a *conn.CloseError", err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// wscat runs the command with args and stdin and returns its exit status
// and output.
func wscat(t *testing.T, ctx context.Context, stdin io.Reader, args ...string) (status int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	done := make(chan int, 1)
	go func() { done <- run(ctx, args, stdin, &out, &errOut) }()
	select {
	case status = <-done:
	case <-time.After(20 * time.Second):
		t.Fatalf("wscat %q did not return", args)
	}
	return status, out.String(), errOut.String()
}

func TestLinesRoundTrip(t *testing.T) {
	p := newPeer(t, false, nil, echoHandler)
	tests := []struct {
		name  string
		args  []string
		stdin string
		want  string // stdout
	}{
		{"text lines", nil, "hello\nworld\n", "< hello\n< world\nclosed: 1000\n"},
		{"seed greeting", nil, "Hello from the client!\n", "< Hello from the client!\nclosed: 1000\n"},
		{"last line without newline", nil, "a\nb", "< a\n< b\nclosed: 1000\n"},
		{"CRLF line endings", nil, "a\r\nb\r\n", "< a\n< b\nclosed: 1000\n"},
		{"empty line is an empty message", nil, "\n", "< \nclosed: 1000\n"},
		{"no input: close at once", nil, "", "closed: 1000\n"},
		{"binary short: hex", []string{"-binary"}, "abc\n", "< <binary 3 bytes> 61 62 63\nclosed: 1000\n"},
		{"binary empty", []string{"-binary"}, "\n", "< <binary 0 bytes>\nclosed: 1000\n"},
		{"binary 64 bytes: hex", []string{"-binary"}, strings.Repeat("A", 64) + "\n",
			"< <binary 64 bytes> " + strings.TrimSpace(strings.Repeat("41 ", 64)) + "\nclosed: 1000\n"},
		{"binary 65 bytes: size only", []string{"-binary"}, strings.Repeat("A", 65) + "\n",
			"< <binary 65 bytes>\nclosed: 1000\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append(tt.args, p.url)
			status, stdout, stderr := wscat(t, context.Background(), strings.NewReader(tt.stdin), args...)
			if status != exitClean {
				t.Errorf("status %d, want 0; stderr:\n%s", status, stderr)
			}
			if stdout != tt.want {
				t.Errorf("stdout:\n%q\nwant:\n%q", stdout, tt.want)
			}
			if got := p.serverSaw(t); got != frame.CloseNormal {
				t.Errorf("server saw close %d, want 1000", got)
			}
		})
	}
}

func TestHandshakeOptions(t *testing.T) {
	p := newPeer(t, false, &conn.UpgradeOptions{
		Subprotocols:   []string{"wamp"},
		OriginPatterns: []string{"example.com"},
	}, echoHandler)
	status, stdout, stderr := wscat(t, context.Background(), strings.NewReader("Hello from the client!\n"),
		"-subprotocols", "soap,wamp", "-origin", "http://example.com",
		"-H", "X-Test: one", "-H", "X-Test:two", "-H", "Authorization: Bearer t0ken", p.url)
	if status != exitClean {
		t.Fatalf("status %d; stderr:\n%s", status, stderr)
	}
	if !strings.Contains(stderr, `subprotocol "wamp"`) {
		t.Errorf("stderr does not report subprotocol wamp:\n%s", stderr)
	}
	if !strings.Contains(stdout, "< Hello from the client!\n") {
		t.Errorf("stdout:\n%s", stdout)
	}
	p.mu.Lock()
	h := p.request.Header
	p.mu.Unlock()
	if got := strings.Join(h.Values("Sec-WebSocket-Protocol"), ", "); got != "soap, wamp" {
		t.Errorf("offered subprotocols %q, want \"soap, wamp\"", got)
	}
	if got := h.Get("Origin"); got != "http://example.com" {
		t.Errorf("Origin %q", got)
	}
	if got := h.Values("X-Test"); len(got) != 2 || got[0] != "one" || got[1] != "two" {
		t.Errorf("X-Test %q, want [one two]", got)
	}
	if got := h.Get("Authorization"); got != "Bearer t0ken" {
		t.Errorf("Authorization %q", got)
	}
}

// traceLine matches one frame line of -trace output.
var traceLine = regexp.MustCompile(`^(->|<-) FIN=([01]) RSV1=0 RSV2=0 RSV3=0 opcode=0x([0-9a-f])\((\w+)\) MASK=([01]) length=(\d+)( key=([0-9a-f]{8}))?$`)

func TestTrace(t *testing.T) {
	p := newPeer(t, false, nil, echoHandler)
	status, stdout, stderr := wscat(t, context.Background(), strings.NewReader("hi\n"), "-trace", p.url)
	if status != exitClean {
		t.Fatalf("status %d; stderr:\n%s", status, stderr)
	}
	if !strings.HasPrefix(stdout, "<- HTTP/1.1 101 Switching Protocols\n") {
		t.Errorf("trace does not start with the handshake response:\n%s", stdout)
	}
	if !strings.Contains(strings.ToLower(stdout), "<- sec-websocket-accept: ") {
		t.Errorf("trace lacks the response headers:\n%s", stdout)
	}
	if !strings.Contains(stdout, "> hi\n") || !strings.Contains(stdout, "< hi\n") {
		t.Errorf("trace lacks the sent or received message:\n%s", stdout)
	}

	type traced struct{ dir, opcode, mask, length, key string }
	var frames []traced
	for _, line := range strings.Split(stdout, "\n") {
		if !strings.Contains(line, "FIN=") {
			continue
		}
		m := traceLine.FindStringSubmatch(line)
		if m == nil {
			t.Errorf("malformed trace line %q", line)
			continue
		}
		if m[2] != "1" {
			t.Errorf("FIN=0 in %q: nothing here is fragmented", line)
		}
		frames = append(frames, traced{dir: m[1], opcode: m[4], mask: m[5], length: m[6], key: m[8]})
	}
	// The client sends "hi" and its close; the server echoes both. The two
	// directions interleave as the network pleases (the close may go out
	// before the echo arrives), so each is checked in its own order.
	var sent, received []traced
	for _, f := range frames {
		if f.dir == "->" {
			sent = append(sent, f)
		} else {
			received = append(received, f)
		}
	}
	check := func(dir string, got []traced, want []traced) {
		t.Helper()
		if len(got) != len(want) {
			t.Fatalf("%d frames %s, want %d:\n%s", len(got), dir, len(want), stdout)
		}
		for i, w := range want {
			f := got[i]
			if f.key != "" {
				f.key = "?" // traceLine has checked its 8 hex digits
			}
			if f != w {
				t.Errorf("frame %d %s: %+v, want %+v", i, dir, got[i], w)
			}
		}
	}
	// §5.3: a client masks every frame it sends, with a key; a server masks
	// none. Key "?" stands for any 8 hex digits, "" for none.
	check("sent", sent, []traced{
		{"->", "text", "1", "2", "?"},
		{"->", "close", "1", "2", "?"}, // 2 bytes: the code 1000
	})
	check("received", received, []traced{
		{"<-", "text", "0", "2", ""},
		{"<-", "close", "0", "2", ""},
	})
	// §5.3: a fresh, unpredictable key for each frame.
	if sent[0].key == sent[1].key {
		t.Errorf("two sent frames share the masking key %s", sent[0].key)
	}
}

func TestHandshakeFailure(t *testing.T) {
	forbidden := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "go away", http.StatusForbidden)
	}))
	defer forbidden.Close()
	url := "ws" + strings.TrimPrefix(forbidden.URL, "http")

	status, stdout, stderr := wscat(t, context.Background(), strings.NewReader("x\n"), "-trace", url)
	if status != exitHandshake {
		t.Errorf("status %d, want 2", status)
	}
	if !strings.Contains(stderr, "403") {
		t.Errorf("stderr lacks the status:\n%s", stderr)
	}
	if !strings.Contains(stdout, "<- HTTP/1.1 403 Forbidden\n") || !strings.Contains(stdout, "<- go away\n") {
		t.Errorf("-trace lacks the response:\n%s", stdout)
	}

	// Nobody listening: the handshake cannot even start.
	forbidden.Close()
	status, _, stderr = wscat(t, context.Background(), strings.NewReader(""), url)
	if status != exitHandshake || stderr == "" {
		t.Errorf("no server: status %d, stderr %q; want 2 and a message", status, stderr)
	}
}

func TestServerCloses(t *testing.T) {
	tests := []struct {
		code   frame.CloseCode
		reason string
		want   int
	}{
		{frame.CloseNormal, "done", exitClean},
		{frame.CloseGoingAway, "", exitClean},
		{frame.ClosePolicyViolation, "policy violation", exitError},
		{frame.CloseCode(4000), "application code", exitError},
	}
	for _, tt := range tests {
		t.Run(strconv.Itoa(int(tt.code)), func(t *testing.T) {
			p := newPeer(t, false, nil, func(c *conn.Conn) error {
				return c.Close(tt.code, tt.reason)
			})
			// stdin stays open: only the server's close ends the run.
			stdin, stdinWriter := io.Pipe()
			defer stdinWriter.Close()
			status, stdout, stderr := wscat(t, context.Background(), stdin, p.url)
			if status != tt.want {
				t.Errorf("status %d, want %d; stderr:\n%s", status, tt.want, stderr)
			}
			want := "closed: " + strings.TrimSpace(strings.Join([]string{strconv.Itoa(int(tt.code)), tt.reason}, " ")) + "\n"
			if stdout != want {
				t.Errorf("stdout %q, want %q", stdout, want)
			}
		})
	}
}

func TestCloseCodeFlag(t *testing.T) {
	p := newPeer(t, false, nil, echoHandler)
	status, stdout, _ := wscat(t, context.Background(), strings.NewReader(""), "-close-code", "4000", p.url)
	if got := p.serverSaw(t); got != 4000 {
		t.Errorf("server saw close %d, want 4000", got)
	}
	// The server echoes 4000, which is not one of the clean codes.
	if status != exitError || stdout != "closed: 4000\n" {
		t.Errorf("status %d, stdout %q; want 1 and closed: 4000", status, stdout)
	}
}

// TestInterrupt: a cancelled context (SIGINT) closes with 1001.
func TestInterrupt(t *testing.T) {
	p := newPeer(t, false, nil, echoHandler)
	stdin, stdinWriter := io.Pipe()
	defer stdinWriter.Close()
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel)
	status, stdout, stderr := wscat(t, ctx, stdin, p.url)
	if status != exitClean || stdout != "closed: 1001\n" {
		t.Errorf("status %d, stdout %q, stderr %q; want 0 and closed: 1001", status, stdout, stderr)
	}
	if got := p.serverSaw(t); got != frame.CloseGoingAway {
		t.Errorf("server saw close %d, want 1001", got)
	}
}

func TestInvalidUTF8Line(t *testing.T) {
	p := newPeer(t, false, nil, echoHandler)
	status, _, stderr := wscat(t, context.Background(), strings.NewReader("ok\n\xff\xfe\n"), p.url)
	if status != exitError || !strings.Contains(stderr, "UTF-8") {
		t.Errorf("status %d, stderr %q; want 1 and a UTF-8 error", status, stderr)
	}
	// As binary the same bytes are fine.
	status, stdout, _ := wscat(t, context.Background(), strings.NewReader("\xff\xfe\n"), "-binary", p.url)
	if status != exitClean || !strings.Contains(stdout, "< <binary 2 bytes> ff fe\n") {
		t.Errorf("-binary: status %d, stdout %q", status, stdout)
	}
}

func TestTLS(t *testing.T) {
	p := newPeer(t, true, nil, echoHandler)
	status, stdout, stderr := wscat(t, context.Background(), strings.NewReader("secure\n"), "-insecure", p.url)
	if status != exitClean || stdout != "< secure\nclosed: 1000\n" {
		t.Errorf("-insecure: status %d, stdout %q, stderr %q", status, stdout, stderr)
	}
	// Without -insecure the test server's certificate is not trusted.
	status, _, stderr = wscat(t, context.Background(), strings.NewReader("secure\n"), p.url)
	if status != exitHandshake || !strings.Contains(stderr, "certificate") {
		t.Errorf("verified: status %d, stderr %q; want 2 and a certificate error", status, stderr)
	}
}

func TestArgs(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want int
	}{
		{"no URL", nil, exitHandshake},
		{"two URLs", []string{"ws://a/", "ws://b/"}, exitHandshake},
		{"header without colon", []string{"-H", "NoColon", "ws://a/"}, exitHandshake},
		{"header without name", []string{"-H", ": v", "ws://a/"}, exitHandshake},
		{"close code not a number", []string{"-close-code", "normal", "ws://a/"}, exitHandshake},
		{"close code too large", []string{"-close-code", "70000", "ws://a/"}, exitHandshake},
		{"close code 1006 may not be sent (§7.4.1)", []string{"-close-code", "1006", "ws://a/"}, exitHandshake},
		{"close code 2000 reserved (§7.4.2)", []string{"-close-code", "2000", "ws://a/"}, exitHandshake},
		{"close code 999 not used (§7.4.2)", []string{"-close-code", "999", "ws://a/"}, exitHandshake},
		{"bad timeout", []string{"-timeout", "soon", "ws://a/"}, exitHandshake},
		{"help", []string{"-h"}, exitClean},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, _, stderr := wscat(t, context.Background(), strings.NewReader(""), tt.args...)
			if status != tt.want {
				t.Errorf("status %d, want %d", status, tt.want)
			}
			if !strings.Contains(stderr, "usage: wscat") {
				t.Errorf("stderr lacks the usage:\n%s", stderr)
			}
		})
	}

	opts, err := parseArgs([]string{"-subprotocols", "soap, wamp", "-H", "A: 1", "-H", "A: 2",
		"-origin", "http://o", "-insecure", "-binary", "-trace", "-timeout", "3s", "-close-code", "1001", "wss://h/p"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(opts.subprotocols, ",") != "soap,wamp" || strings.Join(opts.header.Values("A"), ",") != "1,2" ||
		opts.origin != "http://o" || !opts.insecure || !opts.binary || !opts.trace ||
		opts.timeout != 3*time.Second || opts.closeCode != frame.CloseGoingAway || opts.url != "wss://h/p" {
		t.Errorf("parseArgs = %+v", opts)
	}
	opts, err = parseArgs([]string{"ws://h/"}, io.Discard)
	if err != nil || opts.closeCode != frame.CloseNormal || opts.timeout != 10*time.Second || opts.trace || opts.binary {
		t.Errorf("defaults: %+v, %v", opts, err)
	}
}
