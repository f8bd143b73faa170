package frame

import (
	"testing"
	"unicode/utf8"

	"github.com/rfc6455/ws/internal/guardpage"
)

// TestUTF8ReadsOnlyP checks that no validator reads outside its slice: p is
// placed right after, and right before, a page that the process may not
// access, so a load of even one byte beyond either end of p faults. The
// vector code must read a partial last block from a copy, never with a
// load that runs over the end.
func TestUTF8ReadsOnlyP(t *testing.T) {
	data := guardpage.Page(t)
	page := len(data)
	source := utf8BenchText("mixed", 400)

	validators := append(utf8Validators(), utf8Validator{"UTF8.Write", func(p []byte) bool {
		var v UTF8
		return v.Write(p) == nil && v.Done() == nil
	}})
	check := func(impl utf8Validator, p []byte, where string) {
		t.Helper()
		defer func() {
			if r := recover(); r != nil {
				t.Fatalf("%s, len %d, p %s: %v", impl.name, len(p), where, r)
			}
		}()
		if got, want := impl.valid(p), utf8.Valid(p); got != want {
			t.Fatalf("%s(% x), p %s: %v, utf8.Valid %v", impl.name, p, where, got, want)
		}
	}
	for _, impl := range validators {
		for n := 0; n <= 300; n++ {
			for _, p := range [][]byte{data[:n], data[page-n:]} {
				where := "at the start of the page"
				if n > 0 && &p[0] != &data[0] {
					where = "at the end of the page"
				}
				copy(p, source[:n]) // may end inside a code point
				check(impl, p, where)
				if n > 0 {
					p[n-1] = 'x' // valid if the text before is
					check(impl, p, where)
					p[0] = 0xC2 // a lead byte, usually without its continuation
					check(impl, p, where)
				}
			}
		}
	}
}
