package conform

// permessage-deflate (RFC 7692) as the suite does it, for families 12 and 13: the offers and
// answers of the opening handshake (worked out with package handshake), the suite's own
// compressor (compress/flate with a sync flush, RFC 7692 §7.2.1) and its own decompressor
// (inflate.go, which checks the peer's back-references against what the peer agreed to).

import (
	"bytes"
	"compress/flate"
	"fmt"
	"net/http"
	"strings"

	"github.com/rfc6455/ws/handshake"
)

// deflateChoice is one configuration of permessage-deflate, told from the side of the endpoint
// under test, so that one case means the same in both roles. As the client (testing a server),
// the suite offers it: the peer's parameters are then the server_ ones. As the server (testing a
// client), the suite answers the client's offer with it: the peer's parameters are the client_
// ones, which a server may ask for (RFC 7692 §7.1.1.2; §7.1.2.2 when the offer allows).
type deflateChoice struct {
	peerNoContextTakeover bool // the peer compresses each message on its own (RFC 7692 §7.1.1)
	peerMaxWindowBits     int  // the peer compresses with a window of at most 2^N bytes (RFC 7692 §7.1.2); 0: 2^15
	ownNoContextTakeover  bool // the suite compresses each message on its own
	ownMaxWindowBits      int  // the suite compresses with a window of at most 2^N bytes; 0: as the peer likes
}

// offerConfig is c as the suite offers it to a server. Every offer holds client_max_window_bits,
// without a value when the suite sets no window of its own, so that the server may choose one
// (RFC 7692 §7.1.2.2), as browsers offer it.
func (c deflateChoice) offerConfig() handshake.DeflateConfig {
	cfg := handshake.DeflateConfig{
		ServerNoContextTakeover: c.peerNoContextTakeover,
		ServerMaxWindowBits:     c.peerMaxWindowBits,
		ClientNoContextTakeover: c.ownNoContextTakeover,
		ClientMaxWindowBits:     c.ownMaxWindowBits,
	}
	if cfg.ClientMaxWindowBits == 0 {
		cfg.ClientMaxWindowBits = -1
	}
	return cfg
}

// answerConfig is c as the suite, the server, answers a client's offer with it.
func (c deflateChoice) answerConfig() handshake.DeflateConfig {
	return handshake.DeflateConfig{
		ClientNoContextTakeover: c.peerNoContextTakeover,
		ClientMaxWindowBits:     c.peerMaxWindowBits,
		ServerNoContextTakeover: c.ownNoContextTakeover,
		ServerMaxWindowBits:     c.ownMaxWindowBits,
	}
}

// String describes c in a case's description.
func (c deflateChoice) String() string {
	var parts []string
	if c.peerNoContextTakeover {
		parts = append(parts, "the peer's no_context_takeover")
	}
	if c.peerMaxWindowBits > 0 {
		parts = append(parts, fmt.Sprintf("the peer's max_window_bits=%d", c.peerMaxWindowBits))
	}
	if c.ownNoContextTakeover {
		parts = append(parts, "the suite's no_context_takeover")
	}
	if c.ownMaxWindowBits > 0 {
		parts = append(parts, fmt.Sprintf("the suite's max_window_bits=%d", c.ownMaxWindowBits))
	}
	if len(parts) == 0 {
		return "no parameters (context takeover both ways, 32 KiB windows)"
	}
	return strings.Join(parts, ", ")
}

// ---- The connection's state -----------------------------------------------------------------------

// permessageDeflate is permessage-deflate in force on a connection.
type permessageDeflate struct {
	params handshake.DeflateParams
	out    *deflater // the suite's messages; used by the case's goroutine
	in     *inflater // the peer's messages; used by the reader's goroutine
}

// newPermessageDeflate returns the state for params, in force on a connection on which the suite
// is the client when client is set.
func newPermessageDeflate(params handshake.DeflateParams, client bool) *permessageDeflate {
	peerServer := client // the peer is the server when the suite is the client
	peer := "client"
	if peerServer {
		peer = "server"
	}
	bits := params.ClientMaxWindowBits
	if peerServer {
		bits = params.ServerMaxWindowBits
	}
	windowParam := fmt.Sprintf("%s_max_window_bits=%d", peer, bits)
	if bits == 0 {
		windowParam = fmt.Sprintf("no %s_max_window_bits (a window of 32 KiB)", peer)
	}
	return &permessageDeflate{
		params: params,
		out:    newDeflater(params.HuffmanOnly(!peerServer), params.NoContextTakeover(!peerServer)),
		in:     newInflater(bits, params.NoContextTakeover(peerServer), windowParam, peer+"_no_context_takeover", maxMessage),
	}
}

// describe says which parameters are in force, direction by direction, for a case's notes.
func (p *permessageDeflate) describe(client bool) string {
	direction := func(fromServer bool) string {
		takeover := "context takeover"
		if p.params.NoContextTakeover(fromServer) {
			takeover = "no context takeover"
		}
		bits := p.params.ClientMaxWindowBits
		if fromServer {
			bits = p.params.ServerMaxWindowBits
		}
		if bits == 0 {
			bits = 15
		}
		return fmt.Sprintf("%s, window 2^%d", takeover, bits)
	}
	peer, suite := "server", "client"
	if !client {
		peer, suite = suite, peer
	}
	return fmt.Sprintf("in force: %s (peer) to %s (suite): %s; %s to %s: %s",
		peer, suite, direction(client), suite, peer, direction(!client))
}

// ---- Compressing --------------------------------------------------------------------------------

// deflater compresses the messages the suite sends, as RFC 7692 §7.2.1 says: DEFLATE with a sync
// flush (which ends with an empty stored block), then the last 4 bytes, 00 00 ff ff, removed.
// With context takeover one compressor serves every message, so that a message may refer back
// into the ones before; without, the compressor starts afresh for each message.
type deflater struct {
	w        *flate.Writer
	buf      bytes.Buffer
	takeover bool
}

// newDeflater returns a compressor. huffmanOnly asks for no back-references at all: the peer
// asked for a window smaller than 32 KiB (RFC 7692 §7.1.2), and compress/flate cannot search a
// smaller one, but data without back-references inflates with any window. The suite otherwise
// compresses at flate.BestSpeed, which still produces back-references up to 32 KiB back.
func newDeflater(huffmanOnly, noTakeover bool) *deflater {
	d := &deflater{takeover: !noTakeover}
	level := flate.BestSpeed
	if huffmanOnly {
		level = flate.HuffmanOnly
	}
	d.w, _ = flate.NewWriter(&d.buf, level) // the level is valid
	return d
}

// compress returns the payload of a compressed message holding p.
func (d *deflater) compress(p []byte) []byte {
	d.buf.Reset()
	if !d.takeover {
		d.w.Reset(&d.buf)
	}
	d.w.Write(p) // writes to a bytes.Buffer do not fail
	d.w.Flush()
	out := d.buf.Bytes()
	// A sync flush always ends with the empty stored block; RFC 7692 §7.2.1 step 3 drops its
	// LEN and NLEN.
	return bytes.Clone(out[:len(out)-len(syncTail)])
}

// ---- Negotiating ----------------------------------------------------------------------------------

// offerExtensions returns the Sec-WebSocket-Extensions value with which the suite, as a client,
// offers choices, in order of preference (RFC 7692 §5).
func offerExtensions(choices []deflateChoice) string {
	var offers []handshake.Extension
	for _, c := range choices {
		offers = append(offers, handshake.DeflateOffer(c.offerConfig()))
	}
	return handshake.FormatExtensions(offers)
}

// negotiation is what the opening handshake of a compression case settled.
type negotiation struct {
	pmd   *permessageDeflate // nil: no compression
	notes []string           // what was offered and answered, for the case's observations
	short string             // when set, the case could not have all its parameters: why
}

// acceptAnswer works out, as the client, the parameters in force from the server's response
// header to the offers of choices (RFC 7692 §5.1, §7.1). A response that answers none of the
// offers is an error: RFC 7692 §7 has the client fail the connection.
func acceptAnswer(h http.Header, choices []deflateChoice) (negotiation, error) {
	n := negotiation{notes: []string{"offered: " + offerExtensions(choices)}}
	exts, err := handshake.ParseExtensions(h)
	if err != nil {
		return n, err // CheckResponse has refused this already
	}
	var answer *handshake.Extension
	for i := range exts {
		if exts[i].Name == handshake.PermessageDeflate {
			answer = &exts[i]
		}
	}
	if answer == nil {
		n.notes = append(n.notes, "the server accepted no offer: no permessage-deflate (RFC 7692 §5.1 lets a server decline)")
		return n, nil
	}
	var firstErr error
	for i, c := range choices {
		params, err := handshake.AcceptDeflateResponse(*answer, c.offerConfig())
		if err != nil {
			if firstErr == nil {
				firstErr = err
			}
			continue
		}
		which := ""
		if len(choices) > 1 {
			which = fmt.Sprintf(" (answers offer %d of %d)", i+1, len(choices))
		}
		n.notes = append(n.notes, "answered: "+answer.String()+which)
		n.pmd = newPermessageDeflate(params, true)
		n.notes = append(n.notes, n.pmd.describe(true))
		return n, nil
	}
	return n, fmt.Errorf("the server answered %q, which fits none of the offers (%s): %v (RFC 7692 §7.1; the client must fail the connection)",
		answer.String(), offerExtensions(choices), firstErr)
}

// answerOffers works out, as the server, the answer to the client's offers in the request
// header h, for choices in the suite's order of preference, and the parameters then in force. It
// takes the first choice that some valid offer allows in full (trying the offers in the client's
// order, RFC 7692 §5); failing that, the first choice as far as the first valid offer allows,
// with n.short saying what is missing. The answer is "" when the client offered no valid
// permessage-deflate.
func answerOffers(h http.Header, choices []deflateChoice) (answer string, n negotiation) {
	offered := strings.Join(h.Values("Sec-WebSocket-Extensions"), ", ")
	if offered == "" {
		offered = "nothing"
	}
	n.notes = []string{"the client offered: " + offered}
	offers, err := handshake.ParseExtensions(h)
	if err != nil {
		n.notes = append(n.notes, fmt.Sprintf("its Sec-WebSocket-Extensions cannot be parsed (%v): no permessage-deflate", err))
		return "", n
	}
	var valid []handshake.Extension
	for _, o := range offers {
		if o.Name != handshake.PermessageDeflate {
			continue
		}
		if _, err := handshake.ParseDeflateParams(o, true); err != nil {
			n.notes = append(n.notes, fmt.Sprintf("declined the invalid offer %q: %v (RFC 7692 §7)", o.String(), err))
			continue
		}
		valid = append(valid, o)
	}
	if len(valid) == 0 {
		n.notes = append(n.notes, "no valid permessage-deflate offer: no compression")
		return "", n
	}
	for _, c := range choices {
		for _, o := range valid {
			resp, params, _ := handshake.NegotiateDeflate([]handshake.Extension{o}, c.answerConfig())
			if c.peerMaxWindowBits > 0 && c.peerMaxWindowBits < 15 && params.ClientMaxWindowBits == 0 {
				// RFC 7692 §7.1.2.2: only an offer with client_max_window_bits lets the server
				// ask for a window. (A window of 2^15 is what the client has anyway.)
				continue
			}
			if len(choices) > 1 && c != choices[0] {
				n.notes = append(n.notes, "no offer allows the first choice of the case (client_max_window_bits is not offered, RFC 7692 §7.1.2.2); answered with a later one")
			}
			return n.answered(resp, params)
		}
	}
	resp, params, _ := handshake.NegotiateDeflate(valid[:1], choices[0].answerConfig())
	n.short = fmt.Sprintf("the client's offer does not allow client_max_window_bits (RFC 7692 §7.1.2.2), so the case ran without asking for a window of 2^%d bytes",
		choices[0].peerMaxWindowBits)
	return n.answered(resp, params)
}

// answered completes a negotiation in which the suite, the server, answered resp.
func (n negotiation) answered(resp handshake.Extension, params handshake.DeflateParams) (string, negotiation) {
	n.notes = append(n.notes, "answered: "+resp.String())
	n.pmd = newPermessageDeflate(params, false)
	n.notes = append(n.notes, n.pmd.describe(false))
	return handshake.FormatExtensions([]handshake.Extension{resp}), n
}
