package conform

// The suite's end of a connection: the opening handshake in either role, frames written byte by
// byte, and a reader that turns what the peer sends into events. Nothing here uses package conn:
// the suite must be able to send what conn would refuse to, and must judge conn like any other
// endpoint.

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/rfc6455/ws/frame"
	"github.com/rfc6455/ws/handshake"
	"github.com/rfc6455/ws/internal/h2connect"
	"github.com/rfc6455/ws/mask"
)

// maxMessage is the largest message the suite assembles from the peer's frames. The largest case
// sends 16 MiB; a peer that claims much more is broken or hostile, and the suite stops reading.
const maxMessage = 64 << 20

// ---- Frames the suite writes ------------------------------------------------------------------

// maskMode says whether a frame the suite writes is masked.
type maskMode uint8

const (
	maskByRole maskMode = iota // as §5.1 says for the suite's role: masked from a client only
	maskWrong                  // the opposite of what §5.1 says, to test that the peer refuses it
)

// lengthMode says how a frame's payload length is written.
type lengthMode uint8

const (
	lengthMinimal   lengthMode = iota // the shortest encoding, as §5.2 requires of senders
	lengthAs64                        // always the 8-byte form, even for short payloads (§5.2 forbids it)
	lengthTopBitSet                   // the 8-byte form with its most significant bit set (§5.2 forbids it)
)

// wireFrame is a frame as the suite writes it, valid or not.
type wireFrame struct {
	Fin     bool
	Rsv     uint8 // RSV1..RSV3 as frame.Rsv1|Rsv2|Rsv3
	Op      frame.Opcode
	Payload []byte
	Mask    maskMode
	Length  lengthMode
}

// dataFrame returns a frame with the given FIN bit, opcode and payload.
func dataFrame(fin bool, op frame.Opcode, payload []byte) wireFrame {
	return wireFrame{Fin: fin, Op: op, Payload: payload}
}

// textFrame returns a whole text message in one frame.
func textFrame(s string) wireFrame { return dataFrame(true, frame.OpText, []byte(s)) }

// binaryFrame returns a whole binary message in one frame.
func binaryFrame(p []byte) wireFrame { return dataFrame(true, frame.OpBinary, p) }

// pingFrame returns a ping with payload p.
func pingFrame(p []byte) wireFrame { return dataFrame(true, frame.OpPing, p) }

// pongFrame returns a pong with payload p.
func pongFrame(p []byte) wireFrame { return dataFrame(true, frame.OpPong, p) }

// closeFrame returns a close frame with exactly the payload p.
func closeFrame(p []byte) wireFrame { return dataFrame(true, frame.OpClose, p) }

// closePayload returns the body of a close frame (§5.5.1): code in network byte order, written as
// given even if it is not valid on the wire, then reason.
func closePayload(code int, reason string) []byte {
	return append(binary.BigEndian.AppendUint16(nil, uint16(code)), reason...)
}

// fragments splits a message into data frames of at most size bytes each: the first with opcode
// op, the rest continuations, FIN on the last (§5.4). An empty message is one empty frame.
func fragments(op frame.Opcode, msg []byte, size int) []wireFrame {
	var out []wireFrame
	for first := true; first || len(msg) > 0; first = false {
		n := min(size, len(msg))
		f := dataFrame(len(msg) == n, frame.OpContinuation, msg[:n])
		if first {
			f.Op = op
		}
		out = append(out, f)
		msg = msg[n:]
	}
	return out
}

// ---- The connection -----------------------------------------------------------------------------

// rawConn is the suite's end of one WebSocket connection.
type rawConn struct {
	nc     net.Conn
	br     *bufio.Reader // reads the peer's frames; holds any bytes that came with the handshake
	client bool          // the suite is the client: it masks its frames and the peer is a server

	events     chan event    // what the reader found, in order
	done       chan struct{} // closed when the case is over, to release a blocked reader
	readerDone chan struct{} // closed when the reader has returned

	// deflate is what the opening handshake settled about permessage-deflate (RFC 7692), for
	// the compression cases; its pmd is nil when compression is off, as in every other case.
	deflate negotiation

	mu       sync.Mutex
	received map[string]int // frames read, by opcode name; guarded by mu
}

// newRawConn wraps a connection whose opening handshake is done and starts its reader.
func newRawConn(nc net.Conn, br *bufio.Reader, client bool) *rawConn {
	return newRawConnDeflate(nc, br, client, negotiation{})
}

// newRawConnDeflate is newRawConn for a connection whose handshake negotiated n.
func newRawConnDeflate(nc net.Conn, br *bufio.Reader, client bool, n negotiation) *rawConn {
	rc := &rawConn{
		nc:         nc,
		br:         br,
		client:     client,
		deflate:    n,
		events:     make(chan event, 64),
		done:       make(chan struct{}),
		readerDone: make(chan struct{}),
		received:   make(map[string]int),
	}
	go rc.readLoop()
	return rc
}

// dialOptions configures how the suite connects to a server under test.
type dialOptions struct {
	header    http.Header
	tlsConfig *tls.Config
	deflate   []deflateChoice   // permessage-deflate offers, for the compression cases
	h2        *h2connect.Client // if set, the WebSocket is a stream of an HTTP/2 connection (RFC 8441)
}

// dialRaw connects to the WebSocket server at rawURL (ws:// or wss://) and runs the opening
// handshake of §4.1 by hand (or RFC 8441's over HTTP/2 when opts.h2 is set: see dialH2): the request from handshake.AppendRequest, the response read with
// http.ReadResponse and checked with handshake.CheckResponse. No extension is offered, so the
// peer may use none, and every RSV bit it sets is an error (§5.2), except in the compression
// cases, which offer permessage-deflate (RFC 7692).
func dialRaw(ctx context.Context, rawURL string, opts dialOptions) (*rawConn, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, err
	}
	var port string
	switch u.Scheme {
	case "ws":
		port = "80"
	case "wss":
		port = "443"
	default:
		return nil, fmt.Errorf("conform: %q is not a ws:// or wss:// URL", rawURL)
	}
	addr := u.Host
	if u.Port() == "" {
		addr = net.JoinHostPort(u.Hostname(), port)
	}
	if opts.h2 != nil {
		return dialH2(ctx, u, addr, opts)
	}
	var d net.Dialer
	nc, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	if u.Scheme == "wss" {
		cfg := opts.tlsConfig.Clone()
		if cfg == nil {
			cfg = new(tls.Config)
		}
		if cfg.ServerName == "" {
			cfg.ServerName = u.Hostname()
		}
		tc := tls.Client(nc, cfg)
		if err := tc.HandshakeContext(ctx); err != nil {
			nc.Close()
			return nil, err
		}
		nc = tc
	}
	if deadline, ok := ctx.Deadline(); ok {
		nc.SetDeadline(deadline)
	}
	br, n, err := clientHandshake(nc, u, opts.header, opts.deflate)
	if err != nil {
		nc.Close()
		return nil, err
	}
	nc.SetDeadline(time.Time{})
	return newRawConnDeflate(nc, br, true, n), nil
}

// clientHandshake sends the opening handshake request for u on nc, offering permessage-deflate
// with choices unless there are none, and checks the response. It returns the reader to read
// frames from, which may already hold some, and what was negotiated.
func clientHandshake(nc net.Conn, u *url.URL, header http.Header, choices []deflateChoice) (*bufio.Reader, negotiation, error) {
	key := handshake.NewKey()
	extra := http.Header{"User-Agent": {"wsconform"}}
	for name, values := range header {
		extra[name] = values
	}
	var offer string
	var offered []string
	if len(choices) > 0 {
		offer, offered = offerExtensions(choices), []string{handshake.PermessageDeflate}
	}
	req := handshake.AppendRequest(nil, u.RequestURI(), u.Host, key, nil, offer, extra)
	if _, err := nc.Write(req); err != nil {
		return nil, negotiation{}, err
	}
	br := bufio.NewReaderSize(nc, 64<<10)
	resp, err := http.ReadResponse(br, &http.Request{Method: http.MethodGet})
	if err != nil {
		return nil, negotiation{}, fmt.Errorf("reading the handshake response: %w", err)
	}
	if resp.StatusCode != http.StatusSwitchingProtocols {
		resp.Body.Close()
	}
	if err := handshake.CheckResponse(resp, key, nil, offered); err != nil {
		return nil, negotiation{}, err
	}
	if len(choices) == 0 {
		return br, negotiation{}, nil
	}
	n, err := acceptAnswer(resp.Header, choices)
	if err != nil {
		return nil, negotiation{}, err
	}
	return br, n, nil
}

// acceptRaw answers a client's opening handshake (§4.2) on a net/http request by hand: it checks
// the request with handshake.CheckRequest, takes the TCP connection over and writes the 101
// response from handshake.AppendResponse. No subprotocol is selected, and no extension unless
// deflate holds the choices of a compression case, for which it answers the client's
// permessage-deflate offer (RFC 7692). When the request is not a valid handshake, acceptRaw
// answers with the HTTP error itself.
func acceptRaw(w http.ResponseWriter, r *http.Request, deflate []deflateChoice) (*rawConn, error) {
	if err := handshake.CheckRequest(r); err != nil {
		var herr *handshake.Error
		if errors.As(err, &herr) {
			for name, values := range herr.Header {
				w.Header()[name] = values
			}
			http.Error(w, herr.Reason, herr.Status)
		} else {
			http.Error(w, err.Error(), http.StatusBadRequest)
		}
		return nil, err
	}
	nc, rw, err := http.NewResponseController(w).Hijack()
	if err != nil {
		http.Error(w, "cannot take over the connection", http.StatusInternalServerError)
		return nil, err
	}
	var answer string
	var n negotiation
	if len(deflate) > 0 {
		answer, n = answerOffers(r.Header, deflate)
	}
	resp := handshake.AppendResponse(nil, r.Header.Get("Sec-WebSocket-Key"), "", answer, nil)
	if _, err := nc.Write(resp); err != nil {
		nc.Close()
		return nil, err
	}
	return newRawConnDeflate(nc, rw.Reader, false, n), nil
}

// encode returns the wire form of f as the suite's role writes it: masked with a fresh random
// key when the suite is the client (§5.1, §5.3), unless f asks for the wrong masking.
func (rc *rawConn) encode(f wireFrame) []byte {
	masked := rc.client
	if f.Mask == maskWrong {
		masked = !masked
	}
	h := frame.Header{Fin: f.Fin, Rsv: f.Rsv, Op: f.Op, Masked: masked, Length: int64(len(f.Payload))}
	if masked {
		rand.Read(h.Key[:])
	}
	b := make([]byte, 0, frame.MaxHeaderSize+len(f.Payload))
	switch f.Length {
	case lengthAs64:
		b = appendHeader64(b, h, uint64(len(f.Payload)))
	case lengthTopBitSet:
		b = appendHeader64(b, h, 1<<63|uint64(len(f.Payload)))
	default:
		b = frame.AppendHeader(b, h)
	}
	start := len(b)
	b = append(b, f.Payload...)
	if masked {
		mask.Apply(h.Key, 0, b[start:])
	}
	return b
}

// appendHeader64 appends a header for h whose payload length is written in the 8-byte form with
// the given value, byte by byte. frame.AppendHeader rightly always writes the minimal form
// (§5.2), so the cases that test what a peer does with another form craft it here.
func appendHeader64(dst []byte, h frame.Header, length uint64) []byte {
	b0 := h.Rsv<<4 | byte(h.Op)
	if h.Fin {
		b0 |= 0x80
	}
	b1 := byte(127) // §5.2: 127 in the 7-bit field means "the next 8 bytes are the length"
	if h.Masked {
		b1 |= 0x80
	}
	dst = append(dst, b0, b1)
	dst = binary.BigEndian.AppendUint64(dst, length)
	if h.Masked {
		dst = append(dst, h.Key[:]...)
	}
	return dst
}

// write writes b to the peer in writes of at most chop bytes (all at once when chop <= 0),
// pause apart, so that the peer's reads see the stream cut at arbitrary places. It stops at the
// first error.
func (rc *rawConn) write(b []byte, chop int, pause time.Duration) error {
	if chop <= 0 {
		chop = len(b)
	}
	for first := true; len(b) > 0; first = false {
		if !first && pause > 0 {
			time.Sleep(pause)
		}
		n := min(chop, len(b))
		if _, err := rc.nc.Write(b[:n]); err != nil {
			return err
		}
		b = b[n:]
	}
	return nil
}

// receivedCounts returns a copy of the frame counts by opcode.
func (rc *rawConn) receivedCounts() map[string]int {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	out := make(map[string]int, len(rc.received))
	for k, v := range rc.received {
		out[k] = v
	}
	return out
}

// close ends the connection and waits for the reader to return.
func (rc *rawConn) close() {
	close(rc.done)
	rc.nc.Close()
	<-rc.readerDone
}

// ---- What the peer sends -------------------------------------------------------------------------

// eventKind is the kind of an event.
type eventKind uint8

const (
	evMessage   eventKind = iota + 1 // a whole data message
	evPing                           // a ping
	evPong                           // a pong
	evClose                          // a close frame
	evDrop                           // the TCP connection ended (or the reader gave up)
	evViolation                      // the peer broke a rule that binds every endpoint
	evTimeout                        // nothing came in time (made by the session, never by the reader)
)

// event is something the peer did.
type event struct {
	kind       eventKind
	op         frame.Opcode   // evMessage: frame.OpText or frame.OpBinary
	data       []byte         // evMessage, evPing, evPong: the payload (inflated if compressed); evClose: the whole close payload
	frames     int            // evMessage: how many frames it came in
	compressed bool           // evMessage: it came compressed (RSV1, RFC 7692 §6)
	wire       int            // evMessage: its size on the wire, when compressed
	refs       backReferences // evMessage: its back-references, when compressed
	code       int            // evClose: the status code, 0 when the frame had none
	reason     string         // evClose: the reason
	err        error          // evDrop: why the reader stopped
	what       string         // evViolation: the rule broken, citing its section
}

// String describes e in a few words, for logs and verdicts.
func (e event) String() string {
	switch e.kind {
	case evMessage:
		s := fmt.Sprintf("%v message of %d bytes", e.op, len(e.data))
		if e.frames > 1 {
			s += fmt.Sprintf(" in %d frames", e.frames)
		}
		if e.compressed {
			s += fmt.Sprintf(", compressed to %d", e.wire)
		}
		return s + preview(e.data)
	case evPing:
		return fmt.Sprintf("ping of %d bytes%s", len(e.data), preview(e.data))
	case evPong:
		return fmt.Sprintf("pong of %d bytes%s", len(e.data), preview(e.data))
	case evClose:
		if e.code == 0 {
			return "close frame without a status code"
		}
		if e.reason != "" {
			return fmt.Sprintf("close %d %q", e.code, e.reason)
		}
		return fmt.Sprintf("close %d", e.code)
	case evDrop:
		if errors.Is(e.err, io.EOF) {
			return "TCP connection closed by the peer"
		}
		return fmt.Sprintf("TCP connection ended (%v)", e.err)
	case evViolation:
		return "protocol violation: " + e.what
	case evTimeout:
		return "nothing (timeout)"
	}
	return "unknown event"
}

// preview returns a short view of a payload for logs and verdicts: its beginning quoted when it
// is text, in hex otherwise, and "" for an empty payload.
func preview(p []byte) string {
	const maxText, maxHex = 24, 12
	if len(p) == 0 {
		return ""
	}
	head := p[:min(len(p), maxText)]
	// The cut may fall inside a code point, leaving an incomplete one at the end of a valid text.
	if utf8.Valid(head) || len(head) < len(p) && completable(head) {
		if len(head) < len(p) {
			return fmt.Sprintf(" %q…", head)
		}
		return fmt.Sprintf(" %q", p)
	}
	if len(p) > maxHex {
		return fmt.Sprintf(" %x…", p[:maxHex])
	}
	return fmt.Sprintf(" %x", p)
}

// readLoop reads the peer's frames until the connection ends, assembles fragmented messages
// (§5.4) and sends each message, control frame and violation to rc.events. The suite checks the
// peer's frames by rules of its own, written here rather than taken from package frame, so that
// a bug there cannot hide the same bug in the endpoint under test.
func (rc *rawConn) readLoop() {
	defer close(rc.readerDone)
	var (
		inMessage  bool
		msgOp      frame.Opcode
		msg        []byte
		frames     int
		compressed bool // the message's first frame has RSV1 set, with permessage-deflate in force
		closed     bool // the peer's close frame has arrived
	)
	for {
		h, err := frame.ReadHeader(rc.br)
		if err != nil {
			if errors.Is(err, frame.ErrLengthOverflow) {
				rc.emit(event{kind: evViolation, what: "a 64-bit payload length with the most significant bit set (§5.2)"})
			}
			rc.emit(event{kind: evDrop, err: err})
			return
		}
		rc.count(h.Op)
		if what := rc.checkHeader(h); what != "" {
			rc.emit(event{kind: evViolation, what: what})
		}
		if h.Length > maxMessage-int64(len(msg)) {
			rc.emit(event{kind: evViolation, what: fmt.Sprintf("a frame of %d bytes, more than the suite accepts", h.Length)})
			rc.emit(event{kind: evDrop, err: errors.New("the suite stopped reading")})
			return
		}
		payload := make([]byte, h.Length)
		if _, err := io.ReadFull(rc.br, payload); err != nil {
			rc.emit(event{kind: evDrop, err: err})
			return
		}
		if h.Masked {
			mask.Apply(h.Key, 0, payload)
		}
		if closed {
			rc.emit(event{kind: evViolation, what: fmt.Sprintf("a %v frame after the close frame (§5.5.1: nothing may follow it)", h.Op)})
			continue
		}
		switch h.Op {
		case frame.OpContinuation:
			if !inMessage {
				rc.emit(event{kind: evViolation, what: "a continuation frame with no message to continue (§5.4)"})
				continue
			}
			msg = append(msg, payload...)
			frames++
		case frame.OpText, frame.OpBinary:
			if inMessage {
				rc.emit(event{kind: evViolation, what: "a new data frame inside a fragmented message (§5.4)"})
			}
			inMessage, msgOp, msg, frames = true, h.Op, payload, 1
			compressed = rc.deflate.pmd != nil && h.Rsv&frame.Rsv1 != 0
		case frame.OpPing:
			rc.emit(event{kind: evPing, data: payload})
			continue
		case frame.OpPong:
			rc.emit(event{kind: evPong, data: payload})
			continue
		case frame.OpClose:
			rc.emit(parseClose(payload))
			closed = true
			continue
		default:
			continue // a reserved opcode, reported above
		}
		if h.Fin && compressed {
			ev, ok := rc.inflate(msgOp, msg, frames)
			if ok && msgOp == frame.OpText && !utf8.Valid(ev.data) {
				ev = event{kind: evViolation, what: "a compressed text message that inflates to invalid UTF-8 (§8.1)"}
			}
			rc.emit(ev)
			inMessage, msg = false, nil
			continue
		}
		if h.Fin {
			if msgOp == frame.OpText && !utf8.Valid(msg) {
				rc.emit(event{kind: evViolation, what: "a text message that is not valid UTF-8 (§8.1)"})
			} else {
				rc.emit(event{kind: evMessage, op: msgOp, data: msg, frames: frames})
			}
			inMessage, msg = false, nil
		}
	}
}

// checkHeader returns the first rule of §5 that h breaks, or "".
func (rc *rawConn) checkHeader(h frame.Header) string {
	if h.Rsv != 0 {
		if what := rc.checkRsv(h); what != "" {
			return what
		}
	}
	switch {
	case h.Op.IsReserved():
		return fmt.Sprintf("reserved opcode %#x (§5.2)", uint8(h.Op))
	case rc.client && h.Masked:
		return "a masked frame from the server (§5.1: a server MUST NOT mask)"
	case !rc.client && !h.Masked:
		return "an unmasked frame from the client (§5.1: a client MUST mask)"
	case h.Op.IsControl() && !h.Fin:
		return fmt.Sprintf("a fragmented %v frame (§5.5: control frames MUST NOT be fragmented)", h.Op)
	case h.Op.IsControl() && h.Length > 125:
		return fmt.Sprintf("a %v frame of %d bytes (§5.5: at most 125)", h.Op, h.Length)
	}
	return ""
}

// checkRsv returns the rule that the RSV bits of h break, or "". Without an extension every RSV
// bit is an error (§5.2). permessage-deflate gives RSV1 a meaning, "Per-Message Compressed", on
// the first frame of a data message only (RFC 7692 §6, §6.1), and leaves RSV2 and RSV3 unused.
func (rc *rawConn) checkRsv(h frame.Header) string {
	switch {
	case rc.deflate.pmd == nil:
		return fmt.Sprintf("RSV bits %03b set without a negotiated extension (§5.2)", h.Rsv)
	case h.Rsv&^frame.Rsv1 != 0:
		return fmt.Sprintf("RSV bits %03b set, of which permessage-deflate uses only RSV1 (§5.2, RFC 7692 §6)", h.Rsv)
	case h.Op.IsControl():
		return fmt.Sprintf("RSV1 set on a %v frame (RFC 7692 §6.1: control frames are never compressed)", h.Op)
	case h.Op == frame.OpContinuation:
		return "RSV1 set on a continuation frame (RFC 7692 §6.1: only the first frame of a compressed message has it)"
	}
	return ""
}

// inflate turns a compressed message, its frames' payloads joined, into an event: the message
// inflated, or the violation that prevents it.
func (rc *rawConn) inflate(op frame.Opcode, payload []byte, frames int) (ev event, ok bool) {
	// RFC 7692 §7.2.1 step 3 has the sender remove 00 00 ff ff. A sender that does not leaves
	// data that still inflates (two empty stored blocks instead of one), so a receiver that
	// merely inflates would not notice; but it is never what a correct sender sends: after
	// step 3 the last byte holds the header bits of an empty stored block and zero padding, so
	// its two top bits are clear, and 0xff cannot end the payload.
	if bytes.HasSuffix(payload, syncTail) {
		return event{kind: evViolation, what: fmt.Sprintf("a compressed %v message whose payload ends with 00 00 ff ff (RFC 7692 §7.2.1: the sender removes those 4 bytes)", op)}, false
	}
	data, refs, err := rc.deflate.pmd.in.message(payload)
	if err != nil {
		return event{kind: evViolation, what: fmt.Sprintf("a compressed %v message of %d bytes that does not inflate: %v", op, len(payload), err)}, false
	}
	return event{kind: evMessage, op: op, data: data, frames: frames, compressed: true, wire: len(payload), refs: refs}, true
}

// parseClose turns the payload of the peer's close frame into an event, or into a violation when
// the payload breaks §5.5.1 or §7.4.
func parseClose(p []byte) event {
	ev := event{kind: evClose, data: p}
	switch {
	case len(p) == 0:
		return ev
	case len(p) == 1:
		return event{kind: evViolation, what: "a close frame with a 1-byte body (§5.5.1)"}
	}
	ev.code = int(binary.BigEndian.Uint16(p))
	ev.reason = string(p[2:])
	if !validCloseCode(ev.code) {
		return event{kind: evViolation, what: fmt.Sprintf("close code %d, which may not be sent (§7.4)", ev.code)}
	}
	if !utf8.ValidString(ev.reason) {
		return event{kind: evViolation, what: "a close reason that is not valid UTF-8 (§5.5.1)"}
	}
	return ev
}

// validCloseCode reports whether an endpoint may put code in a close frame: the codes of §7.4.1
// other than 1004, 1005, 1006 and 1015, the ones registered with IANA since (1012–1014, §11.7),
// and 3000–4999 (§7.4.2).
func validCloseCode(code int) bool {
	switch {
	case code >= 1000 && code <= 1003, code >= 1007 && code <= 1014:
		return true
	case code >= 3000 && code <= 4999:
		return true
	}
	return false
}

// count adds a frame of opcode op to the statistics.
func (rc *rawConn) count(op frame.Opcode) {
	rc.mu.Lock()
	rc.received[op.String()]++
	rc.mu.Unlock()
}

// emit hands ev to the case, or drops it when the case is over.
func (rc *rawConn) emit(ev event) {
	select {
	case rc.events <- ev:
	case <-rc.done:
	}
}
