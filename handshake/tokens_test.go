package handshake

import (
	"net/http"
	"slices"
	"testing"
)

func TestTokens(t *testing.T) {
	tests := []struct {
		name   string
		values []string
		want   []string
	}{
		{"one token", []string{"Upgrade"}, []string{"Upgrade"}},
		{"RFC 7230 §7: list in one line", []string{"keep-alive, Upgrade"}, []string{"keep-alive", "Upgrade"}},
		{"RFC 7230 §7: list over several lines", []string{"keep-alive", "Upgrade"}, []string{"keep-alive", "Upgrade"}},
		{"RFC 7230 §7: empty elements dropped", []string{", a,, b ,", ""}, []string{"a", "b"}},
		{"RFC 7230 §3.2.3: OWS (spaces and tabs) trimmed", []string{" \ta\t , \tb  "}, []string{"a", "b"}},
		{"case kept", []string{"WebSocket"}, []string{"WebSocket"}},
		{"inner space kept", []string{"a b, c"}, []string{"a b", "c"}},
		{"absent header", nil, nil},
	}
	for _, tt := range tests {
		h := http.Header{}
		for _, v := range tt.values {
			h.Add("X-List", v)
		}
		if got := Tokens(h, "X-List"); !slices.Equal(got, tt.want) {
			t.Errorf("%s: Tokens(%q) = %q, want %q", tt.name, tt.values, got, tt.want)
		}
	}
}

func TestHasToken(t *testing.T) {
	tests := []struct {
		name   string
		values []string
		token  string
		want   bool
	}{
		{"§4.2.1 item 4: exact", []string{"Upgrade"}, "upgrade", true},
		{"§4.2.1 item 4: Firefox's keep-alive, Upgrade", []string{"keep-alive, Upgrade"}, "upgrade", true},
		{"§4.2.1 item 4: second header line", []string{"keep-alive", "upgrade"}, "upgrade", true},
		{"§4.2.1 item 4: OWS around token", []string{"keep-alive,\tUPGRADE "}, "upgrade", true},
		{"§4.2.1 item 4: only keep-alive", []string{"keep-alive"}, "upgrade", false},
		{"§4.2.1 item 4: a longer token is not the token", []string{"upgrades"}, "upgrade", false},
		{"§4.2.1 item 4: a token inside another element is not the token", []string{"keep-alive upgrade"}, "upgrade", false},
		{"§4.2.1 item 3: Upgrade: WebSocket", []string{"WebSocket"}, "websocket", true},
		{"§4.2.1 item 3: among other protocols", []string{"h2c, websocket"}, "websocket", true},
		{"§4.2.1 item 3: ASCII case-insensitive only (Kelvin sign U+212A is not k)", []string{"websoc\u212aet"}, "websocket", false},
		{"empty token never matches", []string{"a,,b"}, "", false},
		{"absent header", nil, "upgrade", false},
	}
	for _, tt := range tests {
		h := http.Header{}
		for _, v := range tt.values {
			h.Add("Connection", v)
		}
		if got := HasToken(h, "Connection", tt.token); got != tt.want {
			t.Errorf("%s: HasToken(%q, %q) = %v, want %v", tt.name, tt.values, tt.token, got, tt.want)
		}
	}
}

func TestHasTokenNonCanonicalName(t *testing.T) {
	h := http.Header{}
	h.Set("Sec-WebSocket-Protocol", "chat")
	if !HasToken(h, "sec-websocket-protocol", "chat") {
		t.Error("HasToken with a lower-case name did not find the header")
	}
	if !HasToken(h, "Sec-WebSocket-Protocol", "chat") {
		t.Error("HasToken with the RFC spelling did not find the header")
	}
}

func TestHasTokenAllocs(t *testing.T) {
	h := http.Header{"Connection": {"keep-alive, Upgrade"}}
	allocs := testing.AllocsPerRun(100, func() {
		if !HasToken(h, "Connection", "upgrade") {
			t.Fatal("HasToken = false")
		}
	})
	if allocs != 0 {
		t.Errorf("HasToken allocates %v times, want 0", allocs)
	}
}

func TestValidHeaderValue(t *testing.T) {
	tests := []struct {
		v    string
		want bool
	}{
		{"", true},
		{"permessage-deflate; client_max_window_bits", true},
		{"tab\tinside", true},
		{"caf\u00e9", true}, // obs-text is allowed
		{"a\r\nX-Injected: 1", false},
		{"a\nb", false},
		{"a\rb", false},
		{"nul\x00", false},
		{"del\x7f", false},
	}
	for _, tt := range tests {
		if got := ValidHeaderValue(tt.v); got != tt.want {
			t.Errorf("ValidHeaderValue(%q) = %v, want %v", tt.v, got, tt.want)
		}
	}
}

func TestValidSubprotocol(t *testing.T) {
	tests := []struct {
		name string
		want bool
	}{
		{"wamp", true},
		{"v10.stomp", true},
		{"mqtt", true},
		{"chat.example.com~1", true},
		{"", false},
		{"soap, wamp", false}, // §4.1 item 10: separators are not allowed
		{"a b", false},
		{"a/b", false},
		{"a\r\nb", false},
		{"caf\u00e9", false}, // §4.1 item 10: U+0021..U+007E only
	}
	for _, tt := range tests {
		if got := ValidSubprotocol(tt.name); got != tt.want {
			t.Errorf("ValidSubprotocol(%q) = %v, want %v", tt.name, got, tt.want)
		}
	}
}
