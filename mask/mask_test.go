package mask

import (
	"bytes"
	"fmt"
	"math"
	"testing"
	"unsafe"
)

// An implementation is one way of computing Apply: Apply itself, the
// portable applyGeneric, and each vector path this build and machine can
// run (vectorImplementations, in mask_amd64_test.go and
// mask_generic_test.go). Every test runs all of them, so the portable code
// is tested on amd64 as well, and the vector code on lengths far below
// vectorMin, where Apply would not use it.
type implementation struct {
	name  string
	apply func(key [4]byte, pos int, b []byte) int
}

func implementations() []implementation {
	impls := []implementation{{"Apply", Apply}, {"generic", applyGeneric}}
	return append(impls, vectorImplementations()...)
}

// vectorApply makes an implementation of Apply out of a vector function
// such as maskAVX2, which masks b with the key already rotated to b[0]. It
// hands the function every payload of at least minLen bytes (the least the
// function accepts), so tests reach the vector code far below vectorMin.
func vectorApply(mask func(b []byte, key uint32), minLen int) func(key [4]byte, pos int, b []byte) int {
	return func(key [4]byte, pos int, b []byte) int {
		if len(b) < minLen {
			return applyGeneric(key, pos, b)
		}
		mask(b, rotatedKey(key, pos))
		return (pos + len(b)) & 3
	}
}

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

// maxAlign is the widest alignment any implementation cares about: AVX2
// aligns its stores to 32 bytes.
const maxAlign = 32

// alignedAt returns a copy of src whose first byte sits off bytes (0..31)
// past a 32-byte boundary, so tests cover every alignment an implementation
// can meet. The allocator only promises 8- or 16-byte alignment, so the
// start is found from the address.
func alignedAt(src []byte, off int) []byte {
	buf := make([]byte, len(src)+2*maxAlign)
	start := (off - int(uintptr(unsafe.Pointer(&buf[0])))) & (maxAlign - 1)
	b := buf[start : start+len(src)]
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
	for _, impl := range implementations() {
		for _, tt := range tests {
			t.Run(impl.name+"/"+tt.name, func(t *testing.T) {
				got := bytes.Clone(tt.in)
				gotPos := impl.apply(tt.key, tt.pos, got)
				if !bytes.Equal(got, tt.want) {
					t.Errorf("%s(% x, %d, % x) gave % x, want % x", impl.name, tt.key, tt.pos, tt.in, got, tt.want)
				}
				if gotPos != tt.wantPos {
					t.Errorf("%s(% x, %d, %d bytes) returned pos %d, want %d", impl.name, tt.key, tt.pos, len(tt.in), gotPos, tt.wantPos)
				}
			})
		}
	}
}

// TestApplyMatchesReference checks every implementation against the byte
// loop for every length 0..600, every pos 0..7 and every start address mod
// 32. For the portable code that covers the byte, 4-byte and 8-byte short
// paths, every leftover after the 128-byte loop and the aligned path from
// alignMin on; for the vector code, every head, body and tail split of
// both vector widths, including lengths of exactly one vector.
func TestApplyMatchesReference(t *testing.T) {
	key := [4]byte{0x37, 0xfa, 0x21, 0x3d}
	for _, impl := range implementations() {
		t.Run(impl.name, func(t *testing.T) {
			for n := 0; n <= 600; n++ {
				src := testPayload(n)
				for pos := 0; pos < 8; pos++ {
					want := bytes.Clone(src)
					wantPos := applyReference(key, pos, want)
					for off := range maxAlign {
						if pos >= 4 && off > 0 {
							continue // pos 4..7 only checks the mod 4 once
						}
						got := alignedAt(src, off)
						gotPos := impl.apply(key, pos, got)
						if !bytes.Equal(got, want) || gotPos != wantPos {
							t.Fatalf("len %d, pos %d, address offset %d: gave pos %d and\n% x\nwant pos %d and\n% x",
								n, pos, off, gotPos, got, wantPos, want)
						}
					}
				}
			}
		})
	}
}

// TestApplyLarge covers lengths that run the unrolled loops many times and
// end in every possible leftover, up to payloads larger than a cache.
func TestApplyLarge(t *testing.T) {
	key := [4]byte{0xde, 0xad, 0xbe, 0xef}
	sizes := []int{1000, 1023, 1024, 1025, 4096 + 13, 16 << 10, 1<<16 + 7, 1<<20 + 3}
	for _, impl := range implementations() {
		t.Run(impl.name, func(t *testing.T) {
			for _, n := range sizes {
				src := testPayload(n)
				for pos := 0; pos < 4; pos++ {
					want := bytes.Clone(src)
					wantPos := applyReference(key, pos, want)
					for _, off := range []int{0, 1, 6, 7, 16, 31} {
						got := alignedAt(src, off)
						if gotPos := impl.apply(key, pos, got); gotPos != wantPos || !bytes.Equal(got, want) {
							t.Fatalf("len %d, pos %d, address offset %d: result differs from the byte loop", n, pos, off)
						}
					}
				}
			}
		})
	}
}

// TestApplyOnlyTouchesB checks that no implementation writes before or
// after its slice, even though they store whole words and vectors that
// overlap b's ends. (mask_guard_linux_test.go checks reads as well.)
func TestApplyOnlyTouchesB(t *testing.T) {
	const guard = 2 * maxAlign // bytes checked on either side of b
	key := [4]byte{0xff, 0xff, 0xff, 0xff}
	for _, impl := range implementations() {
		t.Run(impl.name, func(t *testing.T) {
			for n := 0; n <= 600; n++ {
				for off := range maxAlign {
					buf := make([]byte, guard+n+guard+maxAlign)
					// Start b at address offset off mod 32, with at
					// least guard bytes before it.
					start := guard + (off-int(uintptr(unsafe.Pointer(&buf[guard]))))&(maxAlign-1)
					impl.apply(key, 0, buf[start:start+n])
					for i, c := range buf {
						inside := i >= start && i < start+n
						if inside && c != 0xff || !inside && c != 0 {
							t.Fatalf("len %d, offset %d: byte %d of the surrounding buffer (b is [%d:%d]) is %#x",
								n, off, i, start, start+n, c)
						}
					}
				}
			}
		})
	}
}

// TestApplySplit checks the streaming contract of §5.3's i MOD 4: masking a
// payload as two pieces, feeding the returned pos into the second call,
// gives the same bytes as the byte loop over the whole, wherever the split
// falls, so that pieces on either side of vectorMin meet correctly.
func TestApplySplit(t *testing.T) {
	key := [4]byte{0x37, 0xfa, 0x21, 0x3d}
	for _, impl := range implementations() {
		t.Run(impl.name, func(t *testing.T) {
			for _, n := range []int{0, 1, 5, 17, 64, 131, 300, 517} {
				src := testPayload(n)
				for pos := 0; pos < 4; pos++ {
					want := bytes.Clone(src)
					wantPos := applyReference(key, pos, want)
					for split := 0; split <= n; split++ {
						got := bytes.Clone(src)
						mid := impl.apply(key, pos, got[:split])
						if end := impl.apply(key, mid, got[split:]); end != wantPos {
							t.Fatalf("len %d, pos %d, split at %d: final pos %d, want %d", n, pos, split, end, wantPos)
						}
						if !bytes.Equal(got, want) {
							t.Fatalf("len %d, pos %d, split at %d: two calls differ from the byte loop", n, pos, split)
						}
					}
				}
			}
		})
	}
}

// TestApplyTwiceRestores checks that unmasking is masking (§5.3 XOR).
func TestApplyTwiceRestores(t *testing.T) {
	key := [4]byte{0x9a, 0x00, 0x3c, 0xf1}
	for _, impl := range implementations() {
		t.Run(impl.name, func(t *testing.T) {
			for n := 0; n <= 300; n++ {
				src := testPayload(n)
				for pos := 0; pos < 4; pos++ {
					b := bytes.Clone(src)
					impl.apply(key, pos, b)
					if n >= 4 && bytes.Equal(b, src) {
						t.Fatalf("len %d, pos %d: masking left the payload unchanged", n, pos)
					}
					impl.apply(key, pos, b)
					if !bytes.Equal(b, src) {
						t.Fatalf("len %d, pos %d: applying the key twice did not restore the payload", n, pos)
					}
				}
			}
		})
	}
}

// TestApplyReturnedPos checks the returned offset on its own: (pos+len) mod 4
// for positive, large and negative pos, below and above vectorMin.
func TestApplyReturnedPos(t *testing.T) {
	lengths := []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 16, 31, 32, 33, 127, 128, 129, 130, 131}
	for _, impl := range implementations() {
		for _, pos := range []int{0, 1, 2, 3, 4, 5, 1 << 30, math.MaxInt, math.MaxInt - 1, -1, -2, -3, -4, -5, math.MinInt, math.MinInt + 1} {
			for _, n := range lengths {
				want := ((pos%4+n)%4 + 4) % 4
				if got := impl.apply([4]byte{}, pos, make([]byte, n)); got != want {
					t.Errorf("%s(key, %d, %d bytes) = %d, want %d", impl.name, pos, n, got, want)
				}
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
