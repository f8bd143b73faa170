package frame

import (
	"bytes"
	"encoding/binary"
	"math/rand/v2"
	"sort"
	"strings"
	"testing"
	"unicode/utf8"
)

// viablePrefix reports whether p is the beginning of some valid UTF-8 text,
// by trying every completion of up to 3 continuation bytes. The bytes 0x80,
// 0x90 and 0xA0 stand for all continuation bytes: every range a
// continuation byte may have to fall in (80–BF, 80–9F, 80–8F, 90–BF, A0–BF;
// Unicode Table 3-7) contains one of them. This is a reference
// implementation independent of UTF8's state machine.
func viablePrefix(p []byte) bool {
	if utf8.Valid(p) {
		return true
	}
	reps := []byte{0x80, 0x90, 0xA0}
	buf := append([]byte(nil), p...)
	var try func(k int) bool
	try = func(k int) bool {
		if utf8.Valid(buf) {
			return true
		}
		if k == 0 {
			return false
		}
		for _, c := range reps {
			buf = append(buf, c)
			if try(k - 1) {
				return true
			}
			buf = buf[:len(buf)-1]
		}
		return false
	}
	return try(3)
}

// firstImpossible returns the index of the first byte of p after which p can
// no longer become valid UTF-8, or -1 if every prefix of p is viable. A
// prefix that is not viable has no viable extension, so it binary-searches.
func firstImpossible(p []byte) int {
	i := sort.Search(len(p), func(i int) bool { return !viablePrefix(p[:i+1]) })
	if i == len(p) {
		return -1
	}
	return i
}

var utf8Cases = []struct {
	name  string
	text  string
	valid bool
}{
	{"empty", "", true},
	{"ASCII", "Hello, world", true},
	{"2-byte", "κόσμε", true},
	{"3-byte", "€ 日本語", true},
	{"4-byte", "😀𝄞", true},
	{"mixed", "a é € 😀 z", true},
	{"smallest 2-byte U+0080", "\xC2\x80", true},
	{"largest 2-byte U+07FF", "\xDF\xBF", true},
	{"smallest 3-byte U+0800", "\xE0\xA0\x80", true},
	{"last before surrogates U+D7FF", "\xED\x9F\xBF", true},
	{"first after surrogates U+E000", "\xEE\x80\x80", true},
	{"U+FFFD", "\xEF\xBF\xBD", true},
	{"U+FFFF", "\xEF\xBF\xBF", true},
	{"smallest 4-byte U+10000", "\xF0\x90\x80\x80", true},
	{"largest U+10FFFF", "\xF4\x8F\xBF\xBF", true},
	{"NUL", "\x00", true},
	{"lone continuation 0x80", "\x80", false},
	{"lone continuation 0xBF", "a\xBF", false},
	{"two continuations", "\x80\x80", false},
	{"continuation after complete rune", "é\x80", false},
	{"overlong 2-byte C0", "\xC0\x80", false},
	{"overlong 2-byte C1", "\xC1\xBF", false},
	{"overlong 3-byte /", "\xE0\x80\xAF", false},
	{"overlong 3-byte U+07FF", "\xE0\x9F\xBF", false},
	{"overlong 4-byte", "\xF0\x8F\xBF\xBF", false},
	{"surrogate U+D800", "\xED\xA0\x80", false},
	{"surrogate U+DFFF", "\xED\xBF\xBF", false},
	{"surrogate pair", "\xED\xA0\x80\xED\xB0\x80", false},
	{"above U+10FFFF F4 90", "\xF4\x90\x80\x80", false},
	{"F5 lead", "\xF5\x80\x80\x80", false},
	{"FF byte", "\xFF", false},
	{"FE byte", "a\xFE", false},
	{"truncated 2-byte", "\xC2", false},
	{"truncated 3-byte", "\xE2\x82", false},
	{"truncated 4-byte", "\xF0\x9F\x98", false},
	{"truncated then ASCII", "\xE2\x82a", false},
	{"truncated then new lead", "\xE2\xE2\x82\xAC", false},
	{"Autobahn 6.3.1 κόσμε with surrogate", "\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xed\xa0\x80\x65\x64\x69\x74\x65\x64", false},
	{"long ASCII then bad", strings.Repeat("x", 100) + "\xC0\xAF" + strings.Repeat("y", 20), false},
	{"long ASCII then truncated", strings.Repeat("x", 100) + "\xF0\x9F", false},
}

// writeAll feeds the pieces to a fresh UTF8 and returns the index of the
// first Write that failed (-1 if none) and the result of Done.
func writeAll(pieces ...[]byte) (failedAt int, done error) {
	var v UTF8
	failedAt = -1
	for i, p := range pieces {
		if err := v.Write(p); err != nil {
			if err != ErrInvalidUTF8 {
				panic(err)
			}
			if failedAt < 0 {
				failedAt = i
			}
		} else if failedAt >= 0 {
			panic("Write succeeded after a failure")
		}
	}
	return failedAt, v.Done()
}

func TestUTF8(t *testing.T) {
	for _, tc := range utf8Cases {
		t.Run(tc.name, func(t *testing.T) {
			if utf8.ValidString(tc.text) != tc.valid {
				t.Fatalf("test case disagrees with utf8.ValidString")
			}
			_, done := writeAll([]byte(tc.text))
			if (done == nil) != tc.valid {
				t.Errorf("§8.1 Write+Done(%q) = %v, want valid=%v", tc.text, done, tc.valid)
			}
			checkSplits(t, []byte(tc.text))
		})
	}
}

// checkSplits writes p in every 2- and 3-way split and checks that Done
// agrees with utf8.Valid and that the failing Write is the one holding the
// first impossible byte (fail-fast, §8.1).
func checkSplits(t *testing.T, p []byte) {
	t.Helper()
	valid := utf8.Valid(p)
	bad := firstImpossible(p)
	for i := 0; i <= len(p); i++ {
		for j := i; j <= len(p); j++ {
			pieces := [][]byte{p[:i], p[i:j], p[j:]}
			failedAt, done := writeAll(pieces...)
			if (done == nil) != valid {
				t.Fatalf("split %d|%d|%d of %q: Done = %v, utf8.Valid = %v", i, j-i, len(p)-j, p, done, valid)
			}
			wantFailedAt := -1
			switch {
			case bad < 0:
			case bad < i:
				wantFailedAt = 0
			case bad < j:
				wantFailedAt = 1
			default:
				wantFailedAt = 2
			}
			if failedAt != wantFailedAt {
				t.Fatalf("split %d|%d|%d of %q: first failing Write %d, want %d (first impossible byte at %d)", i, j-i, len(p)-j, p, failedAt, wantFailedAt, bad)
			}
		}
	}
}

// TestUTF8FailFast writes byte by byte: the Write of the first byte that can
// never be part of valid UTF-8 fails, not a later one.
func TestUTF8FailFast(t *testing.T) {
	tests := []struct {
		text string
		at   int
	}{
		{"\x80", 0},
		{"ab\xC0", 2},
		{"\xED\xA0", 1},  // surrogate known from the second byte
		{"\xF4\x90", 1},  // above U+10FFFF known from the second byte
		{"\xE0\x80", 1},  // overlong known from the second byte
		{"\xF0\x80", 1},  // overlong known from the second byte
		{"\xE2\x82a", 2}, // truncated: the ASCII byte is impossible
		{"\xF5", 0},      // never a lead byte
		{"\xF0\x9F\x98\x80\x80", 4},
		{"\xC2", -1}, // incomplete but still viable: only Done fails
	}
	for _, tc := range tests {
		p := []byte(tc.text)
		if got := firstImpossible(p); got != tc.at {
			t.Fatalf("reference firstImpossible(%q) = %d, want %d", p, got, tc.at)
		}
		var pieces [][]byte
		for i := range p {
			pieces = append(pieces, p[i:i+1])
		}
		if failedAt, _ := writeAll(pieces...); failedAt != tc.at {
			t.Errorf("§8.1 byte-by-byte %q: Write %d failed, want %d", p, failedAt, tc.at)
		}
		// The same in one Write with the tail of the text: the bad tail
		// must fail now, not wait for the next Write.
		if failedAt, _ := writeAll(p); (failedAt == 0) != (tc.at >= 0) {
			t.Errorf("§8.1 one Write %q: failed=%v, want %v", p, failedAt == 0, tc.at >= 0)
		}
	}
}

// TestUTF8Exhaustive2 tries every pair of bytes, whole and split.
func TestUTF8Exhaustive2(t *testing.T) {
	for a := range 256 {
		for b := range 256 {
			p := []byte{byte(a), byte(b)}
			bad := firstImpossible(p)
			failedAt, done := writeAll(p[:1], p[1:])
			if (done == nil) != utf8.Valid(p) || failedAt != bad {
				t.Fatalf("% x: Done = %v, failing Write %d; want valid=%v, failing byte %d", p, done, failedAt, utf8.Valid(p), bad)
			}
		}
	}
}

// TestUTF8Leads tries every byte from 0xC0 up as a lead with every second
// byte, byte by byte. Only the second byte has lead-specific ranges, so the
// third and fourth take the edges of the continuation range and just
// outside it.
func TestUTF8Leads(t *testing.T) {
	edges := []byte{0x7F, 0x80, 0xBF, 0xC0}
	for lead := 0xC0; lead <= 0xFF; lead++ {
		for second := range 256 {
			for _, third := range edges {
				for _, fourth := range edges {
					p := []byte{byte(lead), byte(second), third, fourth}
					failedAt, done := writeAll(p[0:1], p[1:2], p[2:3], p[3:4])
					if want := firstImpossible(p); failedAt != want || (done == nil) != utf8.Valid(p) {
						t.Fatalf("% x: failing Write %d, Done %v; want %d, valid=%v", p, failedAt, done, want, utf8.Valid(p))
					}
				}
			}
		}
	}
}

func TestUTF8State(t *testing.T) {
	var v UTF8
	if err := v.Write([]byte("\xE2\x82")); err != nil {
		t.Fatal(err)
	}
	if err := v.Done(); err != ErrInvalidUTF8 {
		t.Errorf("Done inside a code point = %v, want ErrInvalidUTF8", err)
	}
	// Done reset v: a new message starts clean.
	if err := v.Write([]byte("\xAC")); err != ErrInvalidUTF8 {
		t.Errorf("after Done, a continuation byte = %v, want ErrInvalidUTF8", err)
	}
	// Failure is sticky until Reset.
	if err := v.Write([]byte("ok")); err != ErrInvalidUTF8 {
		t.Errorf("Write after failure = %v, want ErrInvalidUTF8", err)
	}
	v.Reset()
	if err := v.Write([]byte("ok")); err != nil {
		t.Errorf("Write after Reset = %v", err)
	}
	if err := v.Write([]byte("\xF0\x9F")); err != nil {
		t.Fatal(err)
	}
	v.Reset()
	if err := v.Write([]byte("a")); err != nil {
		t.Errorf("Reset inside a code point, then ASCII: %v", err)
	}
	// Empty writes change nothing.
	v.Reset()
	for _, p := range [][]byte{nil, []byte("\xF0"), {}, []byte("\x9F\x98"), nil, []byte("\x80")} {
		if err := v.Write(p); err != nil {
			t.Fatalf("Write(%q): %v", p, err)
		}
	}
	if err := v.Done(); err != nil {
		t.Errorf("Done after 😀 in pieces with empty writes: %v", err)
	}
}

// TestUTF8Long checks long texts, which take the utf8.Valid path, in a few
// splits around every kind of code point.
func TestUTF8Long(t *testing.T) {
	valid := bytes.Repeat([]byte("ASCII text, κόσμε, € 日本語 😀. "), 50)
	for _, p := range [][]byte{
		valid,
		append(append([]byte(nil), valid...), 0xED, 0xA0, 0x80),
		append(append([]byte(nil), valid[:len(valid)-1]...), 0xC0),
	} {
		for _, cut := range []int{1, 7, 63, 64, 65, 500, len(p) - 3, len(p) - 2, len(p) - 1} {
			for _, cut2 := range []int{cut, cut + 1, cut + 2, cut + 3, len(p)} {
				if cut2 > len(p) {
					continue
				}
				failedAt, done := writeAll(p[:cut], p[cut:cut2], p[cut2:])
				bad := firstImpossible(p)
				want := -1
				switch {
				case bad < 0:
				case bad < cut:
					want = 0
				case bad < cut2:
					want = 1
				default:
					want = 2
				}
				if failedAt != want || (done == nil) != utf8.Valid(p) {
					t.Errorf("len %d split at %d, %d: failing Write %d, Done %v; want %d, valid=%v", len(p), cut, cut2, failedAt, done, want, utf8.Valid(p))
				}
			}
		}
	}
}

// vectorBlock is the length of a vector register, in which the vector
// code reads the text; the tests place bytes around its boundaries. It is
// 32 for AVX2.
const vectorBlock = 32

// utf8Validator is one implementation of "is this whole text valid UTF-8".
type utf8Validator struct {
	name  string
	valid func(p []byte) bool
}

// utf8Validators returns every validator UTF8.Write may use on this
// machine: the portable DFA always, so that it is tested on every
// platform, and the vector code where the build and the CPU have it.
func utf8Validators() []utf8Validator {
	return append([]utf8Validator{{"generic", validGeneric}}, vectorUTF8Validators()...)
}

// referenceFailure returns the index of the first byte of p at which p stops
// being the beginning of valid UTF-8, or -1, stepping through p one byte at
// a time with the rules of Table 3-7 written as ranges. It is a second
// reference next to firstImpossible, written independently of the DFA and
// fast enough for exhaustive and random tests; TestReferenceFailure checks
// the two against each other.
func referenceFailure(p []byte) int {
	need := 0              // continuation bytes still needed
	var lo, hi byte = 0, 0 // range of the next continuation byte
	for i, c := range p {
		if need > 0 {
			if c < lo || c > hi {
				return i
			}
			need--
			lo, hi = 0x80, 0xBF
			continue
		}
		lo, hi = 0x80, 0xBF
		switch {
		case c < 0x80:
		case c < 0xC2:
			return i
		case c < 0xE0:
			need = 1
		case c < 0xF0:
			need = 2
			if c == 0xE0 {
				lo = 0xA0
			} else if c == 0xED {
				hi = 0x9F
			}
		case c < 0xF5:
			need = 3
			if c == 0xF0 {
				lo = 0x90
			} else if c == 0xF4 {
				hi = 0x8F
			}
		default:
			return i
		}
	}
	return -1
}

func TestReferenceFailure(t *testing.T) {
	check := func(p []byte) {
		t.Helper()
		if got, want := referenceFailure(p), firstImpossible(p); got != want {
			t.Fatalf("referenceFailure(% x) = %d, firstImpossible = %d", p, got, want)
		}
	}
	for _, tc := range utf8Cases {
		check([]byte(tc.text))
	}
	for a := range 256 {
		for b := range 256 {
			check([]byte{byte(a), byte(b)})
		}
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 20000 {
		check(randomUTF8ish(rng, rng.IntN(12)))
	}
}

// randomUTF8ish returns n bytes that are mostly valid UTF-8 (ASCII and code
// points of every length, including the edges of Table 3-7) with now and
// then a byte that is not, so that random tests see both verdicts.
func randomUTF8ish(rng *rand.Rand, n int) []byte {
	edges := []rune{0x7F, 0x80, 0x7FF, 0x800, 0xFFF, 0x1000, 0xD7FF, 0xE000, 0xFFFD, 0xFFFF, 0x10000, 0x3FFFF, 0x40000, 0x10FFFF}
	var p []byte
	for len(p) < n {
		switch k := rng.IntN(100); {
		case k < 50:
			p = append(p, byte(rng.IntN(0x80)))
		case k < 60:
			p = utf8.AppendRune(p, rune(0x80+rng.IntN(0x800-0x80)))
		case k < 75:
			r := rune(0x800 + rng.IntN(0x10000-0x800))
			if 0xD800 <= r && r <= 0xDFFF {
				r -= 0x800
			}
			p = utf8.AppendRune(p, r)
		case k < 85:
			p = utf8.AppendRune(p, rune(0x10000+rng.IntN(0x110000-0x10000)))
		case k < 92:
			p = utf8.AppendRune(p, edges[rng.IntN(len(edges))])
		default:
			p = append(p, byte(0x80+rng.IntN(0x80))) // likely out of place
		}
	}
	return p[:n]
}

// checkWrites writes p to a fresh UTF8 in the pieces that cuts make and
// checks the verdicts against referenceFailure: the first Write to fail is
// the one holding the first impossible byte, every later Write fails too
// (the failure is sticky, unlike writeAll, which stops at it), and Done
// agrees with utf8.Valid.
func checkWrites(t *testing.T, p []byte, cuts ...int) {
	t.Helper()
	var v UTF8
	bad := referenceFailure(p)
	start, failedAt, wantFailedAt := 0, -1, -1
	for i := 0; i <= len(cuts); i++ {
		end := len(p)
		if i < len(cuts) {
			end = cuts[i]
		}
		if bad >= start && bad < end && wantFailedAt < 0 {
			wantFailedAt = i
		}
		err := v.Write(p[start:end])
		if err != nil && failedAt < 0 {
			failedAt = i
		}
		if err == nil && failedAt >= 0 {
			t.Fatalf("% x cut at %v: Write %d succeeded after Write %d failed", p, cuts, i, failedAt)
		}
		start = end
	}
	done := v.Done()
	if failedAt != wantFailedAt || (done == nil) != utf8.Valid(p) {
		t.Fatalf("%q (len %d) cut at %v: Write %d failed, Done %v; want Write %d (first impossible byte %d), valid=%v",
			p, len(p), cuts, failedAt, done, wantFailedAt, bad, utf8.Valid(p))
	}
}

// TestUTF8ValidatorsExhaustive compares every validator, and Write, with
// utf8.Valid on every sequence of 1, 2 and 3 bytes, alone and after 30
// bytes of ASCII, so that it crosses the end of the first 32-byte vector.
// Sequences of 1 and 2 bytes are also written cut after each byte, and
// the failing Write must be the one holding the first impossible byte.
// Under the race detector, which finds nothing to say about this code but
// makes it ten times slower, the 3-byte sequences are those that begin with
// a 3- or 4-byte lead byte (E0..FF), where the rules of Table 3-7 are.
func TestUTF8ValidatorsExhaustive(t *testing.T) {
	if testing.Short() {
		t.Skip("16 million sequences")
	}
	minLead3 := 0
	if raceEnabled {
		minLead3 = 0xE0
	}
	validators := utf8Validators()
	const before = 30
	buf := bytes.Repeat([]byte{'a'}, before+3)
	check := func(seq []byte) {
		want := utf8.Valid(seq)
		p := buf[:before+len(seq)]
		copy(p[before:], seq)
		for _, impl := range validators {
			if impl.valid(seq) != want || impl.valid(p) != want {
				t.Fatalf("%s(% x) = %v, after %d ASCII bytes %v; utf8.Valid = %v", impl.name, seq, impl.valid(seq), before, impl.valid(p), want)
			}
		}
		var v UTF8
		if err := v.Write(p); (err == nil) != viableAfterASCII(seq) || (v.Done() == nil) != want {
			t.Fatalf("Write(%d ASCII bytes, % x) = %v; want viable=%v, valid=%v", before, seq, err, viableAfterASCII(seq), want)
		}
	}
	var seq [3]byte
	for a := range 256 {
		seq[0] = byte(a)
		check(seq[:1])
		checkWrites(t, seq[:1])
		for b := range 256 {
			seq[1] = byte(b)
			check(seq[:2])
			checkWrites(t, seq[:2])
			checkWrites(t, seq[:2], 1)
			checkWrites(t, append(buf[:before:before], seq[:2]...), before+1)
			if a < minLead3 {
				continue
			}
			for c := range 256 {
				seq[2] = byte(c)
				check(seq[:3])
			}
		}
	}
}

// viableAfterASCII reports whether seq is the beginning of valid UTF-8.
func viableAfterASCII(seq []byte) bool { return referenceFailure(seq) < 0 }

// TestUTF8Validators4Byte compares the validators with utf8.Valid on a large
// sample of 4-byte sequences, most of them starting with a 4-byte lead
// byte F0..F7 (the rest of the lead byte range included, to see it fail).
func TestUTF8Validators4Byte(t *testing.T) {
	n := 1 << 21
	if testing.Short() {
		n = 1 << 14
	} else if raceEnabled {
		n = 1 << 17
	}
	rng := rand.New(rand.NewPCG(4, 4))
	buf := bytes.Repeat([]byte{'a'}, 32+4)
	for range n {
		seq := buf[28:32]
		binary.LittleEndian.PutUint32(seq, rng.Uint32())
		if rng.IntN(4) > 0 {
			seq[0] = 0xF0 | seq[0]&7
		}
		want := utf8.Valid(seq)
		for _, impl := range utf8Validators() {
			if impl.valid(seq) != want || impl.valid(buf[:32]) != want || impl.valid(buf) != want {
				t.Fatalf("%s(% x) disagrees with utf8.Valid = %v", impl.name, seq, want)
			}
		}
		checkWrites(t, seq, 1+rng.IntN(3))
		checkWrites(t, buf, 29+rng.IntN(3))
	}
}

// TestUTF8RandomSplits writes random, mostly valid, texts in two and three
// pieces cut at random places, and short ones cut at every place.
func TestUTF8RandomSplits(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for range 20000 {
		p := randomUTF8ish(rng, rng.IntN(300))
		for _, impl := range utf8Validators() {
			if impl.valid(p) != utf8.Valid(p) {
				t.Fatalf("%s(%q) = %v, utf8.Valid disagrees", impl.name, p, impl.valid(p))
			}
		}
		i := rng.IntN(len(p) + 1)
		j := i + rng.IntN(len(p)-i+1)
		checkWrites(t, p)
		checkWrites(t, p, i)
		checkWrites(t, p, i, j)
	}
	for range 300 {
		p := randomUTF8ish(rng, rng.IntN(40))
		for i := 0; i <= len(p); i++ {
			for j := i; j <= len(p); j++ {
				checkWrites(t, p, i, j)
			}
		}
	}
}

// utf8BadPatterns are byte sequences that make any text invalid, each
// breaking a different rule of Table 3-7, and sequences that are
// valid only if more bytes follow: at the end of a text they are invalid.
var utf8BadPatterns = []string{
	"\x80",             // continuation byte without a lead
	"\xBF",             // likewise
	"\xC0\x80",         // overlong 2-byte
	"\xC1\xBF",         // overlong 2-byte
	"\xE0\x9F\xBF",     // overlong 3-byte
	"\xED\xA0\x80",     // surrogate
	"\xF0\x8F\xBF\xBF", // overlong 4-byte
	"\xF4\x90\x80\x80", // above U+10FFFF
	"\xF5\x80\x80\x80", // above U+10FFFF
	"\xFF",             // never in UTF-8
	"\xC2",             // truncated 2-byte
	"\xE2\x82",         // truncated 3-byte
	"\xF0\x9F\x98",     // truncated 4-byte
	"\xF0",             // truncated 4-byte
	"\xE2\x82\xAC\x80", // one continuation byte too many
	"\xC2\x80\x80",     // likewise
	"\xF0\x9F\x98\x80\x80",
}

// TestUTF8ValidatorsEveryLength runs the validators on texts of every
// length from 0 to 300 at every alignment to a 32-byte vector, valid and
// with each bad pattern at every position: in the first vector, across two,
// in the last whole vector and in the partial one after it.
func TestUTF8ValidatorsEveryLength(t *testing.T) {
	const maxLen = 300
	// Mixed text has a code point of 2 to 4 bytes in every vector; ASCII
	// text takes the vector code's shortcut for all-ASCII blocks.
	sources := [][]byte{utf8BenchText("mixed", maxLen+64), utf8BenchText("ascii", maxLen+64)}
	for _, impl := range utf8Validators() {
		for n := 0; n <= maxLen; n++ {
			for off := range vectorBlock {
				if raceEnabled && (n+off)%4 != 0 {
					continue // each length at 8 of the 32 alignments
				}
				source := sources[off%2]
				mem := make([]byte, off+n)
				text := mem[off:]
				// A valid text of n bytes: the mixed text, cut at a code
				// point boundary and filled up with ASCII.
				k := n
				for k > 0 && !utf8.RuneStart(source[k]) {
					k--
				}
				copy(text, source[:k])
				for i := k; i < n; i++ {
					text[i] = 'x'
				}
				if !impl.valid(text) {
					t.Fatalf("%s: valid text of %d bytes at offset %d: invalid", impl.name, n, off)
				}
				clean := bytes.Clone(text)
				// Every position gets a bad pattern; which one turns with
				// the length and the offset, so that each pattern meets each
				// position at many lengths and alignments.
				for pos := range n {
					bad := utf8BadPatterns[(pos+n+off)%len(utf8BadPatterns)]
					bad = bad[:min(len(bad), n-pos)]
					copy(text[pos:], bad)
					if got, want := impl.valid(text), utf8.Valid(text); got != want {
						t.Fatalf("%s: %q at %d of %d bytes, offset %d: %v, utf8.Valid %v", impl.name, bad, pos, n, off, got, want)
					}
					copy(text[pos:], clean[pos:pos+len(bad)])
				}
			}
		}
	}
}

// TestUTF8ASCIIBlocks checks the vector code's shortcut for all-ASCII
// blocks: a code point left unfinished at the end of a block is an error
// when the next block is all ASCII, at every length of that unfinished
// code point and every number of ASCII blocks after it.
func TestUTF8ASCIIBlocks(t *testing.T) {
	for _, impl := range utf8Validators() {
		for _, lead := range []string{"\xC2", "\xE2", "\xE2\x82", "\xF0", "\xF0\x9F", "\xF0\x9F\x98", "\xC0", "\xFF", "\xC2\xA9"} {
			for blocks := 1; blocks <= 4; blocks++ {
				for extra := range 3 {
					p := bytes.Repeat([]byte{'a'}, blocks*vectorBlock+extra)
					copy(p[vectorBlock-len(lead):], lead)
					if got, want := impl.valid(p), utf8.Valid(p); got != want {
						t.Errorf("%s: %q ending block 1 of %d bytes: %v, want %v", impl.name, lead, len(p), got, want)
					}
				}
			}
		}
	}
}

// TestUTF8ZeroAllocs checks that Write allocates nothing on any of its
// paths, short and long, whole, cut inside a code point, and failing.
func TestUTF8ZeroAllocs(t *testing.T) {
	long := utf8BenchText("mixed", 4096)
	cjk := utf8BenchText("cjk", 1000)
	bad := append(bytes.Clone(long), 0xED, 0xA0, 0x80)
	var v UTF8
	tests := []struct {
		name string
		fn   func()
	}{
		{"short", func() { _ = v.Write(long[:5]); _ = v.Done() }},
		{"long", func() { _ = v.Write(long); _ = v.Done() }},
		{"CJK cut inside a code point", func() { _ = v.Write(cjk[:500]); _ = v.Write(cjk[500:]); _ = v.Done() }},
		{"invalid", func() { _ = v.Write(bad); _ = v.Done() }},
	}
	for _, tc := range tests {
		if allocs := testing.AllocsPerRun(100, tc.fn); allocs != 0 {
			t.Errorf("%s: %v allocations per run, want 0", tc.name, allocs)
		}
	}
}

// TestUTF8TransitionsMatchReference walks the DFA from a code point
// boundary over every byte, and on from every state inside a code point
// over every byte again, up to 4 bytes: that is every transition of the
// DFA (Table 3-7), checked against referenceFailure and utf8.Valid.
func TestUTF8TransitionsMatchReference(t *testing.T) {
	var walk func(p []byte, s utf8State)
	walk = func(p []byte, s utf8State) {
		for c := range 256 {
			q := append(p, byte(c))
			next := utf8Transitions[c] >> s & 63
			if want := referenceFailure(q) < 0; (next != utf8Reject) != want {
				t.Fatalf("% x: DFA state %d, reference viable=%v", q, next, want)
			}
			if (next == utf8Accept) != utf8.Valid(q) {
				t.Fatalf("% x: DFA state %d, utf8.Valid %v", q, next, utf8.Valid(q))
			}
			if next != utf8Reject && next != utf8Accept && len(q) < 4 {
				walk(q, next)
			}
		}
	}
	walk(nil, utf8Accept)
}
