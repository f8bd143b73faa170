// Command wsload drives a WebSocket echo server with load and reports throughput, latency and the
// server's memory. It checks every echoed byte, opcode and pong, and ends every connection with
// the close handshake; any difference counts as an error. See package load for the details.
//
// Usage:
//
//	wsload -url ws://127.0.0.1:8080/ [flags]                  one scenario from the flags
//	wsload -url ws://127.0.0.1:8080/ -matrix full [-run RE]   the standard matrix (-list shows it)
//	wsload -url ws://127.0.0.1:8080/ -pid PID -idle 10000     server memory per idle connection
//	wsload -url ws://127.0.0.1:9000/ -raw ...                 a plain TCP echo: same bytes, no WebSocket
//	wsload -url ws://127.0.0.1:8080/ -deflate -matrix deflate permessage-deflate, no context takeover
//	wsload -url ws://127.0.0.1:8080/ -deflate-takeover ...    permessage-deflate, server keeps its context
//	wsload -url wss://127.0.0.1:8443/ -ca cert.pem ...        over TLS, trusting the server's certificate
//	wsload -url ws://127.0.0.1:8080/ -h2 ...                  each connection a stream of HTTP/2 (RFC 8441)
//
// With -deflate or -deflate-takeover the client offers permessage-deflate (RFC 7692), fails every
// connection whose server does not accept it as the mode requires, sends messages compressed
// once before the run (it always declares client_no_context_takeover), and inflates and compares
// every echo; see load.Compression. With -h2 every connection is a WebSocket over an HTTP/2
// stream (RFC 8441), over TLS (ALPN h2) for wss:// and with prior knowledge for ws://, the
// streams sharing connections as a browser's do (a new one when the server's stream limit is
// reached); the framing and checks are the same. The line of a run adds the echoes' bytes on the wire per byte
// of payload and the share of echoes that came compressed.
//
// One line per scenario: messages per second, payload MB/s, round-trip p50 and p99, errors, and
// with -pid the server's CPU time per message in the measured window and its RSS before, at its
// peak and after. -json FILE appends the same as one JSON object per line. The generator raises
// its own open file limit; the server needs one above the number of connections too (peerecho
// raises its soft limit; otherwise ulimit -n).
package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log"
	"os"
	"regexp"
	"runtime"
	"strings"
	"syscall"
	"time"

	"github.com/rfc6455/ws/bench/peers/load"
)

func main() {
	log.SetPrefix("wsload: ")
	log.SetFlags(0)
	var (
		url      = flag.String("url", "", "the echo server's ws:// `URL` (required)")
		raw      = flag.Bool("raw", false, "raw mode for a plain TCP echo: no handshake; the echo must be the bytes sent")
		h2       = flag.Bool("h2", false, "open each connection as a stream of HTTP/2 (RFC 8441): over TLS for wss://, with prior knowledge for ws:// (an h2c server such as cmd/echo -h2c)")
		caFile   = flag.String("ca", "", "for wss:// URLs: trust the certificates in this PEM `file` (the server's own, if self-signed) rather than the system's")
		conns    = flag.Int("conns", 1, "connections")
		inflight = flag.Int("inflight", 1, "messages in flight per connection")
		sizeStr  = flag.String("size", "16B", "message `size`: 16B, 1KiB, 1MiB or bytes")
		text     = flag.Bool("text", false, "send text messages (valid UTF-8)")
		ctext    = flag.Bool("ctext", false, "send highly compressible text messages")
		binary   = flag.Bool("binary", false, "send binary messages (the default)")
		frags    = flag.Int("frag", 1, "frames per message; more than 1 puts a ping between fragments")
		duration = flag.Duration("duration", 3*time.Second, "measured time per scenario")
		warmup   = flag.Duration("warmup", 500*time.Millisecond, "echo this long before measuring")
		messages = flag.Int("messages", 0, "send exactly `N` messages per connection instead of -duration (all measured)")
		matrix   = flag.String("matrix", "", "run a matrix: full (53 scenarios), quick (8), deflate (51) or deflate-quick (8)")
		deflate  = flag.Bool("deflate", false, "offer permessage-deflate with no context takeover either way; require it")
		takeover = flag.Bool("deflate-takeover", false, "offer permessage-deflate with client_no_context_takeover; require a server that keeps its context")
		runRE    = flag.String("run", "", "with -matrix (and -list): only scenarios whose name matches this `regexp`")
		count    = flag.Int("count", 1, "run each scenario this many times")
		list     = flag.Bool("list", false, "list the scenarios of -matrix (default full) that match -run, and exit")
		pid      = flag.Int("pid", 0, "server `PID` whose RSS and CPU time to sample from /proc")
		idle     = flag.Int("idle", 0, "idle test: open `N` connections, measure server RSS per connection, echo 1 KiB on each, measure again")
		settle   = flag.Duration("settle", 2*time.Second, "idle test: wait before each RSS reading")
		timeout  = flag.Duration("timeout", 10*time.Second, "longest wait for a handshake, read or write")
		jsonFile = flag.String("json", "", "append results to `file`, one JSON object per line")
		label    = flag.String("label", "", "name of the server, recorded in -json output")
	)
	flag.Parse()

	if *list {
		for _, s := range matrixScenarios(*matrix, *runRE) {
			fmt.Println(s.Name())
		}
		return
	}
	if *url == "" {
		log.Fatal("-url is required")
	}
	if (*text || *ctext) && *binary {
		log.Fatal("-text or -ctext and -binary exclude each other")
	}
	compression := load.NoCompression
	switch {
	case *deflate && *takeover:
		log.Fatal("-deflate and -deflate-takeover exclude each other")
	case *deflate:
		compression = load.Deflate
	case *takeover:
		compression = load.DeflateTakeover
	}
	if *raw && compression != load.NoCompression {
		log.Fatal("-raw talks to a plain TCP echo: no compression")
	}
	if *raw && *h2 {
		log.Fatal("-raw talks to a plain TCP echo: no HTTP/2")
	}
	raiseFileLimit()

	var scenarios []load.Scenario
	switch {
	case *matrix != "":
		scenarios = matrixScenarios(*matrix, *runRE)
	case *idle == 0 || flagsSet("conns", "inflight", "size", "text", "ctext", "binary", "frag", "messages"):
		size, err := load.ParseSize(*sizeStr)
		if err != nil {
			log.Fatal(err)
		}
		s := load.Scenario{Conns: *conns, InFlight: *inflight, Size: size, Text: *text || *ctext, Compressible: *ctext, Frags: *frags}
		if err := s.Validate(); err != nil {
			log.Fatal(err)
		}
		scenarios = append(scenarios, s)
	}

	var out *json.Encoder
	if *jsonFile != "" {
		f, err := os.OpenFile(*jsonFile, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			log.Fatal(err)
		}
		defer f.Close()
		out = json.NewEncoder(f)
	}

	target := load.Target{URL: *url, Raw: *raw, Compression: compression, HTTP2: *h2}
	if *caFile != "" {
		pem, err := os.ReadFile(*caFile)
		if err != nil {
			log.Fatal(err)
		}
		roots := x509.NewCertPool()
		if !roots.AppendCertsFromPEM(pem) {
			log.Fatalf("-ca %s: no certificate in it", *caFile)
		}
		target.TLS = &tls.Config{RootCAs: roots}
	}
	opts := load.Options{Duration: *duration, Warmup: *warmup, Messages: *messages, PID: *pid, Timeout: *timeout, Settle: *settle}
	ctx := context.Background()
	mode := ""
	switch {
	case *raw:
		mode = " (raw)"
	case compression != load.NoCompression:
		mode = fmt.Sprintf(" (%s: offers %q)", compression, compression.Offer())
	}
	if *h2 {
		mode += " (HTTP/2, RFC 8441)"
	}
	fmt.Printf("# wsload %s%s  %s  GOMAXPROCS=%d  load average %s\n", *url, mode,
		time.Now().Format(time.RFC3339), runtime.GOMAXPROCS(0), loadAverage())
	failed := false
	if *idle > 0 {
		r := load.Idle(ctx, target, *idle, opts)
		r.Label = *label
		fmt.Println(r)
		failed = failed || r.Errors > 0
		if out != nil {
			out.Encode(struct {
				Kind string `json:"kind"`
				load.IdleResult
			}{"idle", r})
		}
	}
	for range *count {
		for _, s := range scenarios {
			r := load.Run(ctx, target, s, opts)
			r.Label = *label
			fmt.Println(r)
			failed = failed || r.Errors > 0
			if out != nil {
				out.Encode(struct {
					Kind string `json:"kind"`
					load.Result
				}{"echo", r})
			}
		}
	}
	if failed {
		os.Exit(1)
	}
}

func pickMatrix(name string) []load.Scenario {
	switch name {
	case "", "full":
		return load.Matrix()
	case "quick":
		return load.QuickMatrix()
	case "deflate":
		return load.DeflateMatrix()
	case "deflate-quick":
		return load.QuickDeflateMatrix()
	}
	log.Fatalf("-matrix %q: want full, quick, deflate or deflate-quick", name)
	return nil
}

// matrixScenarios returns the scenarios of the named matrix whose names match the regexp run,
// and exits if none does.
func matrixScenarios(name, run string) []load.Scenario {
	re, err := regexp.Compile(run)
	if err != nil {
		log.Fatal(err)
	}
	var picked []load.Scenario
	for _, s := range pickMatrix(name) {
		if re.MatchString(s.Name()) {
			picked = append(picked, s)
		}
	}
	if len(picked) == 0 {
		log.Fatalf("no scenario of -matrix %s matches -run %q", name, run)
	}
	return picked
}

// flagsSet reports whether any of the named flags was given on the command line.
func flagsSet(names ...string) bool {
	set := false
	flag.Visit(func(f *flag.Flag) {
		for _, n := range names {
			set = set || f.Name == n
		}
	})
	return set
}

// loadAverage returns the 1-, 5- and 15-minute load averages, for the record: the machine may be
// busy with other work while it measures.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}

// raiseFileLimit sets the soft limit on open files to the hard limit, for tests with thousands of
// connections.
func raiseFileLimit() {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		log.Print(err)
		return
	}
	lim.Cur = lim.Max
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		log.Print(errors.Join(errors.New("raising the open file limit"), err))
	}
}
