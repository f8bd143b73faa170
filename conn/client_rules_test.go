package conn

// Black-box tests of the client side: Dial talks to a raw server (rawpeer_test.go) that answers
// the opening handshake with a 101 it builds by hand — right, or wrong on purpose — and then
// sends and reads raw frames. Every case names the section of RFC 6455 it checks.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rfc6455/ws/frame"
	"github.com/rfc6455/ws/handshake"
)

// dialForRules dials url with a bounded context and opts.
func dialForRules(url string, opts *DialOptions) (*Conn, *http.Response, error) {
	ctx, cancel := context.WithTimeout(context.Background(), ioTimeout)
	defer cancel()
	return Dial(ctx, url, opts)
}

// readWithin is ReadMessage bounded by ioTimeout.
func readWithin(c *Conn) (frame.Opcode, []byte, error) {
	c.SetReadDeadline(time.Now().Add(ioTimeout))
	defer c.SetReadDeadline(time.Time{})
	return c.ReadMessage(nil)
}

// TestClientRejectsMaskedServerFrame covers §5.1: "A client MUST close a connection if it
// detects a masked frame" from the server. The client fails with 1002, and its close frame is
// masked like every frame a client sends.
func TestClientRejectsMaskedServerFrame(t *testing.T) {
	srv := startRawServer(t, func(p *serverPeer) error {
		masked := appendFrame(nil, frame.Header{Fin: true, Op: frame.OpText, Masked: true, Key: testKey(), Length: 5}, []byte("hello"))
		if err := p.accept(masked); err != nil {
			return err
		}
		if _, err := p.readClose(frame.CloseProtocolError); err != nil {
			return err
		}
		return p.drain()
	})
	c, _, err := dialForRules(srv.url, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	_, p, err := readWithin(c)
	var pe *frame.ProtocolError
	if !errors.As(err, &pe) || pe.Code != frame.CloseProtocolError {
		t.Errorf("ReadMessage = %q, %v; want a *frame.ProtocolError with code 1002", p, err)
	}
	srv.wait(t)
}

// TestClientHandshakeResponse covers the client's checks of the server's response (§4.1, the
// steps after the request is sent): a wrong response makes Dial fail, and returns the response.
func TestClientHandshakeResponse(t *testing.T) {
	accept := func(key string) string { return "Sec-WebSocket-Accept: " + handshake.AcceptKey(key) }
	cases := []struct {
		name      string
		protocols []string                // offered by the client
		response  func(key string) []byte // the raw server's answer
		wantErr   error                   // nil: Dial must succeed
	}{
		{name: "§4.1 valid response",
			response: func(key string) []byte { return response101("Upgrade: websocket", "Connection: Upgrade", accept(key)) }},
		{name: `§4.1 "Upgrade: WebSocket" in capitals is accepted`,
			response: func(key string) []byte { return response101("Upgrade: WebSocket", "Connection: Upgrade", accept(key)) }},
		{name: `§4.1 "Connection: upgrade" in lower case is accepted`,
			response: func(key string) []byte { return response101("Upgrade: websocket", "Connection: upgrade", accept(key)) }},
		{name: "§4.1 the offered subprotocol is accepted", protocols: []string{"chat", "superchat"},
			response: func(key string) []byte {
				return response101("Upgrade: websocket", "Connection: Upgrade", accept(key), "Sec-WebSocket-Protocol: superchat")
			}},

		{name: "§4.1 wrong Sec-WebSocket-Accept", wantErr: handshake.ErrBadAccept,
			response: func(key string) []byte {
				return response101("Upgrade: websocket", "Connection: Upgrade", "Sec-WebSocket-Accept: "+handshake.AcceptKey(handshake.NewKey()))
			}},
		{name: "§4.1 Sec-WebSocket-Accept of the key itself", wantErr: handshake.ErrBadAccept,
			response: func(key string) []byte {
				return response101("Upgrade: websocket", "Connection: Upgrade", "Sec-WebSocket-Accept: "+key)
			}},
		{name: "§4.1 missing Sec-WebSocket-Accept", wantErr: handshake.ErrBadAccept,
			response: func(key string) []byte { return response101("Upgrade: websocket", "Connection: Upgrade") }},
		{name: "§4.1 missing Upgrade", wantErr: handshake.ErrBadUpgrade,
			response: func(key string) []byte { return response101("Connection: Upgrade", accept(key)) }},
		{name: "§4.1 missing Connection", wantErr: handshake.ErrBadConnection,
			response: func(key string) []byte { return response101("Upgrade: websocket", accept(key)) }},
		{name: "§4.1 a subprotocol the client did not offer", protocols: []string{"chat"}, wantErr: handshake.ErrBadSubprotocol,
			response: func(key string) []byte {
				return response101("Upgrade: websocket", "Connection: Upgrade", accept(key), "Sec-WebSocket-Protocol: superchat")
			}},
		{name: "§4.1 a subprotocol when the client offered none", wantErr: handshake.ErrBadSubprotocol,
			response: func(key string) []byte {
				return response101("Upgrade: websocket", "Connection: Upgrade", accept(key), "Sec-WebSocket-Protocol: chat")
			}},
		{name: "§4.1 an extension the client did not offer", wantErr: handshake.ErrBadExtensions,
			response: func(key string) []byte {
				return response101("Upgrade: websocket", "Connection: Upgrade", accept(key), "Sec-WebSocket-Extensions: permessage-deflate")
			}},
		{name: "§4.1 status 200", wantErr: handshake.ErrBadStatus,
			response: func(key string) []byte {
				return []byte("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello")
			}},
		{name: "§4.1 status 101 with an HTTP/1.0 status line is still checked", wantErr: handshake.ErrBadAccept,
			response: func(key string) []byte {
				return []byte("HTTP/1.0 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n")
			}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := startRawServer(t, func(p *serverPeer) error {
				if err := p.write(tc.response(p.key())); err != nil {
					return err
				}
				if tc.wantErr == nil {
					if err := p.write(serverFrame(frame.OpText, "welcome")); err != nil {
						return err
					}
				}
				return p.drain()
			})
			c, resp, err := dialForRules(srv.url, &DialOptions{Subprotocols: tc.protocols})
			if tc.wantErr != nil {
				if err == nil {
					c.CloseNow()
					t.Fatalf("Dial succeeded, want an error wrapping %v", tc.wantErr)
				}
				if !errors.Is(err, tc.wantErr) {
					t.Errorf("Dial error = %v, want one wrapping %v", err, tc.wantErr)
				}
				if resp == nil {
					t.Errorf("Dial returned no *http.Response with its error")
				}
				srv.wait(t)
				return
			}
			if err != nil {
				t.Fatalf("Dial: %v", err)
			}
			defer c.CloseNow()
			if resp == nil || resp.StatusCode != http.StatusSwitchingProtocols {
				t.Errorf("Dial response = %v, want the 101", resp)
			}
			op, p, err := readWithin(c)
			if err != nil || op != frame.OpText || string(p) != "welcome" {
				t.Errorf("ReadMessage = %v, %q, %v; want text \"welcome\"", op, p, err)
			}
			c.CloseNow()
			srv.wait(t)
		})
	}
}

// TestClientRefusedResponseBody covers §4.1: a status other than 101 fails the handshake, and
// Dial returns the response with up to 1 KiB of its body, so the caller can show why.
func TestClientRefusedResponseBody(t *testing.T) {
	long := strings.Repeat("0123456789abcdef", 200) // 3200 bytes
	cases := []struct {
		name   string
		status string
		body   string
		want   string
	}{
		{name: "§4.1 200 with a short body", status: "200 OK", body: "no websocket here", want: "no websocket here"},
		{name: "§4.1 403 with a body longer than 1 KiB", status: "403 Forbidden", body: long, want: long[:1024]},
		{name: "§4.1 404 with an empty body", status: "404 Not Found", body: "", want: ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := startRawServer(t, func(p *serverPeer) error {
				response := fmt.Sprintf("HTTP/1.1 %s\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n\r\n%s", tc.status, len(tc.body), tc.body)
				if err := p.write([]byte(response)); err != nil {
					return err
				}
				return p.drain()
			})
			c, resp, err := dialForRules(srv.url, nil)
			if err == nil {
				c.CloseNow()
				t.Fatal("Dial succeeded, want an error")
			}
			if !errors.Is(err, handshake.ErrBadStatus) {
				t.Errorf("Dial error = %v, want one wrapping handshake.ErrBadStatus", err)
			}
			if resp == nil {
				t.Fatal("Dial returned no *http.Response with its error")
			}
			if got := resp.Status; got != tc.status {
				t.Errorf("resp.Status = %q, want %q", got, tc.status)
			}
			body, err := io.ReadAll(resp.Body)
			if err != nil {
				t.Errorf("reading the response body: %v", err)
			}
			if string(body) != tc.want {
				t.Errorf("body = %s, want %s", abbrev(body), abbrev([]byte(tc.want)))
			}
			srv.wait(t)
		})
	}
}

// TestClientReadsFramesSentWithResponse covers §4.1 and §5.2: the server may send its first
// frames right behind its 101, in the same TCP segment; they belong to the WebSocket stream and
// the client's first reads return them.
func TestClientReadsFramesSentWithResponse(t *testing.T) {
	big := strings.Repeat("B", 5000) // more than the client's 4096-byte read buffer
	srv := startRawServer(t, func(p *serverPeer) error {
		tail := cat(serverFrame(frame.OpText, "early"), serverFrame(frame.OpBinary, big), serverFrame(frame.OpPing, "p"), serverFrame(frame.OpText, "last"))
		if err := p.accept(tail); err != nil {
			return err
		}
		h, payload, err := p.readFrame()
		if err != nil {
			return err
		}
		if h.Op != frame.OpPong || string(payload) != "p" || !h.Masked {
			return fmt.Errorf("§5.5.2: got %v with payload %q, want a masked pong \"p\"", h, payload)
		}
		return p.drain()
	})
	c, _, err := dialForRules(srv.url, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	for _, want := range []struct {
		op      frame.Opcode
		payload string
	}{{frame.OpText, "early"}, {frame.OpBinary, big}, {frame.OpText, "last"}} {
		op, p, err := readWithin(c)
		if err != nil || op != want.op || string(p) != want.payload {
			t.Fatalf("ReadMessage = %v, %s, %v; want %v %s", op, abbrev(p), err, want.op, abbrev([]byte(want.payload)))
		}
	}
	// The pong to the ping that came with "last" may wait up to pongDelay for a write of the
	// client's (armPongTimer), and CloseNow drops what waits: Flush sends it now.
	if err := c.Flush(); err != nil {
		t.Fatal(err)
	}
	c.CloseNow()
	srv.wait(t)
}

// TestClientMasksEveryFrame covers §5.3: every frame a client sends is masked, with a fresh key
// for each frame ("the masking key MUST be unpredictable"), and unmasking with the key in the
// header gives back the payload.
func TestClientMasksEveryFrame(t *testing.T) {
	type message struct {
		op      frame.Opcode
		payload []byte
	}
	pattern := func(n int) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(i*7 + i>>8)
		}
		return b
	}
	messages := []message{
		{frame.OpText, []byte("")},
		{frame.OpText, []byte("a")},
		{frame.OpBinary, pattern(125)},
		{frame.OpBinary, pattern(126)},         // 16-bit length
		{frame.OpBinary, pattern(5000)},        // more than the write buffer: masked in chunks
		{frame.OpBinary, pattern(70000)},       // 64-bit length
		{frame.OpText, []byte("same payload")}, // the same payload twice: still two keys
		{frame.OpText, []byte("same payload")},
	}
	streamed := pattern(10000) // sent with NextWriter: fragments of up to 4096 bytes (WriteBufferSize)

	var (
		keys     [][4]byte
		received []message
	)
	srv := startRawServer(t, func(p *serverPeer) error {
		if err := p.accept(nil); err != nil {
			return err
		}
		var current *message
		// The messages, the streamed message, a ping and a pong.
		for want := len(messages) + 3; len(received) < want; {
			h, payload, err := p.readFrame()
			if err != nil {
				return err
			}
			if !h.Masked {
				return fmt.Errorf("§5.1: frame %v from the client is not masked", h)
			}
			keys = append(keys, h.Key)
			switch {
			case h.Op == frame.OpContinuation && current != nil:
				current.payload = append(current.payload, payload...)
			case h.Op == frame.OpContinuation:
				return fmt.Errorf("§5.4: continuation %v with no message to continue", h)
			default:
				received = append(received, message{h.Op, payload})
				current = &received[len(received)-1]
			}
			if h.Fin {
				current = nil
			}
		}
		return p.drain()
	})
	c, _, err := dialForRules(srv.url, &DialOptions{WriteBufferSize: 4096})
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	for _, m := range messages {
		sent := bytes.Clone(m.payload)
		if err := c.WriteMessage(m.op, sent); err != nil {
			t.Fatalf("WriteMessage(%d bytes): %v", len(sent), err)
		}
		if !bytes.Equal(sent, m.payload) {
			t.Errorf("WriteMessage(%d bytes) changed the caller's slice (it must mask a copy)", len(sent))
		}
	}
	w, err := c.NextWriter(frame.OpBinary)
	if err != nil {
		t.Fatal(err)
	}
	for chunk := range pieces(streamed, 3000) {
		if _, err := w.Write(chunk); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := c.Ping([]byte("ping!")); err != nil {
		t.Fatal(err)
	}
	if err := c.Pong([]byte("pong!")); err != nil {
		t.Fatal(err)
	}
	c.CloseNow()
	srv.wait(t)

	want := append(messages, message{frame.OpBinary, streamed}, message{frame.OpPing, []byte("ping!")}, message{frame.OpPong, []byte("pong!")})
	if len(received) != len(want) {
		t.Fatalf("the server received %d messages, want %d", len(received), len(want))
	}
	for i := range want {
		if received[i].op != want[i].op || !bytes.Equal(received[i].payload, want[i].payload) {
			t.Errorf("message %d: unmasked to %v %s, want %v %s", i, received[i].op, abbrev(received[i].payload), want[i].op, abbrev(want[i].payload))
		}
	}
	// The stream needs at least 3 fragments of at most 4096 bytes, so there are at least
	// len(messages)+3+2 frames; with 32-bit random keys a repeat among them is a bug, not luck.
	if len(keys) < len(messages)+5 {
		t.Errorf("only %d frames for %d messages", len(keys), len(want))
	}
	seen := map[[4]byte]int{}
	for i, k := range keys {
		if j, ok := seen[k]; ok {
			t.Errorf("§5.3: frames %d and %d have the same masking key %x", j, i, k)
		}
		seen[k] = i
	}
}

// pieces yields b in pieces of at most n bytes.
func pieces(b []byte, n int) func(yield func([]byte) bool) {
	return func(yield func([]byte) bool) {
		for len(b) > 0 {
			k := min(n, len(b))
			if !yield(b[:k]) {
				return
			}
			b = b[k:]
		}
	}
}

// TestClientCloseHandshake covers §7.1.2 and §7.1.1 from the client: Close sends a masked close
// frame with the code and reason, reads the server's reply, and then waits for the server to
// close TCP instead of closing first.
func TestClientCloseHandshake(t *testing.T) {
	var serverClosed atomic.Bool
	srv := startRawServer(t, func(p *serverPeer) error {
		if err := p.accept(nil); err != nil {
			return err
		}
		reason, err := p.readClose(frame.CloseNormal)
		if err != nil {
			return err
		}
		if reason != "bye" {
			return fmt.Errorf("close reason %q, want \"bye\"", reason)
		}
		if err := p.write(serverFrame(frame.OpClose, string(frame.AppendClose(nil, frame.CloseNormal, "")))); err != nil {
			return err
		}
		// §7.1.1: the client should wait for the server to close TCP. If it closed its side
		// first, this read would see EOF; a client that waits makes it time out.
		p.nc.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
		var b [16]byte
		n, err := p.br.Read(b[:])
		var ne net.Error
		switch {
		case n > 0:
			return fmt.Errorf("§5.5.1: the client sent %x after the close handshake", b[:n])
		case err == io.EOF:
			return errors.New("§7.1.1: the client closed TCP before the server did")
		case !errors.As(err, &ne) || !ne.Timeout():
			return fmt.Errorf("waiting after the close handshake: %v", err)
		}
		serverClosed.Store(true)
		return nil // serve closes the connection
	})
	c, _, err := dialForRules(srv.url, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	start := time.Now()
	err = c.Close(frame.CloseNormal, "bye")
	elapsed := time.Since(start)
	if err != nil {
		t.Errorf("Close = %v, want nil", err)
	}
	if elapsed > time.Second {
		t.Errorf("Close took %v, want under a second", elapsed)
	}
	srv.wait(t)
	if !serverClosed.Load() {
		t.Error("Close returned before the server closed TCP")
	}
	_, _, err = readWithin(c)
	var ce *CloseError
	if !errors.As(err, &ce) || ce.Code != frame.CloseNormal {
		t.Errorf("ReadMessage after Close = %v, want a *CloseError with code 1000", err)
	}
}

// TestClientCloseTimeout covers §7.1.2 with a server that never answers the close frame: Close
// gives up after CloseTimeout and closes the connection.
func TestClientCloseTimeout(t *testing.T) {
	const closeTimeout = 200 * time.Millisecond
	srv := startRawServer(t, func(p *serverPeer) error {
		if err := p.accept(nil); err != nil {
			return err
		}
		if _, err := p.readClose(frame.CloseGoingAway); err != nil {
			return err
		}
		return p.drain() // never replies; the client must give up and close TCP
	})
	c, _, err := dialForRules(srv.url, &DialOptions{CloseTimeout: closeTimeout})
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	start := time.Now()
	err = c.Close(frame.CloseGoingAway, "")
	elapsed := time.Since(start)
	t.Logf("Close = %v after %v", err, elapsed)
	if elapsed > closeTimeout+time.Second {
		t.Errorf("Close took %v with CloseTimeout %v", elapsed, closeTimeout)
	}
	if elapsed < closeTimeout/2 {
		t.Errorf("Close returned after %v without waiting for the server's close frame (CloseTimeout %v)", elapsed, closeTimeout)
	}
	srv.wait(t)
}

// TestDialContextDeadline covers §4.1 with a server that accepts the connection and never
// answers: Dial returns with a timeout error when the context's deadline passes.
func TestDialContextDeadline(t *testing.T) {
	srv := startRawServer(t, func(p *serverPeer) error { return p.drain() })
	const deadline = 300 * time.Millisecond
	ctx, cancel := context.WithTimeout(context.Background(), deadline)
	defer cancel()
	start := time.Now()
	c, _, err := Dial(ctx, srv.url, nil)
	elapsed := time.Since(start)
	if err == nil {
		c.CloseNow()
		t.Fatal("Dial succeeded against a server that never answers")
	}
	if elapsed > deadline+time.Second {
		t.Errorf("Dial returned after %v, the context's deadline was %v", elapsed, deadline)
	}
	if !errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Errorf("Dial error = %v, want a timeout", err)
	}
	srv.wait(t)
}

// connectProxy is a minimal HTTP proxy that opens tunnels with CONNECT (RFC 9110 §9.3.6), as
// §4.1 has a client behind a proxy use.
type connectProxy struct {
	ln       net.Listener
	url      *url.URL
	wantAuth string      // the Proxy-Authorization required; "" for none
	targets  chan string // the target of each CONNECT the proxy tunnelled
	auths    chan string // the Proxy-Authorization of each request
	wg       sync.WaitGroup
	mu       sync.Mutex
	conns    []net.Conn
}

// startConnectProxy starts a proxy that requires the credentials of user, if not nil. The proxy
// URL it returns carries urlUser.
func startConnectProxy(t *testing.T, user, urlUser *url.Userinfo) *connectProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &connectProxy{
		ln:      ln,
		url:     &url.URL{Scheme: "http", Host: ln.Addr().String(), User: urlUser},
		targets: make(chan string, 8),
		auths:   make(chan string, 8),
	}
	if user != nil {
		password, _ := user.Password()
		p.wantAuth = "Basic " + base64.StdEncoding.EncodeToString([]byte(user.Username()+":"+password))
	}
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		for {
			nc, err := ln.Accept()
			if err != nil {
				return
			}
			p.track(nc)
			p.wg.Add(1)
			go func() {
				defer p.wg.Done()
				p.serve(nc)
			}()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		p.mu.Lock()
		for _, nc := range p.conns {
			nc.Close()
		}
		p.mu.Unlock()
		p.wg.Wait()
	})
	return p
}

func (p *connectProxy) track(nc net.Conn) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.conns = append(p.conns, nc)
}

func (p *connectProxy) serve(nc net.Conn) {
	defer nc.Close()
	nc.SetDeadline(time.Now().Add(ioTimeout))
	br := bufio.NewReader(nc)
	req, err := http.ReadRequest(br)
	if err != nil {
		return
	}
	report(p.auths, req.Header.Get("Proxy-Authorization"))
	if req.Method != http.MethodConnect {
		io.WriteString(nc, "HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n")
		return
	}
	if p.wantAuth != "" && req.Header.Get("Proxy-Authorization") != p.wantAuth {
		io.WriteString(nc, "HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm=\"test\"\r\nContent-Length: 0\r\n\r\n")
		return
	}
	target, err := net.DialTimeout("tcp", req.URL.Host, ioTimeout)
	if err != nil {
		io.WriteString(nc, "HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")
		return
	}
	p.track(target)
	defer target.Close()
	report(p.targets, req.URL.Host)
	if _, err := io.WriteString(nc, "HTTP/1.1 200 Connection established\r\n\r\n"); err != nil {
		return
	}
	nc.SetDeadline(time.Time{})
	done := make(chan struct{}, 2)
	go func() { io.Copy(target, br); done <- struct{}{} }()
	go func() { io.Copy(nc, target); done <- struct{}{} }()
	<-done // when either side ends, end both
	nc.Close()
	target.Close()
	<-done
}

// TestDialThroughProxy covers §4.1's client behind an HTTP proxy: Dial asks DialOptions.Proxy,
// opens a tunnel with CONNECT (with Basic credentials from the proxy URL) and runs the
// WebSocket through it.
func TestDialThroughProxy(t *testing.T) {
	cases := []struct {
		name          string
		require       *url.Userinfo // credentials the proxy requires
		inURL         *url.Userinfo // credentials in the proxy URL
		wantAuth      string        // the Proxy-Authorization the proxy must see
		wantDialError bool
	}{
		{name: "§4.1 proxy without authentication"},
		{name: "§4.1 proxy with Basic authentication from the proxy URL",
			require: url.UserPassword("alice", "s3cret: pass"), inURL: url.UserPassword("alice", "s3cret: pass"),
			wantAuth: "Basic " + base64.StdEncoding.EncodeToString([]byte("alice:s3cret: pass"))},
		{name: "§4.1 proxy answers 407 without credentials", require: url.UserPassword("alice", "pw"), wantDialError: true},
		{name: "§4.1 proxy answers 407 to wrong credentials", require: url.UserPassword("alice", "pw"), inURL: url.UserPassword("alice", "wrong"),
			wantAuth: "Basic " + base64.StdEncoding.EncodeToString([]byte("alice:wrong")), wantDialError: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := startEchoServer(t, nil)
			proxy := startConnectProxy(t, tc.require, tc.inURL)
			c, resp, err := dialForRules(s.url, &DialOptions{Proxy: http.ProxyURL(proxy.url)})
			select {
			case got := <-proxy.auths:
				if got != tc.wantAuth {
					t.Errorf("the proxy saw Proxy-Authorization %q, want %q", got, tc.wantAuth)
				}
			case <-time.After(ioTimeout):
				t.Fatalf("the proxy got no request; Dial: %v", err)
			}
			if tc.wantDialError {
				if err == nil {
					c.CloseNow()
					t.Fatal("Dial succeeded through a proxy that refused the tunnel")
				}
				if !strings.Contains(err.Error(), "407") {
					t.Errorf("Dial error = %v, want it to name the proxy's 407", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Dial through the proxy: %v (response %v)", err, resp)
			}
			defer c.CloseNow()
			select {
			case target := <-proxy.targets:
				if target != s.addr {
					t.Errorf("the proxy tunnelled to %q, want %q", target, s.addr)
				}
			default:
				t.Error("Dial succeeded, but not through the proxy")
			}
			if err := c.WriteMessage(frame.OpText, []byte("through the proxy")); err != nil {
				t.Fatal(err)
			}
			op, p, err := readWithin(c)
			if err != nil || op != frame.OpText || string(p) != "through the proxy" {
				t.Errorf("echo through the proxy = %v %q %v", op, p, err)
			}
			if err := c.Close(frame.CloseNormal, ""); err != nil {
				t.Errorf("Close: %v", err)
			}
			s.expectPeerClose(t, frame.CloseNormal)
		})
	}
}

// TestDialIPv6Literal covers §3: the host of a WebSocket URI may be an IPv6 literal in
// brackets, as in ws://[::1]:port/.
func TestDialIPv6Literal(t *testing.T) {
	ln, err := net.Listen("tcp6", "[::1]:0")
	if err != nil {
		t.Skipf("no IPv6 loopback on this machine: %v", err)
	}
	s := startEchoServerOn(t, ln, nil)
	if !strings.HasPrefix(s.url, "ws://[::1]:") {
		t.Fatalf("server URL %q", s.url)
	}
	c, _, err := dialForRules(s.url, nil)
	if err != nil {
		t.Fatalf("Dial %s: %v", s.url, err)
	}
	defer c.CloseNow()
	if err := c.WriteMessage(frame.OpBinary, []byte("v6")); err != nil {
		t.Fatal(err)
	}
	op, p, err := readWithin(c)
	if err != nil || op != frame.OpBinary || string(p) != "v6" {
		t.Errorf("echo over IPv6 = %v %q %v", op, p, err)
	}
	if err := c.Close(frame.CloseNormal, ""); err != nil {
		t.Errorf("Close: %v", err)
	}
}

// TestDialBadURL covers §3: only ws:// and wss:// URIs with a host and no fragment are WebSocket
// URIs; Dial refuses anything else with ErrBadURL before it connects (§4.1: "If [the URI] is
// not valid ... the client MUST _Fail the WebSocket Connection_").
func TestDialBadURL(t *testing.T) {
	for _, tc := range []struct {
		name string
		url  string
	}{
		{"§3 fragment", "ws://127.0.0.1:1/chat#room"},
		{"§3 empty fragment", "ws://127.0.0.1:1/chat#"},
		{"§3 fragment in wss", "wss://127.0.0.1:1/#x"},
		{"§3 scheme ftp", "ftp://127.0.0.1:1/"},
		{"§3 scheme file", "file:///tmp/socket"},
		{"§3 no host", "ws:///path"},
		{"§3 not a URL", "ws://[::1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, _, err := dialForRules(tc.url, nil)
			if err == nil {
				c.CloseNow()
				t.Fatalf("Dial(%q) succeeded", tc.url)
			}
			if !errors.Is(err, ErrBadURL) {
				t.Errorf("Dial(%q) = %v, want an error wrapping ErrBadURL", tc.url, err)
			}
		})
	}
}
