package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/rfc6455/ws/frame"
	"github.com/rfc6455/ws/handshake"
	"github.com/rfc6455/ws/mask"
)

// handshakeLines is an opening handshake request for target, without the empty line that
// ends it, so that a test can add fields.
func handshakeLines(method, target string) string {
	return method + " " + target + " HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Key: " + handshake.NewKey() + "\r\nSec-WebSocket-Version: 13\r\n"
}

// maskedText is a client's text frame (§5.2) carrying s.
func maskedText(s string) []byte {
	key := [4]byte{1, 2, 3, 4}
	payload := []byte(s)
	mask.Apply(key, 0, payload)
	return append(frame.AppendHeader(nil, frame.Header{Fin: true, Op: frame.OpText, Masked: true, Key: key, Length: int64(len(payload))}), payload...)
}

// TestHandshakeWithBodyRefused checks rule 8 of handshake.CheckRequest on every route of the
// server: an upgrade request with a body (Content-Length or Transfer-Encoding) is refused with
// 400, so that the body's bytes are never read as the first WebSocket frame (§4.1; RFC 9112
// §6). A proxy before the server would forward them as a body: a frame smuggled past it.
func TestHandshakeWithBodyRefused(t *testing.T) {
	ts, _, _ := startServer(t)
	smuggled := maskedText("smuggled")
	chunked := fmt.Sprintf("%x\r\n%s\r\n0\r\n\r\n", len(smuggled), smuggled)
	cases := []struct {
		name   string
		prefix string // a request sent first, so that the handshake goes through net/http
		target string
		body   string // the fields that announce the body, the empty line and the body
	}{
		{name: "Content-Length, first on the connection", target: "/ws",
			body: fmt.Sprintf("Content-Length: %d\r\n\r\n%s", len(smuggled), smuggled)},
		{name: "Transfer-Encoding, first on the connection", target: "/ws",
			body: "Transfer-Encoding: chunked\r\n\r\n" + chunked},
		{name: "Content-Length, absolute-form target", target: "http://x/ws",
			body: fmt.Sprintf("Content-Length: %d\r\n\r\n%s", len(smuggled), smuggled)},
		{name: "Transfer-Encoding, absolute-form target", target: "http://x/ws",
			body: "Transfer-Encoding: chunked\r\n\r\n" + chunked},
		{name: "Content-Length, after a page request", prefix: "GET / HTTP/1.1\r\nHost: x\r\n\r\n", target: "/ws",
			body: fmt.Sprintf("Content-Length: %d\r\n\r\n%s", len(smuggled), smuggled)},
		{name: "Transfer-Encoding, after a page request", prefix: "GET / HTTP/1.1\r\nHost: x\r\n\r\n", target: "/",
			body: "Transfer-Encoding: chunked\r\n\r\n" + chunked},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			nc := dialRaw(t, ts)
			go io.WriteString(nc, tc.prefix+handshakeLines("GET", tc.target)+tc.body)
			br := bufio.NewReader(nc)
			if tc.prefix != "" {
				resp, err := http.ReadResponse(br, nil)
				if err != nil {
					t.Fatal(err)
				}
				io.Copy(io.Discard, resp.Body)
			}
			resp, err := http.ReadResponse(br, nil)
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != http.StatusBadRequest {
				t.Errorf("status %d, want 400", resp.StatusCode)
			}
		})
	}
}

// TestHeadRefusedWithoutBody checks that a HEAD request with the handshake's fields is refused
// with 405 (§4.2.1 item 1) and no content: RFC 9110 §9.3.2 has a server send none in a
// response to HEAD, and a client reading the next response would take it for one.
func TestHeadRefusedWithoutBody(t *testing.T) {
	ts, _, _ := startServer(t)
	for _, tc := range []struct{ name, prefix, target string }{
		{name: "first on the connection", target: "/ws"},
		{name: "absolute-form target", target: "http://x/ws"},
		{name: "after a page request", prefix: "GET / HTTP/1.1\r\nHost: x\r\n\r\n", target: "/ws"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			nc := dialRaw(t, ts)
			go io.WriteString(nc, tc.prefix+handshakeLines("HEAD", tc.target)+"\r\n")
			br := bufio.NewReader(nc)
			if tc.prefix != "" {
				resp, err := http.ReadResponse(br, nil)
				if err != nil {
					t.Fatal(err)
				}
				io.Copy(io.Discard, resp.Body)
			}
			resp, err := http.ReadResponse(br, &http.Request{Method: http.MethodHead})
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != http.StatusMethodNotAllowed {
				t.Errorf("status %d, want 405", resp.StatusCode)
			}
			// Whatever follows the head until the server closes or goes quiet is content the
			// response must not have.
			nc.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
			rest, err := io.ReadAll(br)
			var ne net.Error
			if err != nil && !(errors.As(err, &ne) && ne.Timeout()) && !errors.Is(err, os.ErrDeadlineExceeded) {
				t.Fatal(err)
			}
			if len(rest) > 0 {
				t.Errorf("%d bytes after the head of the response to HEAD: %q", len(rest), strings.TrimSpace(string(rest)))
			}
		})
	}
}
