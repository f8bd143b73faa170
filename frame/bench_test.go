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

// utf8BenchSources are the texts the UTF-8 benchmarks repeat: pure ASCII;
// the JSON our load generator sends, mostly ASCII with a 2-, 3- or 4-byte
// code point every ten bytes or so; and CJK and emoji, with no ASCII at all.
var utf8BenchSources = map[string]string{
	"ascii": "The quick brown fox jumps over the lazy dog. ",
	"mixed": `{"user":"zoë","msg":"ça va? 日本語 🙂 — ok","n":42,"tags":["naïve","über","fast"]}`,
	"cjk":   "日本語のテキスト。中文文本，한국어텍스트🙂🎉😀",
}

// utf8BenchText returns the source text of the given kind repeated and cut
// to at most n bytes, at a code point boundary so that it is valid.
func utf8BenchText(kind string, n int) []byte {
	s := utf8BenchSources[kind]
	s = strings.Repeat(s, n/len(s)+1)
	for !utf8.RuneStart(s[n]) {
		n--
	}
	return []byte(s[:n])
}

// utf8BenchSizes are the text lengths the UTF-8 benchmarks run at.
var utf8BenchSizes = []struct {
	name string
	n    int
}{
	{"0B", 0}, {"5B", 5}, {"16B", 16}, {"128B", 128}, {"1KiB", 1 << 10}, {"16KiB", 16 << 10}, {"1MiB", 1 << 20},
}

// BenchmarkUTF8 compares UTF8.Write on a whole message ("ours") with
// utf8.Valid ("stdlib"), which checks the same property without the
// incremental state; benchstat can compare the two columns.
func BenchmarkUTF8(b *testing.B) {
	for _, kind := range []string{"ascii", "mixed", "cjk"} {
		for _, size := range utf8BenchSizes {
			p := utf8BenchText(kind, size.n)
			b.Run(kind+"/"+size.name+"/ours", func(b *testing.B) {
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
			b.Run(kind+"/"+size.name+"/stdlib", func(b *testing.B) {
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

// BenchmarkUTF8Paths runs each validator that UTF8.Write may use on its
// own: the portable DFA and, where there is one, the vector code.
func BenchmarkUTF8Paths(b *testing.B) {
	for _, kind := range []string{"ascii", "mixed", "cjk"} {
		for _, size := range utf8BenchSizes {
			p := utf8BenchText(kind, size.n)
			for _, impl := range append(utf8Validators(), utf8Validator{"stdlib", utf8.Valid}) {
				b.Run(kind+"/"+size.name+"/"+impl.name, func(b *testing.B) {
					b.ReportAllocs()
					b.SetBytes(int64(len(p)))
					for b.Loop() {
						if !impl.valid(p) {
							b.Fatal("invalid")
						}
					}
				})
			}
		}
	}
}

// BenchmarkUTF8Chunked writes 64 KiB of mixed text in 1000-byte pieces, so
// most pieces end inside a code point.
func BenchmarkUTF8Chunked(b *testing.B) {
	p := utf8BenchText("mixed", 64<<10)
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
