package handshake

import (
	"net/http"
	"strconv"
)

// errorOwned are the fields of an error response that AppendResponse
// writes itself, and so skips in Error.Header: two of them would make the
// body's length ambiguous (RFC 9112 §6.3).
var errorOwned = []string{"Content-Type", "Content-Length"}

// AppendResponse appends to dst the HTTP/1.1 response that refuses an
// opening handshake with e (RFC 6455 §4.2.1: "return an HTTP response
// with an appropriate error code"), for a server that writes to the
// connection itself; behind net/http, http.Error does the same. It is:
//
//	HTTP/1.1 <Status> <status text>
//	Content-Type: text/plain; charset=utf-8
//	Connection: close
//	<the fields of e.Header, sorted by name>
//	Content-Length: <length of the body>
//
//	<e.Reason and a newline>
//
// "Connection: close" tells the client that the server closes the
// connection after this response (RFC 9112 §9.6), as it must: the
// client's next bytes could be anything. Fields of e.Header are skipped
// if their name is not a token or their value holds a control character,
// as with the function [AppendResponse]; so are Content-Type and
// Content-Length. A Status outside 100–999 is written as 500.
func (e *Error) AppendResponse(dst []byte) []byte {
	return e.appendResponse(dst, true)
}

// AppendResponseTo is AppendResponse for a request with the given method.
// The answer to a HEAD request has the same status line and fields,
// Content-Length included, and no body: RFC 9110 §9.3.2 has a server send
// no content in a response to HEAD, and a client would take a body for the
// start of the next response.
func (e *Error) AppendResponseTo(dst []byte, method string) []byte {
	return e.appendResponse(dst, method != http.MethodHead)
}

func (e *Error) appendResponse(dst []byte, withBody bool) []byte {
	status := e.Status
	if status < 100 || status > 999 {
		status = http.StatusInternalServerError
	}
	dst = append(dst, "HTTP/1.1 "...)
	dst = strconv.AppendInt(dst, int64(status), 10)
	dst = append(dst, ' ')
	dst = append(dst, http.StatusText(status)...)
	dst = append(dst, "\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n"...)
	dst = appendExtra(dst, e.Header, errorOwned)
	dst = append(dst, "Content-Length: "...)
	dst = strconv.AppendInt(dst, int64(len(e.Reason)+1), 10)
	dst = append(dst, "\r\n\r\n"...)
	if !withBody {
		return dst
	}
	dst = append(dst, e.Reason...)
	return append(dst, '\n')
}
