package handshake

import (
	"bufio"
	"bytes"
	"errors"
	"net/http"
	"reflect"
	"strings"
	"testing"
)

// FuzzParseRequest is a differential test of the raw parser against
// net/http. For any input it must not panic, and HeadLength, ParseRequest
// and the Request's methods must hold their contracts. When
// http.ReadRequest accepts the input as a request, ParseRequest must read
// the same request, and its checks must reach the verdict CheckRequest and
// CheckOrigin reach on the *http.Request, status, reason and header fields
// alike, with the same subprotocol and extension offers.
//
// Three differences are intended, each because RFC 9112 requires a 400
// where net/http is lenient: obsolete line folding (§5.2) and whitespace
// in a field name (§5.1), which ParseRequest refuses, and a request with a
// body (§6.3), which Request.Check refuses.
func FuzzParseRequest(f *testing.F) {
	f.Add(joinRequest(seedRequest...))
	f.Add(joinRequest(rfcRequest...))
	f.Add(joinRequest(request("", map[string][]string{"Connection": {"Connection: keep-alive, Upgrade"}})...))
	f.Add(joinRequest(request("POST / HTTP/1.1", nil)...))
	f.Add(joinRequest(request("GET / HTTP/1.0", nil)...))
	f.Add(joinRequest(request("GET http://a.example/chat HTTP/1.1", nil)...))
	f.Add(joinRequest(request("CONNECT a.example:443 HTTP/1.1", nil)...))
	f.Add(joinRequest(request("", map[string][]string{"Version": {"Sec-WebSocket-Version: 8"}})...))
	f.Add(joinRequest(request("", map[string][]string{"Key": {"Sec-WebSocket-Key: AAAAAAAAAAAAAAAAAAAA"}})...))
	f.Add(joinRequest(append(request("", nil), "Origin: http://server.example.com", "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits")...))
	f.Add(joinRequest(append(request("", nil), "Origin: https://chat.example.com:8443", "Sec-WebSocket-Protocol: soap, wamp")...))
	f.Add(joinRequest(append(request("", nil), "Content-Length: 3")...))
	f.Add(joinRequest(append(request("", nil), "Transfer-Encoding: chunked")...))
	f.Add(joinRequest(append(request("", nil), "X: a", " folded")...))
	f.Add(joinRequest(append(request("", nil), "Upgrade : websocket")...))
	f.Add([]byte("GET / HTTP/1.1\nHost: h\nUpgrade: websocket\nConnection: upgrade\n\n\x81\x80"))
	f.Add([]byte("GET /%zz?q=%zz HTTP/1.1\r\nHost: h\r\nHost: h\r\n\r\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		// HeadLength measures through the first empty line (RFC 9112
		// §2.1, §2.2): the head ends with LF LF or LF CR LF, or is an
		// empty first line, and no shorter prefix is a head.
		n := HeadLength(data)
		if n > len(data) || n < -1 || n == 0 {
			t.Fatalf("HeadLength(%q) = %d", data, n)
		}
		if n > 0 {
			head := string(data[:n])
			ends := head == "\n" || head == "\r\n" || strings.HasSuffix(head, "\n\n") || strings.HasSuffix(head, "\n\r\n")
			if !ends || HeadLength(data[:n-1]) != -1 {
				t.Fatalf("HeadLength(%q) = %d: %q is not the shortest head", data, n, head)
			}
		}
		var r *Request
		var parseErr error
		if n > 0 {
			r, parseErr = ParseRequest(data[:n])
			if parseErr != nil {
				var herr *Error
				if !errors.As(parseErr, &herr) || herr.Status != http.StatusBadRequest || herr.Reason == "" {
					t.Fatalf("ParseRequest(%q) error %v, want *Error with status 400", data[:n], parseErr)
				}
			} else {
				exerciseRequest(t, r)
			}
		}

		hr, err := http.ReadRequest(bufio.NewReader(bytes.NewReader(data)))
		if err != nil {
			return
		}
		if n < 0 {
			t.Fatalf("net/http read a request from %q, HeadLength found no head", data)
		}
		if parseErr != nil {
			if netHTTPIsLenient(data[:n]) {
				return // the 400 RFC 9112 §5.1 and §5.2 ask for
			}
			t.Fatalf("net/http accepts %q, ParseRequest: %v", data[:n], parseErr)
		}
		if r.Method != hr.Method || r.Target != hr.RequestURI || r.ProtoMajor != hr.ProtoMajor ||
			r.ProtoMinor != hr.ProtoMinor || r.Host != hr.Host {
			t.Fatalf("%q: ParseRequest read %s %s %d.%d Host %q; net/http %s %s %d.%d Host %q", data[:n],
				r.Method, r.Target, r.ProtoMajor, r.ProtoMinor, r.Host,
				hr.Method, hr.RequestURI, hr.ProtoMajor, hr.ProtoMinor, hr.Host)
		}

		want, got := CheckRequest(hr), r.Check()
		if want == nil && (hr.ContentLength != 0 || len(hr.TransferEncoding) > 0) {
			// RFC 9112 §6.3: a body; Request.Check refuses it after the
			// rules of §4.2.1.
			var herr *Error
			if !errors.As(got, &herr) || herr.Status != http.StatusBadRequest {
				t.Fatalf("%q has a body: Request.Check = %v, want 400", data[:n], got)
			}
			return
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("%q: Request.Check = %v, CheckRequest = %v", data[:n], got, want)
		}
		for _, patterns := range [][]string{nil, {"*.example.com", "localhost:*"}, {"*"}} {
			if got, want := r.CheckOrigin(patterns), CheckOrigin(hr, patterns); !reflect.DeepEqual(got, want) {
				t.Fatalf("%q, patterns %q: Request.CheckOrigin = %v, CheckOrigin = %v", data[:n], patterns, got, want)
			}
		}
		if got, want := r.Subprotocols(), Subprotocols(hr.Header); !reflect.DeepEqual(got, want) {
			t.Fatalf("%q: Request.Subprotocols = %q, Subprotocols = %q", data[:n], got, want)
		}
		gotExts, gotErr := r.Extensions()
		wantExts, wantErr := ParseExtensions(hr.Header)
		if !reflect.DeepEqual(gotExts, wantExts) || (gotErr == nil) != (wantErr == nil) {
			t.Fatalf("%q: Request.Extensions = %v, %v; ParseExtensions = %v, %v", data[:n], gotExts, gotErr, wantExts, wantErr)
		}
	})
}

// exerciseRequest runs every method of a parsed Request and checks what
// Parse promises about it.
func exerciseRequest(t *testing.T, r *Request) {
	t.Helper()
	if !isToken(r.Method) || r.Target == "" || r.ProtoMajor > 9 || r.ProtoMinor > 9 {
		t.Fatalf("ParseRequest accepted request line %q %q %d.%d", r.Method, r.Target, r.ProtoMajor, r.ProtoMinor)
	}
	hosts := 0
	for _, f := range r.Fields {
		if !isToken(f.Name) || !ValidHeaderValue(f.Value) || f.Value != trimOWS(f.Value) {
			t.Fatalf("ParseRequest accepted field %q: %q", f.Name, f.Value)
		}
		if equalFoldASCII(f.Name, "Host") {
			hosts++
		}
	}
	if hosts > 1 {
		t.Fatalf("RFC 9112 §3.2: ParseRequest accepted %d Host fields", hosts)
	}
	if err := r.Check(); err == nil {
		if r.Method != "GET" || !ValidKey(r.Get("Sec-WebSocket-Key")) || r.Get("Sec-WebSocket-Version") != "13" {
			t.Fatalf("§4.2.1: Check accepted %+v", r)
		}
	} else if herr := (*Error)(nil); !errors.As(err, &herr) {
		t.Fatalf("Check error %v is %T, not *Error", err, err)
	}
	r.CheckOrigin(nil)
	r.Subprotocols()
	r.Extensions()
	if hr, err := r.HTTPRequest(); err == nil && (hr.Method != r.Method || hr.Host != r.Host) {
		t.Fatalf("HTTPRequest() = %+v for %+v", hr, r)
	}
}

// netHTTPIsLenient reports whether head has obsolete line folding (RFC
// 9112 §5.2) or whitespace in a field name (§5.1), which net/http accepts
// and ParseRequest refuses. It reads the lines on its own, so that it does
// not share a bug with the parser under test.
func netHTTPIsLenient(head []byte) bool {
	lines := bytes.Split(head, []byte("\n"))
	// net/http does not check the percent-escapes of a target in absolute or opaque form
	// ("a:%0"), and takes an empty target after CONNECT, where RFC 3986 §2.1 and RFC 9112 §3.2
	// ask for a valid request-target: ParseRequest answers 400. The request line is split as
	// net/http splits it, at the first two spaces.
	method, rest, _ := bytes.Cut(bytes.TrimSuffix(lines[0], []byte("\r")), []byte(" "))
	if target, _, ok := bytes.Cut(rest, []byte(" ")); ok && !validTarget(string(target)) {
		return true
	} else if ok && string(target) == "*" && string(method) != http.MethodOptions {
		// RFC 9112 §3.2.4: "*" only with OPTIONS; net/http takes "CONNECT *" as a tunnel to
		// the authority "*".
		return true
	}
	for i, line := range lines {
		if i == 0 || len(line) == 0 {
			continue
		}
		if i >= 2 && (line[0] == ' ' || line[0] == '\t') {
			return true
		}
		if name, _, found := bytes.Cut(line, []byte(":")); found && bytes.ContainsAny(name, " ") {
			return true
		}
	}
	return false
}
