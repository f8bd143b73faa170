package handshake_test

import (
	"bufio"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/rfc6455/ws/handshake"
)

func ExampleAcceptKey() {
	// The key and answer of RFC 6455 §1.3.
	fmt.Println(handshake.AcceptKey("dGhlIHNhbXBsZSBub25jZQ=="))
	// Output: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=
}

func ExampleSelectSubprotocol() {
	h := http.Header{}
	h.Set("Sec-WebSocket-Protocol", "soap, wamp")
	offered := handshake.Subprotocols(h)
	fmt.Printf("offered %q, chosen %q\n", offered, handshake.SelectSubprotocol(offered, []string{"wamp"}))
	// Output: offered ["soap" "wamp"], chosen "wamp"
}

func ExampleCheckRequest() {
	raw := "GET /chat HTTP/1.1\r\n" +
		"Host: server.example.com\r\n" +
		"Upgrade: websocket\r\n" +
		"Connection: Upgrade\r\n" +
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n" +
		"Sec-WebSocket-Version: 8\r\n" +
		"\r\n"
	r, _ := http.ReadRequest(bufio.NewReader(strings.NewReader(raw)))

	err := handshake.CheckRequest(r)
	var herr *handshake.Error
	if errors.As(err, &herr) {
		fmt.Println(herr.Status, herr.Header.Get("Sec-WebSocket-Version"))
		fmt.Println(herr.Reason)
	}

	// After the client retries with version 13 (§4.4):
	r.Header.Set("Sec-WebSocket-Version", "13")
	fmt.Println(handshake.CheckRequest(r))
	// Output:
	// 426 13
	// unsupported Sec-WebSocket-Version: this server speaks version 13
	// <nil>
}

func ExampleParseExtensions() {
	h := http.Header{}
	h.Add("Sec-WebSocket-Extensions", "permessage-deflate; client_max_window_bits, permessage-deflate")
	h.Add("Sec-WebSocket-Extensions", `x-custom; level="10"`)
	exts, err := handshake.ParseExtensions(h)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, e := range exts {
		fmt.Printf("%s %+v\n", e.Name, e.Params)
	}
	fmt.Println(handshake.FormatExtensions(exts))
	// Output:
	// permessage-deflate [{Name:client_max_window_bits Value: HasValue:false}]
	// permessage-deflate []
	// x-custom [{Name:level Value:10 HasValue:true}]
	// permessage-deflate; client_max_window_bits, permessage-deflate, x-custom; level=10
}

func ExampleAppendResponse() {
	resp := handshake.AppendResponse(nil, "dGhlIHNhbXBsZSBub25jZQ==", "chat", "", nil)
	fmt.Print(strings.ReplaceAll(string(resp), "\r\n", "\n"))
	// Output:
	// HTTP/1.1 101 Switching Protocols
	// Upgrade: websocket
	// Connection: Upgrade
	// Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=
	// Sec-WebSocket-Protocol: chat
}

func ExampleNegotiateDeflate() {
	// Chrome's offer (RFC 7692 §7.1.2.2: a bare client_max_window_bits
	// lets the server choose the client's window), after one this server
	// must decline (§7: 16 is not a window size).
	h := http.Header{}
	h.Set("Sec-WebSocket-Extensions", "permessage-deflate; server_max_window_bits=16, permessage-deflate; client_max_window_bits")
	offers, err := handshake.ParseExtensions(h)
	if err != nil {
		fmt.Println(err)
		return
	}

	response, params, ok := handshake.NegotiateDeflate(offers, handshake.DeflateConfig{ClientMaxWindowBits: 12})
	fmt.Println(ok)
	fmt.Println(handshake.FormatExtensions([]handshake.Extension{response}))
	fmt.Printf("%+v\n", params)
	fmt.Println("server compresses HuffmanOnly:", params.HuffmanOnly(true))
	fmt.Println("client compresses HuffmanOnly:", params.HuffmanOnly(false))
	// Output:
	// true
	// permessage-deflate; client_max_window_bits=12
	// {ServerNoContextTakeover:false ClientNoContextTakeover:false ServerMaxWindowBits:0 ClientMaxWindowBits:12}
	// server compresses HuffmanOnly: false
	// client compresses HuffmanOnly: true
}

func ExampleAcceptDeflateResponse() {
	// The client offers what browsers offer, and asks the server not to
	// keep context between messages (RFC 7692 §7.1.1.1).
	cfg := handshake.DeflateConfig{ServerNoContextTakeover: true, ClientMaxWindowBits: -1}
	fmt.Println(handshake.FormatExtensions([]handshake.Extension{handshake.DeflateOffer(cfg)}))

	for _, answer := range []string{
		"permessage-deflate; server_no_context_takeover; client_max_window_bits=10",
		"permessage-deflate", // §7.1.1.1: does not accept the offer
	} {
		h := http.Header{}
		h.Set("Sec-WebSocket-Extensions", answer)
		exts, _ := handshake.ParseExtensions(h)
		params, err := handshake.AcceptDeflateResponse(exts[0], cfg)
		if err != nil {
			fmt.Println(err)
			continue
		}
		fmt.Printf("%+v\n", params)
	}
	// Output:
	// permessage-deflate; server_no_context_takeover; client_max_window_bits
	// {ServerNoContextTakeover:true ClientNoContextTakeover:false ServerMaxWindowBits:0 ClientMaxWindowBits:10}
	// handshake: bad Sec-WebSocket-Extensions: permessage-deflate: offer had server_no_context_takeover, response does not
}

func ExampleParseRequest() {
	// What a client sent on a connection fresh from a net.Listener: its
	// request head (the seed's offer of subprotocols), and right behind it
	// the first bytes of its first frame.
	received := []byte("GET /chat HTTP/1.1\r\n" +
		"Host: server.example.com\r\n" +
		"Upgrade: websocket\r\n" +
		"Connection: Upgrade\r\n" +
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n" +
		"Sec-WebSocket-Protocol: soap, wamp\r\n" +
		"Sec-WebSocket-Version: 13\r\n" +
		"\r\n" +
		"\x81\x85")

	n := handshake.HeadLength(received) // -1 would mean: read more
	req, err := handshake.ParseRequest(received[:n])
	if err == nil {
		err = req.Check()
	}
	if err == nil {
		err = req.CheckOrigin(nil)
	}
	var herr *handshake.Error
	if errors.As(err, &herr) {
		fmt.Printf("%s", herr.AppendResponse(nil))
		return
	}

	protocol := handshake.SelectSubprotocol(req.Subprotocols(), []string{"wamp"})
	resp := handshake.AppendResponse(nil, req.Get("Sec-WebSocket-Key"), protocol, "", nil)
	fmt.Print(strings.ReplaceAll(string(resp), "\r\n", "\n"))
	fmt.Printf("first frame starts with % x\n", received[n:])
	// Output:
	// HTTP/1.1 101 Switching Protocols
	// Upgrade: websocket
	// Connection: Upgrade
	// Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=
	// Sec-WebSocket-Protocol: wamp
	//
	// first frame starts with 81 85
}

func ExampleError_AppendResponse() {
	req, _ := handshake.ParseRequest([]byte("GET /chat HTTP/1.1\r\nHost: server.example.com\r\n\r\n"))
	var herr *handshake.Error
	if errors.As(req.Check(), &herr) {
		fmt.Print(strings.ReplaceAll(string(herr.AppendResponse(nil)), "\r\n", "\n"))
	}
	// Output:
	// HTTP/1.1 426 Upgrade Required
	// Content-Type: text/plain; charset=utf-8
	// Connection: close
	// Connection: Upgrade
	// Sec-Websocket-Version: 13
	// Upgrade: websocket
	// Content-Length: 71
	//
	// not a WebSocket handshake: the Upgrade header must contain "websocket"
}
