//go:build !amd64 || purego

package frame

import "math"

// utf8VectorMin is the piece length from which UTF8.Write uses vector code.
// This build has none (the platform is not amd64, or the purego tag asks
// for portable Go only), so no piece is that long and Write always runs
// the portable DFA, utf8Advance.
const utf8VectorMin = math.MaxInt

// utf8AdvanceVector runs the UTF-8 DFA from state s over p. Write never
// calls it in this build; it exists, and is correct, so that Write
// compiles the same everywhere.
func utf8AdvanceVector(s utf8State, p []byte) utf8State {
	return utf8Advance(s, p)
}
