package handshake

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"testing/iotest"
)

// TestReadHead checks reading a request head from a stream (RFC 9112 §2.1: the head ends with
// an empty line) however the bytes arrive, and its bound (RFC 6585 §5: 431).
func TestReadHead(t *testing.T) {
	const head = "GET /chat HTTP/1.1\r\nHost: server.example.com\r\nUpgrade: websocket\r\n\r\n"
	const frames = "\x81\x85\x37\xfa\x21\x3d\x7f\x9f\x4d\x51\x58" // RFC 6455 §5.7 "Hello", masked
	tests := []struct {
		name     string
		r        io.Reader
		buf      int
		limit    int
		wantHead string
		wantRest string
		wantErr  error
		status   int
	}{
		{"§9112-2.1 whole head in one read", strings.NewReader(head), 4096, 8192, head, "", nil, 0},
		{"frames after the head are returned", strings.NewReader(head + frames), 4096, 8192, head, frames, nil, 0},
		{"one byte per read", iotest.OneByteReader(strings.NewReader(head + frames)), 4096, 8192, head, "", nil, 0},
		{"a small buffer grows", strings.NewReader(head + frames), 16, 8192, head, frames, nil, 0},
		{"§6585-5 head of exactly the limit", strings.NewReader(head), 16, len(head), head, "", nil, 0},
		{"§6585-5 head over the limit: 431", strings.NewReader(head), 4096, len(head) - 1, "", "", nil, http.StatusRequestHeaderFieldsTooLarge},
		{"stream ends inside the head", strings.NewReader(head[:20]), 4096, 8192, "", "", io.ErrUnexpectedEOF, 0},
		{"empty stream", strings.NewReader(""), 4096, 8192, "", "", io.EOF, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h, rest, err := ReadHead(tc.r, make([]byte, tc.buf), tc.limit)
			if tc.status != 0 {
				var he *Error
				if !errors.As(err, &he) || he.Status != tc.status {
					t.Fatalf("err = %v, want status %d", err, tc.status)
				}
				return
			}
			if err != tc.wantErr {
				t.Fatalf("err = %v, want %v", err, tc.wantErr)
			}
			if string(h) != tc.wantHead {
				t.Errorf("head = %q, want %q", h, tc.wantHead)
			}
			// With one byte per read nothing past the head has been read yet.
			if tc.wantRest != "" && !bytes.Equal(rest, []byte(tc.wantRest)) {
				t.Errorf("rest = %q, want %q", rest, tc.wantRest)
			}
		})
	}
}
