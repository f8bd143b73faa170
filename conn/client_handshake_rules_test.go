package conn

// Client-side rules of the opening handshake (RFC 6455 §4.1) that need a server of their own:
// the client waits for the response before sending anything, and names the host with SNI.

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/rfc6455/ws/frame"
)

// TestClientWaitsForResponse covers §4.1: "Once the client's opening handshake has been sent,
// the client MUST wait for a response from the server before sending any further data." The
// server reads the request and holds the response back: Dial must not return, and nothing
// more may arrive, until the 101 is sent; then the first frame follows it.
func TestClientWaitsForResponse(t *testing.T) {
	released := make(chan struct{})
	srv := startRawServer(t, func(p *serverPeer) error {
		// Nothing may follow the request while the response is held back. (A quiet 200 ms
		// cannot prove silence forever, but a client that wrote early would be caught here.)
		p.nc.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
		var one [1]byte
		n, err := p.br.Read(one[:])
		var ne net.Error
		if n > 0 || !errors.As(err, &ne) || !ne.Timeout() {
			return fmt.Errorf("§4.1: before the response the client sent %d bytes (%v)", n, err)
		}
		close(released)
		if err := p.accept(nil); err != nil {
			return err
		}
		h, payload, err := p.readFrame()
		if err != nil {
			return err
		}
		if h.Op != frame.OpText || string(payload) != "after" {
			return fmt.Errorf("first frame after the response: %v %q, want text \"after\"", h, payload)
		}
		return p.drain()
	})
	type dialed struct {
		c   *Conn
		err error
	}
	done := make(chan dialed, 1)
	go func() {
		c, _, err := dialForRules(srv.url, nil)
		done <- dialed{c, err}
	}()
	var d dialed
	select {
	case d = <-done:
		select {
		case <-released:
		default:
			t.Fatalf("§4.1: Dial returned (%v) before the server answered", d.err)
		}
	case <-released:
		d = <-done
	}
	if d.err != nil {
		t.Fatal(d.err)
	}
	if err := d.c.WriteMessage(frame.OpText, []byte("after")); err != nil {
		t.Fatal(err)
	}
	d.c.CloseNow()
	srv.wait(t)
}

// TestDialSendsServerName covers §4.1: "Clients MUST use the Server Name Indication extension
// in the TLS handshake." With a TLSConfig that sets no ServerName, Dial names the URL's host.
func TestDialSendsServerName(t *testing.T) {
	serverTLS, clientTLS := testTLSConfigs(t)
	names := make(chan string, 1)
	serverTLS = serverTLS.Clone()
	serverTLS.GetConfigForClient = func(hello *tls.ClientHelloInfo) (*tls.Config, error) {
		names <- hello.ServerName
		return nil, nil
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		nc, err := ln.Accept()
		if err != nil {
			return
		}
		c, err := UpgradeConn(tls.Server(nc, serverTLS), nil)
		if err != nil {
			nc.Close()
			return
		}
		c.ReadMessage(nil)
		c.CloseNow()
	}()
	clientTLS = clientTLS.Clone()
	clientTLS.ServerName = ""
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	c, _, err := dialForRules("wss://localhost:"+port+"/", &DialOptions{TLSConfig: clientTLS})
	if err != nil {
		if strings.Contains(err.Error(), "no such host") {
			t.Skipf("localhost does not resolve here: %v", err)
		}
		t.Fatal(err)
	}
	defer c.CloseNow()
	select {
	case name := <-names:
		if name != "localhost" {
			t.Errorf("§4.1: SNI server_name %q, want \"localhost\"", name)
		}
	default:
		t.Error("the server saw no ClientHello")
	}
}

// TestClientUsesNoExtensionTheServerDeclined covers RFC 6455 §9.1: the client "is only offering
// to use any advertised extensions and MUST NOT use them unless the server indicates that it
// wishes to use the extension." The client offers permessage-deflate, the server's 101 names no
// extension, and a message large enough to be compressed goes out with RSV1 clear, as sent.
func TestClientUsesNoExtensionTheServerDeclined(t *testing.T) {
	text := strings.Repeat("compress me if you may ", 40)
	srv := startRawServer(t, func(p *serverPeer) error {
		if !strings.Contains(p.req.Header.Get("Sec-WebSocket-Extensions"), "permessage-deflate") {
			return fmt.Errorf("the client did not offer permessage-deflate: %q", p.req.Header.Get("Sec-WebSocket-Extensions"))
		}
		if err := p.accept(nil); err != nil {
			return err
		}
		h, payload, err := p.readFrame()
		if err != nil {
			return err
		}
		if h.Rsv != 0 || h.Op != frame.OpText || string(payload) != text {
			return fmt.Errorf("§9.1: got %v with %d bytes, want an uncompressed text frame of the message", h, len(payload))
		}
		return p.drain()
	})
	c, _, err := dialForRules(srv.url, &DialOptions{Compression: &CompressionOptions{}})
	if err != nil {
		t.Fatal(err)
	}
	if c.Compressed() {
		t.Error("§9.1: Compressed() after a response without permessage-deflate")
	}
	if err := c.WriteMessage(frame.OpText, []byte(text)); err != nil {
		t.Fatal(err)
	}
	c.CloseNow()
	srv.wait(t)
}
