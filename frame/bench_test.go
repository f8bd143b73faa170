package frame

import (
	"bufio"
	"bytes"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"
)

// benchHeaders are headers of each wire size, 2 to 14 bytes.
var benchHeaders = []Header{
	{Fin: true, Op: OpText, Length: 5},                                                 // 2 bytes
	{Fin: true, Op: OpBinary, Length: 256},                                             // 4 bytes
	{Fin: true, Op: OpBinary, Length: 1 << 20},                                         // 10 bytes
	{Fin: true, Op: OpBinary, Masked: true, Key: [4]byte{1, 2, 3, 4}, Length: 1 << 20}, // 14 bytes
}

func BenchmarkParseHeader(b *testing.B) {
	for _, h := range benchHeaders {
		wire := AppendHeader(nil, h)
		b.Run(strconv.Itoa(len(wire))+"B", func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(wire)))
			for b.Loop() {
				if _, _, err := ParseHeader(wire); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkAppendHeader(b *testing.B) {
	for _, h := range benchHeaders {
		buf := make([]byte, 0, MaxHeaderSize)
		b.Run(strconv.Itoa(h.Size())+"B", func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(h.Size()))
			for b.Loop() {
				buf = AppendHeader(buf[:0], h)
			}
		})
	}
}

func BenchmarkCheck(b *testing.B) {
	h := benchHeaders[3]
	b.ReportAllocs()
	for b.Loop() {
		if err := h.Check(RoleServer, 0); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkReadHeaderBufio reads headers through a bufio.Reader, as conn
// does. The headers are back to back, without the payloads they announce,
// which ReadHeader does not look at.
func BenchmarkReadHeaderBufio(b *testing.B) {
	for _, h := range benchHeaders {
		var wire []byte
		for range 1000 {
			wire = AppendHeader(wire, h)
		}
		b.Run(strconv.Itoa(h.Size())+"B", func(b *testing.B) {
			r := bytes.NewReader(wire)
			br := bufio.NewReader(r)
			b.ReportAllocs()
			b.SetBytes(int64(h.Size()))
			for b.Loop() {
				if br.Buffered() == 0 && r.Len() == 0 {
					r.Reset(wire)
					br.Reset(r)
				}
				if _, err := ReadHeader(br); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// utf8BenchTexts returns ASCII and mixed (2-, 3- and 4-byte) valid text of
// about n bytes, cut at a code point boundary.
func utf8BenchTexts(n int) map[string][]byte {
	cut := func(s string) []byte {
		s = strings.Repeat(s, n/len(s)+1)
		for !utf8.RuneStart(s[n]) {
			n--
		}
		return []byte(s[:n])
	}
	return map[string][]byte{
		"ascii": cut("The quick brown fox jumps over the lazy dog. "),
		"mixed": cut("Hello, κόσμε! Привет, 世界. 😀 ok "),
	}
}

func BenchmarkUTF8(b *testing.B) {
	for _, size := range []int{16, 1 << 10, 64 << 10} {
		texts := utf8BenchTexts(size)
		for _, kind := range []string{"ascii", "mixed"} {
			p := texts[kind]
			name := kind + "/" + strconv.Itoa(size)
			b.Run(name+"/UTF8.Write", func(b *testing.B) {
				var v UTF8
				b.ReportAllocs()
				b.SetBytes(int64(len(p)))
				for b.Loop() {
					if err := v.Write(p); err != nil {
						b.Fatal(err)
					}
				}
				if err := v.Done(); err != nil {
					b.Fatal(err)
				}
			})
			b.Run(name+"/utf8.Valid", func(b *testing.B) {
				b.ReportAllocs()
				b.SetBytes(int64(len(p)))
				for b.Loop() {
					if !utf8.Valid(p) {
						b.Fatal("invalid")
					}
				}
			})
		}
	}
}

// BenchmarkUTF8Chunked writes 64 KiB of mixed text in 1000-byte pieces, so
// most pieces end inside a code point.
func BenchmarkUTF8Chunked(b *testing.B) {
	p := utf8BenchTexts(64 << 10)["mixed"]
	b.ReportAllocs()
	b.SetBytes(int64(len(p)))
	var v UTF8
	for b.Loop() {
		for rest := p; len(rest) > 0; {
			k := min(1000, len(rest))
			if err := v.Write(rest[:k]); err != nil {
				b.Fatal(err)
			}
			rest = rest[k:]
		}
		if err := v.Done(); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseClose(b *testing.B) {
	payload := AppendClose(nil, CloseGoingAway, "")
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := ParseClose(payload); err != nil {
			b.Fatal(err)
		}
	}
}
