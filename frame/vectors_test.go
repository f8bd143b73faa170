package frame

import (
	"bufio"
	"encoding/hex"
	"os"
	"strings"
	"testing"
)

// rfc5_7File holds the example frames of RFC 6455 §5.7, shared with other
// packages; ../testdata/README.md describes its format.
const rfc5_7File = "../testdata/frames/rfc6455-5.7.txt"

// vector is one line of a frames file.
type vector struct {
	name  string
	frame []byte
}

// loadVectors reads a frames file, failing the test on a malformed line or a
// repeated name.
func loadVectors(tb testing.TB, path string) []vector {
	tb.Helper()
	f, err := os.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	var vectors []vector
	seen := map[string]bool{}
	sc := bufio.NewScanner(f)
	for lineNo := 1; sc.Scan(); lineNo++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		name, hexBytes, ok := strings.Cut(line, " ")
		if !ok || name == "" || strings.ContainsAny(hexBytes, " \t") {
			tb.Fatalf("%s:%d: want <name> <hex>, got %q", path, lineNo, line)
		}
		b, err := hex.DecodeString(hexBytes)
		if err != nil {
			tb.Fatalf("%s:%d: %v", path, lineNo, err)
		}
		if seen[name] {
			tb.Fatalf("%s:%d: duplicate name %q", path, lineNo, name)
		}
		seen[name] = true
		vectors = append(vectors, vector{name, b})
	}
	if err := sc.Err(); err != nil {
		tb.Fatal(err)
	}
	if len(vectors) == 0 {
		tb.Fatalf("%s: no vectors", path)
	}
	return vectors
}

// TestRFC5_7Examples decodes each example frame of RFC 6455 §5.7 and checks
// the header fields and the (unmasked) payload the RFC describes.
func TestRFC5_7Examples(t *testing.T) {
	key := [4]byte{0x37, 0xfa, 0x21, 0x3d}
	want := map[string]struct {
		header  Header
		payload string // "" when the file holds only the header
	}{
		"single-unmasked-text":       {Header{Fin: true, Op: OpText, Length: 5}, "Hello"},
		"single-masked-text":         {Header{Fin: true, Op: OpText, Masked: true, Key: key, Length: 5}, "Hello"},
		"fragmented-unmasked-text-1": {Header{Fin: false, Op: OpText, Length: 3}, "Hel"},
		"fragmented-unmasked-text-2": {Header{Fin: true, Op: OpContinuation, Length: 2}, "lo"},
		"ping-unmasked":              {Header{Fin: true, Op: OpPing, Length: 5}, "Hello"},
		"pong-masked":                {Header{Fin: true, Op: OpPong, Masked: true, Key: key, Length: 5}, "Hello"},
		"binary-256-header":          {Header{Fin: true, Op: OpBinary, Length: 256}, ""},
		"binary-64k-header":          {Header{Fin: true, Op: OpBinary, Length: 65536}, ""},
	}
	vectors := loadVectors(t, rfc5_7File)
	if len(vectors) != len(want) {
		t.Errorf("%s has %d vectors, test knows %d", rfc5_7File, len(vectors), len(want))
	}
	for _, v := range vectors {
		t.Run(v.name, func(t *testing.T) {
			w, ok := want[v.name]
			if !ok {
				t.Fatalf("no expectation for vector %q", v.name)
			}
			h, n, err := ParseHeader(v.frame)
			if err != nil {
				t.Fatalf("ParseHeader: %v", err)
			}
			if h != w.header {
				t.Errorf("ParseHeader = %+v, want %+v", h, w.header)
			}
			if n != h.Size() {
				t.Errorf("n = %d, want minimal size %d", n, h.Size())
			}
			if got := AppendHeader(nil, h); string(got) != string(v.frame[:n]) {
				t.Errorf("AppendHeader = % x, want % x", got, v.frame[:n])
			}
			payload := append([]byte(nil), v.frame[n:]...)
			if w.payload == "" {
				if len(payload) != 0 {
					t.Fatalf("header-only vector has %d payload bytes", len(payload))
				}
				return
			}
			if int64(len(payload)) != h.Length {
				t.Fatalf("payload has %d bytes, header says %d", len(payload), h.Length)
			}
			// §5.3: octet i of the payload is XORed with octet i mod 4 of the key.
			if h.Masked {
				for i := range payload {
					payload[i] ^= h.Key[i%4]
				}
			}
			if string(payload) != w.payload {
				t.Errorf("payload = %q, want %q", payload, w.payload)
			}
		})
	}
}
