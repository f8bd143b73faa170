package mask

import (
	"fmt"
	"testing"
)

// benchSizes are the payload sizes reported by BenchmarkApply and
// BenchmarkCopy: a tiny frame, a typical chat message, and bulk data.
var benchSizes = []struct {
	name string
	n    int
}{
	{"16", 16},
	{"128", 128},
	{"1K", 1 << 10},
	{"16K", 16 << 10},
	{"1M", 1 << 20},
}

// BenchmarkApply measures masking throughput. Compare each size with
// BenchmarkCopy: copy is the fastest a pass over memory can be in Go.
func BenchmarkApply(b *testing.B) {
	key := [4]byte{0x37, 0xfa, 0x21, 0x3d}
	for _, size := range benchSizes {
		b.Run(size.name, func(b *testing.B) {
			buf := make([]byte, size.n)
			b.SetBytes(int64(size.n))
			b.ReportAllocs()
			pos := 0
			for b.Loop() {
				pos = Apply(key, pos, buf)
			}
		})
	}
}

// BenchmarkApplyUnaligned masks payloads that start 6 bytes past an 8-byte
// boundary, where a payload unmasked in place after a 6- or 14-byte masked
// frame header (RFC 6455 §5.2) lands, at key offset 1.
func BenchmarkApplyUnaligned(b *testing.B) {
	key := [4]byte{0x37, 0xfa, 0x21, 0x3d}
	for _, size := range benchSizes {
		b.Run(size.name, func(b *testing.B) {
			buf := make([]byte, size.n+6)[6:]
			b.SetBytes(int64(size.n))
			b.ReportAllocs()
			for b.Loop() {
				Apply(key, 1, buf)
			}
		})
	}
}

// BenchmarkCopy is the yardstick for BenchmarkApply: copy of the same sizes.
func BenchmarkCopy(b *testing.B) {
	for _, size := range benchSizes {
		b.Run(size.name, func(b *testing.B) {
			src := make([]byte, size.n)
			dst := make([]byte, size.n)
			b.SetBytes(int64(size.n))
			b.ReportAllocs()
			for b.Loop() {
				copy(dst, src)
			}
		})
	}
}

// TestApplyAllocationFree checks that masking never allocates, at any size.
func TestApplyAllocationFree(t *testing.T) {
	key := [4]byte{0x37, 0xfa, 0x21, 0x3d}
	for _, size := range benchSizes {
		t.Run(fmt.Sprint(size.n), func(t *testing.T) {
			buf := make([]byte, size.n+3)
			allocs := testing.AllocsPerRun(100, func() {
				Apply(key, 3, buf[3:])
			})
			if allocs != 0 {
				t.Errorf("Apply(%d bytes) allocates %v times per call, want 0", size.n, allocs)
			}
		})
	}
}

// BenchmarkPaths runs each implementation on its own (Apply, the portable
// applyGeneric and the vector paths this machine has) at sizes around
// vectorMin, to show where the vector code starts to pay for its call and
// setup. Payloads start at key offset 0 and at an 8-byte-aligned address.
func BenchmarkPaths(b *testing.B) {
	key := [4]byte{0x37, 0xfa, 0x21, 0x3d}
	for _, impl := range implementations() {
		for _, n := range []int{32, 48, 64, 96, 128, 256, 1 << 10} {
			b.Run(fmt.Sprintf("impl=%s/size=%d", impl.name, n), func(b *testing.B) {
				buf := make([]byte, n)
				b.SetBytes(int64(n))
				b.ReportAllocs()
				for b.Loop() {
					impl.apply(key, 0, buf)
				}
			})
		}
	}
}
