// Package x86 tells the project's amd64 assembly (the masking loop of package mask and the
// UTF-8 validator of package frame) which vector instructions it may use. Its answers are
// computed once, while the package is initialized, and only read afterwards: they describe the
// machine, they are not state that changes. On other architectures the package is empty.
package x86
