package conn

// Test helpers that speak WebSocket by hand, byte by byte, over real TCP connections, so that
// the tests in server_rules_test.go and client_rules_test.go can send what a well-behaved
// endpoint never would and check what package conn answers on the wire.
//
//   - echoServer: an httptest server whose handler Upgrades and echoes every message with
//     ReadMessage/WriteMessage, and reports the error its read loop ended with.
//   - rawClient: a client that writes the opening handshake and raw frames itself and reads the
//     server's frames with frame.ReadHeader.
//   - rawServer: a one-connection WebSocket server that answers Dial with a 101 it builds itself
//     (right or wrong on purpose) and then runs a script of raw frames.
//
// Every read and write has a deadline (ioTimeout): a frame that never comes fails the test
// instead of hanging it.

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/rfc6455/ws/frame"
	"github.com/rfc6455/ws/handshake"
	"github.com/rfc6455/ws/mask"
)

// ioTimeout bounds every network read and write of these tests.
const ioTimeout = 5 * time.Second

// testKey returns the masking key of the raw client's frames: the one of the examples in
// RFC 6455 §5.7. The server must unmask with whatever key the header carries.
func testKey() [4]byte { return [4]byte{0x37, 0xfa, 0x21, 0x3d} }

// ---- Building frames ------------------------------------------------------------------------

// appendFrame appends header h and payload to dst, masking the payload with h.Key when h.Masked
// is set (§5.3). h.Length is written as given, so it may claim more bytes than payload holds.
func appendFrame(dst []byte, h frame.Header, payload []byte) []byte {
	dst = frame.AppendHeader(dst, h)
	start := len(dst)
	dst = append(dst, payload...)
	if h.Masked {
		mask.Apply(h.Key, 0, dst[start:])
	}
	return dst
}

// clientFrame returns a frame as a client sends it: masked (§5.1), with the given FIN bit, RSV
// bits, opcode and payload.
func clientFrame(fin bool, rsv uint8, op frame.Opcode, payload string) []byte {
	h := frame.Header{Fin: fin, Rsv: rsv, Op: op, Masked: true, Key: testKey(), Length: int64(len(payload))}
	return appendFrame(nil, h, []byte(payload))
}

// claimFrame returns a masked client frame whose header claims claimed payload bytes of which
// only sent follow, as a peer that stalls (or lies) would send.
func claimFrame(op frame.Opcode, claimed int64, sent string) []byte {
	h := frame.Header{Fin: true, Op: op, Masked: true, Key: testKey(), Length: claimed}
	return appendFrame(nil, h, []byte(sent))
}

// textFrame returns a complete, masked text message.
func textFrame(s string) []byte { return clientFrame(true, 0, frame.OpText, s) }

// binaryFrame returns a complete, masked binary message.
func binaryFrame(s string) []byte { return clientFrame(true, 0, frame.OpBinary, s) }

// closeFrame returns a masked close frame with the given code and reason (§5.5.1); code
// frame.CloseNoStatus gives an empty payload.
func closeFrame(code frame.CloseCode, reason string) []byte {
	return clientFrame(true, 0, frame.OpClose, string(frame.AppendClose(nil, code, reason)))
}

// closePayloadFrame returns a masked close frame with exactly the given payload.
func closePayloadFrame(payload []byte) []byte {
	return clientFrame(true, 0, frame.OpClose, string(payload))
}

// codePayload returns a close payload with code written as is, valid or not, and reason.
func codePayload(code uint16, reason string) []byte {
	return append(binary.BigEndian.AppendUint16(nil, code), reason...)
}

// cat concatenates frames, to send them in one write.
func cat(frames ...[]byte) []byte { return bytes.Join(frames, nil) }

// ---- The echo server ------------------------------------------------------------------------

// echoServer is an httptest server whose handler upgrades every request with the options it was
// started with and echoes each message back, until its read fails.
type echoServer struct {
	addr       string     // host:port of the listener
	url        string     // ws://host:port/
	readErr    chan error // the error each upgraded connection's read loop ended with
	upgradeErr chan error // what Upgrade returned for each refused handshake
}

// startEchoServer starts an echo server on 127.0.0.1 and stops it when the test ends.
func startEchoServer(t *testing.T, opts *UpgradeOptions) *echoServer {
	t.Helper()
	return startEchoServerOn(t, nil, opts)
}

// startEchoServerOn starts an echo server on ln, or on 127.0.0.1 when ln is nil.
func startEchoServerOn(t *testing.T, ln net.Listener, opts *UpgradeOptions) *echoServer {
	t.Helper()
	s := &echoServer{readErr: make(chan error, 16), upgradeErr: make(chan error, 16)}
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := Upgrade(w, r, opts)
		if err != nil {
			report(s.upgradeErr, err)
			return
		}
		var buf []byte
		for {
			op, p, err := c.ReadMessage(buf)
			if err != nil {
				report(s.readErr, err)
				return
			}
			buf = p
			if err := c.WriteMessage(op, p); err != nil {
				report(s.readErr, fmt.Errorf("echo server: the write of the echo failed: %w", err))
				return
			}
		}
	})
	srv := httptest.NewUnstartedServer(handler)
	if ln != nil {
		srv.Listener.Close()
		srv.Listener = ln
	}
	srv.Start()
	t.Cleanup(srv.Close)
	s.addr = srv.Listener.Addr().String()
	s.url = "ws://" + s.addr + "/"
	return s
}

// report sends v on ch without ever blocking the goroutine that found it.
func report[T any](ch chan T, v T) {
	select {
	case ch <- v:
	default:
	}
}

// nextReadErr returns the error the next connection's read loop ended with.
func (s *echoServer) nextReadErr(t *testing.T) error {
	t.Helper()
	select {
	case err := <-s.readErr:
		return err
	case <-time.After(ioTimeout):
		t.Fatal("the server's read loop did not end")
		return nil
	}
}

// expectFailure checks that the server's read loop ended because the server failed the
// connection (§7.1.7) with close code code: ReadMessage returned a *frame.ProtocolError.
func (s *echoServer) expectFailure(t *testing.T, code frame.CloseCode) {
	t.Helper()
	err := s.nextReadErr(t)
	var pe *frame.ProtocolError
	if !errors.As(err, &pe) {
		t.Errorf("server read error = %v (%T), want a *frame.ProtocolError with code %d", err, err, code)
		return
	}
	if pe.Code != code {
		t.Errorf("server read error = %v with code %d, want code %d", err, pe.Code, code)
	}
}

// expectPeerClose checks that the server's read loop ended with the client's close frame
// carrying code (1005 for an empty close frame): ReadMessage returned a *CloseError.
func (s *echoServer) expectPeerClose(t *testing.T, code frame.CloseCode) {
	t.Helper()
	err := s.nextReadErr(t)
	var ce *CloseError
	if !errors.As(err, &ce) {
		t.Errorf("server read error = %v (%T), want a *CloseError with code %d", err, err, code)
		return
	}
	if ce.Code != code {
		t.Errorf("server read error = %v, want code %d", err, code)
	}
}

// ---- The raw client -------------------------------------------------------------------------

// rawClient is a TCP connection to a server on which the test writes bytes by hand.
type rawClient struct {
	nc   net.Conn
	br   *bufio.Reader // kept from the handshake: bytes after the 101 are the first frames
	resp *http.Response
}

// dialRaw connects to addr, writes request (and whatever follows it in the same write) and reads
// the response, whatever its status. The connection is closed when the test ends.
func dialRaw(t *testing.T, addr string, request []byte) *rawClient {
	t.Helper()
	nc, err := net.DialTimeout("tcp", addr, ioTimeout)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	c := &rawClient{nc: nc, br: bufio.NewReader(nc)}
	c.write(t, request)
	nc.SetReadDeadline(time.Now().Add(ioTimeout))
	resp, err := http.ReadResponse(c.br, &http.Request{Method: http.MethodGet})
	if err != nil {
		t.Fatalf("reading the handshake response: %v", err)
	}
	c.resp = resp
	return c
}

// dial opens a WebSocket connection to s with a valid handshake (§4.1). first is written in the
// same write as the request, as a client that does not wait for the 101 may do.
func (s *echoServer) dial(t *testing.T, first []byte) *rawClient {
	t.Helper()
	key := handshake.NewKey()
	request := handshake.AppendRequest(nil, "/", s.addr, key, nil, "", nil)
	c := dialRaw(t, s.addr, append(request, first...))
	if c.resp.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("handshake: status %s, want 101", c.resp.Status)
	}
	if got, want := c.resp.Header.Get("Sec-WebSocket-Accept"), handshake.AcceptKey(key); got != want {
		t.Fatalf("handshake: Sec-WebSocket-Accept %q, want %q", got, want)
	}
	return c
}

// write writes b in one call.
func (c *rawClient) write(t *testing.T, b []byte) {
	t.Helper()
	c.nc.SetWriteDeadline(time.Now().Add(ioTimeout))
	if _, err := c.nc.Write(b); err != nil {
		t.Fatalf("raw client write: %v", err)
	}
}

// writeByteByByte writes b one byte per write, pausing between them, so that the server sees
// every header and payload arrive in pieces.
func (c *rawClient) writeByteByByte(t *testing.T, b []byte) {
	t.Helper()
	for i := range b {
		c.write(t, b[i:i+1])
		time.Sleep(time.Millisecond)
	}
}

// readFrame reads the server's next frame. A server must not mask (§5.1).
func (c *rawClient) readFrame(t *testing.T) (frame.Header, []byte) {
	t.Helper()
	c.nc.SetReadDeadline(time.Now().Add(ioTimeout))
	h, err := frame.ReadHeader(c.br)
	if err != nil {
		t.Fatalf("raw client: reading a frame header: %v", err)
	}
	if h.Masked {
		t.Errorf("§5.1: the server sent a masked frame: %v", h)
	}
	if h.Length > 1<<24 {
		t.Fatalf("raw client: the server sent a frame of %d bytes", h.Length)
	}
	payload := make([]byte, h.Length)
	if _, err := io.ReadFull(c.br, payload); err != nil {
		t.Fatalf("raw client: reading %d bytes of payload: %v", h.Length, err)
	}
	if h.Masked {
		mask.Apply(h.Key, 0, payload)
	}
	return h, payload
}

// expectFrame reads the server's next frame and checks that it is a complete frame of type op
// with the given payload.
func (c *rawClient) expectFrame(t *testing.T, op frame.Opcode, payload string) {
	t.Helper()
	h, p := c.readFrame(t)
	if h.Op != op || !h.Fin || h.Rsv != 0 || string(p) != payload {
		t.Fatalf("got %v with payload %s, want a final %v frame with payload %s", h, abbrev(p), op, abbrev([]byte(payload)))
	}
}

// expectClose reads the server's next frame, which must be a close frame with code code (an
// empty one for frame.CloseNoStatus), and then checks that the server closed TCP: the next read
// returns io.EOF within ioTimeout while this side still holds the connection open (§7.1.1: the
// server closes first; §5.5.1: nothing may follow a close frame). It returns the close reason.
func (c *rawClient) expectClose(t *testing.T, code frame.CloseCode) string {
	t.Helper()
	h, p := c.readFrame(t)
	if h.Op != frame.OpClose {
		t.Fatalf("got %v with payload %s, want a close frame with code %d", h, abbrev(p), code)
	}
	if !h.Fin || h.Rsv != 0 {
		t.Errorf("close frame header %v: want FIN set and no RSV bits (§5.5, §5.2)", h)
	}
	var reason string
	switch {
	case code == frame.CloseNoStatus:
		if len(p) != 0 {
			t.Errorf("close payload %x, want an empty one", p)
		}
	case len(p) < 2:
		t.Errorf("close payload %x, want code %d", p, code)
	default:
		if got := frame.CloseCode(binary.BigEndian.Uint16(p)); got != code {
			t.Errorf("close code %d, want %d (payload %q)", got, code, p[2:])
		}
		reason = string(p[2:])
	}
	c.expectEOF(t)
	return reason
}

// expectEOF checks that the server closed the TCP connection cleanly and sent nothing more.
func (c *rawClient) expectEOF(t *testing.T) {
	t.Helper()
	c.nc.SetReadDeadline(time.Now().Add(ioTimeout))
	var b [64]byte
	n, err := c.br.Read(b[:])
	switch {
	case n > 0:
		t.Errorf("after its close frame the server sent %x more bytes, want end of stream", b[:n])
	case err != io.EOF:
		t.Errorf("after its close frame, read = %v, want io.EOF: the server did not close TCP", err)
	}
}

// abbrev shows a payload in a failure message, cut short when it is long.
func abbrev(p []byte) string {
	if len(p) > 40 {
		return fmt.Sprintf("%q... (%d bytes)", p[:40], len(p))
	}
	return fmt.Sprintf("%q", p)
}

// ---- The raw server -------------------------------------------------------------------------

// rawServer accepts one connection, reads the client's opening handshake request with
// http.ReadRequest and hands the connection to a script, which answers the handshake and sends
// frames as it likes. The connection is closed when the script returns.
type rawServer struct {
	ln     net.Listener
	url    string // ws://127.0.0.1:port/
	done   chan error
	waited bool
	err    error
}

// serverPeer is the raw server's side of the connection, as the script sees it.
type serverPeer struct {
	nc  net.Conn
	br  *bufio.Reader
	req *http.Request // the client's opening handshake request
}

// startRawServer listens on 127.0.0.1 and runs script on the first connection. It stops when the
// test ends.
func startRawServer(t *testing.T, script func(p *serverPeer) error) *rawServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &rawServer{ln: ln, url: "ws://" + ln.Addr().String() + "/", done: make(chan error, 1)}
	go func() { s.done <- s.serve(script) }()
	t.Cleanup(func() {
		ln.Close()
		if !s.waited {
			select {
			case <-s.done:
			case <-time.After(2 * ioTimeout):
			}
		}
	})
	return s
}

func (s *rawServer) serve(script func(p *serverPeer) error) error {
	nc, err := s.ln.Accept()
	if err != nil {
		return fmt.Errorf("raw server: accept: %w", err)
	}
	defer nc.Close()
	p := &serverPeer{nc: nc, br: bufio.NewReader(nc)}
	nc.SetReadDeadline(time.Now().Add(ioTimeout))
	if p.req, err = http.ReadRequest(p.br); err != nil {
		return fmt.Errorf("raw server: reading the handshake request: %w", err)
	}
	return script(p)
}

// wait waits for the script to finish and fails the test if it returned an error.
func (s *rawServer) wait(t *testing.T) {
	t.Helper()
	if !s.waited {
		select {
		case s.err = <-s.done:
		case <-time.After(2 * ioTimeout):
			s.err = errors.New("raw server: the script did not finish")
		}
		s.waited = true
	}
	if s.err != nil {
		t.Fatal(s.err)
	}
}

// key returns the client's Sec-WebSocket-Key.
func (p *serverPeer) key() string { return p.req.Header.Get("Sec-WebSocket-Key") }

// response101 builds a 101 response with exactly the given header lines.
func response101(lines ...string) []byte {
	return []byte("HTTP/1.1 101 Switching Protocols\r\n" + strings.Join(append(lines, ""), "\r\n") + "\r\n")
}

// accept answers the handshake with a valid 101 (§4.2.2) followed, in the same write, by tail.
func (p *serverPeer) accept(tail []byte) error {
	return p.write(append(handshake.AppendResponse(nil, p.key(), "", "", nil), tail...))
}

// write writes b in one call.
func (p *serverPeer) write(b []byte) error {
	p.nc.SetWriteDeadline(time.Now().Add(ioTimeout))
	_, err := p.nc.Write(b)
	if err != nil {
		return fmt.Errorf("raw server write: %w", err)
	}
	return nil
}

// readFrame reads the client's next frame and unmasks its payload. The header is returned as it
// was on the wire, so the caller can check Masked and Key.
func (p *serverPeer) readFrame() (frame.Header, []byte, error) {
	p.nc.SetReadDeadline(time.Now().Add(ioTimeout))
	h, err := frame.ReadHeader(p.br)
	if err != nil {
		return h, nil, fmt.Errorf("raw server: reading a frame header: %w", err)
	}
	if h.Length > 1<<24 {
		return h, nil, fmt.Errorf("raw server: the client sent a frame of %d bytes", h.Length)
	}
	payload := make([]byte, h.Length)
	if _, err := io.ReadFull(p.br, payload); err != nil {
		return h, nil, fmt.Errorf("raw server: reading %d bytes of payload: %w", h.Length, err)
	}
	if h.Masked {
		mask.Apply(h.Key, 0, payload)
	}
	return h, payload, nil
}

// readClose reads the client's next frame, which must be a masked close frame (§5.1, §5.5.1)
// with code code, and returns its reason.
func (p *serverPeer) readClose(code frame.CloseCode) (string, error) {
	h, payload, err := p.readFrame()
	if err != nil {
		return "", err
	}
	if h.Op != frame.OpClose || !h.Fin {
		return "", fmt.Errorf("got %v with payload %q, want a close frame with code %d", h, payload, code)
	}
	if !h.Masked {
		return "", fmt.Errorf("§5.1: the client's close frame is not masked: %v", h)
	}
	got, reason, err := frame.ParseClose(payload)
	if err != nil {
		return "", fmt.Errorf("the client's close payload %q: %w", payload, err)
	}
	if got != code {
		return "", fmt.Errorf("the client's close code is %d, want %d (reason %q)", got, code, reason)
	}
	return reason, nil
}

// drain reads and drops whatever the client sends until it closes the connection, and reports
// an error if it does not within ioTimeout.
func (p *serverPeer) drain() error {
	p.nc.SetReadDeadline(time.Now().Add(ioTimeout))
	if _, err := io.Copy(io.Discard, p.br); err != nil {
		return fmt.Errorf("raw server: waiting for the client to close: %w", err)
	}
	return nil
}

// serverFrame returns an unmasked frame as a server sends it (§5.1).
func serverFrame(op frame.Opcode, payload string) []byte {
	return appendFrame(nil, frame.Header{Fin: true, Op: op, Length: int64(len(payload))}, []byte(payload))
}
