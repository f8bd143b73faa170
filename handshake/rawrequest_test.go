package handshake

import (
	"bufio"
	"errors"
	"net/http"
	"reflect"
	"strings"
	"testing"
)

// rfcHead is the client handshake of RFC 6455 §1.2 as it crosses the wire.
var rfcHead = string(joinRequest(rfcRequest...))

func TestHeadLength(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want int
	}{
		{"RFC 9112 §2.1: CRLF head", rfcHead, len(rfcHead)},
		{"RFC 9112 §2.1: frame bytes after the head are not part of it", rfcHead + "\x81\x85", len(rfcHead)},
		{"RFC 9112 §2.2: bare LF line ends", "GET / HTTP/1.1\nHost: h\n\n", 24},
		{"RFC 9112 §2.2: LF line ends, CRLF empty line", "GET / HTTP/1.1\nHost: h\n\r\n", 25},
		{"RFC 9112 §2.2: CRLF line ends, LF empty line", "GET / HTTP/1.1\r\nHost: h\r\n\n", 26},
		{"RFC 9112 §2.1: no empty line yet", "GET / HTTP/1.1\r\nHost: h\r\n", -1},
		{"RFC 9112 §2.1: empty line cut after its CR", "GET / HTTP/1.1\r\nHost: h\r\n\r", -1},
		{"RFC 9112 §2.1: request line only, cut", "GET / HTTP/1.1", -1},
		{"RFC 9112 §2.1: nothing yet", "", -1},
		{"RFC 9112 §2.2: empty first line is a head of its own", "\r\nGET / HTTP/1.1\r\n\r\n", 2},
		{"RFC 9112 §2.2: empty first line, bare LF", "\nGET / HTTP/1.1\r\n\r\n", 1},
		{"RFC 9112 §2.2: a lone CR does not end a line", "GET / HTTP/1.1\r\rHost: h\r\r\n", -1},
	}
	for _, tt := range tests {
		if got := HeadLength([]byte(tt.in)); got != tt.want {
			t.Errorf("%s: HeadLength(%q) = %d, want %d", tt.name, tt.in, got, tt.want)
		}
	}
}

func TestParseRequest(t *testing.T) {
	type fields = []HeaderField
	tests := []struct {
		name   string
		head   string
		status int // 0: parses
		want   *Request
	}{
		{"RFC 6455 §1.2: the example request", rfcHead, ok, &Request{
			Method: "GET", Target: "/chat", ProtoMajor: 1, ProtoMinor: 1, Host: "server.example.com",
			Fields: fields{
				{"Host", "server.example.com"}, {"Upgrade", "websocket"}, {"Connection", "Upgrade"},
				{"Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="}, {"Origin", "http://example.com"},
				{"Sec-WebSocket-Protocol", "chat, superchat"}, {"Sec-WebSocket-Version", "13"},
			},
		}},
		{"RFC 9112 §2.2: bare LF line ends", "GET /a HTTP/1.1\nHost: h\nUpgrade: websocket\n\n", ok, &Request{
			Method: "GET", Target: "/a", ProtoMajor: 1, ProtoMinor: 1, Host: "h",
			Fields: fields{{"Host", "h"}, {"Upgrade", "websocket"}},
		}},
		{"RFC 9112 §5.1: OWS around the value is not part of it", "GET / HTTP/1.1\r\nHost:h\r\nX: \t a b \t\r\nY:\r\n\r\n", ok, &Request{
			Method: "GET", Target: "/", ProtoMajor: 1, ProtoMinor: 1, Host: "h",
			Fields: fields{{"Host", "h"}, {"X", "a b"}, {"Y", ""}},
		}},
		{"RFC 9110 §5.1: names keep their case, repeated fields stay apart", "GET / HTTP/1.1\r\nhOsT: h\r\nX: 1\r\nx: 2\r\n\r\n", ok, &Request{
			Method: "GET", Target: "/", ProtoMajor: 1, ProtoMinor: 1, Host: "h",
			Fields: fields{{"hOsT", "h"}, {"X", "1"}, {"x", "2"}},
		}},
		{"RFC 9110 §5.5: obs-text and HTAB in a value", "GET / HTTP/1.1\r\nX: caf\xc3\xa9\tbar\r\n\r\n", ok, &Request{
			Method: "GET", Target: "/", ProtoMajor: 1, ProtoMinor: 1,
			Fields: fields{{"X", "caf\xc3\xa9\tbar"}},
		}},
		{"RFC 9112 §2.3: HTTP/2.0 on an HTTP/1 request line", "GET / HTTP/2.0\r\n\r\n", ok, &Request{
			Method: "GET", Target: "/", ProtoMajor: 2, ProtoMinor: 0,
		}},
		{"RFC 9112 §3.2.2: absolute form: its authority is the Host", "GET http://a.example:8080/chat HTTP/1.1\r\nHost: b.example\r\n\r\n", ok, &Request{
			Method: "GET", Target: "http://a.example:8080/chat", ProtoMajor: 1, ProtoMinor: 1, Host: "a.example:8080",
			Fields: fields{{"Host", "b.example"}},
		}},
		{"RFC 9112 §3.2.3: authority form of CONNECT", "CONNECT a.example:443 HTTP/1.1\r\nHost: a.example:443\r\n\r\n", ok, &Request{
			Method: "CONNECT", Target: "a.example:443", ProtoMajor: 1, ProtoMinor: 1, Host: "a.example:443",
			Fields: fields{{"Host", "a.example:443"}},
		}},
		{"RFC 9112 §3.2.4: asterisk form", "OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n", ok, &Request{
			Method: "OPTIONS", Target: "*", ProtoMajor: 1, ProtoMinor: 1, Host: "h", Fields: fields{{"Host", "h"}},
		}},
		{"RFC 3986 §2.1: the query's percent-encoding is not checked", "GET /a%2F?q=%zz HTTP/1.1\r\n\r\n", ok, &Request{
			Method: "GET", Target: "/a%2F?q=%zz", ProtoMajor: 1, ProtoMinor: 1,
		}},

		{"RFC 9112 §3.2.4: asterisk form with GET", "GET * HTTP/1.1\r\nHost: h\r\n\r\n", bad, nil},
		{"RFC 9112 §3.2.4: asterisk form with CONNECT (fuzz)", "CONNECT * HTTP/1.0\n\n", bad, nil},
		{"RFC 9112 §3: lower-case version", "GET / http/1.1\r\n\r\n", bad, nil},
		{"RFC 9112 §3: two spaces", "GET  / HTTP/1.1\r\n\r\n", bad, nil},
		{"RFC 9112 §3: tab between the parts", "GET\t/ HTTP/1.1\r\n\r\n", bad, nil},
		{"RFC 9112 §3: trailing space", "GET / HTTP/1.1 \r\n\r\n", bad, nil},
		{"RFC 9112 §3: no version", "GET /\r\n\r\n", bad, nil},
		{"RFC 9112 §3: method not a token", "G(T / HTTP/1.1\r\n\r\n", bad, nil},
		{"RFC 9112 §3: empty method", " / HTTP/1.1\r\n\r\n", bad, nil},
		{"RFC 9112 §2.3: two-digit minor version", "GET / HTTP/1.10\r\n\r\n", bad, nil},
		{"RFC 9112 §2.3: version without minor", "GET / HTTP/1\r\n\r\n", bad, nil},
		{"RFC 9112 §2.3: letter for a digit", "GET / HTTP/1.x\r\n\r\n", bad, nil},
		{"RFC 9112 §3.2: control character in the target", "GET /a\x01b HTTP/1.1\r\n\r\n", bad, nil},
		{"RFC 9112 §3.2: DEL in the target", "GET /a\x7fb HTTP/1.1\r\n\r\n", bad, nil},
		{"RFC 3986 §2.1: bad percent-encoding in the path", "GET /a%zz HTTP/1.1\r\n\r\n", bad, nil},
		{"RFC 3986 §2.1: cut percent-encoding at the end of the path", "GET /a%2 HTTP/1.1\r\n\r\n", bad, nil},
		{"RFC 3986 §2.1: cut percent-encoding before the query", "GET /a%2?x HTTP/1.1\r\n\r\n", bad, nil},
		{"RFC 9112 §3.2.2: absolute form that is not a URI", "GET http://[::1/chat HTTP/1.1\r\n\r\n", bad, nil},
		{"RFC 9112 §3.2: target neither origin nor absolute form", "GET ?x HTTP/1.1\r\n\r\n", bad, nil},
		{"RFC 9112 §2.2: empty first line", "\r\nGET / HTTP/1.1\r\n\r\n", bad, nil},
		{"RFC 9112 §2.2: whitespace before the first field", "GET / HTTP/1.1\r\n Host: h\r\n\r\n", bad, nil},
		{"RFC 9112 §5.2: obs-fold", "GET / HTTP/1.1\r\nHost: h\r\nX: a\r\n b\r\n\r\n", bad, nil},
		{"RFC 9112 §5.2: obs-fold with HTAB", "GET / HTTP/1.1\r\nHost: h\r\nX: a\r\n\tb\r\n\r\n", bad, nil},
		{"RFC 9112 §5.1: whitespace between name and colon", "GET / HTTP/1.1\r\nHost : h\r\n\r\n", bad, nil},
		{"RFC 9112 §5.1: space inside the name", "GET / HTTP/1.1\r\nX Y: h\r\n\r\n", bad, nil},
		{"RFC 9110 §5.1: empty name", "GET / HTTP/1.1\r\n: h\r\n\r\n", bad, nil},
		{"RFC 9110 §5.1: non-ASCII name", "GET / HTTP/1.1\r\nX\xc3\xa9: h\r\n\r\n", bad, nil},
		{"RFC 9112 §5: field line without a colon", "GET / HTTP/1.1\r\nHost\r\n\r\n", bad, nil},
		{"RFC 9110 §5.5: NUL in a value", "GET / HTTP/1.1\r\nX: a\x00b\r\n\r\n", bad, nil},
		{"RFC 9110 §5.5: CR inside a value", "GET / HTTP/1.1\r\nX: a\rb\r\n\r\n", bad, nil},
		{"RFC 9110 §5.5: CR before CRLF", "GET / HTTP/1.1\r\nX: a\r\r\n\r\n", bad, nil},
		{"RFC 9110 §5.5: DEL in a value", "GET / HTTP/1.1\r\nX: a\x7f\r\n\r\n", bad, nil},
		{"RFC 9110 §5.5: ESC in a value", "GET / HTTP/1.1\r\nX: \x1b[31m\r\n\r\n", bad, nil},
		{"RFC 9112 §3.2: two Host fields", "GET / HTTP/1.1\r\nHost: a\r\nhost: a\r\n\r\n", bad, nil},
		{"RFC 9112 §2.1: no empty line", "GET / HTTP/1.1\r\nHost: h\r\n", bad, nil},
		{"RFC 9112 §2.1: nothing at all", "", bad, nil},
		{"RFC 9112 §2.1: bytes after the head", "GET / HTTP/1.1\r\nHost: h\r\n\r\nx", bad, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := ParseRequest([]byte(tt.head))
			if tt.status != ok {
				checkVerdict(t, "ParseRequest", err, tt.status, nil)
				return
			}
			if err != nil {
				t.Fatalf("ParseRequest(%q): %v", tt.head, err)
			}
			if !reflect.DeepEqual(r, tt.want) {
				t.Errorf("ParseRequest(%q) =\n%+v, want\n%+v", tt.head, r, tt.want)
			}
		})
	}
}

// TestRequestParseReuses checks that Parse replaces everything a Request
// held, and reuses its Fields.
func TestRequestParseReuses(t *testing.T) {
	var r Request
	if err := r.Parse([]byte(rfcHead)); err != nil {
		t.Fatal(err)
	}
	first := &r.Fields[0]
	if err := r.Parse([]byte("POST /x HTTP/1.0\r\nA: b\r\n\r\n")); err != nil {
		t.Fatal(err)
	}
	want := Request{Method: "POST", Target: "/x", ProtoMajor: 1, ProtoMinor: 0, Fields: []HeaderField{{"A", "b"}}}
	if !reflect.DeepEqual(r, want) {
		t.Errorf("after a second Parse: %+v, want %+v", r, want)
	}
	if &r.Fields[0] != first {
		t.Error("the second Parse did not reuse Fields")
	}
}

// rawHead returns a request given as lines as it crosses the wire.
func rawHead(lines ...string) []byte { return joinRequest(lines...) }

// TestRequestCheck runs the cases of CheckRequest through ParseRequest and
// Request.Check: the same rules must give the same verdicts.
func TestRequestCheck(t *testing.T) {
	for _, tt := range checkRequestCases {
		t.Run(tt.name, func(t *testing.T) {
			r, err := ParseRequest(rawHead(tt.lines...))
			if err != nil {
				t.Fatalf("ParseRequest: %v", err)
			}
			checkVerdict(t, "Request.Check", r.Check(), tt.status, tt.header)
		})
	}
}

// TestRequestCheckBody covers rule 8 of CheckRequest, no body (§4.1; RFC
// 9112 §6.3), through both checks: Request.Check on the raw fields, and
// CheckRequest on the request net/http parsed. A head that net/http refuses
// to parse is answered 400 by net/http itself.
func TestRequestCheckBody(t *testing.T) {
	tests := []struct {
		name   string
		extra  []string
		status int
	}{
		{"RFC 9112 §6.3: Content-Length: 0 is no body", []string{"Content-Length: 0"}, ok},
		{"RFC 9112 §6.3: Content-Length: 00 is no body", []string{"Content-Length: 00"}, ok},
		{"RFC 9112 §6.3: Content-Length: 5", []string{"Content-Length: 5"}, bad},
		{"RFC 9112 §6.3: Content-Length: 0 then 5", []string{"Content-Length: 0", "Content-Length: 5"}, bad},
		{"RFC 9112 §6.3: empty Content-Length", []string{"Content-Length:"}, bad},
		{"RFC 9112 §6.3: Content-Length not a number", []string{"Content-Length: -0"}, bad},
		{"RFC 9112 §6.1: Transfer-Encoding: chunked", []string{"Transfer-Encoding: chunked"}, bad},
		{"RFC 9112 §6.1: Transfer-Encoding in any case", []string{"transfer-encoding: gzip"}, bad},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := ParseRequest(rawHead(append(request("", nil), tt.extra...)...))
			if err != nil {
				t.Fatal(err)
			}
			checkVerdict(t, "Request.Check", r.Check(), tt.status, nil)

			raw := string(rawHead(append(request("", nil), tt.extra...)...))
			hr, err := http.ReadRequest(bufio.NewReader(strings.NewReader(raw)))
			if err != nil {
				if tt.status != bad {
					t.Fatalf("http.ReadRequest: %v", err)
				}
				return
			}
			checkVerdict(t, "CheckRequest", CheckRequest(hr), tt.status, nil)
		})
	}
	// The §4.2.1 rules come first: a POST with a body is told 405.
	r, err := ParseRequest(rawHead(append(request("POST /chat HTTP/1.1", nil), "Content-Length: 5")...))
	if err != nil {
		t.Fatal(err)
	}
	checkVerdict(t, "Request.Check", r.Check(), notAllowed, map[string]string{"Allow": "GET"})
}

// TestRequestCheckOrigin runs the cases of CheckOrigin through
// ParseRequest and Request.CheckOrigin.
func TestRequestCheckOrigin(t *testing.T) {
	for _, tt := range checkOriginCases {
		t.Run(tt.name, func(t *testing.T) {
			lines := []string{"GET /chat HTTP/1.1", "Host: " + tt.host}
			for _, o := range tt.origin {
				lines = append(lines, "Origin: "+o)
			}
			for _, o := range tt.old {
				lines = append(lines, "Sec-WebSocket-Origin: "+o)
			}
			r, err := ParseRequest(rawHead(lines...))
			if err != nil {
				t.Fatalf("ParseRequest: %v", err)
			}
			status := http.StatusForbidden
			if tt.allowed {
				status = ok
			}
			checkVerdict(t, "Request.CheckOrigin", r.CheckOrigin(tt.patterns), status, nil)
		})
	}
}

func TestRequestOffers(t *testing.T) {
	head := rawHead(append(request("", nil),
		"Sec-WebSocket-Protocol: soap, wamp",
		"sec-websocket-protocol: ,mqtt",
		"Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits, x-foo; a=\"1\"",
		"Sec-WebSocket-Extensions: permessage-deflate",
	)...)
	r, err := ParseRequest(head)
	if err != nil {
		t.Fatal(err)
	}
	h := readRequest(t, strings.Split(strings.TrimSuffix(string(head), "\r\n\r\n"), "\r\n")...).Header

	// §4.1 item 10, §11.3.4: the seed's offer, "soap, wamp", and one more line.
	protocols := r.Subprotocols()
	if want := []string{"soap", "wamp", "mqtt"}; !reflect.DeepEqual(protocols, want) {
		t.Errorf("Subprotocols() = %q, want %q", protocols, want)
	}
	if want := Subprotocols(h); !reflect.DeepEqual(protocols, want) {
		t.Errorf("Subprotocols() = %q, but Subprotocols(http.Header) = %q", protocols, want)
	}
	if got := SelectSubprotocol(protocols, []string{"wamp"}); got != "wamp" {
		t.Errorf("§4.2.2 item 5.4: selected %q, want wamp", got)
	}

	// §9.1: the same list as ParseExtensions reads from an http.Header.
	exts, err := r.Extensions()
	if err != nil {
		t.Fatal(err)
	}
	want, err := ParseExtensions(h)
	if err != nil {
		t.Fatal(err)
	}
	if len(exts) != 3 || !reflect.DeepEqual(exts, want) {
		t.Errorf("Extensions() = %+v, ParseExtensions = %+v", exts, want)
	}

	r.Fields = append(r.Fields, HeaderField{"Sec-WebSocket-Extensions", "a;;"})
	if _, err := r.Extensions(); !errors.Is(err, ErrBadExtensions) {
		t.Errorf("§9.1: malformed offer: Extensions() error = %v, want ErrBadExtensions", err)
	}
}

func TestRequestGet(t *testing.T) {
	r, err := ParseRequest([]byte("GET / HTTP/1.1\r\nX-A: 1\r\nx-a: 2\r\n\r\n"))
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]string{"X-A": "1", "x-A": "1", "X-B": ""} {
		if got := r.Get(name); got != want {
			t.Errorf("Get(%q) = %q, want %q", name, got, want)
		}
	}
}

func TestRequestHasToken(t *testing.T) {
	r, err := ParseRequest([]byte("GET / HTTP/1.1\r\nConnection: keep-alive, Upgrade\r\n" +
		"Upgrade: h2c\r\nupgrade: WebSocket\r\n\r\n"))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name, token string
		want        bool
	}{
		{"Connection", "upgrade", true},              // §4.2.1 item 4: one token of a list
		{"Connection", "keep-alive", true},           // the first of the list
		{"upgrade", "websocket", true},               // §4.2.1 item 3: in the second Upgrade field, any case
		{"Upgrade", "h2c", true},                     // another protocol's upgrade is a token too
		{"Upgrade", "web", false},                    // a prefix is not a token
		{"Connection", "keep-alive, Upgrade", false}, // nor is the whole list
		{"Sec-WebSocket-Key", "x", false},            // no such field
	} {
		if got := r.HasToken(c.name, c.token); got != c.want {
			t.Errorf("HasToken(%q, %q) = %v, want %v", c.name, c.token, got, c.want)
		}
	}
}

func TestRequestHTTPRequest(t *testing.T) {
	r, err := ParseRequest([]byte(rfcHead))
	if err != nil {
		t.Fatal(err)
	}
	hr, err := r.HTTPRequest()
	if err != nil {
		t.Fatal(err)
	}
	// What net/http's server hands a handler for the same bytes (it moves
	// Host out of the header).
	want, err := http.ReadRequest(bufio.NewReader(strings.NewReader(rfcHead)))
	if err != nil {
		t.Fatal(err)
	}
	want.Header.Del("Host")
	if hr.Method != want.Method || hr.URL.String() != want.URL.String() || hr.Proto != want.Proto ||
		hr.ProtoMajor != 1 || hr.ProtoMinor != 1 || hr.Host != want.Host || hr.RequestURI != want.RequestURI ||
		!reflect.DeepEqual(hr.Header, want.Header) || hr.Body != http.NoBody {
		t.Errorf("HTTPRequest() = %+v,\nwant %+v", hr, want)
	}
	if err := CheckRequest(hr); err != nil {
		t.Errorf("CheckRequest(HTTPRequest()) = %v", err)
	}

	// RFC 9112 §3.2.3: the authority form of CONNECT is a host, not a path.
	r, err = ParseRequest([]byte("CONNECT a.example:443 HTTP/1.1\r\nHost: a.example:443\r\n\r\n"))
	if err != nil {
		t.Fatal(err)
	}
	if hr, err = r.HTTPRequest(); err != nil || hr.URL.Host != "a.example:443" || hr.URL.Path != "" {
		t.Errorf("CONNECT: HTTPRequest() URL = %+v, %v", hr.URL, err)
	}
}

func TestRequestAllocs(t *testing.T) {
	head := rawHead(request("", nil)...)
	var r Request
	allocs := testing.AllocsPerRun(100, func() {
		if err := r.Parse(head); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 1 {
		t.Errorf("Parse allocates %v times, want 1 (the head as a string)", allocs)
	}
	allocs = testing.AllocsPerRun(100, func() {
		if err := r.Check(); err != nil {
			t.Fatal(err)
		}
		if err := r.CheckOrigin([]string{"example.com"}); err != nil { // no Origin: not a browser
			t.Fatal(err)
		}
		if r.Get("Sec-WebSocket-Key") == "" {
			t.Fatal("no key")
		}
	})
	if allocs != 0 {
		t.Errorf("Check, CheckOrigin and Get of a valid request allocate %v times, want 0", allocs)
	}
}

func TestErrorAppendResponse(t *testing.T) {
	tests := []struct {
		name   string
		err    *Error
		status int
		header map[string][]string
	}{
		{"RFC 6455 §4.2.1: 400", badRequest("missing Sec-WebSocket-Key header"), 400, nil},
		{"RFC 6455 §4.2.2 item 4, RFC 9110 §15.5.22: 426 names the protocol and version", upgradeRequired("use 13"), 426,
			map[string][]string{"Upgrade": {"websocket"}, "Sec-Websocket-Version": {"13"}}},
		{"RFC 9110 §15.5.6: 405 with Allow", &Error{Status: 405, Reason: "GET only", Header: http.Header{"Allow": {"GET"}}}, 405,
			map[string][]string{"Allow": {"GET"}}},
		{"RFC 6585 §5: 431", &Error{Status: 431, Reason: "too large"}, 431, nil},
		{"status out of range is 500", &Error{Status: 42, Reason: "?"}, 500, nil},
		{"RFC 9112 §6.3: no second Content-Length, no injected line", &Error{Status: 403, Reason: "no", Header: http.Header{
			"Content-Length": {"999"}, "X-Evil": {"a\r\nInjected: 1"}, "Content-Type": {"text/html"},
		}}, 403, map[string][]string{"Content-Type": {"text/plain; charset=utf-8"}, "Injected": nil, "X-Evil": nil}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			raw := tt.err.AppendResponse([]byte("prefix"))
			if !strings.HasPrefix(string(raw), "prefixHTTP/1.1 ") {
				t.Fatalf("response %q does not follow dst", raw)
			}
			resp, err := http.ReadResponse(bufio.NewReader(strings.NewReader(string(raw[len("prefix"):]))), nil)
			if err != nil {
				t.Fatalf("http.ReadResponse(%q): %v", raw, err)
			}
			if resp.StatusCode != tt.status {
				t.Errorf("status %d, want %d", resp.StatusCode, tt.status)
			}
			if got := resp.Header.Get("Content-Type"); got != "text/plain; charset=utf-8" {
				t.Errorf("Content-Type %q", got)
			}
			// RFC 9112 §9.6: the server closes the connection after the
			// response. (net/http takes "close" out of resp.Header.)
			if !resp.Close {
				t.Error("no Connection: close")
			}
			// RFC 9110 §7.8: a 426 keeps its own "Connection: Upgrade" too.
			if _, hasUpgrade := tt.err.Header["Upgrade"]; hasUpgrade && !strings.Contains(string(raw), "\r\nConnection: Upgrade\r\n") {
				t.Errorf("426 without Connection: Upgrade: %q", raw)
			}
			body := make([]byte, 100)
			n, _ := resp.Body.Read(body)
			if string(body[:n]) != tt.err.Reason+"\n" || resp.ContentLength != int64(n) {
				t.Errorf("body %q (Content-Length %d), want the reason %q and a newline", body[:n], resp.ContentLength, tt.err.Reason)
			}
			for name, want := range tt.header {
				if got := resp.Header[name]; !reflect.DeepEqual(got, want) {
					t.Errorf("%s: %q, want %q", name, got, want)
				}
			}
		})
	}
}
