package handshake

import (
	"net/http"
	"slices"
	"testing"
)

func TestSubprotocols(t *testing.T) {
	tests := []struct {
		name  string
		lines []string
		want  []string
	}{
		{"seed: soap, wamp", []string{"soap, wamp"}, []string{"soap", "wamp"}},
		{"§1.2: chat, superchat", []string{"chat, superchat"}, []string{"chat", "superchat"}},
		{"§11.3.4: several header lines", []string{"soap", "wamp, mqtt"}, []string{"soap", "wamp", "mqtt"}},
		{"none offered", nil, nil},
	}
	for _, tt := range tests {
		h := http.Header{}
		for _, l := range tt.lines {
			h.Add("Sec-WebSocket-Protocol", l)
		}
		if got := Subprotocols(h); !slices.Equal(got, tt.want) {
			t.Errorf("%s: Subprotocols = %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestSelectSubprotocol(t *testing.T) {
	tests := []struct {
		name      string
		offered   []string
		supported []string
		want      string
	}{
		{"seed: soap, wamp offered, wamp supported", []string{"soap", "wamp"}, []string{"wamp"}, "wamp"},
		{"§4.2.2 item 5.5: server's preference wins over client's order", []string{"soap", "wamp"}, []string{"wamp", "soap"}, "wamp"},
		{"§4.2.2 item 5.5: server's first choice not offered", []string{"soap", "wamp"}, []string{"mqtt", "soap", "wamp"}, "soap"},
		{"§11.5: names are case-sensitive", []string{"WAMP"}, []string{"wamp"}, ""},
		{"§4.2.2 item 5.5: no common subprotocol", []string{"soap"}, []string{"wamp"}, ""},
		{"nothing offered", nil, []string{"wamp"}, ""},
		{"nothing supported", []string{"wamp"}, nil, ""},
	}
	for _, tt := range tests {
		if got := SelectSubprotocol(tt.offered, tt.supported); got != tt.want {
			t.Errorf("%s: SelectSubprotocol(%q, %q) = %q, want %q", tt.name, tt.offered, tt.supported, got, tt.want)
		}
	}
}
