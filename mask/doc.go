// Package mask implements the payload masking of RFC 6455 §5.3.
//
// # What masking is
//
// Every frame a client sends to a server carries a 32-bit masking key in
// its header (§5.2, the MASK bit and the Masking-key field), and its payload
// is transformed with that key: octet i of the payload is XORed with octet
// i MOD 4 of the key (§5.3). Frames from a server to a client are not
// masked. Because XOR is its own inverse, the same operation masks the data
// on the client and unmasks it on the server, so this package has a single
// function, [Apply].
//
// # Why clients mask
//
// Masking is not encryption: the key travels in the clear next to the data.
// Its purpose is to stop a malicious page from choosing the bytes that cross
// the network. §10.3 describes the attack it prevents: some intermediaries
// (transparent proxies and caches) do not understand WebSocket and may parse
// the bytes after the handshake as HTTP. If a script could send raw bytes, it
// could craft something that looks like an HTTP request and response and
// poison the cache of such a proxy for other users. So the client picks a
// fresh key for every frame, unpredictable to the application, from a strong
// source of entropy (§5.3, §10.3); the bytes on the wire are then out of the
// script's control. This package only applies a key; choosing it belongs to
// the code that writes frames.
//
// # Masking in pieces
//
// A payload need not be in memory all at once: a reader may unmask it as it
// arrives, a chunk at a time. The key offset for a byte depends on its
// position in the payload, not in the chunk, so [Apply] takes the offset of
// the first byte of the chunk (pos) and returns the offset of the byte after
// it. Start with pos 0 at the first byte of each frame's payload and feed
// the result back in:
//
//	pos := 0
//	for _, chunk := range chunks {
//		pos = mask.Apply(key, pos, chunk)
//	}
//
// The result is the same as one call over the whole payload.
//
// # Implementations
//
// Masking is on the path of every byte a server reads, so it is worth
// making fast. The portable implementation, in Go, masks eight bytes at a
// time with 64-bit words. On amd64, payloads of 64 bytes or more go to
// assembly (mask_amd64.s) that masks 32 bytes per instruction with AVX2
// when the CPU and the operating system support it, and 16 bytes with SSE2,
// which every amd64 CPU has, otherwise; the choice is made once, when the
// package is initialized. Short payloads stay in Go, where there is no
// setup to pay for. Building with
//
//	go build -tags purego
//
// leaves the assembly out and uses the portable code everywhere, as on
// every other architecture. The results are identical, byte for byte; the
// tests compare every implementation with a byte-at-a-time rendering of
// §5.3.
package mask
