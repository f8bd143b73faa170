package x86

// HasAVX2 reports whether the CPU has AVX2 and the operating system saves the 256-bit registers
// it uses.
var HasAVX2 = detectAVX2()

// cpuid executes the CPUID instruction for the given leaf (EAX) and subleaf (ECX).
func cpuid(leaf, subleaf uint32) (eax, ebx, ecx, edx uint32)

// xgetbv returns XCR0, the set of register states the OS saves.
func xgetbv() (eax, edx uint32)

// detectAVX2 asks the CPU whether AVX2 code can run (Intel SDM vol. 1, section 14.3 "Detection
// of Intel AVX instructions", and vol. 2, CPUID):
//
//   - CPUID leaf 1, ECX bit 27 (OSXSAVE): the OS has enabled XGETBV and manages extended
//     register state; bit 28 (AVX): the CPU has AVX;
//   - XCR0 bits 1 and 2: the OS saves the XMM and the upper YMM halves on a context switch, so
//     256-bit registers survive preemption;
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
