package conn

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"slices"
	"testing"

	"github.com/rfc6455/ws/handshake"
)

// responseConn is a net.Conn whose peer answers the opening handshake written to it with a
// scripted response, in which every "{accept}" stands for the Sec-WebSocket-Accept of the key
// that handshake sent, so that the fuzzer can reach a successful handshake.
type responseConn struct {
	scriptConn
	script []byte
	key    string
	read   int
}

func (c *responseConn) Read(p []byte) (int, error) {
	if c.r == nil {
		req, err := http.ReadRequest(bufio.NewReader(bytes.NewReader(c.written.Bytes())))
		if err != nil {
			return 0, err
		}
		c.key = req.Header.Get("Sec-WebSocket-Key")
		c.r = bytes.NewReader(bytes.ReplaceAll(c.script, []byte("{accept}"), []byte(handshake.AcceptKey(c.key))))
	}
	n, err := c.r.Read(p)
	c.read += n
	return n, err
}

// fuzzHeadLimit keeps the response head limit small, so that crossing it is reachable.
const fuzzHeadLimit = 512

// FuzzClientHandshake gives the client's side of the opening handshake an arbitrary response
// (RFC 6455 §4.1, §4.2.2; a hostile server writes what it likes). The first byte chooses the
// offer: bit 0 offers permessage-deflate, bit 1 the subprotocols mqtt and wamp. Whatever the
// response, the client must not panic, must read no more than its head limit and the 1 KiB of
// a refused response's body it keeps, must fail with ErrResponseHeadTooLarge only when the
// head was that long, and may succeed only on a 101 with the right accept value, one of the
// subprotocols it offered or none, and permessage-deflate only if it offered it.
func FuzzClientHandshake(f *testing.F) {
	ok := "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {accept}\r\n"
	for _, seed := range []struct {
		offer    byte
		response string
	}{
		{0, ok + "\r\n"},
		{0, ok + "\r\n\x81\x05hello"},
		{2, ok + "Sec-WebSocket-Protocol: mqtt\r\n\r\n"},
		{2, ok + "Sec-WebSocket-Protocol: soap\r\n\r\n"},
		{0, ok + "Sec-WebSocket-Protocol: mqtt\r\n\r\n"},
		{1, ok + "Sec-WebSocket-Extensions: permessage-deflate; server_no_context_takeover; client_max_window_bits=10\r\n\r\n"},
		{1, ok + "Sec-WebSocket-Extensions: permessage-deflate, permessage-deflate\r\n\r\n"},
		{0, ok + "Sec-WebSocket-Extensions: permessage-deflate\r\n\r\n"},
		{3, ok + "Sec-WebSocket-Extensions: x-webkit-deflate-frame\r\n\r\n"},
		{0, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n"},
		{0, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello"},
		{0, "HTTP/1.1 403 Forbidden\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n"},
		{0, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n Connection: Upgrade\r\nSec-WebSocket-Accept: {accept}\r\n\r\n"},
		{0, "HTTP/1.0 101 Switching Protocols\nUpgrade: WebSocket\nConnection: keep-alive, Upgrade\nSec-WebSocket-Accept: {accept}\n\n"},
		{0, "HTTP/1.1 101 Switching Protocols\r\nX-Long: " + string(bytes.Repeat([]byte("a"), 600)) + "\r\n\r\n"},
		{0, "HTTP/1.1 101"},
		{0, ""},
	} {
		f.Add(append([]byte{seed.offer}, seed.response...))
	}
	u := &url.URL{Scheme: "ws", Host: "example.com", Path: "/chat"}
	f.Fuzz(func(t *testing.T, input []byte) {
		if len(input) == 0 {
			return
		}
		offer, script := input[0], input[1:]
		opts := &DialOptions{MaxHeaderBytes: fuzzHeadLimit}
		if offer&1 != 0 {
			opts.Compression = &CompressionOptions{}
		}
		if offer&2 != 0 {
			opts.Subprotocols = []string{"mqtt", "wamp"}
		}
		nc := &responseConn{script: script}
		c, resp, err := clientHandshake(context.Background(), nc, u, false, opts)
		if nc.read > fuzzHeadLimit+maxErrorBody {
			t.Fatalf("the client read %d bytes of a response; its bound is %d", nc.read, fuzzHeadLimit+maxErrorBody)
		}
		sent := len(script) // with each {accept} written out
		if nc.r != nil {
			sent = int(nc.r.Size())
		}
		if errors.Is(err, ErrResponseHeadTooLarge) && sent < fuzzHeadLimit {
			t.Fatalf("a response of %d bytes failed as a head over %d: %v", sent, fuzzHeadLimit, err)
		}
		if err != nil {
			if c != nil {
				t.Fatalf("a failed handshake (%v) returned a Conn", err)
			}
			if resp != nil {
				if body, _ := io.ReadAll(resp.Body); len(body) > maxErrorBody {
					t.Fatalf("a refused handshake kept %d bytes of body", len(body))
				}
			}
			return
		}
		defer c.CloseNow()
		if resp.StatusCode != http.StatusSwitchingProtocols {
			t.Fatalf("a %d response made a Conn", resp.StatusCode)
		}
		if got, want := resp.Header.Get("Sec-WebSocket-Accept"), handshake.AcceptKey(nc.key); got != want {
			t.Fatalf("accept %q made a Conn; the key %q wants %q", got, nc.key, want)
		}
		if p := c.Subprotocol(); p != "" && !slices.Contains(opts.Subprotocols, p) {
			t.Fatalf("subprotocol %q was not offered (%q)", p, opts.Subprotocols)
		}
		if c.deflate != nil && opts.Compression == nil {
			t.Fatal("permessage-deflate was agreed without an offer")
		}
	})
}
