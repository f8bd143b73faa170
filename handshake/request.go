package handshake

import (
	"net/http"
	"strconv"
)

// Error is a failed check of a client's opening handshake on the server
// side: the HTTP status to answer with, a plain-text reason for the body,
// and extra response header fields the status calls for (Allow with 405,
// Upgrade and Sec-WebSocket-Version with 426).
//
// RFC 6455 §4.2.1: a server that finds the handshake does not match the
// description "MUST stop processing the client's handshake and return an
// HTTP response with an appropriate error code (such as 400 Bad Request)".
type Error struct {
	Status int         // HTTP status code, such as http.StatusBadRequest
	Reason string      // why, in plain text, for the response body
	Header http.Header // header fields to add to the response; may be nil
}

// Error returns "handshake: <status> <status text>: <reason>".
func (e *Error) Error() string {
	return "handshake: " + strconv.Itoa(e.Status) + " " + http.StatusText(e.Status) + ": " + e.Reason
}

// upgradeRequired returns a 426 Upgrade Required error. RFC 7230 §6.7: a
// server that sends 426 "MUST send an Upgrade header field to indicate the
// acceptable protocols", and whoever sends Upgrade must also send
// "Connection: upgrade" so that proxies do not forward it. RFC 6455 §4.2.2
// item 4 (and §4.4) adds Sec-WebSocket-Version with the versions the
// server speaks.
func upgradeRequired(reason string) *Error {
	return &Error{
		Status: http.StatusUpgradeRequired,
		Reason: reason,
		Header: http.Header{
			hdrUpgrade:    {"websocket"},
			hdrConnection: {"Upgrade"},
			hdrVersion:    {Version},
		},
	}
}

func badRequest(reason string) *Error {
	return &Error{Status: http.StatusBadRequest, Reason: reason}
}

// CheckRequest applies the server-side rules of RFC 6455 §4.2.1 to an
// opening handshake request. It returns nil if r is a valid handshake, or
// an *[Error] that says how to answer. It does not check the origin; see
// [CheckOrigin].
//
// The checks run in this order, so that the first failure is the most
// useful thing to tell the client:
//
//  1. The method must be GET (§4.1 item 2, §4.2.1 item 1): 405 Method Not
//     Allowed with "Allow: GET".
//  2. The request must be HTTP/1.1 or later (§4.1 item 2, §4.2.1 item 1):
//     400.
//  3. There must be a Host (§4.2.1 item 2): 400.
//  4. Upgrade must contain the token "websocket", in any case (§4.2.1
//     item 3): 426 Upgrade Required with "Upgrade: websocket". We choose
//     426 over the 400 that §4.2.1 suggests because a request without
//     Upgrade is most often a plain HTTP request (a browser visiting the
//     endpoint, or a proxy that dropped the hop-by-hop Upgrade header),
//     and 426 is HTTP's own way to say "this resource needs that
//     protocol" (RFC 7231 §6.5.15).
//  5. Connection must contain the token "upgrade", in any case, possibly
//     among others, as in Firefox's "keep-alive, Upgrade" (§4.2.1 item
//     4): 400. Upgrade was asked for, but the request is malformed.
//  6. Sec-WebSocket-Version must be exactly one field with the value "13"
//     (§4.2.1 item 6): 426 Upgrade Required with "Sec-WebSocket-Version:
//     13" (§4.2.2 item 4, §4.4), so that a client of another version can
//     retry with ours. This comes after Upgrade and Connection so that a
//     plain HTTP request is told it needs WebSocket at all, not which
//     version.
//  7. Sec-WebSocket-Key must be one field whose value is base64 of
//     exactly 16 bytes (§4.2.1 item 5, §11.3.1): 400.
//  8. The request must have no body: no Transfer-Encoding and no
//     Content-Length other than 0 (r.TransferEncoding and r.ContentLength,
//     where net/http puts them): 400. §4.1 defines the handshake as a GET
//     whose end is the end of its head, and whatever the client sends
//     after it is read as WebSocket frames; a body would be taken for
//     frames, while a proxy before the server, which ends the request
//     where RFC 9112 §6 says, forwards it as a body — a request smuggled
//     past the proxy.
//
// Every 426 carries "Upgrade: websocket", "Connection: Upgrade" and
// "Sec-WebSocket-Version: 13" (see RFC 7230 §6.7).
//
// CheckRequest does not allocate when the request is valid.
func CheckRequest(r *http.Request) error {
	if err := checkRequest(r.Method, r.ProtoMajor, r.ProtoMinor, r.Host, headerView(r.Header)); err != nil {
		return err
	}
	switch {
	case len(r.TransferEncoding) > 0:
		return badRequest(reasonBodyTransferEncoding)
	case r.ContentLength != 0:
		return badRequest(reasonBodyContentLength)
	}
	return nil
}

// The reasons given for refusing a handshake request with a body (rule 8 of [CheckRequest]).
const (
	reasonBodyTransferEncoding = "an opening handshake request has no body, but this one has Transfer-Encoding"
	reasonBodyContentLength    = "an opening handshake request has no body, but this one has a Content-Length"
)

// checkRequest is CheckRequest over the parts of a request that the rules
// read, so that a request parsed by net/http and one parsed by
// [ParseRequest] go through the same code.
func checkRequest(method string, protoMajor, protoMinor int, host string, fields fieldView) error {
	if method != http.MethodGet {
		return &Error{
			Status: http.StatusMethodNotAllowed,
			Reason: "the WebSocket opening handshake must use method GET",
			Header: http.Header{"Allow": {http.MethodGet}},
		}
	}
	if protoMajor < 1 || protoMajor == 1 && protoMinor < 1 {
		return badRequest("the WebSocket opening handshake needs HTTP/1.1 or later")
	}
	if !validHost(host) {
		return badRequest("missing or invalid Host header")
	}
	if !hasToken(fields, hdrUpgrade, "websocket") {
		return upgradeRequired(`not a WebSocket handshake: the Upgrade header must contain "websocket"`)
	}
	if !hasToken(fields, hdrConnection, "upgrade") {
		return badRequest(`not a WebSocket handshake: the Connection header must contain "Upgrade"`)
	}
	if v, n := fields.first(hdrVersion); n != 1 || v != Version {
		return upgradeRequired("unsupported Sec-WebSocket-Version: this server speaks version " + Version)
	}
	key, n := fields.first(hdrKey)
	switch {
	case n == 0:
		return badRequest("missing Sec-WebSocket-Key header")
	case n > 1:
		// §11.3.1: the field "MUST NOT appear more than once".
		return badRequest("repeated Sec-WebSocket-Key header")
	case !ValidKey(key):
		return badRequest("invalid Sec-WebSocket-Key: it must be base64 of 16 bytes")
	}
	return nil
}
