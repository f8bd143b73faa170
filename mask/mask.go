package mask

import (
	"encoding/binary"
	"math/bits"
	"unsafe"
)

// alignMin is the payload length from which applyGeneric aligns its word
// stores to 8-byte addresses. An 8-byte store at an unaligned address
// straddles a cache line once every eight stores, and those stores are
// slow: a large payload at an odd address (as when it is unmasked in place
// right after a 6- or 14-byte frame header, RFC 6455 §5.2) measured 20-40%
// slower than an aligned one. Below this length the extra work costs more
// than it saves.
const alignMin = 256

// Apply XORs b in place with the 4-byte masking key, starting at key offset
// pos (0..3; any int is reduced mod 4), and returns the key offset for the
// byte after b, so a payload masked in several pieces continues where the
// last piece left off: pos = Apply(key, pos, chunk).
//
// RFC 6455 §5.3: octet i of the transformed data is octet i of the original
// data XOR octet (i MOD 4) of the masking key. The same call masks and
// unmasks, because XOR is its own inverse. Apply does not allocate.
func Apply(key [4]byte, pos int, b []byte) int {
	// Long payloads go to the platform's vector code, if it has any
	// (mask_amd64.s); short ones stay on the portable path, which is
	// faster for them because it needs no setup. Where there is no vector
	// code, vectorMin is larger than any slice can be (mask_generic.go).
	if len(b) >= vectorMin {
		maskVector(b, rotatedKey(key, pos))
		// §5.3: the key offset after b is (pos + len(b)) MOD 4.
		return (pos + len(b)) & 3
	}
	return applyGeneric(key, pos, b)
}

// rotatedKey returns the masking key rotated to start at key offset pos
// (0..3), read as a little-endian word: its low byte is the key octet for
// the first byte of the payload (RFC 6455 §5.3, octet i MOD 4).
func rotatedKey(key [4]byte, pos int) uint32 {
	return bits.RotateLeft32(binary.LittleEndian.Uint32(key[:]), -8*(pos&3))
}

// applyGeneric is Apply in portable Go, a 64-bit word at a time. It is the
// whole of Apply where there is no vector code (mask_generic.go) and its
// short-payload path where there is; it is compiled and tested everywhere.
func applyGeneric(key [4]byte, pos int, b []byte) int {
	// pos&3 is pos mod 4 for every int, negative ones included, because Go
	// ints are two's complement.
	pos &= 3
	n := len(b)
	next := (pos + n) & 3

	// k32 is the key rotated to start at offset pos, read as a
	// little-endian word: its low byte meets b[0]. All loads and stores of
	// b below are little-endian too, so byte j of a loaded word meets byte
	// j of the key word on every machine, whatever its native byte order.
	// A word that starts s bytes further into b needs the key rotated by
	// s mod 4 more bytes; a step of 4 or 8 bytes needs no rotation at all,
	// which is why one key word serves a whole run of words.
	k32 := rotatedKey(key, pos)

	if n < 8 {
		if n < 4 {
			for i := range b {
				b[i] ^= byte(k32 >> (8 * i))
			}
			return next
		}
		// 4..7 bytes: two 4-byte words, b[0:4] and b[n-4:n], which may
		// overlap. Both are computed from the original bytes before either
		// is stored, so the overlapping bytes get the same value twice.
		last := binary.LittleEndian.Uint32(b[n-4:]) ^ bits.RotateLeft32(k32, -8*(n&3))
		binary.LittleEndian.PutUint32(b, binary.LittleEndian.Uint32(b)^k32)
		binary.LittleEndian.PutUint32(b[n-4:], last)
		return next
	}

	// 8 bytes or more. The first and the last 8 bytes are masked as whole
	// words, computed from the original bytes now and stored at the end.
	// That frees the middle loop from any byte-at-a-time head or tail: it
	// masks whole words only, and whatever it leaves over at either end
	// (or masks a second time where it overlaps them) is overwritten by
	// these two stores with the correctly masked bytes.
	k64 := uint64(k32)<<32 | uint64(k32)
	first := binary.LittleEndian.Uint64(b) ^ k64
	last := binary.LittleEndian.Uint64(b[n-8:]) ^ bits.RotateLeft64(k64, -8*(n&3))

	if n > 16 {
		// Start the middle at the first 8-byte-aligned address, at most 7
		// bytes in (those are covered by first). Reading the address is
		// the only use of package unsafe here: no pointer is made or
		// dereferenced, and the slice bounds are checked as usual.
		skip := 0
		if n >= alignMin {
			skip = int(-uintptr(unsafe.Pointer(unsafe.SliceData(b)))) & 7
		}
		kw := bits.RotateLeft64(k64, -8*(skip&3))
		mid := b[skip:]

		// binary.LittleEndian.Uint64 and PutUint64 on the same bytes with
		// an XOR between compile to one XOR-to-memory instruction on
		// amd64. Unrolling 16 of them pays the loop test once per 128
		// bytes; re-slicing mid (rather than indexing mid[i:]) lets the
		// compiler prove every access in bounds, so there are no bounds
		// checks in the loop. The remaining 0..127 bytes are done by at
		// most four straight-line blocks of 64, 32, 16 and 8 bytes; the
		// last 0..7 bytes belong to last.
		for len(mid) >= 128 {
			x := mid[:128]
			binary.LittleEndian.PutUint64(x[0:], binary.LittleEndian.Uint64(x[0:])^kw)
			binary.LittleEndian.PutUint64(x[8:], binary.LittleEndian.Uint64(x[8:])^kw)
			binary.LittleEndian.PutUint64(x[16:], binary.LittleEndian.Uint64(x[16:])^kw)
			binary.LittleEndian.PutUint64(x[24:], binary.LittleEndian.Uint64(x[24:])^kw)
			binary.LittleEndian.PutUint64(x[32:], binary.LittleEndian.Uint64(x[32:])^kw)
			binary.LittleEndian.PutUint64(x[40:], binary.LittleEndian.Uint64(x[40:])^kw)
			binary.LittleEndian.PutUint64(x[48:], binary.LittleEndian.Uint64(x[48:])^kw)
			binary.LittleEndian.PutUint64(x[56:], binary.LittleEndian.Uint64(x[56:])^kw)
			binary.LittleEndian.PutUint64(x[64:], binary.LittleEndian.Uint64(x[64:])^kw)
			binary.LittleEndian.PutUint64(x[72:], binary.LittleEndian.Uint64(x[72:])^kw)
			binary.LittleEndian.PutUint64(x[80:], binary.LittleEndian.Uint64(x[80:])^kw)
			binary.LittleEndian.PutUint64(x[88:], binary.LittleEndian.Uint64(x[88:])^kw)
			binary.LittleEndian.PutUint64(x[96:], binary.LittleEndian.Uint64(x[96:])^kw)
			binary.LittleEndian.PutUint64(x[104:], binary.LittleEndian.Uint64(x[104:])^kw)
			binary.LittleEndian.PutUint64(x[112:], binary.LittleEndian.Uint64(x[112:])^kw)
			binary.LittleEndian.PutUint64(x[120:], binary.LittleEndian.Uint64(x[120:])^kw)
			mid = mid[128:]
		}
		if len(mid) >= 64 {
			x := mid[:64]
			binary.LittleEndian.PutUint64(x[0:], binary.LittleEndian.Uint64(x[0:])^kw)
			binary.LittleEndian.PutUint64(x[8:], binary.LittleEndian.Uint64(x[8:])^kw)
			binary.LittleEndian.PutUint64(x[16:], binary.LittleEndian.Uint64(x[16:])^kw)
			binary.LittleEndian.PutUint64(x[24:], binary.LittleEndian.Uint64(x[24:])^kw)
			binary.LittleEndian.PutUint64(x[32:], binary.LittleEndian.Uint64(x[32:])^kw)
			binary.LittleEndian.PutUint64(x[40:], binary.LittleEndian.Uint64(x[40:])^kw)
			binary.LittleEndian.PutUint64(x[48:], binary.LittleEndian.Uint64(x[48:])^kw)
			binary.LittleEndian.PutUint64(x[56:], binary.LittleEndian.Uint64(x[56:])^kw)
			mid = mid[64:]
		}
		if len(mid) >= 32 {
			x := mid[:32]
			binary.LittleEndian.PutUint64(x[0:], binary.LittleEndian.Uint64(x[0:])^kw)
			binary.LittleEndian.PutUint64(x[8:], binary.LittleEndian.Uint64(x[8:])^kw)
			binary.LittleEndian.PutUint64(x[16:], binary.LittleEndian.Uint64(x[16:])^kw)
			binary.LittleEndian.PutUint64(x[24:], binary.LittleEndian.Uint64(x[24:])^kw)
			mid = mid[32:]
		}
		if len(mid) >= 16 {
			x := mid[:16]
			binary.LittleEndian.PutUint64(x[0:], binary.LittleEndian.Uint64(x[0:])^kw)
			binary.LittleEndian.PutUint64(x[8:], binary.LittleEndian.Uint64(x[8:])^kw)
			mid = mid[16:]
		}
		if len(mid) >= 8 {
			binary.LittleEndian.PutUint64(mid, binary.LittleEndian.Uint64(mid)^kw)
		}
	}

	// For 8..16 bytes these two words cover b on their own.
	binary.LittleEndian.PutUint64(b, first)
	binary.LittleEndian.PutUint64(b[n-8:], last)
	return next
}
