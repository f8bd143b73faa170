package handshake

import (
	"fmt"
	"net/http"
)

// ProtocolPseudoHeader is the key under which net/http puts the :protocol pseudo-header of an
// extended CONNECT request (RFC 8441 §4) in Request.Header, on the server and, set by the
// caller, on the client.
const ProtocolPseudoHeader = ":protocol"

// IsExtendedConnect reports whether r asks to bootstrap a WebSocket over an HTTP/2 stream
// (RFC 8441) rather than to upgrade an HTTP/1.1 connection (RFC 6455 §4): an HTTP/2 (or later)
// request with method CONNECT and a :protocol pseudo-header.
func IsExtendedConnect(r *http.Request) bool {
	return r.ProtoMajor >= 2 && r.Method == http.MethodConnect && r.Header.Get(ProtocolPseudoHeader) != ""
}

// CheckExtendedConnect applies the server-side rules of RFC 8441 to a request for a WebSocket
// over an HTTP/2 stream. It returns nil if r is one, or an *[Error] that says how to answer:
//
//  1. The method must be CONNECT (§4: the extended CONNECT method): 405 Method Not Allowed.
//  2. The :protocol pseudo-header must be "websocket" (§5: the token of RFC 6455's Upgrade
//     header): 501 Not Implemented for any other protocol, as RFC 9220 §3 advises a server
//     that does not support the protocol asked for.
//  3. The :authority (r.Host) must be there (§4, RFC 9113 §8.5): 400.
//  4. Sec-WebSocket-Version must be exactly one field with the value "13" (§5: the rules of
//     RFC 6455 §4.2.1 item 6 apply): 400 with "Sec-WebSocket-Version: 13" (RFC 6455 §4.4; the
//     426 of HTTP/1.1 names an Upgrade, which HTTP/2 does not have).
//
// Sec-WebSocket-Key is not checked: §5 says it is not used, and nor is Sec-WebSocket-Accept.
// The request's body is the stream that carries the WebSocket, so it is not checked either.
// Origin, Sec-WebSocket-Protocol and Sec-WebSocket-Extensions mean what they mean in RFC 6455
// (§5), and are checked as they are there ([CheckOrigin], [SelectSubprotocol],
// [NegotiateDeflate]).
func CheckExtendedConnect(r *http.Request) error {
	if r.Method != http.MethodConnect {
		return &Error{
			Status: http.StatusMethodNotAllowed,
			Reason: "a WebSocket over HTTP/2 is opened with the extended CONNECT method (RFC 8441)",
			Header: http.Header{"Allow": {http.MethodConnect}},
		}
	}
	if p := r.Header.Get(ProtocolPseudoHeader); p != "websocket" {
		return &Error{Status: http.StatusNotImplemented, Reason: "this server speaks only the websocket protocol over CONNECT, not " + quoteProtocol(p)}
	}
	if !validHost(r.Host) {
		return badRequest("missing or invalid :authority")
	}
	if v := r.Header.Values(hdrVersion); len(v) != 1 || v[0] != Version {
		return &Error{
			Status: http.StatusBadRequest,
			Reason: "unsupported Sec-WebSocket-Version: this server speaks version " + Version,
			Header: http.Header{hdrVersion: {Version}},
		}
	}
	return nil
}

func quoteProtocol(p string) string {
	if p == "" {
		return "a plain CONNECT"
	}
	return `"` + p + `"`
}

// CheckExtendedConnectResponse is the client's check of a server's answer to an extended
// CONNECT request for a WebSocket (RFC 8441 §5): a 2xx status, then the subprotocol and
// extensions as [CheckResponse] checks them. There is no Sec-WebSocket-Accept to check: over
// HTTP/2 the stream itself, which only this request opened, is the proof that the server took
// the request as a WebSocket one.
func CheckExtendedConnectResponse(resp *http.Response, protocols []string, extensions []string) error {
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("%w: got %d %s", ErrBadStatus, resp.StatusCode, http.StatusText(resp.StatusCode))
	}
	return checkNegotiated(resp.Header, protocols, extensions)
}
