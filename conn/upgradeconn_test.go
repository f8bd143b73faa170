package conn

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rfc6455/ws/frame"
	"github.com/rfc6455/ws/handshake"
	"github.com/rfc6455/ws/internal/testcert"
)

// startConnServer is startEchoServer for UpgradeConn: a loopback listener (wrapped in TLS when
// tlsConfig is not nil) whose connections are upgraded by UpgradeConn with opts, without
// net/http, and echoed. What UpgradeConn returns for a refused handshake goes to upgradeErr, so
// the echoServer's helpers (dial, dialDeflate, nextReadErr) work unchanged.
func startConnServer(t *testing.T, opts *UpgradeOptions, tlsConfig *tls.Config) *echoServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	scheme := "ws"
	if tlsConfig != nil {
		ln = tls.NewListener(ln, tlsConfig)
		scheme = "wss"
	}
	s := &echoServer{
		addr:       ln.Addr().String(),
		url:        scheme + "://" + ln.Addr().String() + "/",
		readErr:    make(chan error, 16),
		upgradeErr: make(chan error, 16),
	}
	var (
		mu    sync.Mutex
		conns []net.Conn
		wg    sync.WaitGroup
	)
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		for _, nc := range conns {
			nc.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			nc, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, nc)
			mu.Unlock()
			wg.Add(1)
			go func() {
				defer wg.Done()
				c, err := UpgradeConn(nc, opts)
				if err != nil {
					report(s.upgradeErr, err)
					return
				}
				report(s.readErr, echoUntilError(c))
			}()
		}
	}()
	return s
}

// echoUntilError sends every message back with its own opcode until a read or write fails, and
// returns that error.
func echoUntilError(c *Conn) error {
	var buf []byte
	for {
		op, p, err := c.ReadMessage(buf)
		if err != nil {
			return err
		}
		buf = p
		if err := c.WriteMessage(op, p); err != nil {
			return fmt.Errorf("echo server: the write of the echo failed: %w", err)
		}
	}
}

// nextUpgradeErr returns what UpgradeConn returned for the next refused connection.
func (s *echoServer) nextUpgradeErr(t *testing.T) error {
	t.Helper()
	select {
	case err := <-s.upgradeErr:
		return err
	case <-time.After(ioTimeout):
		t.Fatal("UpgradeConn did not return")
		return nil
	}
}

// TestUpgradeConnEcho runs conn.Dial against UpgradeConn over TCP and TLS: the seed's
// subprotocol choice (the client offers "soap, wamp", the server speaks only wamp), then
// messages of every length class of §5.2 both ways.
func TestUpgradeConnEcho(t *testing.T) {
	for _, tt := range testTransports(t) {
		t.Run(tt.name, func(t *testing.T) {
			s := startConnServer(t, &UpgradeOptions{Subprotocols: []string{"wamp"}}, tt.serverTLS)
			c := dialTest(t, s.url, &DialOptions{Subprotocols: []string{"soap", "wamp"}, TLSConfig: tt.clientTLS})
			if got := c.Subprotocol(); got != "wamp" {
				t.Errorf("§4.2.2 item 5.4: subprotocol %q, want wamp", got)
			}
			if got := c.NetConn().RemoteAddr().String(); got != s.addr {
				t.Errorf("connected to %s, want %s", got, s.addr)
			}
			for _, n := range []int{0, 1, 125, 126, 65535, 65536, 1 << 20} {
				op := frame.OpBinary
				if n%2 == 1 {
					op = frame.OpText
				}
				msg := bytes.Repeat([]byte("a"), n)
				if err := c.WriteMessage(op, msg); err != nil {
					t.Fatal(err)
				}
				gotOp, got, err := c.ReadMessage(nil)
				if err != nil {
					t.Fatalf("%d bytes: %v", n, err)
				}
				if gotOp != op || !bytes.Equal(got, msg) {
					t.Fatalf("%d bytes: echo is %v of %d bytes", n, gotOp, len(got))
				}
			}
			if err := c.Close(frame.CloseNormal, "bye"); err != nil {
				t.Errorf("Close: %v", err)
			}
			s.expectPeerClose(t, frame.CloseNormal)
		})
	}
}

// TestUpgradeConnRawClient answers hand-written requests: the §1.2 example with bare LF line
// ends (RFC 9112 §2.2), header names in odd case, and no subprotocol in common.
func TestUpgradeConnRawClient(t *testing.T) {
	s := startConnServer(t, &UpgradeOptions{Subprotocols: []string{"mqtt"}}, nil)
	request := "GET /chat HTTP/1.1\n" +
		"host: " + s.addr + "\n" +
		"UPGRADE: WebSocket\n" +
		"connection: keep-alive, Upgrade\n" +
		"sec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==\n" +
		"Sec-WebSocket-Protocol: chat, superchat\n" +
		"sec-websocket-version: 13\n" +
		"\n"
	c := dialRaw(t, s.addr, []byte(request))
	if c.resp.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("status %s, want 101", c.resp.Status)
	}
	// The accept value of RFC 6455 §1.3.
	if got := c.resp.Header.Get("Sec-WebSocket-Accept"); got != "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=" {
		t.Errorf("Sec-WebSocket-Accept %q", got)
	}
	if got, ok := c.resp.Header["Sec-Websocket-Protocol"]; ok {
		t.Errorf("§4.2.2 item 5.4: no subprotocol in common, but the response names %q", got)
	}
	c.write(t, textFrame("hello"))
	c.expectFrame(t, frame.OpText, "hello")
}

// TestUpgradeConnFirstFrame checks that bytes sent right behind the request head, in the same
// write, are read as the start of the first frame, whether the frame is whole or cut.
func TestUpgradeConnFirstFrame(t *testing.T) {
	s := startConnServer(t, nil, nil)
	t.Run("whole frames", func(t *testing.T) {
		c := s.dial(t, cat(textFrame("first"), binaryFrame("second")))
		c.expectFrame(t, frame.OpText, "first")
		c.expectFrame(t, frame.OpBinary, "second")
	})
	t.Run("frame cut after the head", func(t *testing.T) {
		f := textFrame("split across writes")
		c := s.dial(t, f[:5])
		time.Sleep(10 * time.Millisecond)
		c.write(t, f[5:])
		c.expectFrame(t, frame.OpText, "split across writes")
	})
	t.Run("head sent byte by byte", func(t *testing.T) {
		nc, err := net.DialTimeout("tcp", s.addr, ioTimeout)
		if err != nil {
			t.Fatal(err)
		}
		defer nc.Close()
		key := handshake.NewKey()
		c := &rawClient{nc: nc}
		c.writeByteByByte(t, handshake.AppendRequest(nil, "/", s.addr, key, nil, "", nil))
		c.write(t, textFrame("after a slow head"))
		c.br = bufio.NewReader(nc)
		nc.SetReadDeadline(time.Now().Add(ioTimeout))
		resp, err := http.ReadResponse(c.br, nil)
		if err != nil || resp.StatusCode != http.StatusSwitchingProtocols {
			t.Fatalf("response %v, %v", resp, err)
		}
		c.expectFrame(t, frame.OpText, "after a slow head")
	})
}

// TestUpgradeConnCompression negotiates permessage-deflate (RFC 7692) with UpgradeConn, with
// conn.Dial and with a raw client that sends a compressed frame of its own.
func TestUpgradeConnCompression(t *testing.T) {
	s := startConnServer(t, &UpgradeOptions{Compression: &CompressionOptions{Threshold: -1}}, nil)

	ctx, cancel := context.WithTimeout(context.Background(), ioTimeout)
	defer cancel()
	c, resp, err := Dial(ctx, s.url, &DialOptions{Compression: &CompressionOptions{Threshold: -1}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	if got := resp.Header.Get("Sec-WebSocket-Extensions"); !strings.HasPrefix(got, "permessage-deflate") {
		t.Fatalf("RFC 7692 §5.1: response extensions %q, want permessage-deflate", got)
	}
	msg := []byte(strings.Repeat("compress me, ", 100))
	if err := c.WriteMessage(frame.OpText, msg); err != nil {
		t.Fatal(err)
	}
	if _, got, err := c.ReadMessage(nil); err != nil || !bytes.Equal(got, msg) {
		t.Fatalf("echo: %d bytes, %v", len(got), err)
	}

	// RFC 7692 §6.1: RSV1 marks a compressed message, in both directions.
	raw := s.dialDeflate(t)
	h := frame.Header{Fin: true, Rsv: frame.Rsv1, Op: frame.OpText, Masked: true, Key: testKey()}
	payload := deflateMessage(t, msg)
	h.Length = int64(len(payload))
	raw.write(t, appendFrame(nil, h, payload))
	gotH, got := raw.readFrame(t)
	if gotH.Rsv != frame.Rsv1 || !bytes.Equal(inflateMessage(t, got), msg) {
		t.Fatalf("echo of a compressed message: %v, %d bytes", gotH, len(got))
	}

	// RFC 7692 §5.1: without an offer, nothing is compressed.
	plain := s.dial(t, nil)
	if got := plain.resp.Header.Get("Sec-WebSocket-Extensions"); got != "" {
		t.Errorf("no offer, but the response has extensions %q", got)
	}
}

// TestUpgradeConnRefusals sends a request that breaks each rule of §4.2.1 (and of the origin
// policy, §10.2, and of RFC 9112) and checks the HTTP/1.1 error response on the wire, what
// UpgradeConn returns, and that the server then closes the connection.
func TestUpgradeConnRefusals(t *testing.T) {
	valid := func(replace map[string]string, extra ...string) func(addr string) string {
		return func(addr string) string {
			lines := []string{"GET /chat HTTP/1.1"}
			for _, f := range []struct{ name, line string }{
				{"Host", "Host: " + addr},
				{"Upgrade", "Upgrade: websocket"},
				{"Connection", "Connection: Upgrade"},
				{"Key", "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ=="},
				{"Version", "Sec-WebSocket-Version: 13"},
			} {
				line, ok := replace[f.name]
				if !ok {
					line = f.line
				}
				if line != "" {
					lines = append(lines, line)
				}
			}
			if line, ok := replace["RequestLine"]; ok {
				lines[0] = line
			}
			lines = append(lines, extra...)
			return strings.Join(lines, "\r\n") + "\r\n\r\n"
		}
	}
	tests := []struct {
		name    string
		request func(addr string) string
		opts    *UpgradeOptions
		status  int
		header  map[string]string
	}{
		{"§4.2.1 item 1: method POST", valid(map[string]string{"RequestLine": "POST /chat HTTP/1.1"}), nil,
			http.StatusMethodNotAllowed, map[string]string{"Allow": "GET"}},
		{"§4.2.1 item 1: HTTP/1.0", valid(map[string]string{"RequestLine": "GET /chat HTTP/1.0"}), nil,
			http.StatusBadRequest, nil},
		{"§4.2.1 item 2: no Host", valid(map[string]string{"Host": ""}), nil, http.StatusBadRequest, nil},
		{"§4.2.1 item 3: no Upgrade", valid(map[string]string{"Upgrade": ""}), nil, http.StatusUpgradeRequired,
			map[string]string{"Upgrade": "websocket", "Sec-WebSocket-Version": "13"}},
		{"§4.2.1 item 4: Connection without upgrade", valid(map[string]string{"Connection": "Connection: keep-alive"}), nil,
			http.StatusBadRequest, nil},
		{"§4.2.1 item 5: key not 16 bytes", valid(map[string]string{"Key": "Sec-WebSocket-Key: AAAAAAAAAAAAAAAAAAAA"}), nil,
			http.StatusBadRequest, nil},
		{"§4.2.1 item 5, §11.3.1: two keys", valid(nil, "Sec-WebSocket-Key: AAAAAAAAAAAAAAAAAAAAAA=="), nil,
			http.StatusBadRequest, nil},
		{"§4.2.1 item 6, §4.4: version 8", valid(map[string]string{"Version": "Sec-WebSocket-Version: 8"}), nil,
			http.StatusUpgradeRequired, map[string]string{"Sec-WebSocket-Version": "13"}},
		{"§4.2.1 item 7, §10.2: cross-origin request", valid(nil, "Origin: http://evil.example"), nil,
			http.StatusForbidden, nil},
		{"§10.2: origin not among the patterns", valid(nil, "Origin: http://evil.example"),
			&UpgradeOptions{OriginPatterns: []string{"*.example.com"}}, http.StatusForbidden, nil},
		{"§10.2: CheckOrigin refuses", valid(nil, "Origin: http://chat.example.com"),
			&UpgradeOptions{OriginPatterns: []string{"*"}, CheckOrigin: func(*http.Request) bool { return false }},
			http.StatusForbidden, nil},
		{"RFC 9112 §5.2: obsolete line folding", valid(nil, "X-Folded: a", " b"), nil, http.StatusBadRequest, nil},
		{"RFC 9112 §5.1: whitespace before the colon", valid(map[string]string{"Upgrade": "Upgrade : websocket"}), nil,
			http.StatusBadRequest, nil},
		{"RFC 9110 §5.5: NUL in a value", valid(nil, "X-Nul: a\x00b"), nil, http.StatusBadRequest, nil},
		{"RFC 9112 §3: malformed request line", valid(map[string]string{"RequestLine": "GET /chat"}), nil,
			http.StatusBadRequest, nil},
		{"RFC 9112 §3.2: two Host fields", valid(nil, "Host: other.example"), nil, http.StatusBadRequest, nil},
		{"RFC 9112 §6.3: a body", valid(nil, "Content-Length: 4"), nil, http.StatusBadRequest, nil},
		{"RFC 9112 §2.2: empty first line", func(addr string) string { return "\r\n" + valid(nil)(addr) }, nil,
			http.StatusBadRequest, nil},
		{"RFC 7692: misconfigured compression is the server's fault", valid(nil),
			&UpgradeOptions{Compression: &CompressionOptions{Level: 42}}, http.StatusInternalServerError, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := startConnServer(t, tt.opts, nil)
			c := dialRaw(t, s.addr, []byte(tt.request(s.addr)))
			reason := checkErrorResponse(t, c, tt.status, tt.header)

			err := s.nextUpgradeErr(t)
			var herr *handshake.Error
			if tt.status == http.StatusInternalServerError {
				if err == nil || errors.As(err, &herr) {
					t.Errorf("UpgradeConn = %v, want the configuration error", err)
				}
				return
			}
			if !errors.As(err, &herr) || herr.Status != tt.status || herr.Reason+"\n" != reason {
				t.Errorf("UpgradeConn = %#v, want a *handshake.Error with status %d and the body's reason", err, tt.status)
			}
		})
	}
}

// checkErrorResponse checks the response c got for a refused handshake: status, the fields the
// status calls for, a plain-text body of Content-Length bytes, "Connection: close", and then the
// end of the stream. It returns the body.
func checkErrorResponse(t *testing.T, c *rawClient, status int, header map[string]string) string {
	t.Helper()
	resp := c.resp
	if resp.StatusCode != status {
		t.Errorf("status %s, want %d", resp.Status, status)
	}
	if resp.ProtoMajor != 1 || resp.ProtoMinor != 1 {
		t.Errorf("response version %s, want HTTP/1.1", resp.Proto)
	}
	if got := resp.Header.Get("Content-Type"); got != "text/plain; charset=utf-8" {
		t.Errorf("Content-Type %q", got)
	}
	if !resp.Close {
		t.Error("no Connection: close")
	}
	for name, want := range header {
		if got := resp.Header.Get(name); got != want {
			t.Errorf("%s: %q, want %q", name, got, want)
		}
	}
	body, err := io.ReadAll(resp.Body)
	if err != nil || int64(len(body)) != resp.ContentLength || len(body) < 2 || !bytes.HasSuffix(body, []byte("\n")) {
		t.Errorf("body %q (Content-Length %d), %v: want a reason and a newline", body, resp.ContentLength, err)
	}
	c.nc.SetReadDeadline(time.Now().Add(ioTimeout))
	if n, err := c.br.Read(make([]byte, 1)); n != 0 || err != io.EOF {
		t.Errorf("after the response: read %d bytes, %v; want the end of the stream", n, err)
	}
	return string(body)
}

// TestUpgradeConnCheckOrigin checks what opts.CheckOrigin is given: an *http.Request like the one
// net/http would build, with the remote address and, over TLS, the connection state.
func TestUpgradeConnCheckOrigin(t *testing.T) {
	for _, tt := range testTransports(t) {
		t.Run(tt.name, func(t *testing.T) {
			seen := make(chan *http.Request, 1)
			s := startConnServer(t, &UpgradeOptions{CheckOrigin: func(r *http.Request) bool {
				seen <- r
				return r.Header.Get("Origin") == "https://app.example"
			}}, tt.serverTLS)
			c := dialTest(t, s.url+"chat?room=1", &DialOptions{Origin: "https://app.example", TLSConfig: tt.clientTLS})
			r := <-seen
			if r.Method != http.MethodGet || r.URL.Path != "/chat" || r.URL.RawQuery != "room=1" || r.RequestURI != "/chat?room=1" ||
				r.Host != s.addr || r.Header.Get("Host") != "" || r.RemoteAddr != c.NetConn().LocalAddr().String() ||
				!r.ProtoAtLeast(1, 1) || (r.TLS != nil) != (tt.serverTLS != nil) {
				t.Errorf("CheckOrigin got %+v", r)
			}
			if r.TLS != nil && !r.TLS.HandshakeComplete {
				t.Error("TLS state before the TLS handshake completed")
			}
		})
	}
}

// TestUpgradeConnHeadTooLarge checks the bound on the request head (RFC 6585 §5: 431).
func TestUpgradeConnHeadTooLarge(t *testing.T) {
	head := func(addr string, pad int) []byte {
		return handshake.AppendRequest(nil, "/", addr, handshake.NewKey(), nil, "", http.Header{"X-Pad": {strings.Repeat("p", pad)}})
	}
	t.Run("default limit", func(t *testing.T) {
		s := startConnServer(t, nil, nil)
		base := len(head(s.addr, 0))
		// A head longer than the pooled buffer, but within 8 KiB, is read into a larger one.
		c := dialRaw(t, s.addr, head(s.addr, 6<<10))
		if c.resp.StatusCode != http.StatusSwitchingProtocols {
			t.Fatalf("6 KiB head: %s, want 101", c.resp.Status)
		}
		if c = dialRaw(t, s.addr, head(s.addr, DefaultMaxHeaderBytes-base)); c.resp.StatusCode != http.StatusSwitchingProtocols {
			t.Fatalf("head of exactly DefaultMaxHeaderBytes: %s, want 101", c.resp.Status)
		}
		c = dialRaw(t, s.addr, head(s.addr, DefaultMaxHeaderBytes-base+1))
		checkErrorResponse(t, c, http.StatusRequestHeaderFieldsTooLarge, nil)
		var herr *handshake.Error
		if err := s.nextUpgradeErr(t); !errors.As(err, &herr) || herr.Status != http.StatusRequestHeaderFieldsTooLarge {
			t.Errorf("UpgradeConn = %v, want a *handshake.Error with status 431", err)
		}
	})
	t.Run("MaxHeaderBytes", func(t *testing.T) {
		s := startConnServer(t, &UpgradeOptions{MaxHeaderBytes: 256}, nil)
		base := len(head(s.addr, 0))
		if c := dialRaw(t, s.addr, head(s.addr, 256-base)); c.resp.StatusCode != http.StatusSwitchingProtocols {
			t.Fatalf("head of exactly MaxHeaderBytes: %s, want 101", c.resp.Status)
		}
		// The client is still sending when the server answers: the answer must not be lost to
		// a TCP reset.
		c := dialRaw(t, s.addr, head(s.addr, 64<<10))
		checkErrorResponse(t, c, http.StatusRequestHeaderFieldsTooLarge, nil)
	})
}

// TestUpgradeConnTimeout checks that a client that does not finish its request head in time —
// or, over TLS, its TLS handshake — is dropped after HandshakeTimeout, without an answer.
func TestUpgradeConnTimeout(t *testing.T) {
	const timeout = 100 * time.Millisecond
	serverTLS, clientTLS := testTLSConfigs(t)
	tests := []struct {
		name      string
		serverTLS *tls.Config
		clientTLS *tls.Config // the client completes a TLS handshake first
		sent      string
	}{
		{"nothing sent", nil, nil, ""},
		{"head cut short", nil, nil, "GET /chat HTTP/1.1\r\nHost: a\r\n"},
		{"TLS: no TLS handshake", serverTLS, nil, ""},
		{"TLS: head cut short", serverTLS, clientTLS, "GET /chat HTTP/1.1\r\nHost: a\r\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := startConnServer(t, &UpgradeOptions{HandshakeTimeout: timeout}, tt.serverTLS)
			start := time.Now()
			nc, err := net.DialTimeout("tcp", s.addr, ioTimeout)
			if err != nil {
				t.Fatal(err)
			}
			defer nc.Close()
			if tt.clientTLS != nil {
				cfg := tt.clientTLS.Clone()
				cfg.ServerName = "127.0.0.1"
				tc := tls.Client(nc, cfg)
				if err := tc.Handshake(); err != nil {
					t.Fatal(err)
				}
				nc = tc
			}
			if _, err := io.WriteString(nc, tt.sent); err != nil {
				t.Fatal(err)
			}
			err = s.nextUpgradeErr(t)
			if elapsed := time.Since(start); !errors.Is(err, os.ErrDeadlineExceeded) || elapsed < timeout || elapsed > ioTimeout/2 {
				t.Errorf("UpgradeConn = %v after %v, want a deadline error after %v", err, elapsed, timeout)
			}
			nc.SetReadDeadline(time.Now().Add(ioTimeout))
			if n, err := nc.Read(make([]byte, 64)); n != 0 || err == nil || errors.Is(err, os.ErrDeadlineExceeded) {
				t.Errorf("after the timeout: read %d bytes, %v; want the end of the stream without an answer", n, err)
			}
		})
	}
}

// TestUpgradeConnCallerDeadline checks that a negative HandshakeTimeout leaves the deadlines to
// the caller: UpgradeConn neither sets its own nor clears the caller's.
func TestUpgradeConnCallerDeadline(t *testing.T) {
	server, client := net.Pipe()
	defer client.Close()
	start := time.Now()
	server.SetReadDeadline(start.Add(100 * time.Millisecond))
	_, err := UpgradeConn(server, &UpgradeOptions{HandshakeTimeout: -1})
	if elapsed := time.Since(start); !errors.Is(err, os.ErrDeadlineExceeded) || elapsed > ioTimeout/2 {
		t.Errorf("UpgradeConn = %v after %v, want the caller's deadline error after 100ms", err, elapsed)
	}
}

// TestUpgradeConnClientGone checks a client that closes before its head is complete.
func TestUpgradeConnClientGone(t *testing.T) {
	s := startConnServer(t, nil, nil)
	nc, err := net.DialTimeout("tcp", s.addr, ioTimeout)
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(nc, "GET /chat HTTP/1.1\r\n")
	nc.Close()
	if err := s.nextUpgradeErr(t); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("UpgradeConn = %v, want io.ErrUnexpectedEOF", err)
	}
}

// TestUpgradeConnPipe runs UpgradeConn over net.Pipe, a net.Conn that is not a socket, and with a
// nil *UpgradeOptions.
func TestUpgradeConnPipe(t *testing.T) {
	server, client := net.Pipe()
	defer client.Close()
	done := make(chan error, 1)
	go func() {
		c, err := UpgradeConn(server, nil)
		if err != nil {
			done <- err
			return
		}
		done <- echoUntilError(c)
	}()
	key := handshake.NewKey()
	client.SetDeadline(time.Now().Add(ioTimeout))
	if _, err := client.Write(append(handshake.AppendRequest(nil, "/", "pipe", key, nil, "", nil), textFrame("over a pipe")...)); err != nil {
		t.Fatal(err)
	}
	c := &rawClient{nc: client, br: bufio.NewReader(client)}
	resp, err := http.ReadResponse(c.br, nil)
	if err != nil || resp.StatusCode != http.StatusSwitchingProtocols || resp.Header.Get("Sec-WebSocket-Accept") != handshake.AcceptKey(key) {
		t.Fatalf("response %v, %v", resp, err)
	}
	c.expectFrame(t, frame.OpText, "over a pipe")
	client.Close()
	if err := <-done; err == nil {
		t.Error("the echo ended without an error")
	}
}

// BenchmarkUpgradeConn measures UpgradeConn alone: a request head read from memory and a 101
// written to memory, with no network and no deadlines (scriptConn ignores them).
func BenchmarkUpgradeConn(b *testing.B) {
	request := handshake.AppendRequest(nil, "/chat", "server.example.com", "dGhlIHNhbXBsZSBub25jZQ==", nil, "", nil)
	nc := &scriptConn{r: bytes.NewReader(request)}
	b.ReportAllocs()
	b.SetBytes(int64(len(request)))
	for b.Loop() {
		nc.r.Reset(request)
		nc.written.Reset()
		c, err := UpgradeConn(nc, nil)
		if err != nil {
			b.Fatal(err)
		}
		c.CloseNow()
	}
}

// testTLSConfigs returns a server configuration with a fresh self-signed certificate for
// 127.0.0.1 (see internal/testcert), and a client configuration that trusts it.
func testTLSConfigs(t *testing.T) (server, client *tls.Config) {
	t.Helper()
	c := testcert.New(t)
	return c.ServerConfig(), c.ClientConfig()
}

// testTransport is a way for a test to connect to UpgradeConn: plain TCP (nil configs) or TLS.
type testTransport struct {
	name      string
	serverTLS *tls.Config
	clientTLS *tls.Config
}

// testTransports returns TCP and TLS, for tests that must pass over both.
func testTransports(t *testing.T) []testTransport {
	serverTLS, clientTLS := testTLSConfigs(t)
	return []testTransport{{"tcp", nil, nil}, {"tls", serverTLS, clientTLS}}
}

// FuzzUpgradeConn feeds arbitrary bytes to UpgradeConn as what a client sent. It must not panic,
// and what it writes must be exactly one of: a 101 whose Sec-WebSocket-Accept answers the
// request's key (when handshake.Request.Check passes), an HTTP/1.1 error response that carries
// the status and reason of the error UpgradeConn returns, a 431 for a head over MaxHeaderBytes,
// or nothing, when the bytes end before the head does.
func FuzzUpgradeConn(f *testing.F) {
	valid := handshake.AppendRequest(nil, "/chat", "server.example.com", "dGhlIHNhbXBsZSBub25jZQ==",
		[]string{"soap", "wamp"}, "permessage-deflate; client_max_window_bits", nil)
	f.Add(valid)
	f.Add(append(append([]byte(nil), valid...), textFrame("hello")...))
	f.Add([]byte("GET /chat HTTP/1.1\nHost: a\nUpgrade: websocket\nConnection: upgrade\nSec-WebSocket-Version: 13\n\n"))
	f.Add([]byte("POST / HTTP/1.1\r\nHost: a\r\n\r\n"))
	f.Add([]byte("GET / HTTP/1.1\r\nHost: a\r\n"))
	f.Add(bytes.Repeat([]byte("x"), 300))
	const maxHead = 256
	f.Fuzz(func(t *testing.T, data []byte) {
		nc := &scriptConn{r: bytes.NewReader(bytes.Clone(data))}
		opts := &UpgradeOptions{MaxHeaderBytes: maxHead, Subprotocols: []string{"wamp"}, Compression: &CompressionOptions{}}
		c, err := UpgradeConn(nc, opts)
		written := bytes.Clone(nc.written.Bytes())

		n := handshake.HeadLength(data[:min(len(data), maxHead)])
		if n < 0 {
			var herr *handshake.Error
			switch {
			case len(data) >= maxHead:
				if !errors.As(err, &herr) || herr.Status != http.StatusRequestHeaderFieldsTooLarge {
					t.Fatalf("head over %d bytes: UpgradeConn = %v, want 431", maxHead, err)
				}
			case err == nil || errors.As(err, &herr) || len(written) > 0:
				t.Fatalf("%q ends before its head: UpgradeConn = %v, wrote %q", data, err, written)
			}
		}
		if len(written) == 0 {
			if err == nil {
				t.Fatal("UpgradeConn succeeded without writing a 101")
			}
			return
		}
		resp, rerr := http.ReadResponse(bufio.NewReader(bytes.NewReader(written)), &http.Request{Method: http.MethodGet})
		if rerr != nil {
			t.Fatalf("UpgradeConn wrote %q, which is not an HTTP response: %v", written, rerr)
		}
		if err == nil {
			defer c.CloseNow()
			req, perr := handshake.ParseRequest(data[:n])
			if perr != nil || req.Check() != nil {
				t.Fatalf("UpgradeConn accepted %q", data[:n])
			}
			if resp.StatusCode != http.StatusSwitchingProtocols ||
				resp.Header.Get("Sec-WebSocket-Accept") != handshake.AcceptKey(req.Get("Sec-WebSocket-Key")) {
				t.Fatalf("UpgradeConn accepted %q with %q", data[:n], written)
			}
			return
		}
		var herr *handshake.Error
		if !errors.As(err, &herr) {
			t.Fatalf("UpgradeConn wrote %q but returned %v, not a *handshake.Error", written, err)
		}
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != herr.Status || string(body) != herr.Reason+"\n" {
			t.Fatalf("UpgradeConn returned %v but wrote %q", err, written)
		}
	})
}

// TestUpgradeRequest runs the handshake in two steps, as a server that routes requests itself
// does: handshake.ReadHead and handshake.ParseRequest, then UpgradeRequest with the bytes read
// after the head, which must be the start of the first frame (§4.2.2: frames may follow the
// request at once).
func TestUpgradeRequest(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	targets := make(chan string, 1)
	go func() {
		nc, err := ln.Accept()
		if err != nil {
			return
		}
		head, rest, err := handshake.ReadHead(nc, make([]byte, 64), DefaultMaxHeaderBytes)
		if err != nil {
			nc.Close()
			return
		}
		req, err := handshake.ParseRequest(head)
		if err != nil {
			nc.Close()
			return
		}
		targets <- req.Target
		c, err := UpgradeRequest(nc, req, rest, &UpgradeOptions{Subprotocols: []string{"wamp"}})
		if err != nil {
			return
		}
		echoUntilError(c)
	}()

	nc, err := net.DialTimeout("tcp", ln.Addr().String(), ioTimeout)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	c := &rawClient{nc: nc}
	key := handshake.NewKey()
	c.write(t, cat(handshake.AppendRequest(nil, "/chat?room=1", ln.Addr().String(), key, []string{"soap", "wamp"}, "", nil), textFrame("right behind the head")))
	c.br = bufio.NewReader(nc)
	nc.SetReadDeadline(time.Now().Add(ioTimeout))
	resp, err := http.ReadResponse(c.br, nil)
	if err != nil || resp.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("response %v, %v", resp, err)
	}
	if got := resp.Header.Get("Sec-WebSocket-Protocol"); got != "wamp" {
		t.Errorf("§4.2.2: subprotocol %q, want wamp", got)
	}
	if got := <-targets; got != "/chat?room=1" {
		t.Errorf("request target %q", got)
	}
	c.expectFrame(t, frame.OpText, "right behind the head")
}
