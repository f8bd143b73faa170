package mask

import (
	"bytes"
	"testing"

	"github.com/rfc6455/ws/internal/guardpage"
)

// TestApplyReadsOnlyB checks that no implementation reads (or writes)
// outside its slice, which TestApplyOnlyTouchesB cannot see: b is placed
// right after, and right before, a page that the process may not access,
// so a load of even one byte beyond either end of b faults. The word and
// vector code must reach b's ends with loads that end or start exactly at
// them (the overlapping head and tail), never with a load that runs over.
func TestApplyReadsOnlyB(t *testing.T) {
	data := guardpage.Page(t)
	page := len(data)
	key := [4]byte{0x37, 0xfa, 0x21, 0x3d}
	check := func(impl implementation, pos int, b []byte, where string) {
		t.Helper()
		defer func() {
			if r := recover(); r != nil {
				t.Fatalf("%s, len %d, pos %d, b %s: %v", impl.name, len(b), pos, where, r)
			}
		}()
		src := testPayload(len(b))
		want := bytes.Clone(src)
		applyReference(key, pos, want)
		copy(b, src)
		impl.apply(key, pos, b)
		if !bytes.Equal(b, want) {
			t.Fatalf("%s, len %d, pos %d, b %s: result differs from the byte loop", impl.name, len(b), pos, where)
		}
	}
	for _, impl := range implementations() {
		for n := 0; n <= 600; n++ {
			for pos := 0; pos < 4; pos++ {
				check(impl, pos, data[:n], "at the start of the page")
				check(impl, pos, data[page-n:], "at the end of the page")
			}
		}
	}
}
