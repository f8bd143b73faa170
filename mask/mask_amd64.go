//go:build amd64 && !purego

package mask

import "github.com/rfc6455/ws/internal/x86"

// vectorMin is the payload length from which Apply hands b to the vector
// code in mask_amd64.s, which needs at least one 32-byte vector. From 64
// bytes on the vector code was clearly faster than the portable
// applyGeneric (BenchmarkPaths measures it); at 32 to 63 bytes the gain
// was small and within the noise, and a payload that short is cheapest to
// mask without a call into assembly and a key broadcast.
const vectorMin = 64

// useAVX2 reports whether the CPU has AVX2 and the operating system saves
// the 256-bit registers it uses (see package internal/x86). maskVector
// reads it from assembly, hence a variable of this package.
var useAVX2 = x86.HasAVX2

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
