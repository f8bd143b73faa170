package guardpage

import (
	"testing"
	"unsafe"
)

// TestPageFaultsOutside checks that every byte of the page can be used and that reading the byte
// just before it or just after it panics instead of returning a value.
func TestPageFaultsOutside(t *testing.T) {
	data := Page(t)
	for i := range data {
		data[i] = byte(i)
	}
	first := unsafe.Pointer(unsafe.SliceData(data))
	for _, tc := range []struct {
		name string
		at   unsafe.Pointer
	}{
		{"the byte before the page", unsafe.Add(first, -1)},
		{"the byte after the page", unsafe.Add(first, len(data))},
	} {
		faulted := func() (faulted bool) {
			defer func() { faulted = recover() != nil }()
			_ = *(*byte)(tc.at)
			return false
		}()
		if !faulted {
			t.Errorf("reading %s did not fault", tc.name)
		}
	}
}
