//go:build !amd64 || purego

package mask

import (
	"encoding/binary"
	"math"
)

// vectorMin is the payload length from which Apply uses vector code. This
// build has none (the platform is not amd64, or the purego tag asks for
// portable Go only), so no slice is that long and Apply always runs
// applyGeneric.
const vectorMin = math.MaxInt

// maskVector XORs b in place with key repeated, key being the masking key
// rotated to the key offset of b[0]. Apply never calls it in this build;
// it exists, and is correct, so that Apply compiles the same everywhere.
func maskVector(b []byte, key uint32) {
	var k [4]byte
	binary.LittleEndian.PutUint32(k[:], key)
	applyGeneric(k, 0, b)
}
