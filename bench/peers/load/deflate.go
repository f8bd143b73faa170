package load

import (
	"bytes"
	"compress/flate"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"

	"github.com/rfc6455/ws/handshake"
)

// Compression is what the generator offers in the opening handshake: nothing, or
// permessage-deflate (RFC 7692) in one of two modes.
//
// In both modes the client compresses each message on its own and says so with
// client_no_context_takeover (§7.1.1.2): its messages are compressed once per scenario, before
// the run, and cost nothing while it runs, so every server inflates the same bytes. Only the
// server's side differs between the modes: with Deflate it must compress each message on its
// own too; with DeflateTakeover it keeps its LZ77 window from message to message, and the
// client keeps the last 32 KiB of what it inflated to inflate the next message.
type Compression int

const (
	// NoCompression offers no extension.
	NoCompression Compression = iota

	// Deflate offers "permessage-deflate; server_no_context_takeover; client_no_context_takeover"
	// and requires the server to accept it (§7.1.1.1: by echoing server_no_context_takeover).
	Deflate

	// DeflateTakeover offers "permessage-deflate; client_no_context_takeover;
	// client_max_window_bits" (the bare parameter lets the server choose the client's window, as
	// browsers do) and requires the server to accept it without server_no_context_takeover: a
	// server that keeps its compression context. A client_max_window_bits=N in the response is
	// honoured: the client's messages then refer back at most 2^N bytes.
	DeflateTakeover
)

// String returns the name of c as wsload's flags spell it: "", "deflate" or "deflate-takeover".
func (c Compression) String() string {
	switch c {
	case Deflate:
		return "deflate"
	case DeflateTakeover:
		return "deflate-takeover"
	}
	return ""
}

// config is the client's side of the negotiation for c, for package handshake.
func (c Compression) config() handshake.DeflateConfig {
	if c == DeflateTakeover {
		return handshake.DeflateConfig{ClientNoContextTakeover: true, ClientMaxWindowBits: -1}
	}
	return handshake.DeflateConfig{ServerNoContextTakeover: true, ClientNoContextTakeover: true}
}

// Offer returns the Sec-WebSocket-Extensions value the client sends for c, "" for none.
func (c Compression) Offer() string {
	if c == NoCompression {
		return ""
	}
	return handshake.DeflateOffer(c.config()).String()
}

// ErrNotNegotiated reports a server that did not accept permessage-deflate as the mode requires.
var ErrNotNegotiated = errors.New("load: permessage-deflate not negotiated as expected")

// Accept checks a response that handshake.CheckResponse has passed (with "permessage-deflate" among
// the offered extensions) and returns the parameters in force: the server must have accepted
// permessage-deflate with parameters valid for the offer (handshake.AcceptDeflateResponse, RFC
// 7692 §7), and keep its context or not as c requires.
func (c Compression) Accept(resp *http.Response) (handshake.DeflateParams, error) {
	exts, err := handshake.ParseExtensions(resp.Header)
	if err != nil {
		return handshake.DeflateParams{}, err
	}
	for _, e := range exts {
		if e.Name != handshake.PermessageDeflate {
			continue
		}
		params, err := handshake.AcceptDeflateResponse(e, c.config())
		if err != nil {
			return params, err
		}
		if c == DeflateTakeover && params.ServerNoContextTakeover {
			return params, fmt.Errorf("%w: the server answered %q with server_no_context_takeover; %s needs a server that keeps its context",
				ErrNotNegotiated, e.String(), c)
		}
		return params, nil
	}
	return handshake.DeflateParams{}, fmt.Errorf("%w: the server did not accept %q", ErrNotNegotiated, c.Offer())
}

// maxWindow is deflate's largest LZ77 window, 2^15 bytes (RFC 1951 §2; RFC 7692 §7.1.2).
const maxWindow = 32 << 10

// deflateTail is appended to a compressed message before inflating it: RFC 7692 §7.2.2 has the
// receiver put back the 00 00 ff ff that the sender removed, and an empty final stored block
// after it lets compress/flate see the end of the stream.
var deflateTail = []byte{0x00, 0x00, 0xff, 0xff, 0x01, 0x00, 0x00, 0xff, 0xff}

// CompressMessage compresses one message payload as RFC 7692 §7.2.1 says a sender does: DEFLATE
// blocks ending with a sync flush, without the final 00 00 ff ff. Back-references reach at most
// 2^windowBits bytes (0 means 15, the most), the client_max_window_bits in force (§7.1.2.2).
// compress/flate always searches a 32 KiB window, so for a smaller one the payload is compressed
// in pieces of 2^windowBits bytes with the compressor reset between them: each piece refers only
// to itself. It compresses at flate.BestSpeed, the default level of every server measured.
func CompressMessage(p []byte, windowBits int) []byte {
	var mc Compressor
	return mc.Compress(p, windowBits)
}

// Compressor does what CompressMessage does, keeping its compress/flate Writer from one message
// to the next: making one costs about a megabyte. The zero value is ready to use.
type Compressor struct {
	buf bytes.Buffer
	fw  *flate.Writer
}

// Compress returns p compressed as CompressMessage does, in a new slice.
func (mc *Compressor) Compress(p []byte, windowBits int) []byte {
	out, _ := mc.compress(p, windowBits)
	return out
}

// compress is Compress; ends holds where in out each piece's output ends (before the final
// 00 00 ff ff is dropped), for the test that inflates the pieces one by one.
func (mc *Compressor) compress(p []byte, windowBits int) (out []byte, ends []int) {
	piece := len(p)
	if windowBits > 0 && windowBits < 15 {
		piece = 1 << windowBits
	}
	mc.buf.Reset()
	if mc.fw == nil {
		mc.fw, _ = flate.NewWriter(&mc.buf, flate.BestSpeed) // a valid level cannot fail
	} else {
		mc.fw.Reset(&mc.buf)
	}
	for first := true; first || len(p) > 0; first = false {
		n := min(len(p), piece)
		mc.fw.Write(p[:n]) // writes to a bytes.Buffer cannot fail
		mc.fw.Flush()      // a sync flush: byte-aligned, ends with 00 00 ff ff
		ends = append(ends, mc.buf.Len())
		p = p[n:]
		mc.fw.Reset(&mc.buf) // the next piece starts with an empty window
	}
	out = bytes.Clone(mc.buf.Bytes())
	return out[:len(out)-4], ends
}

// inflater is a decompressor with a buffer to inflate into, pooled per run: connections do not
// keep one between messages, so thousands of them cost little in the generator.
type inflater struct {
	fr  io.ReadCloser
	src bytes.Reader
	buf [32 << 10]byte
}

func newInflaterPool() *sync.Pool {
	return &sync.Pool{New: func() any { return &inflater{fr: flate.NewReader(nil)} }}
}

// clientDeflate is a connection's permessage-deflate state on the client.
type clientDeflate struct {
	params    handshake.DeflateParams
	inflaters *sync.Pool
	zbuf      []byte // the compressed payload of the message being read, across its frames
	window    []byte // with server context takeover: the last 32 KiB inflated (RFC 7692 §7.1.1)
}

// errInflate reports a compressed echo that is not valid DEFLATE data.
var errInflate = errors.New("load: compressed echo does not inflate")

// verify inflates the compressed message in z.zbuf and checks that it is exactly want. When
// the server keeps its context, the inflater starts from the server's window, which then moves
// on by want.
func (z *clientDeflate) verify(want []byte) error {
	takeover := !z.params.ServerNoContextTakeover
	z.zbuf = append(z.zbuf, deflateTail...)
	inf := z.inflaters.Get().(*inflater)
	defer z.inflaters.Put(inf)
	inf.src.Reset(z.zbuf)
	var dict []byte
	if takeover {
		dict = z.window
	}
	inf.fr.(flate.Resetter).Reset(&inf.src, dict)
	rest := want
	for {
		n, err := inf.fr.Read(inf.buf[:])
		if n > len(rest) {
			return fmt.Errorf("%w: it inflates to more than the %d bytes sent", errMismatch, len(want))
		}
		if i := mismatchAt(inf.buf[:n], rest); i >= 0 {
			at := len(want) - len(rest) + i
			return fmt.Errorf("%w: inflated byte %d is %#02x, want %#02x", errMismatch, at, inf.buf[i], want[at])
		}
		rest = rest[n:]
		if err == io.EOF {
			break
		}
		if err != nil {
			return fmt.Errorf("%w after %d of %d bytes: %v", errInflate, len(want)-len(rest), len(want), err)
		}
	}
	if len(rest) > 0 {
		return fmt.Errorf("%w: it inflates to %d bytes, %d sent", errMismatch, len(want)-len(rest), len(want))
	}
	// The stream ends either at our tail or, if the sender ended its data with a final block of
	// its own, right before it; anything else was not DEFLATE data of this message.
	if left := inf.src.Len(); left != 0 && left != len(deflateTail) {
		return fmt.Errorf("%w: its DEFLATE stream ends %d bytes before the end of the message (our 9-byte tail included)", errInflate, left)
	}
	if takeover {
		z.remember(want)
	}
	return nil
}

// remember keeps the last 32 KiB inflated, which the server's next message may refer back to.
func (z *clientDeflate) remember(p []byte) {
	if len(p) >= maxWindow {
		z.window = append(z.window[:0], p[len(p)-maxWindow:]...)
		return
	}
	if excess := len(z.window) + len(p) - maxWindow; excess > 0 {
		z.window = z.window[:copy(z.window, z.window[excess:])]
	}
	z.window = append(z.window, p...)
}
