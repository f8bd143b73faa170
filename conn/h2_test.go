package conn

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rfc6455/ws/frame"
	"github.com/rfc6455/ws/handshake"
	_ "github.com/rfc6455/ws/internal/xconnect" // RFC 8441 in net/http's HTTP/2 server and client
)

// h2Server starts an HTTP/2 server over TLS whose handler upgrades with opts and runs serve on
// each Conn, inside the handler, as a Conn over HTTP/2 requires.
func h2Server(t testing.TB, opts *UpgradeOptions, serve func(*Conn)) *httptest.Server {
	t.Helper()
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := Upgrade(w, r, opts)
		if err != nil {
			return
		}
		defer c.CloseNow()
		if c.OverHTTP2() != (r.ProtoMajor == 2) {
			t.Errorf("a Conn upgraded from %s: OverHTTP2 is %v", r.Proto, c.OverHTTP2())
		}
		serve(c)
	}))
	srv.EnableHTTP2 = true
	// net/http's default of 250 streams per connection is below what the memory benchmark
	// holds open on one. Frames of 16 KiB and a connection window of 64 streams' worth, as
	// the doc of Upgrade advises (TestH2StuckReader).
	srv.Config.HTTP2 = &http.HTTP2Config{MaxConcurrentStreams: 2000, MaxReadFrameSize: 16 << 10, MaxReceiveBufferPerConnection: 64 << 20}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv
}

// echoLoop echoes every message until the connection ends.
func echoLoop(c *Conn) {
	var buf []byte
	for {
		op, p, err := c.ReadMessage(buf)
		if err != nil {
			return
		}
		buf = p
		if err := c.WriteMessage(op, p); err != nil {
			return
		}
	}
}

// dialH2 opens a WebSocket over HTTP/2 to srv with an extended CONNECT request (RFC 8441 §4)
// through rt (see h2RoundTripper), and returns the client's Conn and the response.
func dialH2(t testing.TB, rt http.RoundTripper, srv *httptest.Server, header http.Header, compression *CompressionOptions) (*Conn, *http.Response) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	body, out := io.Pipe()
	req, err := http.NewRequestWithContext(ctx, http.MethodConnect, srv.URL+"/chat", body)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set(handshake.ProtocolPseudoHeader, "websocket")
	req.Header.Set("Sec-WebSocket-Version", "13")
	for name, values := range header {
		req.Header[name] = values
	}
	resp, err := rt.RoundTrip(req)
	if err != nil {
		t.Fatalf("extended CONNECT: %v", err)
	}
	if resp.StatusCode != http.StatusOK {
		resp.Body.Close()
		return nil, resp
	}
	if resp.ProtoMajor != 2 {
		t.Fatalf("the response came over %s, want HTTP/2", resp.Proto)
	}
	c := newConn(&pipeStream{r: resp.Body, w: out}, nil, false, 0, 0, 0, time.Second)
	if compression != nil {
		answers, _ := handshake.ParseExtensions(resp.Header)
		for _, answer := range answers {
			params, err := handshake.AcceptDeflateResponse(answer, compression.config(false))
			if err != nil {
				t.Fatal(err)
			}
			c.deflate = newDeflate(c, params, compression)
		}
	}
	t.Cleanup(func() { c.CloseNow() })
	return c, resp
}

// h2RoundTripper returns a round tripper of net/http's HTTP/2 client over a new connection to
// srv. http.Client and http.Transport refuse a :protocol header, as they validate header names
// before they know the request goes over HTTP/2; the HTTP/2 client itself sends it as the
// pseudo-header of RFC 8441 §4. The transport hands it out for a TLS connection that
// negotiated h2, through TLSNextProto.
func h2RoundTripper(t testing.TB, client *http.Client, srv *httptest.Server) http.RoundTripper {
	t.Helper()
	tr := client.Transport.(*http.Transport)
	if resp, err := client.Get(srv.URL + "/"); err == nil { // sets the transport's HTTP/2 up
		resp.Body.Close()
	}
	upgrade := tr.TLSNextProto["h2"]
	if upgrade == nil {
		t.Fatal("the test server's transport has no HTTP/2")
	}
	config := tr.TLSClientConfig.Clone()
	config.NextProtos = []string{"h2"}
	tc, err := tls.Dial("tcp", srv.Listener.Addr().String(), config)
	if err != nil {
		t.Fatal(err)
	}
	return upgrade(srv.Listener.Addr().String(), tc)
}

// pipeStream is the client's side of an HTTP/2 stream in these tests: the response body and
// the request body's pipe.
type pipeStream struct {
	r io.ReadCloser
	w *io.PipeWriter
}

func (p *pipeStream) Read(b []byte) (int, error)  { return p.r.Read(b) }
func (p *pipeStream) Write(b []byte) (int, error) { return p.w.Write(b) }
func (p *pipeStream) Close() error {
	p.w.Close()
	return p.r.Close()
}
func (p *pipeStream) LocalAddr() net.Addr              { return addrString("client") }
func (p *pipeStream) RemoteAddr() net.Addr             { return addrString("server") }
func (p *pipeStream) SetDeadline(time.Time) error      { return nil }
func (p *pipeStream) SetReadDeadline(time.Time) error  { return nil }
func (p *pipeStream) SetWriteDeadline(time.Time) error { return nil }

// TestH2Echo echoes messages of every length encoding (RFC 6455 §5.2) and fragmented ones over
// a WebSocket on an HTTP/2 stream, with the subprotocol chosen as over HTTP/1.1 (RFC 8441 §5),
// and ends with a close handshake.
func TestH2Echo(t *testing.T) {
	ended := make(chan error, 1)
	srv := h2Server(t, &UpgradeOptions{Subprotocols: []string{"wamp"}}, func(c *Conn) {
		var buf []byte
		for {
			op, p, err := c.ReadMessage(buf)
			if err != nil {
				ended <- err
				return
			}
			buf = p
			c.WriteMessage(op, p)
		}
	})
	c, resp := dialH2(t, h2RoundTripper(t, srv.Client(), srv), srv, http.Header{"Sec-Websocket-Protocol": {"soap, wamp"}}, nil)
	if c == nil {
		t.Fatalf("extended CONNECT answered %s", resp.Status)
	}
	if got := resp.Header.Get("Sec-WebSocket-Protocol"); got != "wamp" {
		t.Errorf("RFC 8441 §5, RFC 6455 §4.2.2: subprotocol %q, want wamp", got)
	}
	if resp.Header.Get("Sec-WebSocket-Accept") != "" {
		t.Error("RFC 8441 §5: the response carries Sec-WebSocket-Accept")
	}
	for _, n := range []int{0, 125, 126, 65535, 65536, 1 << 20} {
		want := bytes.Repeat([]byte{'h'}, n)
		if err := c.WriteMessage(frame.OpText, want); err != nil {
			t.Fatal(err)
		}
		op, got, err := c.ReadMessage(nil)
		if err != nil || op != frame.OpText || !bytes.Equal(got, want) {
			t.Fatalf("echo of %d bytes: %v, %d bytes, %v", n, op, len(got), err)
		}
	}
	w, _ := c.NextWriter(frame.OpBinary)
	for range 10 {
		w.Write(bytes.Repeat([]byte{'f'}, 10_000))
	}
	w.Close()
	if _, got, err := c.ReadMessage(nil); err != nil || len(got) != 100_000 {
		t.Fatalf("fragmented echo: %d bytes, %v", len(got), err)
	}
	if err := c.Close(frame.CloseNormal, "done"); err != nil {
		t.Errorf("Close: %v", err)
	}
	var ce *CloseError
	if err := <-ended; !errors.As(err, &ce) || ce.Code != frame.CloseNormal || ce.Reason != "done" {
		t.Errorf("the server's read ended with %v, want the client's close 1000 \"done\"", err)
	}
}

// TestH2Compression negotiates permessage-deflate over HTTP/2 (RFC 8441 §5: extensions as in
// RFC 6455) and echoes compressible messages.
func TestH2Compression(t *testing.T) {
	srv := h2Server(t, &UpgradeOptions{Compression: &CompressionOptions{}}, echoLoop)
	offer := &CompressionOptions{}
	c, resp := dialH2(t, h2RoundTripper(t, srv.Client(), srv), srv, http.Header{"Sec-Websocket-Extensions": {handshake.DeflateOffer(offer.config(false)).String()}}, offer)
	if c == nil || !c.Compressed() {
		t.Fatalf("permessage-deflate not negotiated: %s %q", resp.Status, resp.Header.Get("Sec-WebSocket-Extensions"))
	}
	want := []byte(strings.Repeat("compressible over a stream of HTTP/2. ", 1000))
	c.WriteMessage(frame.OpText, want)
	if _, got, err := c.ReadMessage(nil); err != nil || !bytes.Equal(got, want) {
		t.Fatalf("compressed echo: %d bytes, %v", len(got), err)
	}
}

// TestH2Refusals checks the answers to extended CONNECT requests that are not WebSocket ones.
func TestH2Refusals(t *testing.T) {
	srv := h2Server(t, nil, echoLoop)
	tests := []struct {
		name   string
		header http.Header
		status int
	}{
		{"RFC 9220 §3 another protocol: 501", http.Header{":protocol": {"webtransport"}, "Sec-Websocket-Version": {"13"}}, http.StatusNotImplemented},
		{"RFC 6455 §4.2.1 item 6 no version: 400", http.Header{"Sec-Websocket-Version": nil}, http.StatusBadRequest},
		{"RFC 6455 §4.4 another version: 400 naming 13", http.Header{"Sec-Websocket-Version": {"8"}}, http.StatusBadRequest},
		{"RFC 6455 §10.2 a foreign origin: 403", http.Header{"Origin": {"https://elsewhere.example"}}, http.StatusForbidden},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, resp := dialH2(t, h2RoundTripper(t, srv.Client(), srv), srv, tt.header, nil)
			if c != nil {
				t.Fatal("the request was accepted")
			}
			if resp.StatusCode != tt.status {
				t.Errorf("status %s, want %d", resp.Status, tt.status)
			}
			if tt.status == http.StatusBadRequest && resp.Header.Get("Sec-WebSocket-Version") != "13" {
				t.Errorf("RFC 6455 §4.4: the refusal does not name version 13")
			}
		})
	}
}

// TestH2StuckStream: two WebSockets share one HTTP/2 connection; the client of one stops
// reading while its server writes to it. The other goes on echoing: HTTP/2's flow control
// holds back only the stuck stream, and its writes wait alone.
func TestH2StuckStream(t *testing.T) {
	srv := h2Server(t, nil, func(c *Conn) {
		_, p, err := c.ReadMessage(nil)
		if err != nil {
			return
		}
		if string(p) == "flood me" {
			c.SetWriteDeadline(time.Now().Add(3 * time.Second))
			for c.WriteMessage(frame.OpBinary, make([]byte, 64<<10)) == nil {
			}
			return
		}
		c.WriteMessage(frame.OpText, p)
		echoLoop(c)
	})
	rt := h2RoundTripper(t, srv.Client(), srv) // one HTTP/2 connection for both
	stuck, _ := dialH2(t, rt, srv, nil, nil)
	stuck.WriteMessage(frame.OpText, []byte("flood me"))
	time.Sleep(100 * time.Millisecond) // the flood fills the stream's window
	live, _ := dialH2(t, rt, srv, nil, nil)
	for i := range 20 {
		want := []byte(strings.Repeat("x", i*100))
		if err := live.WriteMessage(frame.OpText, want); err != nil {
			t.Fatal(err)
		}
		live.SetReadDeadline(time.Now().Add(2 * time.Second))
		if _, got, err := live.ReadMessage(nil); err != nil || !bytes.Equal(got, want) {
			t.Fatalf("the live stream beside a stuck one: %d bytes, %v", len(got), err)
		}
	}
}

// TestH2StreamEnd: the client ends its stream without a close frame; RFC 8441 §6 makes that
// the TCP close of RFC 6455, so the server's read fails with 1006 (§7.1.5).
func TestH2StreamEnd(t *testing.T) {
	ended := make(chan error, 1)
	srv := h2Server(t, nil, func(c *Conn) {
		_, _, err := c.ReadMessage(nil)
		ended <- err
	})
	c, _ := dialH2(t, h2RoundTripper(t, srv.Client(), srv), srv, nil, nil)
	c.NetConn().(*pipeStream).w.Close()
	var ce *CloseError
	select {
	case err := <-ended:
		if !errors.As(err, &ce) || ce.Code != frame.CloseAbnormal {
			t.Fatalf("the server read %v, want 1006", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the server did not see the stream end")
	}
}

// TestH2ManyStreams: 100 WebSockets on one HTTP/2 connection echo at the same time; closing one
// leaves the others open (RFC 8441 §6: the end of a stream is the end of its WebSocket only).
func TestH2ManyStreams(t *testing.T) {
	srv := h2Server(t, nil, echoLoop)
	rt := h2RoundTripper(t, srv.Client(), srv)
	conns := make([]*Conn, 100)
	for i := range conns {
		c, resp := dialH2(t, rt, srv, nil, nil)
		if c == nil {
			t.Fatalf("stream %d: %s", i, resp.Status)
		}
		conns[i] = c
	}
	conns[0].Close(frame.CloseNormal, "")
	errs := make(chan error, len(conns))
	for i, c := range conns[1:] {
		go func() {
			want := bytes.Repeat([]byte{byte('a' + i%26)}, 1000+i)
			for range 10 {
				if err := c.WriteMessage(frame.OpBinary, want); err != nil {
					errs <- err
					return
				}
				if _, got, err := c.ReadMessage(nil); err != nil || !bytes.Equal(got, want) {
					errs <- errors.Join(err, errors.New("wrong echo"))
					return
				}
			}
			errs <- nil
		}()
	}
	for range conns[1:] {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
}

// TestH2KeyIgnored: RFC 8441 §5 leaves Sec-WebSocket-Key out; a client that sends one anyway is
// served, and no Sec-WebSocket-Accept comes back.
func TestH2KeyIgnored(t *testing.T) {
	srv := h2Server(t, nil, echoLoop)
	c, resp := dialH2(t, h2RoundTripper(t, srv.Client(), srv), srv, http.Header{"Sec-Websocket-Key": {"not even base64"}}, nil)
	if c == nil {
		t.Fatalf("a request with Sec-WebSocket-Key: %s", resp.Status)
	}
	if resp.Header.Get("Sec-WebSocket-Accept") != "" {
		t.Error("RFC 8441 §5: Sec-WebSocket-Accept in the response")
	}
	c.WriteMessage(frame.OpText, []byte("key ignored"))
	if _, p, err := c.ReadMessage(nil); err != nil || string(p) != "key ignored" {
		t.Fatalf("echo: %q, %v", p, err)
	}
}

// BenchmarkEchoH2 measures a message's round trip to an echo server over TLS, through a
// WebSocket on an HTTP/2 stream (RFC 8441) and, in the same run, on an HTTP/1.1 connection of its
// own (RFC 6455), so that the two compare:
//
//	go test -run '^$' -bench EchoH2 -count 5 ./conn | tee /tmp/h2.txt && benchstat -col /proto /tmp/h2.txt
//
// proto=h2 reads and writes the stream directly (net/http's HTTP/2 client and a pipe);
// proto=h2-dial is Dial with an HTTP2Client, whose stream adds a reading goroutine (for read
// deadlines that do not break it) to that path.
func BenchmarkEchoH2(b *testing.B) {
	srv := h2Server(b, nil, echoLoop)
	for _, size := range []int{16, 1 << 10, 64 << 10} {
		for _, proto := range []string{"http1.1", "h2", "h2-dial"} {
			b.Run(fmt.Sprintf("size=%d/proto=%s", size, proto), func(b *testing.B) {
				var c *Conn
				switch proto {
				case "h2":
					c, _ = dialH2(b, h2RoundTripper(b, srv.Client(), srv), srv, nil, nil)
				case "h2-dial":
					c = dialWith(b, srv, &HTTP2Client{})
				default:
					ctx, cancel := context.WithTimeout(context.Background(), ioTimeout)
					defer cancel()
					var err error
					c, _, err = Dial(ctx, "wss"+strings.TrimPrefix(srv.URL, "https"), &DialOptions{
						TLSConfig: srv.Client().Transport.(*http.Transport).TLSClientConfig,
					})
					if err != nil {
						b.Fatal(err)
					}
					defer c.CloseNow()
				}
				msg := make([]byte, size)
				var buf []byte
				b.SetBytes(int64(size))
				b.ReportAllocs()
				for b.Loop() {
					if err := c.WriteMessage(frame.OpBinary, msg); err != nil {
						b.Fatal(err)
					}
					var err error
					if _, buf, err = c.ReadMessage(buf); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// TestDialOffersOnlyHTTP1: Dial runs RFC 6455's upgrade of an HTTP/1.1 connection, so over TLS it
// offers only http/1.1 in ALPN, even with a config that lists h2 (one shared with an HTTP/2
// client): a server that speaks both would otherwise choose h2 and wait for its preface.
func TestDialOffersOnlyHTTP1(t *testing.T) {
	srv := h2Server(t, nil, echoLoop)
	config := srv.Client().Transport.(*http.Transport).TLSClientConfig.Clone()
	config.NextProtos = []string{"h2", "http/1.1"}
	ctx, cancel := context.WithTimeout(context.Background(), ioTimeout)
	defer cancel()
	c, _, err := Dial(ctx, "wss"+strings.TrimPrefix(srv.URL, "https"), &DialOptions{TLSConfig: config})
	if err != nil {
		t.Fatalf("Dial with h2 in NextProtos: %v", err)
	}
	defer c.CloseNow()
	if p := c.NetConn().(*tls.Conn).ConnectionState().NegotiatedProtocol; p == "h2" {
		t.Errorf("ALPN chose %q", p)
	}
	c.WriteMessage(frame.OpText, []byte("over HTTP/1.1"))
	if _, p, err := c.ReadMessage(nil); err != nil || string(p) != "over HTTP/1.1" {
		t.Fatalf("echo: %q, %v", p, err)
	}
}

// BenchmarkH2StreamMemory measures what a WebSocket over an HTTP/2 stream costs, server and
// client side together (net/http's HTTP/2 server and client, and a Conn on each side), after
// one 1 KiB echo on it: each iteration opens one more stream on the same HTTP/2 connection and
// keeps it open. Run it with a fixed count:
//
//	go test -run '^$' -bench H2StreamMemory -benchtime 1000x ./conn
//
// A heap profile (-memprofile) splits the figure: most of it is net/http's HTTP/2 client,
// which holds a request-body buffer of the server's SETTINGS_MAX_FRAME_SIZE, up to 512 KiB,
// for as long as a stream's body is open (writeRequestBody), and a WebSocket's never closes:
// with net/http's server default of 1 MiB frames, 540 KiB a stream; with the 16 KiB that
// h2Server sets, 32 KiB. The server's side is a few KiB.
func BenchmarkH2StreamMemory(b *testing.B) {
	srv := h2Server(b, nil, echoLoop)
	msg := make([]byte, 1024)
	measure := func(b *testing.B, open func() *Conn) {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		for b.Loop() {
			c := open()
			c.WriteMessage(frame.OpBinary, msg)
			if _, _, err := c.ReadMessage(nil); err != nil {
				b.Fatal(err)
			}
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		b.ReportMetric(float64(after.HeapInuse-before.HeapInuse)/float64(b.N), "heap-B/stream")
		b.ReportMetric(float64(after.StackInuse-before.StackInuse)/float64(b.N), "stack-B/stream")
	}
	// client=raw: the stream read and written directly; client=dial: Dial with one
	// HTTP2Client, whose streams each have a reading goroutine and its 16 KiB buffer.
	b.Run("client=raw", func(b *testing.B) {
		rt := h2RoundTripper(b, srv.Client(), srv)
		measure(b, func() *Conn {
			c, resp := dialH2(b, rt, srv, nil, nil)
			if c == nil {
				b.Fatalf("stream refused: %s", resp.Status)
			}
			return c
		})
	})
	b.Run("client=dial", func(b *testing.B) {
		h := &HTTP2Client{}
		measure(b, func() *Conn { return dialWith(b, srv, h) })
	})
}

// TestDialHTTP2 dials wss:// with an HTTP2Client: the WebSocket is a stream of an HTTP/2
// connection (RFC 8441), two of them share one connection, and every feature works as over
// HTTP/1.1: echo, subprotocol, permessage-deflate, keepalive's deadlines, the close handshake.
func TestDialHTTP2(t *testing.T) {
	remotes := make(chan string, 4)
	srv := h2Server(t, &UpgradeOptions{Subprotocols: []string{"wamp"}, Compression: &CompressionOptions{}}, func(c *Conn) {
		remotes <- c.RemoteAddr().String()
		echoLoop(c)
	})
	client := &HTTP2Client{}
	dial := func() *Conn {
		ctx, cancel := context.WithTimeout(context.Background(), ioTimeout)
		defer cancel()
		c, _, err := Dial(ctx, "wss"+strings.TrimPrefix(srv.URL, "https")+"/", &DialOptions{
			TLSConfig:    srv.Client().Transport.(*http.Transport).TLSClientConfig,
			HTTP2:        client,
			Subprotocols: []string{"soap", "wamp"},
			Compression:  &CompressionOptions{},
			PingInterval: 20 * time.Millisecond,
		})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.CloseNow() })
		return c
	}
	first, second := dial(), dial()
	for _, c := range []*Conn{first, second} {
		if !c.OverHTTP2() || c.Subprotocol() != "wamp" || !c.Compressed() {
			t.Fatalf("OverHTTP2 %v, subprotocol %q, compressed %v; want HTTP/2, wamp, compressed", c.OverHTTP2(), c.Subprotocol(), c.Compressed())
		}
	}
	if a, b := <-remotes, <-remotes; a != b {
		t.Errorf("the two WebSockets came from %s and %s, want one HTTP/2 connection", a, b)
	}
	want := bytes.Repeat([]byte("over a stream "), 1000)
	for _, c := range []*Conn{first, second} {
		c.WriteMessage(frame.OpText, want)
		if _, got, err := c.ReadMessage(nil); err != nil || !bytes.Equal(got, want) {
			t.Fatalf("echo: %d bytes, %v", len(got), err)
		}
	}
	if err := first.Close(frame.CloseNormal, ""); err != nil {
		t.Errorf("Close: %v", err)
	}
	second.WriteMessage(frame.OpText, []byte("still here"))
	if _, got, err := second.ReadMessage(nil); err != nil || string(got) != "still here" {
		t.Fatalf("the other stream after a close: %q, %v", got, err)
	}
	// Keepalive pings while a read waits, over the stream's read deadline, and the answers
	// keep the read going until the application's own deadline ends it.
	var pongs atomic.Int32
	second.SetPongHandler(func([]byte) { pongs.Add(1) })
	second.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
	if _, _, err := second.ReadMessage(nil); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("read = %v, want the application's deadline", err)
	}
	if n := pongs.Load(); n < 3 {
		t.Errorf("%d pongs in ten ping intervals over HTTP/2", n)
	}
}

// TestDialHTTP2Fallback: with an HTTP2Client, a server that speaks HTTP/1.1 only gets RFC 6455's
// handshake on the same TLS connection.
func TestDialHTTP2Fallback(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := Upgrade(w, r, nil)
		if err != nil {
			return
		}
		echoLoop(c)
	}))
	t.Cleanup(srv.Close)
	ctx, cancel := context.WithTimeout(context.Background(), ioTimeout)
	defer cancel()
	c, _, err := Dial(ctx, "wss"+strings.TrimPrefix(srv.URL, "https"), &DialOptions{
		TLSConfig: srv.Client().Transport.(*http.Transport).TLSClientConfig,
		HTTP2:     &HTTP2Client{},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	if c.OverHTTP2() {
		t.Error("OverHTTP2 on an HTTP/1.1 server")
	}
	c.WriteMessage(frame.OpText, []byte("fell back"))
	if _, got, err := c.ReadMessage(nil); err != nil || string(got) != "fell back" {
		t.Fatalf("echo: %q, %v", got, err)
	}
}

// TestDialH2C dials ws:// with HTTP2Client.Cleartext: HTTP/2 with prior knowledge (RFC 9113
// §3.3) to a cleartext server, two WebSockets as streams of one connection; a server without
// extended CONNECT gets RFC 6455's handshake instead.
func TestDialH2C(t *testing.T) {
	remotes := make(chan string, 2)
	var protocols http.Protocols
	protocols.SetHTTP1(true)
	protocols.SetUnencryptedHTTP2(true)
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer c.CloseNow()
		if r.ProtoMajor != 2 {
			t.Errorf("a WebSocket over %s, want HTTP/2", r.Proto)
		}
		remotes <- c.RemoteAddr().String()
		echoLoop(c)
	}))
	srv.Config.Protocols = &protocols
	srv.Start()
	t.Cleanup(srv.Close)

	client := &HTTP2Client{Cleartext: true}
	var conns []*Conn
	for i := 0; i < 2; i++ {
		ctx, cancel := context.WithTimeout(context.Background(), ioTimeout)
		c, _, err := Dial(ctx, "ws"+strings.TrimPrefix(srv.URL, "http")+"/", &DialOptions{HTTP2: client})
		cancel()
		if err != nil {
			t.Fatal(err)
		}
		defer c.CloseNow()
		if !c.OverHTTP2() {
			t.Fatal("OverHTTP2 is false with prior knowledge")
		}
		conns = append(conns, c)
	}
	if a, b := <-remotes, <-remotes; a != b {
		t.Errorf("the two WebSockets came from %s and %s, want one HTTP/2 connection", a, b)
	}
	for i, c := range conns {
		want := fmt.Sprintf("h2c stream %d", i)
		c.WriteMessage(frame.OpText, []byte(want))
		if _, got, err := c.ReadMessage(nil); err != nil || string(got) != want {
			t.Fatalf("echo: %q, %v", got, err)
		}
		if err := c.Close(frame.CloseNormal, ""); err != nil {
			t.Errorf("Close: %v", err)
		}
	}
}

// TestDialH2CRefused: prior knowledge to a server that speaks only HTTP/1.1 fails the Dial with
// an error, in bounded time, as RFC 9113 §3.3 leaves it (nothing to fall back on).
func TestDialH2CRefused(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if c, err := Upgrade(w, r, nil); err == nil {
			c.CloseNow()
		}
	}))
	t.Cleanup(srv.Close)
	ctx, cancel := context.WithTimeout(context.Background(), ioTimeout)
	defer cancel()
	c, _, err := Dial(ctx, "ws"+strings.TrimPrefix(srv.URL, "http")+"/", &DialOptions{HTTP2: &HTTP2Client{Cleartext: true}})
	if err == nil {
		c.CloseNow()
		t.Fatal("Dial with prior knowledge succeeded against an HTTP/1.1-only server")
	}
	if ctx.Err() != nil {
		t.Fatalf("Dial took the whole timeout: %v", err)
	}
	t.Logf("error: %v", err)
}

// TestH2FailedStreamAfterHandler: a protocol error on a WebSocket over HTTP/2 fails the Conn
// with a close frame (1002, RFC 6455 §7.1.7), and the handler returns at once, as an echo loop
// does. The Conn must leave the ResponseWriter alone from then on: a drain in the background,
// as over TCP, used it after the handler had returned, which the race detector reports and
// which crashed net/http's HTTP/2 server (a nil rws in SetReadDeadline).
func TestH2FailedStreamAfterHandler(t *testing.T) {
	returned := make(chan struct{}, 64)
	srv := h2Server(t, nil, func(c *Conn) {
		echoLoop(c)
		returned <- struct{}{}
	})
	rt := h2RoundTripper(t, srv.Client(), srv)
	for i := 0; i < 32; i++ {
		c, _ := dialH2(t, rt, srv, nil, nil)
		// §5.1: an unmasked frame from a client is a protocol error.
		c.NetConn().(*pipeStream).w.Write([]byte{0x81, 0x02, 'h', 'i'})
		var ce *CloseError
		if _, _, err := c.ReadMessage(nil); !errors.As(err, &ce) || ce.Code != frame.CloseProtocolError {
			t.Fatalf("stream %d: read %v, want the server's close 1002", i, err)
		}
		select {
		case <-returned:
		case <-time.After(5 * time.Second):
			t.Fatal("the handler did not return after the failure")
		}
	}
}

// dialWith dials srv over wss:// with h (nil: HTTP/1.1) and closes the Conn when the test ends.
func dialWith(b testing.TB, srv *httptest.Server, h *HTTP2Client) *Conn {
	b.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), ioTimeout)
	defer cancel()
	c, _, err := Dial(ctx, "wss"+strings.TrimPrefix(srv.URL, "https"), &DialOptions{
		TLSConfig: srv.Client().Transport.(*http.Transport).TLSClientConfig,
		HTTP2:     h,
	})
	if err != nil {
		b.Fatal(err)
	}
	if c.OverHTTP2() != (h != nil) {
		b.Fatalf("OverHTTP2 = %v with HTTP2Client %v", c.OverHTTP2(), h)
	}
	b.Cleanup(func() { c.CloseNow() })
	return c
}

// BenchmarkDialH2 measures the opening of a WebSocket, Dial to an open Conn, then CloseNow:
// over HTTP/1.1 (TCP, TLS, the upgrade), over a new HTTP/2 connection (TCP, TLS, SETTINGS,
// the extended CONNECT) and as a new stream of an HTTP/2 connection already open (one round
// trip, the CONNECT and its 200).
func BenchmarkDialH2(b *testing.B) {
	srv := h2Server(b, nil, echoLoop)
	tlsConfig := srv.Client().Transport.(*http.Transport).TLSClientConfig
	dial := func(b *testing.B, h *HTTP2Client) {
		ctx, cancel := context.WithTimeout(context.Background(), ioTimeout)
		defer cancel()
		c, _, err := Dial(ctx, "wss"+strings.TrimPrefix(srv.URL, "https"), &DialOptions{TLSConfig: tlsConfig, HTTP2: h})
		if err != nil {
			b.Fatal(err)
		}
		c.CloseNow()
	}
	b.Run("proto=http1.1", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			dial(b, nil)
		}
	})
	b.Run("proto=h2-new-connection", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			h := &HTTP2Client{}
			dial(b, h)
			h.CloseIdleConnections()
		}
	})
	b.Run("proto=h2-shared-connection", func(b *testing.B) {
		h := &HTTP2Client{}
		dial(b, h) // opens the connection
		b.ReportAllocs()
		for b.Loop() {
			dial(b, h)
		}
		h.CloseIdleConnections()
	})
}

// TestH2StreamReset: RST_STREAM is the reset of RFC 8441 §6, an abnormal end (1006, RFC 6455
// §7.1.5) for either side. The client resets by closing the response body mid-stream (net/http
// sends RST_STREAM CANCEL); the server by aborting its handler (RST_STREAM INTERNAL_ERROR).
func TestH2StreamReset(t *testing.T) {
	ended := make(chan error, 1)
	srv := h2Server(t, nil, func(c *Conn) {
		_, p, err := c.ReadMessage(nil)
		if err == nil && string(p) == "abort" {
			panic(http.ErrAbortHandler)
		}
		if err == nil {
			_, _, err = c.ReadMessage(nil)
		}
		ended <- err
	})
	rt := h2RoundTripper(t, srv.Client(), srv)

	t.Run("client resets", func(t *testing.T) {
		c, _ := dialH2(t, rt, srv, nil, nil)
		c.WriteMessage(frame.OpText, []byte("hello"))
		time.Sleep(50 * time.Millisecond) // the server reads it, and waits for more
		c.NetConn().(*pipeStream).r.Close()
		var ce *CloseError
		select {
		case err := <-ended:
			if !errors.As(err, &ce) || ce.Code != frame.CloseAbnormal {
				t.Fatalf("the server read %v, want 1006", err)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("the server did not see the reset")
		}
	})
	t.Run("server resets", func(t *testing.T) {
		c, _ := dialH2(t, rt, srv, nil, nil)
		c.WriteMessage(frame.OpText, []byte("abort"))
		var ce *CloseError
		if _, _, err := c.ReadMessage(nil); !errors.As(err, &ce) || ce.Code != frame.CloseAbnormal {
			t.Fatalf("the client read %v, want 1006", err)
		}
		// The connection's other streams live on.
		live, _ := dialH2(t, rt, srv, nil, nil)
		if err := live.WriteMessage(frame.OpText, []byte("still")); err != nil {
			t.Fatal(err)
		}
	})
}

// TestH2StuckReader: the handler of one WebSocket stops reading while its client goes on
// sending; a WebSocket on another stream of the same connection must go on echoing. net/http's
// HTTP/2 server gives flow-control credit back to the connection only as handlers read, so the
// stuck stream keeps its window's worth (1 MiB) of the connection's; with net/http's default
// connection window, also 1 MiB, that stalled every other stream. h2Server sets the connection
// window to 64 MiB, as Upgrade's doc advises and cmd/echo does.
func TestH2StuckReader(t *testing.T) {
	hold := make(chan struct{})
	defer close(hold)
	srv := h2Server(t, nil, func(c *Conn) {
		_, p, err := c.ReadMessage(nil)
		if err != nil {
			return
		}
		if string(p) == "hold" {
			<-hold
			return
		}
		c.WriteMessage(frame.OpText, p)
		echoLoop(c)
	})
	rt := h2RoundTripper(t, srv.Client(), srv)
	stuck, _ := dialH2(t, rt, srv, nil, nil)
	stuck.WriteMessage(frame.OpText, []byte("hold"))
	go func() {
		for i := 0; i < 64; i++ { // 4 MiB, more than the stream's window
			if stuck.WriteMessage(frame.OpBinary, make([]byte, 64<<10)) != nil {
				return
			}
		}
	}()
	time.Sleep(300 * time.Millisecond) // the stream's window fills
	live, _ := dialH2(t, rt, srv, nil, nil)
	want := bytes.Repeat([]byte("y"), 1000)
	echoed := make(chan error, 1)
	go func() {
		live.WriteMessage(frame.OpText, want)
		_, got, err := live.ReadMessage(nil)
		if err == nil && !bytes.Equal(got, want) {
			err = fmt.Errorf("%d bytes back", len(got))
		}
		echoed <- err
	}()
	select {
	case err := <-echoed:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("a stream beside one whose handler stopped reading is stalled")
	}
}

// TestH2ConcurrentDials: WebSockets dialed at the same time through one HTTP2Client share the
// HTTP/2 connections it opens, a new one when those it has are full (the server's
// SETTINGS_MAX_CONCURRENT_STREAMS, RFC 9113 §5.1.2), and none of the dials fails for want of
// room, however the streams of other WebSockets end meanwhile.
func TestH2ConcurrentDials(t *testing.T) {
	srv := h2Server(t, nil, echoLoop)
	srv.Config.HTTP2.MaxConcurrentStreams = 3
	for round := range 20 {
		h := &HTTP2Client{}
		errs := make(chan error, 10)
		for i := range 10 {
			go func() {
				ctx, cancel := context.WithTimeout(context.Background(), ioTimeout)
				defer cancel()
				c, _, err := Dial(ctx, "wss"+strings.TrimPrefix(srv.URL, "https"), &DialOptions{
					TLSConfig: srv.Client().Transport.(*http.Transport).TLSClientConfig,
					HTTP2:     h,
				})
				if err != nil {
					errs <- fmt.Errorf("round %d, dial %d: %w", round, i, err)
					return
				}
				defer c.CloseNow()
				if !c.OverHTTP2() {
					errs <- fmt.Errorf("round %d, dial %d: over HTTP/1.1", round, i)
					return
				}
				msg := []byte(fmt.Sprintf("dial %d", i))
				c.WriteMessage(frame.OpText, msg)
				if _, got, err := c.ReadMessage(nil); err != nil || !bytes.Equal(got, msg) {
					errs <- fmt.Errorf("round %d, dial %d: echo %q, %v", round, i, got, err)
					return
				}
				// Some end at once, making room on a full connection as others dial.
				if i%2 == 0 {
					c.Close(frame.CloseNormal, "")
				}
				errs <- nil
			}()
		}
		for range 10 {
			if err := <-errs; err != nil {
				t.Error(err)
			}
		}
		h.CloseIdleConnections()
	}
}
