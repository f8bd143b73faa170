package frame

import (
	"errors"
	"strconv"
)

// Role says which end of the connection is reading frames. The masking rule
// of RFC 6455 §5.1 depends on it: frames from a client are masked, frames
// from a server are not.
type Role uint8

// The two roles. The zero Role is not valid.
const (
	RoleServer Role = iota + 1 // the endpoint reading frames is a server: frames must be masked
	RoleClient                 // the endpoint reading frames is a client: frames must not be masked
)

// String returns "server", "client" or "Role(n)" for an invalid role.
func (r Role) String() string {
	switch r {
	case RoleServer:
		return "server"
	case RoleClient:
		return "client"
	}
	return "Role(" + strconv.Itoa(int(r)) + ")"
}

// ProtocolError is a violation of RFC 6455 found in what the peer sent.
// Code is the status code the endpoint sends in its close frame when it
// fails the connection (§7.1.7): usually [CloseProtocolError] (1002), or
// [CloseInvalidPayload] (1007) for bad UTF-8, or [CloseTooBig] (1009).
//
// The errors of this package are the sentinel values below; compare with
// errors.Is, or use errors.As to get at the Code of any ProtocolError.
type ProtocolError struct {
	Code   CloseCode
	Reason string // short, UTF-8, at most MaxCloseReason bytes, so it fits in a close frame
}

// Error returns "websocket: " followed by the reason.
func (e *ProtocolError) Error() string {
	return "websocket: " + e.Reason
}

func protocolError(code CloseCode, reason string) *ProtocolError {
	return &ProtocolError{Code: code, Reason: reason}
}

// ErrShortHeader is returned by [ParseHeader] when its input holds only part
// of a header. It is not a protocol violation: the caller should read more.
var ErrShortHeader = errors.New("frame: short header")

// The protocol violations that this package detects. Each names the section
// of RFC 6455 that it enforces.
var (
	// ErrLengthOverflow means a 64-bit payload length had its most
	// significant bit set. §5.2: "the most significant bit MUST be 0".
	ErrLengthOverflow = protocolError(CloseProtocolError, "payload length has the most significant bit set")

	// ErrReservedBits means an RSV bit was set that no negotiated extension
	// uses. §5.2: "MUST be 0 unless an extension is negotiated that defines
	// meanings for non-zero values."
	ErrReservedBits = protocolError(CloseProtocolError, "reserved bits set without a negotiated extension")

	// ErrReservedOpcode means the opcode is one that §5.2 reserves. §5.2:
	// "If an unknown opcode is received, the receiving endpoint MUST _Fail
	// the WebSocket Connection_."
	ErrReservedOpcode = protocolError(CloseProtocolError, "reserved opcode")

	// ErrControlTooLong means a control frame announced a payload of more
	// than 125 bytes. §5.5: "All control frames MUST have a payload length
	// of 125 bytes or less".
	ErrControlTooLong = protocolError(CloseProtocolError, "control frame payload longer than 125 bytes")

	// ErrControlFragmented means a control frame had FIN clear. §5.5:
	// control frames "MUST NOT be fragmented".
	ErrControlFragmented = protocolError(CloseProtocolError, "fragmented control frame")

	// ErrMaskRequired means a server received an unmasked frame. §5.1: "The
	// server MUST close the connection upon receiving a frame that is not
	// masked."
	ErrMaskRequired = protocolError(CloseProtocolError, "unmasked frame from client")

	// ErrMaskUnexpected means a client received a masked frame. §5.1: "A
	// client MUST close a connection if it detects a masked frame."
	ErrMaskUnexpected = protocolError(CloseProtocolError, "masked frame from server")

	// ErrUnexpectedContinuation means a continuation frame arrived when no
	// fragmented message was in progress (§5.4).
	ErrUnexpectedContinuation = protocolError(CloseProtocolError, "continuation frame without a message to continue")

	// ErrExpectedContinuation means a text or binary frame arrived while a
	// fragmented message was in progress. §5.4: "the fragments of one
	// message MUST NOT be interleaved between the fragments of another
	// message".
	ErrExpectedContinuation = protocolError(CloseProtocolError, "new data frame inside a fragmented message")

	// ErrInvalidUTF8 means a text message was not valid UTF-8, which fails
	// the connection (§8.1) with status 1007 (§7.4.1).
	ErrInvalidUTF8 = protocolError(CloseInvalidPayload, "text is not valid UTF-8")

	// ErrClosePayloadShort means a close frame had a 1-byte body. §5.5.1: a
	// body, if present, starts with a 2-byte status code.
	ErrClosePayloadShort = protocolError(CloseProtocolError, "close payload of 1 byte")

	// ErrInvalidCloseCode means a close frame carried a status code that
	// must not appear on the wire (§7.4; see [CloseCode.ValidOnWire]).
	ErrInvalidCloseCode = protocolError(CloseProtocolError, "invalid close code")

	// ErrInvalidCloseReason means the reason in a close frame was not valid
	// UTF-8 (§5.5.1), which is status 1007 (§7.4.1, §8.1).
	ErrInvalidCloseReason = protocolError(CloseInvalidPayload, "close reason is not valid UTF-8")
)

// Check applies the receive-side rules that a single frame header must obey,
// from the point of view of an endpoint of role r that negotiated extensions
// allowing the RSV bits in rsvAllowed (0 when no extension is in use).
// It returns nil or one of the [*ProtocolError] sentinels, checking in order:
//
//   - §5.2 reserved bits: [ErrReservedBits] for a bit not in rsvAllowed;
//   - §5.2 opcodes: [ErrReservedOpcode];
//   - §5.1 masking: [ErrMaskRequired] (r is RoleServer) or
//     [ErrMaskUnexpected] (r is RoleClient);
//   - §5.5 control frames: [ErrControlFragmented], [ErrControlTooLong];
//   - §5.5.1 close frames: [ErrClosePayloadShort] for a 1-byte body, which
//     can be told from the header alone.
//
// Rules that span frames (§5.4) are in [CheckSequence]; rules on payloads in
// [ParseClose] and [UTF8]. Check panics if r is not RoleServer or
// RoleClient. It allocates nothing.
func (h Header) Check(r Role, rsvAllowed uint8) error {
	if h.Rsv&^rsvAllowed != 0 {
		return ErrReservedBits
	}
	if h.Op.IsReserved() {
		return ErrReservedOpcode
	}
	switch r {
	case RoleServer:
		if !h.Masked {
			return ErrMaskRequired
		}
	case RoleClient:
		if h.Masked {
			return ErrMaskUnexpected
		}
	default:
		panic("frame: Header.Check: invalid Role " + r.String())
	}
	if h.Op.IsControl() {
		if !h.Fin {
			return ErrControlFragmented
		}
		if h.Length > MaxControlPayload {
			return ErrControlTooLong
		}
		if h.Op == OpClose && h.Length == 1 {
			return ErrClosePayloadShort
		}
	}
	return nil
}

// CheckSequence applies the fragmentation rules of RFC 6455 §5.4 to the next
// frame h of a connection, where inMessage reports whether a fragmented
// message is in progress (a text or binary frame with FIN clear was received
// and its final fragment has not). It returns [ErrUnexpectedContinuation] for
// a continuation frame outside a message and [ErrExpectedContinuation] for a
// text or binary frame inside one. Control frames always pass: §5.4 lets
// them be "injected in the middle of a fragmented message". Reserved opcodes
// pass too; [Header.Check] rejects them.
//
// After a frame passes, a message is in progress when h is a data or
// continuation frame without FIN, or when it was already and h is a control
// frame.
func CheckSequence(inMessage bool, h Header) error {
	switch {
	case h.Op == OpContinuation && !inMessage:
		return ErrUnexpectedContinuation
	case h.Op.IsData() && inMessage:
		return ErrExpectedContinuation
	}
	return nil
}
