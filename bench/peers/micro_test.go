package peers_test

import (
	"bufio"
	"bytes"
	"compress/flate"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"testing"
	"time"
	"unicode/utf8"

	coder "github.com/coder/websocket"
	"github.com/gobwas/ws"
	"github.com/gorilla/websocket"
	"github.com/lxzan/gws"

	"github.com/rfc6455/ws/bench/peers/echoservers"
	"github.com/rfc6455/ws/bench/peers/load"
	"github.com/rfc6455/ws/conn"
	"github.com/rfc6455/ws/frame"
	"github.com/rfc6455/ws/handshake"
	"github.com/rfc6455/ws/internal/pipenet"
	"github.com/rfc6455/ws/mask"
)

// The benchmarks name their sub-benchmarks key=value, with the library as lib=NAME, so that
//
//	benchstat -col /lib results.txt
//
// puts the libraries side by side, one row per workload.

var maskSizes = []struct {
	name string
	n    int
}{{"16B", 16}, {"128B", 128}, {"1KiB", 1 << 10}, {"16KiB", 16 << 10}, {"1MiB", 1 << 20}}

var maskKey = [4]byte{0xa1, 0xb2, 0xc3, 0xd4}

// maskers are the masking functions compared (RFC 6455 §5.3): ours, and gobwas's ws.Cipher.
// gorilla and gws mask with unexported functions, coder with an internal package.
var maskers = []struct {
	lib   string
	apply func(b []byte)
}{
	{"ours", func(b []byte) { mask.Apply(maskKey, 0, b) }},
	{"gobwas", func(b []byte) { ws.Cipher(b, maskKey, 0) }},
}

// BenchmarkMask measures masking a payload in place, from key offset 0.
func BenchmarkMask(b *testing.B) {
	for _, m := range maskers {
		for _, size := range maskSizes {
			b.Run("lib="+m.lib+"/size="+size.name, func(b *testing.B) {
				p := make([]byte, size.n)
				b.SetBytes(int64(size.n))
				b.ReportAllocs()
				for b.Loop() {
					m.apply(p)
				}
			})
		}
	}
}

// TestMaskersAgree checks that the masking functions compared compute the same bytes, at every
// length around the sizes where word-at-a-time code changes strategy.
func TestMaskersAgree(t *testing.T) {
	for n := 0; n < 300; n++ {
		want := bytes.Repeat([]byte{0x5a}, n)
		for i := range want {
			want[i] ^= maskKey[i%4] // §5.3, byte by byte
		}
		for _, m := range maskers {
			got := bytes.Repeat([]byte{0x5a}, n)
			m.apply(got)
			if !bytes.Equal(got, want) {
				t.Fatalf("%s: %d bytes masked wrongly", m.lib, n)
			}
		}
	}
}

// headerCases are client frame headers of each length encoding (§5.2): 7-bit, 16-bit and 64-bit
// payload lengths, all masked, as a server parses them.
var headerCases = []struct {
	name string
	h    frame.Header
}{
	{"len=125", frame.Header{Fin: true, Op: frame.OpText, Masked: true, Key: maskKey, Length: 125}},
	{"len=1KiB", frame.Header{Fin: true, Op: frame.OpBinary, Masked: true, Key: maskKey, Length: 1 << 10}},
	{"len=1MiB", frame.Header{Fin: false, Op: frame.OpBinary, Masked: true, Key: maskKey, Length: 1 << 20}},
}

// BenchmarkParseHeader measures decoding one frame header from bytes already in memory: ours with
// frame.ParseHeader on a slice, gobwas with ws.ReadHeaderBuffer (its allocation-free variant) on a
// bytes.Reader, and ours with frame.ReadHeader on a bytes.Reader for a like-for-like reader.
func BenchmarkParseHeader(b *testing.B) {
	for _, c := range headerCases {
		wire := frame.AppendHeader(nil, c.h)
		b.Run("lib=ours/"+c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				h, _, err := frame.ParseHeader(wire)
				if err != nil || h.Length != c.h.Length {
					b.Fatal(h, err)
				}
			}
		})
		b.Run("lib=ours-reader/"+c.name, func(b *testing.B) {
			r := bytes.NewReader(wire)
			b.ReportAllocs()
			for b.Loop() {
				r.Reset(wire)
				h, err := frame.ReadHeader(r)
				if err != nil || h.Length != c.h.Length {
					b.Fatal(h, err)
				}
			}
		})
		b.Run("lib=gobwas/"+c.name, func(b *testing.B) {
			r := bytes.NewReader(wire)
			buf := make([]byte, ws.MaxHeaderSize)
			b.ReportAllocs()
			for b.Loop() {
				r.Reset(wire)
				h, err := ws.ReadHeaderBuffer(r, buf)
				if err != nil || h.Length != c.h.Length {
					b.Fatal(h, err)
				}
			}
		})
	}
}

// TestHeaderParsersAgree checks that the parsers compared decode the same fields.
func TestHeaderParsersAgree(t *testing.T) {
	for _, c := range headerCases {
		wire := frame.AppendHeader(nil, c.h)
		ours, n, err := frame.ParseHeader(wire)
		if err != nil || n != len(wire) || ours != c.h {
			t.Fatalf("%s: ours %+v %d %v", c.name, ours, n, err)
		}
		g, err := ws.ReadHeaderBuffer(bytes.NewReader(wire), make([]byte, ws.MaxHeaderSize))
		if err != nil || g.Fin != c.h.Fin || byte(g.OpCode) != byte(c.h.Op) || g.Masked != c.h.Masked ||
			g.Mask != c.h.Key || g.Length != c.h.Length {
			t.Fatalf("%s: gobwas %+v %v", c.name, g, err)
		}
	}
}

// upgradeHandlers complete the server side of an opening handshake (RFC 6455 §4.2.2) and close
// the connection at once, with the options of the echo servers. ours and gobwas upgrade a raw
// net.Conn (conn.UpgradeConn; gobwas's zero-copy ws.Upgrade), without net/http; ours-http and
// gobwas-http upgrade from net/http like the others.
var upgradeHandlers = []struct {
	lib  string
	http http.HandlerFunc
	raw  func(net.Conn)
}{
	{lib: "ours-http", http: func(w http.ResponseWriter, r *http.Request) {
		if c, err := conn.Upgrade(w, r, nil); err == nil {
			c.CloseNow()
		}
	}},
	{lib: "ours", raw: func(c net.Conn) {
		if wc, err := conn.UpgradeConn(c, nil); err == nil {
			wc.CloseNow()
		}
	}},
	{lib: "gorilla", http: func(w http.ResponseWriter, r *http.Request) {
		u := websocket.Upgrader{ReadBufferSize: 4096, WriteBufferSize: 4096}
		if c, err := u.Upgrade(w, r, nil); err == nil {
			c.Close()
		}
	}},
	{lib: "gobwas", raw: func(c net.Conn) {
		ws.Upgrade(c)
		c.Close()
	}},
	// gobwas-timeout is gobwas bounded in time as UpgradeConn is: ws.Upgrade sets no deadline of
	// its own, so a server sets one around it against clients that never finish their request.
	{lib: "gobwas-timeout", raw: func(c net.Conn) {
		c.SetReadDeadline(time.Now().Add(30 * time.Second))
		if _, err := ws.Upgrade(c); err == nil {
			c.SetReadDeadline(time.Time{})
		}
		c.Close()
	}},
	// gobwas-conn is gobwas-timeout plus the state gobwas's echo server builds per connection (a
	// 4 KiB bufio.Reader and a struct): like ours, a connection ready to read.
	{lib: "gobwas-conn", raw: func(c net.Conn) {
		c.SetReadDeadline(time.Now().Add(30 * time.Second))
		if _, err := echoservers.UpgradeGobwasConn(c); err == nil {
			c.SetReadDeadline(time.Time{})
		}
		c.Close()
	}},
	{lib: "gobwas-http", http: func(w http.ResponseWriter, r *http.Request) {
		if c, _, _, err := ws.UpgradeHTTP(r, w); err == nil {
			c.Close()
		}
	}},
	{lib: "gws", http: func() http.HandlerFunc {
		u := gws.NewUpgrader(gws.BuiltinEventHandler{}, &gws.ServerOption{CheckUtf8Enabled: true})
		return func(w http.ResponseWriter, r *http.Request) {
			if c, err := u.Upgrade(w, r); err == nil {
				c.NetConn().Close()
			}
		}
	}()},
	{lib: "coder", http: func(w http.ResponseWriter, r *http.Request) {
		if c, err := coder.Accept(w, r, nil); err == nil {
			c.CloseNow()
		}
	}},
}

// upgradeRequest is the handshake the shared client sends: the example of RFC 6455 §1.3, whose
// Sec-WebSocket-Accept is upgradeAccept.
var upgradeRequest = []byte("GET /chat HTTP/1.1\r\nHost: server.example.com\r\nUpgrade: websocket\r\n" +
	"Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")

const upgradeAccept = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="

// upgradeOnce opens a connection with dial, sends the handshake request, reads the response and
// checks it is a 101 with the right accept value. The client is the same few lines for every
// library, so the differences are the servers'.
func upgradeOnce(dial func() (net.Conn, error), buf []byte) error {
	c, err := dial()
	if err != nil {
		return err
	}
	defer c.Close()
	if _, err := c.Write(upgradeRequest); err != nil {
		return err
	}
	n := 0
	for !bytes.Contains(buf[:n], []byte("\r\n\r\n")) {
		if n == len(buf) {
			return errors.New("response too long")
		}
		m, err := c.Read(buf[n:])
		n += m
		if err != nil {
			return fmt.Errorf("after %q: %w", buf[:n], err)
		}
	}
	if !bytes.HasPrefix(buf, []byte("HTTP/1.1 101 ")) || !bytes.Contains(buf[:n], []byte(upgradeAccept)) {
		return fmt.Errorf("not a valid 101 response: %q", buf[:n])
	}
	return nil
}

// serveUpgrades serves upgradeHandlers[i] on l until the test ends.
func serveUpgrades(tb testing.TB, i int, l net.Listener) {
	tb.Cleanup(func() { l.Close() })
	if h := upgradeHandlers[i].http; h != nil {
		go (&http.Server{Handler: h}).Serve(l)
		return
	}
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go upgradeHandlers[i].raw(c)
		}
	}()
}

// upgradeTransports are the connections BenchmarkUpgrade runs handshakes over: in-memory pipes,
// which leave the libraries' own work alone, and loopback TCP, which adds the kernel's
// connection setup, as a real server sees it. The TCP client resets the connection when it
// closes it (SO_LINGER 0), so that a long run does not exhaust the ephemeral ports with
// connections in TIME_WAIT.
var upgradeTransports = []struct {
	name   string
	listen func(tb testing.TB) (net.Listener, func() (net.Conn, error))
}{
	{"pipe", func(tb testing.TB) (net.Listener, func() (net.Conn, error)) {
		l := pipenet.Listen()
		return l, func() (net.Conn, error) { return l.DialContext(context.Background(), "pipe", "pipe") }
	}},
	{"tcp", func(tb testing.TB) (net.Listener, func() (net.Conn, error)) {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			tb.Fatal(err)
		}
		addr := l.Addr().String()
		return l, func() (net.Conn, error) {
			c, err := net.Dial("tcp", addr)
			if err == nil {
				c.(*net.TCPConn).SetLinger(0)
			}
			return c, err
		}
	}},
}

// BenchmarkUpgrade measures one opening handshake over an in-memory pipe and over loopback TCP:
// the client's request, the server's checks and its 101 response (§4.2.2), the client's check of
// the response, then close. Time and allocations are client and server together; the client is
// the same for all.
func BenchmarkUpgrade(b *testing.B) {
	for _, tr := range upgradeTransports {
		for i, u := range upgradeHandlers {
			b.Run("net="+tr.name+"/lib="+u.lib, func(b *testing.B) {
				l, dial := tr.listen(b)
				serveUpgrades(b, i, l)
				buf := make([]byte, 1024)
				b.ReportAllocs()
				for b.Loop() {
					if err := upgradeOnce(dial, buf); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// TestUpgradeHandlers runs one handshake against each upgrade handler over each transport, so
// that `go test` proves the benchmark's plumbing works.
func TestUpgradeHandlers(t *testing.T) {
	for _, tr := range upgradeTransports {
		for i, u := range upgradeHandlers {
			l, dial := tr.listen(t)
			serveUpgrades(t, i, l)
			if err := upgradeOnce(dial, make([]byte, 1024)); err != nil {
				t.Errorf("%s over %s: %v", u.lib, tr.name, err)
			}
		}
	}
}

var echoSizes = []struct {
	name string
	n    int
}{{"16B", 16}, {"1KiB", 1 << 10}, {"64KiB", 64 << 10}, {"1MiB", 1 << 20}}

// echoClient is the shared client of BenchmarkEcho and BenchmarkEchoDeflate: it writes
// pre-masked frames from its own goroutine (streaming servers answer before they have read the
// whole message, and a pipe has no buffer) and reads and checks each echo, inflating it when it
// comes compressed.
type echoClient struct {
	c    net.Conn
	br   *bufio.Reader
	send chan []byte
	sent chan error
	buf  []byte
	raw  bool

	deflate *pipeDeflate // permessage-deflate is in force; nil otherwise
}

// pipeDeflate is the client's permessage-deflate state (RFC 7692): the parameters in force, a
// decompressor kept for the connection, and the server's window when it keeps its context.
type pipeDeflate struct {
	params handshake.DeflateParams
	fr     io.ReadCloser
	src    bytes.Reader
	out    []byte
	window []byte
}

// newEchoClient connects to lib's echo server over a pipe and, unless it is the TCP echo, does
// the opening handshake, offering permessage-deflate in mode (load.NoCompression: nothing).
func newEchoClient(tb testing.TB, lib echoservers.Lib, mode load.Compression) *echoClient {
	l := servePipe(tb, lib.Name)
	c, err := l.DialContext(context.Background(), "pipe", "pipe")
	if err != nil {
		tb.Fatal(err)
	}
	e := &echoClient{c: c, br: bufio.NewReaderSize(c, 64<<10), send: make(chan []byte), sent: make(chan error, 1), raw: lib.Raw}
	tb.Cleanup(func() { close(e.send); c.Close() })
	if !lib.Raw {
		req := upgradeRequest
		if mode != load.NoCompression {
			// The same request with the extension offer before the blank line.
			req = append(bytes.TrimSuffix(bytes.Clone(upgradeRequest), []byte("\r\n")),
				"Sec-WebSocket-Extensions: "+mode.Offer()+"\r\n\r\n"...)
		}
		if _, err := c.Write(req); err != nil {
			tb.Fatal(err)
		}
		resp, err := http.ReadResponse(e.br, &http.Request{Method: http.MethodGet})
		if err != nil || resp.StatusCode != http.StatusSwitchingProtocols {
			tb.Fatal(resp, err)
		}
		if mode != load.NoCompression {
			params, err := mode.Accept(resp)
			if err != nil {
				tb.Fatal(err)
			}
			e.deflate = &pipeDeflate{params: params, fr: flate.NewReader(nil)}
		}
	}
	go func() {
		for p := range e.send {
			_, err := c.Write(p)
			e.sent <- err
		}
	}()
	return e
}

// echo sends wire and reads back the echo: the same bytes from a raw TCP echo, otherwise one
// message, possibly in several frames, whose payload must equal want.
func (e *echoClient) echo(wire, want []byte) error {
	e.send <- wire
	var err error
	if e.raw {
		e.buf = e.buf[:len(wire)]
		if _, err = io.ReadFull(e.br, e.buf); err == nil && !bytes.Equal(e.buf, wire) {
			err = errors.New("echo differs")
		}
	} else {
		err = e.readMessage(want)
	}
	if werr := <-e.sent; err == nil {
		err = werr
	}
	return err
}

func (e *echoClient) readMessage(want []byte) error {
	e.buf = e.buf[:0]
	compressed := false
	for first := true; ; first = false {
		h, err := frame.ReadHeader(e.br)
		if err != nil {
			return err
		}
		start := len(e.buf)
		e.buf = slices.Grow(e.buf, int(h.Length))[:start+int(h.Length)]
		if _, err := io.ReadFull(e.br, e.buf[start:]); err != nil {
			return err
		}
		if h.Op.IsControl() {
			return fmt.Errorf("unexpected %v frame", h.Op)
		}
		switch {
		case first && h.Rsv == frame.Rsv1 && e.deflate != nil:
			compressed = true // RFC 7692 §6.1: RSV1 on the first frame marks a compressed message
		case h.Rsv != 0:
			return fmt.Errorf("RSV bits %03b on a frame", h.Rsv)
		}
		if h.Fin {
			break
		}
	}
	got := e.buf
	if compressed {
		var err error
		if got, err = e.deflate.inflate(e.buf); err != nil {
			return err
		}
	}
	if !bytes.Equal(got, want) {
		return errors.New("echo differs")
	}
	if compressed && !e.deflate.params.ServerNoContextTakeover {
		e.deflate.remember(want)
	}
	return nil
}

// deflateTail is what RFC 7692 §7.2.2 has the receiver append to a compressed message (00 00 ff
// ff), and an empty final block so that compress/flate sees the end of the stream.
var deflateTail = []byte{0x00, 0x00, 0xff, 0xff, 0x01, 0x00, 0x00, 0xff, 0xff}

// inflate decompresses one message, starting from the server's window when it keeps its context.
func (d *pipeDeflate) inflate(z []byte) ([]byte, error) {
	z = append(z, deflateTail...)
	d.src.Reset(z)
	var dict []byte
	if !d.params.ServerNoContextTakeover {
		dict = d.window
	}
	d.fr.(flate.Resetter).Reset(&d.src, dict)
	d.out = d.out[:0]
	for {
		if len(d.out) == cap(d.out) {
			d.out = slices.Grow(d.out, 4096)
		}
		n, err := d.fr.Read(d.out[len(d.out):cap(d.out)])
		d.out = d.out[:len(d.out)+n]
		if err == io.EOF {
			return d.out, nil
		}
		if err != nil {
			return nil, err
		}
	}
}

// remember keeps the last 32 KiB inflated: the window of a server that keeps its context.
func (d *pipeDeflate) remember(p []byte) {
	d.window = append(d.window, p...)
	if over := len(d.window) - 32<<10; over > 0 {
		d.window = d.window[:copy(d.window, d.window[over:])]
	}
}

// BenchmarkEcho measures one message's round trip through each library's echo server over an
// in-memory pipe: the shared client writes a pre-masked frame; the server reads, unmasks,
// validates (text) and writes it back; the client reads and compares it. Bytes per second count
// the message once. The TCP row is the plain echo that does no WebSocket work.
func BenchmarkEcho(b *testing.B) {
	for _, lib := range echoservers.Libs {
		if lib.Compression != "" {
			continue // the same servers as without compression, as nothing is offered here
		}
		for _, op := range []frame.Opcode{frame.OpBinary, frame.OpText} {
			for _, size := range echoSizes {
				b.Run(fmt.Sprintf("lib=%s/type=%v/size=%s", lib.Name, op, size.name), func(b *testing.B) {
					e := newEchoClient(b, lib, load.NoCompression)
					payload := load.TextPayload(size.n, 0)
					wire := maskedFrame(true, op, payload)
					e.buf = make([]byte, 0, len(wire))
					b.SetBytes(int64(size.n))
					b.ReportAllocs()
					for b.Loop() {
						if err := e.echo(wire, payload); err != nil {
							b.Fatal(err)
						}
					}
				})
			}
		}
	}
}

// TestEchoClient runs a few echoes of each size against each server, so that `go test` proves the
// benchmark's plumbing works.
func TestEchoClient(t *testing.T) {
	for _, lib := range echoservers.Libs {
		e := newEchoClient(t, lib, load.NoCompression)
		for _, size := range echoSizes {
			payload := load.TextPayload(size.n, 0)
			if !utf8.Valid(payload) || len(payload) != size.n {
				t.Fatalf("TextPayload(%d) is not %d bytes of UTF-8", size.n, size.n)
			}
			wire := maskedFrame(true, frame.OpText, payload)
			e.buf = make([]byte, 0, len(wire))
			for range 3 {
				if err := e.echo(wire, payload); err != nil {
					t.Fatalf("%s %s: %v", lib.Name, size.name, err)
				}
			}
		}
	}
}

// deflateSizes and deflatePayloads span the permessage-deflate matrix of the load generator.
var deflateSizes = []struct {
	name string
	n    int
}{{"128B", 128}, {"1KiB", 1 << 10}, {"16KiB", 16 << 10}, {"64KiB", 64 << 10}}

var deflatePayloads = []struct {
	name string
	sc   load.Scenario
}{
	{"text", load.Scenario{Text: true}},                      // JSON-like, 94-byte line repeated
	{"ctext", load.Scenario{Text: true, Compressible: true}}, // `{"status":"ok"},` repeated
	{"binary", load.Scenario{}},                              // random: deflate cannot shrink it
}

// deflateMode returns the load generator's mode for a compressing server.
func deflateMode(tb testing.TB, lib echoservers.Lib) load.Compression {
	for _, m := range []load.Compression{load.Deflate, load.DeflateTakeover} {
		if m.String() == lib.Compression {
			return m
		}
	}
	tb.Fatalf("%s: no load mode %q", lib.Name, lib.Compression)
	return load.NoCompression
}

// deflateMessages returns the variants of a message (load.Variants: 64 KiB of payload before one
// repeats) as payloads and as masked frames compressed for the client window in force, RSV1 set.
func deflateMessages(sc load.Scenario, windowBits int) (payloads, wires [][]byte) {
	var mc load.Compressor
	for v := range load.Variants(sc, true) {
		p := load.Payload(sc, v)
		payloads = append(payloads, p)
		op := frame.OpBinary
		if sc.Text {
			op = frame.OpText
		}
		wires = append(wires, maskedFrameRsv(frame.Rsv1, op, mc.Compress(p, windowBits)))
	}
	return payloads, wires
}

// maskedFrameRsv encodes one unfragmented client frame with the given RSV bits.
func maskedFrameRsv(rsv uint8, op frame.Opcode, p []byte) []byte {
	h := frame.Header{Fin: true, Rsv: rsv, Op: op, Masked: true, Key: [4]byte{0x12, 0x34, 0x56, 0x78}, Length: int64(len(p))}
	b := frame.AppendHeader(nil, h)
	start := len(b)
	b = append(b, p...)
	mask.Apply(h.Key, 0, b[start:])
	return b
}

// BenchmarkEchoDeflate measures one compressed message's round trip through each compressing echo
// server over an in-memory pipe, as BenchmarkEcho does without compression: the client sends a
// message compressed before the loop (it declares client_no_context_takeover, so every server
// inflates the same bytes); the server inflates, validates text, compresses (or not: gws-deflate
// sends messages under 512 B as they are) and writes it back; the client inflates and compares
// it. The client cycles through 64 KiB of different messages, so that a server that keeps its
// context gains what similar messages give, not what a copy of the same one would.
//
//	go test -run '^$' -bench EchoDeflate -count 6 . | tee deflate.txt
//	benchstat -col /lib deflate.txt
func BenchmarkEchoDeflate(b *testing.B) {
	for _, lib := range echoservers.Libs {
		if lib.Compression == "" {
			continue
		}
		for _, kind := range deflatePayloads {
			for _, size := range deflateSizes {
				b.Run(fmt.Sprintf("lib=%s/type=%s/size=%s", lib.Name, kind.name, size.name), func(b *testing.B) {
					e := newEchoClient(b, lib, deflateMode(b, lib))
					sc := kind.sc
					sc.Size = size.n
					payloads, wires := deflateMessages(sc, e.deflate.params.ClientMaxWindowBits)
					b.SetBytes(int64(size.n))
					b.ReportAllocs()
					i := 0
					for b.Loop() {
						if err := e.echo(wires[i], payloads[i]); err != nil {
							b.Fatal(err)
						}
						i = (i + 1) % len(wires)
					}
				})
			}
		}
	}
}

// TestEchoDeflateClient runs a few compressed echoes of each payload and size through each
// compressing server, so that `go test` proves BenchmarkEchoDeflate's plumbing works, context
// takeover included.
func TestEchoDeflateClient(t *testing.T) {
	for _, lib := range echoservers.Libs {
		if lib.Compression == "" {
			continue
		}
		for _, kind := range deflatePayloads {
			e := newEchoClient(t, lib, deflateMode(t, lib))
			for _, size := range deflateSizes {
				sc := kind.sc
				sc.Size = size.n
				payloads, wires := deflateMessages(sc, e.deflate.params.ClientMaxWindowBits)
				for i := range 3 {
					if err := e.echo(wires[i], payloads[i]); err != nil {
						t.Fatalf("%s %s %s message %d: %v", lib.Name, kind.name, size.name, i, err)
					}
				}
			}
		}
	}
}
