package echoservers

import (
	"bytes"
	"io"
	"math/rand/v2"
	"testing"
	"testing/iotest"
	"unicode/utf8"
)

// TestUTF8StreamSplits checks the streaming validator against utf8.Valid on the whole text, for
// every way of cutting samples in two and for random cuts into many pieces (RFC 6455 §8.1: a code
// point may be split across fragments).
func TestUTF8StreamSplits(t *testing.T) {
	samples := []string{
		"", "a", "héllo", "日本語", "🙂x🙂", "\xff", "a\xc3", "\xc3\x28", "\xed\xa0\x80", // surrogate
		"\xf4\x90\x80\x80", "\xc0\xaf", "\xe0\x80\xaf", "ok\xf0\x9f\x99", "\x80abc", "abc\x80",
		"z\xf0\x9f\x99\x82\xf0\x9f\x99\x82", "\xe2\x82\xac\xe2\x82",
	}
	for _, s := range samples {
		want := utf8.ValidString(s)
		for cut := 0; cut <= len(s); cut++ {
			var v utf8Stream
			got := v.write([]byte(s[:cut])) && v.write([]byte(s[cut:])) && v.done()
			if got != want {
				t.Errorf("%q cut at %d: valid=%v, want %v", s, cut, got, want)
			}
		}
	}
	rng := rand.New(rand.NewPCG(1, 2))
	alphabet := []string{"a", "é", "€", "🙂", "\xff", "\x80", "\xed\xa0\x80", "\xf0\x9f"}
	for range 2000 {
		var b []byte
		for range rng.IntN(12) {
			b = append(b, alphabet[rng.IntN(len(alphabet))]...)
		}
		want := utf8.Valid(b)
		var v utf8Stream
		got := true
		for rest := b; len(rest) > 0 && got; {
			n := 1 + rng.IntN(len(rest))
			got = v.write(rest[:n])
			rest = rest[n:]
		}
		got = got && v.done()
		if got != want {
			t.Errorf("%q: valid=%v, want %v", b, got, want)
		}
	}
}

// TestUTF8Reader checks that the reader passes valid text through byte by byte and stops
// invalid text with errInvalidUTF8.
func TestUTF8Reader(t *testing.T) {
	var u utf8Reader
	text := []byte("zürich 🙂 ok")
	u.reset(iotest.OneByteReader(bytes.NewReader(text)))
	got, err := io.ReadAll(&u)
	if err != nil || !bytes.Equal(got, text) {
		t.Fatalf("valid text: got %q, %v", got, err)
	}
	u.reset(iotest.OneByteReader(bytes.NewReader([]byte("ab\xc3"))))
	if _, err := io.ReadAll(&u); err != errInvalidUTF8 {
		t.Fatalf("text ending inside a code point: err = %v, want errInvalidUTF8", err)
	}
	u.reset(bytes.NewReader([]byte("ab\xffcd")))
	if _, err := io.ReadAll(&u); err != errInvalidUTF8 {
		t.Fatalf("invalid byte: err = %v, want errInvalidUTF8", err)
	}
}
