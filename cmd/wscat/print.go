package main

import (
	"fmt"
	"io"
	"maps"
	"net/http"
	"slices"
	"strings"
	"sync"

	"github.com/rfc6455/ws/frame"
)

// maxHexBytes is the largest binary message printed in full, as hex.
const maxHexBytes = 64

// printer writes whole lines to stdout. The reading goroutine, the writing
// goroutine and the trace hook (called from both) share it, so each line is
// written under a lock and lines never mix.
type printer struct {
	mu sync.Mutex
	w  io.Writer
}

func (p *printer) printf(format string, args ...any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	fmt.Fprintf(p.w, format, args...)
}

// message prints one message after prefix: text as it is, binary as
// "<binary N bytes>" followed by hex when it has at most maxHexBytes bytes.
func (p *printer) message(prefix string, op frame.Opcode, msg []byte) {
	switch {
	case op == frame.OpText:
		p.printf("%s%s\n", prefix, msg)
	case len(msg) == 0 || len(msg) > maxHexBytes:
		p.printf("%s<binary %d bytes>\n", prefix, len(msg))
	default:
		p.printf("%s<binary %d bytes> % x\n", prefix, len(msg), msg)
	}
}

// frame prints one frame header as it crosses the wire (§5.2): "->" for a
// frame this side sends, "<-" for one it receives. A client masks every
// frame it sends and the server none (§5.3), which the MASK field shows.
// It has the signature of conn.Conn.SetTrace's hook.
func (p *printer) frame(sent bool, h frame.Header) {
	dir := "<-"
	if sent {
		dir = "->"
	}
	key := ""
	if h.Masked {
		key = fmt.Sprintf(" key=%x", h.Key)
	}
	p.printf("%s FIN=%d RSV1=%d RSV2=%d RSV3=%d opcode=0x%x(%v) MASK=%d length=%d%s\n",
		dir, bit(h.Fin), bit(h.Rsv&frame.Rsv1 != 0), bit(h.Rsv&frame.Rsv2 != 0), bit(h.Rsv&frame.Rsv3 != 0),
		uint8(h.Op), h.Op, bit(h.Masked), h.Length, key)
}

// maxBodyBytes bounds how much of a failed handshake's response body is
// printed.
const maxBodyBytes = 1024

// response prints the server's handshake response (§4.2.2): status line
// and headers, sorted by name, and for a refusal the start of the body,
// which often says why.
func (p *printer) response(resp *http.Response) {
	p.mu.Lock()
	defer p.mu.Unlock()
	fmt.Fprintf(p.w, "<- %s %s\n", resp.Proto, resp.Status)
	for _, name := range slices.Sorted(maps.Keys(resp.Header)) {
		for _, value := range resp.Header[name] {
			fmt.Fprintf(p.w, "<- %s: %s\n", name, value)
		}
	}
	fmt.Fprintln(p.w, "<-")
	if resp.StatusCode == http.StatusSwitchingProtocols || resp.Body == nil {
		return
	}
	body, _ := io.ReadAll(io.LimitReader(resp.Body, maxBodyBytes))
	for line := range strings.Lines(string(body)) {
		fmt.Fprintf(p.w, "<- %s\n", strings.TrimRight(line, "\r\n"))
	}
}

func bit(b bool) int {
	if b {
		return 1
	}
	return 0
}
