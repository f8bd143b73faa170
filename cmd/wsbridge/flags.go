package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/netip"
	"strings"
	"time"
)

// config is everything the command line decides.
type config struct {
	addr             string
	routes           map[string]string // URL path → backend host:port; "" is every other path
	subprotocols     []string          // required of clients when set, in order of preference
	origins          []string          // allowed origin host patterns; nil: same-origin only
	readLimit        int64
	tlsCert, tlsKey  string
	maxConns         int
	handshakeTimeout time.Duration
	idleTimeout      time.Duration // close a bridge with no bytes either way for this long; 0: never
	writeTimeout     time.Duration // fail a bridge whose client has not taken a message for this long
	dialTimeout      time.Duration
	pingInterval     time.Duration
	pingTimeout      time.Duration
	shutdownTimeout  time.Duration
	trusted          []netip.Prefix // proxies whose X-Forwarded-For is believed
	proxyProtocol    bool           // send a PROXY protocol v1 line to the backend first
	verbose          bool           // log each connection as it opens, too
}

// Defaults that suit MQTT over WebSocket behind a load balancer: keepalive pings more often
// than AWS's load balancers drop idle connections (60 s), and an idle timeout longer than an
// MQTT keepalive (mqtt.js's 60 s, for which a client sends PINGREQ) with room to spare.
const (
	defaultPingInterval    = 45 * time.Second
	defaultPingTimeout     = 30 * time.Second
	defaultIdleTimeout     = 5 * time.Minute
	defaultWriteTimeout    = 30 * time.Second
	defaultHandshake       = 10 * time.Second
	defaultDialTimeout     = 5 * time.Second
	defaultShutdownTimeout = 10 * time.Second
	defaultMaxConns        = 10000
)

func newFlagSet(cfg *config) *flag.FlagSet {
	fs := flag.NewFlagSet("wsbridge", flag.ContinueOnError)
	fs.StringVar(&cfg.addr, "addr", ":8080", "listen on this TCP `address`")
	fs.Func("backend", "relay WebSockets on every path not given to -route to this TCP `host:port`", func(s string) error {
		return cfg.addRoute("", s)
	})
	fs.Func("route", "relay WebSockets on one URL path to a TCP backend: `path=host:port`, e.g. /mqtt=127.0.0.1:1883; may be repeated", func(s string) error {
		path, backend, ok := strings.Cut(s, "=")
		if !ok || !strings.HasPrefix(path, "/") {
			return fmt.Errorf("route %q is not /path=host:port", s)
		}
		return cfg.addRoute(path, backend)
	})
	fs.Func("subprotocols", "comma-separated `list` of subprotocols, one of which a client must offer (MQTT over WebSocket needs mqtt); in order of preference", func(s string) error {
		cfg.subprotocols = splitList(s)
		return nil
	})
	fs.Func("origins", "comma-separated `list` of allowed origin host patterns, e.g. app.example.com,*.example.com; \"*\" allows all (default: same-origin only)", func(s string) error {
		cfg.origins = splitList(s)
		return nil
	})
	fs.Int64Var(&cfg.readLimit, "read-limit", 0, "largest message accepted from a client, in `bytes` (0: the library's default, 32 MiB)")
	fs.StringVar(&cfg.tlsCert, "tls-cert", "", "certificate `file` (PEM) for wss (and WebSockets over HTTP/2); needs -tls-key")
	fs.StringVar(&cfg.tlsKey, "tls-key", "", "private key `file` (PEM); needs -tls-cert")
	fs.IntVar(&cfg.maxConns, "max-conns", defaultMaxConns, "at most this `many` bridged connections at once; more are refused with 503 (0: no limit)")
	fs.DurationVar(&cfg.handshakeTimeout, "handshake-timeout", defaultHandshake, "time limit of a client's opening handshake")
	fs.DurationVar(&cfg.idleTimeout, "idle-timeout", defaultIdleTimeout, "close a connection that moved no byte either way for this `duration` (0: never)")
	fs.DurationVar(&cfg.writeTimeout, "write-timeout", defaultWriteTimeout, "close a connection whose client has taken none of the backend's bytes for this `duration`")
	fs.DurationVar(&cfg.dialTimeout, "dial-timeout", defaultDialTimeout, "time limit of connecting to the backend")
	fs.DurationVar(&cfg.pingInterval, "ping-interval", defaultPingInterval, "keepalive: ping a client silent for this `duration`, and close it if nothing answers within -ping-timeout (0: off)")
	fs.DurationVar(&cfg.pingTimeout, "ping-timeout", defaultPingTimeout, "keepalive: how long to wait for an answer to a ping")
	fs.DurationVar(&cfg.shutdownTimeout, "shutdown-timeout", defaultShutdownTimeout, "on SIGTERM, how long to wait for connections to close after 1001 is sent to each")
	fs.Func("trust-forwarded", "comma-separated `CIDRs` of proxies (a load balancer) whose X-Forwarded-For names the client, e.g. 10.0.0.0/8,127.0.0.1/32", func(s string) error {
		for _, item := range splitList(s) {
			p, err := netip.ParsePrefix(item)
			if err != nil {
				if a, aerr := netip.ParseAddr(item); aerr == nil {
					p = netip.PrefixFrom(a, a.BitLen())
				} else {
					return err
				}
			}
			cfg.trusted = append(cfg.trusted, p.Masked())
		}
		return nil
	})
	fs.BoolVar(&cfg.verbose, "v", false, "log each connection as it opens, as well as when it ends")
	fs.BoolVar(&cfg.proxyProtocol, "proxy-protocol", false, "send the backend a PROXY protocol v1 line with the client's address before its bytes (the backend must expect it)")
	return fs
}

func (cfg *config) addRoute(path, backend string) error {
	if _, _, err := net.SplitHostPort(backend); err != nil {
		return fmt.Errorf("backend %q: %v", backend, err)
	}
	if cfg.routes == nil {
		cfg.routes = map[string]string{}
	}
	if _, dup := cfg.routes[path]; dup {
		return fmt.Errorf("two backends for path %q", path)
	}
	cfg.routes[path] = backend
	return nil
}

// parseFlags parses the command-line arguments (without the program name). It writes nothing;
// for -h or -help it returns flag.ErrHelp.
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
	if len(cfg.routes) == 0 {
		return config{}, errors.New("no backend: give -backend host:port or -route /path=host:port")
	}
	if (cfg.tlsCert == "") != (cfg.tlsKey == "") {
		return config{}, errors.New("-tls-cert and -tls-key must be given together")
	}
	return cfg, nil
}

func usage(w io.Writer) {
	fs := newFlagSet(new(config))
	fs.SetOutput(w)
	fmt.Fprintln(w, "usage: wsbridge -backend host:port [flags]\n       wsbridge -route /path=host:port [-route ...] [flags]")
	fs.PrintDefaults()
}

// splitList splits a comma-separated flag value, trimming spaces and dropping empty items.
func splitList(s string) []string {
	var list []string
	for _, item := range strings.Split(s, ",") {
		if item = strings.TrimSpace(item); item != "" {
			list = append(list, item)
		}
	}
	return list
}
