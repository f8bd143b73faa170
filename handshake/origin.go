package handshake

import (
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"
)

// CheckOrigin applies a server's origin policy to an opening handshake
// request (RFC 6455 §4.2.1 item 7, §4.2.2 item 4, §10.2). It returns nil if
// the request may proceed, or an *[Error] with status 403 Forbidden, the
// answer §4.2.2 suggests for an origin the server does not accept.
//
// Browsers send the origin of the page that opened the WebSocket in the
// Origin header (RFC 6454), so the origin policy is what stops a page on
// another site from talking to the server with the user's cookies. The
// origin is read from Origin, or, when Origin is absent, from
// Sec-WebSocket-Origin, which clients of protocol version 8 and older sent.
//
// The policy:
//
//   - No origin header at all: allowed. Only browsers must send one (§4.1
//     item 8), and a client that is not a browser has no cross-site
//     requests to fear.
//   - "*" among patterns: every origin is allowed, even malformed ones.
//   - "null" (RFC 6454 §7.3: an opaque origin such as a sandboxed frame or
//     a file: page), an origin that does not parse as scheme://host, or
//     more than one origin header line: rejected.
//   - Same origin — the origin's host[:port] equals r.Host, compared
//     case-insensitively in ASCII: allowed.
//   - Otherwise the origin's host[:port], in lower case, must match one of
//     patterns with the syntax of path.Match, compared case-insensitively:
//     "127.0.0.1:8765", "*.example.com", "localhost:*". A pattern without
//     a ':' is also matched against the host name without its port, so
//     "example.com" allows http://example.com:8080. Note that "*.example.com"
//     does not match "example.com" itself, that '[' starts a character
//     class (write an IPv6 literal as "\\[::1\\]:*"), and that a malformed
//     pattern matches nothing.
//
// With no patterns the policy is therefore "same origin only".
func CheckOrigin(r *http.Request, patterns []string) error {
	return checkOrigin(headerView(r.Header), r.Host, patterns)
}

// checkOrigin is CheckOrigin over a request's fields and its Host, so that
// a request parsed by net/http and one parsed by [ParseRequest] go through
// the same code.
func checkOrigin(fields fieldView, requestHost string, patterns []string) error {
	origin, n := fields.first(hdrOrigin)
	if n == 0 {
		origin, n = fields.first(hdrOldOrigin)
	}
	if n == 0 {
		return nil
	}
	for _, p := range patterns {
		if p == "*" {
			return nil
		}
	}
	if n != 1 {
		return forbidden("more than one origin header")
	}
	host, ok := originHost(origin)
	if !ok {
		return forbidden("origin " + strconv.Quote(origin) + " is not allowed")
	}
	if requestHost != "" && equalFoldASCII(host, requestHost) {
		return nil
	}
	host = strings.ToLower(host)
	hostname := stripPort(host)
	for _, p := range patterns {
		p = strings.ToLower(p)
		if matched, _ := path.Match(p, host); matched {
			return nil
		}
		if !strings.Contains(p, ":") {
			if matched, _ := path.Match(p, hostname); matched {
				return nil
			}
		}
	}
	return forbidden("cross-origin request from " + strconv.Quote(origin) + " is not allowed")
}

func forbidden(reason string) *Error {
	return &Error{Status: http.StatusForbidden, Reason: reason}
}

// originHost returns the host[:port] of a serialized origin (RFC 6454 §6.2:
// scheme "://" host [ ":" port ]), and false for "null" and for anything
// that is not an absolute URL with a host.
func originHost(origin string) (string, bool) {
	if origin == "null" {
		return "", false
	}
	u, err := url.Parse(origin)
	if err != nil || u.Scheme == "" || u.Host == "" || u.User != nil {
		return "", false
	}
	return u.Host, true
}

// stripPort removes a trailing ":port" from host[:port]. The colons inside
// a bracketed IPv6 literal, such as "[::1]", are not a port.
func stripPort(hostport string) string {
	i := strings.LastIndexByte(hostport, ':')
	if i < 0 || strings.Contains(hostport[i:], "]") {
		return hostport
	}
	return hostport[:i]
}
