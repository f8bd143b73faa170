package main

import (
	"bytes"
	"errors"
	"io"
	"runtime"
	"testing"

	"github.com/rfc6455/ws/conn"
	"github.com/rfc6455/ws/frame"
)

// TestEchoLargeCompressed echoes messages larger than the echo loop holds whole
// (maxWholeMessage) on a compressed connection, text and binary: the reply is
// streamed and must be the message.
func TestEchoLargeCompressed(t *testing.T) {
	_, url, _ := startServer(t, "-compress")
	c := dial(t, url+"/ws", &conn.DialOptions{Compression: &conn.CompressionOptions{}})
	if !c.Compressed() {
		t.Fatal("permessage-deflate was not negotiated")
	}
	for _, op := range []frame.Opcode{frame.OpText, frame.OpBinary} {
		for _, n := range []int{maxWholeMessage - 1, maxWholeMessage, maxWholeMessage + 1, 1 << 20} {
			want := payload(op, n)
			if err := c.WriteMessage(op, want); err != nil {
				t.Fatal(err)
			}
			gotOp, got, err := c.ReadMessage(nil)
			if err != nil {
				t.Fatalf("echo of %v %d bytes: %v", op, n, err)
			}
			if gotOp != op || !bytes.Equal(got, want) {
				t.Errorf("sent %v %d bytes, got back %v %d bytes (equal: %v)", op, n, gotOp, len(got), bytes.Equal(got, want))
			}
		}
	}
}

// TestEchoInflationBounded sends 32 MiB of zeros, which deflate shrinks to
// about 32 KiB, to a server whose read limit lets them in: the echo must come
// back whole while the process (server and client together) allocates a
// small fraction of the message, because neither side holds it inflated. With
// the default read limit of a compressed connection (4 MiB) the same message
// is refused with 1009 (RFC 6455 §7.4.1).
func TestEchoInflationBounded(t *testing.T) {
	const size = 32 << 20
	_, url, _ := startServer(t, "-compress", "-read-limit", "33554432")
	c := dial(t, url+"/ws", &conn.DialOptions{Compression: &conn.CompressionOptions{}, ReadLimit: -1})

	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	echoed := make(chan int64, 1)
	go func() {
		_, r, err := c.NextReader()
		if err != nil {
			echoed <- -1
			return
		}
		n, _ := io.Copy(io.Discard, r)
		echoed <- n
	}()
	if err := writeZeros(c, size); err != nil {
		t.Fatal(err)
	}
	if n := <-echoed; n != size {
		t.Fatalf("echo of %d bytes, want %d", n, size)
	}
	runtime.ReadMemStats(&after)
	if grew := after.TotalAlloc - before.TotalAlloc; grew > size/4 {
		t.Errorf("echoing %d MiB of zeros allocated %d MiB, want under %d MiB", size>>20, grew>>20, size>>22)
	}

	_, url, _ = startServer(t, "-compress")
	c = dial(t, url+"/ws", &conn.DialOptions{Compression: &conn.CompressionOptions{}, ReadLimit: -1})
	if err := writeZeros(c, size); err != nil {
		t.Fatal(err)
	}
	_, _, err := c.ReadMessage(nil)
	var ce *conn.CloseError
	if !errors.As(err, &ce) || ce.Code != frame.CloseTooBig {
		t.Fatalf("%d MiB message at the default compressed read limit: got %v, want close 1009", size>>20, err)
	}
}

// writeZeros streams a binary message of size zero bytes.
func writeZeros(c *conn.Conn, size int) error {
	w, err := c.NextWriter(frame.OpBinary)
	if err != nil {
		return err
	}
	chunk := make([]byte, 64<<10)
	for left := size; left > 0; left -= len(chunk) {
		if _, err := w.Write(chunk[:min(left, len(chunk))]); err != nil {
			return err
		}
	}
	return w.Close()
}
