package handshake

import (
	"bufio"
	"errors"
	"net/http"
	"strings"
	"testing"
)

// readRequest parses a request written as its lines, without the CRLFs and
// the blank line that ends it.
func readRequest(t testing.TB, lines ...string) *http.Request {
	t.Helper()
	raw := strings.Join(lines, "\r\n") + "\r\n\r\n"
	r, err := http.ReadRequest(bufio.NewReader(strings.NewReader(raw)))
	if err != nil {
		t.Fatalf("http.ReadRequest(%q): %v", raw, err)
	}
	return r
}

// seedRequest is the request of this project's seed document, line for
// line (it still uses the version-8 Sec-WebSocket-Origin field).
var seedRequest = []string{
	"GET /chatService HTTP/1.1",
	"Host: server.example.com",
	"Upgrade: websocket",
	"Connection: Upgrade",
	"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
	"Sec-WebSocket-Origin: http://example.com",
	"Sec-WebSocket-Protocol: soap, wamp",
	"Sec-WebSocket-Version: 13",
}

// rfcRequest is the client handshake of RFC 6455 §1.2.
var rfcRequest = []string{
	"GET /chat HTTP/1.1",
	"Host: server.example.com",
	"Upgrade: websocket",
	"Connection: Upgrade",
	"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
	"Origin: http://example.com",
	"Sec-WebSocket-Protocol: chat, superchat",
	"Sec-WebSocket-Version: 13",
}

// request returns a valid handshake request with the header lines named in
// replace swapped for the given lines (an empty replacement deletes the
// line), and the request line replaced if requestLine is not "".
func request(requestLine string, replace map[string][]string) []string {
	lines := []string{"GET /chat HTTP/1.1"}
	if requestLine != "" {
		lines[0] = requestLine
	}
	base := []struct{ name, line string }{
		{"Host", "Host: server.example.com"},
		{"Upgrade", "Upgrade: websocket"},
		{"Connection", "Connection: Upgrade"},
		{"Key", "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ=="},
		{"Version", "Sec-WebSocket-Version: 13"},
	}
	for _, b := range base {
		if repl, ok := replace[b.name]; ok {
			lines = append(lines, repl...)
		} else {
			lines = append(lines, b.line)
		}
	}
	return lines
}

// Statuses of the checks' verdicts, short so that the tables stay readable.
const (
	ok          = 0
	bad         = http.StatusBadRequest
	notAllowed  = http.StatusMethodNotAllowed
	upgradeRequ = http.StatusUpgradeRequired
)

// checkRequestCase is a request, given as its lines, and the verdict of the
// rules of RFC 6455 §4.2.1 on it.
type checkRequestCase struct {
	name   string
	lines  []string
	status int               // 0: valid
	header map[string]string // fields the error must carry
}

// checkRequestCases are the cases of CheckRequest, which Request.Check must
// decide the same way (rawrequest_test.go).
var checkRequestCases = []checkRequestCase{
	{"seed document's request", seedRequest, ok, nil},
	{"§1.2 example request", rfcRequest, ok, nil},
	{"§4.2.1: minimal valid request", request("", nil), ok, nil},
	{"§4.2.1 item 1: HTTP/1.2 is at least 1.1", request("GET /chat HTTP/1.2", nil), ok, nil},
	{"§4.2.1 item 1: absolute request-target", request("GET http://server.example.com/chat HTTP/1.1", nil), ok, nil},

	{"§4.2.1 item 1: POST", request("POST /chat HTTP/1.1", nil), notAllowed, map[string]string{"Allow": "GET"}},
	{"§4.2.1 item 1: HEAD", request("HEAD /chat HTTP/1.1", nil), notAllowed, map[string]string{"Allow": "GET"}},
	{"§4.2.1 item 1: lower-case method is another method", request("get /chat HTTP/1.1", nil), notAllowed, map[string]string{"Allow": "GET"}},
	{"§4.2.1 item 1: HTTP/1.0", request("GET /chat HTTP/1.0", nil), bad, nil},

	{"§4.2.1 item 2: no Host", request("", map[string][]string{"Host": nil}), bad, nil},

	{"§4.2.1 item 3: Upgrade: WebSocket", request("", map[string][]string{"Upgrade": {"Upgrade: WebSocket"}}), ok, nil},
	{"§4.2.1 item 3: Upgrade: WEBSOCKET", request("", map[string][]string{"Upgrade": {"Upgrade: WEBSOCKET"}}), ok, nil},
	{"§4.2.1 item 3: websocket among other protocols", request("", map[string][]string{"Upgrade": {"Upgrade: h2c, websocket"}}), ok, nil},
	{"§4.2.1 item 3: websocket on a second Upgrade line", request("", map[string][]string{"Upgrade": {"Upgrade: h2c", "Upgrade: websocket"}}), ok, nil},
	{"§4.2.1 item 3: no Upgrade", request("", map[string][]string{"Upgrade": nil}), upgradeRequ,
		map[string]string{"Upgrade": "websocket", "Connection": "Upgrade", "Sec-WebSocket-Version": "13"}},
	{"§4.2.1 item 3: Upgrade: h2c", request("", map[string][]string{"Upgrade": {"Upgrade: h2c"}}), upgradeRequ,
		map[string]string{"Upgrade": "websocket"}},
	{"§4.2.1 item 3: Upgrade: websockets", request("", map[string][]string{"Upgrade": {"Upgrade: websockets"}}), upgradeRequ, nil},

	{"§4.2.1 item 4: Firefox's Connection: keep-alive, Upgrade", request("", map[string][]string{"Connection": {"Connection: keep-alive, Upgrade"}}), ok, nil},
	{"§4.2.1 item 4: Connection: upgrade", request("", map[string][]string{"Connection": {"Connection: upgrade"}}), ok, nil},
	{"§4.2.1 item 4: Upgrade on a second Connection line", request("", map[string][]string{"Connection": {"Connection: keep-alive", "Connection: Upgrade"}}), ok, nil},
	{"§4.2.1 item 4: no Connection", request("", map[string][]string{"Connection": nil}), bad, nil},
	{"§4.2.1 item 4: Connection: keep-alive", request("", map[string][]string{"Connection": {"Connection: keep-alive"}}), bad, nil},
	{"§4.2.1 item 4: Connection: Upgrade-Insecure-Requests", request("", map[string][]string{"Connection": {"Connection: Upgrade-Insecure-Requests"}}), bad, nil},

	{"§4.2.1 item 6: no version", request("", map[string][]string{"Version": nil}), upgradeRequ,
		map[string]string{"Sec-WebSocket-Version": "13", "Upgrade": "websocket"}},
	{"§4.2.1 item 6, §4.4: version 8", request("", map[string][]string{"Version": {"Sec-WebSocket-Version: 8"}}), upgradeRequ,
		map[string]string{"Sec-WebSocket-Version": "13"}},
	{"§4.2.1 item 6: version 14", request("", map[string][]string{"Version": {"Sec-WebSocket-Version: 14"}}), upgradeRequ, nil},
	{"§4.2.1 item 6: version list 13, 8", request("", map[string][]string{"Version": {"Sec-WebSocket-Version: 13, 8"}}), upgradeRequ, nil},
	{"§4.2.1 item 6: version 013", request("", map[string][]string{"Version": {"Sec-WebSocket-Version: 013"}}), upgradeRequ, nil},
	{"§4.2.1 item 6: two version lines", request("", map[string][]string{"Version": {"Sec-WebSocket-Version: 13", "Sec-WebSocket-Version: 8"}}), upgradeRequ, nil},

	{"§4.2.1 item 5: no key", request("", map[string][]string{"Key": nil}), bad, nil},
	{"§4.2.1 item 5: key of 15 bytes", request("", map[string][]string{"Key": {"Sec-WebSocket-Key: AAAAAAAAAAAAAAAAAAAA"}}), bad, nil},
	{"§4.2.1 item 5: key of 17 bytes", request("", map[string][]string{"Key": {"Sec-WebSocket-Key: AAAAAAAAAAAAAAAAAAAAAAA="}}), bad, nil},
	{"§4.2.1 item 5: key not base64", request("", map[string][]string{"Key": {"Sec-WebSocket-Key: this is not base64!!!=="}}), bad, nil},
	{"§4.2.1 item 5, §11.3.1: two key lines", request("", map[string][]string{"Key": {
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
		"Sec-WebSocket-Key: AAAAAAAAAAAAAAAAAAAAAA==",
	}}), bad, nil},
	{"§4.2.1 item 5: empty key", request("", map[string][]string{"Key": {"Sec-WebSocket-Key:"}}), bad, nil},

	// The order of the checks: the first failure wins.
	{"order: plain GET without WebSocket headers is told to upgrade",
		[]string{"GET /chat HTTP/1.1", "Host: server.example.com"}, upgradeRequ, map[string]string{"Upgrade": "websocket"}},
	{"order: method before everything", []string{"POST /chat HTTP/1.0"}, notAllowed, nil},
	{"order: HTTP version before version header", request("GET /chat HTTP/1.0", map[string][]string{"Version": {"Sec-WebSocket-Version: 8"}}), bad, nil},
	{"order: Connection before version", request("", map[string][]string{"Connection": nil, "Version": {"Sec-WebSocket-Version: 8"}}), bad, nil},
	{"order: version before key", request("", map[string][]string{"Version": {"Sec-WebSocket-Version: 8"}, "Key": nil}), upgradeRequ, nil},
}

func TestCheckRequest(t *testing.T) {
	for _, tt := range checkRequestCases {
		t.Run(tt.name, func(t *testing.T) {
			r := readRequest(t, tt.lines...)
			checkVerdict(t, "CheckRequest", CheckRequest(r), tt.status, tt.header)
		})
	}
}

// checkVerdict fails t unless err is the verdict wanted: nil for status 0,
// otherwise an *Error with that status, a reason, and the header fields.
func checkVerdict(t *testing.T, what string, err error, status int, header map[string]string) {
	t.Helper()
	if status == ok {
		if err != nil {
			t.Fatalf("%s = %v, want nil", what, err)
		}
		return
	}
	var herr *Error
	if !errors.As(err, &herr) {
		t.Fatalf("%s = %v (%T), want *Error with status %d", what, err, err, status)
	}
	if herr.Status != status {
		t.Errorf("%s: status = %d (%s), want %d", what, herr.Status, herr.Reason, status)
	}
	if herr.Reason == "" {
		t.Errorf("%s: empty Reason", what)
	}
	for name, want := range header {
		if got := herr.Header.Get(name); got != want {
			t.Errorf("%s: header %s = %q, want %q", what, name, got, want)
		}
	}
}

func TestErrorString(t *testing.T) {
	err := &Error{Status: http.StatusUpgradeRequired, Reason: "use version 13"}
	want := "handshake: 426 Upgrade Required: use version 13"
	if got := err.Error(); got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}

// TestCheckRequestBadHost covers a request built in code, not parsed, with
// an invalid Host (net/http's server would have refused it earlier).
func TestCheckRequestBadHost(t *testing.T) {
	r := readRequest(t, rfcRequest...)
	for _, host := range []string{"", "a\r\nb"} {
		r.Host = host
		var herr *Error
		if err := CheckRequest(r); !errors.As(err, &herr) || herr.Status != http.StatusBadRequest {
			t.Errorf("§4.2.1 item 2: Host %q: CheckRequest = %v, want 400", host, err)
		}
	}
}

func TestCheckRequestAllocs(t *testing.T) {
	r := readRequest(t, seedRequest...)
	allocs := testing.AllocsPerRun(100, func() {
		if err := CheckRequest(r); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("CheckRequest of a valid request allocates %v times, want 0", allocs)
	}
}
