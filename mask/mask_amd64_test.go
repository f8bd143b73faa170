//go:build amd64 && !purego

package mask

// vectorImplementations returns the vector code of mask_amd64.s that this
// machine can run: maskVector (which Apply calls) and SSE2 always, so the
// SSE2 code is tested even where AVX2 is preferred, and AVX2 when the CPU
// and OS support it.
func vectorImplementations() []implementation {
	impls := []implementation{
		{"maskVector", vectorApply(maskVector, 32)},
		{"sse2", vectorApply(maskSSE2, 16)},
	}
	if useAVX2 {
		impls = append(impls, implementation{"avx2", vectorApply(maskAVX2, 32)})
	}
	return impls
}
