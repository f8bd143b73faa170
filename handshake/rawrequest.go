package handshake

import (
	"bytes"
	"io"
	"net/http"
	"net/textproto"
	"net/url"
	"strconv"
	"strings"
)

// This file reads an opening handshake request straight from the bytes a
// client sent, for servers that take connections from a net.Listener
// themselves instead of through net/http. The request is an HTTP/1.1
// request head (RFC 9112 §2.1):
//
//	request-line   = method SP request-target SP HTTP-version CRLF   (§3)
//	*( field-line CRLF )                                             (§5)
//	CRLF
//
// No http.Header map is built: the fields stay a list of strings cut out
// of one copy of the head, and the rules of the handshake read them
// through the same fieldView as they read an http.Header.

// Header field names that only the raw parser needs, in canonical form.
const (
	hdrContentLength    = "Content-Length"
	hdrTransferEncoding = "Transfer-Encoding"
)

// HeaderField is one header field line of a request (RFC 9112 §5).
type HeaderField struct {
	Name  string // as sent; field names are case-insensitive (RFC 9110 §5.1)
	Value string // without the optional whitespace around it (RFC 9112 §5.1)
}

// Request is an HTTP/1.1 request head parsed by [ParseRequest] from the
// bytes a client sent, without net/http: what a server needs to answer an
// opening handshake on a connection it accepted itself.
//
// Its methods apply the same rules as the functions of this package that
// take an *http.Request or an http.Header: [Request.Check] those of
// [CheckRequest], [Request.CheckOrigin] those of [CheckOrigin], and so
// on.
type Request struct {
	Method     string // such as "GET"; methods are case-sensitive (RFC 9110 §9.1)
	Target     string // the request-target (RFC 9112 §3.2), such as "/chat?room=1"
	ProtoMajor int    // 1 for "HTTP/1.1"
	ProtoMinor int    // 1 for "HTTP/1.1"

	// Host is the value of the Host field, or, when the request-target is
	// in absolute form ("GET http://example.com/chat HTTP/1.1"), its
	// authority, which RFC 9112 §3.2.2 makes win over the Host field; for
	// CONNECT, the authority that is its target (§3.2.3).
	Host string

	// Fields are the header fields in the order they were sent, Host
	// included. A field sent on several lines appears once per line.
	Fields []HeaderField
}

// HeadLength returns the length of the request head at the start of b —
// the request line and the header field lines, through the empty line
// that ends them — or -1 if b does not hold a whole head yet. A server
// reads until HeadLength is not -1; the bytes after the head are the
// first WebSocket frames.
//
// Lines end with CRLF, or with a bare LF, which RFC 9112 §2.2 lets a
// recipient accept, so the empty line is an LF that follows another LF
// either at once or after a CR. An empty first line is a head of its own,
// which ParseRequest refuses: RFC 9112 §2.2 asks servers to skip empty
// lines before a request line only for the sake of clients that send a
// stray CRLF after a request body, and a WebSocket handshake is the first
// request on its connection.
func HeadLength(b []byte) int {
	if n := emptyLineLength(b); n > 0 {
		return n
	}
	for start := 0; ; {
		i := bytes.IndexByte(b[start:], '\n')
		if i < 0 {
			return -1
		}
		start += i + 1
		if n := emptyLineLength(b[start:]); n > 0 {
			return start + n
		}
	}
}

// emptyLineLength returns 2 if b starts with CRLF, 1 if it starts with LF,
// and 0 otherwise.
func emptyLineLength(b []byte) int {
	switch {
	case len(b) >= 1 && b[0] == '\n':
		return 1
	case len(b) >= 2 && b[0] == '\r' && b[1] == '\n':
		return 2
	}
	return 0
}

// ParseRequest parses head, a request head as measured by [HeadLength],
// into a new Request. See [Request.Parse].
func ParseRequest(head []byte) (*Request, error) {
	r := new(Request)
	if err := r.Parse(head); err != nil {
		return nil, err
	}
	return r, nil
}

// Parse parses head, the request line and header field lines of an
// HTTP/1.1 request through the empty line that ends them, into r. It
// replaces what r held but reuses the capacity of r.Fields, so a Request
// kept for the next connection parses with a single allocation: one copy
// of head as a string, of which every string in r is a part.
//
// A malformed head gives an *[Error] with status 400 Bad Request, which
// is what RFC 9112 asks of a server in each case:
//
//   - the request line is not method SP request-target SP HTTP-version,
//     the method is not a token, the version is not "HTTP/" DIGIT "."
//     DIGIT (§3, §2.3), or the request-target has control characters or
//     a bad percent-encoding (§3.2, RFC 3986 §2.1);
//   - a line starts with whitespace: obsolete line folding (obs-fold,
//     §5.2) or whitespace before the first field (§2.2);
//   - a field line has no colon, or its name is not a token, which
//     includes whitespace before the colon (§5.1);
//   - a field value holds a control character other than HTAB, such as
//     NUL or a CR that does not end its line (RFC 9110 §5.5);
//   - there is more than one Host field (§3.2);
//   - head does not end with the empty line, or goes on after it.
func (r *Request) Parse(head []byte) error {
	*r = Request{Fields: r.Fields[:0]}
	s := string(head)
	line, rest, ok := nextLine(s)
	if !ok {
		return badRequest("the request head does not end with an empty line")
	}
	if err := r.parseRequestLine(line); err != nil {
		return err
	}
	for {
		if strings.HasPrefix(rest, "\n") {
			rest = rest[1:]
			break
		}
		if strings.HasPrefix(rest, "\r\n") {
			rest = rest[2:]
			break
		}
		var field HeaderField
		var err error
		if field, rest, err = parseFieldLine(rest); err != nil {
			return err
		}
		r.Fields = append(r.Fields, field)
	}
	if rest != "" {
		return badRequest("bytes after the end of the request head")
	}

	host, n := fieldsView(r.Fields).first(hdrHost)
	if n > 1 {
		// RFC 9112 §3.2: "A server MUST respond with a 400 (Bad Request)
		// status code to any ... request message that contains more than
		// one Host header field line".
		return badRequest("more than one Host header")
	}
	r.Host = host
	switch r.targetForm() {
	case asteriskForm:
		if r.Method != http.MethodOptions {
			// RFC 9112 §3.2.4: the asterisk-form is only for a server-wide OPTIONS.
			return badRequest("a request-target of * with a method other than OPTIONS")
		}
	case authorityForm:
		r.Host = r.Target
	case absoluteForm:
		// RFC 9112 §3.2.2: the target's authority replaces the Host
		// field. Only this rare form costs a URL parse.
		u, err := url.ParseRequestURI(r.Target)
		if err != nil {
			return badRequest("invalid request-target")
		}
		if u.Host != "" {
			r.Host = u.Host
		}
	}
	return nil
}

// nextLine cuts the first line off s. The line is returned without its
// CRLF or bare LF (RFC 9112 §2.2); ok is false if s has no LF.
func nextLine(s string) (line, rest string, ok bool) {
	i := strings.IndexByte(s, '\n')
	if i < 0 {
		return "", s, false
	}
	line, rest = s[:i], s[i+1:]
	if strings.HasSuffix(line, "\r") {
		line = line[:len(line)-1]
	}
	return line, rest, true
}

// parseRequestLine parses method SP request-target SP HTTP-version (RFC
// 9112 §3). Like net/http, it splits at single spaces; any other
// whitespace makes one of the three parts invalid.
func (r *Request) parseRequestLine(line string) error {
	method, rest, ok1 := strings.Cut(line, " ")
	target, version, ok2 := strings.Cut(rest, " ")
	if !ok1 || !ok2 {
		return badRequest("malformed request line")
	}
	if !isToken(method) {
		return badRequest("invalid method")
	}
	if !validTarget(target) {
		return badRequest("invalid request-target")
	}
	major, minor, ok := parseHTTPVersion(version)
	if !ok {
		return badRequest("malformed HTTP version")
	}
	r.Method, r.Target, r.ProtoMajor, r.ProtoMinor = method, target, major, minor
	return nil
}

// parseHTTPVersion parses HTTP-version = "HTTP/" DIGIT "." DIGIT (RFC 9112
// §2.3); "HTTP" is case-sensitive.
func parseHTTPVersion(v string) (major, minor int, ok bool) {
	if len(v) != len("HTTP/1.1") || v[:5] != "HTTP/" || v[6] != '.' || !isDigit(v[5]) || !isDigit(v[7]) {
		return 0, 0, false
	}
	return int(v[5] - '0'), int(v[7] - '0'), true
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// validTarget reports whether target can be a request-target (RFC 9112
// §3.2): not empty, no control characters or spaces, and in its path
// every '%' starts a percent-encoded octet (RFC 3986 §2.1). The query is
// not checked: it is the application's.
func validTarget(target string) bool {
	if target == "" {
		return false
	}
	path := target
	if i := strings.IndexByte(target, '?'); i >= 0 {
		path = target[:i]
	}
	for i := 0; i < len(target); i++ {
		c := target[i]
		if c <= ' ' || c == 0x7f {
			return false
		}
		if c == '%' && i < len(path) && (i+2 >= len(path) || !isHexDigit(path[i+1]) || !isHexDigit(path[i+2])) {
			return false
		}
	}
	return true
}

func isHexDigit(c byte) bool {
	return isDigit(c) || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// The four forms of a request-target (RFC 9112 §3.2).
const (
	originForm    = iota // "/chat?room=1" (§3.2.1), what a WebSocket client sends
	absoluteForm         // "http://example.com/chat" (§3.2.2), sent to proxies
	authorityForm        // "example.com:443", only with CONNECT (§3.2.3)
	asteriskForm         // "*", only with OPTIONS (§3.2.4)
)

// targetForm returns the form of r's request-target, which is not empty.
func (r *Request) targetForm() int {
	switch {
	case r.Target[0] == '/':
		return originForm
	case r.Target == "*":
		return asteriskForm
	case r.Method == http.MethodConnect:
		return authorityForm
	}
	return absoluteForm
}

// parseFieldLine parses the field line at the start of s, field-name ":"
// OWS field-value OWS (RFC 9112 §5), and returns the rest of s after the
// line's end. It reads each byte once: the name while it is a token, then
// the value, checking it, up to the LF.
func parseFieldLine(s string) (field HeaderField, rest string, err error) {
	if s == "" {
		return HeaderField{}, "", badRequest("the request head does not end with an empty line")
	}
	if s[0] == ' ' || s[0] == '\t' {
		// RFC 9112 §5.2: a server receiving obs-fold "MUST either reject
		// the message by sending a 400 (Bad Request) ... or replace each
		// received obs-fold with one or more SP". §2.2: whitespace
		// between the request line and the first field is to be
		// rejected or ignored with the line. Rejecting is the safe
		// choice: a proxy in front of us may have read the line
		// differently.
		return HeaderField{}, "", badRequest("a header line starts with whitespace (obsolete line folding)")
	}
	colon := 0
	for colon < len(s) && isTokenChar(s[colon]) {
		colon++
	}
	switch {
	case colon == len(s) || s[colon] == '\r' || s[colon] == '\n':
		return HeaderField{}, "", badRequest("a header line has no colon")
	case colon == 0 || s[colon] != ':':
		// RFC 9110 §5.1: field-name = token. RFC 9112 §5.1: "A server
		// MUST reject, with a response status code of 400 (Bad
		// Request), any received request message that contains
		// whitespace between a header field name and colon."
		return HeaderField{}, "", badRequest("invalid header field name")
	}
	end := colon + 1
	for ; end < len(s) && s[end] != '\n'; end++ {
		if c := s[end]; c < ' ' && c != '\t' || c == 0x7f {
			if c == '\r' && end+1 < len(s) && s[end+1] == '\n' {
				continue // the CR of the line's CRLF
			}
			// RFC 9110 §5.5: CR, LF and NUL "are invalid and dangerous"
			// in a field value; the other controls are not field-vchar
			// either.
			return HeaderField{}, "", badRequest("invalid character in a header field value")
		}
	}
	if end == len(s) {
		return HeaderField{}, "", badRequest("the request head does not end with an empty line")
	}
	rest = s[end+1:]
	if s[end-1] == '\r' {
		end--
	}
	return HeaderField{Name: s[:colon], Value: trimOWS(s[colon+1 : end])}, rest, nil
}

// Get returns the value of the first field named name, compared
// case-insensitively, or "" if there is none.
func (r *Request) Get(name string) string {
	v, _ := fieldsView(r.Fields).first(name)
	return v
}

// HasToken reports whether the list-valued field name of r contains token, as [HasToken] does
// for an http.Header: compared case-insensitively in ASCII, across all the fields of that name.
// A server that routes requests itself asks HasToken("Upgrade", "websocket") to tell a
// WebSocket handshake (§4.2.1 item 3) from another protocol's upgrade, such as h2c.
func (r *Request) HasToken(name, token string) bool {
	return hasToken(fieldsView(r.Fields), name, token)
}

// Check applies the server-side rules of RFC 6455 §4.2.1 to r, in the
// order and with the statuses of [CheckRequest], which see. It returns
// nil if r is a valid opening handshake, or an *[Error].
//
// The last rule, no body, reads the Transfer-Encoding and Content-Length
// fields themselves (RFC 9112 §6.3), since no net/http has parsed them.
//
// Check does not allocate when the request is valid.
func (r *Request) Check() error {
	fields := fieldsView(r.Fields)
	if err := checkRequest(r.Method, r.ProtoMajor, r.ProtoMinor, r.Host, fields); err != nil {
		return err
	}
	if _, n := fields.first(hdrTransferEncoding); n > 0 {
		return badRequest(reasonBodyTransferEncoding)
	}
	it := fields.values(hdrContentLength)
	for v, ok := it.next(); ok; v, ok = it.next() {
		if strings.Trim(v, "0") != "" || v == "" {
			return badRequest(reasonBodyContentLength)
		}
	}
	return nil
}

// CheckOrigin applies the origin policy of [CheckOrigin] to r, with r.Host
// as the server's own host.
func (r *Request) CheckOrigin(patterns []string) error {
	return checkOrigin(fieldsView(r.Fields), r.Host, patterns)
}

// Subprotocols returns the subprotocols the client offered in
// Sec-WebSocket-Protocol, as [Subprotocols] does for an http.Header.
func (r *Request) Subprotocols() []string {
	return tokens(fieldsView(r.Fields), hdrProtocol)
}

// Extensions parses the extensions the client offered in
// Sec-WebSocket-Extensions, as [ParseExtensions] does for an http.Header.
func (r *Request) Extensions() ([]Extension, error) {
	return parseExtensions(fieldsView(r.Fields))
}

// HTTPRequest returns r as an *http.Request like the one net/http hands a
// handler: URL parsed from the target, header fields in an http.Header
// under canonical names, the Host field moved to Host, and no body. It
// is for APIs that take an *http.Request, such as an origin check
// written for net/http; the caller fills in what the head does not hold,
// such as RemoteAddr and TLS.
func (r *Request) HTTPRequest() (*http.Request, error) {
	var u *url.URL
	if r.Target != "" && r.targetForm() == authorityForm {
		u = &url.URL{Host: r.Target}
	} else {
		var err error
		if u, err = url.ParseRequestURI(r.Target); err != nil {
			return nil, badRequest("invalid request-target")
		}
	}
	header := make(http.Header, len(r.Fields))
	for _, f := range r.Fields {
		if equalFoldASCII(f.Name, hdrHost) {
			continue
		}
		name := textproto.CanonicalMIMEHeaderKey(f.Name)
		header[name] = append(header[name], f.Value)
	}
	return &http.Request{
		Method:     r.Method,
		URL:        u,
		Proto:      "HTTP/" + string(rune('0'+r.ProtoMajor)) + "." + string(rune('0'+r.ProtoMinor)),
		ProtoMajor: r.ProtoMajor,
		ProtoMinor: r.ProtoMinor,
		Header:     header,
		Body:       http.NoBody,
		Host:       r.Host,
		RequestURI: r.Target,
	}, nil
}

// ReadHead reads from r until it holds a whole request head (see [HeadLength]) and returns the
// head and the bytes read after it, which on a WebSocket connection are the start of the first
// frame. It reads into buf, and moves to a larger buffer only for a head that needs it; the head
// must end within the first limit bytes, or ReadHead returns an *[Error] with status 431 Request
// Header Fields Too Large (RFC 6585 §5). A server bounds the time it waits with a deadline on r.
func ReadHead(r io.Reader, buf []byte, limit int) (head, rest []byte, err error) {
	buf = buf[:min(len(buf), limit)]
	n := 0
	for {
		if n == len(buf) {
			if n >= limit {
				return nil, nil, &Error{
					Status: http.StatusRequestHeaderFieldsTooLarge,
					Reason: "the request head is larger than " + strconv.Itoa(limit) + " bytes",
				}
			}
			larger := make([]byte, min(max(2*len(buf), 512), limit))
			copy(larger, buf[:n])
			buf = larger
		}
		m, err := r.Read(buf[n:])
		n += m
		if h := HeadLength(buf[:n]); h >= 0 {
			return buf[:h], buf[h:n], nil
		}
		if err != nil {
			if err == io.EOF && n > 0 {
				err = io.ErrUnexpectedEOF
			}
			return nil, nil, err
		}
	}
}
