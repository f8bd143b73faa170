package load

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"sync"
	"time"

	"github.com/rfc6455/ws/frame"
	"github.com/rfc6455/ws/handshake"
)

// Target is the server under load.
type Target struct {
	// URL is the server's ws:// URL. In raw mode only its host:port is used.
	URL string
	// Raw talks to a plain TCP echo: no handshake, no close handshake, and the echo must be the
	// very bytes sent, frames and all.
	Raw bool
	// Compression offers permessage-deflate and requires the server to accept it as the mode
	// says (see Compression); not with Raw.
	Compression Compression
	// HTTP2 opens each connection as a stream of an HTTP/2 connection (RFC 8441): over TLS
	// for a wss:// URL (ALPN h2), with prior knowledge of a cleartext server for a ws:// one
	// (an h2c server, such as cmd/echo -h2c); the streams of a run share HTTP/2 connections,
	// as a browser's do. Not with Raw.
	HTTP2 bool
	// TLS is the client's TLS configuration for wss:// URLs: its RootCAs must trust the
	// server's certificate. Dial sets ServerName and NextProtos on a copy.
	TLS *tls.Config
}

// dialTCP opens the TCP connection to host (host:port) and, for a wss:// URL, runs TLS's
// handshake on it, offering alpn.
func dialTCP(ctx context.Context, t Target, u *url.URL, host, alpn string) (net.Conn, error) {
	var d net.Dialer
	nc, err := d.DialContext(ctx, "tcp", host)
	if err != nil || u.Scheme != "wss" {
		return nc, err
	}
	config := t.TLS.Clone()
	if config == nil {
		config = &tls.Config{}
	}
	config.ServerName = u.Hostname()
	config.NextProtos = []string{alpn}
	tc := tls.Client(nc, config)
	if err := tc.HandshakeContext(ctx); err != nil {
		nc.Close()
		return nil, err
	}
	// A server without ALPN chooses nothing, which is HTTP/1.1.
	if got := tc.ConnectionState().NegotiatedProtocol; got != alpn && (got != "" || alpn == "h2") {
		tc.Close()
		return nil, fmt.Errorf("load: the server chose %q in ALPN, not %q", got, alpn)
	}
	return tc, nil
}

// client is one connection of the load generator.
type client struct {
	nc  net.Conn
	br  *bufio.Reader
	raw bool

	pingsPerMessage int    // pings sent inside each message: fragments - 1
	pongs           int    // pongs received
	nextPing        int    // which ping of a message the next pong answers (1-based)
	ctrl            []byte // payload of a control frame being read

	deflate    *clientDeflate // permessage-deflate is in force; nil otherwise
	extensions string         // the server's Sec-WebSocket-Extensions
	wireBytes  int64          // payload bytes of the echoes' data frames, as they came (compressed or not)
	compressed int64          // echoes that came compressed (RSV1)
}

// dial opens a connection to t and, unless raw, performs the opening handshake (RFC 6455 §4.1):
// the request from handshake.AppendRequest, the response checked by handshake.CheckResponse.
// bufSize is the read buffer, which also bounds how much is compared at a time. With t.Compression
// the offer and the server's answer are checked too (Compression.Accept), and compressed echoes
// are inflated with decompressors from inflaters. With t.HTTP2 the connection is a stream from
// h2 and the handshake an extended CONNECT (RFC 8441 §4, §5).
func dial(ctx context.Context, t Target, bufSize int, inflaters *sync.Pool, h2 *h2Pool) (*client, error) {
	u, err := url.Parse(t.URL)
	if err != nil {
		return nil, err
	}
	if u.Scheme != "ws" && (u.Scheme != "wss" || t.Raw) {
		return nil, fmt.Errorf("load: %q: only ws:// and wss:// URLs (raw mode: ws://)", t.URL)
	}
	host := u.Host
	if u.Port() == "" {
		port := "80"
		if u.Scheme == "wss" {
			port = "443"
		}
		host = net.JoinHostPort(u.Hostname(), port)
	}
	var offered []string
	if t.Compression != NoCompression {
		offered = []string{handshake.PermessageDeflate}
	}
	if t.HTTP2 && !t.Raw {
		nc, resp, err := h2.dialH2(ctx, t, u, host, extendedConnectHeader(t.Compression.Offer()))
		if err != nil {
			return nil, err
		}
		if err := handshake.CheckExtendedConnectResponse(resp, nil, offered); err != nil {
			nc.Close()
			return nil, err
		}
		c := &client{nc: nc, br: bufio.NewReaderSize(nc, bufSize), nextPing: 1}
		if err := c.acceptCompression(t, resp, inflaters); err != nil {
			nc.Close()
			return nil, err
		}
		return c, nil
	}
	nc, err := dialTCP(ctx, t, u, host, "http/1.1")
	if err != nil {
		return nil, err
	}
	c := &client{nc: nc, br: bufio.NewReaderSize(nc, bufSize), raw: t.Raw, nextPing: 1}
	if t.Raw {
		return c, nil
	}
	if dl, ok := ctx.Deadline(); ok {
		nc.SetDeadline(dl)
		defer nc.SetDeadline(time.Time{})
	}
	key := handshake.NewKey()
	req := handshake.AppendRequest(nil, u.RequestURI(), u.Host, key, nil, t.Compression.Offer(), nil)
	if _, err := nc.Write(req); err != nil {
		nc.Close()
		return nil, err
	}
	resp, err := http.ReadResponse(c.br, &http.Request{Method: http.MethodGet})
	if err != nil {
		nc.Close()
		return nil, fmt.Errorf("load: reading the handshake response: %w", err)
	}
	resp.Body.Close()
	if err := handshake.CheckResponse(resp, key, nil, offered); err != nil {
		nc.Close()
		return nil, err
	}
	if err := c.acceptCompression(t, resp, inflaters); err != nil {
		nc.Close()
		return nil, err
	}
	return c, nil
}

// acceptCompression checks the server's answer to the offer of t.Compression, if any, and
// sets c up to inflate what it compresses.
func (c *client) acceptCompression(t Target, resp *http.Response, inflaters *sync.Pool) error {
	if t.Compression == NoCompression {
		return nil
	}
	params, err := t.Compression.Accept(resp)
	if err != nil {
		return err
	}
	c.deflate = &clientDeflate{params: params, inflaters: inflaters}
	c.extensions = resp.Header.Get("Sec-WebSocket-Extensions")
	return nil
}

// readHeader reads one frame header from the buffer without allocating, and applies the rules a
// client checks on every frame (§5.1: a server never masks; §5.2, §5.5). RSV1 passes when
// permessage-deflate is in force (RFC 7692 §6); readEcho checks where it may be.
func (c *client) readHeader() (frame.Header, error) {
	b, err := c.br.Peek(2)
	if err != nil {
		return frame.Header{}, err
	}
	n := frame.HeaderSize(b[0], b[1])
	if b, err = c.br.Peek(n); err != nil {
		return frame.Header{}, err
	}
	h, _, err := frame.ParseHeader(b)
	if err != nil {
		return frame.Header{}, err
	}
	c.br.Discard(n)
	var rsv uint8
	if c.deflate != nil {
		rsv = frame.Rsv1
	}
	return h, h.Check(frame.RoleClient, rsv)
}

// errRsv1 reports RSV1 where RFC 7692 §6.1 forbids it: on a control or a continuation frame.
var errRsv1 = errors.New("load: RSV1 set on a control or continuation frame (RFC 7692 §6.1)")

// errMismatch reports an echo that differs from what was sent.
var errMismatch = errors.New("load: echo differs from the message sent")

// expect reads n bytes and checks that they equal want, comparing straight out of the read buffer.
func (c *client) expect(want []byte) error {
	for len(want) > 0 {
		b, err := c.br.Peek(min(len(want), c.br.Size()))
		if err != nil {
			return err
		}
		if i := mismatchAt(b, want); i >= 0 {
			return fmt.Errorf("%w: byte %d is %#02x, want %#02x", errMismatch, i, b[i], want[i])
		}
		c.br.Discard(len(b))
		want = want[len(b):]
	}
	return nil
}

func mismatchAt(got, want []byte) int {
	if bytes.Equal(got, want[:len(got)]) {
		return -1
	}
	for i := range got {
		if got[i] != want[i] {
			return i
		}
	}
	return -1
}

// readEcho reads the echo of m and checks it: in raw mode the same bytes as m.wire; otherwise one
// message with m's opcode and payload, in any number of frames (§5.4), with pongs for m's pings
// allowed before, between and after them. With permessage-deflate in force the echo may come
// compressed (RSV1 on its first frame, RFC 7692 §6.1) or not; a compressed one is inflated and
// compared whole.
func (c *client) readEcho(m *message) error {
	if c.raw {
		return c.expect(m.wire)
	}
	want := m.payload
	started, compressed := false, false
	for {
		h, err := c.readHeader()
		if err != nil {
			return err
		}
		if h.Op.IsControl() {
			if h.Rsv != 0 {
				return errRsv1
			}
			if err := c.readControl(h); err != nil {
				return err
			}
			continue
		}
		if err := frame.CheckSequence(started, h); err != nil {
			return err
		}
		if !started {
			if h.Op != m.op {
				return fmt.Errorf("%w: opcode %v, want %v", errMismatch, h.Op, m.op)
			}
			compressed = h.Rsv&frame.Rsv1 != 0
			if compressed {
				c.deflate.zbuf = c.deflate.zbuf[:0]
			}
		} else if h.Rsv != 0 {
			return errRsv1
		}
		started = true
		c.wireBytes += h.Length
		if compressed {
			if err := c.readCompressed(h.Length, len(m.payload)); err != nil {
				return err
			}
			if !h.Fin {
				continue
			}
			if err := c.deflate.verify(m.payload); err != nil {
				return err
			}
			c.compressed++
			return nil
		}
		if h.Length > int64(len(want)) {
			return fmt.Errorf("%w: %d more payload bytes than sent", errMismatch, h.Length-int64(len(want)))
		}
		if err := c.expect(want[:h.Length]); err != nil {
			return err
		}
		want = want[h.Length:]
		if h.Fin {
			if len(want) > 0 {
				return fmt.Errorf("%w: %d payload bytes missing", errMismatch, len(want))
			}
			return nil
		}
	}
}

// readCompressed appends n payload bytes of a compressed echo to the message's compressed bytes.
// A deflate stream that is far larger than the payload it carries is refused before it is read:
// even stored blocks add only 5 bytes per 64 KiB (RFC 1951 §3.2.4).
func (c *client) readCompressed(n int64, size int) error {
	z := c.deflate
	if limit := int64(2*size + 1024); int64(len(z.zbuf))+n > limit {
		return fmt.Errorf("%w: a compressed echo of %d bytes or more for %d bytes sent", errMismatch, int64(len(z.zbuf))+n, size)
	}
	start := len(z.zbuf)
	z.zbuf = slices.Grow(z.zbuf, int(n))[:start+int(n)]
	_, err := io.ReadFull(c.br, z.zbuf[start:])
	return err
}

// readControl handles a control frame from the server: a pong must answer our next ping.
func (c *client) readControl(h frame.Header) error {
	c.ctrl = c.ctrl[:0]
	for range h.Length {
		b, err := c.br.ReadByte()
		if err != nil {
			return err
		}
		c.ctrl = append(c.ctrl, b)
	}
	switch h.Op {
	case frame.OpPong:
		if c.pingsPerMessage == 0 {
			return fmt.Errorf("%w: pong %q, but no ping was sent", errMismatch, c.ctrl)
		}
		if want := pingPayload(c.nextPing); !bytes.Equal(c.ctrl, want) {
			return fmt.Errorf("%w: pong %q, want %q", errMismatch, c.ctrl, want)
		}
		c.pongs++
		c.nextPing = c.nextPing%c.pingsPerMessage + 1
		return nil
	case frame.OpClose:
		code, reason, err := frame.ParseClose(c.ctrl)
		if err != nil {
			return fmt.Errorf("load: server sent a bad close frame: %w", err)
		}
		return fmt.Errorf("load: server closed the connection: %d %q", code, reason)
	}
	return fmt.Errorf("load: unexpected %v frame from the server", h.Op)
}

// closeHandshake ends the connection: in WebSocket mode the client sends close 1000 and expects
// the server's close frame with 1000 (RFC 6455 §7.1.2, §7.4.1), then the server to close TCP
// first (§7.1.1), within timeout. Then it closes the socket.
func (c *client) closeHandshake(timeout time.Duration) error {
	defer c.nc.Close()
	if c.raw {
		return nil
	}
	c.nc.SetDeadline(time.Now().Add(timeout))
	if _, err := c.nc.Write(closeFrame()); err != nil {
		return fmt.Errorf("load: sending close: %w", err)
	}
	for {
		h, err := c.readHeader()
		if err != nil {
			return fmt.Errorf("load: waiting for the server's close: %w", err)
		}
		if h.Op.IsControl() && h.Rsv != 0 {
			return errRsv1
		}
		if h.Op != frame.OpClose {
			if !h.Op.IsControl() {
				return fmt.Errorf("load: %v frame after the echoes, before close", h.Op)
			}
			if err := c.readControl(h); err != nil {
				return err
			}
			continue
		}
		payload := make([]byte, h.Length)
		if _, err := io.ReadFull(c.br, payload); err != nil {
			return err
		}
		code, _, err := frame.ParseClose(payload)
		if err != nil {
			return fmt.Errorf("load: server's close frame: %w", err)
		}
		if code != frame.CloseNormal {
			return fmt.Errorf("load: server answered close 1000 with %d", code)
		}
		break
	}
	// §7.1.1: the server closes TCP first. Wait for that briefly; a server that leaves it to
	// the client is not wrong enough to count as an error.
	c.nc.SetReadDeadline(time.Now().Add(min(timeout, time.Second)))
	if n, _ := c.br.Read(make([]byte, 1)); n > 0 {
		return errors.New("load: data after the server's close frame")
	}
	return nil
}
