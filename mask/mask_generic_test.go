//go:build !amd64 || purego

package mask

// vectorImplementations returns the portable stand-in for the vector code,
// which Apply never calls in this build but which must be correct anyway.
func vectorImplementations() []implementation {
	return []implementation{{"maskVector", vectorApply(maskVector, 0)}}
}
