package mask

import (
	"bytes"
	"fmt"
	"testing"
)

// applyReference is the RFC 6455 §5.3 definition written out literally, one
// byte at a time: j = i MOD 4; transformed-octet-i = original-octet-i XOR
// masking-key-octet-j. The tests and the fuzz target compare Apply with it.
func applyReference(key [4]byte, pos int, b []byte) int {
	pos &= 3
	for i := range b {
		b[i] ^= key[pos]
		pos = (pos + 1) & 3
	}
	return pos
}

// testPayload returns n bytes of a pattern with no period of 4, so a key
// used at the wrong offset shows up as a difference.
func testPayload(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*131 + i>>8 + 7)
	}
	return b
}

// alignedAt returns a copy of src whose first byte sits off bytes past an
// 8-byte boundary, so tests cover every alignment Apply can meet.
func alignedAt(src []byte, off int) []byte {
	buf := make([]byte, len(src)+16)
	// Go's allocator returns at least 8-byte-aligned blocks for 16+ bytes.
	b := buf[off : off+len(src)]
	copy(b, src)
	return b
}

func TestApplyRFCExamples(t *testing.T) {
	tests := []struct {
		name    string
		key     [4]byte
		pos     int
		in      []byte
		want    []byte
		wantPos int
	}{
		{
			// §5.7: "A single-frame masked text message" carries
			// 0x81 0x85 0x37 0xfa 0x21 0x3d 0x7f 0x9f 0x4d 0x51 0x58,
			// i.e. "Hello" under key 37 fa 21 3d.
			name:    "§5.7 masked Hello",
			key:     [4]byte{0x37, 0xfa, 0x21, 0x3d},
			in:      []byte("Hello"),
			want:    []byte{0x7f, 0x9f, 0x4d, 0x51, 0x58},
			wantPos: 1,
		},
		{
			name:    "§5.7 unmasking is the same operation",
			key:     [4]byte{0x37, 0xfa, 0x21, 0x3d},
			in:      []byte{0x7f, 0x9f, 0x4d, 0x51, 0x58},
			want:    []byte("Hello"),
			wantPos: 1,
		},
		{
			// The last three bytes of the §5.7 example, continuing at
			// key offset 2 after "He".
			name:    "§5.3 i MOD 4: continuing at pos 2",
			key:     [4]byte{0x37, 0xfa, 0x21, 0x3d},
			pos:     2,
			in:      []byte("llo"),
			want:    []byte{0x4d, 0x51, 0x58},
			wantPos: 1,
		},
		{
			name:    "§5.3 key octet i MOD 4 wraps",
			key:     [4]byte{0x01, 0x02, 0x04, 0x08},
			in:      make([]byte, 10),
			want:    []byte{1, 2, 4, 8, 1, 2, 4, 8, 1, 2},
			wantPos: 2,
		},
		{
			name:    "§5.3 pos 3 starts at the last key octet",
			key:     [4]byte{0x01, 0x02, 0x04, 0x08},
			pos:     3,
			in:      make([]byte, 6),
			want:    []byte{8, 1, 2, 4, 8, 1},
			wantPos: 1,
		},
		{
			name:    "pos reduced mod 4: 6 is 2",
			key:     [4]byte{0x01, 0x02, 0x04, 0x08},
			pos:     6,
			in:      make([]byte, 3),
			want:    []byte{4, 8, 1},
			wantPos: 1,
		},
		{
			name:    "pos reduced mod 4: -1 is 3",
			key:     [4]byte{0x01, 0x02, 0x04, 0x08},
			pos:     -1,
			in:      make([]byte, 2),
			want:    []byte{8, 1},
			wantPos: 1,
		},
		{
			name:    "empty payload returns pos mod 4",
			key:     [4]byte{0x01, 0x02, 0x04, 0x08},
			pos:     7,
			in:      []byte{},
			want:    []byte{},
			wantPos: 3,
		},
		{
			name:    "nil payload",
			key:     [4]byte{0x01, 0x02, 0x04, 0x08},
			pos:     1,
			in:      nil,
			want:    nil,
			wantPos: 1,
		},
		{
			name:    "zero key leaves data unchanged",
			in:      []byte("unchanged payload of some length"),
			want:    []byte("unchanged payload of some length"),
			wantPos: 0,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := bytes.Clone(tt.in)
			gotPos := Apply(tt.key, tt.pos, got)
			if !bytes.Equal(got, tt.want) {
				t.Errorf("Apply(% x, %d, % x) gave % x, want % x", tt.key, tt.pos, tt.in, got, tt.want)
			}
			if gotPos != tt.wantPos {
				t.Errorf("Apply(% x, %d, %d bytes) returned pos %d, want %d", tt.key, tt.pos, len(tt.in), gotPos, tt.wantPos)
			}
		})
	}
}

// TestApplyMatchesReference checks Apply against the byte loop for every
// length 0..300, every pos 0..7 and every start address mod 8: that covers
// the byte, 4-byte and 8-byte short paths, every leftover block after the
// 128-byte loop, and the aligned path from alignMin on.
func TestApplyMatchesReference(t *testing.T) {
	key := [4]byte{0x37, 0xfa, 0x21, 0x3d}
	for n := 0; n <= 300; n++ {
		src := testPayload(n)
		for pos := 0; pos < 8; pos++ {
			want := bytes.Clone(src)
			wantPos := applyReference(key, pos, want)
			for off := 0; off < 8; off++ {
				got := alignedAt(src, off)
				gotPos := Apply(key, pos, got)
				if !bytes.Equal(got, want) || gotPos != wantPos {
					t.Fatalf("len %d, pos %d, address offset %d: Apply gave pos %d and\n% x\nwant pos %d and\n% x",
						n, pos, off, gotPos, got, wantPos, want)
				}
			}
		}
	}
}

// TestApplyLarge covers lengths that run the 128-byte loop many times and
// end in every possible leftover.
func TestApplyLarge(t *testing.T) {
	key := [4]byte{0xde, 0xad, 0xbe, 0xef}
	for _, n := range []int{1000, 1023, 1024, 1025, 4096 + 13, 16 << 10, 1<<16 + 7} {
		src := testPayload(n)
		for pos := 0; pos < 4; pos++ {
			want := bytes.Clone(src)
			wantPos := applyReference(key, pos, want)
			for _, off := range []int{0, 1, 6, 7} {
				got := alignedAt(src, off)
				if gotPos := Apply(key, pos, got); gotPos != wantPos || !bytes.Equal(got, want) {
					t.Fatalf("len %d, pos %d, address offset %d: result differs from the byte loop", n, pos, off)
				}
			}
		}
	}
}

// TestApplyOnlyTouchesB checks that Apply writes neither before nor after
// its slice, even though it stores whole words that overlap b's ends.
func TestApplyOnlyTouchesB(t *testing.T) {
	key := [4]byte{0xff, 0xff, 0xff, 0xff}
	for n := 0; n <= 300; n++ {
		for off := 0; off < 8; off++ {
			buf := make([]byte, off+n+8)
			Apply(key, 0, buf[off:off+n])
			for i, c := range buf {
				inside := i >= off && i < off+n
				if inside && c != 0xff || !inside && c != 0 {
					t.Fatalf("len %d, offset %d: byte %d of the surrounding buffer is %#x", n, off, i, c)
				}
			}
		}
	}
}

// TestApplySplit checks the streaming contract of §5.3's i MOD 4: masking a
// payload as two pieces, feeding the returned pos into the second call,
// gives the same bytes as one call, wherever the split falls.
func TestApplySplit(t *testing.T) {
	key := [4]byte{0x37, 0xfa, 0x21, 0x3d}
	for _, n := range []int{0, 1, 5, 17, 64, 131, 300} {
		src := testPayload(n)
		for pos := 0; pos < 4; pos++ {
			want := bytes.Clone(src)
			wantPos := Apply(key, pos, want)
			for split := 0; split <= n; split++ {
				got := bytes.Clone(src)
				mid := Apply(key, pos, got[:split])
				if end := Apply(key, mid, got[split:]); end != wantPos {
					t.Fatalf("len %d, pos %d, split at %d: final pos %d, want %d", n, pos, split, end, wantPos)
				}
				if !bytes.Equal(got, want) {
					t.Fatalf("len %d, pos %d, split at %d: two calls differ from one", n, pos, split)
				}
			}
		}
	}
}

// TestApplyTwiceRestores checks that unmasking is masking (§5.3 XOR).
func TestApplyTwiceRestores(t *testing.T) {
	key := [4]byte{0x9a, 0x00, 0x3c, 0xf1}
	for n := 0; n <= 300; n++ {
		src := testPayload(n)
		for pos := 0; pos < 4; pos++ {
			b := bytes.Clone(src)
			Apply(key, pos, b)
			if n >= 4 && bytes.Equal(b, src) {
				t.Fatalf("len %d, pos %d: masking left the payload unchanged", n, pos)
			}
			Apply(key, pos, b)
			if !bytes.Equal(b, src) {
				t.Fatalf("len %d, pos %d: applying the key twice did not restore the payload", n, pos)
			}
		}
	}
}

// TestApplyReturnedPos checks the returned offset on its own: (pos+len) mod 4
// for positive, large and negative pos.
func TestApplyReturnedPos(t *testing.T) {
	for _, pos := range []int{0, 1, 2, 3, 4, 5, 1 << 40, -1, -2, -3, -4, -5} {
		for n := 0; n < 12; n++ {
			want := ((pos+n)%4 + 4) % 4
			if got := Apply([4]byte{}, pos, make([]byte, n)); got != want {
				t.Errorf("Apply(key, %d, %d bytes) = %d, want %d", pos, n, got, want)
			}
		}
	}
}

func TestApplyReferenceSelfCheck(t *testing.T) {
	// The reference itself against the §5.7 bytes, so a mistake in it
	// cannot hide one in Apply.
	b := []byte("Hello")
	applyReference([4]byte{0x37, 0xfa, 0x21, 0x3d}, 0, b)
	if got := fmt.Sprintf("% x", b); got != "7f 9f 4d 51 58" {
		t.Fatalf("reference masks Hello to %s, want 7f 9f 4d 51 58", got)
	}
}
