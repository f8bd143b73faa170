//go:build amd64 && !purego

package frame

// vectorUTF8Validators returns the vector code this machine can run.
func vectorUTF8Validators() []utf8Validator {
	if !useAVX2 {
		return nil
	}
	return []utf8Validator{{"avx2", validAVX2}}
}
