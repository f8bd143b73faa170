package handshake

import (
	"crypto/rand"
	"crypto/sha1"
	"encoding/base64"
)

// GUID is the fixed string that RFC 6455 §1.3 and §4.2.2 append to the
// client's key before hashing. Only a server that knows the WebSocket
// protocol can produce the matching Sec-WebSocket-Accept value, so a 101
// answer cannot come from a server (or cache) that merely echoes headers.
const GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

// Version is the only protocol version this package speaks: the value of
// Sec-WebSocket-Version defined by RFC 6455 §4.1 item 9 and §4.4.
const Version = "13"

// keyLen is the length of a Sec-WebSocket-Key value: RFC 6455 §4.1 item 7
// makes the key 16 random bytes, and base64 turns 16 bytes (128 bits) into
// 22 characters of 6 bits plus two "=" of padding.
const keyLen = 24

// acceptLen is the length of a Sec-WebSocket-Accept value: the base64 form
// of a 20-byte SHA-1 digest.
const acceptLen = 28

// AcceptKey computes the Sec-WebSocket-Accept value for a Sec-WebSocket-Key
// (RFC 6455 §4.2.2 step 5.4): the base64 encoding of the SHA-1 hash of key
// followed by [GUID]. The key is used as sent, not decoded (§1.3).
//
// AcceptKey("dGhlIHNhbXBsZSBub25jZQ==") == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=".
func AcceptKey(key string) string {
	var out [acceptLen]byte
	return string(appendAccept(out[:0], key))
}

// appendAccept appends AcceptKey(key) to dst. It hashes from a stack
// buffer, so with room in dst it allocates nothing.
func appendAccept(dst []byte, key string) []byte {
	// A valid key is 24 bytes; 64 leaves room for odd but harmless keys
	// without moving the buffer to the heap.
	var buf [64 + len(GUID)]byte
	var sum [sha1.Size]byte
	if len(key) <= len(buf)-len(GUID) {
		b := append(buf[:0], key...)
		b = append(b, GUID...)
		sum = sha1.Sum(b)
	} else {
		h := sha1.New()
		h.Write([]byte(key))
		h.Write([]byte(GUID))
		h.Sum(sum[:0])
	}
	var enc [acceptLen]byte
	base64.StdEncoding.Encode(enc[:], sum[:])
	return append(dst, enc[:]...)
}

// NewKey returns a fresh Sec-WebSocket-Key: 16 bytes from crypto/rand,
// base64-encoded (RFC 6455 §4.1 item 7: "randomly selected" and "MUST be
// selected randomly for each connection").
func NewKey() string {
	var nonce [16]byte
	// crypto/rand.Read never returns an error (it crashes the program
	// if the system's random source fails), so there is nothing to check.
	rand.Read(nonce[:])
	return base64.StdEncoding.EncodeToString(nonce[:])
}

// ValidKey reports whether key is a valid Sec-WebSocket-Key: base64 that
// decodes to exactly 16 bytes (RFC 6455 §4.2.1 item 5, §11.3.1). Such a
// value is always 22 characters of the base64 alphabet followed by "==".
//
// ValidKey is stricter than encoding/base64, which skips CR and LF inside
// its input: those bytes are never part of a valid key. It does not
// allocate.
func ValidKey(key string) bool {
	if len(key) != keyLen || key[22] != '=' || key[23] != '=' {
		return false
	}
	for i := 0; i < 22; i++ {
		if !isBase64Char(key[i]) {
			return false
		}
	}
	// The 22nd character carries 2 data bits and 4 padding bits. Like
	// encoding/base64 (in its default, non-strict mode) we do not insist
	// that the padding bits are zero: the value still decodes to 16 bytes,
	// which is all §4.2.1 asks.
	return true
}

// isBase64Char reports whether c is in the standard base64 alphabet
// (RFC 4648 §4), padding excluded.
func isBase64Char(c byte) bool {
	return 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '+' || c == '/'
}
