package handshake

import (
	"fmt"
	"strconv"
)

// This file is the negotiation half of the permessage-deflate extension,
// RFC 7692 §5 (how a per-message compression extension is offered and
// accepted) and §7.1 (the four parameters of permessage-deflate). It
// decides which parameters are in force; package conn compresses and
// decompresses accordingly (RFC 7692 §6, §7.2).
//
// Only the "Sec-WebSocket-Extensions" element of one extension is looked
// at here. The grammar of the header as a whole (RFC 6455 §9.1) is
// [ParseExtensions]'s business, and checking that a response names only
// offered extensions, each once, is [CheckResponse]'s.

// PermessageDeflate is the extension name of RFC 7692 §7.
const PermessageDeflate = "permessage-deflate"

// The extension parameters of RFC 7692 §7.1, each defined for both an
// offer and a response (§7). Names are compared exactly, as tokens.
const (
	paramServerNoContextTakeover = "server_no_context_takeover" // §7.1.1.1
	paramClientNoContextTakeover = "client_no_context_takeover" // §7.1.1.2
	paramServerMaxWindowBits     = "server_max_window_bits"     // §7.1.2.1
	paramClientMaxWindowBits     = "client_max_window_bits"     // §7.1.2.2
)

// Limits of the max_window_bits parameters (RFC 7692 §7.1.2.1, §7.1.2.2):
// the base-2 logarithm of the LZ77 sliding window, 256 bytes to 32 KiB.
const (
	minWindowBits = 8
	maxWindowBits = 15
)

// clientWindowBitsBare is the DeflateParams.ClientMaxWindowBits of an
// offer holding "client_max_window_bits" without a value (§7.1.2.2).
const clientWindowBitsBare = -1

// DeflateParams are the parameters of one permessage-deflate offer or
// response (RFC 7692 §7.1) or, as returned by [NegotiateDeflate] and
// [AcceptDeflateResponse], the parameters in force on a connection.
//
// RFC 7692 §7: the parameters with the "server_" prefix constrain the
// server's compressor, and so what the client's decompressor will see;
// those with the "client_" prefix constrain the client's compressor and
// the server's decompressor. [DeflateParams.NoContextTakeover] and
// [DeflateParams.HuffmanOnly] answer the two questions package conn asks
// for each direction.
//
// Window bits are 8..15; 0 means the parameter is absent, which allows
// the full window of 2^15 bytes (32 KiB). In parameters in force,
// ClientMaxWindowBits is never -1.
type DeflateParams struct {
	// ServerNoContextTakeover (§7.1.1.1): the server's compressor starts
	// afresh for each message (with compress/flate: Reset after each
	// message), so no message refers to an earlier one. The client's
	// decompressor may then start afresh too; package conn should, to
	// free the window between messages. Without this parameter the
	// client's decompressor MUST keep its window from message to message.
	ServerNoContextTakeover bool

	// ClientNoContextTakeover (§7.1.1.2): the same for messages from the
	// client. The client's compressor resets after each message; the
	// server's decompressor may, and without this parameter must not.
	ClientNoContextTakeover bool

	// ServerMaxWindowBits (§7.1.2.1): the server's compressor uses an
	// LZ77 window of at most 2^N bytes. compress/flate always compresses
	// with a 32 KiB window and cannot be told otherwise, so for N < 15 a
	// Go server compresses without back-references (flate.HuffmanOnly),
	// which any window can inflate. The client's decompressor needs no
	// change: compress/flate inflates any window up to 32 KiB.
	ServerMaxWindowBits int

	// ClientMaxWindowBits (§7.1.2.2): the client's compressor uses a
	// window of at most 2^N bytes: for a Go client, flate.HuffmanOnly when
	// N < 15. The server's decompressor needs no change, as above. In an
	// offer, -1 means "client_max_window_bits" sent without a value: the
	// client supports the parameter and lets the server choose.
	ClientMaxWindowBits int
}

// NoContextTakeover reports whether messages sent by the server (when
// fromServer) or by the client are compressed each on its own (RFC 7692
// §7.1.1.1, §7.1.1.2). The sender's compressor must then reset after
// every message; the receiver's decompressor may reset too. When it
// reports false, the receiver's decompressor must keep its window from
// one message to the next, because the sender's may refer to it.
func (p DeflateParams) NoContextTakeover(fromServer bool) bool {
	if fromServer {
		return p.ServerNoContextTakeover
	}
	return p.ClientNoContextTakeover
}

// HuffmanOnly reports whether the compressor for messages sent by the
// server (when fromServer) or by the client must compress without
// back-references, at level flate.HuffmanOnly. That is so when the
// max_window_bits parameter of that direction (RFC 7692 §7.1.2.1,
// §7.1.2.2) is below 15: compress/flate always searches a 32 KiB window,
// so the only way for it to honour a smaller one is to use none. The
// receiving decompressor needs no change either way.
func (p DeflateParams) HuffmanOnly(fromServer bool) bool {
	bits := p.ClientMaxWindowBits
	if fromServer {
		bits = p.ServerMaxWindowBits
	}
	return minWindowBits <= bits && bits < maxWindowBits
}

// deflateErrorf returns an error wrapping ErrBadExtensions that says what
// is wrong with a permessage-deflate element.
func deflateErrorf(format string, args ...any) error {
	return fmt.Errorf("%w: %s: %s", ErrBadExtensions, PermessageDeflate, fmt.Sprintf(format, args...))
}

// ParseDeflateParams validates the parameters of one permessage-deflate
// element e, an offer when isOffer and a response otherwise, and returns
// them. It applies RFC 7692 §7 and §7.1; each of these is an error that
// wraps [ErrBadExtensions]:
//
//   - e is not named "permessage-deflate";
//   - a parameter name other than the four of §7.1 (names are compared
//     exactly: "Server_No_Context_Takeover" is unknown);
//   - a parameter given twice, even with the same value;
//   - server_no_context_takeover or client_no_context_takeover with a
//     value (§7.1.1.1, §7.1.1.2: they have none);
//   - a window-bits value that is not a decimal integer from 8 to 15
//     without leading zeroes (§7.1.2.1, §7.1.2.2: "1*DIGIT", "a decimal
//     integer value without leading zeroes between 8 to 15"), so "08",
//     "+9", "7" and "16" are all refused. The value is checked after
//     unquoting, so `server_max_window_bits="10"` is the same as
//     server_max_window_bits=10 ([ParseExtensions] has already unquoted
//     it);
//   - server_max_window_bits without a value (§7.1.2.1);
//   - in a response, client_max_window_bits without a value (§7.1.2.2:
//     a server answering it names the window the client must use).
//
// In an offer, a bare client_max_window_bits gives ClientMaxWindowBits
// -1. RFC 7692 §7 says what to do with an invalid element: a server
// declines the offer (see [NegotiateDeflate]); a client fails the
// connection (see [AcceptDeflateResponse]).
func ParseDeflateParams(e Extension, isOffer bool) (DeflateParams, error) {
	var p DeflateParams
	if e.Name != PermessageDeflate {
		return p, deflateErrorf("extension is %q", e.Name)
	}
	kind := "response"
	if isOffer {
		kind = "offer"
	}
	// One bit per parameter, in the order of the constants above.
	var seen uint8
	for _, param := range e.Params {
		var bit uint8
		switch param.Name {
		case paramServerNoContextTakeover:
			bit = 1 << 0
		case paramClientNoContextTakeover:
			bit = 1 << 1
		case paramServerMaxWindowBits:
			bit = 1 << 2
		case paramClientMaxWindowBits:
			bit = 1 << 3
		default:
			// §7: a parameter "not defined for use in an offer" (or in a
			// response) makes the element invalid.
			return p, deflateErrorf("unknown parameter %q in %s", param.Name, kind)
		}
		// §7: "multiple extension parameters with the same name".
		if seen&bit != 0 {
			return p, deflateErrorf("parameter %q given twice in %s", param.Name, kind)
		}
		seen |= bit

		switch param.Name {
		case paramServerNoContextTakeover, paramClientNoContextTakeover:
			// §7.1.1.1, §7.1.1.2: these parameters have no value.
			if param.HasValue {
				return p, deflateErrorf("parameter %q has a value (%q) in %s", param.Name, param.Value, kind)
			}
			if param.Name == paramServerNoContextTakeover {
				p.ServerNoContextTakeover = true
			} else {
				p.ClientNoContextTakeover = true
			}
		case paramServerMaxWindowBits:
			// §7.1.2.1: always with a value.
			bits, err := windowBitsValue(param, kind)
			if err != nil {
				return p, err
			}
			p.ServerMaxWindowBits = bits
		case paramClientMaxWindowBits:
			// §7.1.2.2: an offer may send it bare; a response may not.
			if !param.HasValue && isOffer {
				p.ClientMaxWindowBits = clientWindowBitsBare
				continue
			}
			bits, err := windowBitsValue(param, kind)
			if err != nil {
				return p, err
			}
			p.ClientMaxWindowBits = bits
		}
	}
	return p, nil
}

// windowBitsValue returns the value of a max_window_bits parameter, which
// must be there and be 8..15 written without leading zeroes (RFC 7692
// §7.1.2.1, §7.1.2.2).
func windowBitsValue(param Param, kind string) (int, error) {
	if !param.HasValue {
		return 0, deflateErrorf("parameter %q without a value in %s", param.Name, kind)
	}
	bits, ok := parseWindowBits(param.Value)
	if !ok {
		return 0, deflateErrorf("parameter %q is %q in %s, want 8 to 15 without leading zeroes", param.Name, param.Value, kind)
	}
	return bits, nil
}

// parseWindowBits parses s as a max_window_bits value: "1*DIGIT" holding
// a decimal integer from 8 to 15 without leading zeroes (RFC 7692
// §7.1.2.1). Anything else, such as "08", "+9" or "016", is refused.
func parseWindowBits(s string) (int, bool) {
	if s == "" || len(s) > 2 || s[0] == '0' {
		return 0, false
	}
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, minWindowBits <= n && n <= maxWindowBits
}

// DeflateConfig is what one endpoint is willing to do with
// permessage-deflate. The zero value offers, or accepts, the plainest
// configuration: context takeover both ways and 32 KiB windows.
//
// Window bits outside 8..15 are ignored, as if 0, except the -1 of
// ClientMaxWindowBits on a client.
type DeflateConfig struct {
	// ServerNoContextTakeover and ClientNoContextTakeover: on the client,
	// include them in the offer (§7.1.1.1: the server must then reset its
	// compressor after every message; §7.1.1.2: the client tells the
	// server it will reset its own). On the server, ask for them in the
	// response even when the client did not offer them, which §7.1.1.1
	// and §7.1.1.2 always allow.
	ServerNoContextTakeover bool
	ClientNoContextTakeover bool

	// ServerMaxWindowBits and ClientMaxWindowBits: on the client, the
	// values to put in the offer (0: leave the parameter out; for
	// ClientMaxWindowBits, -1 sends the parameter without a value, as
	// browsers do, letting the server choose).
	//
	// On the server, ClientMaxWindowBits > 0 asks the client to use at
	// most that window when the client's offer allows it (§7.1.2.2: only
	// an offer holding client_max_window_bits does), and
	// ServerMaxWindowBits > 0 announces that the server uses at most that
	// window (§7.1.2.1 allows it in any response); below 15 that makes
	// the server compress with flate.HuffmanOnly.
	ServerMaxWindowBits int
	ClientMaxWindowBits int
}

// validWindowBits returns bits if it is a window size of RFC 7692
// §7.1.2, and 0 (absent) otherwise.
func validWindowBits(bits int) int {
	if minWindowBits <= bits && bits <= maxWindowBits {
		return bits
	}
	return 0
}

// smallerWindow returns the smaller of two window sizes where 0 means
// absent (no limit).
func smallerWindow(a, b int) int {
	switch {
	case a == 0:
		return b
	case b == 0:
		return a
	}
	return min(a, b)
}

// offer returns the parameters a client with configuration cfg offers.
func (cfg DeflateConfig) offer() DeflateParams {
	p := DeflateParams{
		ServerNoContextTakeover: cfg.ServerNoContextTakeover,
		ClientNoContextTakeover: cfg.ClientNoContextTakeover,
		ServerMaxWindowBits:     validWindowBits(cfg.ServerMaxWindowBits),
		ClientMaxWindowBits:     validWindowBits(cfg.ClientMaxWindowBits),
	}
	if cfg.ClientMaxWindowBits == clientWindowBitsBare {
		p.ClientMaxWindowBits = clientWindowBitsBare
	}
	return p
}

// extension returns p as a permessage-deflate element, its parameters in
// the order of RFC 7692 §7.1. A ClientMaxWindowBits of -1 is written
// without a value.
func (p DeflateParams) extension() Extension {
	e := Extension{Name: PermessageDeflate}
	if p.ServerNoContextTakeover {
		e.Params = append(e.Params, Param{Name: paramServerNoContextTakeover})
	}
	if p.ClientNoContextTakeover {
		e.Params = append(e.Params, Param{Name: paramClientNoContextTakeover})
	}
	if p.ServerMaxWindowBits > 0 {
		e.Params = append(e.Params, Param{Name: paramServerMaxWindowBits, Value: strconv.Itoa(p.ServerMaxWindowBits), HasValue: true})
	}
	switch {
	case p.ClientMaxWindowBits > 0:
		e.Params = append(e.Params, Param{Name: paramClientMaxWindowBits, Value: strconv.Itoa(p.ClientMaxWindowBits), HasValue: true})
	case p.ClientMaxWindowBits == clientWindowBitsBare:
		e.Params = append(e.Params, Param{Name: paramClientMaxWindowBits})
	}
	return e
}

// DeflateOffer returns the client's permessage-deflate offer for cfg
// (RFC 7692 §5, §7.1), to put in Sec-WebSocket-Extensions with
// [FormatExtensions]. DeflateConfig{ClientMaxWindowBits: -1} gives
// "permessage-deflate; client_max_window_bits", the offer of Chrome and
// of most libraries.
func DeflateOffer(cfg DeflateConfig) Extension {
	return cfg.offer().extension()
}

// NegotiateDeflate is the server side of RFC 7692 §5.1 and §7.1. It walks
// the client's offers in the client's order of preference (§5: an
// element before another has higher preference), looks only at those
// named permessage-deflate, and accepts the first valid one. It returns
// the element to put in the response's Sec-WebSocket-Extensions, the
// parameters in force, and ok=false when no offer was accepted (the
// connection then goes on without compression, §5.1).
//
// An offer that [ParseDeflateParams] refuses is declined and the next one
// considered: RFC 7692 §7 says a server "MUST decline" such an offer, not
// fail the handshake. (A header that breaks the grammar of RFC 6455 §9.1
// is another matter: [ParseExtensions] refuses it as a whole.)
//
// Every valid offer is acceptable, so the answer to an offer is decided
// by the offer and cfg alone:
//
//   - server_no_context_takeover if the offer or cfg asks for it
//     (§7.1.1.1: a server accepts an offer holding it by echoing it, and
//     may add it anyway); likewise client_no_context_takeover (§7.1.1.2:
//     the server may always add it, and echoing the client's hint keeps
//     both sides' view of the parameters the same).
//   - server_max_window_bits: the smaller of the offer's and cfg's, if
//     either has one. §7.1.2.1 makes the server echo the offer's value
//     (or a smaller one) to accept it. compress/flate cannot shrink its
//     window, so instead of declining such an offer the server accepts
//     it and compresses without back-references:
//     params.HuffmanOnly(true) reports that.
//   - client_max_window_bits only if the offer holds it (§7.1.2.2: a
//     response to an offer without it "MUST NOT include" it): the
//     smaller of the offer's value and cfg's, or cfg's alone for a bare
//     offer, left out if neither has a value.
//
// The response names every parameter in force, so the client, reading
// it with [AcceptDeflateResponse], arrives at the same params.
func NegotiateDeflate(offers []Extension, cfg DeflateConfig) (response Extension, params DeflateParams, ok bool) {
	for _, offer := range offers {
		if offer.Name != PermessageDeflate {
			continue
		}
		offered, err := ParseDeflateParams(offer, true)
		if err != nil {
			continue // §7: decline this offer; a later one may do.
		}
		params = acceptDeflateOffer(offered, cfg)
		return params.extension(), params, true
	}
	return Extension{}, DeflateParams{}, false
}

// acceptDeflateOffer returns the parameters a server with configuration
// cfg answers a valid offer with; see NegotiateDeflate.
func acceptDeflateOffer(offered DeflateParams, cfg DeflateConfig) DeflateParams {
	// §7.1.1.1, §7.1.1.2: echo what the offer asked for, add what cfg
	// wants. §7.1.2.1: echo the offer's window, or a smaller one.
	p := DeflateParams{
		ServerNoContextTakeover: offered.ServerNoContextTakeover || cfg.ServerNoContextTakeover,
		ClientNoContextTakeover: offered.ClientNoContextTakeover || cfg.ClientNoContextTakeover,
		ServerMaxWindowBits:     smallerWindow(offered.ServerMaxWindowBits, validWindowBits(cfg.ServerMaxWindowBits)),
	}
	// §7.1.2.2: only an offer holding client_max_window_bits lets the
	// response hold it. A bare one lets the server choose any value; one
	// with a value caps it.
	switch want := validWindowBits(cfg.ClientMaxWindowBits); {
	case offered.ClientMaxWindowBits == clientWindowBitsBare:
		p.ClientMaxWindowBits = want
	case offered.ClientMaxWindowBits > 0:
		p.ClientMaxWindowBits = smallerWindow(offered.ClientMaxWindowBits, want)
	}
	return p
}

// AcceptDeflateResponse is the client side of RFC 7692 §5.1 and §7.1: it
// validates the server's permessage-deflate element response against the
// offer the client made, [DeflateOffer](cfg), and returns the parameters
// in force. RFC 7692 §7 has the client fail the connection when the
// response is invalid or stands for a configuration it did not offer;
// each of these is an error wrapping [ErrBadExtensions]:
//
//   - anything [ParseDeflateParams] refuses in a response: an unknown or
//     duplicated parameter, a bad value, a bare client_max_window_bits;
//   - the offer held server_no_context_takeover and the response does
//     not (§7.1.1.1: the server accepts it by echoing it);
//   - the offer held server_max_window_bits=N and the response has no
//     server_max_window_bits, or a larger one (§7.1.2.1: "the same or
//     smaller value");
//   - client_max_window_bits in the response when the offer had none
//     (§7.1.2.2), or larger than the offer's value.
//
// What the server may add on its own is accepted: server_no_context_takeover
// (§7.1.1.1), client_no_context_takeover (§7.1.1.2), and
// server_max_window_bits when the offer had none (§7.1.2.1).
//
// In the result, ClientNoContextTakeover also holds when only the offer
// had it (§7.1.1.2: a hint that the client will not use context takeover
// whatever the answer), and ClientMaxWindowBits is the smaller of the
// offer's and the response's values, since the client said it would keep
// to its own.
func AcceptDeflateResponse(response Extension, cfg DeflateConfig) (DeflateParams, error) {
	got, err := ParseDeflateParams(response, false)
	if err != nil {
		return DeflateParams{}, err
	}
	offered := cfg.offer()

	// §7.1.1.1: a server accepts an offer holding server_no_context_takeover
	// by including it in its response.
	if offered.ServerNoContextTakeover && !got.ServerNoContextTakeover {
		return DeflateParams{}, deflateErrorf("offer had %s, response does not", paramServerNoContextTakeover)
	}
	// §7.1.2.1: a server accepts an offer holding server_max_window_bits
	// by answering with "the same or smaller value".
	if offered.ServerMaxWindowBits > 0 {
		if got.ServerMaxWindowBits == 0 {
			return DeflateParams{}, deflateErrorf("offer had %s=%d, response does not", paramServerMaxWindowBits, offered.ServerMaxWindowBits)
		}
		if got.ServerMaxWindowBits > offered.ServerMaxWindowBits {
			return DeflateParams{}, deflateErrorf("response has %s=%d, offer allowed at most %d",
				paramServerMaxWindowBits, got.ServerMaxWindowBits, offered.ServerMaxWindowBits)
		}
	}
	// §7.1.2.2: a response holds client_max_window_bits only if the offer
	// did, and then no larger than the offer's value.
	if got.ClientMaxWindowBits > 0 {
		switch {
		case offered.ClientMaxWindowBits == 0:
			return DeflateParams{}, deflateErrorf("response has %s=%d, which the offer did not allow",
				paramClientMaxWindowBits, got.ClientMaxWindowBits)
		case offered.ClientMaxWindowBits > 0 && got.ClientMaxWindowBits > offered.ClientMaxWindowBits:
			return DeflateParams{}, deflateErrorf("response has %s=%d, offer allowed at most %d",
				paramClientMaxWindowBits, got.ClientMaxWindowBits, offered.ClientMaxWindowBits)
		}
	}

	params := got
	params.ClientNoContextTakeover = got.ClientNoContextTakeover || offered.ClientNoContextTakeover
	if offered.ClientMaxWindowBits > 0 {
		params.ClientMaxWindowBits = smallerWindow(got.ClientMaxWindowBits, offered.ClientMaxWindowBits)
	}
	return params, nil
}
