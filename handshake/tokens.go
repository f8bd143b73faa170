package handshake

import (
	"net/http"
	"net/textproto"
)

// Header field names of RFC 6455 §11.3 in the canonical form that
// net/http stores them under ("Sec-WebSocket-Key" becomes
// "Sec-Websocket-Key"). Indexing an http.Header with these never has to
// canonicalize, so it never allocates.
const (
	hdrHost       = "Host"
	hdrUpgrade    = "Upgrade"
	hdrConnection = "Connection"
	hdrOrigin     = "Origin"
	hdrKey        = "Sec-Websocket-Key"        // §11.3.1
	hdrExtensions = "Sec-Websocket-Extensions" // §11.3.2
	hdrAccept     = "Sec-Websocket-Accept"     // §11.3.3
	hdrProtocol   = "Sec-Websocket-Protocol"   // §11.3.4
	hdrVersion    = "Sec-Websocket-Version"    // §11.3.5
	// hdrOldOrigin is the origin field of the drafts up to version 8
	// (draft-ietf-hybi-thewebsocketprotocol-08), which RFC 6455 replaced
	// by Origin (§4.1 item 8). Old clients and some documents still use it.
	hdrOldOrigin = "Sec-Websocket-Origin"
)

// Tokens returns the comma-separated elements of every value of the header
// field name, in order. It follows the list rule of RFC 7230 §7: several
// header lines count as one comma-separated list, and empty elements and
// the optional whitespace (OWS: spaces and tabs) around elements are
// dropped. "Connection: keep-alive, Upgrade" gives ["keep-alive",
// "Upgrade"].
//
// Tokens does not understand quoted strings; for Sec-WebSocket-Extensions,
// whose parameters may be quoted, use [ParseExtensions].
func Tokens(h http.Header, name string) []string {
	return tokens(headerView(h), name)
}

// tokens is Tokens over either form of a request's fields.
func tokens(fields fieldView, name string) []string {
	var list []string
	it := fields.values(name)
	for v, ok := it.next(); ok; v, ok = it.next() {
		for rest := v; rest != ""; {
			var elem string
			elem, rest = nextElement(rest)
			if elem != "" {
				list = append(list, elem)
			}
		}
	}
	return list
}

// HasToken reports whether the list-valued header field name (as split by
// [Tokens]) contains token, compared case-insensitively in ASCII. That is
// the comparison RFC 6455 §4.2.1 items 3 and 4 ask for "Upgrade: websocket"
// and "Connection: Upgrade", and, unlike strings.EqualFold, it does not
// let Unicode look-alikes such as the Kelvin sign (U+212A) match "k".
//
// HasToken scans the values in place and does not allocate when name is in
// canonical form (such as "Connection"); other names are canonicalized
// first, like http.Header.Get does.
func HasToken(h http.Header, name, token string) bool {
	return hasToken(headerView(h), name, token)
}

// hasToken is HasToken over either form of a request's fields.
func hasToken(fields fieldView, name, token string) bool {
	if token == "" {
		return false
	}
	it := fields.values(name)
	for v, ok := it.next(); ok; v, ok = it.next() {
		for rest := v; rest != ""; {
			var elem string
			elem, rest = nextElement(rest)
			if equalFoldASCII(elem, token) {
				return true
			}
		}
	}
	return false
}

// headerValues returns the values of the header field name, looking the
// name up as given first so that canonical names cost no allocation.
func headerValues(h http.Header, name string) []string {
	if vs, ok := h[name]; ok {
		return vs
	}
	return h[textproto.CanonicalMIMEHeaderKey(name)]
}

// nextElement splits s at its first comma and returns the part before it
// without surrounding OWS, and the part after it.
func nextElement(s string) (elem, rest string) {
	for i := 0; i < len(s); i++ {
		if s[i] == ',' {
			return trimOWS(s[:i]), s[i+1:]
		}
	}
	return trimOWS(s), ""
}

// trimOWS removes leading and trailing optional whitespace (RFC 7230 §3.2.3:
// OWS = *( SP / HTAB )).
func trimOWS(s string) string {
	for s != "" && isOWS(s[0]) {
		s = s[1:]
	}
	for s != "" && isOWS(s[len(s)-1]) {
		s = s[:len(s)-1]
	}
	return s
}

func isOWS(c byte) bool { return c == ' ' || c == '\t' }

// equalFoldASCII reports whether a and b are equal when ASCII letters are
// folded to lower case. Other bytes, including UTF-8, must match exactly.
func equalFoldASCII(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		if lowerASCII(a[i]) != lowerASCII(b[i]) {
			return false
		}
	}
	return true
}

func lowerASCII(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + ('a' - 'A')
	}
	return c
}

// isTokenChar reports whether c may appear in a token (RFC 7230 §3.2.6:
// tchar = "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" / "-" / "." / "^" /
// "_" / "`" / "|" / "~" / DIGIT / ALPHA). RFC 6455 uses the same token rule
// (via RFC 2616 §2.2) for subprotocols (§4.1 item 10) and extensions (§9.1).
func isTokenChar(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	switch c {
	case '!', '#', '$', '%', '&', '\'', '*', '+', '-', '.', '^', '_', '`', '|', '~':
		return true
	}
	return false
}

// isToken reports whether s is a non-empty token (RFC 7230 §3.2.6).
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isTokenChar(s[i]) {
			return false
		}
	}
	return true
}

// ValidSubprotocol reports whether name may be offered or chosen as a
// subprotocol: a non-empty token (RFC 6455 §4.1 item 10: characters in
// U+0021..U+007E other than separators; §11.3.4).
func ValidSubprotocol(name string) bool { return isToken(name) }

// ValidHeaderValue reports whether v may be written as a header field
// value: no control characters other than horizontal tab (RFC 7230 §3.2:
// field-content). In particular a CR or LF, which would end the header
// line early and let the rest of v inject headers of its own, is refused.
func ValidHeaderValue(v string) bool {
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c < ' ' && c != '\t' || c == 0x7f {
			return false
		}
	}
	return true
}
