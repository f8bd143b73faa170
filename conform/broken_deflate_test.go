package conform_test

// The compression families must be able to fail. brokenDeflateHandler is an echo server with
// permessage-deflate written by hand, with compress/flate and package frame, with one fault of the
// kind real implementations have had. Each test checks that exactly the cases the fault breaks are
// FAILED and that every other case is as against conn.Upgrade.

import (
	"bufio"
	"bytes"
	"compress/flate"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/rfc6455/ws/conform"
	"github.com/rfc6455/ws/frame"
	"github.com/rfc6455/ws/handshake"
	"github.com/rfc6455/ws/mask"
)

// deflateFault is what a broken compressing server does wrong.
type deflateFault int

const (
	// keepsTail leaves the 00 00 ff ff of the sync flush at the end of its compressed messages,
	// which RFC 7692 §7.2.1 has the sender remove. Receivers that merely inflate do not notice.
	keepsTail deflateFault = iota + 1
	// rsv1OnContinuation sends each compressed message in two frames, with RSV1 on both, which
	// RFC 7692 §6.1 forbids on all but the first.
	rsv1OnContinuation
	// ignoresNoContextTakeover agrees to server_no_context_takeover but keeps its compressor's
	// context from message to message anyway (RFC 7692 §7.1.1.1).
	ignoresNoContextTakeover
)

func (f deflateFault) String() string {
	return map[deflateFault]string{keepsTail: "keeps-00-00-ff-ff", rsv1OnContinuation: "rsv1-on-continuation", ignoresNoContextTakeover: "ignores-server_no_context_takeover"}[f]
}

// brokenDeflateHandler answers the opening handshake with handshake.NegotiateDeflate (accepting
// the first valid offer as it is) and echoes messages, compressing every one, with fault.
func brokenDeflateHandler(fault deflateFault) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if err := handshake.CheckRequest(r); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		offers, _ := handshake.ParseExtensions(r.Header)
		response, params, ok := handshake.NegotiateDeflate(offers, handshake.DeflateConfig{})
		answer := ""
		if ok {
			answer = handshake.FormatExtensions([]handshake.Extension{response})
		}
		nc, rw, err := http.NewResponseController(w).Hijack()
		if err != nil {
			return
		}
		defer nc.Close()
		if _, err := nc.Write(handshake.AppendResponse(nil, r.Header.Get("Sec-WebSocket-Key"), "", answer, nil)); err != nil {
			return
		}
		p := &brokenDeflatePeer{nc: nc, br: rw.Reader, fault: fault, on: ok, params: params}
		p.serve()
	}
}

// brokenDeflatePeer is one connection of brokenDeflateHandler.
type brokenDeflatePeer struct {
	nc     net.Conn
	br     *bufio.Reader
	fault  deflateFault
	on     bool // permessage-deflate was negotiated
	params handshake.DeflateParams

	window []byte // the client's last 32 KiB, when it keeps its context
	out    bytes.Buffer
	fw     *flate.Writer
}

// serve echoes messages until the close handshake or an error.
func (p *brokenDeflatePeer) serve() {
	var (
		op         frame.Opcode
		msg        []byte
		compressed bool
	)
	for {
		h, err := frame.ReadHeader(p.br)
		if err != nil || h.Length > 64<<20 {
			return
		}
		payload := make([]byte, h.Length)
		if _, err := io.ReadFull(p.br, payload); err != nil {
			return
		}
		if h.Masked {
			mask.Apply(h.Key, 0, payload)
		}
		switch h.Op {
		case frame.OpPing:
			p.write(frame.Header{Fin: true, Op: frame.OpPong}, payload)
			continue
		case frame.OpPong:
			continue
		case frame.OpClose:
			p.write(frame.Header{Fin: true, Op: frame.OpClose}, payload)
			return
		case frame.OpText, frame.OpBinary:
			op, msg, compressed = h.Op, payload, h.Rsv&frame.Rsv1 != 0
		default:
			msg = append(msg, payload...)
		}
		if !h.Fin {
			continue
		}
		if compressed {
			if msg, err = p.inflate(msg); err != nil {
				p.write(frame.Header{Fin: true, Op: frame.OpClose}, []byte{0x03, 0xef}) // 1007
				return
			}
		}
		if err := p.echo(op, msg); err != nil {
			return
		}
	}
}

// inflate inflates a message from the client (RFC 7692 §7.2.2), keeping its window when the
// client keeps its context.
func (p *brokenDeflatePeer) inflate(payload []byte) ([]byte, error) {
	in := append(append(payload, 0x00, 0x00, 0xff, 0xff), 0x01, 0x00, 0x00, 0xff, 0xff)
	var dict []byte
	if !p.params.ClientNoContextTakeover {
		dict = p.window
	}
	fr := flate.NewReaderDict(bytes.NewReader(in), dict)
	defer fr.Close()
	msg, err := io.ReadAll(fr)
	if err == nil && !p.params.ClientNoContextTakeover {
		p.window = append(p.window, msg...)
		p.window = p.window[max(0, len(p.window)-32<<10):]
	}
	return msg, err
}

// echo sends msg back compressed, with the fault.
func (p *brokenDeflatePeer) echo(op frame.Opcode, msg []byte) error {
	if !p.on {
		return p.write(frame.Header{Fin: true, Op: op}, msg)
	}
	level := flate.DefaultCompression
	if p.params.HuffmanOnly(true) {
		level = flate.HuffmanOnly
	}
	p.out.Reset()
	switch {
	case p.fw == nil:
		p.fw, _ = flate.NewWriter(&p.out, level)
	case p.params.ServerNoContextTakeover && p.fault != ignoresNoContextTakeover:
		p.fw.Reset(&p.out)
	}
	p.fw.Write(msg)
	p.fw.Flush()
	payload := p.out.Bytes()
	if p.fault != keepsTail {
		payload = payload[:len(payload)-4]
	}
	if p.fault == rsv1OnContinuation {
		half := len(payload) / 2
		if err := p.write(frame.Header{Rsv: frame.Rsv1, Op: op}, payload[:half]); err != nil {
			return err
		}
		return p.write(frame.Header{Fin: true, Rsv: frame.Rsv1, Op: frame.OpContinuation}, payload[half:])
	}
	return p.write(frame.Header{Fin: true, Rsv: frame.Rsv1, Op: op}, payload)
}

// write sends one unmasked frame.
func (p *brokenDeflatePeer) write(h frame.Header, payload []byte) error {
	h.Length = int64(len(payload))
	_, err := p.nc.Write(append(frame.AppendHeader(nil, h), payload...))
	return err
}

// inGroups returns a predicate that is true of the results of cases in the given groups.
func inGroups(groups ...string) func(conform.Result) bool {
	return func(r conform.Result) bool {
		for _, g := range groups {
			if strings.HasPrefix(r.ID, g+".") {
				return true
			}
		}
		return false
	}
}

func everyCase(conform.Result) bool { return true }

func TestBrokenServerKeepsTail(t *testing.T) {
	t.Parallel()
	startRuns()
	compareBroken(t, runs.deflateServer.wait(t), runs.keepsTail.wait(t), deflateCrossSection(), everyCase)
	requireObserved(t, runs.keepsTail.wait(t), "ends with 00 00 ff ff (RFC 7692 §7.2.1")
}

func TestBrokenServerRsv1OnContinuation(t *testing.T) {
	t.Parallel()
	startRuns()
	compareBroken(t, runs.deflateServer.wait(t), runs.rsv1OnContinuation.wait(t), deflateCrossSection(), everyCase)
	requireObserved(t, runs.rsv1OnContinuation.wait(t), "RSV1 set on a continuation frame (RFC 7692 §6.1")
}

// TestBrokenServerIgnoresNoContextTakeover: the fault shows where the server agreed to
// server_no_context_takeover and compresses with back-references, which it does not in a window
// smaller than 32 KiB (13.5, 13.7 with its first offer, 13.9, 13.12: flate.HuffmanOnly).
func TestBrokenServerIgnoresNoContextTakeover(t *testing.T) {
	t.Parallel()
	startRuns()
	compareBroken(t, runs.deflateServer.wait(t), runs.ignoresNoContextTakeover.wait(t), deflateCrossSection(), inGroups("13.2", "13.6"))
	requireObserved(t, runs.ignoresNoContextTakeover.wait(t), "though server_no_context_takeover was agreed (RFC 7692 §7.1.1)")
}

// requireObserved checks that every FAILED case of report says why with want.
func requireObserved(t *testing.T, report *conform.Report, want string) {
	t.Helper()
	for _, r := range report.Results {
		if r.Verdict == conform.Failed && !strings.Contains(r.Observed, want) {
			t.Errorf("case %s: FAILED for another reason than %q: %s", r.ID, want, r.Observed)
		}
	}
}
