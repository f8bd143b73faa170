package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"
)

// config is everything the command line decides.
type config struct {
	addr         string
	subprotocols []string // server preference order; nil: none negotiated
	origins      []string // allowed origin host patterns; nil: same-origin only
	readLimit    int64
	tlsCert      string
	tlsKey       string
	verbose      bool
	compress     bool          // accept permessage-deflate offers (RFC 7692)
	freeMemory   time.Duration // how often to give freed memory back to the OS; 0: never
	pingInterval time.Duration // keepalive: ping after this much silence; 0: off
	pingTimeout  time.Duration // keepalive: how long to wait for an answer
	h2c          bool          // serve HTTP/2 without TLS (prior knowledge), WebSockets as streams
	debugAddr    string        // serve /debug/stats and /debug/goroutines on this address; "": not at all
	reusePort    bool          // share -addr with other processes (SO_REUSEPORT)
	parkAfter    time.Duration // park a connection silent this long (park.go); 0: never
}

// Keepalive's defaults find a vanished client within a minute and a half, and keep the
// connection of one that is merely quiet open through a load balancer that drops idle ones
// after 60 s (AWS's default, in front of the seed's broker).
const (
	defaultPingInterval = 45 * time.Second
	defaultPingTimeout  = 30 * time.Second
)

// defaultParkAfter is long enough that a connection in conversation never parks between its
// messages, and short enough that one that has gone quiet costs its goroutine for only a second.
const defaultParkAfter = time.Second

// newFlagSet defines the command's flags on a new FlagSet that stores into
// cfg. parseFlags and the usage message share it, so they never disagree.
func newFlagSet(cfg *config) *flag.FlagSet {
	fs := flag.NewFlagSet("echo", flag.ContinueOnError)
	fs.StringVar(&cfg.addr, "addr", ":8080", "listen on this TCP `address`")
	fs.Func("subprotocols", "comma-separated `list` of subprotocols in order of preference, e.g. wamp,soap,mqtt (default: none)",
		func(s string) error {
			cfg.subprotocols = splitList(s)
			return nil
		})
	fs.Func("origins", "comma-separated `list` of allowed origin host patterns, e.g. 127.0.0.1:8765,*.example.com; \"*\" allows all (default: same-origin only)",
		func(s string) error {
			cfg.origins = splitList(s)
			return nil
		})
	fs.Int64Var(&cfg.readLimit, "read-limit", 0, "largest message accepted, in `bytes`; 0: the library's default, 32 MiB, or 4 MiB with compression")
	fs.StringVar(&cfg.tlsCert, "tls-cert", "", "certificate `file` (PEM) for https/wss; needs -tls-key")
	fs.StringVar(&cfg.tlsKey, "tls-key", "", "private key `file` (PEM) for https/wss; needs -tls-cert")
	fs.BoolVar(&cfg.verbose, "v", false, "log every message")
	fs.BoolVar(&cfg.compress, "compress", false, "accept permessage-deflate (RFC 7692) when the client offers it")
	fs.DurationVar(&cfg.pingInterval, "ping-interval", defaultPingInterval, "keepalive: ping a connection silent for this `duration`, and close it if nothing answers within -ping-timeout (0: off)")
	fs.DurationVar(&cfg.pingTimeout, "ping-timeout", defaultPingTimeout, "keepalive: how long to wait for an answer to a ping")
	fs.BoolVar(&cfg.reusePort, "reuse-port", false, "share -addr with other echo processes started with it too, the kernel spreading connections among them (SO_REUSEPORT; Linux)")
	fs.BoolVar(&cfg.h2c, "h2c", false, "also serve HTTP/2 without TLS (prior knowledge), with WebSockets over its streams (RFC 8441)")
	fs.DurationVar(&cfg.parkAfter, "park-after", defaultParkAfter, "a connection silent for this `duration` between messages parks: its goroutine ends, and an epoll watches its socket until it has input (Linux, plain TCP; 0: never)")
	fs.DurationVar(&cfg.freeMemory, "free-memory", 0, "every `interval` in which connections ended, give the memory they freed back to the operating system at once (0: leave it to the Go runtime)")
	fs.StringVar(&cfg.debugAddr, "debug-addr", "", "serve goroutine, connection and memory counts at /debug/stats, and goroutine stacks at /debug/goroutines, on this `address` (a loopback one: 127.0.0.1:6060); default: none")
	return fs
}

// parseFlags parses the command-line arguments (without the program name).
// It writes nothing; for -h or -help it returns flag.ErrHelp.
func parseFlags(args []string) (config, error) {
	var cfg config
	fs := newFlagSet(&cfg)
	fs.SetOutput(io.Discard)
	if err := fs.Parse(args); err != nil {
		return config{}, err
	}
	if fs.NArg() > 0 {
		return config{}, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if (cfg.tlsCert == "") != (cfg.tlsKey == "") {
		return config{}, errors.New("-tls-cert and -tls-key must be given together")
	}
	return cfg, nil
}

// usage writes the flag summary to w.
func usage(w io.Writer) {
	fs := newFlagSet(new(config))
	fs.SetOutput(w)
	fmt.Fprintln(w, "usage: echo [flags]")
	fs.PrintDefaults()
}

// splitList splits a comma-separated flag value, trimming spaces around each
// element and dropping empty ones, so "wamp, soap," is [wamp soap] and ""
// is nil.
func splitList(s string) []string {
	var list []string
	for _, item := range strings.Split(s, ",") {
		if item = strings.TrimSpace(item); item != "" {
			list = append(list, item)
		}
	}
	return list
}
