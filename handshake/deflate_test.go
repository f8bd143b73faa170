package handshake

import (
	"errors"
	"net/http"
	"testing"
)

// Offers real clients send with compression on by default.
const (
	// Chrome/Chromium, and Node's ws (its default client options).
	chromeOffer = "permessage-deflate; client_max_window_bits"
	// Firefox.
	firefoxOffer = "permessage-deflate"
	// Python websockets from 10.1 on (ClientPerMessageDeflateFactory's
	// default client_max_window_bits=True sends the bare parameter).
	pythonWebsocketsOffer = "permessage-deflate; client_max_window_bits"
	// Python websockets 10.0, whose default was 12-bit windows both ways
	// (the setting its 10.1 dropped for clients; websockets issue #1065).
	pythonWebsockets100Offer = "permessage-deflate; server_max_window_bits=12; client_max_window_bits=12"
)

// parseExts parses header as a Sec-WebSocket-Extensions value and
// returns its elements, failing the test on a grammar error.
func parseExts(t *testing.T, header string) []Extension {
	t.Helper()
	exts, err := ParseExtensions(http.Header{"Sec-Websocket-Extensions": {header}})
	if err != nil {
		t.Fatalf("ParseExtensions(%q): %v", header, err)
	}
	return exts
}

// parseOne is parseExts for a header of exactly one element.
func parseOne(t *testing.T, header string) Extension {
	t.Helper()
	exts := parseExts(t, header)
	if len(exts) != 1 {
		t.Fatalf("ParseExtensions(%q) = %d elements, want 1", header, len(exts))
	}
	return exts[0]
}

func TestParseDeflateParams(t *testing.T) {
	tests := []struct {
		name    string
		header  string
		isOffer bool
		want    DeflateParams
	}{
		{"§7: Firefox offer, no parameters", firefoxOffer, true, DeflateParams{}},
		{"§7.1.2.2: Chrome offer, bare client_max_window_bits", chromeOffer, true, DeflateParams{ClientMaxWindowBits: -1}},
		{"§7.1.2.2: Python websockets offer", pythonWebsocketsOffer, true, DeflateParams{ClientMaxWindowBits: -1}},
		{"§7.1.2: Python websockets 10.0 offer", pythonWebsockets100Offer, true, DeflateParams{ServerMaxWindowBits: 12, ClientMaxWindowBits: 12}},
		{"§7.1: all four parameters in an offer",
			"permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=10; client_max_window_bits=9", true,
			DeflateParams{true, true, 10, 9}},
		{"§7.1: parameters in any order",
			"permessage-deflate; client_max_window_bits=15; server_max_window_bits=8; client_no_context_takeover", true,
			DeflateParams{ClientNoContextTakeover: true, ServerMaxWindowBits: 8, ClientMaxWindowBits: 15}},
		{"§7.1.2.1: quoted value, checked after unquoting", `permessage-deflate; server_max_window_bits="10"`, true, DeflateParams{ServerMaxWindowBits: 10}},
		{"§7.1.2.2: quoted value in a response", `permessage-deflate; client_max_window_bits="8"`, false, DeflateParams{ClientMaxWindowBits: 8}},
		{"§7.1.2.1: lowest window, 8", "permessage-deflate; server_max_window_bits=8", false, DeflateParams{ServerMaxWindowBits: 8}},
		{"§7.1.2.1: highest window, 15", "permessage-deflate; server_max_window_bits=15", false, DeflateParams{ServerMaxWindowBits: 15}},
		{"§7.1.1: response with both no_context_takeover parameters",
			"permessage-deflate; server_no_context_takeover; client_no_context_takeover", false,
			DeflateParams{ServerNoContextTakeover: true, ClientNoContextTakeover: true}},
		{"§7: plain response", "permessage-deflate", false, DeflateParams{}},
	}
	for _, tt := range tests {
		got, err := ParseDeflateParams(parseOne(t, tt.header), tt.isOffer)
		if err != nil {
			t.Errorf("%s: ParseDeflateParams(%q, %v): %v", tt.name, tt.header, tt.isOffer, err)
			continue
		}
		if got != tt.want {
			t.Errorf("%s: ParseDeflateParams(%q, %v) = %+v, want %+v", tt.name, tt.header, tt.isOffer, got, tt.want)
		}
	}
}

// malformedDeflate are permessage-deflate elements that ParseDeflateParams
// refuses; where is "offer", "response" or "both".
var malformedDeflate = []struct {
	name   string
	header string
	where  string
}{
	{"§7: unknown parameter", "permessage-deflate; foo", "both"},
	{"§7: unknown parameter with a value", "permessage-deflate; foo=1", "both"},
	{"§7: parameter names are case-sensitive", "permessage-deflate; Server_No_Context_Takeover", "both"},
	{"§7: parameter of the old deflate-frame draft", "permessage-deflate; max_window_bits=10", "both"},
	{"§7: server_no_context_takeover twice", "permessage-deflate; server_no_context_takeover; server_no_context_takeover", "both"},
	{"§7: client_no_context_takeover twice", "permessage-deflate; client_no_context_takeover; client_no_context_takeover", "both"},
	{"§7: server_max_window_bits twice, same value", "permessage-deflate; server_max_window_bits=10; server_max_window_bits=10", "both"},
	{"§7: client_max_window_bits twice, bare then valued", "permessage-deflate; client_max_window_bits; client_max_window_bits=10", "both"},
	{"§7: client_max_window_bits twice, bare", "permessage-deflate; client_max_window_bits; client_max_window_bits", "both"},
	{"§7.1.1.1: server_no_context_takeover with a value", "permessage-deflate; server_no_context_takeover=1", "both"},
	{"§7.1.1.1: server_no_context_takeover with a quoted value", `permessage-deflate; server_no_context_takeover="true"`, "both"},
	{"§7.1.1.2: client_no_context_takeover with a value", "permessage-deflate; client_no_context_takeover=true", "both"},
	{"§7.1.2.1: server_max_window_bits without a value", "permessage-deflate; server_max_window_bits", "both"},
	{"§7.1.2.1: server_max_window_bits=7, below 8", "permessage-deflate; server_max_window_bits=7", "both"},
	{"§7.1.2.1: server_max_window_bits=16, above 15", "permessage-deflate; server_max_window_bits=16", "both"},
	{"§7.1.2.1: server_max_window_bits=0", "permessage-deflate; server_max_window_bits=0", "both"},
	{"§7.1.2.1: leading zero, 08", "permessage-deflate; server_max_window_bits=08", "both"},
	{"§7.1.2.1: leading zero, 010", "permessage-deflate; server_max_window_bits=010", "both"},
	{"§7.1.2.1: quoted leading zero", `permessage-deflate; server_max_window_bits="09"`, "both"},
	{"§7.1.2.1: sign, +9", "permessage-deflate; server_max_window_bits=+9", "both"},
	{"§7.1.2.1: negative, -9", "permessage-deflate; server_max_window_bits=-9", "both"},
	{"§7.1.2.1: not a number", "permessage-deflate; server_max_window_bits=ten", "both"},
	{"§7.1.2.1: trailing letter", "permessage-deflate; server_max_window_bits=9a", "both"},
	{"§7.1.2.1: huge number", "permessage-deflate; server_max_window_bits=100000000000000000009", "both"},
	{"§7.1.2.2: client_max_window_bits=7", "permessage-deflate; client_max_window_bits=7", "both"},
	{"§7.1.2.2: client_max_window_bits=16", "permessage-deflate; client_max_window_bits=16", "both"},
	{"§7.1.2.2: client_max_window_bits=08", "permessage-deflate; client_max_window_bits=08", "both"},
	{"§7.1.2.2: bare client_max_window_bits in a response", "permessage-deflate; client_max_window_bits", "response"},
	{"§7: another extension's name", "x-webkit-deflate-frame", "both"},
	{"§7: names are case-sensitive", "Permessage-Deflate", "both"},
}

func TestParseDeflateParamsMalformed(t *testing.T) {
	for _, tt := range malformedDeflate {
		e := parseOne(t, tt.header)
		for _, isOffer := range []bool{true, false} {
			wantErr := tt.where == "both" || tt.where == "offer" && isOffer || tt.where == "response" && !isOffer
			got, err := ParseDeflateParams(e, isOffer)
			switch {
			case wantErr && err == nil:
				t.Errorf("%s: ParseDeflateParams(%q, isOffer=%v) = %+v, want an error", tt.name, tt.header, isOffer, got)
			case wantErr && !errors.Is(err, ErrBadExtensions):
				t.Errorf("%s: error %v does not wrap ErrBadExtensions", tt.name, err)
			case !wantErr && err != nil:
				t.Errorf("%s: ParseDeflateParams(%q, isOffer=%v): %v", tt.name, tt.header, isOffer, err)
			}
		}
	}
}

func TestNegotiateDeflate(t *testing.T) {
	tests := []struct {
		name   string
		offers string
		cfg    DeflateConfig
		ok     bool
		want   string // the response element
		params DeflateParams
	}{
		{"§7: Firefox", firefoxOffer, DeflateConfig{}, true, "permessage-deflate", DeflateParams{}},
		{"§7.1.2.2: Chrome, server does not limit the client", chromeOffer, DeflateConfig{}, true,
			"permessage-deflate", DeflateParams{}},
		{"§7.1.2.2: Python websockets, server limits the client", pythonWebsocketsOffer, DeflateConfig{ClientMaxWindowBits: 10}, true,
			"permessage-deflate; client_max_window_bits=10", DeflateParams{ClientMaxWindowBits: 10}},
		{"§7.1.2.2: Node ws, server limit 15", chromeOffer, DeflateConfig{ClientMaxWindowBits: 15}, true,
			"permessage-deflate; client_max_window_bits=15", DeflateParams{ClientMaxWindowBits: 15}},
		{"§7.1.2.2: offer without client_max_window_bits: response MUST NOT hold it", firefoxOffer, DeflateConfig{ClientMaxWindowBits: 10}, true,
			"permessage-deflate", DeflateParams{}},
		{"§7.1.2.2: offer's value echoed", "permessage-deflate; client_max_window_bits=11", DeflateConfig{}, true,
			"permessage-deflate; client_max_window_bits=11", DeflateParams{ClientMaxWindowBits: 11}},
		{"§7.1.2.2: server's smaller value wins", "permessage-deflate; client_max_window_bits=11", DeflateConfig{ClientMaxWindowBits: 9}, true,
			"permessage-deflate; client_max_window_bits=9", DeflateParams{ClientMaxWindowBits: 9}},
		{"§7.1.2.2: offer's smaller value wins", "permessage-deflate; client_max_window_bits=11", DeflateConfig{ClientMaxWindowBits: 13}, true,
			"permessage-deflate; client_max_window_bits=11", DeflateParams{ClientMaxWindowBits: 11}},
		{"§7.1.2.1: server_max_window_bits=10 accepted, compressed HuffmanOnly", "permessage-deflate; server_max_window_bits=10", DeflateConfig{}, true,
			"permessage-deflate; server_max_window_bits=10", DeflateParams{ServerMaxWindowBits: 10}},
		{"§7.1.2.1: server_max_window_bits=8 accepted", "permessage-deflate; server_max_window_bits=8", DeflateConfig{}, true,
			"permessage-deflate; server_max_window_bits=8", DeflateParams{ServerMaxWindowBits: 8}},
		{"§7.1.2.1: server_max_window_bits=15 echoed", "permessage-deflate; server_max_window_bits=15", DeflateConfig{}, true,
			"permessage-deflate; server_max_window_bits=15", DeflateParams{ServerMaxWindowBits: 15}},
		{"§7.1.2: Python websockets 10.0", pythonWebsockets100Offer, DeflateConfig{}, true,
			"permessage-deflate; server_max_window_bits=12; client_max_window_bits=12", DeflateParams{ServerMaxWindowBits: 12, ClientMaxWindowBits: 12}},
		{"§7.1.2.1: server announces a window the offer did not ask for", firefoxOffer, DeflateConfig{ServerMaxWindowBits: 9}, true,
			"permessage-deflate; server_max_window_bits=9", DeflateParams{ServerMaxWindowBits: 9}},
		{"§7.1.2.1: smaller of offer's and server's", "permessage-deflate; server_max_window_bits=12", DeflateConfig{ServerMaxWindowBits: 14}, true,
			"permessage-deflate; server_max_window_bits=12", DeflateParams{ServerMaxWindowBits: 12}},
		{"§7.1.1.1: server_no_context_takeover echoed", "permessage-deflate; server_no_context_takeover", DeflateConfig{}, true,
			"permessage-deflate; server_no_context_takeover", DeflateParams{ServerNoContextTakeover: true}},
		{"§7.1.1.1: server adds server_no_context_takeover", firefoxOffer, DeflateConfig{ServerNoContextTakeover: true}, true,
			"permessage-deflate; server_no_context_takeover", DeflateParams{ServerNoContextTakeover: true}},
		{"§7.1.1.2: client_no_context_takeover hint echoed", "permessage-deflate; client_no_context_takeover", DeflateConfig{}, true,
			"permessage-deflate; client_no_context_takeover", DeflateParams{ClientNoContextTakeover: true}},
		{"§7.1.1.2: server adds client_no_context_takeover", chromeOffer, DeflateConfig{ClientNoContextTakeover: true}, true,
			"permessage-deflate; client_no_context_takeover", DeflateParams{ClientNoContextTakeover: true}},
		{"§7.1: everything at once",
			"permessage-deflate; client_max_window_bits; server_max_window_bits=10",
			DeflateConfig{ServerNoContextTakeover: true, ClientNoContextTakeover: true, ClientMaxWindowBits: 12}, true,
			"permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=10; client_max_window_bits=12",
			DeflateParams{true, true, 10, 12}},
		{"§5: first of two valid offers wins", "permessage-deflate; client_max_window_bits; server_max_window_bits=10, permessage-deflate; client_max_window_bits",
			DeflateConfig{}, true, "permessage-deflate; server_max_window_bits=10", DeflateParams{ServerMaxWindowBits: 10}},
		{"§5, §7: malformed first offer declined, second accepted", "permessage-deflate; server_max_window_bits=16, permessage-deflate; client_max_window_bits",
			DeflateConfig{ClientMaxWindowBits: 10}, true, "permessage-deflate; client_max_window_bits=10", DeflateParams{ClientMaxWindowBits: 10}},
		{"§5, §7: two malformed offers declined, third accepted",
			"permessage-deflate; foo, permessage-deflate; server_no_context_takeover; server_no_context_takeover, permessage-deflate; client_no_context_takeover",
			DeflateConfig{}, true, "permessage-deflate; client_no_context_takeover", DeflateParams{ClientNoContextTakeover: true}},
		{"§5: other extensions skipped", "x-webkit-deflate-frame, permessage-deflate", DeflateConfig{}, true,
			"permessage-deflate", DeflateParams{}},
		{"§7: every offer malformed", "permessage-deflate; server_max_window_bits, permessage-deflate; client_max_window_bits=08", DeflateConfig{}, false, "", DeflateParams{}},
		{"§5.1: no permessage-deflate offer", "x-webkit-deflate-frame; no_context_takeover", DeflateConfig{}, false, "", DeflateParams{}},
		{"§5.1: no offer at all", "", DeflateConfig{}, false, "", DeflateParams{}},
		{"invalid server window bits in cfg are ignored", chromeOffer, DeflateConfig{ServerMaxWindowBits: 16, ClientMaxWindowBits: 7}, true,
			"permessage-deflate", DeflateParams{}},
		{"-1 means nothing in a server's cfg", chromeOffer, DeflateConfig{ServerMaxWindowBits: -1, ClientMaxWindowBits: -1}, true,
			"permessage-deflate", DeflateParams{}},
	}
	for _, tt := range tests {
		offers := parseExts(t, tt.offers)
		resp, params, ok := NegotiateDeflate(offers, tt.cfg)
		if ok != tt.ok {
			t.Errorf("%s: NegotiateDeflate(%q, %+v) ok = %v, want %v", tt.name, tt.offers, tt.cfg, ok, tt.ok)
			continue
		}
		if !ok {
			if resp.Name != "" || resp.Params != nil || params != (DeflateParams{}) {
				t.Errorf("%s: declined, but returned %q, %+v", tt.name, resp, params)
			}
			continue
		}
		if got := resp.String(); got != tt.want {
			t.Errorf("%s: NegotiateDeflate(%q, %+v) response %q, want %q", tt.name, tt.offers, tt.cfg, got, tt.want)
		}
		if params != tt.params {
			t.Errorf("%s: NegotiateDeflate(%q, %+v) params %+v, want %+v", tt.name, tt.offers, tt.cfg, params, tt.params)
		}
		// The response states every parameter in force.
		if again, err := ParseDeflateParams(resp, false); err != nil || again != params {
			t.Errorf("%s: response %q parses to %+v, %v; want %+v", tt.name, resp, again, err, params)
		}
	}
}

// TestNegotiateDeflateHuffmanOnly checks the flag that tells conn how to
// compress when compress/flate cannot honour a window (§7.1.2.1).
func TestNegotiateDeflateHuffmanOnly(t *testing.T) {
	cases := []struct {
		name         string
		offer        string
		cfg          DeflateConfig
		serverHuff   bool
		clientHuff   bool
		serverNoCtx  bool
		clientNoCtxt bool
	}{
		{"§7.1.2.1: server_max_window_bits=10 → server compresses HuffmanOnly", "permessage-deflate; server_max_window_bits=10", DeflateConfig{}, true, false, false, false},
		{"§7.1.2.1: server_max_window_bits=15 → full compression", "permessage-deflate; server_max_window_bits=15", DeflateConfig{}, false, false, false, false},
		{"§7.1.2.2: client_max_window_bits=14 → client compresses HuffmanOnly", chromeOffer, DeflateConfig{ClientMaxWindowBits: 14}, false, true, false, false},
		{"§7.1.2: websockets 10.0 → both HuffmanOnly", pythonWebsockets100Offer, DeflateConfig{}, true, true, false, false},
		{"§7.1.1: no context takeover both ways", "permessage-deflate; server_no_context_takeover; client_no_context_takeover", DeflateConfig{}, false, false, true, true},
		{"§7: Firefox → nothing special", firefoxOffer, DeflateConfig{}, false, false, false, false},
	}
	for _, tt := range cases {
		_, p, ok := NegotiateDeflate(parseExts(t, tt.offer), tt.cfg)
		if !ok {
			t.Errorf("%s: offer %q declined", tt.name, tt.offer)
			continue
		}
		if p.HuffmanOnly(true) != tt.serverHuff || p.HuffmanOnly(false) != tt.clientHuff {
			t.Errorf("%s: HuffmanOnly(server, client) = %v, %v; want %v, %v", tt.name, p.HuffmanOnly(true), p.HuffmanOnly(false), tt.serverHuff, tt.clientHuff)
		}
		if p.NoContextTakeover(true) != tt.serverNoCtx || p.NoContextTakeover(false) != tt.clientNoCtxt {
			t.Errorf("%s: NoContextTakeover(server, client) = %v, %v; want %v, %v", tt.name, p.NoContextTakeover(true), p.NoContextTakeover(false), tt.serverNoCtx, tt.clientNoCtxt)
		}
	}
}

func TestDeflateParamsHuffmanOnly(t *testing.T) {
	for bits := -1; bits <= 16; bits++ {
		p := DeflateParams{ServerMaxWindowBits: bits, ClientMaxWindowBits: bits}
		want := 8 <= bits && bits <= 14 // §7.1.2: a window below 2^15 that compress/flate cannot keep to
		if p.HuffmanOnly(true) != want || p.HuffmanOnly(false) != want {
			t.Errorf("§7.1.2: window bits %d: HuffmanOnly = %v, %v; want %v", bits, p.HuffmanOnly(true), p.HuffmanOnly(false), want)
		}
	}
	p := DeflateParams{ServerMaxWindowBits: 10}
	if !p.HuffmanOnly(true) || p.HuffmanOnly(false) {
		t.Errorf("§7.1.2.1: server_max_window_bits must affect only the server's compressor")
	}
	p = DeflateParams{ClientMaxWindowBits: 10}
	if p.HuffmanOnly(true) || !p.HuffmanOnly(false) {
		t.Errorf("§7.1.2.2: client_max_window_bits must affect only the client's compressor")
	}
	p = DeflateParams{ServerNoContextTakeover: true}
	if !p.NoContextTakeover(true) || p.NoContextTakeover(false) {
		t.Errorf("§7.1.1.1: server_no_context_takeover must affect only messages from the server")
	}
	p = DeflateParams{ClientNoContextTakeover: true}
	if p.NoContextTakeover(true) || !p.NoContextTakeover(false) {
		t.Errorf("§7.1.1.2: client_no_context_takeover must affect only messages from the client")
	}
}

func TestDeflateOffer(t *testing.T) {
	tests := []struct {
		name string
		cfg  DeflateConfig
		want string
	}{
		{"§7: Firefox's offer", DeflateConfig{}, firefoxOffer},
		{"§7.1.2.2: Chrome's offer", DeflateConfig{ClientMaxWindowBits: -1}, chromeOffer},
		{"§7.1.2: websockets 10.0's offer", DeflateConfig{ServerMaxWindowBits: 12, ClientMaxWindowBits: 12}, pythonWebsockets100Offer},
		{"§7.1: every parameter, in §7.1 order",
			DeflateConfig{ServerNoContextTakeover: true, ClientNoContextTakeover: true, ServerMaxWindowBits: 10, ClientMaxWindowBits: 8},
			"permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=10; client_max_window_bits=8"},
		{"§7.1.2: out-of-range window bits left out", DeflateConfig{ServerMaxWindowBits: 7, ClientMaxWindowBits: 16}, firefoxOffer},
		{"§7.1.2: -1 means nothing for server_max_window_bits", DeflateConfig{ServerMaxWindowBits: -1, ClientMaxWindowBits: -2}, firefoxOffer},
	}
	for _, tt := range tests {
		e := DeflateOffer(tt.cfg)
		if got := FormatExtensions([]Extension{e}); got != tt.want {
			t.Errorf("%s: DeflateOffer(%+v) = %q, want %q", tt.name, tt.cfg, got, tt.want)
		}
		if _, err := ParseDeflateParams(e, true); err != nil {
			t.Errorf("%s: DeflateOffer(%+v) is not a valid offer: %v", tt.name, tt.cfg, err)
		}
	}
}

func TestAcceptDeflateResponse(t *testing.T) {
	tests := []struct {
		name     string
		cfg      DeflateConfig
		response string
		want     DeflateParams
	}{
		{"§7: plain answer to Firefox's offer", DeflateConfig{}, "permessage-deflate", DeflateParams{}},
		{"§7.1.2.2: plain answer to Chrome's offer", DeflateConfig{ClientMaxWindowBits: -1}, "permessage-deflate", DeflateParams{}},
		{"§7.1.2.2: server picks a client window after a bare offer", DeflateConfig{ClientMaxWindowBits: -1},
			"permessage-deflate; client_max_window_bits=10", DeflateParams{ClientMaxWindowBits: 10}},
		{"§7.1.2.2: server answers the offer's value", DeflateConfig{ClientMaxWindowBits: 12},
			"permessage-deflate; client_max_window_bits=12", DeflateParams{ClientMaxWindowBits: 12}},
		{"§7.1.2.2: server answers a smaller value", DeflateConfig{ClientMaxWindowBits: 12},
			"permessage-deflate; client_max_window_bits=9", DeflateParams{ClientMaxWindowBits: 9}},
		{"§7.1.2.2: server ignores the offer's value, client keeps to it", DeflateConfig{ClientMaxWindowBits: 12},
			"permessage-deflate", DeflateParams{ClientMaxWindowBits: 12}},
		{"§7.1.2.1: server answers the offer's window", DeflateConfig{ServerMaxWindowBits: 12},
			"permessage-deflate; server_max_window_bits=12", DeflateParams{ServerMaxWindowBits: 12}},
		{"§7.1.2.1: server answers a smaller window", DeflateConfig{ServerMaxWindowBits: 12},
			"permessage-deflate; server_max_window_bits=8", DeflateParams{ServerMaxWindowBits: 8}},
		{"§7.1.2.1: server announces a window unasked", DeflateConfig{},
			"permessage-deflate; server_max_window_bits=15", DeflateParams{ServerMaxWindowBits: 15}},
		{"§7.1.1.1: server adds server_no_context_takeover unasked", DeflateConfig{},
			"permessage-deflate; server_no_context_takeover", DeflateParams{ServerNoContextTakeover: true}},
		{"§7.1.1.1: server echoes server_no_context_takeover", DeflateConfig{ServerNoContextTakeover: true},
			"permessage-deflate; server_no_context_takeover", DeflateParams{ServerNoContextTakeover: true}},
		{"§7.1.1.2: server adds client_no_context_takeover", DeflateConfig{},
			"permessage-deflate; client_no_context_takeover", DeflateParams{ClientNoContextTakeover: true}},
		{"§7.1.1.2: client's hint holds though the server did not echo it", DeflateConfig{ClientNoContextTakeover: true},
			"permessage-deflate", DeflateParams{ClientNoContextTakeover: true}},
		{"§7.1.2.2: quoted value after unquoting", DeflateConfig{ClientMaxWindowBits: -1},
			`permessage-deflate; client_max_window_bits="11"`, DeflateParams{ClientMaxWindowBits: 11}},
	}
	for _, tt := range tests {
		got, err := AcceptDeflateResponse(parseOne(t, tt.response), tt.cfg)
		if err != nil {
			t.Errorf("%s: AcceptDeflateResponse(%q, %+v): %v", tt.name, tt.response, tt.cfg, err)
			continue
		}
		if got != tt.want {
			t.Errorf("%s: AcceptDeflateResponse(%q, %+v) = %+v, want %+v", tt.name, tt.response, tt.cfg, got, tt.want)
		}
	}
}

func TestAcceptDeflateResponseInvalid(t *testing.T) {
	tests := []struct {
		name     string
		cfg      DeflateConfig
		response string
	}{
		{"§7.1.2.2: client_max_window_bits when the offer had none", DeflateConfig{}, "permessage-deflate; client_max_window_bits=10"},
		{"§7.1.2.2: client_max_window_bits=15 when the offer had none", DeflateConfig{ServerMaxWindowBits: 10}, "permessage-deflate; server_max_window_bits=10; client_max_window_bits=15"},
		{"§7.1.2.2: client_max_window_bits larger than offered", DeflateConfig{ClientMaxWindowBits: 12}, "permessage-deflate; client_max_window_bits=13"},
		{"§7.1.2.2: bare client_max_window_bits in a response", DeflateConfig{ClientMaxWindowBits: -1}, "permessage-deflate; client_max_window_bits"},
		{"§7.1.2.2: client_max_window_bits=16", DeflateConfig{ClientMaxWindowBits: -1}, "permessage-deflate; client_max_window_bits=16"},
		{"§7.1.2.1: server_max_window_bits larger than offered", DeflateConfig{ServerMaxWindowBits: 12}, "permessage-deflate; server_max_window_bits=13"},
		{"§7.1.2.1: offered server_max_window_bits not answered", DeflateConfig{ServerMaxWindowBits: 10}, "permessage-deflate"},
		{"§7.1.2.1: server_max_window_bits without a value", DeflateConfig{}, "permessage-deflate; server_max_window_bits"},
		{"§7.1.2.1: server_max_window_bits=7", DeflateConfig{}, "permessage-deflate; server_max_window_bits=7"},
		{"§7.1.2.1: server_max_window_bits=08", DeflateConfig{}, "permessage-deflate; server_max_window_bits=08"},
		{"§7.1.1.1: offered server_no_context_takeover not answered", DeflateConfig{ServerNoContextTakeover: true}, "permessage-deflate"},
		{"§7.1.1.1: server_no_context_takeover with a value", DeflateConfig{}, "permessage-deflate; server_no_context_takeover=1"},
		{"§7.1.1.2: client_no_context_takeover with a value", DeflateConfig{}, "permessage-deflate; client_no_context_takeover=yes"},
		{"§7: duplicated parameter", DeflateConfig{}, "permessage-deflate; server_no_context_takeover; server_no_context_takeover"},
		{"§7: duplicated window", DeflateConfig{ClientMaxWindowBits: -1}, "permessage-deflate; client_max_window_bits=10; client_max_window_bits=10"},
		{"§7: unknown parameter", DeflateConfig{}, "permessage-deflate; x=1"},
		{"§7: another extension", DeflateConfig{}, "x-webkit-deflate-frame"},
	}
	for _, tt := range tests {
		got, err := AcceptDeflateResponse(parseOne(t, tt.response), tt.cfg)
		if err == nil {
			t.Errorf("%s: AcceptDeflateResponse(%q, %+v) = %+v, want an error", tt.name, tt.response, tt.cfg, got)
			continue
		}
		if !errors.Is(err, ErrBadExtensions) {
			t.Errorf("%s: error %v does not wrap ErrBadExtensions", tt.name, err)
		}
		if got != (DeflateParams{}) {
			t.Errorf("%s: error with non-zero params %+v", tt.name, got)
		}
	}
}

// windowOK reports whether bits is a window size in force (absent or
// §7.1.2's 8..15).
func windowOK(bits int) bool { return bits == 0 || 8 <= bits && bits <= 15 }

// checkAgreement runs a client configured with client against a server
// configured with server through
// the wire format, checking that both sides end with the same parameters
// and that these honour both configurations.
func checkAgreement(t *testing.T, client, server DeflateConfig) {
	t.Helper()
	offerHeader := FormatExtensions([]Extension{DeflateOffer(client)})
	offers, err := ParseExtensions(http.Header{"Sec-Websocket-Extensions": {offerHeader}})
	if err != nil {
		t.Fatalf("client %+v: offer %q does not parse: %v", client, offerHeader, err)
	}
	resp, serverParams, ok := NegotiateDeflate(offers, server)
	if !ok {
		t.Fatalf("client %+v, server %+v: offer %q declined", client, server, offerHeader)
	}
	respHeader := FormatExtensions([]Extension{resp})
	resps, err := ParseExtensions(http.Header{"Sec-Websocket-Extensions": {respHeader}})
	if err != nil || len(resps) != 1 {
		t.Fatalf("response %q does not parse: %v", respHeader, err)
	}
	clientParams, err := AcceptDeflateResponse(resps[0], client)
	if err != nil {
		t.Fatalf("client %+v, server %+v: offer %q, response %q refused: %v", client, server, offerHeader, respHeader, err)
	}
	if clientParams != serverParams {
		t.Fatalf("client %+v, server %+v: offer %q, response %q: client has %+v, server %+v",
			client, server, offerHeader, respHeader, clientParams, serverParams)
	}
	p := serverParams
	if !windowOK(p.ServerMaxWindowBits) || !windowOK(p.ClientMaxWindowBits) {
		t.Fatalf("§7.1.2: window bits in force %+v", p)
	}
	// §7.1.1: each side's wish for no context takeover holds.
	if (client.ServerNoContextTakeover || server.ServerNoContextTakeover) != p.ServerNoContextTakeover {
		t.Fatalf("§7.1.1.1: client %+v, server %+v: ServerNoContextTakeover %v", client, server, p.ServerNoContextTakeover)
	}
	if (client.ClientNoContextTakeover || server.ClientNoContextTakeover) != p.ClientNoContextTakeover {
		t.Fatalf("§7.1.1.2: client %+v, server %+v: ClientNoContextTakeover %v", client, server, p.ClientNoContextTakeover)
	}
	// §7.1.2.1: the server keeps to the window the client asked for.
	if c := validWindowBits(client.ServerMaxWindowBits); c > 0 && (p.ServerMaxWindowBits == 0 || p.ServerMaxWindowBits > c) {
		t.Fatalf("§7.1.2.1: client asked for %d, server uses %d", c, p.ServerMaxWindowBits)
	}
	// §7.1.2.2: no client window unless the offer allowed one, and never
	// above the offer's value or the server's wish.
	offerAllows := client.ClientMaxWindowBits == -1 || validWindowBits(client.ClientMaxWindowBits) > 0
	if !offerAllows && p.ClientMaxWindowBits != 0 {
		t.Fatalf("§7.1.2.2: client window %d without the offer allowing one", p.ClientMaxWindowBits)
	}
	if c := validWindowBits(client.ClientMaxWindowBits); c > 0 && p.ClientMaxWindowBits > c {
		t.Fatalf("§7.1.2.2: client offered %d, uses %d", c, p.ClientMaxWindowBits)
	}
	if s := validWindowBits(server.ClientMaxWindowBits); s > 0 && offerAllows && (p.ClientMaxWindowBits == 0 || p.ClientMaxWindowBits > s) {
		t.Fatalf("§7.1.2.2: server asked for %d, client uses %d", s, p.ClientMaxWindowBits)
	}
}

// TestDeflateRoundTrip runs DeflateOffer → NegotiateDeflate →
// AcceptDeflateResponse for a matrix of client and server configurations
// (RFC 7692 §5, §7.1) and checks that both sides agree.
func TestDeflateRoundTrip(t *testing.T) {
	bools := []bool{false, true}
	clientServerBits := []int{0, 8, 12, 15, 16}
	clientClientBits := []int{-1, 0, 9, 15, 7}
	serverServerBits := []int{0, 10, 15}
	serverClientBits := []int{0, 8, 11, 15, -1}
	n := 0
	for _, cs := range bools {
		for _, cc := range bools {
			for _, csb := range clientServerBits {
				for _, ccb := range clientClientBits {
					client := DeflateConfig{cs, cc, csb, ccb}
					for _, ss := range bools {
						for _, sc := range bools {
							for _, ssb := range serverServerBits {
								for _, scb := range serverClientBits {
									checkAgreement(t, client, DeflateConfig{ss, sc, ssb, scb})
									n++
								}
							}
						}
					}
				}
			}
		}
	}
	t.Logf("%d client/server pairs agree", n)
}
