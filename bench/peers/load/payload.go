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

// variants is how many different messages a scenario sends, in turn. The echo of message i must
// match variant i mod variants, so an echo that is reordered, repeated or lost is caught even
// when sizes agree.
const variants = 4

// message is one pre-built message of a scenario.
type message struct {
	op      frame.Opcode
	payload []byte // the payload the echo must carry
	wire    []byte // the frames to send: masked fragments, a masked ping between each two
}

// textSeed is the text messages are cut from: mostly ASCII with 2-, 3- and 4-byte code points
// mixed in, as in real JSON or chat traffic, so validators run their multi-byte paths too.
const textSeed = `{"user":"zoë","msg":"ça va? 日本語 🙂 — ok","n":42,"tags":["naïve","über","fast"]} `

// pingPayload is the payload of the ping sent after fragment i (1-based) of a message; the pong
// must carry the same bytes (RFC 6455 §5.5.3).
func pingPayload(i int) []byte { return []byte("wsload ping " + strconv.Itoa(i)) }

// buildMessages returns the variants of sc's message, each masked with its own fixed keys.
func buildMessages(sc Scenario) []message {
	msgs := make([]message, variants)
	rng := rand.New(rand.NewPCG(uint64(sc.Size), 0x6455))
	for v := range msgs {
		m := &msgs[v]
		if sc.Text {
			m.op = frame.OpText
			m.payload = TextPayload(sc.Size, v)
		} else {
			m.op = frame.OpBinary
			m.payload = make([]byte, sc.Size)
			for i := 0; i < len(m.payload); i += 8 {
				var w [8]byte
				binary.LittleEndian.PutUint64(w[:], rng.Uint64())
				copy(m.payload[i:], w[:])
			}
		}
		m.wire = frames(m.op, m.payload, sc.Frags, rng)
	}
	return msgs
}

// TextPayload returns n bytes of valid UTF-8 text, cut from a JSON-like message that is mostly ASCII
// with 2-, 3- and 4-byte code points mixed in. Different variants differ in their first byte. The
// micro-benchmarks send the same text as the load generator.
func TextPayload(n, variant int) []byte {
	s := strings.Repeat(textSeed, n/len(textSeed)+1)[:n]
	for len(s) > 0 && !utf8.ValidString(s) {
		s = s[:len(s)-1] // cut back to a code point boundary
	}
	b := []byte(s + strings.Repeat("x", n-len(s)))
	if n > 0 {
		b[0] = byte('a' + variant)
	}
	return b
}

// frames encodes payload as frags masked frames (§5.2, §5.3), with a masked ping between each two
// (§5.5: control frames may be injected in the middle of a fragmented message).
func frames(op frame.Opcode, payload []byte, frags int, rng *rand.Rand) []byte {
	var wire []byte
	rest := payload
	for i := range frags {
		n := len(payload) / frags
		if i < len(payload)%frags {
			n++
		}
		fragOp := op
		if i > 0 {
			fragOp = frame.OpContinuation
		}
		wire = appendMasked(wire, frame.Header{Fin: i == frags-1, Op: fragOp}, rest[:n], rng)
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
