package frame

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"strings"
	"testing"
	"unicode/utf8"
)

// addHeaderSeeds seeds f with the §5.7 example frames and the header table.
func addHeaderSeeds(f *testing.F) {
	for _, v := range loadVectors(f, rfc5_7File) {
		f.Add(v.frame)
	}
	for _, tc := range headerCases {
		f.Add(tc.wire)
		masked, _ := withMask(tc.wire, tc.want, [4]byte{1, 2, 3, 4})
		f.Add(masked)
	}
	f.Add([]byte{})
	f.Add([]byte{0x82, 0x7F, 0x80, 0, 0, 0, 0, 0, 0, 0})
}

// FuzzParseHeader parses arbitrary bytes. Whatever ParseHeader accepts must
// describe the bits it read, re-encode to the same bytes when the input used
// the minimal length encoding (§5.2), and parse back to the same Header.
// ReadHeader must agree with it on both its paths.
func FuzzParseHeader(f *testing.F) {
	addHeaderSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		h, n, err := ParseHeader(data)
		if len(data) < 2 || len(data) < HeaderSize(data[0], data[1]) {
			if err != ErrShortHeader || n != 0 {
				t.Fatalf("ParseHeader(% x) = n %d, %v; want ErrShortHeader", data, n, err)
			}
			return
		}
		if data[1]&0x7F == 127 && data[2]&0x80 != 0 {
			if err != ErrLengthOverflow || n != 0 {
				t.Fatalf("ParseHeader(% x) = n %d, %v; want ErrLengthOverflow (§5.2)", data, n, err)
			}
			return
		}
		if err != nil {
			t.Fatalf("ParseHeader(% x): %v", data, err)
		}
		if n != HeaderSize(data[0], data[1]) {
			t.Fatalf("n = %d, HeaderSize = %d", n, HeaderSize(data[0], data[1]))
		}

		// The fields, decoded here the long way.
		var length uint64
		for _, c := range data[2 : n-4*int(data[1]>>7)] {
			length = length<<8 | uint64(c)
		}
		if n == 2 || n == 6 {
			length = uint64(data[1] & 0x7F)
		}
		if h.Fin != (data[0]&0x80 != 0) || h.Rsv != (data[0]>>4)&7 || h.Op != Opcode(data[0]&0xF) ||
			h.Masked != (data[1]&0x80 != 0) || h.Length != int64(length) {
			t.Fatalf("ParseHeader(% x) = %+v", data[:n], h)
		}
		if h.Masked && !bytes.Equal(h.Key[:], data[n-4:n]) || !h.Masked && h.Key != [4]byte{} {
			t.Fatalf("ParseHeader(% x) key = % x", data[:n], h.Key)
		}

		// Re-encode and re-parse.
		wire := AppendHeader(nil, h)
		if len(wire) != h.Size() {
			t.Fatalf("AppendHeader wrote %d bytes, Size() = %d", len(wire), h.Size())
		}
		if n == h.Size() {
			if !bytes.Equal(wire, data[:n]) {
				t.Fatalf("AppendHeader(ParseHeader(% x)) = % x", data[:n], wire)
			}
		} else if n < h.Size() {
			t.Fatalf("input used %d bytes, fewer than the minimal %d", n, h.Size())
		}
		h2, n2, err := ParseHeader(wire)
		if err != nil || h2 != h || n2 != len(wire) {
			t.Fatalf("ParseHeader(AppendHeader(%+v)) = %+v, %d, %v", h, h2, n2, err)
		}

		// ReadHeader agrees and consumes exactly n bytes.
		for _, r := range []interface {
			Read([]byte) (int, error)
		}{bufio.NewReaderSize(bytes.NewReader(data), 16), hideType{bytes.NewReader(data)}} {
			h3, err := ReadHeader(r)
			rest := new(bytes.Buffer)
			rest.ReadFrom(r)
			if err != nil || h3 != h || !bytes.Equal(rest.Bytes(), data[n:]) {
				t.Fatalf("ReadHeader(%T) = %+v, %v, rest % x", r, h3, err, rest.Bytes())
			}
		}

		// The rules never panic, and masking decides §5.1 for the roles.
		for _, r := range []Role{RoleServer, RoleClient} {
			err := h.Check(r, 0)
			if err == nil && (h.Rsv != 0 || h.Op.IsReserved() || h.Masked != (r == RoleServer)) {
				t.Fatalf("%+v.Check(%v) passed", h, r)
			}
		}
		_ = CheckSequence(false, h)
		_ = CheckSequence(true, h)
	})
}

// FuzzHeaderRoundTrip builds headers from arbitrary fields: AppendHeader
// must use the minimal length encoding and ParseHeader must return the same
// header.
func FuzzHeaderRoundTrip(f *testing.F) {
	f.Add(true, uint8(0), uint8(1), false, uint32(0), int64(5))
	f.Add(true, uint8(0), uint8(2), true, uint32(0x37fa213d), int64(125))
	f.Add(false, uint8(4), uint8(0), true, uint32(1), int64(126))
	f.Add(true, uint8(7), uint8(9), false, uint32(0), int64(65535))
	f.Add(true, uint8(1), uint8(0xA), true, uint32(0xFFFFFFFF), int64(65536))
	f.Add(true, uint8(0), uint8(0xF), false, uint32(0), int64(1<<63-1))
	f.Fuzz(func(t *testing.T, fin bool, rsv, op uint8, masked bool, key uint32, length int64) {
		if length < 0 {
			length = -(length + 1) // fold onto 0..2^63-1 rather than skip
		}
		h := Header{Fin: fin, Rsv: rsv & 0b111, Op: Opcode(op & 0xF), Masked: masked, Length: length}
		if masked {
			binary.BigEndian.PutUint32(h.Key[:], key)
		}
		wire := AppendHeader(nil, h)
		minimal := 2
		if length > 65535 {
			minimal = 10
		} else if length > 125 {
			minimal = 4
		}
		if masked {
			minimal += 4
		}
		if len(wire) != minimal || h.Size() != minimal {
			t.Fatalf("§5.2 %+v: wrote %d bytes, Size() %d, minimal is %d", h, len(wire), h.Size(), minimal)
		}
		got, n, err := ParseHeader(wire)
		if err != nil || got != h || n != len(wire) {
			t.Fatalf("ParseHeader(AppendHeader(%+v)) = %+v, %d, %v", h, got, n, err)
		}
	})
}

// FuzzUTF8 validates arbitrary bytes written in three pieces and compares
// with utf8.Valid (at Done) and with the reference viablePrefix (which Write
// fails first). Every validator Write may use (the portable DFA, the
// vector code) must agree with utf8.Valid on the whole text and on the
// middle piece.
func FuzzUTF8(f *testing.F) {
	for _, tc := range utf8Cases {
		f.Add([]byte(tc.text), uint16(1), uint16(2))
	}
	f.Add([]byte(strings.Repeat("ab€😀", 40)+"\xED\xA0\x80"), uint16(7), uint16(100))
	f.Add(utf8BenchText("mixed", 200), uint16(33), uint16(64))
	f.Add(append(utf8BenchText("cjk", 95), 0xF0, 0x9F), uint16(31), uint16(32))
	f.Fuzz(func(t *testing.T, data []byte, cut1, cut2 uint16) {
		i := int(cut1) % (len(data) + 1)
		j := i + int(cut2)%(len(data)-i+1)
		for _, impl := range utf8Validators() {
			for _, p := range [][]byte{data, data[i:j]} {
				if got, want := impl.valid(p), utf8.Valid(p); got != want {
					t.Fatalf("%s(%q) = %v, utf8.Valid = %v", impl.name, p, got, want)
				}
			}
		}
		failedAt, done := writeAll(data[:i], data[i:j], data[j:])
		if valid := utf8.Valid(data); (done == nil) != valid {
			t.Fatalf("%q split at %d, %d: Done = %v, utf8.Valid = %v", data, i, j, done, valid)
		}
		bad := firstImpossible(data)
		want := -1
		switch {
		case bad < 0:
		case bad < i:
			want = 0
		case bad < j:
			want = 1
		default:
			want = 2
		}
		if failedAt != want {
			t.Fatalf("%q split at %d, %d: Write %d failed, want %d (first impossible byte %d)", data, i, j, failedAt, want, bad)
		}
	})
}

// FuzzParseClose parses arbitrary close payloads against the rules of
// §5.5.1 and §7.4; what it accepts must survive AppendClose.
func FuzzParseClose(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte{0x03})
	f.Add([]byte{0x03, 0xE8})
	f.Add([]byte("\x03\xE9going away"))
	f.Add([]byte("\x03\xED"))
	f.Add([]byte("\x0F\xA0\xED\xA0\x80"))
	f.Add(append([]byte{0x03, 0xE8}, strings.Repeat("é", 70)...))
	f.Fuzz(func(t *testing.T, payload []byte) {
		code, reason, err := ParseClose(payload)
		var want error
		switch {
		case len(payload) == 0:
		case len(payload) == 1:
			want = ErrClosePayloadShort
		default:
			if valid, _ := wireCodeClass(int(binary.BigEndian.Uint16(payload))); !valid {
				want = ErrInvalidCloseCode
			} else if !utf8.Valid(payload[2:]) {
				want = ErrInvalidCloseReason
			}
		}
		if err != want {
			t.Fatalf("ParseClose(% x) err = %v, want %v", payload, err, want)
		}
		if err != nil {
			return
		}
		out := AppendClose(nil, code, reason)
		switch {
		case len(payload) == 0:
			if code != CloseNoStatus || len(out) != 0 {
				t.Fatalf("empty payload: code %d, AppendClose % x", code, out)
			}
		case len(reason) <= MaxCloseReason:
			if !bytes.Equal(out, payload) {
				t.Fatalf("AppendClose(ParseClose(% x)) = % x", payload, out)
			}
		default:
			// Cut to fit a control frame (§5.5), at a code point boundary.
			if len(out) > MaxControlPayload || len(out) < MaxControlPayload-3 || !bytes.HasPrefix(payload, out) {
				t.Fatalf("AppendClose with a %d-byte reason wrote % x", len(reason), out)
			}
			if c2, r2, err := ParseClose(out); err != nil || c2 != code || !strings.HasPrefix(reason, r2) {
				t.Fatalf("ParseClose(AppendClose) = %d, %q, %v", c2, r2, err)
			}
		}
	})
}
