package conn

import (
	"fmt"
	"math/rand"
	"strings"
	"testing"

	"github.com/rfc6455/ws/frame"
	"github.com/rfc6455/ws/handshake"
)

// BenchmarkWriteCompressed measures a server sending whole messages with permessage-deflate
// (RFC 7692) at the default level, to a discarding connection: text that compresses (JSON-like
// records) and random bytes that do not (media, encrypted or already compressed data), with
// and without context takeover (§7.1.1). SetBytes counts the uncompressed payload.
func BenchmarkWriteCompressed(b *testing.B) {
	rng := rand.New(rand.NewSource(1))
	for _, data := range []string{"text", "random"} {
		for _, size := range []int{1 << 10, 64 << 10} {
			// Different messages, more of them than a 32 KiB window holds, so that context
			// takeover cannot turn a repeated message into one back-reference.
			msgs := make([][]byte, max(64, (1<<20)/size))
			op := frame.OpBinary
			if data == "text" {
				op = frame.OpText
			}
			for i := range msgs {
				msgs[i] = make([]byte, size)
				if data == "text" {
					var sb strings.Builder
					for j := 0; sb.Len() < size; j++ {
						fmt.Fprintf(&sb, `{"id":%d,"user":"user%d","score":%d,"tags":["a","b"]},`, j, rng.Intn(1000), rng.Intn(1e6))
					}
					copy(msgs[i], sb.String())
				} else {
					rng.Read(msgs[i])
				}
			}
			for _, takeover := range []bool{false, true} {
				b.Run(fmt.Sprintf("data=%s/size=%d/takeover=%v", data, size, takeover), func(b *testing.B) {
					c := newConn(discardConn{}, nil, true, 0, 0, 0, 0)
					c.deflate = newDeflate(c, handshake.DeflateParams{ServerNoContextTakeover: !takeover}, &CompressionOptions{ContextTakeover: takeover})
					b.SetBytes(int64(size))
					b.ReportAllocs()
					i := 0
					for b.Loop() {
						i++
						if err := c.WriteMessage(op, msgs[i%len(msgs)]); err != nil {
							b.Fatal(err)
						}
					}
				})
			}
		}
	}
}
