package echoservers

import (
	"bufio"
	"io"
	"net"
	"unicode/utf8"

	"github.com/gobwas/ws"
)

// gobwasConn is the state of one connection of the gobwas echo, written with gobwas/ws's low-level
// API as its README shows (ws.Upgrade on the net.Conn, ws.ReadHeader, ws.Cipher, ws.WriteHeader),
// with what an efficient program adds: a 4 KiB read buffer, the allocation-free *Buffer variants
// of the header functions, one reused message buffer, and one write per frame.
//
// The low-level API leaves the protocol's rules to the program, so this one applies them:
// ws.CheckHeader for the per-frame rules (§5.2 reserved bits and opcodes, §5.1 masking, §5.4
// fragmentation, §5.5 control frames), a read limit (§10.4), pongs (§5.5.3), UTF-8 on text (§8.1)
// with utf8.Valid, and the close handshake with ws.CheckCloseFrameData (§5.5.1, §7.4).
type gobwasConn struct {
	c      net.Conn
	br     *bufio.Reader
	hdr    [ws.MaxHeaderSize]byte // ReadHeaderBuffer's scratch
	ctrl   [ws.MaxHeaderSize + ws.MaxControlFramePayloadSize]byte
	msg    []byte // headroom bytes, then the message being assembled
	op     ws.OpCode
	header headerSlot // writes a header into the headroom before msg's payload
}

// headroom is the space kept before a message's payload so that the reply's header can be put in
// front of it and header and payload leave in one write.
const headroom = ws.MaxHeaderSize

// headerSlot is an io.Writer over a fixed slice, for ws.WriteHeaderBuffer.
type headerSlot struct{ dst []byte }

func (s *headerSlot) Write(p []byte) (int, error) { return copy(s.dst, p), nil }

func serveGobwas(c net.Conn) {
	defer c.Close()
	g, err := upgradeGobwas(c)
	if err != nil {
		return // Upgrade has written the HTTP error
	}
	code := g.echo()
	if code != 0 {
		g.writeClose(code, "")
	}
}

// echo runs until the connection ends. It returns the close code to fail the connection with, or
// 0 when there is nothing more to send.
// upgradeGobwas answers the handshake on c and makes the state the echo server keeps per
// connection: what it takes, with gobwas at its low level, to have a connection ready to read.
func upgradeGobwas(c net.Conn) (*gobwasConn, error) {
	if _, err := ws.Upgrade(c); err != nil {
		return nil, err
	}
	return &gobwasConn{c: c, br: bufio.NewReaderSize(c, 4096)}, nil
}

// UpgradeGobwasConn is the gobwas echo server's handshake and per-connection setup, up to the
// point where it could read its first frame; it returns that state, for BenchmarkUpgrade to
// compare with upgrades that return a connection object (conn.UpgradeConn's *Conn).
func UpgradeGobwasConn(c net.Conn) (any, error) { return upgradeGobwas(c) }

func (g *gobwasConn) echo() ws.StatusCode {
	state := ws.StateServerSide
	for {
		h, err := ws.ReadHeaderBuffer(g.br, g.hdr[:])
		if err != nil {
			return 0
		}
		if err := ws.CheckHeader(h, state); err != nil {
			return ws.StatusProtocolError
		}
		if h.OpCode.IsControl() {
			code, done := g.control(h)
			if done {
				return code
			}
			continue
		}
		if h.OpCode != ws.OpContinuation {
			g.op = h.OpCode
			if cap(g.msg) < headroom {
				g.msg = make([]byte, headroom) // grown below, once the length passed the limit
			}
			g.msg = g.msg[:headroom]
		}
		have := len(g.msg) - headroom
		if h.Length > int64(ReadLimit-have) {
			return ws.StatusMessageTooBig
		}
		n := int(h.Length)
		if cap(g.msg)-len(g.msg) < n {
			grown := make([]byte, len(g.msg), len(g.msg)+n)
			copy(grown, g.msg)
			g.msg = grown
		}
		payload := g.msg[len(g.msg) : len(g.msg)+n]
		if _, err := io.ReadFull(g.br, payload); err != nil {
			return 0
		}
		ws.Cipher(payload, h.Mask, 0)
		g.msg = g.msg[:len(g.msg)+n]
		if !h.Fin {
			state = state.Set(ws.StateFragmented)
			continue
		}
		state = state.Clear(ws.StateFragmented)
		if g.op == ws.OpText && !utf8.Valid(g.msg[headroom:]) {
			return ws.StatusInvalidFramePayloadData
		}
		if err := g.writeMessage(); err != nil {
			return 0
		}
	}
}

// writeMessage sends the assembled message as one frame: the header goes into the headroom right
// before the payload.
func (g *gobwasConn) writeMessage() error {
	h := ws.Header{Fin: true, OpCode: g.op, Length: int64(len(g.msg) - headroom)}
	start := headroom - ws.HeaderSize(h)
	g.header.dst = g.msg[start:headroom]
	if err := ws.WriteHeaderBuffer(&g.header, h, g.hdr[:]); err != nil {
		return err
	}
	_, err := g.c.Write(g.msg[start:])
	return err
}

// control handles a ping, pong or close frame. done reports that the connection is over, with the
// close code still to send (0: none).
func (g *gobwasConn) control(h ws.Header) (code ws.StatusCode, done bool) {
	payload := g.ctrl[ws.MaxHeaderSize : ws.MaxHeaderSize+int(h.Length)]
	if _, err := io.ReadFull(g.br, payload); err != nil {
		return 0, true
	}
	ws.Cipher(payload, h.Mask, 0)
	switch h.OpCode {
	case ws.OpPing:
		return 0, g.writeControl(ws.OpPong, payload) != nil
	case ws.OpPong:
		return 0, false
	}
	// A close frame: echo its code (§5.5.1, §7.1.5), or fail with 1002 on a bad one.
	if len(payload) == 0 {
		g.writeClose(0, "")
		return 0, true
	}
	code, reason := ws.ParseCloseFrameDataUnsafe(payload)
	if len(payload) < 2 || ws.CheckCloseFrameData(code, reason) != nil {
		return ws.StatusProtocolError, true
	}
	g.writeClose(code, "")
	return 0, true
}

// writeControl sends a control frame whose payload is already in g.ctrl after the header room.
func (g *gobwasConn) writeControl(op ws.OpCode, payload []byte) error {
	h := ws.Header{Fin: true, OpCode: op, Length: int64(len(payload))}
	start := ws.MaxHeaderSize - ws.HeaderSize(h)
	g.header.dst = g.ctrl[start:ws.MaxHeaderSize]
	if err := ws.WriteHeaderBuffer(&g.header, h, g.hdr[:]); err != nil {
		return err
	}
	_, err := g.c.Write(g.ctrl[start : ws.MaxHeaderSize+len(payload)])
	return err
}

// writeClose sends a close frame with code (none for 0) and reason.
func (g *gobwasConn) writeClose(code ws.StatusCode, reason string) {
	var body []byte
	if code != 0 {
		body = g.ctrl[ws.MaxHeaderSize : ws.MaxHeaderSize+2+len(reason)]
		ws.PutCloseFrameBody(body, code, reason)
	}
	g.writeControl(ws.OpClose, body)
}
