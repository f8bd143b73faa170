package frame

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"math"
	"testing"
	"testing/iotest"
)

// headerCases are well-formed headers, unmasked; TestParseHeader also runs
// each one masked.
var headerCases = []struct {
	name string
	wire []byte
	want Header
}{
	{"§5.2 7-bit length 0", []byte{0x82, 0x00}, Header{Fin: true, Op: OpBinary, Length: 0}},
	{"§5.2 7-bit length 1", []byte{0x81, 0x01}, Header{Fin: true, Op: OpText, Length: 1}},
	{"§5.2 7-bit length 125", []byte{0x82, 0x7D}, Header{Fin: true, Op: OpBinary, Length: 125}},
	{"§5.2 16-bit length 126", []byte{0x82, 0x7E, 0x00, 0x7E}, Header{Fin: true, Op: OpBinary, Length: 126}},
	{"§5.2 16-bit length 127", []byte{0x82, 0x7E, 0x00, 0x7F}, Header{Fin: true, Op: OpBinary, Length: 127}},
	{"§5.2 16-bit length 256", []byte{0x82, 0x7E, 0x01, 0x00}, Header{Fin: true, Op: OpBinary, Length: 256}},
	{"§5.2 16-bit length 65535", []byte{0x82, 0x7E, 0xFF, 0xFF}, Header{Fin: true, Op: OpBinary, Length: 65535}},
	{"§5.2 64-bit length 65536", []byte{0x82, 0x7F, 0, 0, 0, 0, 0, 0x01, 0, 0}, Header{Fin: true, Op: OpBinary, Length: 65536}},
	{"§5.2 64-bit length 2^32", []byte{0x82, 0x7F, 0, 0, 0, 0x01, 0, 0, 0, 0}, Header{Fin: true, Op: OpBinary, Length: 1 << 32}},
	{"§5.2 64-bit length 2^63-1", []byte{0x82, 0x7F, 0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF}, Header{Fin: true, Op: OpBinary, Length: math.MaxInt64}},
	{"§5.4 FIN clear", []byte{0x01, 0x03}, Header{Fin: false, Op: OpText, Length: 3}},
	{"§5.2 RSV1 RSV3", []byte{0xD1, 0x00}, Header{Fin: true, Rsv: Rsv1 | Rsv3, Op: OpText}},
	{"§5.5 close", []byte{0x88, 0x02}, Header{Fin: true, Op: OpClose, Length: 2}},
	{"§5.2 reserved opcode 0xF", []byte{0x0F, 0x00}, Header{Op: 0xF}},
	// §5.2 asks senders for the minimal encoding; ParseHeader still
	// accepts longer ones (n tells them apart from h.Size()).
	{"§5.2 non-minimal 16-bit length 5", []byte{0x82, 0x7E, 0x00, 0x05}, Header{Fin: true, Op: OpBinary, Length: 5}},
	{"§5.2 non-minimal 64-bit length 125", []byte{0x82, 0x7F, 0, 0, 0, 0, 0, 0, 0, 0x7D}, Header{Fin: true, Op: OpBinary, Length: 125}},
	{"§5.2 non-minimal 64-bit length 65535", []byte{0x82, 0x7F, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF}, Header{Fin: true, Op: OpBinary, Length: 65535}},
}

// withMask returns the masked form of an unmasked header case: the MASK bit
// set in the second byte and the key appended (§5.2).
func withMask(wire []byte, want Header, key [4]byte) ([]byte, Header) {
	masked := append([]byte(nil), wire...)
	masked[1] |= 0x80
	masked = append(masked, key[:]...)
	want.Masked = true
	want.Key = key
	return masked, want
}

func TestParseHeader(t *testing.T) {
	key := [4]byte{0x37, 0xfa, 0x21, 0x3d}
	for _, tc := range headerCases {
		maskedWire, maskedWant := withMask(tc.wire, tc.want, key)
		for _, c := range []struct {
			name string
			wire []byte
			want Header
		}{
			{tc.name + " unmasked", tc.wire, tc.want},
			{tc.name + " §5.3 masked", maskedWire, maskedWant},
		} {
			t.Run(c.name, func(t *testing.T) {
				// Trailing payload bytes must not be taken for header bytes.
				input := append(append([]byte(nil), c.wire...), 0xAA, 0xBB)
				h, n, err := ParseHeader(input)
				if err != nil {
					t.Fatalf("ParseHeader(% x): %v", input, err)
				}
				if h != c.want {
					t.Errorf("ParseHeader(% x) = %+v, want %+v", input, h, c.want)
				}
				if n != len(c.wire) {
					t.Errorf("n = %d, want %d", n, len(c.wire))
				}
				if got := HeaderSize(c.wire[0], c.wire[1]); got != len(c.wire) {
					t.Errorf("HeaderSize = %d, want %d", got, len(c.wire))
				}
			})
		}
	}
}

// TestParseHeaderFirstByte covers every value of the first byte: FIN, every
// RSV combination and every opcode, reserved ones included (§5.2). Rules on
// them belong to Check; ParseHeader must report the bits as they are.
func TestParseHeaderFirstByte(t *testing.T) {
	for b0 := range 256 {
		h, n, err := ParseHeader([]byte{byte(b0), 0x00})
		if err != nil || n != 2 {
			t.Fatalf("ParseHeader(%#02x 00) = n %d, err %v", b0, n, err)
		}
		want := Header{
			Fin: b0&0x80 != 0,
			Rsv: uint8(b0>>4) & 0b111,
			Op:  Opcode(b0 & 0x0F),
		}
		if h != want {
			t.Errorf("ParseHeader(%#02x 00) = %+v, want %+v", b0, h, want)
		}
		if got := AppendHeader(nil, h); !bytes.Equal(got, []byte{byte(b0), 0}) {
			t.Errorf("AppendHeader(%+v) = % x, want %02x 00", h, got, b0)
		}
	}
}

// TestHeaderSize checks HeaderSize for every second byte: the 7-bit length
// selects 0, 2 or 8 extra length bytes and MASK adds 4 (§5.2).
func TestHeaderSize(t *testing.T) {
	for b1 := range 256 {
		want := 2
		switch b1 & 0x7F {
		case 126:
			want = 4
		case 127:
			want = 10
		}
		if b1&0x80 != 0 {
			want += 4
		}
		if got := HeaderSize(0x82, byte(b1)); got != want {
			t.Errorf("HeaderSize(0x82, %#02x) = %d, want %d", b1, got, want)
		}
	}
}

func TestParseHeaderLengthOverflow(t *testing.T) {
	for _, wire := range [][]byte{
		{0x82, 0x7F, 0x80, 0, 0, 0, 0, 0, 0, 0},
		{0x82, 0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF},
		{0x82, 0xFF, 0x80, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4},
	} {
		h, n, err := ParseHeader(wire)
		if err != ErrLengthOverflow || n != 0 || h != (Header{}) {
			t.Errorf("§5.2 MSB of 64-bit length: ParseHeader(% x) = %+v, %d, %v; want zero, 0, ErrLengthOverflow", wire, h, n, err)
		}
		if !errors.Is(err, ErrLengthOverflow) {
			t.Errorf("errors.Is(%v, ErrLengthOverflow) = false", err)
		}
	}
}

// TestParseHeaderShort cuts every header at every point: each prefix must ask
// for more bytes, with n = 0, never guess.
func TestParseHeaderShort(t *testing.T) {
	key := [4]byte{1, 2, 3, 4}
	overflow := []byte{0x82, 0xFF, 0x80, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4}
	inputs := [][]byte{nil, overflow}
	for _, tc := range headerCases {
		masked, _ := withMask(tc.wire, tc.want, key)
		inputs = append(inputs, tc.wire, masked)
	}
	for _, wire := range inputs {
		for cut := range len(wire) {
			h, n, err := ParseHeader(wire[:cut])
			if err != ErrShortHeader || n != 0 || h != (Header{}) {
				t.Errorf("ParseHeader(% x) = %+v, %d, %v; want zero, 0, ErrShortHeader", wire[:cut], h, n, err)
			}
		}
	}
}

func TestAppendHeader(t *testing.T) {
	key := [4]byte{0xA, 0xB, 0xC, 0xD}
	tests := []struct {
		name string
		h    Header
		want []byte
	}{
		{"§5.2 length 0 in 7 bits", Header{Fin: true, Op: OpText}, []byte{0x81, 0x00}},
		{"§5.2 length 125 in 7 bits", Header{Fin: true, Op: OpBinary, Length: 125}, []byte{0x82, 0x7D}},
		{"§5.2 length 126 in 16 bits", Header{Fin: true, Op: OpBinary, Length: 126}, []byte{0x82, 0x7E, 0x00, 0x7E}},
		{"§5.2 length 65535 in 16 bits", Header{Fin: true, Op: OpBinary, Length: 65535}, []byte{0x82, 0x7E, 0xFF, 0xFF}},
		{"§5.2 length 65536 in 64 bits", Header{Fin: true, Op: OpBinary, Length: 65536}, []byte{0x82, 0x7F, 0, 0, 0, 0, 0, 1, 0, 0}},
		{"§5.2 length 2^63-1 in 64 bits", Header{Fin: true, Op: OpBinary, Length: math.MaxInt64}, []byte{0x82, 0x7F, 0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF}},
		{"§5.3 masked 7-bit", Header{Fin: true, Op: OpText, Masked: true, Key: key, Length: 5}, []byte{0x81, 0x85, 0xA, 0xB, 0xC, 0xD}},
		{"§5.3 masked 16-bit", Header{Fin: true, Op: OpText, Masked: true, Key: key, Length: 300}, []byte{0x81, 0xFE, 0x01, 0x2C, 0xA, 0xB, 0xC, 0xD}},
		{"§5.3 masked 64-bit", Header{Fin: true, Op: OpText, Masked: true, Key: key, Length: 1 << 20}, []byte{0x81, 0xFF, 0, 0, 0, 0, 0, 0x10, 0, 0, 0xA, 0xB, 0xC, 0xD}},
		{"§5.2 key ignored when unmasked", Header{Fin: true, Op: OpPing, Key: key}, []byte{0x89, 0x00}},
		{"§5.4 FIN clear", Header{Op: OpContinuation, Length: 2}, []byte{0x00, 0x02}},
		{"§5.2 all RSV bits", Header{Fin: true, Rsv: Rsv1 | Rsv2 | Rsv3, Op: OpText}, []byte{0xF1, 0x00}},
		{"§5.2 RSV2", Header{Rsv: Rsv2, Op: OpBinary}, []byte{0x22, 0x00}},
		{"§5.5.1 close", Header{Fin: true, Op: OpClose, Length: 2}, []byte{0x88, 0x02}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			prefix := []byte("prefix")
			got := AppendHeader(prefix, tc.h)
			if !bytes.Equal(got[:len(prefix)], []byte("prefix")) || !bytes.Equal(got[len(prefix):], tc.want) {
				t.Errorf("AppendHeader(%+v) = % x, want % x after the prefix", tc.h, got, tc.want)
			}
			if size := tc.h.Size(); size != len(tc.want) {
				t.Errorf("Size() = %d, want %d", size, len(tc.want))
			}
		})
	}
}

// TestAppendHeaderMinimal checks §5.2 "the minimal number of bytes MUST be
// used to encode the length" around every boundary.
func TestAppendHeaderMinimal(t *testing.T) {
	for _, tc := range []struct {
		length int64
		size   int
	}{
		{0, 2}, {125, 2}, {126, 4}, {65535, 4}, {65536, 10}, {math.MaxInt64, 10},
	} {
		for _, masked := range []bool{false, true} {
			h := Header{Fin: true, Op: OpBinary, Masked: masked, Length: tc.length}
			want := tc.size
			if masked {
				want += 4
			}
			got := AppendHeader(nil, h)
			if len(got) != want || h.Size() != want {
				t.Errorf("length %d masked %v: AppendHeader wrote %d bytes, Size() = %d, want %d", tc.length, masked, len(got), h.Size(), want)
			}
			back, n, err := ParseHeader(got)
			if err != nil || n != want || back.Length != tc.length {
				t.Errorf("length %d masked %v: ParseHeader(AppendHeader) = %+v, %d, %v", tc.length, masked, back, n, err)
			}
		}
	}
}

func TestAppendHeaderPanics(t *testing.T) {
	for _, h := range []Header{
		{Op: OpBinary, Length: -1},
		{Op: OpBinary, Rsv: 0b1000},
		{Op: 0x10},
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("AppendHeader(%+v) did not panic", h)
				}
			}()
			AppendHeader(nil, h)
		}()
	}
}

// hideType hides the concrete type of a reader so that ReadHeader takes its
// unbuffered path.
type hideType struct{ io.Reader }

func TestReadHeader(t *testing.T) {
	key := [4]byte{9, 8, 7, 6}
	payload := []byte("payload")
	readers := []struct {
		name string
		wrap func(io.Reader) io.Reader
	}{
		{"bufio", func(r io.Reader) io.Reader { return bufio.NewReader(r) }},
		{"bufio-one-byte", func(r io.Reader) io.Reader { return bufio.NewReaderSize(iotest.OneByteReader(r), 16) }},
		{"plain", func(r io.Reader) io.Reader { return hideType{r} }},
		{"plain-one-byte", func(r io.Reader) io.Reader { return iotest.OneByteReader(r) }},
	}
	for _, rd := range readers {
		t.Run(rd.name, func(t *testing.T) {
			for _, tc := range headerCases {
				maskedWire, maskedWant := withMask(tc.wire, tc.want, key)
				for _, c := range []struct {
					wire []byte
					want Header
				}{{tc.wire, tc.want}, {maskedWire, maskedWant}} {
					r := rd.wrap(bytes.NewReader(append(append([]byte(nil), c.wire...), payload...)))
					h, err := ReadHeader(r)
					if err != nil || h != c.want {
						t.Errorf("%s: ReadHeader(% x) = %+v, %v; want %+v", tc.name, c.wire, h, err, c.want)
						continue
					}
					// The header, and only the header, has been consumed.
					if rest, _ := io.ReadAll(r); !bytes.Equal(rest, payload) {
						t.Errorf("%s: after ReadHeader the reader holds %q, want %q", tc.name, rest, payload)
					}
					// Cut short at every point after the first byte.
					for cut := 1; cut < len(c.wire); cut++ {
						_, err := ReadHeader(rd.wrap(bytes.NewReader(c.wire[:cut])))
						if err != io.ErrUnexpectedEOF {
							t.Errorf("%s: ReadHeader(% x) err = %v, want io.ErrUnexpectedEOF", tc.name, c.wire[:cut], err)
						}
					}
				}
			}
			if _, err := ReadHeader(rd.wrap(bytes.NewReader(nil))); err != io.EOF {
				t.Errorf("ReadHeader(empty) err = %v, want io.EOF", err)
			}
			overflow := []byte{0x82, 0x7F, 0x80, 0, 0, 0, 0, 0, 0, 0}
			if _, err := ReadHeader(rd.wrap(bytes.NewReader(overflow))); err != ErrLengthOverflow {
				t.Errorf("§5.2 ReadHeader(% x) err = %v, want ErrLengthOverflow", overflow, err)
			}
			boom := errors.New("boom")
			if _, err := ReadHeader(rd.wrap(iotest.ErrReader(boom))); err != boom {
				t.Errorf("ReadHeader(failing reader) err = %v, want %v", err, boom)
			}
			if _, err := ReadHeader(rd.wrap(io.MultiReader(bytes.NewReader([]byte{0x82, 0x7E, 0x01}), iotest.ErrReader(boom)))); err != boom {
				t.Errorf("ReadHeader(reader failing mid-header) err = %v, want %v", err, boom)
			}
		})
	}
}

// TestReadHeaderSequence reads back-to-back frames through one bufio.Reader.
func TestReadHeaderSequence(t *testing.T) {
	var wire []byte
	var want []Header
	for i, tc := range headerCases {
		if tc.want.Length > 1000 {
			continue
		}
		h := tc.want
		h.Masked = i%2 == 0
		if h.Masked {
			h.Key = [4]byte{byte(i), 1, 2, 3}
		}
		want = append(want, h)
		wire = AppendHeader(wire, h)
		wire = append(wire, bytes.Repeat([]byte{'x'}, int(h.Length))...)
	}
	br := bufio.NewReaderSize(bytes.NewReader(wire), 16)
	for _, w := range want {
		h, err := ReadHeader(br)
		if err != nil || h != w {
			t.Fatalf("ReadHeader = %+v, %v; want %+v", h, err, w)
		}
		if _, err := br.Discard(int(h.Length)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := ReadHeader(br); err != io.EOF {
		t.Errorf("ReadHeader at end = %v, want io.EOF", err)
	}
}

func TestHeaderString(t *testing.T) {
	for _, tc := range []struct {
		h    Header
		want string
	}{
		{Header{Fin: true, Op: OpText, Masked: true, Key: [4]byte{0x37, 0xfa, 0x21, 0x3d}, Length: 5}, "text fin rsv=000 len=5 key=37fa213d"},
		{Header{Op: OpContinuation, Rsv: Rsv1, Length: 70000}, "continuation rsv=100 len=70000"},
		{Header{Fin: true, Op: 0xB, Rsv: Rsv2 | Rsv3}, "reserved(0xb) fin rsv=011 len=0"},
	} {
		if got := tc.h.String(); got != tc.want {
			t.Errorf("%+v.String() = %q, want %q", tc.h, got, tc.want)
		}
	}
}
