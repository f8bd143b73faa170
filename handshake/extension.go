package handshake

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
)

// ErrBadExtensions reports a Sec-WebSocket-Extensions value that does not
// follow the grammar of RFC 6455 §9.1, or, from [CheckResponse], a server
// answer naming an extension the client did not offer.
var ErrBadExtensions = errors.New("handshake: bad Sec-WebSocket-Extensions")

// Extension is one element of a Sec-WebSocket-Extensions header field
// (RFC 6455 §9.1): an extension name and its parameters, in order. In a
// client's request each element is one offer; in a server's response each
// is an accepted extension.
type Extension struct {
	Name   string
	Params []Param
}

// Param is one parameter of an [Extension]. HasValue tells a bare
// parameter ("client_max_window_bits") from one with a value
// ("client_max_window_bits=10"). Value holds the value after unescaping a
// quoted string, so `x="10"` and `x=10` parse to the same Param.
type Param struct {
	Name     string
	Value    string
	HasValue bool
}

// ParseExtensions parses every Sec-WebSocket-Extensions header line of h,
// in order, into a list of extensions (RFC 6455 §9.1):
//
//	extension-list = 1#extension
//	extension      = extension-token *( ";" extension-param )
//	extension-param = token [ "=" (token | quoted-string) ]
//
// Optional whitespace may surround ",", ";" and "=". A quoted-string value
// must unescape to a valid token (§9.1). Several offers of the same
// extension, such as two permessage-deflate offers with different
// parameters (RFC 7692 §5), stay separate elements. Empty list elements
// are skipped (RFC 7230 §7), so an empty header line contributes nothing.
//
// Malformed input gives an error that wraps [ErrBadExtensions] and says
// where the input went wrong.
func ParseExtensions(h http.Header) ([]Extension, error) {
	return parseExtensions(headerView(h))
}

// parseExtensions is ParseExtensions over either form of a request's
// fields.
func parseExtensions(fields fieldView) ([]Extension, error) {
	var exts []Extension
	it := fields.values(hdrExtensions)
	for v, ok := it.next(); ok; v, ok = it.next() {
		p := extParser{s: v}
		var err error
		exts, err = p.parseList(exts)
		if err != nil {
			return nil, err
		}
	}
	return exts, nil
}

// extParser reads one header value; i is the offset of the next byte.
type extParser struct {
	s string
	i int
}

func (p *extParser) errorf(format string, args ...any) error {
	return fmt.Errorf("%w: %s at offset %d of %q", ErrBadExtensions, fmt.Sprintf(format, args...), p.i, p.s)
}

func (p *extParser) skipOWS() {
	for p.i < len(p.s) && isOWS(p.s[p.i]) {
		p.i++
	}
}

// peek returns the next byte, or 0 at the end of the input (0 is never
// valid in a header, so it cannot be mistaken for a delimiter).
func (p *extParser) peek() byte {
	if p.i < len(p.s) {
		return p.s[p.i]
	}
	return 0
}

// token reads a token, which may be empty.
func (p *extParser) token() string {
	start := p.i
	for p.i < len(p.s) && isTokenChar(p.s[p.i]) {
		p.i++
	}
	return p.s[start:p.i]
}

// parseList appends the elements of one header value to exts.
func (p *extParser) parseList(exts []Extension) ([]Extension, error) {
	for {
		p.skipOWS()
		if p.i == len(p.s) {
			return exts, nil
		}
		if p.peek() == ',' {
			p.i++ // an empty element
			continue
		}
		ext, err := p.parseExtension()
		if err != nil {
			return nil, err
		}
		exts = append(exts, ext)
		p.skipOWS()
		if p.i == len(p.s) {
			return exts, nil
		}
		if p.peek() != ',' {
			return nil, p.errorf("expected ',' or ';' after extension %q", ext.Name)
		}
		p.i++
	}
}

// parseExtension reads extension-token *( ";" extension-param ).
func (p *extParser) parseExtension() (Extension, error) {
	ext := Extension{Name: p.token()}
	if ext.Name == "" {
		return ext, p.errorf("expected an extension name")
	}
	for {
		p.skipOWS()
		if p.peek() != ';' {
			return ext, nil
		}
		p.i++
		p.skipOWS()
		param, err := p.parseParam()
		if err != nil {
			return ext, err
		}
		ext.Params = append(ext.Params, param)
	}
}

// parseParam reads token [ "=" (token | quoted-string) ].
func (p *extParser) parseParam() (Param, error) {
	param := Param{Name: p.token()}
	if param.Name == "" {
		return param, p.errorf("expected a parameter name")
	}
	p.skipOWS()
	if p.peek() != '=' {
		return param, nil
	}
	p.i++
	p.skipOWS()
	if p.peek() == '"' {
		v, err := p.quotedString()
		if err != nil {
			return param, err
		}
		// §9.1: "the value after quoted-string unescaping MUST conform to
		// the 'token' ABNF."
		if !isToken(v) {
			return param, p.errorf("quoted value %q of parameter %q is not a token", v, param.Name)
		}
		param.Value = v
	} else {
		param.Value = p.token()
		if param.Value == "" {
			return param, p.errorf("expected a value for parameter %q", param.Name)
		}
	}
	param.HasValue = true
	return param, nil
}

// quotedString reads a quoted-string (RFC 7230 §3.2.6) starting at its
// opening quote and returns it unescaped.
func (p *extParser) quotedString() (string, error) {
	p.i++ // the opening quote
	var b strings.Builder
	for p.i < len(p.s) {
		c := p.s[p.i]
		switch {
		case c == '"':
			p.i++
			return b.String(), nil
		case c == '\\':
			// quoted-pair = "\" ( HTAB / SP / VCHAR / obs-text )
			p.i++
			if p.i == len(p.s) || !isQuotedTextChar(p.s[p.i]) && p.s[p.i] != '"' && p.s[p.i] != '\\' {
				return "", p.errorf("bad escape in quoted string")
			}
			b.WriteByte(p.s[p.i])
		case isQuotedTextChar(c):
			b.WriteByte(c)
		default:
			return "", p.errorf("control character in quoted string")
		}
		p.i++
	}
	return "", p.errorf("unterminated quoted string")
}

// isQuotedTextChar reports whether c is qdtext (RFC 7230 §3.2.6): HTAB,
// SP, and visible characters other than '"' and '\', plus obs-text.
func isQuotedTextChar(c byte) bool {
	return c == '\t' || c == ' ' || c == 0x21 || 0x23 <= c && c <= 0x5b || 0x5d <= c && c <= 0x7e || c >= 0x80
}

// String formats e as one element of a Sec-WebSocket-Extensions value,
// such as "permessage-deflate; client_max_window_bits=10". Values are
// written as tokens, as [ParseExtensions] returns them; String does not
// validate or quote them.
func (e Extension) String() string {
	var b strings.Builder
	e.writeTo(&b)
	return b.String()
}

func (e Extension) writeTo(b *strings.Builder) {
	b.WriteString(e.Name)
	for _, p := range e.Params {
		b.WriteString("; ")
		b.WriteString(p.Name)
		if p.HasValue {
			b.WriteByte('=')
			b.WriteString(p.Value)
		}
	}
}

// FormatExtensions formats exts as a Sec-WebSocket-Extensions value: the
// elements, each as by [Extension.String], joined with ", ".
func FormatExtensions(exts []Extension) string {
	var b strings.Builder
	for i, e := range exts {
		if i > 0 {
			b.WriteString(", ")
		}
		e.writeTo(&b)
	}
	return b.String()
}
