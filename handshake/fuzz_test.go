package handshake

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"errors"
	"net/http"
	"net/textproto"
	"reflect"
	"slices"
	"strings"
	"testing"
)

func joinRequest(lines ...string) []byte {
	return []byte(strings.Join(lines, "\r\n") + "\r\n\r\n")
}

// FuzzCheckRequest feeds arbitrary bytes through http.ReadRequest and then
// through the server-side checks: none may panic, every rejection must be
// an *Error with a status the checks document, and every accepted request
// must satisfy RFC 6455 §4.2.1.
func FuzzCheckRequest(f *testing.F) {
	f.Add(joinRequest(seedRequest...))
	f.Add(joinRequest(rfcRequest...))
	f.Add(joinRequest(request("", map[string][]string{"Connection": {"Connection: keep-alive, Upgrade"}})...))
	f.Add(joinRequest(request("POST / HTTP/1.1", nil)...))
	f.Add(joinRequest(request("GET / HTTP/1.0", nil)...))
	f.Add(joinRequest(request("", map[string][]string{"Version": {"Sec-WebSocket-Version: 8"}})...))
	f.Add(joinRequest(request("", map[string][]string{"Key": {"Sec-WebSocket-Key: AAAAAAAAAAAAAAAAAAAA"}})...))
	f.Add(joinRequest(append(request("", nil), "Origin: null", "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits")...))
	f.Add([]byte("GET / HTTP/1.1\r\nHost: h\r\n\r\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := http.ReadRequest(bufio.NewReader(bytes.NewReader(data)))
		if err != nil {
			return
		}
		err = CheckRequest(r)
		if err == nil {
			keys := r.Header["Sec-Websocket-Key"]
			if len(keys) != 1 || !ValidKey(keys[0]) {
				t.Fatalf("§4.2.1 item 5: accepted request with keys %q", keys)
			}
			if v := r.Header["Sec-Websocket-Version"]; len(v) != 1 || v[0] != "13" {
				t.Fatalf("§4.2.1 item 6: accepted request with version %q", v)
			}
			if r.Method != "GET" || !r.ProtoAtLeast(1, 1) || r.Host == "" {
				t.Fatalf("§4.2.1 items 1-2: accepted %s %s with Host %q", r.Method, r.Proto, r.Host)
			}
			if !HasToken(r.Header, "Upgrade", "websocket") || !HasToken(r.Header, "Connection", "upgrade") {
				t.Fatalf("§4.2.1 items 3-4: accepted Upgrade %q, Connection %q", r.Header["Upgrade"], r.Header["Connection"])
			}
		} else {
			var herr *Error
			if !errors.As(err, &herr) {
				t.Fatalf("CheckRequest error %v is %T, not *Error", err, err)
			}
			switch herr.Status {
			case http.StatusBadRequest, http.StatusMethodNotAllowed:
			case http.StatusUpgradeRequired:
				if herr.Header.Get("Sec-WebSocket-Version") != "13" || herr.Header.Get("Upgrade") != "websocket" {
					t.Fatalf("426 without Sec-WebSocket-Version: 13 and Upgrade: websocket: %q", herr.Header)
				}
			default:
				t.Fatalf("CheckRequest status %d", herr.Status)
			}
			if herr.Reason == "" || !ValidHeaderValue(herr.Reason) {
				t.Fatalf("bad reason %q", herr.Reason)
			}
		}

		if err := CheckOrigin(r, []string{"*"}); err != nil {
			t.Fatalf("CheckOrigin with * = %v", err)
		}
		_, hasOrigin := r.Header["Origin"]
		_, hasOldOrigin := r.Header["Sec-Websocket-Origin"]
		for _, patterns := range [][]string{nil, {"*.example.com", "localhost:*", "[bad"}} {
			err := CheckOrigin(r, patterns)
			if err == nil {
				continue
			}
			var herr *Error
			if !errors.As(err, &herr) || herr.Status != http.StatusForbidden {
				t.Fatalf("CheckOrigin = %v, want nil or 403", err)
			}
			if !hasOrigin && !hasOldOrigin {
				t.Fatalf("CheckOrigin rejected a request without origin: %v", err)
			}
		}

		for _, p := range Subprotocols(r.Header) {
			if p == "" || strings.ContainsRune(p, ',') || trimOWS(p) != p {
				t.Fatalf("Subprotocols returned %q", p)
			}
		}
		checkExtensionsRoundTrip(t, r.Header)
	})
}

// checkExtensionsRoundTrip parses the extensions of h and, if that works,
// checks that every part is well-formed and that formatting and parsing
// again gives the same list.
func checkExtensionsRoundTrip(t *testing.T, h http.Header) {
	t.Helper()
	exts, err := ParseExtensions(h)
	if err != nil {
		if !errors.Is(err, ErrBadExtensions) {
			t.Fatalf("ParseExtensions error %v does not wrap ErrBadExtensions", err)
		}
		return
	}
	for _, e := range exts {
		if !isToken(e.Name) {
			t.Fatalf("extension name %q is not a token", e.Name)
		}
		for _, p := range e.Params {
			if !isToken(p.Name) || p.HasValue && !isToken(p.Value) || !p.HasValue && p.Value != "" {
				t.Fatalf("bad parameter %#v", p)
			}
		}
	}
	formatted := FormatExtensions(exts)
	again, err := ParseExtensions(http.Header{"Sec-Websocket-Extensions": {formatted}})
	if err != nil {
		t.Fatalf("ParseExtensions(FormatExtensions(%#v)) = %v (formatted %q)", exts, err, formatted)
	}
	if !reflect.DeepEqual(again, exts) {
		t.Fatalf("round trip through %q: got %#v, want %#v", formatted, again, exts)
	}
}

// FuzzParseExtensions checks that ParseExtensions never panics, that what
// it accepts is well-formed, and that FormatExtensions of a parsed list
// parses back to the same list. A '\n' in the input separates header
// lines.
func FuzzParseExtensions(f *testing.F) {
	for _, s := range []string{
		"permessage-deflate; client_max_window_bits",
		"permessage-deflate",
		"permessage-deflate; client_no_context_takeover, permessage-deflate",
		`x; y="10"`,
		`x; y="1\0"`,
		"a;b=1;c,d\ne; f",
		", a,, b ,",
		"a;", "a=1", `a; b="`, `a; b=""`, "",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		h := http.Header{"Sec-Websocket-Extensions": strings.Split(s, "\n")}
		checkExtensionsRoundTrip(t, h)
	})
}

// referenceTokens splits header values the obvious way, for FuzzTokens to
// compare Tokens against.
func referenceTokens(values []string) []string {
	var out []string
	for _, v := range values {
		for _, e := range strings.Split(v, ",") {
			if e = strings.Trim(e, " \t"); e != "" {
				out = append(out, e)
			}
		}
	}
	return out
}

// lowerBytes lowers ASCII letters only, byte by byte.
func lowerBytes(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 32
		}
	}
	return string(b)
}

// FuzzTokens compares Tokens and HasToken with straightforward reference
// versions. A '\n' in values separates header lines.
func FuzzTokens(f *testing.F) {
	f.Add("keep-alive, Upgrade", "upgrade")
	f.Add("keep-alive\nUpgrade", "UPGRADE")
	f.Add(" a ,, b\t,", "b")
	f.Add("websoc\u212aet", "websocket")
	f.Add("a b, c", "a b")
	f.Add("", "")
	f.Fuzz(func(t *testing.T, values, token string) {
		lines := strings.Split(values, "\n")
		h := http.Header{"Connection": lines}
		got := Tokens(h, "Connection")
		want := referenceTokens(lines)
		if !slices.Equal(got, want) {
			t.Fatalf("Tokens(%q) = %q, want %q", lines, got, want)
		}
		wantHas := slices.ContainsFunc(want, func(e string) bool { return lowerBytes(e) == lowerBytes(token) })
		if has := HasToken(h, "Connection", token); has != wantHas {
			t.Fatalf("HasToken(%q, %q) = %v, want %v", lines, token, has, wantHas)
		}
	})
}

// FuzzValidKey compares ValidKey with decoding by encoding/base64 (which,
// unlike a key, may contain CR and LF that it skips).
func FuzzValidKey(f *testing.F) {
	f.Add(rfcKey)
	f.Add("AAAAAAAAAAAAAAAAAAAA")
	f.Add("dGhlIHNhbXBsZSBub25jZR==")
	f.Add("dGhlIHNhbXBsZSBub25j\r\nQ==")
	f.Fuzz(func(t *testing.T, key string) {
		raw, err := base64.StdEncoding.DecodeString(key)
		want := err == nil && len(raw) == 16 && !strings.ContainsAny(key, "\r\n")
		if got := ValidKey(key); got != want {
			t.Fatalf("ValidKey(%q) = %v, want %v (decoded %d bytes, err %v)", key, got, want, len(raw), err)
		}
	})
}

// checkNoInjection checks that msg is one header block: lines end in CRLF,
// no line holds a stray CR or LF, the block ends at its first empty line,
// and every field name is in allowed (canonical form).
func checkNoInjection(t *testing.T, msg []byte, allowed []string) {
	t.Helper()
	head, rest, ok := bytes.Cut(msg, []byte("\r\n\r\n"))
	if !ok || len(rest) != 0 {
		t.Fatalf("message does not end at its first blank line: %q", msg)
	}
	lines := strings.Split(string(head), "\r\n")
	for i, line := range lines {
		if strings.ContainsAny(line, "\r\n") {
			t.Fatalf("stray CR or LF in line %q", line)
		}
		if i == 0 {
			continue
		}
		name, _, ok := strings.Cut(line, ":")
		if !ok || !slices.Contains(allowed, textproto.CanonicalMIMEHeaderKey(name)) {
			t.Fatalf("unexpected header line %q in %q", line, msg)
		}
	}
}

// FuzzAppendRequest checks that no argument of AppendRequest can inject a
// header field or end the request early, and that the request parses back.
func FuzzAppendRequest(f *testing.F) {
	f.Add("/chat", "server.example.com", rfcKey, "soap, wamp", "permessage-deflate", "Origin", "http://example.com")
	f.Add("/a b\r\nX: 1", "h\r\nX: 1", "k\nX: 1", "a\r\nX: 1", "e\rX: 1", "X-A\r\nX-B", "v\r\nX: 1")
	f.Add("", "", "", "", "", "", "")
	f.Fuzz(func(t *testing.T, uri, host, key, protocols, extensions, name, value string) {
		protos := strings.Split(protocols, ",")
		extra := http.Header{name: {value}}
		msg := AppendRequest(nil, uri, host, key, protos, extensions, extra)
		allowed := []string{"Host", "Upgrade", "Connection", "Sec-Websocket-Key", "Sec-Websocket-Version",
			"Sec-Websocket-Protocol", "Sec-Websocket-Extensions", textproto.CanonicalMIMEHeaderKey(name)}
		checkNoInjection(t, msg, allowed)
		if !strings.HasPrefix(string(msg), "GET ") {
			t.Fatalf("request line %q", msg)
		}
		target, _, _ := strings.Cut(string(msg[len("GET "):]), "\r\n")
		if strings.Count(target, " ") != 1 || !strings.HasSuffix(target, " HTTP/1.1") {
			t.Fatalf("request line %q", target)
		}
	})
}

// FuzzAppendResponse checks that no argument of AppendResponse can inject
// a header field, and that a client accepts the answer whenever the
// subprotocol and extensions it carries are well-formed.
func FuzzAppendResponse(f *testing.F) {
	f.Add(rfcKey, "wamp", "permessage-deflate; client_max_window_bits=10", "Set-Cookie", "a=1")
	f.Add(rfcKey, "a\r\nX: 1", "e\r\nX: 1", "X-A\r\nX-B", "v\r\nX: 1")
	f.Add("", "", "", "", "")
	f.Fuzz(func(t *testing.T, key, protocol, extensions, name, value string) {
		extra := http.Header{name: {value}}
		msg := AppendResponse(nil, key, protocol, extensions, extra)
		allowed := []string{"Upgrade", "Connection", "Sec-Websocket-Accept",
			"Sec-Websocket-Protocol", "Sec-Websocket-Extensions", textproto.CanonicalMIMEHeaderKey(name)}
		checkNoInjection(t, msg, allowed)

		resp, err := http.ReadResponse(bufio.NewReader(bytes.NewReader(msg)), nil)
		if err != nil {
			t.Fatalf("http.ReadResponse(%q): %v", msg, err)
		}
		var protocols []string
		if protocol != "" {
			protocols = []string{protocol}
		}
		// What the client must think of the answer: a subprotocol that was
		// written must be a valid one, and extensions that were written
		// must parse and name each extension once.
		protocolOK := protocol == "" || !ValidHeaderValue(protocol) || ValidSubprotocol(protocol)
		extensionsOK := true
		var names []string
		if extensions != "" && ValidHeaderValue(extensions) {
			exts, err := ParseExtensions(http.Header{"Sec-Websocket-Extensions": {extensions}})
			extensionsOK = err == nil
			for _, e := range exts {
				if slices.Contains(names, e.Name) {
					extensionsOK = false
				}
				names = append(names, e.Name)
			}
		}
		err = CheckResponse(resp, key, protocols, names)
		switch {
		case !extensionsOK:
			if !errors.Is(err, ErrBadExtensions) {
				t.Fatalf("CheckResponse with extensions %q = %v, want ErrBadExtensions", extensions, err)
			}
		case !protocolOK:
			if !errors.Is(err, ErrBadSubprotocol) {
				t.Fatalf("CheckResponse with subprotocol %q = %v, want ErrBadSubprotocol", protocol, err)
			}
		case err != nil:
			t.Fatalf("CheckResponse(AppendResponse(%q, %q, %q)) = %v", key, protocol, extensions, err)
		}
	})
}

// FuzzNegotiateDeflate feeds an arbitrary Sec-WebSocket-Extensions value
// ('\n' separates header lines) and server configuration through
// ParseExtensions and NegotiateDeflate. NegotiateDeflate must accept
// exactly when some permessage-deflate offer is valid (RFC 7692 §7: the
// invalid ones are declined), and its answer must be well-formed, state
// the parameters it returns, and be accepted by AcceptDeflateResponse for
// the client that made the accepted offer, which must then agree on the
// parameters.
func FuzzNegotiateDeflate(f *testing.F) {
	for _, s := range []string{
		"permessage-deflate; client_max_window_bits",
		"permessage-deflate",
		"permessage-deflate; server_max_window_bits=12; client_max_window_bits=12",
		"permessage-deflate; server_max_window_bits=16, permessage-deflate; client_max_window_bits",
		"permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=10; client_max_window_bits=8",
		`permessage-deflate; server_max_window_bits="10"`,
		"permessage-deflate; server_max_window_bits=08",
		"permessage-deflate; client_no_context_takeover=1, x-webkit-deflate-frame\npermessage-deflate; foo",
		"permessage-deflate; client_max_window_bits; client_max_window_bits",
		"",
	} {
		f.Add(s, false, false, int8(0), int8(0))
		f.Add(s, true, true, int8(9), int8(12))
	}
	f.Add("permessage-deflate; client_max_window_bits", false, true, int8(-1), int8(16))
	f.Fuzz(func(t *testing.T, header string, serverNoCtx, clientNoCtx bool, serverBits, clientBits int8) {
		exts, err := ParseExtensions(http.Header{"Sec-Websocket-Extensions": strings.Split(header, "\n")})
		if err != nil {
			return
		}
		cfg := DeflateConfig{serverNoCtx, clientNoCtx, int(serverBits), int(clientBits)}
		resp, params, ok := NegotiateDeflate(exts, cfg)

		// The offer NegotiateDeflate should take: the first valid one.
		var offered DeflateParams
		found := false
		for _, e := range exts {
			if e.Name != PermessageDeflate {
				continue
			}
			p, err := ParseDeflateParams(e, true)
			if err != nil {
				if !errors.Is(err, ErrBadExtensions) {
					t.Fatalf("ParseDeflateParams error %v does not wrap ErrBadExtensions", err)
				}
				continue
			}
			offered, found = p, true
			break
		}
		if ok != found {
			t.Fatalf("NegotiateDeflate(%q) ok = %v, but a valid offer found = %v", header, ok, found)
		}
		if !ok {
			return
		}

		// The client that made that offer; DeflateOffer must reproduce it.
		client := DeflateConfig{offered.ServerNoContextTakeover, offered.ClientNoContextTakeover,
			offered.ServerMaxWindowBits, offered.ClientMaxWindowBits}
		if again, err := ParseDeflateParams(DeflateOffer(client), true); err != nil || again != offered {
			t.Fatalf("DeflateOffer(%+v) parses to %+v, %v; want %+v", client, again, err, offered)
		}

		// The response survives the wire and states what is in force.
		wire := FormatExtensions([]Extension{resp})
		back, err := ParseExtensions(http.Header{"Sec-Websocket-Extensions": {wire}})
		if err != nil || len(back) != 1 || !reflect.DeepEqual(back[0], resp) {
			t.Fatalf("response %#v formats to %q, which parses to %#v, %v", resp, wire, back, err)
		}
		if got, err := ParseDeflateParams(back[0], false); err != nil || got != params {
			t.Fatalf("response %q parses to %+v, %v; NegotiateDeflate returned %+v", wire, got, err, params)
		}
		clientParams, err := AcceptDeflateResponse(back[0], client)
		if err != nil {
			t.Fatalf("offer %+v, response %q refused by the client: %v", offered, wire, err)
		}
		if clientParams != params {
			t.Fatalf("offer %+v, response %q: client has %+v, server %+v", offered, wire, clientParams, params)
		}
		checkAgreement(t, client, cfg)
	})
}

// FuzzAcceptDeflateResponse checks AcceptDeflateResponse on arbitrary
// responses and client configurations against the rules of RFC 7692
// §7.1 stated plainly: it may only refuse what ParseDeflateParams refuses
// or what does not answer the offer (§7.1.1.1, §7.1.2.1, §7.1.2.2), and
// what it accepts must keep within the offer.
func FuzzAcceptDeflateResponse(f *testing.F) {
	for _, s := range []string{
		"permessage-deflate",
		"permessage-deflate; client_max_window_bits=10",
		"permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=10; client_max_window_bits=8",
		"permessage-deflate; client_max_window_bits",
		"permessage-deflate; server_max_window_bits=16",
		"permessage-deflate; server_max_window_bits=10; server_max_window_bits=10",
		"x-webkit-deflate-frame",
	} {
		f.Add(s, false, false, int8(0), int8(-1))
		f.Add(s, true, true, int8(12), int8(12))
	}
	f.Fuzz(func(t *testing.T, header string, serverNoCtx, clientNoCtx bool, serverBits, clientBits int8) {
		exts, err := ParseExtensions(http.Header{"Sec-Websocket-Extensions": {header}})
		if err != nil || len(exts) == 0 {
			return
		}
		cfg := DeflateConfig{serverNoCtx, clientNoCtx, int(serverBits), int(clientBits)}
		offered, err := ParseDeflateParams(DeflateOffer(cfg), true)
		if err != nil {
			t.Fatalf("DeflateOffer(%+v) is invalid: %v", cfg, err)
		}
		params, err := AcceptDeflateResponse(exts[0], cfg)
		got, parseErr := ParseDeflateParams(exts[0], false)
		if parseErr != nil {
			if err == nil {
				t.Fatalf("AcceptDeflateResponse accepted %q, which ParseDeflateParams refuses: %v", header, parseErr)
			}
			return
		}
		refuse := offered.ServerNoContextTakeover && !got.ServerNoContextTakeover ||
			offered.ServerMaxWindowBits > 0 && (got.ServerMaxWindowBits == 0 || got.ServerMaxWindowBits > offered.ServerMaxWindowBits) ||
			got.ClientMaxWindowBits > 0 && (offered.ClientMaxWindowBits == 0 || offered.ClientMaxWindowBits > 0 && got.ClientMaxWindowBits > offered.ClientMaxWindowBits)
		if refuse != (err != nil) {
			t.Fatalf("AcceptDeflateResponse(%q, %+v) error %v; want refusal = %v", header, cfg, err, refuse)
		}
		if err != nil {
			if !errors.Is(err, ErrBadExtensions) {
				t.Fatalf("error %v does not wrap ErrBadExtensions", err)
			}
			return
		}
		if params.ServerNoContextTakeover != got.ServerNoContextTakeover || params.ServerMaxWindowBits != got.ServerMaxWindowBits ||
			params.ClientNoContextTakeover != (got.ClientNoContextTakeover || offered.ClientNoContextTakeover) {
			t.Fatalf("response %+v, offer %+v: params %+v", got, offered, params)
		}
		if !windowOK(params.ClientMaxWindowBits) || offered.ClientMaxWindowBits == 0 && params.ClientMaxWindowBits != 0 ||
			offered.ClientMaxWindowBits > 0 && (params.ClientMaxWindowBits == 0 || params.ClientMaxWindowBits > offered.ClientMaxWindowBits) {
			t.Fatalf("§7.1.2.2: offer %+v, response %+v: client window %d", offered, got, params.ClientMaxWindowBits)
		}
	})
}
