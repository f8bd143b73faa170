package main

import (
	"bufio"
	"crypto/tls"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/rfc6455/ws/frame"
	"github.com/rfc6455/ws/handshake"
	"github.com/rfc6455/ws/mask"
)

// TestHTTP2WebSocket opens a WebSocket to cmd/echo as a stream of an HTTP/2 connection over TLS
// (RFC 8441: extended CONNECT with :protocol websocket), as a browser does when the server
// offers h2, and echoes a message with frames written by hand.
func TestHTTP2WebSocket(t *testing.T) {
	certFile, keyFile, pool := selfSignedCert(t)
	url, logs, cancel, wait := runServer(t, mustConfig(t, "-tls-cert", certFile, "-tls-key", keyFile, "-subprotocols", "wamp"), nil)
	defer func() {
		cancel()
		if err := wait(); err != nil {
			t.Errorf("run: %v", err)
		}
	}()
	host := strings.TrimPrefix(url, "ws://")

	// net/http's HTTP/2 client sends :protocol (http.Client refuses the header name before
	// it knows the request goes over HTTP/2): the transport hands it out for a connection
	// that negotiated h2.
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}, ForceAttemptHTTP2: true}
	defer tr.CloseIdleConnections()
	if resp, err := (&http.Client{Transport: tr}).Get("https://" + host + "/"); err == nil {
		resp.Body.Close()
	}
	tc, err := tls.Dial("tcp", host, &tls.Config{RootCAs: pool, NextProtos: []string{"h2"}})
	if err != nil {
		t.Fatal(err)
	}
	rt := tr.TLSNextProto["h2"](host, tc)

	body, out := io.Pipe()
	defer out.Close()
	req, _ := http.NewRequest(http.MethodConnect, "https://"+host+"/ws", body)
	req.Header.Set(handshake.ProtocolPseudoHeader, "websocket")
	req.Header.Set("Sec-WebSocket-Version", "13")
	req.Header.Set("Sec-WebSocket-Protocol", "soap, wamp")
	resp, err := rt.RoundTrip(req)
	if err != nil {
		t.Fatalf("extended CONNECT: %v", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Sec-WebSocket-Protocol") != "wamp" {
		t.Fatalf("RFC 8441 §5: %s %s with subprotocol %q, want 200 and wamp", resp.Proto, resp.Status, resp.Header.Get("Sec-WebSocket-Protocol"))
	}

	send := func(op frame.Opcode, payload []byte) {
		t.Helper()
		key := [4]byte{1, 2, 3, 4}
		h := frame.Header{Fin: true, Op: op, Masked: true, Key: key, Length: int64(len(payload))}
		b := frame.AppendHeader(nil, h)
		start := len(b)
		b = append(b, payload...)
		mask.Apply(key, 0, b[start:]) // RFC 6455 §5.3: a client masks, over HTTP/2 too
		if _, err := out.Write(b); err != nil {
			t.Fatal(err)
		}
	}
	frames := bufio.NewReader(resp.Body)
	receive := func() (frame.Header, []byte) {
		t.Helper()
		h, err := frame.ReadHeader(frames)
		if err != nil {
			t.Fatal(err)
		}
		p := make([]byte, h.Length)
		if _, err := io.ReadFull(frames, p); err != nil {
			t.Fatal(err)
		}
		return h, p
	}
	send(frame.OpText, []byte("Hello over HTTP/2!"))
	if h, p := receive(); h.Op != frame.OpText || string(p) != "Hello over HTTP/2!" {
		t.Fatalf("echo: %v %q", h.Op, p)
	}
	send(frame.OpClose, frame.AppendClose(nil, frame.CloseNormal, "bye"))
	if h, p := receive(); h.Op != frame.OpClose {
		t.Fatalf("after our close frame: %v %q, want the close frame's echo (§5.5.1)", h.Op, p)
	}
	logs.waitFor(t, `subprotocol="wamp" close=1000 reason="bye" messages=1`, "http=2")
}

// TestH2C: with -h2c, a client that speaks HTTP/2 with prior knowledge over cleartext gets
// HTTP/2 (and with it RFC 8441's WebSockets, on the same handler as over TLS), while RFC
// 6455's upgrade of an HTTP/1.1 connection works as before.
func TestH2C(t *testing.T) {
	url, _, cancel, wait := runServer(t, mustConfig(t, "-h2c"), nil)
	defer func() {
		cancel()
		if err := wait(); err != nil {
			t.Errorf("run: %v", err)
		}
	}()
	var protocols http.Protocols
	protocols.SetUnencryptedHTTP2(true)
	tr := &http.Transport{Protocols: &protocols}
	defer tr.CloseIdleConnections()
	resp, err := (&http.Client{Transport: tr}).Get("http" + strings.TrimPrefix(url, "ws") + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.ProtoMajor != 2 {
		t.Fatalf("GET / with prior knowledge: %s %s, want 200 over HTTP/2", resp.Proto, resp.Status)
	}
	c := dial(t, url+"/ws", nil)
	c.WriteMessage(frame.OpText, []byte("still HTTP/1.1"))
	if _, p, err := c.ReadMessage(nil); err != nil || string(p) != "still HTTP/1.1" {
		t.Fatalf("RFC 6455 echo beside h2c: %q, %v", p, err)
	}
}
