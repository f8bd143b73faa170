package handshake

import "net/http"

// Subprotocols returns the subprotocols a client offered in
// Sec-WebSocket-Protocol, in the client's order (RFC 6455 §4.1 item 10,
// §11.3.4). The field is a comma-separated list and may appear on several
// header lines; all of them count.
func Subprotocols(h http.Header) []string {
	return tokens(headerView(h), hdrProtocol)
}

// SelectSubprotocol returns the first of supported, the server's list in
// its order of preference, that is among offered, or "" if there is none.
// Names are compared exactly: subprotocol names are case-sensitive (RFC
// 6455 §4.1 item 10 and §11.5 register them as byte strings).
//
// RFC 6455 §4.2.2 item 5.5 lets the server answer with at most one of the
// client's values; "" means "no subprotocol", which the server signals by
// leaving Sec-WebSocket-Protocol out of its response.
//
// The seed example: a client offering "soap, wamp" to a server supporting
// only "wamp" gets "wamp".
func SelectSubprotocol(offered, supported []string) string {
	for _, s := range supported {
		for _, o := range offered {
			if s == o {
				return s
			}
		}
	}
	return ""
}
