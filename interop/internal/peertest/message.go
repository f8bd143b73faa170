package peertest

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"io"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/rfc6455/ws/conn"
	"github.com/rfc6455/ws/frame"
)

// EdgeSizes returns the lengths of the echoed messages, in bytes: the edges of the three payload
// length encodings of §5.2 (7 bits up to 125, 16 bits up to 65535, 64 bits beyond) and of a
// read buffer of 4 KiB. It returns a new slice on each call, for the caller to extend with
// larger sizes.
func EdgeSizes() []int {
	return []int{0, 1, 125, 126, 127, 4095, 4096, 4097, 65535, 65536, 65537}
}

// Payload returns n bytes of deterministic content for a message of type op. Text is valid
// UTF-8 mixing code points of 1 to 4 bytes, so that characters straddle the frame and buffer
// boundaries (§5.6, §8.1: a text message is UTF-8 as a whole, not per frame); binary has every
// byte value.
func Payload(op frame.Opcode, n int) []byte {
	b := make([]byte, 0, n)
	if op == frame.OpBinary {
		for i := range n {
			b = append(b, byte(i*7+i>>8))
		}
		return b
	}
	runes := []rune("WebSocket é ß € ✓ 🌍 𝄞 ")
	for i := 0; len(b) < n; i++ {
		r := runes[i%len(runes)]
		if len(b)+utf8.RuneLen(r) > n {
			r = 'x' // pad with one-byte characters to the exact size
		}
		b = utf8.AppendRune(b, r)
	}
	return b
}

// Describe summarises a message for failure messages: its length and a hash, not its bytes.
func Describe(p []byte) string {
	return fmt.Sprintf("%d bytes, sha256 %x", len(p), sha256.Sum256(p))
}

// ExpectMessage reads the next message from c, within 15 seconds, and checks its type and
// payload.
func ExpectMessage(t testing.TB, c *conn.Conn, op frame.Opcode, want []byte) {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(15 * time.Second))
	defer c.SetReadDeadline(time.Time{})
	gotOp, got, err := c.ReadMessage(nil)
	if err != nil {
		t.Fatalf("reading the echo of a %v message (%s): %v", op, Describe(want), err)
	}
	if gotOp != op || !bytes.Equal(got, want) {
		t.Fatalf("got a %v message of %s, want a %v message of %s", gotOp, Describe(got), op, Describe(want))
	}
}

// PieceSize is the size of the writes of WriteInPieces: odd, so that the pieces fall across the
// writers' buffer and frame boundaries.
const PieceSize = 7_777

// WriteInPieces writes p to w in writes of PieceSize bytes and closes w: one message sent
// through a streaming writer (ours, gorilla's or coder's), which sends it as fragments (§5.4).
func WriteInPieces(t testing.TB, w io.WriteCloser, p []byte) {
	t.Helper()
	for rest := p; len(rest) > 0; {
		n := min(len(rest), PieceSize)
		if _, err := w.Write(rest[:n]); err != nil {
			t.Fatal(err)
		}
		rest = rest[n:]
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

// WriteFragmented sends p as a message of type op through c's NextWriter, in writes of
// PieceSize bytes. With compression on, conn compresses the whole message as one stream (RFC
// 7692 §6.1).
func WriteFragmented(t testing.TB, c *conn.Conn, op frame.Opcode, p []byte) {
	t.Helper()
	w, err := c.NextWriter(op)
	if err != nil {
		t.Fatal(err)
	}
	WriteInPieces(t, w, p)
}
