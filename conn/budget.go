package conn

import (
	"sync/atomic"

	"github.com/rfc6455/ws/frame"
)

// DefaultCompressedReadLimit is the read limit of a Conn that negotiated permessage-deflate,
// unless its options set one. The limit counts inflated bytes, and deflate inflates up to about
// 1 000 times: at DefaultReadLimit, a peer could make each connection hold 32 MiB for 32 KiB
// sent. 4 MiB keeps what a peer gets for nothing small, while leaving room for the messages
// compression is used for (Python's websockets defaults to 1 MiB, gws to 16 MiB). RFC 7692 §8
// and RFC 6455 §10.4 leave the figure to the implementation.
const DefaultCompressedReadLimit = 4 << 20

// DefaultInflateBudget is the limit of the budget that Conns share when their
// CompressionOptions name none: 128 MiB, room for 32 messages at DefaultCompressedReadLimit
// being inflated at once, on any machine that runs a Go server.
const DefaultInflateBudget = 128 << 20

// ErrInflateBudget is the error of ReadMessage when inflating the message would take the
// connections' shared InflateBudget past its limit. The Conn has failed the connection with
// close code 1013 (Try Again Later, registered with IANA under §11.7): the message is not
// too big for the connection, the process is busy with others.
var ErrInflateBudget = &frame.ProtocolError{Code: frame.CloseTryAgainLater, Reason: "compressed messages use all memory set aside for them"}

// An InflateBudget bounds the memory that ReadMessage grows, across every Conn that shares it,
// for compressed messages while it inflates them. A message compressed 1 000 to 1 costs its
// sender almost nothing, so without a shared bound many connections could each make the
// process hold their read limit at once. A message whose growth would take the budget past
// its limit fails its connection with ErrInflateBudget; the memory is given back to the budget
// when ReadMessage returns, the message being then the caller's.
//
// NextReader needs no budget: it inflates into the caller's buffer, a piece at a time.
// The zero InflateBudget has no room at all; use NewInflateBudget. An InflateBudget is safe for
// concurrent use.
type InflateBudget struct {
	limit int64
	inUse atomic.Int64
}

// NewInflateBudget returns a budget of limit bytes, shared by the Conns whose
// CompressionOptions point to it.
func NewInflateBudget(limit int64) *InflateBudget {
	return &InflateBudget{limit: limit}
}

// Limit returns the budget's limit, in bytes.
func (b *InflateBudget) Limit() int64 { return b.limit }

// InUse returns the bytes currently reserved from the budget by ReadMessage calls in progress.
func (b *InflateBudget) InUse() int64 { return b.inUse.Load() }

// reserve takes n bytes from the budget and reports whether they fit under its limit; when
// they do not, nothing is taken.
func (b *InflateBudget) reserve(n int64) bool {
	if b.inUse.Add(n) > b.limit {
		b.inUse.Add(-n)
		return false
	}
	return true
}

// release gives back n bytes taken by reserve.
func (b *InflateBudget) release(n int64) {
	if n != 0 {
		b.inUse.Add(-n)
	}
}

// defaultInflateBudget is shared by every Conn whose CompressionOptions set no budget. Like the
// pools of compressors, it is process state by nature: what it bounds is the process's memory.
var defaultInflateBudget = NewInflateBudget(DefaultInflateBudget)

// defaultReadLimit is the read limit that a ReadLimit of 0 stands for: smaller when messages
// may arrive compressed (see DefaultCompressedReadLimit).
func (c *Conn) defaultReadLimit() int64 {
	if c.deflate != nil {
		return DefaultCompressedReadLimit
	}
	return DefaultReadLimit
}
