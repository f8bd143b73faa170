package conn_test

// Examples of the common tasks, one each: choosing a subprotocol, wss://, streaming a large
// message, serving a browser page, compression. The echo server and the client are
// ExampleUpgrade and ExampleDial; a server without net/http is ExampleUpgradeConn.

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/rfc6455/ws/conn"
	"github.com/rfc6455/ws/frame"
)

// wsURL turns an httptest server's http:// or https:// URL into ws:// or wss://.
func wsURL(srv *httptest.Server) string { return "ws" + strings.TrimPrefix(srv.URL, "http") }

// echoHandler upgrades with opts and echoes every message until the connection ends.
func echoHandler(opts *conn.UpgradeOptions) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		c, err := conn.Upgrade(w, r, opts)
		if err != nil {
			return
		}
		defer c.Close(frame.CloseNormal, "")
		var buf []byte
		for {
			op, p, err := c.ReadMessage(buf)
			if err != nil {
				return
			}
			buf = p
			if c.WriteMessage(op, p) != nil {
				return
			}
		}
	}
}

// ExampleUpgradeOptions_subprotocols shows how a subprotocol is chosen (RFC 6455 §4.2.2): the
// server takes the first of its own Subprotocols that the client offered, whatever the client's
// order; with none in common the connection opens with no subprotocol, and the application
// decides whether that will do.
func ExampleUpgradeOptions_subprotocols() {
	srv := httptest.NewServer(echoHandler(&conn.UpgradeOptions{Subprotocols: []string{"mqtt", "wamp", "soap"}}))
	defer srv.Close()

	for _, offer := range [][]string{{"soap", "wamp"}, {"soap"}, {"graphql-ws"}} {
		c, _, err := conn.Dial(context.Background(), wsURL(srv), &conn.DialOptions{Subprotocols: offer})
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("offered %v: %q\n", offer, c.Subprotocol())
		c.Close(frame.CloseNormal, "")
	}
	// Output:
	// offered [soap wamp]: "wamp"
	// offered [soap]: "soap"
	// offered [graphql-ws]: ""
}

// ExampleDial_wss connects over TLS. Dial checks the server's certificate against
// TLSConfig.RootCAs (the system's roots when TLSConfig is nil) and sends the URL's host as
// the TLS server name (SNI). The server side is any net/http TLS server.
func ExampleDial_wss() {
	srv := httptest.NewTLSServer(echoHandler(nil))
	defer srv.Close()
	roots := x509.NewCertPool()
	roots.AddCert(srv.Certificate()) // a real server's certificate chains to the system roots

	c, _, err := conn.Dial(context.Background(), wsURL(srv), &conn.DialOptions{
		TLSConfig: &tls.Config{RootCAs: roots},
	})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close(frame.CloseNormal, "")
	c.WriteMessage(frame.OpText, []byte("over TLS"))
	_, p, _ := c.ReadMessage(nil)
	fmt.Println(string(p))
	// Output: over TLS
}

// ExampleConn_NextWriter streams a message too large to hold at once: NextWriter sends it as
// fragments (RFC 6455 §5.4) as it is written, and NextReader hands the message to the reader as
// an io.Reader, so neither side keeps the whole of it. The read limit still counts every byte.
func ExampleConn_NextWriter() {
	sizes := make(chan int64, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := conn.Upgrade(w, r, &conn.UpgradeOptions{ReadLimit: 64 << 20})
		if err != nil {
			return
		}
		defer c.Close(frame.CloseNormal, "")
		_, msg, err := c.NextReader()
		if err != nil {
			return
		}
		n, _ := io.Copy(io.Discard, msg) // or to a file, a decoder, a hash
		sizes <- n
	}))
	defer srv.Close()

	c, _, err := conn.Dial(context.Background(), wsURL(srv), nil)
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close(frame.CloseNormal, "")
	w, err := c.NextWriter(frame.OpBinary)
	if err != nil {
		log.Fatal(err)
	}
	chunk := make([]byte, 64<<10)
	for range 160 { // 10 MiB, 64 KiB at a time
		if _, err := w.Write(chunk); err != nil {
			log.Fatal(err)
		}
	}
	if err := w.Close(); err != nil { // the final fragment, FIN set
		log.Fatal(err)
	}
	fmt.Println(<-sizes, "bytes received")
	// Output: 10485760 bytes received
}

// page is a browser page that talks to the server it came from.
const page = `<!doctype html>
<title>echo</title>
<script>
const ws = new WebSocket((location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/ws");
ws.onopen = () => ws.send("Hello from the browser!");
ws.onmessage = (e) => document.body.append(e.data);
</script>`

// ExampleUpgrade_browserPage serves a page at / whose script opens a WebSocket to /ws on the
// same server. A browser sends an Origin header; Upgrade accepts the page's own origin and
// refuses every other with 403 (RFC 6455 §10.2) unless OriginPatterns or CheckOrigin allow
// it. Here a client stands in for the browser, sending the Origin a browser would.
func ExampleUpgrade_browserPage() {
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		io.WriteString(w, page)
	})
	mux.Handle("/ws", echoHandler(nil))
	srv := httptest.NewServer(mux)
	defer srv.Close()

	resp, err := http.Get(srv.URL + "/")
	if err != nil {
		log.Fatal(err)
	}
	resp.Body.Close()
	fmt.Println("page:", resp.Header.Get("Content-Type"))

	c, _, err := conn.Dial(context.Background(), wsURL(srv)+"/ws", &conn.DialOptions{Origin: srv.URL})
	if err != nil {
		log.Fatal(err)
	}
	c.WriteMessage(frame.OpText, []byte("Hello from the browser!"))
	_, p, _ := c.ReadMessage(nil)
	fmt.Println("same origin:", string(p))
	c.Close(frame.CloseNormal, "")

	_, resp, err = conn.Dial(context.Background(), wsURL(srv)+"/ws", &conn.DialOptions{Origin: "https://evil.example"})
	fmt.Println("other origin:", resp.StatusCode, err != nil)
	// Output:
	// page: text/html; charset=utf-8
	// same origin: Hello from the browser!
	// other origin: 403 true
}

// ExampleCompressionOptions turns on permessage-deflate (RFC 7692) on both sides. It is off
// unless asked for; the server accepts the client's offer, and Compressed reports the outcome.
// By default each message is compressed on its own (no context takeover either way), so an idle
// connection keeps no compressor; ContextTakeover trades memory for ratio. Messages of Threshold
// bytes or more (128 by default) are compressed.
func ExampleCompressionOptions() {
	srv := httptest.NewServer(echoHandler(&conn.UpgradeOptions{Compression: &conn.CompressionOptions{}}))
	defer srv.Close()

	c, resp, err := conn.Dial(context.Background(), wsURL(srv), &conn.DialOptions{Compression: &conn.CompressionOptions{}})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close(frame.CloseNormal, "")
	fmt.Println(resp.Header.Get("Sec-WebSocket-Extensions"))
	fmt.Println("compressed:", c.Compressed())
	msg := strings.Repeat("a message that compresses well. ", 100)
	c.WriteMessage(frame.OpText, []byte(msg))
	_, p, _ := c.ReadMessage(nil)
	fmt.Println(len(p) == len(msg))
	// Output:
	// permessage-deflate; server_no_context_takeover; client_no_context_takeover
	// compressed: true
	// true
}
