package load

import (
	"bytes"
	"compress/flate"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/rfc6455/ws/frame"
	"github.com/rfc6455/ws/handshake"
	"github.com/rfc6455/ws/mask"
)

// TestDeflateMatrix checks the permessage-deflate matrix: 51 distinct, valid, unfragmented
// scenarios within the bytes-in-flight cap, 17 of each payload, and the quick ones among them.
func TestDeflateMatrix(t *testing.T) {
	m := DeflateMatrix()
	if len(m) != 51 {
		t.Fatalf("DeflateMatrix has %d scenarios, want 51", len(m))
	}
	seen := map[string]bool{}
	kinds := map[string]int{}
	for _, s := range m {
		if err := s.Validate(); err != nil {
			t.Errorf("%s: %v", s.Name(), err)
		}
		if seen[s.Name()] {
			t.Errorf("%s appears twice", s.Name())
		}
		seen[s.Name()] = true
		if s.Frags != 1 || s.Conns*s.InFlight*s.Size > MaxBytesInFlight {
			t.Errorf("%s: fragmented or above the cap", s.Name())
		}
		if got, err := Lookup(s.Name()); err != nil || got != s {
			t.Errorf("Lookup(%q) = %+v, %v", s.Name(), got, err)
		}
		kinds[strings.Split(s.Name(), "/")[2]]++
	}
	if kinds["text"] != 17 || kinds["ctext"] != 17 || kinds["binary"] != 17 {
		t.Errorf("payload kinds %v, want 17 of each", kinds)
	}
	for _, s := range QuickDeflateMatrix() {
		if !seen[s.Name()] {
			t.Errorf("quick scenario %s is not in the deflate matrix", s.Name())
		}
	}
	if err := (Scenario{Conns: 1, InFlight: 1, Size: 8, Frags: 1, Compressible: true}).Validate(); err == nil {
		t.Error("compressible binary passed Validate")
	}
}

// TestPayloads checks the variants a compressed scenario cycles through: enough of them to make
// distinctBytes, all different, text valid UTF-8 (§8.1) and the compressible text shrinking
// at least 3 times even at 128 B.
func TestPayloads(t *testing.T) {
	for _, sc := range []Scenario{
		{Conns: 1, InFlight: 1, Size: 128, Text: true, Frags: 1},
		{Conns: 1, InFlight: 1, Size: 128, Text: true, Compressible: true, Frags: 1},
		{Conns: 1, InFlight: 1, Size: 1 << 10, Frags: 1},
		{Conns: 1, InFlight: 1, Size: 64 << 10, Text: true, Frags: 1},
		{Conns: 1, InFlight: 1, Size: 3, Text: true, Frags: 1},
	} {
		n := Variants(sc, true)
		if n*sc.Size < distinctBytes && n != maxVariants || n < variants {
			t.Errorf("%s: %d variants", sc.Name(), n)
		}
		if Variants(sc, false) != variants {
			t.Errorf("%s: uncompressed scenarios must keep %d variants", sc.Name(), variants)
		}
		seen := map[string]bool{}
		for v := range n {
			p := Payload(sc, v)
			if len(p) != sc.Size || sc.Text && !utf8.Valid(p) {
				t.Fatalf("%s variant %d: %d bytes, UTF-8 %v", sc.Name(), v, len(p), utf8.Valid(p))
			}
			if seen[string(p)] {
				t.Fatalf("%s: variant %d repeats an earlier one", sc.Name(), v)
			}
			seen[string(p)] = true
		}
		if sc.Compressible {
			if z := CompressMessage(Payload(sc, 0), 0); len(z)*3 > sc.Size {
				t.Errorf("%s: compresses to %d bytes", sc.Name(), len(z))
			}
		}
	}
}

// inflateAll inflates a message compressed as RFC 7692 §7.2.1 says, with an optional dictionary.
func inflateAll(t *testing.T, z, dict []byte) []byte {
	t.Helper()
	fr := flate.NewReaderDict(io.MultiReader(bytes.NewReader(z), bytes.NewReader(deflateTail)), dict)
	got, err := io.ReadAll(fr)
	if err != nil {
		t.Fatalf("inflating %d bytes: %v", len(z), err)
	}
	return got
}

// TestCompressMessage checks CompressMessage's output: it inflates back to the payload, at every
// window size, and with a window under 32 KiB each piece inflates alone, so no back-reference
// reaches farther than the client_max_window_bits in force (RFC 7692 §7.1.2.2).
func TestCompressMessage(t *testing.T) {
	for _, size := range []int{0, 1, 128, 4095, 4096, 4097, 40 << 10, 100 << 10} {
		for _, sc := range []Scenario{{Size: size, Text: true}, {Size: size}, {Size: size, Text: true, Compressible: true}} {
			p := Payload(sc, 1)
			for _, bits := range []int{0, 8, 12, 15} {
				var mc Compressor
				z, ends := mc.compress(p, bits)
				if got := inflateAll(t, z, nil); !bytes.Equal(got, p) {
					t.Fatalf("size %d bits %d: round trip differs", size, bits)
				}
				if bits == 0 || bits == 15 {
					if len(ends) != 1 {
						t.Errorf("size %d bits %d: %d pieces, want 1", size, bits, len(ends))
					}
					continue
				}
				piece := 1 << bits
				if want := max(1, (size+piece-1)/piece); len(ends) != want {
					t.Fatalf("size %d bits %d: %d pieces, want %d", size, bits, len(ends), want)
				}
				full := append(z, 0, 0, 0xff, 0xff)
				start := 0
				for i, end := range ends {
					// Each piece ends with its own sync flush; inflate it with no history.
					alone := inflateAll(t, full[start:end-4], nil)
					if want := p[min(i*piece, len(p)):min((i+1)*piece, len(p))]; !bytes.Equal(alone, want) {
						t.Fatalf("size %d bits %d: piece %d does not inflate alone", size, bits, i)
					}
					start = end
				}
			}
		}
	}
}

// TestOffers checks what each mode offers (RFC 7692 §7.1) and which answers it accepts.
func TestOffers(t *testing.T) {
	if got := NoCompression.Offer(); got != "" {
		t.Errorf("NoCompression offers %q", got)
	}
	if got, want := Deflate.Offer(), "permessage-deflate; server_no_context_takeover; client_no_context_takeover"; got != want {
		t.Errorf("Deflate offers %q, want %q", got, want)
	}
	if got, want := DeflateTakeover.Offer(), "permessage-deflate; client_no_context_takeover; client_max_window_bits"; got != want {
		t.Errorf("DeflateTakeover offers %q, want %q", got, want)
	}
	cases := []struct {
		mode    Compression
		answer  string // Sec-WebSocket-Extensions; "" for none
		wantErr string
	}{
		{Deflate, "permessage-deflate; server_no_context_takeover; client_no_context_takeover", ""},
		{Deflate, "permessage-deflate; server_no_context_takeover", ""}, // §7.1.1.2: the client's hint need not be echoed
		{Deflate, "permessage-deflate; server_no_context_takeover; server_max_window_bits=10", ""},
		{Deflate, "", "did not accept"},
		{Deflate, "permessage-deflate; client_no_context_takeover", "server_no_context_takeover"},       // §7.1.1.1
		{Deflate, "permessage-deflate; server_no_context_takeover; client_max_window_bits=10", "offer"}, // §7.1.2.2
		{DeflateTakeover, "permessage-deflate; client_no_context_takeover", ""},
		{DeflateTakeover, "permessage-deflate; server_max_window_bits=12; client_max_window_bits=12", ""},
		{DeflateTakeover, "permessage-deflate; server_no_context_takeover; client_no_context_takeover", "keeps its context"},
		{DeflateTakeover, "", "did not accept"},
	}
	for _, c := range cases {
		resp := &http.Response{Header: http.Header{}}
		if c.answer != "" {
			resp.Header.Set("Sec-WebSocket-Extensions", c.answer)
		}
		_, err := c.mode.Accept(resp)
		switch {
		case c.wantErr == "" && err != nil:
			t.Errorf("%s, answer %q: %v", c.mode, c.answer, err)
		case c.wantErr != "" && (err == nil || !strings.Contains(err.Error(), c.wantErr)):
			t.Errorf("%s, answer %q: err %v, want one containing %q", c.mode, c.answer, err, c.wantErr)
		}
	}
}

// deflateFault is a way for the compressing test echo server to misbehave.
type deflateFault int

const (
	deflateCorrect       deflateFault = iota
	deflateDecline                    // answers without the extension
	deflateRsv1Pong                   // sets RSV1 on its pongs (RFC 7692 §6.1 forbids it)
	deflateRsv1Cont                   // sends each echo in two frames, both with RSV1 (§6.1: the first only)
	deflateGarbage                    // sends bytes that are not DEFLATE data with RSV1
	deflateFlipByte                   // changes one byte before compressing
	deflateHiddenContext              // keeps its context while declaring server_no_context_takeover
	deflateTrailing                   // ends its data with a final block, then more bytes
)

// deflateServer is an echo server with permessage-deflate built from the root module's handshake
// package and compress/flate: it negotiates with handshake.NegotiateDeflate (keeping its context
// when takeover is true), inflates each message and sends it back compressed, misbehaving as told.
func deflateServer(t *testing.T, takeover bool, f deflateFault) string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := handshake.CheckRequest(r); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		offers, err := handshake.ParseExtensions(r.Header)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		answer, params, ok := handshake.NegotiateDeflate(offers, handshake.DeflateConfig{ServerNoContextTakeover: !takeover})
		if !ok || f == deflateDecline {
			answer = handshake.Extension{}
		}
		if f == deflateHiddenContext {
			params.ServerNoContextTakeover = false // what it does; the answer still says otherwise
		}
		nc, brw, err := http.NewResponseController(w).Hijack()
		if err != nil {
			return
		}
		defer nc.Close()
		ext := ""
		if answer.Name != "" {
			ext = answer.String()
		}
		nc.Write(handshake.AppendResponse(nil, r.Header.Get("Sec-WebSocket-Key"), "", ext, nil))
		var out bytes.Buffer
		fw, _ := flate.NewWriter(&out, flate.BestSpeed)
		var msg []byte
		var op frame.Opcode
		compressed := false
		for {
			h, err := frame.ReadHeader(brw.Reader)
			if err != nil {
				return
			}
			p := make([]byte, h.Length)
			if _, err := io.ReadFull(brw.Reader, p); err != nil {
				return
			}
			mask.Apply(h.Key, 0, p)
			switch h.Op {
			case frame.OpPing:
				pong := frame.Header{Fin: true, Op: frame.OpPong, Length: h.Length}
				if f == deflateRsv1Pong {
					pong.Rsv = frame.Rsv1
				}
				nc.Write(append(frame.AppendHeader(nil, pong), p...))
				continue
			case frame.OpClose:
				nc.Write(append(frame.AppendHeader(nil, frame.Header{Fin: true, Op: frame.OpClose, Length: h.Length}), p...))
				return
			case frame.OpText, frame.OpBinary:
				op, msg, compressed = h.Op, msg[:0], h.Rsv&frame.Rsv1 != 0
			}
			msg = append(msg, p...)
			if !h.Fin {
				continue
			}
			if compressed {
				// The client declared client_no_context_takeover: each message inflates alone.
				plain, err := io.ReadAll(flate.NewReader(io.MultiReader(bytes.NewReader(msg), bytes.NewReader(deflateTail))))
				if err != nil {
					return
				}
				msg = plain
			}
			if f == deflateFlipByte && len(msg) > 0 {
				msg[len(msg)/2] ^= 0x20
			}
			out.Reset()
			if params.ServerNoContextTakeover {
				fw.Reset(&out)
			}
			fw.Write(msg)
			fw.Flush()
			z := out.Bytes()[:out.Len()-4] // RFC 7692 §7.2.1
			switch f {
			case deflateGarbage:
				z = []byte{0xff, 0xff, 0xff, 0xff}
			case deflateTrailing:
				// The 00 00 ff ff back, an empty final block (fixed Huffman codes), then junk.
				z = append(append(z, 0x00, 0x00, 0xff, 0xff, 0x03, 0x00), "junk"...)
			}
			if f == deflateRsv1Cont && len(z) > 1 {
				half := len(z) / 2
				nc.Write(append(frame.AppendHeader(nil, frame.Header{Rsv: frame.Rsv1, Op: op, Length: int64(half)}), z[:half]...))
				nc.Write(append(frame.AppendHeader(nil, frame.Header{Fin: true, Rsv: frame.Rsv1, Op: frame.OpContinuation, Length: int64(len(z) - half)}), z[half:]...))
				continue
			}
			nc.Write(append(frame.AppendHeader(nil, frame.Header{Fin: true, Rsv: frame.Rsv1, Op: op, Length: int64(len(z))}), z...))
		}
	}))
	t.Cleanup(srv.Close)
	return "ws" + strings.TrimPrefix(srv.URL, "http") + "/"
}

// TestRunCatchesDeflateFaults checks that the generator verifies compressed echoes as strictly
// as plain ones: correct servers pass with every byte counted, in both modes, and each kind of
// misbehaviour is an error.
func TestRunCatchesDeflateFaults(t *testing.T) {
	opts := Options{Messages: 8, Timeout: 5 * time.Second}
	small := Scenario{Conns: 2, InFlight: 3, Size: 1000, Text: true, Frags: 1}
	withPings := Scenario{Conns: 1, InFlight: 2, Size: 3000, Text: true, Compressible: true, Frags: 3}
	cases := []struct {
		name    string
		target  Target
		sc      Scenario
		wantErr string // "" for none
	}{
		{"correct, no context takeover", Target{URL: deflateServer(t, false, deflateCorrect), Compression: Deflate}, withPings, ""},
		{"correct, context takeover", Target{URL: deflateServer(t, true, deflateCorrect), Compression: DeflateTakeover}, small, ""},
		{"correct, context takeover, pings", Target{URL: deflateServer(t, true, deflateCorrect), Compression: DeflateTakeover}, withPings, ""},
		{"§5.1 offer declined", Target{URL: deflateServer(t, false, deflateDecline), Compression: Deflate}, small, "did not accept"},
		{"takeover mode, server without context", Target{URL: deflateServer(t, false, deflateCorrect), Compression: DeflateTakeover}, small, "keeps its context"},
		{"§6.1 RSV1 on a pong", Target{URL: deflateServer(t, false, deflateRsv1Pong), Compression: Deflate}, withPings, "RSV1"},
		{"§6.1 RSV1 on a continuation", Target{URL: deflateServer(t, false, deflateRsv1Cont), Compression: Deflate}, small, "RSV1"},
		{"§8 not DEFLATE data", Target{URL: deflateServer(t, false, deflateGarbage), Compression: Deflate}, small, "does not inflate"},
		{"inflated byte changed", Target{URL: deflateServer(t, false, deflateFlipByte), Compression: Deflate}, small, "differs"},
		{"§7.1.1.1 context kept after server_no_context_takeover", Target{URL: deflateServer(t, false, deflateHiddenContext), Compression: Deflate}, small, "message 1:"},
		{"bytes after the DEFLATE stream", Target{URL: deflateServer(t, false, deflateTrailing), Compression: Deflate}, small, "before the end of the message"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := Run(context.Background(), c.target, c.sc, opts)
			if c.wantErr == "" {
				n := int64(c.sc.Conns * opts.Messages)
				if r.Errors != 0 || r.BytesVerified != n*int64(c.sc.Size) || r.Echoes != n || r.CompressedEchoes != n {
					t.Fatalf("errors %d (%s), %d bytes verified, %d echoes, %d compressed; want %d echoes, all compressed",
						r.Errors, r.FirstError, r.BytesVerified, r.Echoes, r.CompressedEchoes, n)
				}
				if r.EchoWireBytes*2 > r.BytesVerified {
					t.Fatalf("%d bytes on the wire for %d of text", r.EchoWireBytes, r.BytesVerified)
				}
				return
			}
			t.Logf("reported: %s", r.FirstError)
			if r.Errors == 0 || !strings.Contains(r.FirstError, c.wantErr) {
				t.Fatalf("errors %d, first %q; want an error containing %q", r.Errors, r.FirstError, c.wantErr)
			}
		})
	}
}

// TestWindow checks that the client keeps exactly the last 32 KiB it inflated.
func TestWindow(t *testing.T) {
	var z clientDeflate
	var all []byte
	for i, n := range []int{10, 20 << 10, 15 << 10, 40 << 10, 1, 0, 32 << 10, 5} {
		p := Payload(Scenario{Size: n}, i)
		z.remember(p)
		all = append(all, p...)
		want := all[max(0, len(all)-maxWindow):]
		if !bytes.Equal(z.window, want) {
			t.Fatalf("after %d messages: window of %d bytes differs from the last %d inflated", i+1, len(z.window), len(want))
		}
	}
}
