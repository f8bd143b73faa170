package handshake

import (
	"errors"
	"net/http"
	"reflect"
	"testing"
)

func extHeader(lines ...string) http.Header {
	h := http.Header{}
	for _, l := range lines {
		h.Add("Sec-WebSocket-Extensions", l)
	}
	return h
}

func TestParseExtensions(t *testing.T) {
	deflate := "permessage-deflate"
	tests := []struct {
		name  string
		lines []string
		want  []Extension
	}{
		{"Chrome's offer: bare parameter", []string{"permessage-deflate; client_max_window_bits"},
			[]Extension{{deflate, []Param{{"client_max_window_bits", "", false}}}}},
		{"Firefox's offer: no parameters", []string{"permessage-deflate"},
			[]Extension{{deflate, nil}}},
		{"RFC 7692 §5: several offers of one extension stay separate", []string{"permessage-deflate; client_no_context_takeover, permessage-deflate"},
			[]Extension{{deflate, []Param{{"client_no_context_takeover", "", false}}}, {deflate, nil}}},
		{"§9.1: parameter with a token value", []string{"permessage-deflate; client_max_window_bits=10"},
			[]Extension{{deflate, []Param{{"client_max_window_bits", "10", true}}}}},
		{"§9.1: quoted value is unescaped", []string{`x; y="10"`},
			[]Extension{{"x", []Param{{"y", "10", true}}}}},
		{"§9.1: quoted value with a quoted-pair", []string{`x; y="1\0"`},
			[]Extension{{"x", []Param{{"y", "10", true}}}}},
		{"§9.1: several parameters in order", []string{"permessage-deflate; server_no_context_takeover; client_max_window_bits=12; server_max_window_bits=10"},
			[]Extension{{deflate, []Param{{"server_no_context_takeover", "", false}, {"client_max_window_bits", "12", true}, {"server_max_window_bits", "10", true}}}}},
		{"§9.1: whitespace around delimiters", []string{" a ;b = 1 ;\tc , d "},
			[]Extension{{"a", []Param{{"b", "1", true}, {"c", "", false}}}, {"d", nil}}},
		{"§9.1: no whitespace at all", []string{"a;b=1;c,d"},
			[]Extension{{"a", []Param{{"b", "1", true}, {"c", "", false}}}, {"d", nil}}},
		{"§11.3.2, errata 3433: several header lines", []string{"a", "b; c"},
			[]Extension{{"a", nil}, {"b", []Param{{"c", "", false}}}}},
		{"RFC 7230 §7: empty elements are skipped", []string{", a,, b ,"},
			[]Extension{{"a", nil}, {"b", nil}}},
		{"RFC 7230 §7: empty header line", []string{""}, nil},
		{"no header", nil, nil},
	}
	for _, tt := range tests {
		got, err := ParseExtensions(extHeader(tt.lines...))
		if err != nil {
			t.Errorf("%s: ParseExtensions(%q): %v", tt.name, tt.lines, err)
			continue
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s: ParseExtensions(%q) = %#v, want %#v", tt.name, tt.lines, got, tt.want)
		}
	}
}

func TestParseExtensionsMalformed(t *testing.T) {
	tests := []struct {
		name string
		line string
	}{
		{"§9.1: no extension name before ';'", "; a"},
		{"§9.1: parameter missing after ';'", "permessage-deflate;"},
		{"§9.1: empty parameter", "a;;b"},
		{"§9.1: parameter without name", "a; =1"},
		{"§9.1: '=' without value", "a; b="},
		{"§9.1: '=' then ','", "a; b=, c"},
		{"§9.1: extension with a value", "a=1"},
		{"§9.1: two tokens without delimiter", "a b"},
		{"§9.1: value followed by a token", "a; b=c d"},
		{"§9.1: separator in name", "a/b"},
		{"§9.1: separator in value", "a; b=c/d"},
		{"§9.1: quoted-string as extension name", `"a"`},
		{"§9.1: unterminated quoted string", `a; b="10`},
		{"§9.1: quoted string ending in a backslash", `a; b="10\`},
		{"§9.1: quoted value that is empty", `a; b=""`},
		{"§9.1: quoted value that is not a token", `a; b="1 0"`},
		{"§9.1: quoted value with a comma", `a; b="1,0"`},
		{"§9.1: control character in quoted string", "a; b=\"1\x010\""},
		{"§9.1: text after a quoted value", `a; b="1"0`},
		{"§9.1: non-ASCII name", "d\u00e9flate"},
		{"§9.1: NUL byte", "a\x00"},
	}
	for _, tt := range tests {
		got, err := ParseExtensions(extHeader(tt.line))
		if err == nil {
			t.Errorf("%s: ParseExtensions(%q) = %#v, want an error", tt.name, tt.line, got)
			continue
		}
		if !errors.Is(err, ErrBadExtensions) {
			t.Errorf("%s: ParseExtensions(%q) error %v does not wrap ErrBadExtensions", tt.name, tt.line, err)
		}
	}
	// A malformed second line fails the whole header.
	if _, err := ParseExtensions(extHeader("permessage-deflate", "a;")); err == nil {
		t.Error("malformed second header line accepted")
	}
}

func TestExtensionString(t *testing.T) {
	tests := []struct {
		ext  Extension
		want string
	}{
		{Extension{Name: "permessage-deflate"}, "permessage-deflate"},
		{Extension{"permessage-deflate", []Param{{"client_max_window_bits", "10", true}}}, "permessage-deflate; client_max_window_bits=10"},
		{Extension{"permessage-deflate", []Param{{"client_max_window_bits", "", false}, {"server_no_context_takeover", "", false}}},
			"permessage-deflate; client_max_window_bits; server_no_context_takeover"},
	}
	for _, tt := range tests {
		if got := tt.ext.String(); got != tt.want {
			t.Errorf("%#v.String() = %q, want %q", tt.ext, got, tt.want)
		}
	}
}

func TestFormatExtensions(t *testing.T) {
	exts := []Extension{
		{"permessage-deflate", []Param{{"client_no_context_takeover", "", false}}},
		{"permessage-deflate", nil},
	}
	const want = "permessage-deflate; client_no_context_takeover, permessage-deflate"
	if got := FormatExtensions(exts); got != want {
		t.Errorf("FormatExtensions = %q, want %q", got, want)
	}
	if got := FormatExtensions(nil); got != "" {
		t.Errorf("FormatExtensions(nil) = %q, want \"\"", got)
	}
	back, err := ParseExtensions(extHeader(want))
	if err != nil || !reflect.DeepEqual(back, exts) {
		t.Errorf("ParseExtensions(FormatExtensions(x)) = %#v, %v; want %#v", back, err, exts)
	}
}
