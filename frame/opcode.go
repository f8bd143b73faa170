package frame

import "strconv"

// Opcode is the 4-bit frame type of RFC 6455 §5.2. It tells how to interpret
// the payload: as text, binary, the continuation of a fragmented message, or
// one of the control frames close, ping and pong.
type Opcode uint8

// The opcodes defined by RFC 6455 §5.2 (registry §11.8). All others are
// reserved; receiving one fails the connection (see [ErrReservedOpcode]).
const (
	OpContinuation Opcode = 0x0 // §5.4: a further fragment of the current message
	OpText         Opcode = 0x1 // §5.6: a UTF-8 text message (or its first fragment)
	OpBinary       Opcode = 0x2 // §5.6: a binary message (or its first fragment)
	OpClose        Opcode = 0x8 // §5.5.1
	OpPing         Opcode = 0x9 // §5.5.2
	OpPong         Opcode = 0xA // §5.5.3
)

// IsControl reports whether op is a control opcode. RFC 6455 §5.5: "Control
// frames are identified by opcodes where the most significant bit of the
// opcode is 1", that is 0x8–0xF, including the reserved ones 0xB–0xF.
func (op Opcode) IsControl() bool {
	return op >= 0x8 && op <= 0xF
}

// IsData reports whether op starts a data message: [OpText] or [OpBinary]
// (§5.6). [OpContinuation] is neither data nor control: it carries data, but
// only as part of a message that a text or binary frame began (§5.4), so
// callers handle it on its own. Reserved data opcodes 0x3–0x7 are not data.
func (op Opcode) IsData() bool {
	return op == OpText || op == OpBinary
}

// IsReserved reports whether op is one of the opcodes RFC 6455 §5.2 leaves
// for future use: 0x3–0x7 (further non-control frames) and 0xB–0xF (further
// control frames). Values above 0xF, which do not fit in the 4-bit field,
// are reported as reserved too.
func (op Opcode) IsReserved() bool {
	switch op {
	case OpContinuation, OpText, OpBinary, OpClose, OpPing, OpPong:
		return false
	}
	return true
}

// String returns the lower-case name of op: "continuation", "text", "binary",
// "close", "ping" or "pong", and "reserved(0x3)" for a reserved opcode.
func (op Opcode) String() string {
	switch op {
	case OpContinuation:
		return "continuation"
	case OpText:
		return "text"
	case OpBinary:
		return "binary"
	case OpClose:
		return "close"
	case OpPing:
		return "ping"
	case OpPong:
		return "pong"
	}
	return "reserved(0x" + strconv.FormatUint(uint64(op), 16) + ")"
}
