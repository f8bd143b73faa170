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
