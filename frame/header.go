package frame

import (
	"bufio"
	"encoding/binary"
	"io"
	"math"
	"strconv"
)

// MaxHeaderSize is the largest size of a frame header in bytes: 2 fixed bytes,
// 8 bytes of extended payload length and a 4-byte masking key (§5.2).
const MaxHeaderSize = 14

// MaxControlPayload is the largest payload a control frame may carry.
// RFC 6455 §5.5: "All control frames MUST have a payload length of 125 bytes
// or less".
const MaxControlPayload = 125

// RSV bits as they sit in [Header.Rsv]. RFC 6455 §5.2 reserves them for
// extensions; permessage-deflate (RFC 7692), for example, uses RSV1.
const (
	Rsv1 uint8 = 0b100
	Rsv2 uint8 = 0b010
	Rsv3 uint8 = 0b001
)

// Bits and fields of the first two header bytes (§5.2).
const (
	finBit      = 0x80 // byte 0: FIN, the final fragment of a message
	rsvShift    = 4    // byte 0: RSV1..RSV3 are bits 6..4
	opcodeMask  = 0x0F // byte 0: opcode is the low nibble
	maskBit     = 0x80 // byte 1: MASK, a masking key follows the length
	length7Mask = 0x7F // byte 1: the 7-bit payload length

	// Values of the 7-bit length that announce an extended length (§5.2):
	// "If 126, the following 2 bytes interpreted as a 16-bit unsigned integer
	// are the payload length. If 127, the following 8 bytes interpreted as a
	// 64-bit unsigned integer (the most significant bit MUST be 0) are the
	// payload length."
	length16 = 126
	length64 = 127

	maxLength7  = 125    // largest length that fits in the 7-bit field
	maxLength16 = 0xFFFF // largest length that fits in the 16-bit field
)

// Header is a decoded frame header (RFC 6455 §5.2). It describes the payload
// that follows it on the wire but does not hold it.
type Header struct {
	Fin    bool    // this is the final fragment of a message (§5.4)
	Rsv    uint8   // the RSV1..RSV3 bits as Rsv1|Rsv2|Rsv3, 0 unless an extension uses them
	Op     Opcode  // how to interpret the payload
	Masked bool    // the payload is masked with Key (§5.3)
	Key    [4]byte // the masking key; zero when Masked is false
	Length int64   // payload length in bytes, 0 to 2^63-1
}

// HeaderSize returns how many bytes the header that starts with the bytes b0,
// b1 occupies: 2, 4 or 10 depending on the length encoding, plus 4 when the
// mask bit is set. b0 does not affect the size; it is a parameter so that a
// caller that has peeked two bytes can pass them both without thinking.
func HeaderSize(b0, b1 byte) int {
	_ = b0
	n := 2
	switch b1 & length7Mask {
	case length16:
		n += 2
	case length64:
		n += 8
	}
	if b1&maskBit != 0 {
		n += 4
	}
	return n
}

// ParseHeader decodes the header at the start of b. It returns the header
// and the number of bytes it took; the payload starts at b[n:].
//
// When b holds only part of a header, ParseHeader returns [ErrShortHeader]
// and n = 0, and the caller should read more. It rejects only what cannot
// be represented in a Header: a 64-bit length with the most significant bit
// set ([ErrLengthOverflow], §5.2). All other rules — reserved bits and
// opcodes, masking, control frames — are applied by [Header.Check], so that
// a tool may decode and show a frame that breaks them.
//
// ParseHeader accepts a length that was not encoded in the minimal number of
// bytes; a caller that wants to reject those can compare n with h.Size().
// It allocates nothing.
func ParseHeader(b []byte) (h Header, n int, err error) {
	if len(b) < 2 {
		return Header{}, 0, ErrShortHeader
	}
	n = HeaderSize(b[0], b[1])
	if len(b) < n {
		return Header{}, 0, ErrShortHeader
	}

	h.Fin = b[0]&finBit != 0
	h.Rsv = b[0] >> rsvShift & (Rsv1 | Rsv2 | Rsv3)
	h.Op = Opcode(b[0] & opcodeMask)
	h.Masked = b[1]&maskBit != 0

	keyAt := 2
	switch length7 := b[1] & length7Mask; length7 {
	case length16:
		h.Length = int64(binary.BigEndian.Uint16(b[2:4]))
		keyAt = 4
	case length64:
		length := binary.BigEndian.Uint64(b[2:10])
		// §5.2: the most significant bit MUST be 0. An int64 cannot hold
		// the value otherwise, and no peer can mean it.
		if length > math.MaxInt64 {
			return Header{}, 0, ErrLengthOverflow
		}
		h.Length = int64(length)
		keyAt = 10
	default:
		h.Length = int64(length7)
	}
	if h.Masked {
		copy(h.Key[:], b[keyAt:keyAt+4])
	}
	return h, n, nil
}

// ReadHeader reads one frame header from r and returns it.
//
// If r is a *bufio.Reader, ReadHeader peeks at the header, parses it in place
// and discards it, allocating nothing. Otherwise it reads exactly the bytes
// of the header, never more, so the payload stays in r.
//
// At a clean end of stream, before the first byte of a header, it returns
// io.EOF; if the stream ends inside a header it returns io.ErrUnexpectedEOF.
// On [ErrLengthOverflow] from a *bufio.Reader the header bytes are left
// unread; the connection is failing anyway.
func ReadHeader(r io.Reader) (Header, error) {
	if br, ok := r.(*bufio.Reader); ok {
		return readHeaderBuffered(br)
	}
	var buf [MaxHeaderSize]byte
	if _, err := io.ReadFull(r, buf[:2]); err != nil {
		return Header{}, err // io.EOF for 0 bytes, io.ErrUnexpectedEOF for 1
	}
	n := HeaderSize(buf[0], buf[1])
	if _, err := io.ReadFull(r, buf[2:n]); err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return Header{}, err
	}
	h, _, err := ParseHeader(buf[:n])
	return h, err
}

// readHeaderBuffered is ReadHeader for a *bufio.Reader. Its buffer holds at
// least 16 bytes, so a header of up to MaxHeaderSize bytes always fits.
func readHeaderBuffered(br *bufio.Reader) (Header, error) {
	b, err := br.Peek(2)
	if err != nil {
		return Header{}, shortReadError(len(b), err)
	}
	n := HeaderSize(b[0], b[1])
	b, err = br.Peek(n)
	if err != nil {
		return Header{}, shortReadError(len(b), err)
	}
	h, _, err := ParseHeader(b)
	if err != nil {
		return Header{}, err
	}
	// Cannot fail: the n bytes are buffered.
	_, _ = br.Discard(n)
	return h, nil
}

// shortReadError turns an io.EOF that came after some bytes of a header into
// io.ErrUnexpectedEOF, the way io.ReadFull does.
func shortReadError(got int, err error) error {
	if err == io.EOF && got > 0 {
		return io.ErrUnexpectedEOF
	}
	return err
}

// Size returns the number of bytes [AppendHeader] writes for h: 2, 4 or 10
// depending on h.Length, plus 4 when h.Masked.
func (h Header) Size() int {
	n := 2
	switch {
	case h.Length > maxLength16:
		n += 8
	case h.Length > maxLength7:
		n += 2
	}
	if h.Masked {
		n += 4
	}
	return n
}

// AppendHeader appends the wire form of h to dst and returns the extended
// slice. It always uses the shortest length encoding; RFC 6455 §5.2: "in all
// cases, the minimal number of bytes MUST be used to encode the length". It
// writes h.Key only when h.Masked is set. It allocates nothing when dst has
// room for h.Size() more bytes.
//
// AppendHeader panics if h cannot be encoded: a negative Length, Rsv above
// 0b111 or Op above 0xF. Those are bugs in the caller, not in what a peer
// sent.
func AppendHeader(dst []byte, h Header) []byte {
	if h.Length < 0 {
		panic("frame: AppendHeader: negative Length")
	}
	if h.Rsv > Rsv1|Rsv2|Rsv3 {
		panic("frame: AppendHeader: Rsv has bits other than Rsv1|Rsv2|Rsv3")
	}
	if h.Op > opcodeMask {
		panic("frame: AppendHeader: Op does not fit in 4 bits")
	}

	b0 := h.Rsv<<rsvShift | byte(h.Op)
	if h.Fin {
		b0 |= finBit
	}
	var b1 byte
	if h.Masked {
		b1 = maskBit
	}
	switch {
	case h.Length <= maxLength7:
		dst = append(dst, b0, b1|byte(h.Length))
	case h.Length <= maxLength16:
		dst = append(dst, b0, b1|length16)
		dst = binary.BigEndian.AppendUint16(dst, uint16(h.Length))
	default:
		dst = append(dst, b0, b1|length64)
		dst = binary.BigEndian.AppendUint64(dst, uint64(h.Length))
	}
	if h.Masked {
		dst = append(dst, h.Key[:]...)
	}
	return dst
}

// String returns a one-line description of h for traces and debugging, such
// as "text fin rsv=000 len=5 key=37fa213d" or "continuation rsv=100 len=70000".
// "fin" appears only when Fin is set and "key=" only when Masked is set.
func (h Header) String() string {
	b := make([]byte, 0, 64)
	b = append(b, h.Op.String()...)
	if h.Fin {
		b = append(b, " fin"...)
	}
	b = append(b, " rsv="...)
	for bit := Rsv1; bit != 0; bit >>= 1 {
		if h.Rsv&bit != 0 {
			b = append(b, '1')
		} else {
			b = append(b, '0')
		}
	}
	b = append(b, " len="...)
	b = strconv.AppendInt(b, h.Length, 10)
	if h.Masked {
		const hexDigits = "0123456789abcdef"
		b = append(b, " key="...)
		for _, k := range h.Key {
			b = append(b, hexDigits[k>>4], hexDigits[k&0x0F])
		}
	}
	return string(b)
}
