package conn

import (
	"bytes"
	"compress/flate"
	"context"
	"fmt"
	"io"
	"testing"

	"github.com/rfc6455/ws/frame"
	"github.com/rfc6455/ws/handshake"
)

// TestClientDeflateOffer checks the Sec-WebSocket-Extensions a client sends for its options
// (RFC 7692 §5, §7.1): by default a bare client_max_window_bits, as browsers offer, so that the
// server may choose the client's window (§7.1.2.2); with ExactOffer only what is set.
func TestClientDeflateOffer(t *testing.T) {
	tests := []struct {
		name string
		opts CompressionOptions
		want string
	}{
		{"RFC 7692 §7.1.2.2 the default offers client_max_window_bits", CompressionOptions{},
			"permessage-deflate; client_no_context_takeover; client_max_window_bits"},
		{"-1 is the default's bare parameter", CompressionOptions{ClientMaxWindowBits: -1},
			"permessage-deflate; client_no_context_takeover; client_max_window_bits"},
		{"a window of its own", CompressionOptions{ClientMaxWindowBits: 10},
			"permessage-deflate; client_no_context_takeover; client_max_window_bits=10"},
		{"context takeover", CompressionOptions{ContextTakeover: true},
			"permessage-deflate; client_max_window_bits"},
		{"RFC 7692 §7.1.1.1 the peer's context and window", CompressionOptions{PeerNoContextTakeover: true, ServerMaxWindowBits: 12},
			"permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=12; client_max_window_bits"},
		{"ExactOffer leaves client_max_window_bits out", CompressionOptions{ExactOffer: true},
			"permessage-deflate; client_no_context_takeover"},
		{"ExactOffer with a window offers it", CompressionOptions{ExactOffer: true, ClientMaxWindowBits: 9},
			"permessage-deflate; client_no_context_takeover; client_max_window_bits=9"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			offered := make(chan string, 1)
			srv := startRawServer(t, func(p *serverPeer) error {
				offered <- p.req.Header.Get("Sec-WebSocket-Extensions")
				return nil
			})
			ctx, cancel := context.WithTimeout(context.Background(), ioTimeout)
			defer cancel()
			opts := tt.opts
			if c, _, err := Dial(ctx, srv.url, &DialOptions{Compression: &opts}); err == nil {
				c.CloseNow()
			}
			if got := <-offered; got != tt.want {
				t.Errorf("offer = %q, want %q", got, tt.want)
			}
		})
	}
}

// TestClientHonoursChosenWindow answers the default offer with client_max_window_bits=9
// (RFC 7692 §7.1.2.2: the server may choose the client's window): every message the client
// then sends must inflate with a 512-byte window. compress/flate cannot search a smaller window,
// so the client sends Huffman-only output, with no back-reference at all; the test checks that.
func TestClientHonoursChosenWindow(t *testing.T) {
	message := bytes.Repeat([]byte("a window of 2^9 bytes, chosen by the server. "), 100)
	srv := startRawServer(t, func(p *serverPeer) error {
		if err := p.write(response101("Upgrade: websocket", "Connection: Upgrade", "Sec-WebSocket-Accept: "+handshake.AcceptKey(p.key()),
			"Sec-WebSocket-Extensions: permessage-deflate; client_no_context_takeover; client_max_window_bits=9")); err != nil {
			return err
		}
		h, payload, err := p.readFrame()
		if err != nil {
			return err
		}
		if h.Rsv&frame.Rsv1 == 0 {
			return fmt.Errorf("the client's message is not compressed")
		}
		inflated, err := io.ReadAll(flate.NewReader(bytes.NewReader(append(payload, deflateTail...))))
		if err != nil || !bytes.Equal(inflated, message) {
			return fmt.Errorf("the client's message does not inflate to what it sent: %v", err)
		}
		// Huffman-only output of this message is larger than the message's entropy coding
		// with back-references: anything near the size of a flate.BestSpeed stream would
		// mean the client used the 32 KiB window it was told not to.
		var withWindow bytes.Buffer
		fw, _ := flate.NewWriter(&withWindow, flate.BestSpeed)
		fw.Write(message)
		fw.Flush()
		if len(payload) <= 2*withWindow.Len() {
			return fmt.Errorf("the client sent %d bytes, close to the %d of a compressor with a 32 KiB window", len(payload), withWindow.Len())
		}
		return nil
	})
	ctx, cancel := context.WithTimeout(context.Background(), ioTimeout)
	defer cancel()
	c, _, err := Dial(ctx, srv.url, &DialOptions{Compression: &CompressionOptions{}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	if err := c.WriteMessage(frame.OpText, message); err != nil {
		t.Fatal(err)
	}
	srv.wait(t)
}
