package handshake

import (
	"errors"
	"net/http"
	"testing"
)

// checkOriginCase is a request's Host and origin fields, a server's
// patterns, and whether the origin policy of §10.2 allows the request.
type checkOriginCase struct {
	name     string
	host     string
	origin   []string // Origin header lines; nil: absent
	old      []string // Sec-WebSocket-Origin header lines; nil: absent
	patterns []string
	allowed  bool
}

// checkOriginCases are the cases of CheckOrigin, which Request.CheckOrigin
// must decide the same way (rawrequest_test.go).
var checkOriginCases = []checkOriginCase{
	{"§4.1 item 8: no origin header (not a browser)", "server.example.com", nil, nil, nil, true},
	{"§10.2: same origin", "server.example.com", []string{"http://server.example.com"}, nil, nil, true},
	{"§10.2: same origin, https", "server.example.com", []string{"https://server.example.com"}, nil, nil, true},
	{"§10.2: same origin with port", "localhost:8080", []string{"http://localhost:8080"}, nil, nil, true},
	{"§10.2: same origin, host compared case-insensitively", "server.example.com", []string{"http://Server.Example.COM"}, nil, nil, true},
	{"§10.2: same origin, IPv6 literal", "[::1]:8080", []string{"http://[::1]:8080"}, nil, nil, true},
	{"§10.2: cross origin", "server.example.com", []string{"http://evil.example"}, nil, nil, false},
	{"§10.2: same host, other port", "localhost:8080", []string{"http://localhost:3000"}, nil, nil, false},
	{"§10.2: port only on one side", "localhost:8080", []string{"http://localhost"}, nil, nil, false},
	{"§10.2: same origin is allowed even with patterns", "server.example.com", []string{"http://server.example.com"}, nil, []string{"other.example"}, true},

	{"RFC 6454 §7.3: null origin", "server.example.com", []string{"null"}, nil, nil, false},
	{"RFC 6454 §7.3: null origin allowed by *", "server.example.com", []string{"null"}, nil, []string{"*"}, true},
	{"unparsable origin", "server.example.com", []string{"not a url"}, nil, nil, false},
	{"origin without host", "server.example.com", []string{"http://"}, nil, nil, false},
	{"origin without scheme", "server.example.com", []string{"server.example.com"}, nil, nil, false},
	{"empty origin", "server.example.com", []string{""}, nil, nil, false},
	{"origin with user info", "server.example.com", []string{"http://user@server.example.com"}, nil, nil, false},
	{"RFC 6454 §7: origin list with two origins", "server.example.com", []string{"http://server.example.com http://evil.example"}, nil, nil, false},
	{"two Origin lines", "server.example.com", []string{"http://server.example.com", "http://server.example.com"}, nil, nil, false},
	{"unparsable origin allowed by *", "server.example.com", []string{"not a url"}, nil, []string{"*"}, true},

	{"pattern: exact host:port", "localhost:8080", []string{"http://127.0.0.1:8765"}, nil, []string{"127.0.0.1:8765"}, true},
	{"pattern: exact host:port, other port", "localhost:8080", []string{"http://127.0.0.1:8766"}, nil, []string{"127.0.0.1:8765"}, false},
	{"pattern: *.example.com matches a subdomain", "server.example.com", []string{"https://chat.example.com"}, nil, []string{"*.example.com"}, true},
	{"pattern: *.example.com matches a subdomain with port (no ':' in pattern)", "server.example.com", []string{"https://chat.example.com:8443"}, nil, []string{"*.example.com"}, true},
	{"pattern: *.example.com does not match example.com", "server.example.org", []string{"https://example.com"}, nil, []string{"*.example.com"}, false},
	{"pattern: *.example.com does not match evil-example.com", "server.example.org", []string{"https://evil-example.com"}, nil, []string{"*.example.com"}, false},
	{"pattern: localhost:* matches any port", "server.example.com", []string{"http://localhost:3000"}, nil, []string{"localhost:*"}, true},
	{"pattern: localhost:* needs a port", "server.example.com", []string{"http://localhost"}, nil, []string{"localhost:*"}, false},
	{"pattern: without ':' ignores the origin's port", "server.example.com", []string{"http://example.com:8080"}, nil, []string{"example.com"}, true},
	{"pattern: matched case-insensitively", "server.example.com", []string{"http://Example.COM"}, nil, []string{"EXAMPLE.com"}, true},
	{"pattern: second of several", "server.example.com", []string{"http://b.example"}, nil, []string{"a.example", "b.example"}, true},
	{"pattern: bracketed IPv6 needs escapes", "server.example.com", []string{"http://[::1]:9000"}, nil, []string{`\[::1\]:*`}, true},
	{"pattern: malformed pattern matches nothing", "server.example.com", []string{"http://a.example"}, nil, []string{"[a"}, false},
	{"pattern: * allows every origin", "server.example.com", []string{"http://evil.example"}, nil, []string{"a.example", "*"}, true},
	{"pattern: no pattern matches", "server.example.com", []string{"http://evil.example"}, nil, []string{"*.example.com", "localhost:*"}, false},

	{"seed: Sec-WebSocket-Origin is cross-origin", "server.example.com", nil, []string{"http://example.com"}, nil, false},
	{"seed: Sec-WebSocket-Origin allowed by pattern", "server.example.com", nil, []string{"http://example.com"}, []string{"example.com"}, true},
	{"Sec-WebSocket-Origin same origin", "server.example.com", nil, []string{"http://server.example.com"}, nil, true},
	{"Origin wins over Sec-WebSocket-Origin", "server.example.com", []string{"http://evil.example"}, []string{"http://server.example.com"}, nil, false},
}

func TestCheckOrigin(t *testing.T) {
	for _, tt := range checkOriginCases {
		t.Run(tt.name, func(t *testing.T) {
			r := readRequest(t, rfcRequest...)
			r.Host = tt.host
			r.Header.Del("Origin")
			for _, o := range tt.origin {
				r.Header.Add("Origin", o)
			}
			for _, o := range tt.old {
				r.Header.Add("Sec-WebSocket-Origin", o)
			}
			err := CheckOrigin(r, tt.patterns)
			if tt.allowed {
				if err != nil {
					t.Fatalf("CheckOrigin = %v, want nil", err)
				}
				return
			}
			var herr *Error
			if !errors.As(err, &herr) || herr.Status != http.StatusForbidden {
				t.Fatalf("CheckOrigin = %v, want *Error with status 403", err)
			}
		})
	}
}

func TestCheckOriginSeedRequest(t *testing.T) {
	r := readRequest(t, seedRequest...)
	if err := CheckOrigin(r, nil); err == nil {
		t.Error("§10.2: seed request from http://example.com to server.example.com allowed with no patterns, want 403")
	}
	if err := CheckOrigin(r, []string{"example.com"}); err != nil {
		t.Errorf("§10.2: seed request with pattern example.com: %v", err)
	}
}
