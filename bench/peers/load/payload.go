package load

import (
	"encoding/binary"
	"math/rand/v2"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/rfc6455/ws/frame"
	"github.com/rfc6455/ws/mask"
)

// variants is how many different messages a scenario sends, in turn, without compression. The
// echo of message i must match variant i mod the number of variants, so an echo that is
// reordered, repeated or lost is caught even when sizes agree.
const variants = 4

// distinctBytes is how much payload a compressed scenario sends before a message repeats: twice
// the largest LZ77 window of deflate (32 KiB, RFC 1951 §2). A server that keeps its compression
// context (RFC 7692 §7.1.1) could otherwise find the whole of an earlier copy of a message in its
// window and send back a few bytes, flattering context takeover far beyond real traffic.
const distinctBytes = 2 * maxWindow

// maxVariants bounds the variants of small compressed messages; 1 024 distinct 128 B messages
// already make 128 KiB.
const maxVariants = 1024

// Variants returns how many different messages sc sends in turn: 4 without compression; with it,
// enough to make 64 KiB of payload before a message repeats (at most 1 024), so that a server
// that keeps its compression context never has a whole earlier copy of a message in its 32 KiB
// window.
func Variants(sc Scenario, compressed bool) int {
	if !compressed || sc.Size == 0 {
		return variants
	}
	return min(max(variants, (distinctBytes+sc.Size-1)/sc.Size), maxVariants)
}

// message is one pre-built message of a scenario.
type message struct {
	op      frame.Opcode
	payload []byte // the payload the echo must carry
	wire    []byte // the frames to send: masked fragments, a masked ping between each two
}

// wireFormat says how messages go on the wire: plain, or compressed (RFC 7692 §7.2.1) with
// back-references no farther than 2^windowBits bytes, the client_max_window_bits in force.
type wireFormat struct {
	compress   bool
	windowBits int
}

// textSeed is the text messages are cut from: mostly ASCII with 2-, 3- and 4-byte code points
// mixed in, as in real JSON or chat traffic, so validators run their multi-byte paths too.
const textSeed = `{"user":"zoë","msg":"ça va? 日本語 🙂 — ok","n":42,"tags":["naïve","über","fast"]} `

// pingPayload is the payload of the ping sent after fragment i (1-based) of a message; the pong
// must carry the same bytes (RFC 6455 §5.5.3).
func pingPayload(i int) []byte { return []byte("wsload ping " + strconv.Itoa(i)) }

// buildMessages returns the variants of sc's message, each masked with its own fixed keys and,
// when wf says so, compressed, with RSV1 set on its first frame (RFC 7692 §6).
func buildMessages(sc Scenario, wf wireFormat) []message {
	msgs := make([]message, Variants(sc, wf.compress))
	rng := rand.New(rand.NewPCG(uint64(sc.Size), 0x6455)) // masking keys
	var mc Compressor
	for v := range msgs {
		m := &msgs[v]
		m.op = frame.OpBinary
		if sc.Text {
			m.op = frame.OpText
		}
		m.payload = Payload(sc, v)
		body := m.payload
		if wf.compress {
			body, _ = mc.compress(m.payload, wf.windowBits)
		}
		m.wire = frames(m.op, body, wf.compress, sc.Frags, rng)
	}
	return msgs
}

// Payload returns the payload of variant v of sc's message: TextPayload, CompressibleTextPayload
// or, for binary messages, pseudo-random bytes (which deflate cannot shrink), different for each
// variant.
func Payload(sc Scenario, v int) []byte {
	switch {
	case sc.Compressible:
		return CompressibleTextPayload(sc.Size, v)
	case sc.Text:
		return TextPayload(sc.Size, v)
	}
	rng := rand.New(rand.NewPCG(uint64(sc.Size), 0x6455+uint64(v)))
	b := make([]byte, sc.Size)
	for i := 0; i < len(b); i += 8 {
		var w [8]byte
		binary.LittleEndian.PutUint64(w[:], rng.Uint64())
		copy(b[i:], w[:])
	}
	return b
}

// TextPayload returns n bytes of valid UTF-8 text, cut from a JSON-like message that is mostly ASCII
// with 2-, 3- and 4-byte code points mixed in. Different variants differ in their first bytes
// (see markVariant). The micro-benchmarks send the same text as the load generator.
//
// The JSON-like line is 94 bytes long and repeats, so deflate shrinks it little at 128 B and a
// lot from 1 KiB up.
func TextPayload(n, variant int) []byte {
	s := strings.Repeat(textSeed, n/len(textSeed)+1)[:n]
	for len(s) > 0 && !utf8.ValidString(s) {
		s = s[:len(s)-1] // cut back to a code point boundary
	}
	b := []byte(s + strings.Repeat("x", n-len(s)))
	markVariant(b, variant)
	return b
}

// compressibleSeed is what CompressibleTextPayload repeats: one short ASCII JSON field.
const compressibleSeed = `{"status":"ok"},`

// CompressibleTextPayload returns n bytes of ASCII text that deflate shrinks a lot at every size:
// the 16-byte `{"status":"ok"},` over and over, with the variant marked in the first bytes.
func CompressibleTextPayload(n, variant int) []byte {
	b := []byte(strings.Repeat(compressibleSeed, n/len(compressibleSeed)+1)[:n])
	markVariant(b, variant)
	return b
}

// markVariant makes variants differ in their first bytes: variant v writes v in base 26 as lower
// case letters, least significant first, so variants 0–3 only change the first byte ('a'–'d').
// Both texts start with at least 7 ASCII bytes, so the text stays UTF-8.
func markVariant(b []byte, v int) {
	for i := 0; i < len(b) && (i == 0 || v > 0); i++ {
		b[i] = byte('a' + v%26)
		v /= 26
	}
}

// frames encodes payload as frags masked frames (§5.2, §5.3), with a masked ping between each two
// (§5.5: control frames may be injected in the middle of a fragmented message).
// With rsv1, the first frame has RSV1 set: a compressed message (RFC 7692 §6.1: on the first
// frame only).
func frames(op frame.Opcode, payload []byte, rsv1 bool, frags int, rng *rand.Rand) []byte {
	var wire []byte
	rest := payload
	for i := range frags {
		n := len(payload) / frags
		if i < len(payload)%frags {
			n++
		}
		h := frame.Header{Fin: i == frags-1, Op: op}
		if i > 0 {
			h.Op = frame.OpContinuation
		} else if rsv1 {
			h.Rsv = frame.Rsv1
		}
		wire = appendMasked(wire, h, rest[:n], rng)
		rest = rest[n:]
		if i < frags-1 {
			wire = appendMasked(wire, frame.Header{Fin: true, Op: frame.OpPing}, pingPayload(i+1), rng)
		}
	}
	return wire
}

// appendMasked appends one frame with header h and payload p, masked with a fresh non-zero key.
func appendMasked(dst []byte, h frame.Header, p []byte, rng *rand.Rand) []byte {
	h.Masked = true
	h.Length = int64(len(p))
	for h.Key == [4]byte{} {
		binary.LittleEndian.PutUint32(h.Key[:], rng.Uint32())
	}
	dst = frame.AppendHeader(dst, h)
	start := len(dst)
	dst = append(dst, p...)
	mask.Apply(h.Key, 0, dst[start:])
	return dst
}

// closeFrame returns a masked close frame with code 1000 (§5.5.1, §7.4.1).
func closeFrame() []byte {
	rng := rand.New(rand.NewPCG(1000, 0x6455))
	return appendMasked(nil, frame.Header{Fin: true, Op: frame.OpClose}, frame.AppendClose(nil, frame.CloseNormal, ""), rng)
}
