package conform

import (
	"bytes"
	"compress/flate"
	"errors"
	"io"
	"math/rand/v2"
	"strings"
	"testing"
)

// syncFlushed compresses each message with one compressor at level, as a permessage-deflate
// sender with context takeover does (a sync flush, then 00 00 ff ff removed, RFC 7692 §7.2.1),
// or with a fresh compressor for each when noTakeover is set.
func syncFlushed(t testing.TB, level int, noTakeover bool, messages ...[]byte) [][]byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := flate.NewWriter(&buf, level)
	if err != nil {
		t.Fatal(err)
	}
	var out [][]byte
	for _, m := range messages {
		buf.Reset()
		if noTakeover {
			w.Reset(&buf)
		}
		w.Write(m)
		w.Flush()
		b := buf.Bytes()
		if !bytes.HasSuffix(b, syncTail) {
			t.Fatalf("a sync flush that does not end with 00 00 ff ff: % x", b[max(0, len(b)-8):])
		}
		out = append(out, bytes.Clone(b[:len(b)-4]))
	}
	return out
}

// referenceInflate inflates one permessage-deflate payload with compress/flate, given the window
// of the messages before (nil without context takeover).
func referenceInflate(payload, dict []byte) ([]byte, error) {
	// RFC 7692 §7.2.2 appends 00 00 ff ff; an empty final block after it ends the stream.
	in := append(append(bytes.Clone(payload), syncTail...), 0x01, 0x00, 0x00, 0xff, 0xff)
	r := flate.NewReaderDict(bytes.NewReader(in), dict)
	defer r.Close()
	return io.ReadAll(r)
}

// TestInflateRoundTrip inflates what compress/flate compresses, at every kind of level, with and
// without context takeover, message after message, and compares with the messages.
func TestInflateRoundTrip(t *testing.T) {
	var messages [][]byte
	for _, c := range newCorpora() {
		cut := c.cutter()
		for _, size := range []int{1, 16, 300, 5000, 40000, 70000} {
			messages = append(messages, cut.next(size))
		}
	}
	messages = append(messages, []byte{}, bytes.Repeat([]byte("ab"), 40000))
	for _, level := range []int{flate.HuffmanOnly, flate.NoCompression, flate.BestSpeed, flate.DefaultCompression, flate.BestCompression} {
		for _, noTakeover := range []bool{false, true} {
			payloads := syncFlushed(t, level, noTakeover, messages...)
			f := newInflater(15, noTakeover, "w", "t", maxMessage)
			for i, p := range payloads {
				got, _, err := f.message(p)
				if err != nil {
					t.Fatalf("level %d, noTakeover=%v, message %d of %d bytes: %v", level, noTakeover, i, len(messages[i]), err)
				}
				if !bytes.Equal(got, messages[i]) {
					t.Fatalf("level %d, noTakeover=%v, message %d: got %d bytes%s", level, noTakeover, i, len(got), difference(got, messages[i]))
				}
			}
		}
	}
}

// TestInflateRFC7692Examples inflates the example payloads of RFC 7692 §7.2.3.
func TestInflateRFC7692Examples(t *testing.T) {
	for _, tt := range []struct {
		name     string
		payloads [][]byte // consecutive messages, with context takeover
		want     string   // each message
	}{
		{"§7.2.3.1 one compressed block", [][]byte{{0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00}}, "Hello"},
		{"§7.2.3.2 sharing the LZ77 window", [][]byte{{0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00}, {0xf2, 0x00, 0x11, 0x00, 0x00}}, "Hello"},
		{"§7.2.3.3 a block with no compression", [][]byte{{0x00, 0x05, 0x00, 0xfa, 0xff, 0x48, 0x65, 0x6c, 0x6c, 0x6f, 0x00}}, "Hello"},
		{"§7.2.3.4 a block with BFINAL set", [][]byte{{0xf3, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00, 0x00}}, "Hello"},
		{"§7.2.3.5 two blocks", [][]byte{{0xf2, 0x48, 0x05, 0x00, 0x00, 0x00, 0xff, 0xff, 0xca, 0xc9, 0xc9, 0x07, 0x00}}, "Hello"},
	} {
		f := newInflater(15, false, "w", "t", maxMessage)
		for i, p := range tt.payloads {
			got, _, err := f.message(p)
			if err != nil || string(got) != tt.want {
				t.Errorf("%s, message %d: got %q, %v; want %q", tt.name, i+1, got, err, tt.want)
			}
		}
	}
}

// TestInflateChecks checks that the inflater refuses back-references that the sender agreed not
// to make: beyond the window of max_window_bits (RFC 7692 §7.1.2), and into an earlier message
// under no_context_takeover (RFC 7692 §7.1.1); and notes those it allows.
func TestInflateChecks(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	noise := make([]byte, 300)
	for i := range noise {
		noise[i] = byte(rng.Uint32())
	}
	// "a repeated phrase" 300 bytes apart: the second is a back-reference of about 318 bytes.
	phrase := []byte("a repeated phrase")
	far := append(append(append([]byte(nil), phrase...), noise...), phrase...)
	p := syncFlushed(t, flate.DefaultCompression, false, far)[0]

	f := newInflater(8, false, "server_max_window_bits=8", "t", maxMessage)
	if _, _, err := f.message(p); err == nil || !strings.Contains(err.Error(), "beyond the window of 256 bytes agreed with server_max_window_bits=8 (RFC 7692 §7.1.2)") {
		t.Errorf("window 2^8, a reference 318 bytes back: error %v", err)
	}
	f = newInflater(9, false, "server_max_window_bits=9", "t", maxMessage)
	if got, refs, err := f.message(p); err != nil || !bytes.Equal(got, far) || refs.longest != len(phrase)+len(noise) {
		t.Errorf("window 2^9, a reference 317 bytes back: %v, back-references %+v", err, refs)
	}

	// The second message refers into the first.
	twice := syncFlushed(t, flate.DefaultCompression, false, []byte("the same message, twice"), []byte("the same message, twice"))
	f = newInflater(15, true, "w", "client_no_context_takeover", maxMessage)
	f.message(twice[0])
	if _, _, err := f.message(twice[1]); err == nil || !strings.Contains(err.Error(), "before the start of the message, though client_no_context_takeover was agreed (RFC 7692 §7.1.1)") {
		t.Errorf("no context takeover, a reference into the message before: error %v", err)
	}
	f = newInflater(15, false, "w", "t", maxMessage)
	f.message(twice[0])
	if got, refs, err := f.message(twice[1]); err != nil || string(got) != "the same message, twice" || refs.intoBefore == 0 {
		t.Errorf("context takeover, a reference into the message before: %q, %v, back-references %+v", got, err, refs)
	}
	// Without the first message, the reference reaches before anything was sent.
	f = newInflater(15, false, "w", "t", maxMessage)
	if _, _, err := f.message(twice[1]); err == nil || !strings.Contains(err.Error(), "before the first byte ever sent") {
		t.Errorf("a reference before any data: error %v", err)
	}

	// The size limit applies to the inflated message, however small the payload.
	bomb := syncFlushed(t, flate.BestCompression, false, make([]byte, 1<<20))[0]
	f = newInflater(15, false, "w", "t", 1<<19)
	if _, _, err := f.message(bomb); err == nil || !strings.Contains(err.Error(), "more than 524288 bytes") {
		t.Errorf("1 MiB of zeros in %d bytes, limit 512 KiB: error %v", len(bomb), err)
	}
}

// TestInflateCorrupt checks that data that is not DEFLATE gives an error citing RFC 1951.
func TestInflateCorrupt(t *testing.T) {
	for _, tt := range []struct {
		name    string
		payload []byte
		want    string
	}{
		{"reserved block type", []byte{0x07}, "reserved type 3"},
		{"stored LEN and NLEN", []byte{0x00, 0x05, 0x00, 0x00, 0x00}, "do not match"},
		{"stored block cut short", []byte{0x00, 0x08, 0x00, 0xf7, 0xff, 'H'}, "ends in the middle"},
		// A fixed block (header 1, 01), the code of 'H' (0x30+'H', 8 bits), then code 286.
		{"literal/length code 286", bits().add(1, 1).add(1, 2).code(0x30+'H', 8).code(0xc0+6, 8).bytes(), "code 286"},
		{"distance code 30", bits().add(1, 1).add(1, 2).code(0x30+'H', 8).code(1, 7).code(30, 5).bytes(), "distance code 30"},
		{"a distance before any data", bits().add(1, 1).add(1, 2).code(1, 7).code(0, 5).bytes(), "before the first byte"},
		// A dynamic block (header 1, 10) with 19 code length codes, each of 1 bit.
		{"over-subscribed lengths", bits().add(1, 1).add(2, 2).add(0, 5).add(0, 5).add(15, 4).repeat(1, 3, 19).bytes(), "over-subscribed"},
		// The same with 2 codes of 1 bit: complete, but code length 16 first.
		{"repeat before the first length", bits().add(1, 1).add(2, 2).add(0, 5).add(0, 5).add(0, 4).add(1, 3).add(0, 3).add(0, 3).add(1, 3).code(1, 1).bytes(), "before the first"},
		{"HLIT over 286", bits().add(1, 1).add(2, 2).add(31, 5).add(0, 5).add(0, 4).bytes(), "over the 286 and 30"},
		{"empty message", []byte{}, "ends in the middle"},
	} {
		f := newInflater(15, false, "w", "t", maxMessage)
		_, _, err := f.message(tt.payload)
		var ie *inflateError
		if !errors.As(err, &ie) || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), "RFC 1951 §") {
			t.Errorf("%s (% x): error %v, want an *inflateError containing %q and citing RFC 1951", tt.name, tt.payload, err, tt.want)
		}
	}
}

// FuzzInflate checks the inflater against compress/flate. Whatever it inflates, compress/flate
// must inflate to the same bytes; and the input, taken as data, must come back unchanged through
// compress/flate's compressor and the inflater, at the level the fuzzer picks.
func FuzzInflate(f *testing.F) {
	f.Add([]byte{0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00}, uint8(1))
	f.Add([]byte{0x00, 0x05, 0x00, 0xfa, 0xff, 0x48, 0x65, 0x6c, 0x6c, 0x6f, 0x00}, uint8(0))
	f.Add([]byte{0xf3, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00, 0x00}, uint8(9))
	f.Add(syncFlushed(f, flate.BestCompression, false, []byte(strings.Repeat("permessage-deflate ", 40)))[0], uint8(6))
	f.Add(syncFlushed(f, flate.HuffmanOnly, false, []byte("Huffman only, no back-references"))[0], uint8(10))
	f.Fuzz(func(t *testing.T, data []byte, level uint8) {
		in := newInflater(15, false, "w", "t", 1<<20)
		if got, _, err := in.message(data); err == nil {
			want, rerr := referenceInflate(data, nil)
			if rerr != nil || !bytes.Equal(got, want) {
				t.Fatalf("inflated % x to %q; compress/flate: %q, %v", data, got, want, rerr)
			}
		}

		l := int(level)%12 - 2 // flate.HuffmanOnly (-2) to flate.BestCompression (9)
		payloads := syncFlushed(t, l, false, data, data)
		out := newInflater(15, false, "w", "t", 1<<20)
		for i, p := range payloads {
			got, _, err := out.message(p)
			if err != nil || !bytes.Equal(got, data) {
				t.Fatalf("level %d, message %d: %v%s", l, i+1, err, difference(got, data))
			}
		}
	})
}

func BenchmarkInflate(b *testing.B) {
	for _, c := range newCorpora() {
		data := c.bytes()[:128<<10]
		payload := syncFlushed(b, flate.BestSpeed, true, data)[0]
		b.Run(c.key, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(data)))
			f := newInflater(15, true, "w", "t", maxMessage)
			for b.Loop() {
				if _, _, err := f.message(payload); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// bitWriter builds DEFLATE bit streams for tests.
type bitWriter struct {
	out  []byte
	nbit uint
}

func bits() *bitWriter { return &bitWriter{} }

// add appends the n low bits of v, least significant first, as DEFLATE packs numbers.
func (w *bitWriter) add(v uint32, n uint) *bitWriter {
	for i := range n {
		if w.nbit%8 == 0 {
			w.out = append(w.out, 0)
		}
		w.out[len(w.out)-1] |= byte(v>>i&1) << (w.nbit % 8)
		w.nbit++
	}
	return w
}

// code appends an n-bit Huffman code, most significant bit first (RFC 1951 §3.1.1).
func (w *bitWriter) code(c uint32, n uint) *bitWriter {
	for i := int(n) - 1; i >= 0; i-- {
		w.add(c>>i&1, 1)
	}
	return w
}

// repeat adds v in n bits, times times.
func (w *bitWriter) repeat(v uint32, n uint, times int) *bitWriter {
	for range times {
		w.add(v, n)
	}
	return w
}

func (w *bitWriter) bytes() []byte { return w.out }
