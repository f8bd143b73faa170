package conn

import (
	"bytes"
	"compress/flate"
	"sync"

	"github.com/rfc6455/ws/frame"
)

// A PreparedMessage is one message to be sent to many connections: a chat line, a ticker's
// price, a game's state. Its frame is built once for each way the connections need it, and
// shared: on a server, where frames are not masked (RFC 6455 §5.1), each WritePrepared writes
// the same bytes, with no copy and no compression of its own; a message that connections send
// compressed (permessage-deflate, RFC 7692) is compressed once for all of them. A client masks
// every frame with a key of its own (§5.3), so there the payload, compressed or not, is shared
// and each connection masks a copy.
//
// A PreparedMessage is safe for concurrent use; its payload must not change after
// NewPreparedMessage.
type PreparedMessage struct {
	op      frame.Opcode
	payload []byte

	mu    sync.Mutex
	forms []preparedForm // the forms made so far; a handful at most
}

// preparedForm is the message as connections of one kind send it.
type preparedForm struct {
	server     bool
	compressed bool   // made for connections that compress it
	level      int    // the compress/flate level, when compressed
	deflated   bool   // payload is compressed: it shrank (RFC 7692 §6 lets it go plain otherwise)
	payload    []byte // what goes in the frame: the message, or its compressed form
	frame      []byte // on a server: the whole frame, header and payload
}

// NewPreparedMessage returns a PreparedMessage of type op (frame.OpText or frame.OpBinary) with
// payload p, which it keeps: the caller must not change p afterwards.
func NewPreparedMessage(op frame.Opcode, p []byte) (*PreparedMessage, error) {
	if op != frame.OpText && op != frame.OpBinary {
		return nil, errNotDataOpcode
	}
	return &PreparedMessage{op: op, payload: p}, nil
}

// form returns the form of the message for a connection of the given kind, making it on first
// use.
func (pm *PreparedMessage) form(server, compressed bool, level int) *preparedForm {
	pm.mu.Lock()
	defer pm.mu.Unlock()
	for i := range pm.forms {
		f := &pm.forms[i]
		if f.server == server && f.compressed == compressed && (!compressed || f.level == level) {
			return f
		}
	}
	f := preparedForm{server: server, compressed: compressed, level: level, payload: pm.payload}
	h := frame.Header{Fin: true, Op: pm.op}
	if compressed {
		// A fresh compressor: the message refers to nothing before it, so a peer may inflate it
		// whatever it kept of the connection's earlier messages (RFC 7692 §7.1.1).
		var out bytes.Buffer
		pool := &writerPools[level-flate.HuffmanOnly]
		fw := pool.get()
		if fw == nil {
			fw, _ = flate.NewWriter(&out, level) // the level was checked in Upgrade and Dial
		} else {
			fw.Reset(&out)
		}
		fw.Write(pm.payload)
		fw.Flush()
		pool.put(fw)
		// RFC 7692 §7.2.1: without the sync flush's tail. Sent only if that saves enough, as
		// WriteMessage decides (worthSending).
		if deflated := out.Bytes()[:out.Len()-len(syncTail)]; worthSending(len(deflated), len(pm.payload)) {
			f.payload, f.deflated = deflated, true
			h.Rsv = frame.Rsv1
		}
	}
	if server {
		h.Length = int64(len(f.payload))
		f.frame = append(frame.AppendHeader(make([]byte, 0, h.Size()+len(f.payload)), h), f.payload...)
	}
	pm.forms = append(pm.forms, f)
	return &pm.forms[len(pm.forms)-1]
}

// WritePrepared sends pm on c, as WriteMessage would send its payload: compressed when c
// compresses messages of its size and compression shrinks it, after the frames BufferMessage
// left waiting. Writing the
// same PreparedMessage to many connections frames (and compresses) it once.
func (c *Conn) WritePrepared(pm *PreparedMessage) error {
	c.messageMu.Lock()
	defer c.messageMu.Unlock()
	compressed, level := false, 0
	d := c.deflate
	if d != nil && d.writeEnabled && len(pm.payload) >= d.threshold {
		compressed, level = true, d.level
	}
	f := pm.form(c.server, compressed, level)
	c.lockWrite()
	defer c.unlockWrite()
	if err := c.writable(); err != nil {
		return err
	}
	if f.deflated && d.writer != nil {
		// With context takeover the peer adds this message to the window it keeps, which our
		// compressor never saw: it must not refer back past it, so it starts afresh.
		d.writer.Reset(&d.sink)
	}
	h := frame.Header{Fin: true, Op: pm.op, Length: int64(len(f.payload))}
	if f.deflated {
		h.Rsv = frame.Rsv1
	}
	if !c.server {
		// RFC 6455 §5.3: a fresh masking key for every frame, so each connection masks a copy.
		if c.appendFrame(h, f.payload) {
			return c.flushLocked()
		}
		return c.writeClientFrame(h, f.payload)
	}
	c.traceSent(h)
	switch {
	case c.pending == 0:
		return c.wrote(c.nc.Write(f.frame))
	case c.pending+len(f.frame) <= c.wbufSize:
		// A small message joins the frames waiting, in one write.
		c.pending += copy(c.wbuf[c.pending:], f.frame)
		return c.flushLocked()
	}
	c.vec = [2][]byte{c.wbuf[:c.pending], f.frame}
	c.buffers = c.vec[:]
	_, err := c.buffers.WriteTo(c.nc)
	c.vec = [2][]byte{}
	c.takePending()
	c.releaseWriteBuffer()
	return c.wrote(0, err)
}
