package frame

import (
	"encoding/binary"
	"strconv"
	"unicode/utf8"
)

// CloseCode is the status code carried in the body of a close frame
// (RFC 6455 §5.5.1, §7.4). It says why an endpoint is closing.
type CloseCode uint16

// The status codes of RFC 6455 §7.4.1 and the IANA "WebSocket Close Code
// Number" registry (§11.7).
const (
	CloseNormal             CloseCode = 1000 // §7.4.1: the purpose of the connection has been fulfilled
	CloseGoingAway          CloseCode = 1001 // §7.4.1: server going down, or browser leaving the page
	CloseProtocolError      CloseCode = 1002 // §7.4.1: protocol error
	CloseUnsupportedData    CloseCode = 1003 // §7.4.1: a data type the endpoint cannot accept
	CloseNoStatus           CloseCode = 1005 // §7.4.1: no status code was present; never on the wire
	CloseAbnormal           CloseCode = 1006 // §7.4.1: closed without a close frame; never on the wire
	CloseInvalidPayload     CloseCode = 1007 // §7.4.1: data inconsistent with the message type, e.g. bad UTF-8
	ClosePolicyViolation    CloseCode = 1008 // §7.4.1: a message that violates the endpoint's policy
	CloseTooBig             CloseCode = 1009 // §7.4.1: a message too big to process
	CloseMandatoryExtension CloseCode = 1010 // §7.4.1: client: the server did not negotiate a required extension
	CloseInternalError      CloseCode = 1011 // §7.4.1: server: an unexpected condition
	CloseServiceRestart     CloseCode = 1012 // IANA registry (§11.7): service is restarting
	CloseTryAgainLater      CloseCode = 1013 // IANA registry (§11.7): temporary server condition
	CloseBadGateway         CloseCode = 1014 // IANA registry (§11.7): gateway received an invalid response
	CloseTLSHandshake       CloseCode = 1015 // §7.4.1: TLS handshake failed; never on the wire
)

// MaxCloseReason is the longest close reason in bytes: a control frame
// payload holds at most 125 bytes (§5.5), 2 of which are the status code.
const MaxCloseReason = MaxControlPayload - 2

// ValidOnWire reports whether c may appear in a close frame. It accepts
// 1000–1003 and 1007–1014 (defined in §7.4.1 or registered with IANA,
// §11.7) and 3000–4999 (§7.4.2: for libraries, frameworks, applications and
// private use). It rejects:
//
//   - 0–999: §7.4.2 "not used";
//   - 1004: reserved (§7.4.1);
//   - 1005, 1006, 1015: §7.4.1 "MUST NOT be set as a status code in a Close
//     control frame by an endpoint";
//   - 1016–2999: §7.4.2, reserved for future revisions of the protocol and
//     for extensions, none of them defined yet;
//   - 5000 and above: outside every range of §7.4.2.
func (c CloseCode) ValidOnWire() bool {
	switch {
	case c >= 1000 && c <= 1003:
		return true
	case c >= 1007 && c <= 1014:
		return true
	case c >= 3000 && c <= 4999:
		return true
	}
	return false
}

// String returns the name of c from §7.4.1 or the IANA registry, such as
// "normal closure" for 1000, or "CloseCode(4000)" for other codes.
func (c CloseCode) String() string {
	switch c {
	case CloseNormal:
		return "normal closure"
	case CloseGoingAway:
		return "going away"
	case CloseProtocolError:
		return "protocol error"
	case CloseUnsupportedData:
		return "unsupported data"
	case CloseNoStatus:
		return "no status received"
	case CloseAbnormal:
		return "abnormal closure"
	case CloseInvalidPayload:
		return "invalid frame payload data"
	case ClosePolicyViolation:
		return "policy violation"
	case CloseTooBig:
		return "message too big"
	case CloseMandatoryExtension:
		return "mandatory extension"
	case CloseInternalError:
		return "internal server error"
	case CloseServiceRestart:
		return "service restart"
	case CloseTryAgainLater:
		return "try again later"
	case CloseBadGateway:
		return "bad gateway"
	case CloseTLSHandshake:
		return "TLS handshake failure"
	}
	return "CloseCode(" + strconv.Itoa(int(c)) + ")"
}

// ParseClose decodes the payload of a close frame (RFC 6455 §5.5.1):
// nothing, or a 2-byte big-endian status code followed by a UTF-8 reason.
//
// An empty payload gives ([CloseNoStatus], "", nil): §7.1.5 says the close
// code is then considered to be 1005. A 1-byte payload gives
// [ErrClosePayloadShort], a code that is not [CloseCode.ValidOnWire] gives
// [ErrInvalidCloseCode], and a reason that is not valid UTF-8 gives
// [ErrInvalidCloseReason]; on error the code and reason are zero. ParseClose
// does not check the payload length limit of §5.5, which is
// [Header.Check]'s job. It allocates only the reason string, nothing when
// the reason is empty.
func ParseClose(payload []byte) (CloseCode, string, error) {
	switch len(payload) {
	case 0:
		return CloseNoStatus, "", nil
	case 1:
		return 0, "", ErrClosePayloadShort
	}
	code := CloseCode(binary.BigEndian.Uint16(payload))
	if !code.ValidOnWire() {
		return 0, "", ErrInvalidCloseCode
	}
	reason := payload[2:]
	if !utf8.Valid(reason) {
		return 0, "", ErrInvalidCloseReason
	}
	return code, string(reason), nil
}

// AppendClose appends the payload of a close frame with the given code and
// reason to dst and returns the extended slice (§5.5.1). For [CloseNoStatus]
// it appends nothing, since 1005 means "no status code in the frame" and a
// reason cannot appear without a code. Otherwise it appends the code in
// network byte order and the reason, cut to [MaxCloseReason] bytes at a UTF-8
// boundary so the frame stays within the 125 bytes of §5.5 and the reason
// stays valid UTF-8.
//
// AppendClose writes any other code as given, even one that is not
// [CloseCode.ValidOnWire], and does not validate the reason: checking what
// to send is the caller's business (and a test may want to send bad
// frames). It allocates nothing when dst has room.
func AppendClose(dst []byte, code CloseCode, reason string) []byte {
	if code == CloseNoStatus {
		return dst
	}
	dst = binary.BigEndian.AppendUint16(dst, uint16(code))
	if len(reason) > MaxCloseReason {
		// Back up to the first byte of the code point that straddles
		// the limit, so that it is dropped whole.
		cut := MaxCloseReason
		for cut > 0 && !utf8.RuneStart(reason[cut]) {
			cut--
		}
		reason = reason[:cut]
	}
	return append(dst, reason...)
}
