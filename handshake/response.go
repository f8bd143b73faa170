package handshake

import (
	"errors"
	"fmt"
	"net/http"
	"net/textproto"
	"slices"
)

// Errors from [CheckResponse]. Each returned error wraps one of these (and
// [ErrBadExtensions]) with the detail seen, so callers test with
// errors.Is.
var (
	ErrBadStatus      = errors.New("handshake: status is not 101 Switching Protocols")
	ErrBadUpgrade     = errors.New("handshake: response Upgrade is not websocket")
	ErrBadConnection  = errors.New("handshake: response Connection does not contain upgrade")
	ErrBadAccept      = errors.New("handshake: wrong Sec-WebSocket-Accept")
	ErrBadSubprotocol = errors.New("handshake: bad Sec-WebSocket-Protocol in response")
)

// CheckResponse validates a server's response to an opening handshake
// request that sent key, offered the subprotocols protocols and the
// extensions named in extensions. It applies the client-side rules of RFC
// 6455 §4.1 (the numbered steps after the request is sent), in their
// order:
//
//  1. The status must be 101. Anything else means the handshake failed;
//     redirects are not followed here (§4.1: "the client handles the
//     response per HTTP procedures" — that is the caller's choice).
//  2. Upgrade must contain "websocket", in any case (mosquitto answers
//     "WebSocket", as does the seed document's example).
//  3. Connection must contain the token "upgrade", in any case.
//  4. Sec-WebSocket-Accept must be a single field equal to AcceptKey(key).
//  5. Every extension in Sec-WebSocket-Extensions must be one the client
//     offered, by exact name, and appear only once; a malformed value
//     fails too. An extension is either in use or not, so a server naming
//     one twice gives no single set of parameters to use.
//  6. Sec-WebSocket-Protocol, if present, must be a single field holding
//     one of protocols (§4.2.2 item 5.5: the server answers with one
//     value). Absent means the server chose none, which is fine.
//
// A failure returns an error wrapping the matching sentinel: ErrBadStatus,
// ErrBadUpgrade, ErrBadConnection, ErrBadAccept, ErrBadExtensions or
// ErrBadSubprotocol. §4.1 says the client then "MUST _Fail the WebSocket
// Connection_".
func CheckResponse(resp *http.Response, key string, protocols []string, extensions []string) error {
	if resp.StatusCode != http.StatusSwitchingProtocols {
		return fmt.Errorf("%w: got %d %s", ErrBadStatus, resp.StatusCode, http.StatusText(resp.StatusCode))
	}
	h := resp.Header
	if !HasToken(h, hdrUpgrade, "websocket") {
		return fmt.Errorf("%w: got %q", ErrBadUpgrade, h[hdrUpgrade])
	}
	if !HasToken(h, hdrConnection, "upgrade") {
		return fmt.Errorf("%w: got %q", ErrBadConnection, h[hdrConnection])
	}
	var want [acceptLen]byte
	if accepts := h[hdrAccept]; len(accepts) != 1 || accepts[0] != string(appendAccept(want[:0], key)) {
		return fmt.Errorf("%w: got %q, want %q", ErrBadAccept, accepts, string(want[:]))
	}

	return checkNegotiated(h, protocols, extensions)
}

// checkNegotiated checks the extensions and subprotocol a server answered with against what
// the client offered (RFC 6455 §4.1, items 5 and 6 of the client's checks), over HTTP/1.1 and
// HTTP/2 alike (RFC 8441 §5).
func checkNegotiated(h http.Header, protocols []string, extensions []string) error {
	exts, err := ParseExtensions(h)
	if err != nil {
		return err
	}
	for i, e := range exts {
		if !slices.Contains(extensions, e.Name) {
			return fmt.Errorf("%w: server accepted %q, which the client did not offer", ErrBadExtensions, e.Name)
		}
		for _, prev := range exts[:i] {
			if prev.Name == e.Name {
				return fmt.Errorf("%w: server accepted %q more than once", ErrBadExtensions, e.Name)
			}
		}
	}

	if chosen, ok := h[hdrProtocol]; ok {
		if len(chosen) != 1 || !ValidSubprotocol(chosen[0]) {
			return fmt.Errorf("%w: want one subprotocol, got %q", ErrBadSubprotocol, chosen)
		}
		if !slices.Contains(protocols, chosen[0]) {
			return fmt.Errorf("%w: server chose %q, which the client did not offer", ErrBadSubprotocol, chosen[0])
		}
	}
	return nil
}

// responseOwned are the header fields AppendResponse writes itself; it
// skips them in its extra argument so that the response never carries two
// answers for one of them.
var responseOwned = []string{hdrUpgrade, hdrConnection, hdrAccept, hdrProtocol, hdrExtensions}

// requestOwned are the header fields AppendRequest writes itself.
var requestOwned = []string{hdrHost, hdrUpgrade, hdrConnection, hdrKey, hdrVersion, hdrProtocol, hdrExtensions}

// AppendResponse appends to dst the server's answer that completes an
// opening handshake (RFC 6455 §4.2.2 item 5): the status line
// "HTTP/1.1 101 Switching Protocols" (5.1), "Upgrade: websocket" (5.2),
// "Connection: Upgrade" (5.3), "Sec-WebSocket-Accept: AcceptKey(key)"
// (5.4), Sec-WebSocket-Protocol if protocol is not "" (5.5),
// Sec-WebSocket-Extensions if extensions is not "" (5.6), then every
// header field of extra, and the blank line that ends the response.
//
// It is for servers that write straight to a hijacked connection instead
// of through an http.ResponseWriter. Header fields of extra are written
// in sorted order under their canonical names. Fields the handshake
// writes itself (Upgrade, Connection, Sec-WebSocket-Accept,
// Sec-WebSocket-Protocol, Sec-WebSocket-Extensions) are skipped in
// extra, as are names that are not tokens and values with control
// characters such as CR or LF, which could otherwise end the header early
// and inject lines of their own (see [ValidHeaderValue]). protocol and
// extensions are likewise left out if they contain such characters.
//
// With enough capacity in dst and at most 16 fields in extra, it does not
// allocate.
func AppendResponse(dst []byte, key, protocol, extensions string, extra http.Header) []byte {
	dst = append(dst, "HTTP/1.1 101 Switching Protocols\r\n"...)
	dst = append(dst, "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: "...)
	dst = appendAccept(dst, key)
	dst = append(dst, "\r\n"...)
	if protocol != "" && ValidHeaderValue(protocol) {
		dst = appendField(dst, "Sec-WebSocket-Protocol", protocol)
	}
	if extensions != "" && ValidHeaderValue(extensions) {
		dst = appendField(dst, "Sec-WebSocket-Extensions", extensions)
	}
	dst = appendExtra(dst, extra, responseOwned)
	return append(dst, "\r\n"...)
}

// AppendRequest appends to dst a client's opening handshake request (RFC
// 6455 §4.1 items 1–11): the request line "GET requestURI HTTP/1.1",
// Host, "Upgrade: websocket", "Connection: Upgrade", Sec-WebSocket-Key,
// "Sec-WebSocket-Version: 13", Sec-WebSocket-Protocol with protocols
// joined by ", " (if any), Sec-WebSocket-Extensions (if not ""), every
// other header field of extra — Origin included, if the caller put it
// there (§4.1 item 8) — and the blank line.
//
// The handshake's own fields (Host, Upgrade, Connection,
// Sec-WebSocket-Key, -Version, -Protocol and -Extensions) are skipped in
// extra. As with [AppendResponse], names that are not tokens and values
// with control characters such as CR or LF are skipped, and so are host,
// key or extensions containing them, and protocols that are not valid
// subprotocol names (see [ValidSubprotocol]). Bytes that may not appear
// in a request target (controls, space, '#', non-ASCII) are
// percent-encoded in requestURI, and an empty requestURI becomes "/".
//
// key is written as given, valid or not, so that tests can send bad keys;
// clients should pass [NewKey]().
func AppendRequest(dst []byte, requestURI, host, key string, protocols []string, extensions string, extra http.Header) []byte {
	dst = append(dst, "GET "...)
	dst = appendRequestTarget(dst, requestURI)
	dst = append(dst, " HTTP/1.1\r\n"...)
	if validHost(host) {
		dst = appendField(dst, "Host", host)
	}
	dst = append(dst, "Upgrade: websocket\r\nConnection: Upgrade\r\n"...)
	if ValidHeaderValue(key) {
		dst = appendField(dst, "Sec-WebSocket-Key", key)
	}
	dst = append(dst, "Sec-WebSocket-Version: "+Version+"\r\n"...)
	first := true
	for _, p := range protocols {
		if !ValidSubprotocol(p) {
			continue
		}
		if first {
			dst = append(dst, "Sec-WebSocket-Protocol: "...)
			first = false
		} else {
			dst = append(dst, ", "...)
		}
		dst = append(dst, p...)
	}
	if !first {
		dst = append(dst, "\r\n"...)
	}
	if extensions != "" && ValidHeaderValue(extensions) {
		dst = appendField(dst, "Sec-WebSocket-Extensions", extensions)
	}
	dst = appendExtra(dst, extra, requestOwned)
	return append(dst, "\r\n"...)
}

// appendField appends "name: value\r\n".
func appendField(dst []byte, name, value string) []byte {
	dst = append(dst, name...)
	dst = append(dst, ": "...)
	dst = append(dst, value...)
	return append(dst, "\r\n"...)
}

// appendExtra appends the fields of extra, sorted by name, except those
// named in owned and those that could break the message framing.
func appendExtra(dst []byte, extra http.Header, owned []string) []byte {
	var buf [16]string
	names := buf[:0]
	for name := range extra {
		if isToken(name) && !containsFoldASCII(owned, name) {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	for _, name := range names {
		canonical := textproto.CanonicalMIMEHeaderKey(name)
		for _, v := range extra[name] {
			if ValidHeaderValue(v) {
				dst = appendField(dst, canonical, trimOWS(v))
			}
		}
	}
	return dst
}

func containsFoldASCII(list []string, s string) bool {
	for _, x := range list {
		if equalFoldASCII(x, s) {
			return true
		}
	}
	return false
}

// validHost reports whether host can be written as a Host field: not
// empty, and no controls, spaces or DEL.
func validHost(host string) bool {
	if host == "" {
		return false
	}
	for i := 0; i < len(host); i++ {
		if c := host[i]; c <= ' ' || c == 0x7f {
			return false
		}
	}
	return true
}

// appendRequestTarget appends requestURI, percent-encoding the bytes that
// cannot appear in a request target (RFC 7230 §3.1.1, RFC 3986 §2): they
// would end the request line early or smuggle in a line of their own.
// RFC 6455 §3 adds '#': a WebSocket URI has no fragment, and a literal
// "#" "MUST be escaped as %23".
func appendRequestTarget(dst []byte, requestURI string) []byte {
	if requestURI == "" {
		return append(dst, '/')
	}
	const hex = "0123456789ABCDEF"
	for i := 0; i < len(requestURI); i++ {
		c := requestURI[i]
		if c <= ' ' || c == '#' || c >= 0x7f {
			dst = append(dst, '%', hex[c>>4], hex[c&0xf])
		} else {
			dst = append(dst, c)
		}
	}
	return dst
}
