package main

import (
	"context"
	_ "embed"
	"errors"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/rfc6455/ws/conn"
)

func main() {
	log.SetPrefix("chat: ")
	addr := flag.String("addr", ":8080", "listen on this TCP `address`")
	origins := flag.String("origins", "", "comma-separated `list` of allowed origin host patterns (default: same-origin only)")
	compress := flag.Bool("compress", true, "accept permessage-deflate (RFC 7692): each broadcast is compressed once for all who negotiated it")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatal(err)
	}
	opts := &conn.UpgradeOptions{
		OriginPatterns: splitList(*origins),
		ReadLimit:      maxLine,
		// Keepalive: a member whose browser tab or network went away without a word is found
		// within a minute and a quarter and leaves the room.
		PingInterval: 45 * time.Second,
		PingTimeout:  30 * time.Second,
	}
	if *compress {
		opts.Compression = &conn.CompressionOptions{}
	}
	if err := run(ctx, ln, opts, newRoom(log.Default())); err != nil {
		log.Fatal(err)
	}
}

// run serves the chat on ln until ctx is done, then closes every member with 1001.
func run(ctx context.Context, ln net.Listener, opts *conn.UpgradeOptions, rm *room) error {
	logger := rm.log
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", servePage)
	mux.HandleFunc("GET /ws", func(w http.ResponseWriter, r *http.Request) {
		c, err := conn.Upgrade(w, r, opts)
		if err != nil {
			logger.Printf("%s: %v", r.RemoteAddr, err)
			return
		}
		name := cleanName(r.URL.Query().Get("name"))
		logger.Printf("%s (%s) joined", name, r.RemoteAddr)
		go rm.serve(c, name)
	})
	srv := &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: 10 * time.Second, // bounds the opening handshake (§4.1)
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          logger,
	}
	logger.Printf("listening on http://%s/ (the page) and ws://%s/ws", ln.Addr(), ln.Addr())
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := srv.Shutdown(shutdown)
	rm.closeAll(shutdown)
	if errors.Is(<-served, http.ErrServerClosed) {
		return err
	}
	return fmt.Errorf("chat: %w", err)
}

// pageHTML is the chat page served at /: HTML and JavaScript with nothing from elsewhere.
//
//go:embed page/index.html
var pageHTML []byte

func servePage(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Security-Policy",
		"default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src ws: wss:")
	w.Write(pageHTML)
}

// splitList splits a comma-separated flag value, dropping empty elements.
func splitList(s string) []string {
	var list []string
	for _, item := range strings.Split(s, ",") {
		if item = strings.TrimSpace(item); item != "" {
			list = append(list, item)
		}
	}
	return list
}
