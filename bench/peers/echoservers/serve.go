package echoservers

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/lxzan/gws"
)

// ReadLimit is the largest message every WebSocket echo server accepts, counted across its
// fragments (RFC 6455 §10.4), where the library lets us choose it: the default of package conn.
// gws keeps its own default of 16 MiB. Both are far above the 1 MiB the benchmarks send.
const ReadLimit = 32 << 20

// Lib describes one echo server.
type Lib struct {
	Name string // the -lib name, also the column name in benchmark output
	// UTF8 says who validates text messages (RFC 6455 §8.1): "library", "server" (the echo
	// server calls the standard library because the library does not) or "off".
	UTF8 string
	// Raw is true for the plain TCP echo, which does not speak WebSocket; clients must talk to it
	// in raw mode (see package load).
	Raw bool
	// Compression is how the server answers a permessage-deflate offer (RFC 7692): "" for not at
	// all, "deflate" for no context takeover, "deflate-takeover" for a server that keeps its
	// compression context; the names of the load generator's modes (load.Compression).
	Compression string
	Note        string // how the server is written
}

// Libs lists every echo server in a fixed order: ours first, then the peers, then the baseline.
var Libs = []Lib{
	{Name: "ours", UTF8: "library", Note: "as cmd/echo: conn.UpgradeConn on the raw net.Conn (no net/http), echo from a fresh goroutine, NextReaderIdle into a pooled buffer, BufferMessage while more input waits; after 1 s of silence the connection parks (epoll, no goroutine)"},
	{Name: "ours-keepalive", UTF8: "library", Note: "as ours with PingInterval 45 s and PingTimeout 30 s: keepalive rides on the read deadline"},
	{Name: "ours-http", UTF8: "library", Note: "as ours, upgraded with conn.Upgrade from a net/http handler that then returns"},
	{Name: "ours-simple", UTF8: "library", Note: "the seed's echo loop on our API: conn.Upgrade in a net/http handler that keeps the connection, ReadMessage into the last message's buffer, WriteMessage"},
	{Name: "gorilla", UTF8: "server", Note: "Upgrader, ReadMessage/WriteMessage; utf8.Valid on text"},
	{Name: "gorilla-stream", UTF8: "server", Note: "Upgrader, NextReader/NextWriter streaming; incremental UTF-8 check"},
	{Name: "gobwas", UTF8: "server", Note: "low-level ws.Upgrade on net.Conn, ReadHeaderBuffer, Cipher, one write per frame; utf8.Valid on text"},
	{Name: "gws", UTF8: "library", Note: "event API over net/http, ParallelEnabled=false, CheckUtf8Enabled=true"},
	{Name: "gws-noutf8", UTF8: "off", Note: "as gws but CheckUtf8Enabled=false: text is NOT validated"},
	{Name: "coder", UTF8: "server", Note: "Accept, Reader/Writer streaming; incremental UTF-8 check"},
	{Name: "tcp", UTF8: "off", Raw: true, Note: "plain TCP echo: io.Copy's read/write loop, 32 KiB buffer, no WebSocket work"},

	{Name: "ours-deflate", UTF8: "library", Compression: "deflate", Note: "as ours with Compression: &conn.CompressionOptions{} (BestSpeed, threshold 128 B, no context takeover)"},
	{Name: "ours-deflate-takeover", UTF8: "library", Compression: "deflate-takeover", Note: "as ours-deflate with ContextTakeover: true (a compressor per connection)"},
	{Name: "gorilla-deflate", UTF8: "server", Compression: "deflate", Note: "as gorilla with EnableCompression (level 1, every message, no context takeover only)"},
	{Name: "gws-deflate", UTF8: "library", Compression: "deflate", Note: "as gws with PermessageDeflate{Enabled} (klauspost flate level 1, threshold 512 B, no context takeover)"},
	{Name: "gws-deflate-takeover", UTF8: "library", Compression: "deflate-takeover", Note: "as gws-deflate with Server/ClientContextTakeover (4 KiB windows, every message)"},
}

// ErrUnknownLib is returned by Serve and Lookup for a library name not in Libs.
var ErrUnknownLib = errors.New("echoservers: unknown library")

// Lookup returns the Lib with the given name.
func Lookup(name string) (Lib, error) {
	for _, l := range Libs {
		if l.Name == name {
			return l, nil
		}
	}
	return Lib{}, fmt.Errorf("%w %q", ErrUnknownLib, name)
}

// Handler returns the net/http handler of a library's echo server, for the libraries that upgrade
// from net/http. It returns nil for gobwas (which upgrades a raw net.Conn, as its low-level API
// does) and for tcp.
func Handler(name string) http.Handler {
	switch name {
	case "ours-http":
		return http.HandlerFunc(serveOurs)
	case "ours-simple":
		return http.HandlerFunc(serveOursSimple)
	case "gorilla":
		return http.HandlerFunc(serveGorilla)
	case "gorilla-stream":
		return http.HandlerFunc(serveGorillaStream)
	case "gws":
		return newGWS(true, gws.PermessageDeflate{})
	case "gws-noutf8":
		return newGWS(false, gws.PermessageDeflate{})
	case "coder":
		return http.HandlerFunc(serveCoder)
	case "ours-deflate":
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { echoOurs(w, r, oursDeflate) })
	case "ours-deflate-takeover":
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { echoOurs(w, r, oursDeflateTakeover) })
	case "gorilla-deflate":
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { echoGorilla(w, r, &gorillaDeflateUpgrader) })
	case "gws-deflate":
		return newGWS(true, gwsDeflate)
	case "gws-deflate-takeover":
		return newGWS(true, gwsDeflateTakeover)
	}
	return nil
}

// ConnHandler returns the per-connection function of the servers that work on a raw net.Conn
// (ours, gobwas and tcp), or nil for the others. The function owns the connection and closes it.
func ConnHandler(name string) func(net.Conn) {
	switch name {
	case "ours":
		return serveOursConn
	case "ours-keepalive":
		return serveOursKeepAlive
	case "gobwas":
		return serveGobwas
	case "tcp":
		return serveTCP
	}
	return nil
}

// Serve runs the named echo server on ln until ln is closed, and returns the error that ended
// accepting. Connections already accepted live on until their clients close them.
func Serve(name string, ln net.Listener) error {
	if _, err := Lookup(name); err != nil {
		return err
	}
	if h := Handler(name); h != nil {
		srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
		return srv.Serve(ln)
	}
	handle := ConnHandler(name)
	for {
		c, err := ln.Accept()
		if err != nil {
			return err
		}
		go handle(c)
	}
}
