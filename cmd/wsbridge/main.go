package main

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	// WebSocket over HTTP/2 (RFC 8441) on the TLS listener: net/http's HTTP/2 server accepts
	// extended CONNECT only with GODEBUG=http2xconnect=1, which this sets before net/http starts.
	_ "github.com/rfc6455/ws/internal/xconnect"

	"github.com/rfc6455/ws/handshake"
	"github.com/rfc6455/ws/internal/front"
	"github.com/rfc6455/ws/internal/park"
)

func main() {
	log.SetPrefix("wsbridge: ")
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
	ln, err := net.Listen("tcp", cfg.addr)
	if err != nil {
		log.Fatal(err)
	}
	if err := newServer(cfg, log.Default()).run(ctx, ln); err != nil {
		log.Fatal(err)
	}
}

// run serves on ln until ctx is done, then shuts down: it stops accepting, sends every client
// 1001 and closes every backend connection, and waits for the relays, all within
// cfg.shutdownTimeout. It returns nil after a clean shutdown.
func (s *server) run(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{
		Handler:           s,
		ReadHeaderTimeout: s.cfg.handshakeTimeout,
		IdleTimeout:       time.Minute,
		ErrorLog:          s.log,
		Protocols:         new(http.Protocols),
	}
	srv.Protocols.SetHTTP1(true)
	scheme := "ws"
	if s.cfg.tlsCert != "" {
		cert, err := tls.LoadX509KeyPair(s.cfg.tlsCert, s.cfg.tlsKey)
		if err != nil {
			return err
		}
		// Browsers that reach the bridge over HTTP/2 open their WebSockets as its streams.
		srv.Protocols.SetHTTP2(true)
		// 16 KiB frames, and a connection window of 64 streams' worth (see conn.Upgrade).
		srv.HTTP2 = &http.HTTP2Config{MaxReadFrameSize: 16 << 10, MaxReceiveBufferPerConnection: 64 << 20}
		srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}, NextProtos: []string{"h2", "http/1.1"}}
		ln = tls.NewListener(ln, srv.TLSConfig)
		scheme = "wss"
	}
	for path, backend := range s.cfg.routes {
		if path == "" {
			path = "/*"
		}
		s.log.Printf("listening on %s://%s%s → %s", scheme, ln.Addr(), path, backend)
	}
	s.parker = park.New()
	defer s.parker.Close()
	// HTTP/1.1 WebSocket handshakes are answered by serveHandshake, on the raw connection;
	// everything else (HTTP/2 and its WebSockets, other requests) goes to srv.
	door := front.New(front.Config{
		HandshakeTimeout: s.cfg.handshakeTimeout,
		IsWebSocket:      func(req *handshake.Request) bool { return req.HasToken("Upgrade", "websocket") },
		ServeWebSocket:   s.serveHandshake,
		Log:              s.log,
	}, ln.Addr())
	served := make(chan error, 1)
	go func() { served <- srv.Serve(door.HTTPListener()) }()
	accepted := make(chan error, 1)
	go func() { accepted <- door.Serve(ln) }()

	select {
	case err := <-served:
		ln.Close()
		return err
	case err := <-accepted:
		srv.Close()
		return err
	case <-ctx.Done():
	}
	ln.Close()
	<-accepted
	s.log.Print("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), s.cfg.shutdownTimeout)
	defer cancel()
	// Hijacked HTTP/1.1 connections are no longer the http.Server's, while HTTP/2 streams
	// are handlers it waits for: both close here, at the same time as it shuts down.
	closed := make(chan error, 1)
	go func() { closed <- s.closeAll(sctx) }()
	err := srv.Shutdown(sctx)
	if cerr := <-closed; err == nil {
		err = cerr
	}
	<-served
	return err
}
