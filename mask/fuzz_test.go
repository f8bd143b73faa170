package mask

import (
	"bytes"
	"math"
	"testing"
)

// FuzzApply checks every implementation (Apply, the portable code and each
// vector path the machine can run) against the §5.3 byte loop for
// arbitrary keys, positions, payloads, start addresses and split points:
// masking in two pieces must equal the reference over the whole, the
// returned pos must match, and masking again must restore the input.
func FuzzApply(f *testing.F) {
	f.Add(uint32(0x3d21fa37), 0, []byte("Hello"), uint(0), uint8(0))
	f.Add(uint32(0x01020408), 3, []byte("a payload longer than sixteen bytes"), uint(5), uint8(1))
	f.Add(uint32(0xffffffff), -1, make([]byte, 300), uint(257), uint8(6))
	f.Add(uint32(0), math.MaxInt-2, []byte{}, uint(0), uint8(7))
	f.Add(uint32(0xa1b2c3d4), 2, bytes.Repeat([]byte("0123456789abcdef"), 40), uint(129), uint8(27))
	f.Fuzz(func(t *testing.T, key32 uint32, pos int, data []byte, split uint, off uint8) {
		key := [4]byte{byte(key32), byte(key32 >> 8), byte(key32 >> 16), byte(key32 >> 24)}
		want := bytes.Clone(data)
		wantPos := applyReference(key, pos, want)

		// Place the payload at every kind of address mod 32.
		o := int(off % maxAlign)
		s := int(split % uint(len(data)+1))
		for _, impl := range implementations() {
			got := alignedAt(data, o)
			mid := impl.apply(key, pos, got[:s])
			if mid < 0 || mid > 3 {
				t.Fatalf("%s returned pos %d, outside 0..3", impl.name, mid)
			}
			gotPos := impl.apply(key, mid, got[s:])
			if gotPos != wantPos {
				t.Fatalf("%s: pos %d, split %d: final pos %d, want %d", impl.name, pos, s, gotPos, wantPos)
			}
			if !bytes.Equal(got, want) {
				t.Fatalf("%s: pos %d, split %d, offset %d: result differs from the byte loop", impl.name, pos, s, o)
			}
			impl.apply(key, pos, got)
			if !bytes.Equal(got, data) {
				t.Fatalf("%s: applying the key twice did not restore the input", impl.name)
			}
		}
	})
}
