//go:build !amd64 || purego

package frame

// vectorUTF8Validators returns no validators: this build has no vector code.
func vectorUTF8Validators() []utf8Validator { return nil }
