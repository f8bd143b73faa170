package peertest

import (
	"bytes"
	"math/rand/v2"

	"github.com/rfc6455/ws/frame"
)

// The compression scenario (RFC 7692, permessage-deflate): the client sends each message of a
// list and awaits its echo, then closes with a code. The list holds the usual text and binary
// payloads, and probes chosen so that the sizes of their compressed frames tell what each
// compressor did:
//
//   - "repeated": 1 MB of one character, which deflate shrinks about 1000:1;
//   - "random": seeded random bytes, which it cannot shrink at all;
//   - "window": a 2048-byte random block repeated to 64 KiB, which shrinks only if the
//     compressor's LZ77 window holds 2048 bytes (RFC 7692 §7.1.2: max_window_bits 12 and up);
//   - the same 600 random bytes twice, then the same 20000: the second copy shrinks if and only
//     if the compressor kept its window from the first (context takeover, RFC 7692 §7.1.1) and
//     its window reaches that far back (600 bytes: 2^10 and up; 20000 bytes: 2^15);
//   - a text, a binary and a random message of 100 kB sent in 4 fragments (§5.4; RFC 7692
//     §6.1: RSV1 on the first frame only); compressed, the random one still takes many frames.

// DeflateMessage describes a message of the compression scenario. The scripts of package
// interop (testdata/*/deflate_messages.*) take it as JSON and generate content of the same kind
// from it. (Their random bytes differ from Go's, which does not matter: whoever sends a message
// checks its echo.)
type DeflateMessage struct {
	Kind      string `json:"kind"` // text, binary, repeated, random, window
	Size      int    `json:"size"`
	Seed      uint64 `json:"seed,omitempty"`      // random, window
	Fragments int    `json:"fragments,omitempty"` // sent as this many frames, when > 1
}

// Sizes in the compression scenario.
const (
	RepeatedSize = 1_000_000 // the 1000:1 text
	WindowSize   = 64 << 10  // the window probe
	WindowPeriod = 2048      // its repeating block
	TwiceSize    = 600       // the context takeover probe: in every window of 2^10 bytes and up
	TwiceLarge   = 20_000    // and in a window of 2^15 bytes only
)

// SmallDeflateSizes returns the sizes of the text and binary messages of the shorter
// compression runs: the edges of the 7-bit length of §5.2 and of our compression threshold
// (conn.CompressionOptions.Threshold, 128 by default), and just over 4 KiB and 64 KiB. It
// returns a new slice on each call.
func SmallDeflateSizes() []int {
	return []int{0, 1, 127, 128, 4097, 65537}
}

// DeflateProbes chooses the optional probes of DeflateMessages.
type DeflateProbes struct {
	Large  bool // a random message of 1 MiB
	Window bool // the window probe: WindowSize bytes repeating a random block of WindowPeriod
}

// DeflateMessages returns the scenario's messages: a text and a binary message of each size in
// sizes, then the probes.
func DeflateMessages(sizes []int, probes DeflateProbes) []DeflateMessage {
	var list []DeflateMessage
	for _, n := range sizes {
		list = append(list, DeflateMessage{Kind: "text", Size: n}, DeflateMessage{Kind: "binary", Size: n})
	}
	list = append(list,
		DeflateMessage{Kind: "repeated", Size: RepeatedSize},
		DeflateMessage{Kind: "random", Size: 100_000, Seed: 1},
	)
	if probes.Large {
		list = append(list, DeflateMessage{Kind: "random", Size: 1 << 20, Seed: 2})
	}
	if probes.Window {
		list = append(list, DeflateMessage{Kind: "window", Size: WindowSize, Seed: 3})
	}
	return append(list,
		DeflateMessage{Kind: "random", Size: TwiceSize, Seed: 4},
		DeflateMessage{Kind: "random", Size: TwiceSize, Seed: 4},
		DeflateMessage{Kind: "random", Size: TwiceLarge, Seed: 5},
		DeflateMessage{Kind: "random", Size: TwiceLarge, Seed: 5},
		DeflateMessage{Kind: "text", Size: FragmentedSize, Fragments: 4},
		DeflateMessage{Kind: "binary", Size: FragmentedSize, Fragments: 4},
		DeflateMessage{Kind: "random", Size: FragmentedSize, Seed: 6, Fragments: 4},
	)
}

// Opcode returns the message's type.
func (m DeflateMessage) Opcode() frame.Opcode {
	if m.Kind == "text" || m.Kind == "repeated" {
		return frame.OpText
	}
	return frame.OpBinary
}

// Content returns the message's bytes (the Go twin of the scripts' generate).
func (m DeflateMessage) Content() []byte {
	switch m.Kind {
	case "text":
		return Payload(frame.OpText, m.Size)
	case "binary":
		return Payload(frame.OpBinary, m.Size)
	case "repeated":
		return bytes.Repeat([]byte("a"), m.Size)
	}
	var seed [32]byte
	seed[0] = byte(m.Seed)
	rng := rand.NewChaCha8(seed)
	if m.Kind == "window" {
		block := make([]byte, WindowPeriod)
		rng.Read(block)
		return bytes.Repeat(block, m.Size/WindowPeriod+1)[:m.Size]
	}
	b := make([]byte, m.Size)
	rng.Read(b)
	return b
}
