package conn

import (
	"bytes"
	"compress/flate"
	"io"
	"testing"
	"time"

	"github.com/rfc6455/ws/frame"
	"github.com/rfc6455/ws/handshake"
)

// expectCompressedEcho reads the server's echo of a message of size zeros and checks it.
func (c *rawClient) expectCompressedEcho(t *testing.T, size int) {
	t.Helper()
	h, p := c.readFrame(t)
	if h.Op != frame.OpBinary || !h.Fin {
		t.Fatalf("echo frame = %v fin=%v, want a whole binary message", h.Op, h.Fin)
	}
	if h.Rsv&frame.Rsv1 != 0 {
		p = inflateMessage(t, p)
	}
	if !bytes.Equal(p, make([]byte, size)) {
		t.Fatalf("echo of %d bytes, want %d zeros", len(p), size)
	}
}

// TestInflateBudget checks that a compressed message whose inflation would take the shared
// budget past its limit fails its connection with 1013 (RFC 7692 §8 lets an endpoint bound what
// a message costs; 1013 is IANA's "try again later"), that one within it is echoed, and that
// every reservation is given back.
func TestInflateBudget(t *testing.T) {
	tests := []struct {
		name   string
		budget int64
		size   int // zeros in the message
		code   frame.CloseCode
	}{
		{"within the budget", 256 << 10, 16 << 10, 0},
		{"past the budget", 64 << 10, 256 << 10, frame.CloseTryAgainLater},
		{"budget, not the read limit, decides", 64 << 10, 1 << 20, frame.CloseTryAgainLater},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			budget := NewInflateBudget(tt.budget)
			srv := startEchoServer(t, &UpgradeOptions{Compression: &CompressionOptions{InflateBudget: budget}})
			c := srv.dialDeflate(t)
			c.write(t, clientFrame(true, frame.Rsv1, frame.OpBinary, string(deflateMessage(t, make([]byte, tt.size)))))
			if tt.code == 0 {
				c.expectCompressedEcho(t, tt.size)
			} else {
				c.expectClose(t, tt.code)
				srv.expectFailure(t, tt.code)
			}
			waitInUse(t, budget, 0)
		})
	}
}

// TestInflateBudgetShared checks that the budget bounds connections together: while one
// connection holds most of it, inflating a message whose last frame has not arrived, another
// connection's message that would not fit beside it fails with 1013, and once the first
// message is done the same message fits.
func TestInflateBudgetShared(t *testing.T) {
	const size = 700 << 10 // ReadMessage's buffer grows to 728 KiB for it
	budget := NewInflateBudget(5 << 18)
	srv := startEchoServer(t, &UpgradeOptions{Compression: &CompressionOptions{InflateBudget: budget}})
	message := string(deflateMessage(t, make([]byte, size)))

	// The first connection sends its whole compressed message in a first fragment (§5.4)
	// and holds back the final one: its server inflates all but the decompressor's last
	// window (which waits for the end of the stream) and waits.
	holder := srv.dialDeflate(t)
	holder.write(t, clientFrame(false, frame.Rsv1, frame.OpBinary, message))
	waitInUse(t, budget, size-maxWindow)

	other := srv.dialDeflate(t)
	other.write(t, clientFrame(true, frame.Rsv1, frame.OpBinary, message))
	other.expectClose(t, frame.CloseTryAgainLater)
	srv.expectFailure(t, frame.CloseTryAgainLater)

	holder.write(t, clientFrame(true, 0, frame.OpContinuation, ""))
	holder.expectCompressedEcho(t, size)
	waitInUse(t, budget, 0)

	third := srv.dialDeflate(t)
	third.write(t, clientFrame(true, frame.Rsv1, frame.OpBinary, message))
	third.expectCompressedEcho(t, size)
	waitInUse(t, budget, 0)
}

// waitInUse waits until the budget's bytes in use reach at least want (or, for want 0, fall to
// 0): the server's goroutines reserve and release them on their own time.
func waitInUse(t *testing.T, b *InflateBudget, want int64) {
	t.Helper()
	deadline := time.Now().Add(ioTimeout)
	for {
		got := b.InUse()
		if (want == 0 && got == 0) || (want > 0 && got >= want) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("budget in use = %d bytes, want %s %d", got, map[bool]string{true: "=", false: ">="}[want == 0], want)
		}
		time.Sleep(time.Millisecond)
	}
}

// TestCompressedReadLimitDefault checks the default read limit of a connection that negotiated
// permessage-deflate: DefaultCompressedReadLimit inflated bytes are accepted and one byte more
// fails with 1009 (§7.4.1), while without compression DefaultReadLimit still applies.
func TestCompressedReadLimitDefault(t *testing.T) {
	srv := startEchoServer(t, &UpgradeOptions{Compression: &CompressionOptions{}})
	c := srv.dialDeflate(t)
	c.write(t, clientFrame(true, frame.Rsv1, frame.OpBinary, string(deflateMessage(t, make([]byte, DefaultCompressedReadLimit)))))
	c.expectCompressedEcho(t, DefaultCompressedReadLimit)
	c.write(t, clientFrame(true, frame.Rsv1, frame.OpBinary, string(deflateMessage(t, make([]byte, DefaultCompressedReadLimit+1)))))
	c.expectClose(t, frame.CloseTooBig)
	srv.expectFailure(t, frame.CloseTooBig)

	plain := startEchoServer(t, &UpgradeOptions{Compression: &CompressionOptions{}})
	p := dialRaw(t, plain.addr, handshake.AppendRequest(nil, "/", plain.addr, handshake.NewKey(), nil, "", nil))
	p.write(t, clientFrame(true, 0, frame.OpBinary, string(make([]byte, DefaultCompressedReadLimit+1))))
	h, got := p.readFrame(t)
	if h.Op != frame.OpBinary || len(got) != DefaultCompressedReadLimit+1 {
		t.Fatalf("uncompressed connection: echo %v of %d bytes, want the %d-byte message", h.Op, len(got), DefaultCompressedReadLimit+1)
	}
}

// TestWriterPoolBounded checks that the free list of compressors keeps no more than
// maxPooledWriters, however many were in use at once: each is 1.2 MiB that an idle process
// would otherwise keep.
func TestWriterPoolBounded(t *testing.T) {
	var p writerPool
	for range maxPooledWriters + 10 {
		fw, _ := flate.NewWriter(io.Discard, flate.BestSpeed)
		p.put(fw)
	}
	if len(p.free) != maxPooledWriters {
		t.Fatalf("pool holds %d compressors, want %d", len(p.free), maxPooledWriters)
	}
	for range maxPooledWriters {
		if p.get() == nil {
			t.Fatal("get returned nil while compressors were pooled")
		}
	}
	if p.get() != nil {
		t.Fatal("get returned a compressor from an empty pool")
	}
}
