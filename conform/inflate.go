package conform

// The suite's own DEFLATE decoder (RFC 1951), for the messages a peer compresses with
// permessage-deflate (RFC 7692). compress/flate would inflate them as well, but it cannot say how
// far back each back-reference reaches, and that is what the suite must check: a peer that agreed
// to a window of 2^N bytes (RFC 7692 §7.1.2) must never refer further back than 2^N bytes, and a
// peer that agreed to no context takeover (RFC 7692 §7.1.1) must never refer to an earlier message.
// compress/flate also keeps the LZ77 window to itself; here the suite keeps it, and decides from
// the negotiated parameters whether a message may see the ones before.
//
// It is written for clarity first: a table of the first fastBits bits of each Huffman code for
// speed, and the canonical decoding of RFC 1951 §3.2.2, bit by bit, for longer codes.

import (
	"fmt"
)

// maxWindow is the largest LZ77 window of DEFLATE, 2^15 bytes (RFC 1951 §2), and so the furthest
// a back-reference can reach.
const maxWindow = 1 << 15

// inflateError says what is wrong with a peer's compressed message.
type inflateError struct{ what string }

func (e *inflateError) Error() string { return e.what }

func corrupt(format string, args ...any) error {
	return &inflateError{what: fmt.Sprintf(format, args...)}
}

// errTruncated is the error of compressed data that ends in the middle of a block.
var errTruncated = &inflateError{what: "the compressed data ends in the middle of a DEFLATE block (RFC 1951 §3.2.3)"}

// inflater decompresses the messages of one direction of a connection, and checks the
// back-references of each against what the sender agreed to.
type inflater struct {
	// window is the furthest back a reference may reach: 2^N for max_window_bits=N.
	window int
	// takeover says whether a message may refer to the ones before it (RFC 7692 §7.1.1).
	takeover bool
	// windowParam and takeoverParam name the parameters that set window and takeover, such as
	// "server_max_window_bits=8" and "server_no_context_takeover", for the errors.
	windowParam, takeoverParam string
	// limit is the largest message the inflater produces; more is an error.
	limit int

	// history is the end of what was inflated before, at most maxWindow bytes: what the next
	// message may refer back to when takeover is set.
	history []byte

	lit, dist, lengths  huffman // the codes of the current dynamic block
	fixedLit, fixedDist huffman // the fixed codes of RFC 1951 §3.2.6
	fixedBuilt          bool
	codeLengths         [maxLitSymbols + maxDistSymbols]uint8
}

// backReferences describes the back-references of one message, for the case's notes: they show
// that the checks of window and context takeover had something to check.
type backReferences struct {
	longest    int // the largest distance
	intoBefore int // the furthest a reference reached before the message's first byte; 0: none did
}

// newInflater returns an inflater for messages sent with a window of 2^windowBits bytes (0 means
// 15) and, unless noTakeover, with context takeover.
func newInflater(windowBits int, noTakeover bool, windowParam, takeoverParam string, limit int) *inflater {
	if windowBits == 0 {
		windowBits = 15
	}
	return &inflater{
		window:        1 << windowBits,
		takeover:      !noTakeover,
		windowParam:   windowParam,
		takeoverParam: takeoverParam,
		limit:         limit,
	}
}

// syncTail is what RFC 7692 §7.2.1 has the sender remove from the end of each compressed message
// and §7.2.2 has the receiver append again: the LEN and NLEN fields of the empty stored block that
// a sync flush ends with.
var syncTail = []byte{0x00, 0x00, 0xff, 0xff}

// message inflates the payload of one compressed message (all its frames, joined) and returns the
// message and what its back-references were. It appends syncTail first (RFC 7692 §7.2.2) and decodes blocks until the input is used
// up at a block boundary, or until a block with BFINAL set (RFC 7692 §7.2.3.4 allows a sender to
// end a message that way; what follows it is ignored).
func (f *inflater) message(payload []byte) ([]byte, backReferences, error) {
	in := make([]byte, 0, len(payload)+len(syncTail))
	in = append(append(in, payload...), syncTail...)
	r := bitReader{in: in}

	// out holds the history, then the message: back-references index into both.
	var base int
	out := make([]byte, 0, len(f.history)+4*len(payload)+64)
	if f.takeover {
		out = append(out, f.history...)
		base = len(out)
	}
	var refs backReferences
	for final := false; !final && !r.atEnd(); {
		header, err := r.read(3)
		if err != nil {
			return nil, refs, err
		}
		final = header&1 == 1
		switch header >> 1 {
		case 0:
			out, err = f.stored(&r, out, base)
		case 1:
			f.buildFixed()
			out, err = f.codes(&r, out, base, &f.fixedLit, &f.fixedDist, &refs)
		case 2:
			if err = f.dynamic(&r); err == nil {
				out, err = f.codes(&r, out, base, &f.lit, &f.dist, &refs)
			}
		default:
			err = corrupt("a DEFLATE block of the reserved type 3 (RFC 1951 §3.2.3)")
		}
		if err != nil {
			return nil, refs, err
		}
	}
	msg := out[base:]
	if f.takeover {
		keep := out[max(0, len(out)-maxWindow):]
		f.history = append(f.history[:0:0], keep...)
	}
	return msg, refs, nil
}

// stored copies a stored block (RFC 1951 §3.2.4) to out.
func (f *inflater) stored(r *bitReader, out []byte, base int) ([]byte, error) {
	r.align()
	n, err := r.read(16)
	if err != nil {
		return nil, err
	}
	nn, err := r.read(16)
	if err != nil {
		return nil, err
	}
	if n != ^nn&0xffff {
		return nil, corrupt("a stored DEFLATE block whose LEN %#04x and NLEN %#04x do not match (RFC 1951 §3.2.4)", n, nn)
	}
	if len(out)-base+int(n) > f.limit {
		return nil, f.tooBig()
	}
	// The first bytes may already be in the bit buffer; the rest come straight from the input.
	for ; n > 0 && r.n >= 8; n-- {
		b, _ := r.read(8)
		out = append(out, byte(b))
	}
	if len(r.in)-r.pos < int(n) {
		return nil, errTruncated
	}
	out = append(out, r.in[r.pos:r.pos+int(n)]...)
	r.pos += int(n)
	return out, nil
}

func (f *inflater) tooBig() error {
	return corrupt("the message inflates to more than %d bytes, more than the suite accepts", f.limit)
}

// Lengths and distances of RFC 1951 §3.2.5: the base value of each code and its extra bits.
var (
	lengthBase  = [29]uint16{3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258}
	lengthExtra = [29]uint8{0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0}
	distBase    = [30]uint16{1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577}
	distExtra   = [30]uint8{0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13}
)

const endOfBlock = 256

// codes decodes the Huffman-coded data of a block (RFC 1951 §3.2.5) into out, checking every
// back-reference, and notes them in refs.
func (f *inflater) codes(r *bitReader, out []byte, base int, lit, dist *huffman, refs *backReferences) ([]byte, error) {
	for {
		sym, err := r.decode(lit)
		if err != nil {
			return nil, err
		}
		switch {
		case sym < endOfBlock:
			out = append(out, byte(sym))
			if len(out)-base > f.limit {
				return nil, f.tooBig()
			}
			continue
		case sym == endOfBlock:
			return out, nil
		case sym > 285:
			return nil, corrupt("the literal/length code %d, which RFC 1951 §3.2.5 does not define", sym)
		}
		i := sym - 257
		extra, err := r.read(uint(lengthExtra[i]))
		if err != nil {
			return nil, err
		}
		length := int(lengthBase[i]) + int(extra)
		dsym, err := r.decode(dist)
		if err != nil {
			return nil, err
		}
		if dsym >= len(distBase) {
			return nil, corrupt("the distance code %d, which RFC 1951 §3.2.5 does not define", dsym)
		}
		extra, err = r.read(uint(distExtra[dsym]))
		if err != nil {
			return nil, err
		}
		d := int(distBase[dsym]) + int(extra)
		if err := f.checkDistance(d, len(out)-base, len(out)); err != nil {
			return nil, err
		}
		refs.longest = max(refs.longest, d)
		if before := d - (len(out) - base); before > 0 {
			refs.intoBefore = max(refs.intoBefore, before)
		}
		if len(out)-base+length > f.limit {
			return nil, f.tooBig()
		}
		start := len(out) - d
		if d >= length {
			out = append(out, out[start:start+length]...)
		} else {
			// The copy overlaps what it produces: "the last 2 bytes, 5 times" (RFC 1951 §3.2.3).
			for k := range length {
				out = append(out, out[start+k])
			}
		}
	}
}

// checkDistance checks a back-reference of distance d made after produced bytes of the message
// (available in all, the history included).
func (f *inflater) checkDistance(d, produced, available int) error {
	switch {
	case d > f.window:
		return corrupt("a back-reference %d bytes back, beyond the window of %d bytes agreed with %s (RFC 7692 §7.1.2)",
			d, f.window, f.windowParam)
	case d > produced && !f.takeover:
		return corrupt("a back-reference %d bytes back, %d bytes before the start of the message, though %s was agreed (RFC 7692 §7.1.1)",
			d, d-produced, f.takeoverParam)
	case d > available:
		return corrupt("a back-reference %d bytes back, before the first byte ever sent (RFC 1951 §3.2.5)", d)
	}
	return nil
}

// Limits of RFC 1951 §3.2.7: HLIT counts at most 286 literal/length codes, HDIST at most 30
// distance codes (the 5-bit fields could say 288 and 32, which is an error).
const (
	maxLitSymbols  = 286
	maxDistSymbols = 30
)

// codeLengthOrder is the order in which a dynamic block gives the lengths of the code length
// alphabet (RFC 1951 §3.2.7).
var codeLengthOrder = [19]uint8{16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15}

// dynamic reads the code definitions of a block with dynamic Huffman codes (RFC 1951 §3.2.7)
// into f.lit and f.dist.
func (f *inflater) dynamic(r *bitReader) error {
	hlit, err := r.read(5)
	if err != nil {
		return err
	}
	hdist, err := r.read(5)
	if err != nil {
		return err
	}
	hclen, err := r.read(4)
	if err != nil {
		return err
	}
	nlit, ndist, nclen := int(hlit)+257, int(hdist)+1, int(hclen)+4
	if nlit > maxLitSymbols || ndist > maxDistSymbols {
		return corrupt("a dynamic block with %d literal/length and %d distance codes, over the 286 and 30 of RFC 1951 §3.2.7", nlit, ndist)
	}

	var clens [19]uint8
	for i := range nclen {
		v, err := r.read(3)
		if err != nil {
			return err
		}
		clens[codeLengthOrder[i]] = uint8(v)
	}
	if err := f.lengths.build(clens[:], "code length"); err != nil {
		return err
	}

	lens := f.codeLengths[:nlit+ndist]
	for i := 0; i < len(lens); {
		sym, err := r.decode(&f.lengths)
		if err != nil {
			return err
		}
		if sym < 16 {
			lens[i] = uint8(sym)
			i++
			continue
		}
		var repeat uint32
		var value uint8
		switch sym {
		case 16: // repeat the previous length 3–6 times
			if i == 0 {
				return corrupt("a dynamic block repeats the previous code length before the first (RFC 1951 §3.2.7)")
			}
			repeat, err = r.read(2)
			repeat += 3
			value = lens[i-1]
		case 17: // 3–10 zeros
			repeat, err = r.read(3)
			repeat += 3
		default: // 18: 11–138 zeros
			repeat, err = r.read(7)
			repeat += 11
		}
		if err != nil {
			return err
		}
		if i+int(repeat) > len(lens) {
			return corrupt("a dynamic block repeats code lengths past the %d it announced (RFC 1951 §3.2.7)", len(lens))
		}
		for range repeat {
			lens[i] = value
			i++
		}
	}
	if lens[endOfBlock] == 0 {
		return corrupt("a dynamic block without a code for end-of-block (RFC 1951 §3.2.5)")
	}
	if err := f.lit.build(lens[:nlit], "literal/length"); err != nil {
		return err
	}
	return f.dist.build(lens[nlit:], "distance")
}

// buildFixed builds the fixed codes of RFC 1951 §3.2.6 the first time they are needed.
func (f *inflater) buildFixed() {
	if f.fixedBuilt {
		return
	}
	var lit [288]uint8
	for i := range lit {
		switch {
		case i < 144:
			lit[i] = 8
		case i < 256:
			lit[i] = 9
		case i < 280:
			lit[i] = 7
		default:
			lit[i] = 8
		}
	}
	var dist [32]uint8
	for i := range dist {
		dist[i] = 5
	}
	// Both are complete codes, which build always accepts.
	f.fixedLit.build(lit[:], "literal/length")
	f.fixedDist.build(dist[:], "distance")
	f.fixedBuilt = true
}

// ---- Huffman codes --------------------------------------------------------------------------------

const (
	maxCodeBits = 15 // RFC 1951 §3.2.7: code lengths are 0 to 15
	fastBits    = 9  // codes this long or shorter are decoded with one table look-up
)

// huffman is a canonical Huffman code (RFC 1951 §3.2.2), given by the code length of each symbol.
type huffman struct {
	count  [maxCodeBits + 1]uint16 // how many codes have each length
	symbol [288]uint16             // the symbols in code order: by length, then by symbol
	// fast maps the next fastBits bits of the input to symbol<<4 | length, for codes of at most
	// fastBits bits; 0 means a longer code, decoded bit by bit.
	fast [1 << fastBits]uint16
}

// build sets h to the code with the given code lengths (0: the symbol has no code). Like zlib and
// compress/flate, it refuses an over-subscribed set of lengths and an incomplete one, except the
// two incomplete codes that encoders produce: no code at all (a block without back-references
// has no distance codes) and a single code of one bit.
func (h *huffman) build(lengths []uint8, name string) error {
	h.count = [maxCodeBits + 1]uint16{}
	for _, l := range lengths {
		h.count[l]++
	}
	h.count[0] = 0
	left, longest := 1, 0 // left: codes of the current length not used yet
	for l := 1; l <= maxCodeBits; l++ {
		left = left<<1 - int(h.count[l])
		if left < 0 {
			return corrupt("an over-subscribed set of %s code lengths (RFC 1951 §3.2.2)", name)
		}
		if h.count[l] > 0 {
			longest = l
		}
	}
	if left > 0 && longest != 0 && !(longest == 1 && h.count[1] == 1) {
		return corrupt("an incomplete set of %s code lengths (RFC 1951 §3.2.2)", name)
	}

	// Symbols in code order (RFC 1951 §3.2.2: codes of one length are consecutive, in symbol order).
	var offset [maxCodeBits + 2]uint16
	for l := 1; l <= maxCodeBits; l++ {
		offset[l+1] = offset[l] + h.count[l]
	}
	for sym, l := range lengths {
		if l != 0 {
			h.symbol[offset[l]] = uint16(sym)
			offset[l]++
		}
	}

	// The look-up table. Codes are sent most significant bit first, into a stream read from the
	// least significant bit of each byte (RFC 1951 §3.1.1), so a code indexes the table reversed.
	h.fast = [1 << fastBits]uint16{}
	code, i := 0, 0
	for l := 1; l <= fastBits; l++ {
		for range h.count[l] {
			entry := h.symbol[i]<<4 | uint16(l)
			for j := reverseBits(code, l); j < len(h.fast); j += 1 << l {
				h.fast[j] = entry
			}
			code++
			i++
		}
		code <<= 1
	}
	return nil
}

// reverseBits returns the n low bits of v in reverse order.
func reverseBits(v, n int) int {
	r := 0
	for range n {
		r = r<<1 | v&1
		v >>= 1
	}
	return r
}

// ---- Reading bits ---------------------------------------------------------------------------------

// bitReader reads DEFLATE's bit stream: bits from the least significant of each byte on (RFC
// 1951 §3.1.1).
type bitReader struct {
	in   []byte
	pos  int    // the next byte of in to load
	bits uint64 // loaded bits not read yet, the next in the lowest bit
	n    uint   // how many bits are loaded
}

// fill loads whole bytes while there is room and input.
func (r *bitReader) fill() {
	for r.n <= 56 && r.pos < len(r.in) {
		r.bits |= uint64(r.in[r.pos]) << r.n
		r.pos++
		r.n += 8
	}
}

// read returns the next n bits (n <= 32) as a number, the first bit the least significant.
func (r *bitReader) read(n uint) (uint32, error) {
	if r.n < n {
		r.fill()
		if r.n < n {
			return 0, errTruncated
		}
	}
	v := uint32(r.bits & (1<<n - 1))
	r.bits >>= n
	r.n -= n
	return v, nil
}

// align drops the bits left of the current byte (RFC 1951 §3.2.4: a stored block starts on a
// byte boundary). Only whole bytes are loaded, so those are the bits beyond a multiple of 8.
func (r *bitReader) align() {
	drop := r.n % 8
	r.bits >>= drop
	r.n -= drop
}

// atEnd reports whether every bit of the input has been read.
func (r *bitReader) atEnd() bool { return r.n == 0 && r.pos == len(r.in) }

// decode reads one symbol of code h.
func (r *bitReader) decode(h *huffman) (int, error) {
	if r.n < fastBits {
		r.fill()
	}
	// Near the end of the input fewer than fastBits bits may be left; the missing ones read as
	// zeros, which is harmless when the entry's code is no longer than the bits there are.
	if e := h.fast[r.bits&(1<<fastBits-1)]; e != 0 && uint(e&15) <= r.n {
		r.bits >>= e & 15
		r.n -= uint(e & 15)
		return int(e >> 4), nil
	}
	// The canonical decoding of RFC 1951 §3.2.2, a bit at a time: the codes of each length
	// follow the codes of the length before, shifted left by one.
	code, first, index := 0, 0, 0
	for l := 1; l <= maxCodeBits; l++ {
		b, err := r.read(1)
		if err != nil {
			return 0, err
		}
		code |= int(b)
		count := int(h.count[l])
		if code-first < count {
			return int(h.symbol[index+code-first]), nil
		}
		index += count
		first = (first + count) << 1
		code <<= 1
	}
	return 0, corrupt("a bit sequence that is no Huffman code of the block (RFC 1951 §3.2.2)")
}
