package handshake

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
)

// readResponse parses a response written as its lines, without the CRLFs
// and the blank line that ends it.
func readResponse(t testing.TB, lines ...string) *http.Response {
	t.Helper()
	raw := strings.Join(lines, "\r\n") + "\r\n\r\n"
	resp, err := http.ReadResponse(bufio.NewReader(strings.NewReader(raw)), nil)
	if err != nil {
		t.Fatalf("http.ReadResponse(%q): %v", raw, err)
	}
	return resp
}

// seedResponse is the server's answer in this project's seed document.
var seedResponse = []string{
	"HTTP/1.1 101 Switching Protocols",
	"Upgrade: WebSocket",
	"Connection: Upgrade",
	"Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=",
	"Sec-WebSocket-Protocol: wamp",
}

// response returns a valid answer to rfcKey, with status as its status
// line (if not "") and lines added. A line "Name: value" replaces the
// default line of that field; a line "-Name" deletes it.
func response(status string, lines ...string) []string {
	if status == "" {
		status = "HTTP/1.1 101 Switching Protocols"
	}
	out := []string{status}
	for _, l := range []string{"Upgrade: websocket", "Connection: Upgrade", "Sec-WebSocket-Accept: " + rfcAccept} {
		name, _, _ := strings.Cut(l, ":")
		if !slices.ContainsFunc(lines, func(x string) bool { return strings.HasPrefix(x, name+":") || x == "-"+name }) {
			out = append(out, l)
		}
	}
	for _, l := range lines {
		if !strings.HasPrefix(l, "-") {
			out = append(out, l)
		}
	}
	return out
}

func TestCheckResponse(t *testing.T) {
	offered := []string{"soap", "wamp"}
	deflate := []string{"permessage-deflate"}
	tests := []struct {
		name       string
		lines      []string
		protocols  []string
		extensions []string
		want       error // nil: accepted
	}{
		{"seed document's response", seedResponse, offered, nil, nil},
		{"§1.2 example response", []string{
			"HTTP/1.1 101 Switching Protocols", "Upgrade: websocket", "Connection: Upgrade",
			"Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", "Sec-WebSocket-Protocol: chat",
		}, []string{"chat", "superchat"}, nil, nil},
		{"§4.1: minimal response", response(""), nil, nil, nil},
		{"§4.1: mosquitto's Upgrade: WebSocket", response("", "Upgrade: WebSocket"), nil, nil, nil},
		{"§4.1: Connection: upgrade, keep-alive", response("", "Connection: upgrade, keep-alive"), nil, nil, nil},

		{"§4.1: 200 OK", response("HTTP/1.1 200 OK"), nil, nil, ErrBadStatus},
		{"§4.1: 302 redirect is not followed", response("HTTP/1.1 302 Found", "Location: /elsewhere"), nil, nil, ErrBadStatus},
		{"§4.1: 426 from the server", response("HTTP/1.1 426 Upgrade Required"), nil, nil, ErrBadStatus},

		{"§4.1: no Upgrade", response("", "-Upgrade"), nil, nil, ErrBadUpgrade},
		{"§4.1: Upgrade: h2c", response("", "Upgrade: h2c"), nil, nil, ErrBadUpgrade},
		{"§4.1: no Connection", response("", "-Connection"), nil, nil, ErrBadConnection},
		{"§4.1: Connection: keep-alive", response("", "Connection: keep-alive"), nil, nil, ErrBadConnection},

		{"§4.1: no Sec-WebSocket-Accept", response("", "-Sec-WebSocket-Accept"), nil, nil, ErrBadAccept},
		{"§4.1: wrong Sec-WebSocket-Accept", response("", "Sec-WebSocket-Accept: "+AcceptKey("AAAAAAAAAAAAAAAAAAAAAA==")), nil, nil, ErrBadAccept},
		{"§4.1: Sec-WebSocket-Accept is compared exactly", response("", "Sec-WebSocket-Accept: "+strings.ToLower(rfcAccept)), nil, nil, ErrBadAccept},
		{"§4.1: the key itself is not the answer", response("", "Sec-WebSocket-Accept: "+rfcKey), nil, nil, ErrBadAccept},
		{"§4.1: two Sec-WebSocket-Accept lines", response("", "Sec-WebSocket-Accept: "+rfcAccept, "Sec-WebSocket-Accept: "+rfcAccept), nil, nil, ErrBadAccept},

		{"§4.1, §4.2.2 item 5.5: subprotocol the client did not offer", response("", "Sec-WebSocket-Protocol: mqtt"), offered, nil, ErrBadSubprotocol},
		{"§4.1: subprotocol when the client offered none", response("", "Sec-WebSocket-Protocol: wamp"), nil, nil, ErrBadSubprotocol},
		{"§11.5: subprotocol in another case", response("", "Sec-WebSocket-Protocol: WAMP"), offered, nil, ErrBadSubprotocol},
		{"§4.2.2 item 5.5: two subprotocols in one line", response("", "Sec-WebSocket-Protocol: soap, wamp"), offered, nil, ErrBadSubprotocol},
		{"§4.2.2 item 5.5: two subprotocol lines", response("", "Sec-WebSocket-Protocol: soap", "Sec-WebSocket-Protocol: wamp"), offered, nil, ErrBadSubprotocol},
		{"§4.2.2 item 5.5: empty subprotocol", response("", "Sec-WebSocket-Protocol:"), offered, nil, ErrBadSubprotocol},
		{"§4.1: no subprotocol chosen", response(""), offered, nil, nil},

		{"§4.1, §9.1: offered extension accepted", response("", "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits=10"), nil, deflate, nil},
		{"§4.1, §9.1: extension the client did not offer", response("", "Sec-WebSocket-Extensions: permessage-deflate"), nil, nil, ErrBadExtensions},
		{"§4.1, §9.1: one of two not offered", response("", "Sec-WebSocket-Extensions: permessage-deflate, x-webkit-deflate-frame"), nil, deflate, ErrBadExtensions},
		{"§9.1: extension accepted twice", response("", "Sec-WebSocket-Extensions: permessage-deflate", "Sec-WebSocket-Extensions: permessage-deflate"), nil, deflate, ErrBadExtensions},
		{"§9.1: malformed extensions", response("", "Sec-WebSocket-Extensions: permessage-deflate;"), nil, deflate, ErrBadExtensions},
		{"§9.1: extension names compared exactly", response("", "Sec-WebSocket-Extensions: Permessage-Deflate"), nil, deflate, ErrBadExtensions},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := readResponse(t, tt.lines...)
			err := CheckResponse(resp, rfcKey, tt.protocols, tt.extensions)
			if tt.want == nil {
				if err != nil {
					t.Fatalf("CheckResponse = %v, want nil", err)
				}
				return
			}
			if !errors.Is(err, tt.want) {
				t.Fatalf("CheckResponse = %v, want an error wrapping %v", err, tt.want)
			}
			if err.Error() == tt.want.Error() {
				t.Errorf("error %q carries no detail", err)
			}
		})
	}
}

func TestAppendResponse(t *testing.T) {
	extra := http.Header{
		"Set-Cookie": {"session=1"},
		"X-Server":   {"ws"},
	}
	b := AppendResponse(nil, rfcKey, "wamp", "permessage-deflate; client_max_window_bits=10", extra)
	br := bufio.NewReader(bytes.NewReader(b))
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatalf("http.ReadResponse(%q): %v", b, err)
	}
	if br.Buffered() != 0 {
		t.Errorf("%d bytes after the response's blank line", br.Buffered())
	}
	// §4.2.2 item 5.1–5.6.
	if resp.StatusCode != http.StatusSwitchingProtocols || resp.Status != "101 Switching Protocols" {
		t.Errorf("status = %q, want 101 Switching Protocols", resp.Status)
	}
	want := http.Header{
		"Upgrade":                  {"websocket"},
		"Connection":               {"Upgrade"},
		"Sec-Websocket-Accept":     {rfcAccept},
		"Sec-Websocket-Protocol":   {"wamp"},
		"Sec-Websocket-Extensions": {"permessage-deflate; client_max_window_bits=10"},
		"Set-Cookie":               {"session=1"},
		"X-Server":                 {"ws"},
	}
	if !headerEqual(resp.Header, want) {
		t.Errorf("header = %q, want %q", resp.Header, want)
	}
	if err := CheckResponse(resp, rfcKey, []string{"soap", "wamp"}, []string{"permessage-deflate"}); err != nil {
		t.Errorf("CheckResponse(AppendResponse(...)) = %v", err)
	}
	// Extra fields come out sorted, so the bytes are the same every time.
	for i := 0; i < 10; i++ {
		if again := AppendResponse(nil, rfcKey, "wamp", "permessage-deflate; client_max_window_bits=10", extra); !bytes.Equal(again, b) {
			t.Fatalf("AppendResponse output changed between calls:\n%q\n%q", b, again)
		}
	}
}

func TestAppendResponseMinimal(t *testing.T) {
	got := string(AppendResponse([]byte("prefix:"), rfcKey, "", "", nil))
	want := "prefix:HTTP/1.1 101 Switching Protocols\r\n" +
		"Upgrade: websocket\r\n" +
		"Connection: Upgrade\r\n" +
		"Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n" +
		"\r\n"
	if got != want {
		t.Errorf("AppendResponse = %q, want %q", got, want)
	}
}

// TestAppendResponseInjection checks that no argument can add a header
// field or end the response early (RFC 7230 §3.2: field values must not
// contain CR or LF).
func TestAppendResponseInjection(t *testing.T) {
	extra := http.Header{
		"X-Evil-Value":         {"a\r\nX-Injected: 1"},
		"X-Evil-Lf":            {"a\nX-Injected: 1"},
		"X-Injected\r\nX-Bad":  {"1"},
		"X-Bad Name":           {"1"},
		"Sec-Websocket-Accept": {"forged"},
		"Upgrade":              {"h2c"},
		"Connection":           {"close"},
		"X-Good":               {"ok", "also\r\nbad", "fine"},
	}
	b := AppendResponse(nil, rfcKey, "wamp\r\nX-Injected: 1", "x\r\n\r\nHTTP/1.1 200 OK", extra)
	br := bufio.NewReader(bytes.NewReader(b))
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatalf("http.ReadResponse(%q): %v", b, err)
	}
	if br.Buffered() != 0 {
		t.Errorf("%d bytes after the response's blank line: %q", br.Buffered(), b)
	}
	want := http.Header{
		"Upgrade":              {"websocket"},
		"Connection":           {"Upgrade"},
		"Sec-Websocket-Accept": {rfcAccept},
		"X-Good":               {"ok", "fine"},
	}
	if !headerEqual(resp.Header, want) {
		t.Errorf("header = %q, want %q", resp.Header, want)
	}
}

func TestAppendResponseAllocs(t *testing.T) {
	extra := http.Header{"Set-Cookie": {"session=1"}, "X-Server": {"ws"}}
	buf := make([]byte, 0, 512)
	allocs := testing.AllocsPerRun(100, func() {
		buf = AppendResponse(buf[:0], rfcKey, "wamp", "permessage-deflate", extra)
	})
	if allocs != 0 {
		t.Errorf("AppendResponse allocates %v times, want 0", allocs)
	}
}

func TestAppendRequest(t *testing.T) {
	extra := http.Header{
		"Origin":     {"http://example.com"},
		"User-Agent": {"ws-test"},
		// Fields the handshake owns are not taken from extra.
		"Host":                     {"evil.example"},
		"Upgrade":                  {"h2c"},
		"Connection":               {"close"},
		"Sec-Websocket-Key":        {"AAAAAAAAAAAAAAAAAAAAAA=="},
		"Sec-Websocket-Version":    {"8"},
		"Sec-Websocket-Protocol":   {"mqtt"},
		"Sec-Websocket-Extensions": {"x-evil"},
	}
	b := AppendRequest(nil, "/chatService?room=1", "server.example.com", rfcKey, []string{"soap", "wamp"}, "permessage-deflate; client_max_window_bits", extra)
	br := bufio.NewReader(bytes.NewReader(b))
	r, err := http.ReadRequest(br)
	if err != nil {
		t.Fatalf("http.ReadRequest(%q): %v", b, err)
	}
	if br.Buffered() != 0 {
		t.Errorf("%d bytes after the request's blank line", br.Buffered())
	}
	if err := CheckRequest(r); err != nil {
		t.Errorf("CheckRequest(AppendRequest(...)) = %v", err)
	}
	if r.Method != "GET" || r.RequestURI != "/chatService?room=1" || r.Proto != "HTTP/1.1" || r.Host != "server.example.com" {
		t.Errorf("request line = %s %s %s, Host %s", r.Method, r.RequestURI, r.Proto, r.Host)
	}
	want := http.Header{
		"Upgrade":                  {"websocket"},
		"Connection":               {"Upgrade"},
		"Sec-Websocket-Key":        {rfcKey},
		"Sec-Websocket-Version":    {"13"},
		"Sec-Websocket-Protocol":   {"soap, wamp"},
		"Sec-Websocket-Extensions": {"permessage-deflate; client_max_window_bits"},
		"Origin":                   {"http://example.com"},
		"User-Agent":               {"ws-test"},
	}
	if !headerEqual(r.Header, want) {
		t.Errorf("header = %q, want %q", r.Header, want)
	}
	if got := Subprotocols(r.Header); !slices.Equal(got, []string{"soap", "wamp"}) {
		t.Errorf("Subprotocols = %q", got)
	}
	if err := CheckOrigin(r, []string{"example.com"}); err != nil {
		t.Errorf("CheckOrigin: %v", err)
	}
}

func TestAppendRequestMinimal(t *testing.T) {
	got := string(AppendRequest(nil, "", "h", rfcKey, nil, "", nil))
	want := "GET / HTTP/1.1\r\n" +
		"Host: h\r\n" +
		"Upgrade: websocket\r\n" +
		"Connection: Upgrade\r\n" +
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n" +
		"Sec-WebSocket-Version: 13\r\n" +
		"\r\n"
	if got != want {
		t.Errorf("AppendRequest = %q, want %q", got, want)
	}
}

func TestAppendRequestInjection(t *testing.T) {
	tests := []struct {
		name       string
		requestURI string
		host       string
		key        string
		protocols  []string
		extensions string
		extra      http.Header
		wantURI    string
		wantHost   string      // "": no Host field
		wantHeader http.Header // fields beyond Host, Upgrade, Connection and version
	}{
		{"RFC 7230 §3.1.1: CRLF and space in the request target are escaped",
			"/a b\r\nX-Injected: 1", "h", rfcKey, nil, "", nil,
			"/a%20b%0D%0AX-Injected:%201", "h", http.Header{"Sec-Websocket-Key": {rfcKey}}},
		{"§3: '#' is escaped", "/chat#frag", "h", rfcKey, nil, "", nil,
			"/chat%23frag", "h", http.Header{"Sec-Websocket-Key": {rfcKey}}},
		{"non-ASCII in the request target is escaped", "/caf\u00e9", "h", rfcKey, nil, "", nil,
			"/caf%C3%A9", "h", http.Header{"Sec-Websocket-Key": {rfcKey}}},
		{"host with CRLF is left out", "/", "h\r\nX-Injected: 1", rfcKey, nil, "", nil,
			"/", "", http.Header{"Sec-Websocket-Key": {rfcKey}}},
		{"key with CRLF is left out", "/", "h", "k\r\nX-Injected: 1", nil, "", nil,
			"/", "h", http.Header{}},
		{"§4.1 item 10: invalid subprotocols are left out", "/", "h", rfcKey, []string{"a\r\nX-Injected: 1", "soap", "b c", "", "wamp"}, "", nil,
			"/", "h", http.Header{"Sec-Websocket-Key": {rfcKey}, "Sec-Websocket-Protocol": {"soap, wamp"}}},
		{"§4.1 item 10: no valid subprotocol, no field", "/", "h", rfcKey, []string{"a b"}, "", nil,
			"/", "h", http.Header{"Sec-Websocket-Key": {rfcKey}}},
		{"extensions with CRLF are left out", "/", "h", rfcKey, nil, "x\r\nX-Injected: 1", nil,
			"/", "h", http.Header{"Sec-Websocket-Key": {rfcKey}}},
		{"extra with CRLF in name or value is left out", "/", "h", rfcKey, nil, "",
			http.Header{"X-A": {"1\r\nX-Injected: 1"}, "X-Injected: 1\r\nX-B": {"1"}, "X-C": {"ok"}},
			"/", "h", http.Header{"Sec-Websocket-Key": {rfcKey}, "X-C": {"ok"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := AppendRequest(nil, tt.requestURI, tt.host, tt.key, tt.protocols, tt.extensions, tt.extra)
			br := bufio.NewReader(bytes.NewReader(b))
			r, err := http.ReadRequest(br)
			if err != nil {
				t.Fatalf("http.ReadRequest(%q): %v", b, err)
			}
			if rest, _ := io.ReadAll(br); len(rest) != 0 {
				t.Errorf("bytes after the blank line: %q", rest)
			}
			if r.Host != tt.wantHost {
				t.Errorf("Host = %q, want %q", r.Host, tt.wantHost)
			}
			if r.RequestURI != tt.wantURI {
				t.Errorf("request target = %q, want %q", r.RequestURI, tt.wantURI)
			}
			want := http.Header{"Upgrade": {"websocket"}, "Connection": {"Upgrade"}, "Sec-Websocket-Version": {"13"}}
			for k, v := range tt.wantHeader {
				want[k] = v
			}
			if !headerEqual(r.Header, want) {
				t.Errorf("header = %q, want %q", r.Header, want)
			}
		})
	}
}

// TestHandshakeRoundTrip runs a whole opening handshake through the
// package: the client's request, the server's checks and answer, and the
// client's check of the answer.
func TestHandshakeRoundTrip(t *testing.T) {
	key := NewKey()
	protocols := []string{"soap", "wamp"}
	extra := http.Header{"Origin": {"http://server.example.com"}}
	req := AppendRequest(nil, "/chatService", "server.example.com", key, protocols, "permessage-deflate", extra)

	r, err := http.ReadRequest(bufio.NewReader(bytes.NewReader(req)))
	if err != nil {
		t.Fatal(err)
	}
	if err := CheckRequest(r); err != nil {
		t.Fatalf("CheckRequest: %v", err)
	}
	if err := CheckOrigin(r, nil); err != nil {
		t.Fatalf("CheckOrigin: %v", err)
	}
	chosen := SelectSubprotocol(Subprotocols(r.Header), []string{"wamp"})
	offers, err := ParseExtensions(r.Header)
	if err != nil || len(offers) != 1 {
		t.Fatalf("ParseExtensions = %v, %v", offers, err)
	}
	resp := AppendResponse(nil, r.Header.Get("Sec-WebSocket-Key"), chosen, FormatExtensions(offers), nil)

	res, err := http.ReadResponse(bufio.NewReader(bytes.NewReader(resp)), nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := CheckResponse(res, key, protocols, []string{"permessage-deflate"}); err != nil {
		t.Fatalf("CheckResponse: %v", err)
	}
	if got := res.Header.Get("Sec-WebSocket-Protocol"); got != "wamp" {
		t.Errorf("chosen subprotocol = %q, want wamp", got)
	}
	// Another key must not pass.
	if err := CheckResponse(res, NewKey(), protocols, []string{"permessage-deflate"}); !errors.Is(err, ErrBadAccept) {
		t.Errorf("CheckResponse with another key = %v, want ErrBadAccept", err)
	}
}

// headerEqual compares two headers, treating nil and empty as equal.
func headerEqual(a, b http.Header) bool {
	if len(a) != len(b) {
		return false
	}
	for k, va := range a {
		if !slices.Equal(va, b[k]) {
			return false
		}
	}
	return true
}
