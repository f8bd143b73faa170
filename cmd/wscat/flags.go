package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/rfc6455/ws/frame"
)

// options is everything the command line decides.
type options struct {
	url          string
	subprotocols []string
	header       http.Header
	origin       string
	insecure     bool
	binary       bool
	trace        bool
	compress     bool
	timeout      time.Duration
	pingInterval time.Duration
	h2           bool
	closeCode    frame.CloseCode
}

// parseArgs parses the command-line arguments (without the program name).
// Errors and the usage message for -h go to stderr, as the flag package
// does them.
func parseArgs(args []string, stderr io.Writer) (options, error) {
	opts := options{header: make(http.Header)}
	fs := flag.NewFlagSet("wscat", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: wscat [flags] ws://host[:port]/path")
		fs.PrintDefaults()
	}

	fs.Func("subprotocols", "comma-separated `list` of subprotocols to offer, e.g. soap,wamp", func(s string) error {
		opts.subprotocols = splitList(s)
		return nil
	})
	fs.Func("H", "request `header` \"Name: value\" for the handshake; repeatable", func(s string) error {
		name, value, ok := strings.Cut(s, ":")
		name = strings.TrimSpace(name)
		if !ok || name == "" {
			return errors.New(`want "Name: value"`)
		}
		opts.header.Add(name, strings.TrimSpace(value))
		return nil
	})
	fs.StringVar(&opts.origin, "origin", "", "Origin header to send, e.g. http://localhost:8080")
	fs.BoolVar(&opts.insecure, "insecure", false, "skip TLS certificate verification for wss")
	fs.BoolVar(&opts.binary, "binary", false, "send lines as binary messages")
	fs.BoolVar(&opts.trace, "trace", false, "print the handshake response and every frame header")
	fs.BoolVar(&opts.compress, "compress", false, "offer permessage-deflate (RFC 7692)")
	fs.DurationVar(&opts.timeout, "timeout", 10*time.Second, "time limit for the opening handshake")
	fs.BoolVar(&opts.h2, "h2", false, "HTTP/2 (RFC 8441: the WebSocket as a stream): for wss, tried first, falling back to HTTP/1.1; for ws, with prior knowledge")
	fs.DurationVar(&opts.pingInterval, "ping-interval", 0, "keepalive: ping after this `duration` of silence, and give up when nothing answers within as long again (0: off)")
	fs.Func("close-code", "close `code` to send at end of input; 1005 sends a close frame without a code (default 1000)", func(s string) error {
		n, err := strconv.ParseUint(s, 10, 16)
		if err != nil {
			return errors.New("not a number from 0 to 65535")
		}
		code := frame.CloseCode(n)
		// RFC 6455 §7.4: only some codes may be sent; 1005 is how conn
		// spells "a close frame without a code" (§5.5.1).
		if !code.ValidOnWire() && code != frame.CloseNoStatus {
			return fmt.Errorf("%d may not be sent in a close frame (RFC 6455 §7.4); use 1000-1003, 1007-1014 or 3000-4999, or 1005 for no code", n)
		}
		opts.closeCode = code
		return nil
	})
	opts.closeCode = frame.CloseNormal

	if err := fs.Parse(args); err != nil {
		return options{}, err
	}
	if fs.NArg() != 1 {
		fmt.Fprintf(stderr, "want exactly one URL, got %d arguments\n", fs.NArg())
		fs.Usage()
		return options{}, errors.New("want exactly one URL")
	}
	opts.url = fs.Arg(0)
	return opts, nil
}

// splitList splits a comma-separated flag value, trimming spaces around each
// element and dropping empty ones.
func splitList(s string) []string {
	var list []string
	for _, item := range strings.Split(s, ",") {
		if item = strings.TrimSpace(item); item != "" {
			list = append(list, item)
		}
	}
	return list
}
