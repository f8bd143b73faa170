package conn

import (
	"bytes"
	"compress/flate"
	"errors"
	"fmt"
	"io"
	"runtime"
	"sync"

	"github.com/rfc6455/ws/frame"
	"github.com/rfc6455/ws/handshake"
)

// CompressionOptions enable permessage-deflate (RFC 7692) on a connection, when the peer agrees.
// A nil *CompressionOptions leaves compression off: extension offers are declined, and a frame
// with RSV1 set fails the connection (RFC 6455 §5.2).
type CompressionOptions struct {
	// Level is the compress/flate level for messages this side sends; 0 means flate.BestSpeed.
	Level int

	// Threshold is the size under which WriteMessage sends a message uncompressed; 0 means 128
	// bytes, a negative value compresses everything. Deflate cannot shrink tiny messages, and
	// compressing them costs time. Above it, WriteMessage also sends uncompressed a message
	// that compression would not shrink by 3 % and by 32 bytes, and, after one, the next few messages of its
	// opcode without trying (1, then twice as many after each failed trial, up to 64), so
	// that a stream of incompressible data (media, encrypted or compressed bytes) costs
	// almost no compression time; a negative Threshold turns that off too. Messages written
	// with NextWriter are always compressed.
	Threshold int

	// ContextTakeover lets this side's compressor keep its LZ77 window from one message to the
	// next (RFC 7692 §7.1.1), which compresses small, similar messages far better, but holds a
	// compressor for the connection's life: about 1.2 MiB with compress/flate, whatever the
	// level. Off by default: this side then declares its own no_context_takeover (a server in
	// its response, a client in its offer) and takes a compressor from a pool for each message,
	// so a connection holds none between messages.
	ContextTakeover bool

	// PeerNoContextTakeover asks the peer to compress each message on its own as well, so that
	// this side need not keep the peer's 32 KiB window and a decompressor between messages.
	PeerNoContextTakeover bool

	// ServerMaxWindowBits and ClientMaxWindowBits (8–15; 0 means unset) limit the LZ77 window of
	// the server's, or the client's, compressor (RFC 7692 §7.1.2). A client puts them in its offer;
	// a ClientMaxWindowBits of 0 (or -1) offers client_max_window_bits without a value, as
	// browsers do: the server may then choose a smaller window for the client (§7.1.2.2), which
	// costs the client nothing (it compresses Huffman-only for a window under 15 bits) and lets a
	// server that keeps the client's window keep less. A server uses ClientMaxWindowBits to ask
	// the client for a smaller window when its offer lets it. Peers built on zlib (Python's
	// websockets among them) cannot compress with an 8-bit window and fail the connection when
	// asked to: ask for 9 or more.
	ServerMaxWindowBits int
	ClientMaxWindowBits int

	// ExactOffer makes a client offer only the parameters set here: a ClientMaxWindowBits of 0
	// then leaves client_max_window_bits out of the offer, and the server cannot choose the
	// client's window. For servers that refuse the parameter; a server ignores ExactOffer.
	ExactOffer bool

	// InflateBudget bounds the memory that ReadMessage grows for compressed messages across the
	// Conns that share it (see InflateBudget). nil means a budget of DefaultInflateBudget shared
	// by every Conn of the process that names none.
	InflateBudget *InflateBudget
}

// check refuses options that compress/flate would refuse later.
func (o *CompressionOptions) check() error {
	if o.Level < flate.HuffmanOnly || o.Level > flate.BestCompression {
		return fmt.Errorf("conn: compression level %d is not a compress/flate level", o.Level)
	}
	return nil
}

// config turns the options of a server (or a client) into what package handshake negotiates.
func (o *CompressionOptions) config(server bool) handshake.DeflateConfig {
	cfg := handshake.DeflateConfig{
		ServerMaxWindowBits: o.ServerMaxWindowBits,
		ClientMaxWindowBits: o.ClientMaxWindowBits,
	}
	if server {
		cfg.ServerNoContextTakeover, cfg.ClientNoContextTakeover = !o.ContextTakeover, o.PeerNoContextTakeover
	} else {
		cfg.ClientNoContextTakeover, cfg.ServerNoContextTakeover = !o.ContextTakeover, o.PeerNoContextTakeover
		if cfg.ClientMaxWindowBits == 0 && !o.ExactOffer {
			// RFC 7692 §7.1.2.2: a bare client_max_window_bits says the client can honour
			// whatever window the server chooses. One offer, as browsers send: a fallback
			// offer without the parameters set here would let a server ignore a bound
			// (PeerNoContextTakeover, ServerMaxWindowBits) the user set for memory's sake.
			cfg.ClientMaxWindowBits = -1
		}
	}
	return cfg
}

const defaultCompressionThreshold = 128

// maxWindow is the largest LZ77 window of deflate, 2^15 bytes (RFC 1951 §2).
const maxWindow = 32 << 10

// deflateTail ends every compressed message on the read side. RFC 7692 §7.2.2: the sender
// removed the 4 bytes 00 00 ff ff of the empty stored block that ends a sync flush, and the
// receiver appends them again. After them comes an empty final stored block (BFINAL set), so
// that the decompressor sees the end of a DEFLATE stream and reports io.EOF.
var deflateTail = append(append([]byte(nil), syncTail...), 0x01, 0x00, 0x00, 0xff, 0xff)

// syncTail is the empty stored block that ends the output of a sync flush, which a sender
// removes from every compressed message (RFC 7692 §7.2.1).
var syncTail = []byte{0x00, 0x00, 0xff, 0xff}

// errBadDeflate fails the connection when a compressed message cannot be inflated: what arrived
// is not a message of its type, which RFC 6455 §7.4.1 gives 1007 for.
var errBadDeflate = &frame.ProtocolError{Code: frame.CloseInvalidPayload, Reason: "invalid compressed data"}

// errRsv1Misplaced fails the connection on RSV1 where RFC 7692 §6.1 forbids it: on a control
// frame or on a continuation frame.
var errRsv1Misplaced = &frame.ProtocolError{Code: frame.CloseProtocolError, Reason: "RSV1 set on a control or continuation frame"}

// Compressors and decompressors are pooled when no state has to survive between messages.
// Pools are the one package-level state here: like fmt's printer pool, they hold only free
// objects, never anything of a connection.
var (
	writerPools [flate.BestCompression - flate.HuffmanOnly + 1]writerPool // by level
	readerPool  sync.Pool
)

// writerPool is a free list of compressors of one level. Unlike a sync.Pool, which keeps as
// many as were ever in use at once until two garbage collections have passed (minutes, in an
// idle process), it keeps at most maxPooledWriters: a compressor is 1.2 MiB, and after a burst
// of a thousand connections compressing at once the process must shrink back. Compressing a
// whole message takes a compressor for CPU time only, so a few per core serve any load.
type writerPool struct {
	mu   sync.Mutex
	free []*flate.Writer
}

// maxPooledWriters bounds each writerPool: two per core, at least four. More would be kept to no
// purpose, and would cost more than their own size: the Go runtime sizes the heap it keeps
// from the OS to twice what is live, pooled compressors included.
var maxPooledWriters = max(4, 2*runtime.GOMAXPROCS(0))

func (p *writerPool) get() *flate.Writer {
	p.mu.Lock()
	defer p.mu.Unlock()
	if n := len(p.free); n > 0 {
		fw := p.free[n-1]
		p.free[n-1] = nil
		p.free = p.free[:n-1]
		return fw
	}
	return nil
}

func (p *writerPool) put(fw *flate.Writer) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.free) < maxPooledWriters {
		p.free = append(p.free, fw)
	}
}

// deflate is a connection's permessage-deflate state.
type deflate struct {
	level        int
	threshold    int
	writeEnabled bool // SetWriteCompression

	// Write side: writeTakeover keeps one compressor for the connection's life (RFC 7692
	// §7.1.1: the default, "context takeover"); otherwise one comes from a pool per message.
	writeTakeover bool
	writer        *flate.Writer
	sink          redirect     // where the compressor's output goes for the current message
	out           bytes.Buffer // one compressed message, for WriteMessage

	// Data that does not compress (media, encrypted or already compressed bytes) is sent as it
	// is: RFC 7692 §6 leaves each message's compression to its sender (RSV1 set or not). After
	// a message of one opcode did not shrink, the next skip[op] of that opcode are sent
	// uncompressed without trying, and each trial that fails again doubles the run, up to
	// maxSkip; one that shrinks ends it. Indexed by dataIndex (text, binary).
	skip, skipRun [2]int

	// Read side: with readTakeover the peer's messages share one LZ77 window, so the last 32 KiB
	// inflated are kept and handed to the decompressor as its dictionary at each message.
	readTakeover bool
	reader       io.ReadCloser
	window       []byte
	wire         wireReader
	inflated     int64 // bytes inflated of the current message, for the read limit
	budget       *InflateBudget
}

// newDeflate returns the state for negotiated parameters, on the server or the client side.
func newDeflate(c *Conn, params handshake.DeflateParams, opts *CompressionOptions) *deflate {
	d := &deflate{level: opts.Level, threshold: opts.Threshold, writeEnabled: true, budget: opts.InflateBudget}
	if d.budget == nil {
		d.budget = defaultInflateBudget
	}
	if d.level == 0 {
		d.level = flate.BestSpeed
	}
	if d.threshold == 0 {
		d.threshold = defaultCompressionThreshold
	}
	if params.HuffmanOnly(c.server) {
		// compress/flate always uses a 32 KiB window. Output without back-references (Huffman
		// coding only) can be inflated with any window, so it honours a smaller one (§7.1.2).
		d.level = flate.HuffmanOnly
	}
	d.writeTakeover = !params.NoContextTakeover(c.server)
	d.readTakeover = !params.NoContextTakeover(!c.server)
	d.wire.c = c
	return d
}

// SetWriteCompression turns compression of the messages this side sends on or off, when
// permessage-deflate was negotiated; it is on by default. It applies to messages started after
// the call, so with several writing goroutines set it before they start. Turn it off for data
// that does not compress, such as already compressed media.
func (c *Conn) SetWriteCompression(enabled bool) {
	c.messageMu.Lock()
	defer c.messageMu.Unlock()
	if c.deflate != nil {
		c.deflate.writeEnabled = enabled
	}
}

// Compressed reports whether permessage-deflate was negotiated for this connection.
func (c *Conn) Compressed() bool { return c.deflate != nil }

// getWriter returns a compressor whose output goes to w. A compressor that keeps its context
// lives as long as the connection, so it writes through d.sink, which is pointed at each
// message's destination in turn.
func (d *deflate) getWriter(w io.Writer) *flate.Writer {
	d.sink.w = w
	if d.writeTakeover {
		if d.writer == nil {
			d.writer, _ = flate.NewWriter(&d.sink, d.level) // the level was checked in Upgrade and Dial
		}
		return d.writer
	}
	if fw := writerPools[d.level-flate.HuffmanOnly].get(); fw != nil {
		fw.Reset(&d.sink)
		return fw
	}
	fw, _ := flate.NewWriter(&d.sink, d.level)
	return fw
}

// redirect is an io.Writer that writes to whatever w currently is.
type redirect struct{ w io.Writer }

func (r *redirect) Write(p []byte) (int, error) { return r.w.Write(p) }

// putWriter gives back a compressor after a message. One that keeps its context stays, pointed
// at nothing of the message's.
func (d *deflate) putWriter(fw *flate.Writer) {
	d.sink.w = nil
	if d.writeTakeover {
		return
	}
	writerPools[d.level-flate.HuffmanOnly].put(fw)
}

// maxKeptOut is the largest compressed-message buffer a connection keeps between messages: a
// buffer grown for one large message is let go of, so that it is not held for the connection's
// life.
const maxKeptOut = 64 << 10

// compress deflates p into d.out and returns the message payload: the output of a sync flush
// without its final 00 00 ff ff (RFC 7692 §7.2.1).
func (d *deflate) compress(p []byte) []byte {
	d.out.Reset()
	fw := d.getWriter(&d.out)
	fw.Write(p) // writes to a bytes.Buffer cannot fail
	fw.Flush()
	d.putWriter(fw)
	out := d.out.Bytes()
	if d.out.Cap() > maxKeptOut {
		// The caller's slice keeps the buffer alive until the frame has left; after that it
		// is garbage, not this connection's.
		d.out = bytes.Buffer{}
	}
	return out[:len(out)-len(syncTail)]
}

// maxSkip is the longest run of messages of one opcode sent uncompressed without a trial: a
// connection whose data turns compressible again finds out within this many messages.
const maxSkip = 64

// dataIndex is the index of a data opcode in deflate.skip: 0 for text, 1 for binary.
func dataIndex(op frame.Opcode) int {
	if op == frame.OpText {
		return 0
	}
	return 1
}

// worthTrying reports whether a message of op should be compressed, counting down a run of
// skipped ones.
func (d *deflate) worthTrying(op frame.Opcode) bool {
	if d.threshold < 0 {
		return true // CompressionOptions.Threshold < 0: compress every message
	}
	i := dataIndex(op)
	if d.skip[i] > 0 {
		d.skip[i]--
		return false
	}
	return true
}

// minSaving is the fewest bytes compression must take off a message for it to go compressed.
// Below it a small message would save less than the TCP and IP headers of the packet that
// carries it, and cost both ends a compressor's and a decompressor's time: the 128-byte texts
// of the bench/peers matrix shrink by 13 bytes without context, and sending them plain (after
// the trials that find that out) doubles the echoes per second. Small messages that compress
// well (repetitive, or with the context of earlier ones kept) save far more and go compressed.
const minSaving = 32

// worthSending reports whether a message of n bytes that compressed into compressed bytes
// should go so: it saved 3 % of it, and minSaving bytes.
func worthSending(compressed, n int) bool {
	return compressed+max(n/32, minSaving) < n
}

// shrank reports whether compressing a message of n bytes into compressed bytes saved enough
// to send it so (worthSending), and sets the run of messages of op to send without a trial. A
// compressor that keeps its context has taken in a message that is now sent as it is, which
// the peer's decompressor never sees (§7.2.3.2 has both windows hold the same bytes): it
// starts afresh, so that no later message refers to it.
func (d *deflate) shrank(op frame.Opcode, compressed, n int) bool {
	i := dataIndex(op)
	if worthSending(compressed, n) || d.threshold < 0 {
		d.skipRun[i] = 0
		return true
	}
	d.skipRun[i] = min(max(1, 2*d.skipRun[i]), maxSkip)
	d.skip[i] = d.skipRun[i]
	if d.writeTakeover && d.writer != nil {
		d.writer.Reset(&d.sink)
	}
	return false
}

// startReading prepares the decompressor for a new compressed message.
func (d *deflate) startReading() {
	d.wire.tail = 0
	d.inflated = 0
	var dict []byte
	if d.readTakeover {
		dict = d.window
	}
	if d.reader == nil {
		if r, ok := readerPool.Get().(io.ReadCloser); ok {
			d.reader = r
		} else {
			d.reader = flate.NewReader(nil)
		}
	}
	d.reader.(flate.Resetter).Reset(&d.wire, dict)
}

// finishReading ends a compressed message: without context takeover the decompressor goes back
// to the pool, so an idle connection holds none.
func (d *deflate) finishReading() {
	if !d.readTakeover && d.reader != nil {
		readerPool.Put(d.reader)
		d.reader = nil
	}
}

// remember keeps the last 32 KiB of what was inflated: the window the peer's next message may
// refer back to when it keeps its context (RFC 7692 §7.1.1).
func (d *deflate) remember(p []byte) {
	if !d.readTakeover {
		return
	}
	if len(p) >= maxWindow {
		d.window = append(d.window[:0], p[len(p)-maxWindow:]...)
		return
	}
	if excess := len(d.window) + len(p) - maxWindow; excess > 0 {
		d.window = d.window[:copy(d.window, d.window[excess:])]
	}
	d.window = append(d.window, p...)
}

// readInflated reads inflated bytes of the current compressed message into p, checking the read
// limit on the inflated size (a small frame may inflate to gigabytes: §10.4 and RFC 7692 §8) and
// the text as it goes. It returns io.EOF at the end of the message.
func (c *Conn) readInflated(p []byte) (int, error) {
	d := c.deflate
	if c.readLimit >= 0 && int64(len(p)) > c.readLimit-d.inflated+1 {
		// Never inflate more than one byte past the limit, whatever p's size.
		p = p[:c.readLimit-d.inflated+1]
	}
	n, err := d.reader.Read(p)
	if n > 0 {
		d.inflated += int64(n)
		if c.readLimit >= 0 && d.inflated > c.readLimit {
			return 0, c.fail(ErrReadLimit)
		}
		if c.messageOp == frame.OpText {
			if verr := c.text.Write(p[:n]); verr != nil {
				return n, c.fail(verr)
			}
		}
		d.remember(p[:n])
	}
	switch {
	case err == io.EOF:
		// The decompressor saw the final block; what is left of the message on the wire (a
		// sender that ended its data with a final block of its own leaves our tail unread)
		// is read and dropped, so that the next frame starts where it should.
		if _, derr := io.Copy(io.Discard, &d.wire); derr != nil {
			return n, derr
		}
		d.finishReading()
		if eerr := c.endMessage(); eerr != nil {
			return n, eerr
		}
		return n, io.EOF
	case err != nil:
		if c.readErr != nil {
			return n, c.readErr // the wire failed under the decompressor
		}
		return n, c.fail(errBadDeflate)
	}
	return n, nil
}

// wireReader gives the decompressor the payload of the current compressed message across its
// frames (handling control frames between them), unmasked, followed by deflateTail, then io.EOF.
// It implements io.ByteReader so that compress/flate reads exactly what it needs and wraps it in
// no buffer of its own.
type wireReader struct {
	c    *Conn
	tail int // bytes of deflateTail already given
}

// next makes sure a payload byte is ready; done reports the end of the wire data.
func (w *wireReader) next() (done bool, err error) {
	c := w.c
	for c.frameLeft == 0 {
		if c.frameFin {
			return true, nil
		}
		if err := c.nextDataFrame(); err != nil {
			return false, err
		}
	}
	return false, nil
}

func (w *wireReader) Read(p []byte) (int, error) {
	done, err := w.next()
	if err != nil {
		return 0, err
	}
	if done {
		if w.tail == len(deflateTail) {
			return 0, io.EOF
		}
		n := copy(p, deflateTail[w.tail:])
		w.tail += n
		return n, nil
	}
	return w.c.readPayload(p)
}

func (w *wireReader) ReadByte() (byte, error) {
	done, err := w.next()
	if err != nil {
		return 0, err
	}
	if done {
		if w.tail == len(deflateTail) {
			return 0, io.EOF
		}
		w.tail++
		return deflateTail[w.tail-1], nil
	}
	c := w.c
	c.flushBeforeBlocking(1)
	b, err := c.br.ReadByte()
	if err != nil {
		return 0, c.transportError(err)
	}
	c.frameLeft--
	if c.frameMasked {
		b ^= c.frameKey[c.keyPos]
		c.keyPos = (c.keyPos + 1) & 3
	}
	return b, nil
}

// compressedSink receives a streamed message's compressed output and sends it as fragments,
// holding back the last 4 bytes, which are dropped when the message ends (RFC 7692 §7.2.1).
type compressedSink struct{ w *messageWriter }

func (s compressedSink) Write(p []byte) (int, error) { return s.w.buffer(p, len(syncTail)) }

var errNoSyncTail = errors.New("conn: compressor output does not end with a sync flush")
