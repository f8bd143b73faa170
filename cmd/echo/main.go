package main

import (
	"context"
	"errors"
	"flag"
	"log"
	"net"
	"os"
	"os/signal"
	"syscall"

	// WebSocket over HTTP/2 (RFC 8441): net/http's HTTP/2 server accepts extended CONNECT
	// only with GODEBUG=http2xconnect=1, which this sets before net/http starts.
	_ "github.com/rfc6455/ws/internal/xconnect"
)

func main() {
	log.SetPrefix("echo: ")
	cfg, err := parseFlags(os.Args[1:])
	if errors.Is(err, flag.ErrHelp) {
		usage(os.Stderr)
		return
	}
	if err != nil {
		log.Print(err)
		usage(os.Stderr)
		os.Exit(2)
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ln, err := listen(ctx, cfg.addr, cfg.reusePort)
	if err != nil {
		log.Fatal(err)
	}
	srv := newServer(cfg, log.Default())
	if cfg.debugAddr != "" {
		dl, err := net.Listen("tcp", cfg.debugAddr)
		if err != nil {
			log.Fatal(err)
		}
		log.Printf("debug stats on http://%s/debug/stats", dl.Addr())
		go srv.serveDebug(ctx, dl)
	}
	if err := srv.run(ctx, ln); err != nil {
		log.Fatal(err)
	}
}
