// Package guardpage gives tests memory that faults on any access past either end, to prove that
// word-at-a-time and vector code (the masking loop of package mask, the UTF-8 validator of
// package frame) never reads or writes outside the slice it is given. It works on Linux only.
package guardpage

import (
	"os"
	"runtime/debug"
	"syscall"
	"testing"
)

// Page returns one page of writable memory between two pages the process may not access, so
// that a load or store of even one byte before data[0] or after data[len(data)-1] faults. The
// memory is unmapped when the test ends. Page also makes such a fault a panic rather than a
// crash of the test binary (debug.SetPanicOnFault), for the test to recover and report. It skips
// the test if the memory cannot be set up.
func Page(tb testing.TB) (data []byte) {
	tb.Helper()
	page := os.Getpagesize()
	// Three pages: guard, data, guard.
	mem, err := syscall.Mmap(-1, 0, 3*page, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE)
	if err != nil {
		tb.Skipf("mmap: %v", err)
	}
	tb.Cleanup(func() { syscall.Munmap(mem) })
	for _, guard := range [][]byte{mem[:page], mem[2*page:]} {
		if err := syscall.Mprotect(guard, syscall.PROT_NONE); err != nil {
			tb.Skipf("mprotect: %v", err)
		}
	}
	panicOnFault := debug.SetPanicOnFault(true)
	tb.Cleanup(func() { debug.SetPanicOnFault(panicOnFault) })
	return mem[page : 2*page : 2*page]
}
