package conn

import (
	"fmt"
	"net"
	"testing"

	"github.com/rfc6455/ws/frame"
)

// discardConn is a net.Conn whose writes succeed at once and go nowhere, so that a benchmark
// measures the Conn's own work on the way out: framing (§5.2), masking on a client (§5.3),
// copying, and the write call.
type discardConn struct{ net.Conn }

func (discardConn) Write(p []byte) (int, error) { return len(p), nil }

// BenchmarkWriteMessage measures sending one whole message, on a server and on a client, with
// WriteMessage (the payload copied into the write buffer, or its head for a large one) and with
// WriteMessageInPlace (the frame sent from the caller's buffer, the header in its room).
func BenchmarkWriteMessage(b *testing.B) {
	for _, server := range []bool{true, false} {
		for _, inPlace := range []bool{false, true} {
			for _, size := range []int{16, 1 << 10, 64 << 10} {
				name := fmt.Sprintf("server=%v/in-place=%v/size=%d", server, inPlace, size)
				b.Run(name, func(b *testing.B) {
					c := newConn(discardConn{}, nil, server, 0, 0, 0, 0)
					buf := make([]byte, HeaderRoom+size)
					b.SetBytes(int64(size))
					b.ReportAllocs()
					for b.Loop() {
						if err := writeEitherWay(c, frame.OpBinary, buf, inPlace); err != nil {
							b.Fatal(err)
						}
					}
				})
			}
		}
	}
}
