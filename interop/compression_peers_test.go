//go:build unix

package interop

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/rfc6455/ws/conn"
)

// The compression scenario (compression_test.go) with Python websockets and Node ws, both ways.
// Each case states the offer, the response and the parameters in force (RFC 7692 §7.1) that the
// options on both sides must lead to; the peer reports the same three as its library saw them.

// TestPythonCompressionClient runs testdata/python/deflate_client.py against our server.
// websockets compresses every message, whatever its size, and every fragment of a message on
// its own stream position (RSV1 on the first frame only).
func TestPythonCompressionClient(t *testing.T) {
	t.Parallel()
	requirePython(t)
	cases := []deflateClientCase{
		{
			name: "defaults", server: &conn.CompressionOptions{},
			sizes: deflateSizes, large: true,
			// The library's default offer; our server compresses each message on its own and
			// lets the client keep its window.
			offer:   "permessage-deflate; client_max_window_bits",
			respond: "permessage-deflate; server_no_context_takeover",
			want:    deflateParams{ServerNoContextTakeover: true, ServerMaxWindowBits: 15, ClientMaxWindowBits: 15},
		},
		{
			name: "context takeover", server: &conn.CompressionOptions{ContextTakeover: true},
			sizes: deflateSizes, large: true,
			offer:   "permessage-deflate; client_max_window_bits",
			respond: "permessage-deflate",
			want:    deflateParams{ServerMaxWindowBits: 15, ClientMaxWindowBits: 15},
		},
		{
			// §7.1.2.2: the bare client_max_window_bits of the offer lets our server pick the
			// client's window; §7.1.1.2: it may ask the client not to keep it.
			name:   "client_max_window_bits=10, client_no_context_takeover",
			server: &conn.CompressionOptions{PeerNoContextTakeover: true, ClientMaxWindowBits: 10},
			sizes:  deflateSmallSizes,
			offer:  "permessage-deflate; client_max_window_bits",
			respond: "permessage-deflate; server_no_context_takeover; client_no_context_takeover; " +
				"client_max_window_bits=10",
			want: deflateParams{ServerNoContextTakeover: true, ClientNoContextTakeover: true, ServerMaxWindowBits: 15, ClientMaxWindowBits: 10},
		},
		{
			// §7.1.2.1: the client limits our server's window; conn then compresses without
			// back-references, which Python's 1 KiB inflater must accept.
			name: "server_max_window_bits=10", server: &conn.CompressionOptions{ContextTakeover: true},
			peer:    map[string]any{"server_max_window_bits": 10},
			sizes:   deflateSmallSizes,
			offer:   "permessage-deflate; server_max_window_bits=10; client_max_window_bits",
			respond: "permessage-deflate; server_max_window_bits=10",
			want:    deflateParams{ServerMaxWindowBits: 10, ClientMaxWindowBits: 15},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			runDeflateClient(t, "python", tc, func(arg string) *process {
				return startPython(t, "deflate_client.py", arg)
			})
		})
	}
}

// TestPythonCompressionServer runs our client (conn.Dial with Compression) against
// testdata/python/deflate_server.py. The library's server accepts permessage-deflate by default,
// limiting both windows to 2^12 bytes where the offer lets it.
func TestPythonCompressionServer(t *testing.T) {
	t.Parallel()
	requirePython(t)
	cases := []deflateDialCase{
		{
			name: "defaults", dial: &conn.CompressionOptions{},
			sizes: deflateSizes, large: true,
			// Our offer says we compress each message on our own (§7.1.1.2: a hint the server
			// echoes) and, as browsers do, lets the server choose our window (§7.1.2.2): the
			// library's default limits both windows to 2^12, so conn compresses without
			// back-references.
			offer:   "permessage-deflate; client_no_context_takeover; client_max_window_bits",
			respond: "permessage-deflate; client_no_context_takeover; server_max_window_bits=12; client_max_window_bits=12",
			want:    deflateParams{ClientNoContextTakeover: true, ServerMaxWindowBits: 12, ClientMaxWindowBits: 12},
		},
		{
			name: "exact offer", dial: &conn.CompressionOptions{ExactOffer: true},
			sizes: deflateSmallSizes,
			// Without client_max_window_bits in the offer the server cannot choose our window.
			offer:   "permessage-deflate; client_no_context_takeover",
			respond: "permessage-deflate; client_no_context_takeover; server_max_window_bits=12",
			want:    deflateParams{ClientNoContextTakeover: true, ServerMaxWindowBits: 12, ClientMaxWindowBits: 15},
		},
		{
			// The browsers' offer: the server picks our window, 2^12, so conn compresses
			// without back-references.
			name: "client_max_window_bits", dial: &conn.CompressionOptions{ContextTakeover: true, ClientMaxWindowBits: -1},
			sizes:   deflateSmallSizes,
			offer:   "permessage-deflate; client_max_window_bits",
			respond: "permessage-deflate; server_max_window_bits=12; client_max_window_bits=12",
			want:    deflateParams{ServerMaxWindowBits: 12, ClientMaxWindowBits: 12},
		},
		{
			// We ask the server for a 1 KiB window and no context takeover; the server asks
			// us not to keep ours either (§7.1.1.2), which our client must honour although
			// its options would keep it: the server inflates each message on its own.
			name:    "server_max_window_bits=10, no context takeover",
			peer:    map[string]any{"client_no_context_takeover": true},
			dial:    &conn.CompressionOptions{ContextTakeover: true, PeerNoContextTakeover: true, ServerMaxWindowBits: 10},
			sizes:   deflateSmallSizes,
			offer:   "permessage-deflate; server_no_context_takeover; server_max_window_bits=10; client_max_window_bits",
			respond: "permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=10",
			want:    deflateParams{ServerNoContextTakeover: true, ClientNoContextTakeover: true, ServerMaxWindowBits: 10, ClientMaxWindowBits: 15},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := startPython(t, "deflate_server.py", jsonArg(t, map[string]any{"deflate": tc.peer}))
			port := waitDeflateEvent(t, p, "listening", 1).Port
			runDeflateDial(t, "python", p, fmt.Sprintf("ws://127.0.0.1:%d/", port), 1, tc)
		})
	}
}

// TestNodeCompressionClient runs testdata/node/deflate_client.mjs against our server. ws compresses
// every message while it keeps its window, and only messages of 1024 bytes and up (its
// threshold) when it does not.
func TestNodeCompressionClient(t *testing.T) {
	t.Parallel()
	node := requireNode(t, "ws")
	cases := []deflateClientCase{
		{
			name: "perMessageDeflate true", server: &conn.CompressionOptions{},
			peer:  true,
			sizes: deflateSizes, large: true,
			offer:   "permessage-deflate; client_max_window_bits",
			respond: "permessage-deflate; server_no_context_takeover",
			want:    deflateParams{ServerNoContextTakeover: true, ServerMaxWindowBits: 15, ClientMaxWindowBits: 15},
		},
		{
			// The client asks neither side to keep its window; our server would keep its
			// own, but §7.1.1.1 makes it honour server_no_context_takeover.
			name:    "no context takeover",
			server:  &conn.CompressionOptions{ContextTakeover: true},
			peer:    map[string]any{"serverNoContextTakeover": true, "clientNoContextTakeover": true},
			sizes:   deflateSmallSizes,
			offer:   "permessage-deflate; server_no_context_takeover; client_no_context_takeover; client_max_window_bits",
			respond: "permessage-deflate; server_no_context_takeover; client_no_context_takeover",
			want:    deflateParams{ServerNoContextTakeover: true, ClientNoContextTakeover: true, ServerMaxWindowBits: 15, ClientMaxWindowBits: 15},
			// Without context takeover, ws leaves messages under its threshold uncompressed.
			peerThreshold: 1024,
		},
		{
			// Both keep their windows; the client's is 2^10 bytes.
			name:    "context takeover, clientMaxWindowBits 10",
			server:  &conn.CompressionOptions{ContextTakeover: true},
			peer:    map[string]any{"clientMaxWindowBits": 10},
			sizes:   deflateSmallSizes,
			offer:   "permessage-deflate; client_max_window_bits=10",
			respond: "permessage-deflate; client_max_window_bits=10",
			want:    deflateParams{ServerMaxWindowBits: 15, ClientMaxWindowBits: 10},
		},
		{
			// The client limits our server's window (§7.1.2.1): conn compresses without
			// back-references, which ws' inflater of 2^10 bytes must accept.
			name:    "serverMaxWindowBits 10",
			server:  &conn.CompressionOptions{},
			peer:    map[string]any{"serverMaxWindowBits": 10},
			sizes:   deflateSmallSizes,
			offer:   "permessage-deflate; server_max_window_bits=10; client_max_window_bits",
			respond: "permessage-deflate; server_no_context_takeover; server_max_window_bits=10",
			want:    deflateParams{ServerNoContextTakeover: true, ServerMaxWindowBits: 10, ClientMaxWindowBits: 15},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			runDeflateClient(t, "node", tc, func(arg string) *process {
				return startNode(t, node, "deflate_client.mjs", nil, arg)
			})
		})
	}
}

// TestNodeCompressionServer runs our client (conn.Dial with Compression) against
// testdata/node/deflate_server.mjs, a WebSocketServer with perMessageDeflate on (it is off by
// default there) and threshold 0, so that it compresses every message.
func TestNodeCompressionServer(t *testing.T) {
	t.Parallel()
	node := requireNode(t, "ws")
	cases := []deflateDialCase{
		{
			name: "defaults, server keeps its window",
			peer: map[string]any{"threshold": 0}, dial: &conn.CompressionOptions{},
			sizes: deflateSizes, large: true,
			offer:   "permessage-deflate; client_no_context_takeover; client_max_window_bits",
			respond: "permessage-deflate; client_no_context_takeover",
			want:    deflateParams{ClientNoContextTakeover: true, ServerMaxWindowBits: 15, ClientMaxWindowBits: 15},
		},
		{
			// The server adds server_no_context_takeover and server_max_window_bits of its
			// own (§7.1.1.1, §7.1.2.1 allow both) and drops our bare client_max_window_bits
			// (§7.1.2.2: it need not answer it); we keep our window.
			name:    "server no context takeover, serverMaxWindowBits 10",
			peer:    map[string]any{"threshold": 0, "serverNoContextTakeover": true, "serverMaxWindowBits": 10},
			dial:    &conn.CompressionOptions{ContextTakeover: true, ClientMaxWindowBits: -1},
			sizes:   deflateSmallSizes,
			offer:   "permessage-deflate; client_max_window_bits",
			respond: "permessage-deflate; server_no_context_takeover; server_max_window_bits=10",
			want:    deflateParams{ServerNoContextTakeover: true, ServerMaxWindowBits: 10, ClientMaxWindowBits: 15},
		},
		{
			// Small windows both ways, both kept: the server's of 2^9 bytes cannot reach back
			// 600 bytes; ours is below 15 bits, so conn uses no back-references at all.
			name:    "context takeover, windows 9 and 10",
			peer:    map[string]any{"threshold": 0, "clientMaxWindowBits": 10},
			dial:    &conn.CompressionOptions{ContextTakeover: true, ClientMaxWindowBits: -1, ServerMaxWindowBits: 9},
			sizes:   deflateSmallSizes,
			offer:   "permessage-deflate; server_max_window_bits=9; client_max_window_bits",
			respond: "permessage-deflate; server_max_window_bits=9; client_max_window_bits=10",
			want:    deflateParams{ServerMaxWindowBits: 9, ClientMaxWindowBits: 10},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := startNode(t, node, "deflate_server.mjs", nil, jsonArg(t, map[string]any{"deflate": tc.peer}))
			port := waitDeflateEvent(t, p, "listening", 1).Port
			runDeflateDial(t, "node", p, fmt.Sprintf("ws://127.0.0.1:%d/", port), 1, tc)
		})
	}
}

// jsonArg returns v as a script's JSON argument.
func jsonArg(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
