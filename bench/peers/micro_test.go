package peers_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"testing"
	"unicode/utf8"

	coder "github.com/coder/websocket"
	"github.com/gobwas/ws"
	"github.com/gorilla/websocket"
	"github.com/lxzan/gws"

	"github.com/rfc6455/ws/bench/peers/echoservers"
	"github.com/rfc6455/ws/bench/peers/load"
	"github.com/rfc6455/ws/conn"
	"github.com/rfc6455/ws/frame"
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
// the connection at once, with the options of the echo servers. gobwas upgrades a raw net.Conn
// (its zero-copy ws.Upgrade, no net/http); gobwas-http upgrades from net/http like the others.
var upgradeHandlers = []struct {
	lib  string
	http http.HandlerFunc
	raw  func(net.Conn)
}{
	{lib: "ours", http: func(w http.ResponseWriter, r *http.Request) {
		if c, err := conn.Upgrade(w, r, nil); err == nil {
			c.CloseNow()
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

// upgradeOnce opens a pipe to l, sends the handshake request, reads the response and checks it is
// a 101 with the right accept value. The client is the same few lines for every library, so the
// differences are the servers'.
func upgradeOnce(l *pipeListener, buf []byte) error {
	c, err := l.dial(context.Background())
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

func serveUpgrades(tb testing.TB, i int) *pipeListener {
	l := newPipeListener()
	tb.Cleanup(func() { l.Close() })
	if h := upgradeHandlers[i].http; h != nil {
		go (&http.Server{Handler: h}).Serve(l)
		return l
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
	return l
}

// BenchmarkUpgrade measures one opening handshake over an in-memory pipe: the client's request,
// the server's checks and its 101 response (§4.2.2), the client's check of the response, then
// close. Time and allocations are client and server together; the client is the same for all.
func BenchmarkUpgrade(b *testing.B) {
	for i, u := range upgradeHandlers {
		b.Run("lib="+u.lib, func(b *testing.B) {
			l := serveUpgrades(b, i)
			buf := make([]byte, 1024)
			b.ReportAllocs()
			for b.Loop() {
				if err := upgradeOnce(l, buf); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestUpgradeHandlers runs one handshake against each upgrade handler, so that `go test` proves
// the benchmark's plumbing works.
func TestUpgradeHandlers(t *testing.T) {
	for i, u := range upgradeHandlers {
		if err := upgradeOnce(serveUpgrades(t, i), make([]byte, 1024)); err != nil {
			t.Errorf("%s: %v", u.lib, err)
		}
	}
}

var echoSizes = []struct {
	name string
	n    int
}{{"16B", 16}, {"1KiB", 1 << 10}, {"64KiB", 64 << 10}, {"1MiB", 1 << 20}}

// echoClient is the shared client of BenchmarkEcho: it writes pre-masked frames from its own
// goroutine (streaming servers answer before they have read the whole message, and a pipe has no
// buffer) and reads and checks each echo.
type echoClient struct {
	c    net.Conn
	br   *bufio.Reader
	send chan []byte
	sent chan error
	buf  []byte
	raw  bool
}

func newEchoClient(tb testing.TB, lib echoservers.Lib) *echoClient {
	l := servePipe(tb, lib.Name)
	c, err := l.dial(context.Background())
	if err != nil {
		tb.Fatal(err)
	}
	e := &echoClient{c: c, br: bufio.NewReaderSize(c, 64<<10), send: make(chan []byte), sent: make(chan error, 1), raw: lib.Raw}
	tb.Cleanup(func() { close(e.send); c.Close() })
	if !lib.Raw {
		if _, err := c.Write(upgradeRequest); err != nil {
			tb.Fatal(err)
		}
		resp, err := http.ReadResponse(e.br, &http.Request{Method: http.MethodGet})
		if err != nil || resp.StatusCode != http.StatusSwitchingProtocols {
			tb.Fatal(resp, err)
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
	for {
		h, err := frame.ReadHeader(e.br)
		if err != nil {
			return err
		}
		start := len(e.buf)
		e.buf = append(e.buf, make([]byte, h.Length)...)
		if _, err := io.ReadFull(e.br, e.buf[start:]); err != nil {
			return err
		}
		if h.Op.IsControl() {
			return fmt.Errorf("unexpected %v frame", h.Op)
		}
		if h.Fin {
			break
		}
	}
	if !bytes.Equal(e.buf, want) {
		return errors.New("echo differs")
	}
	return nil
}

// BenchmarkEcho measures one message's round trip through each library's echo server over an
// in-memory pipe: the shared client writes a pre-masked frame; the server reads, unmasks,
// validates (text) and writes it back; the client reads and compares it. Bytes per second count
// the message once. The TCP row is the plain echo that does no WebSocket work.
func BenchmarkEcho(b *testing.B) {
	for _, lib := range echoservers.Libs {
		for _, op := range []frame.Opcode{frame.OpBinary, frame.OpText} {
			for _, size := range echoSizes {
				b.Run(fmt.Sprintf("lib=%s/type=%v/size=%s", lib.Name, op, size.name), func(b *testing.B) {
					e := newEchoClient(b, lib)
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
		e := newEchoClient(t, lib)
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
