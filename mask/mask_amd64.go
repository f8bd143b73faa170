//go:build amd64 && !purego

package mask

// vectorMin is the payload length from which Apply hands b to the vector
// code in mask_amd64.s, which needs at least one 32-byte vector. From 64
// bytes on the vector code was clearly faster than the portable
// applyGeneric (BenchmarkPaths measures it); at 32 to 63 bytes the gain
// was small and within the noise, and a payload that short is cheapest to
// mask without a call into assembly and a key broadcast.
const vectorMin = 64

// useAVX2 reports whether the CPU has AVX2 and the operating system saves
// the 256-bit registers it uses. It is computed once, while the package is
// initialized, and only read afterwards: it describes the machine, it is
// not state that changes.
var useAVX2 = detectAVX2()

// The functions below are implemented in mask_amd64.s. Each XORs b in
// place with key repeated, where key is the masking key rotated to the key
// offset of b[0], as rotatedKey returns it.

// maskVector runs maskAVX2 if useAVX2 is set and maskSSE2 otherwise; the
// choice is made in assembly so that Apply reaches the vector code with a
// single call. len(b) must be at least 32 (vectorMin is more).
//
//go:noescape
func maskVector(b []byte, key uint32)

// maskAVX2 masks with 32-byte AVX2 registers. len(b) must be at least 32,
// and useAVX2 must be true.
//
//go:noescape
func maskAVX2(b []byte, key uint32)

// maskSSE2 masks with 16-byte SSE2 registers, which every amd64 CPU has.
// len(b) must be at least 16.
//
//go:noescape
func maskSSE2(b []byte, key uint32)

// cpuid executes the CPUID instruction for the given leaf (EAX) and
// subleaf (ECX).
func cpuid(leaf, subleaf uint32) (eax, ebx, ecx, edx uint32)

// xgetbv returns XCR0, the set of register states the OS saves.
func xgetbv() (eax, edx uint32)

// detectAVX2 asks the CPU whether AVX2 code can run (Intel SDM vol. 1,
// section 14.3 "Detection of Intel AVX instructions", and vol. 2, CPUID):
//
//   - CPUID leaf 1, ECX bit 27 (OSXSAVE): the OS has enabled XGETBV and
//     manages extended register state; bit 28 (AVX): the CPU has AVX;
//   - XCR0 bits 1 and 2: the OS saves the XMM and the upper YMM halves on
//     a context switch, so 256-bit registers survive preemption;
//   - CPUID leaf 7, subleaf 0, EBX bit 5: the CPU has AVX2.
func detectAVX2() bool {
	const (
		osxsave   = 1 << 27 // CPUID.1:ECX
		avx       = 1 << 28 // CPUID.1:ECX
		xmmYmm    = 1<<1 | 1<<2
		avx2      = 1 << 5 // CPUID.(EAX=7,ECX=0):EBX
		avx2Leaf  = 7
		basicLeaf = 0
	)
	maxLeaf, _, _, _ := cpuid(basicLeaf, 0)
	if maxLeaf < avx2Leaf {
		return false
	}
	_, _, ecx1, _ := cpuid(1, 0)
	if ecx1&osxsave == 0 || ecx1&avx == 0 {
		return false
	}
	if xcr0, _ := xgetbv(); xcr0&xmmYmm != xmmYmm {
		return false
	}
	_, ebx7, _, _ := cpuid(avx2Leaf, 0)
	return ebx7&avx2 != 0
}
