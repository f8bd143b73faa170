package frame

import (
	"bufio"
	"bytes"
	"testing"
)

// TestZeroAllocs checks that the hot paths allocate nothing.
func TestZeroAllocs(t *testing.T) {
	masked := Header{Fin: true, Op: OpBinary, Masked: true, Key: [4]byte{1, 2, 3, 4}, Length: 1 << 20}
	wire := AppendHeader(nil, masked)
	buf := make([]byte, 0, 2*MaxHeaderSize)
	text := []byte("ASCII, κόσμε, € and 😀 ")
	tail := []byte("abc\xF0\x9F") // ends inside a code point
	rest := []byte("\x98\x80")
	stream := bytes.Repeat(wire, 4)
	streamReader := bytes.NewReader(stream)
	br := bufio.NewReader(streamReader)
	var v UTF8
	var sink int64

	tests := []struct {
		name string
		fn   func()
	}{
		{"ParseHeader", func() {
			h, _, _ := ParseHeader(wire)
			sink += h.Length
		}},
		{"ParseHeader short", func() {
			_, n, _ := ParseHeader(wire[:5])
			sink += int64(n)
		}},
		{"AppendHeader", func() { buf = AppendHeader(buf[:0], masked) }},
		{"Size", func() { sink += int64(masked.Size()) }},
		{"Check", func() { _ = masked.Check(RoleServer, 0) }},
		{"Check failing", func() { _ = masked.Check(RoleClient, 0) }},
		{"CheckSequence", func() { _ = CheckSequence(true, masked) }},
		{"ReadHeader bufio", func() {
			streamReader.Reset(stream)
			br.Reset(streamReader)
			h, _ := ReadHeader(br)
			sink += h.Length
		}},
		{"UTF8.Write", func() { _ = v.Write(text) }},
		{"UTF8.Write split rune", func() {
			_ = v.Write(tail)
			_ = v.Write(rest)
			_ = v.Done()
		}},
		{"UTF8.Write invalid", func() {
			_ = v.Write([]byte{0xED, 0xA0})
			v.Reset()
		}},
		{"ParseClose without reason", func() {
			c, _, _ := ParseClose([]byte{0x03, 0xE8})
			sink += int64(c)
		}},
		{"AppendClose", func() { buf = AppendClose(buf[:0], CloseNormal, "bye") }},
	}
	for _, tc := range tests {
		if allocs := testing.AllocsPerRun(100, tc.fn); allocs != 0 {
			t.Errorf("%s: %v allocations per run, want 0", tc.name, allocs)
		}
	}
	_ = sink
}
