package conn

import (
	"bytes"
	"compress/flate"
	"errors"
	"fmt"
	"io"
	"math/rand"
	"net/http"
	"runtime"
	"strings"
	"testing"

	"github.com/rfc6455/ws/frame"
	"github.com/rfc6455/ws/handshake"
)

// deflateMessage compresses p as one permessage-deflate message: a sync flush without its final
// 00 00 ff ff (RFC 7692 §7.2.1).
func deflateMessage(t testing.TB, p []byte) []byte {
	t.Helper()
	var out bytes.Buffer
	fw, _ := flate.NewWriter(&out, flate.BestSpeed)
	fw.Write(p)
	fw.Flush()
	b := out.Bytes()
	if !bytes.HasSuffix(b, []byte{0, 0, 0xff, 0xff}) {
		t.Fatal("flate output does not end with a sync flush")
	}
	return b[:len(b)-4]
}

// inflateMessage is the receiving side of deflateMessage, for one message without context.
func inflateMessage(t testing.TB, p []byte) []byte {
	t.Helper()
	out, err := io.ReadAll(flate.NewReader(bytes.NewReader(append(append([]byte(nil), p...), deflateTail...))))
	if err != nil {
		t.Fatalf("inflating %d bytes: %v", len(p), err)
	}
	return out
}

// dialDeflate opens a raw connection to s that negotiates permessage-deflate without context
// takeover in either direction, so that each message can be built and read on its own.
func (s *echoServer) dialDeflate(t *testing.T) *rawClient {
	t.Helper()
	key := handshake.NewKey()
	offer := "permessage-deflate; server_no_context_takeover; client_no_context_takeover"
	c := dialRaw(t, s.addr, handshake.AppendRequest(nil, "/", s.addr, key, nil, offer, nil))
	if c.resp.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("handshake: %s", c.resp.Status)
	}
	if got := c.resp.Header.Get("Sec-WebSocket-Extensions"); !strings.HasPrefix(got, "permessage-deflate") {
		t.Fatalf("server did not accept permessage-deflate: %q", got)
	}
	return c
}

// TestCompressionEcho echoes messages of many sizes through a client and a server that both
// enable permessage-deflate, for each combination of context takeover and window limits
// (RFC 7692 §7.1), whole, streamed and in place, and checks RSV1 marks exactly the compressed messages
// (§6: first frame only).
func TestCompressionEcho(t *testing.T) {
	configs := []struct {
		name           string
		server, client CompressionOptions
	}{
		{"no context takeover, the default (§7.1.1)", CompressionOptions{}, CompressionOptions{}},
		{"takeover both ways (§7.1.1)", CompressionOptions{ContextTakeover: true}, CompressionOptions{ContextTakeover: true}},
		{"server takeover only (§7.1.1.1)", CompressionOptions{ContextTakeover: true}, CompressionOptions{}},
		{"client takeover only (§7.1.1.2)", CompressionOptions{}, CompressionOptions{ContextTakeover: true}},
		{"server asks the client not to take over (§7.1.1.2)", CompressionOptions{ContextTakeover: true, PeerNoContextTakeover: true}, CompressionOptions{ContextTakeover: true}},
		{"client asks the server not to take over (§7.1.1.1)", CompressionOptions{ContextTakeover: true}, CompressionOptions{ContextTakeover: true, PeerNoContextTakeover: true}},
		{"server_max_window_bits=10 (§7.1.2.1)", CompressionOptions{ContextTakeover: true}, CompressionOptions{ServerMaxWindowBits: 10}},
		{"client_max_window_bits=9 (§7.1.2.2)", CompressionOptions{ClientMaxWindowBits: 9}, CompressionOptions{ContextTakeover: true, ClientMaxWindowBits: -1}},
		{"best compression, no threshold", CompressionOptions{Level: flate.BestCompression, Threshold: -1}, CompressionOptions{Level: flate.BestCompression, Threshold: -1, ContextTakeover: true}},
	}
	sizes := []int{0, 1, 127, 128, 1000, 70000, 1 << 20}
	for _, cfg := range configs {
		t.Run(cfg.name, func(t *testing.T) {
			srv := startEchoServer(t, &UpgradeOptions{Compression: &cfg.server})
			c := dialTest(t, srv.url, &DialOptions{Compression: &cfg.client})
			if !c.Compressed() {
				t.Fatal("permessage-deflate was not negotiated")
			}
			var firstRsv []uint8
			c.SetTrace(func(sent bool, h frame.Header) {
				if sent && h.Op != frame.OpContinuation && !h.Op.IsControl() {
					firstRsv = append(firstRsv, h.Rsv)
				}
				if h.Op == frame.OpContinuation && h.Rsv != 0 {
					t.Errorf("RSV bits %03b on a continuation frame (RFC 7692 §6.1)", h.Rsv)
				}
			})
			threshold := cfg.client.Threshold
			if threshold == 0 {
				threshold = defaultCompressionThreshold
			}
			var buf []byte
			for _, n := range sizes {
				msg := []byte(strings.Repeat(fmt.Sprintf("message of %d bytes, ", n), n/20+1)[:n])
				for _, mode := range []string{"whole", "streamed", "in place"} {
					firstRsv = firstRsv[:0]
					streamed := mode == "streamed"
					if mode == "in place" {
						// The compressed payload is written from the compressor's buffer.
						buf := append(make([]byte, HeaderRoom), msg...)
						if err := c.WriteMessageInPlace(frame.OpText, buf); err != nil {
							t.Fatal(err)
						}
					} else if streamed {
						w, _ := c.NextWriter(frame.OpText)
						for rest := msg; len(rest) > 0; rest = rest[min(len(rest), 3000):] {
							w.Write(rest[:min(len(rest), 3000)])
						}
						if err := w.Close(); err != nil {
							t.Fatal(err)
						}
					} else if err := c.WriteMessage(frame.OpText, msg); err != nil {
						t.Fatal(err)
					}
					op, p, err := c.ReadMessage(buf)
					if err != nil {
						t.Fatalf("size %d %s: %v", n, mode, err)
					}
					buf = p
					if op != frame.OpText || !bytes.Equal(p, msg) {
						t.Fatalf("size %d %s: echo of %d bytes differs", n, mode, len(p))
					}
					wantCompressed := streamed || threshold < 0 || n >= threshold
					if len(firstRsv) != 1 || (firstRsv[0] == frame.Rsv1) != wantCompressed {
						t.Fatalf("size %d %s: first-frame RSV %v, want compressed=%v", n, mode, firstRsv, wantCompressed)
					}
				}
			}
		})
	}
}

// TestCompressionContextTakeover checks that context takeover really carries the LZ77 window
// from one message to the next (RFC 7692 §7.1.1): the second copy of a message compresses to a
// fraction of the first, and without takeover it does not.
func TestCompressionContextTakeover(t *testing.T) {
	// Letters in a fixed pseudo-random order: no repetition inside one message to exploit.
	msg := make([]byte, 2000)
	for i, x := 0, uint32(1); i < len(msg); i++ {
		x = x*1664525 + 1013904223
		msg[i] = 'a' + byte(x>>24)%26
	}
	for _, noTakeover := range []bool{false, true} {
		srv := startEchoServer(t, &UpgradeOptions{Compression: &CompressionOptions{}})
		c := dialTest(t, srv.url, &DialOptions{Compression: &CompressionOptions{ContextTakeover: !noTakeover}})
		var sizes []int64
		c.SetTrace(func(sent bool, h frame.Header) {
			if sent && h.Op == frame.OpText {
				sizes = append(sizes, h.Length)
			}
		})
		for range 2 {
			c.WriteMessage(frame.OpText, msg)
			if _, p, err := c.ReadMessage(nil); err != nil || !bytes.Equal(p, msg) {
				t.Fatalf("echo: %v", err)
			}
		}
		shrank := sizes[1]*4 < sizes[0]
		if shrank == noTakeover {
			t.Errorf("ContextTakeover=%v: compressed sizes %v", !noTakeover, sizes)
		}
	}
}

// TestCompressionSmallWindow checks that a server told server_max_window_bits=10 (RFC 7692
// §7.1.2.1) sends no back-reference: compress/flate cannot shrink its window, so it must fall
// back to Huffman coding only, which on a repetitive text saves far less than LZ77 does.
func TestCompressionSmallWindow(t *testing.T) {
	srv := startEchoServer(t, &UpgradeOptions{Compression: &CompressionOptions{}})
	key := handshake.NewKey()
	c := dialRaw(t, srv.addr, handshake.AppendRequest(nil, "/", srv.addr, key, nil, "permessage-deflate; server_max_window_bits=10; client_no_context_takeover", nil))
	if got := c.resp.Header.Get("Sec-WebSocket-Extensions"); !strings.Contains(got, "server_max_window_bits=10") {
		t.Fatalf("response extensions %q, want server_max_window_bits=10 echoed", got)
	}
	msg := bytes.Repeat([]byte("a"), 10000)
	c.write(t, clientFrame(true, frame.Rsv1, frame.OpText, string(deflateMessage(t, msg))))
	h, payload := c.readFrame(t)
	if h.Rsv != frame.Rsv1 {
		t.Fatalf("echo not compressed: %+v", h)
	}
	if got := inflateMessage(t, payload); !bytes.Equal(got, msg) {
		t.Fatal("echo differs")
	}
	if len(payload) < len(msg)/10 {
		t.Fatalf("%d bytes compressed to %d: back-references were used despite a 1 KiB window", len(msg), len(payload))
	}
}

// TestCompressedRules is the read side of RFC 7692 §6 on the server: RSV1 where it may not be,
// data that does not inflate, and invalid UTF-8 that only shows once inflated.
func TestCompressedRules(t *testing.T) {
	cases := []struct {
		name   string
		frames []byte
		code   frame.CloseCode
	}{
		{"§6.1 RSV1 on a ping", clientFrame(true, frame.Rsv1, frame.OpPing, "x"), frame.CloseProtocolError},
		{"§6.1 RSV1 on a continuation frame", cat(
			clientFrame(false, frame.Rsv1, frame.OpText, string(deflateMessage(t, []byte("hello")))),
			clientFrame(true, frame.Rsv1, frame.OpContinuation, "")), frame.CloseProtocolError},
		{"§6.1 RSV2 is still reserved", clientFrame(true, frame.Rsv2, frame.OpText, "x"), frame.CloseProtocolError},
		{"§8 data that does not inflate", clientFrame(true, frame.Rsv1, frame.OpBinary, "\xff\xff\xff\xff"), frame.CloseInvalidPayload},
		{"RFC 6455 §8.1 invalid UTF-8 after inflating", clientFrame(true, frame.Rsv1, frame.OpText, string(deflateMessage(t, []byte("ok \xed\xa0\x80")))), frame.CloseInvalidPayload},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := startEchoServer(t, &UpgradeOptions{Compression: &CompressionOptions{}})
			c := srv.dialDeflate(t)
			c.write(t, tc.frames)
			c.expectClose(t, tc.code)
			srv.expectFailure(t, tc.code)
		})
	}
}

// TestClientCompressedRules is TestCompressedRules on the client: a server that agreed to
// permessage-deflate sends RSV1 where RFC 7692 §6.1 forbids it, data that does not inflate, or
// text that is invalid UTF-8 only once inflated (§6.1: the inflated payload is subject to the
// original type's rules, RFC 6455 §8.1). The client fails the connection with the code, which
// its close frame carries.
func TestClientCompressedRules(t *testing.T) {
	unmasked := func(fin bool, rsv uint8, op frame.Opcode, payload string) []byte {
		return appendFrame(nil, frame.Header{Fin: fin, Rsv: rsv, Op: op, Length: int64(len(payload))}, []byte(payload))
	}
	cases := []struct {
		name   string
		frames []byte
		code   frame.CloseCode
	}{
		{"§6.1 RSV1 on a ping", unmasked(true, frame.Rsv1, frame.OpPing, "x"), frame.CloseProtocolError},
		{"§6.1 RSV1 on a continuation frame", cat(
			unmasked(false, frame.Rsv1, frame.OpText, string(deflateMessage(t, []byte("hello")))),
			unmasked(true, frame.Rsv1, frame.OpContinuation, "")), frame.CloseProtocolError},
		{"§6.1 RSV2 is still reserved", unmasked(true, frame.Rsv2, frame.OpText, "x"), frame.CloseProtocolError},
		{"data that does not inflate", unmasked(true, frame.Rsv1, frame.OpBinary, "\xff\xff\xff\xff"), frame.CloseInvalidPayload},
		{"§6.1 invalid UTF-8 after inflating", unmasked(true, frame.Rsv1, frame.OpText, string(deflateMessage(t, []byte("ok \xed\xa0\x80")))), frame.CloseInvalidPayload},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := startRawServer(t, func(p *serverPeer) error {
				response := response101("Upgrade: websocket", "Connection: Upgrade",
					"Sec-WebSocket-Accept: "+handshake.AcceptKey(p.key()),
					"Sec-WebSocket-Extensions: permessage-deflate; server_no_context_takeover; client_no_context_takeover")
				if err := p.write(append(response, tc.frames...)); err != nil {
					return err
				}
				_, err := p.readClose(tc.code)
				return err
			})
			c, _, err := dialForRules(srv.url, &DialOptions{Compression: &CompressionOptions{}})
			if err != nil {
				t.Fatal(err)
			}
			defer c.CloseNow()
			if !c.Compressed() {
				t.Fatal("permessage-deflate was not agreed")
			}
			_, _, err = c.ReadMessage(nil)
			var pe *frame.ProtocolError
			if !errors.As(err, &pe) || pe.Code != tc.code {
				t.Errorf("ReadMessage: %v, want a protocol error with %d", err, tc.code)
			}
			srv.wait(t) // the raw server read the client's close frame with the code
		})
	}
}

// TestCompressedFragmentsWithPing sends one compressed message in three fragments with a ping
// between them (RFC 7692 §6.1, RFC 6455 §5.4): the pong comes first, then the whole message.
func TestCompressedFragmentsWithPing(t *testing.T) {
	srv := startEchoServer(t, &UpgradeOptions{Compression: &CompressionOptions{}})
	c := srv.dialDeflate(t)
	msg := []byte(strings.Repeat("fragmented and compressed; ", 50))
	z := string(deflateMessage(t, msg))
	third := len(z) / 3
	c.write(t, cat(
		clientFrame(false, frame.Rsv1, frame.OpText, z[:third]),
		clientFrame(true, 0, frame.OpPing, "between"),
		clientFrame(false, 0, frame.OpContinuation, z[third:2*third]),
		clientFrame(true, 0, frame.OpContinuation, z[2*third:]),
	))
	c.expectFrame(t, frame.OpPong, "between")
	h, payload := c.readFrame(t)
	if h.Op != frame.OpText || h.Rsv != frame.Rsv1 || !bytes.Equal(inflateMessage(t, payload), msg) {
		t.Fatalf("echo: %+v, %d bytes", h, len(payload))
	}
}

// TestDecompressionBomb sends a 1 MiB frame that inflates to 1 GiB of zeros to a server whose
// read limit is 1 MiB: it must fail with 1009 (RFC 6455 §7.4.1, §10.4; RFC 7692 §8) having
// inflated little more than the limit, never the whole bomb.
func TestDecompressionBomb(t *testing.T) {
	// A sync-flushed segment ends on a byte boundary and refers to nothing before it, so 1024
	// copies of the segment for 1 MiB of zeros are a valid stream for 1 GiB of zeros.
	var z bytes.Buffer
	fw, _ := flate.NewWriter(&z, flate.BestCompression)
	fw.Write(make([]byte, 1<<20))
	fw.Flush()
	bomb := bytes.Repeat(z.Bytes(), 1024)
	bomb = bomb[:len(bomb)-4]

	srv := startEchoServer(t, &UpgradeOptions{ReadLimit: 1 << 20, Compression: &CompressionOptions{}})
	c := srv.dialDeflate(t)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	c.write(t, clientFrame(true, frame.Rsv1, frame.OpBinary, string(bomb)))
	c.expectClose(t, frame.CloseTooBig)
	srv.expectFailure(t, frame.CloseTooBig)
	runtime.ReadMemStats(&after)
	if grew := after.TotalAlloc - before.TotalAlloc; grew > 32<<20 {
		t.Fatalf("the server allocated %d MiB for a bomb stopped at 1 MiB", grew>>20)
	}
}

// TestIncompressibleSentPlain: a message that compression would not shrink goes uncompressed
// (RFC 7692 §6 leaves the choice to the sender, RSV1 clear), the next ones of its opcode skip
// the trial for a run that doubles with each failed trial, text and binary keep their own
// runs, and every message still arrives intact, with context takeover too (the compressor
// that took in a message sent plain starts afresh, since the peer's window never saw it).
func TestIncompressibleSentPlain(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	random := func() []byte {
		b := make([]byte, 4096)
		rng.Read(b)
		return b
	}
	text := func(i int) []byte { return []byte(strings.Repeat(fmt.Sprintf("compressible %d, ", i), 200)) }
	type send struct {
		op         frame.Opcode
		msg        []byte
		compressed bool
	}
	script := []send{
		{frame.OpBinary, random(), false}, // trial fails: skip 1 binary
		{frame.OpText, text(0), true},     // text has its own run
		{frame.OpBinary, text(1), false},  // skipped without a trial
		{frame.OpBinary, random(), false}, // trial fails again: skip 2
		{frame.OpBinary, text(2), false},  // skipped
		{frame.OpBinary, text(3), false},  // skipped
		{frame.OpBinary, text(4), true},   // trial shrinks: the run ends
		{frame.OpBinary, text(5), true},   // compressed again
		{frame.OpBinary, random(), false}, // a new run starts at 1
		{frame.OpBinary, text(6), false},  // skipped
		{frame.OpBinary, text(7), true},
		{frame.OpText, text(8), true},
	}
	for _, takeover := range []bool{false, true} {
		t.Run(fmt.Sprintf("takeover=%v", takeover), func(t *testing.T) {
			opts := CompressionOptions{ContextTakeover: takeover}
			srv := startEchoServer(t, &UpgradeOptions{Compression: &opts})
			c := dialTest(t, srv.url, &DialOptions{Compression: &opts})
			var rsv []uint8
			c.SetTrace(func(sent bool, h frame.Header) {
				if sent && !h.Op.IsControl() {
					rsv = append(rsv, h.Rsv)
				}
			})
			for i, s := range script {
				rsv = rsv[:0]
				if err := c.WriteMessage(s.op, s.msg); err != nil {
					t.Fatal(err)
				}
				op, got, err := c.ReadMessage(nil)
				if err != nil {
					t.Fatalf("message %d: %v", i, err)
				}
				if op != s.op || !bytes.Equal(got, s.msg) {
					t.Fatalf("message %d: the echo differs", i)
				}
				if len(rsv) != 1 || (rsv[0] == frame.Rsv1) != s.compressed {
					t.Errorf("message %d (%v): RSV %v, want compressed=%v", i, s.op, rsv, s.compressed)
				}
			}
		})
	}
}

// TestSmallSavingSentPlain: a message that compression would shrink by fewer than minSaving
// bytes goes uncompressed even when that is over 3 % of it (RFC 7692 §6 leaves the choice to
// the sender); one that saves more goes compressed, however small. Each case's message is
// checked against compress/flate first, so that the case tests what it names.
func TestSmallSavingSentPlain(t *testing.T) {
	cases := []struct {
		name       string
		msg        string
		saves      [2]int // the range of bytes a fresh compressor takes off it
		compressed bool
	}{
		{"128 B of varied text saving under 32 B", `{"id":4711,"user":"kawasaki","ts":1733600000,"op":"publish","topic":"sensors/hall-3/temp","qos":1,"seq":90210,"v":[21.5,21.7,22.0]}`, [2]int{4, 31}, false},
		{"128 B of repetitive text", strings.Repeat("temperature ", 11) + "temper", [2]int{32, 128}, true},
		{"1 KiB of repetitive text", strings.Repeat("0123456789abcdef", 64), [2]int{32, 1024}, true},
	}
	srv := startEchoServer(t, &UpgradeOptions{Compression: &CompressionOptions{}})
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if len(tc.msg) < defaultCompressionThreshold {
				t.Fatalf("the case's message is %d bytes, under the threshold", len(tc.msg))
			}
			var z bytes.Buffer
			fw, _ := flate.NewWriter(&z, flate.BestSpeed)
			fw.Write([]byte(tc.msg))
			fw.Flush()
			if saved := len(tc.msg) - (z.Len() - 4); saved < tc.saves[0] || saved > tc.saves[1] {
				t.Fatalf("the case's %d-byte message saves %d bytes, not %d to %d", len(tc.msg), saved, tc.saves[0], tc.saves[1])
			}
			c := dialTest(t, srv.url, &DialOptions{Compression: &CompressionOptions{}})
			var rsv []uint8
			c.SetTrace(func(sent bool, h frame.Header) {
				if sent && !h.Op.IsControl() {
					rsv = append(rsv, h.Rsv)
				}
			})
			if err := c.WriteMessage(frame.OpText, []byte(tc.msg)); err != nil {
				t.Fatal(err)
			}
			if _, got, err := c.ReadMessage(nil); err != nil || string(got) != tc.msg {
				t.Fatalf("echo: %q, %v", got, err)
			}
			if len(rsv) != 1 || (rsv[0] == frame.Rsv1) != tc.compressed {
				t.Errorf("RSV %v, want compressed=%v", rsv, tc.compressed)
			}
		})
	}
}
