package main

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/rfc6455/ws/conform"
)

// Exit statuses.
const (
	exitPass  = 0 // every case passed
	exitFail  = 1 // a case failed, or the run could not be done
	exitUsage = 2 // the command line was wrong
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

// run runs the command with args (without the program name) and returns the exit status.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stderr)
		return exitUsage
	}
	switch args[0] {
	case "server":
		return runServer(ctx, args[1:], stdout, stderr)
	case "client":
		return runClient(ctx, args[1:], stdout, stderr)
	case "-h", "-help", "--help", "help":
		usage(stdout)
		return exitPass
	}
	fmt.Fprintf(stderr, "wsconform: unknown mode %q\n", args[0])
	usage(stderr)
	return exitUsage
}

// usage writes the command summary to w.
func usage(w io.Writer) {
	fmt.Fprint(w, `usage:
  wsconform server [flags] ws://host:port/path   test the echo server at the URL
  wsconform client [flags]                       serve the cases to clients (Autobahn's fuzzing server protocol)

Run "wsconform server -h" or "wsconform client -h" for the flags; "go doc ./cmd/wsconform" for more.
`)
}

// common holds the flags both modes have.
type common struct {
	cases, exclude string
	timeout        time.Duration
	reportDir      string
	allowNonStrict bool
	verbose        bool
}

// define defines the common flags on fs.
func (c *common) define(fs *flag.FlagSet) {
	fs.StringVar(&c.cases, "cases", "", "comma-separated case `patterns` to run, such as 1.*,6.4.* (default: all)")
	fs.StringVar(&c.exclude, "exclude", "", "comma-separated case `patterns` to leave out")
	fs.DurationVar(&c.timeout, "timeout", conform.DefaultTimeout, "time limit of each case")
	fs.StringVar(&c.reportDir, "report", "wsconform-report", "write AGENT.json and AGENT.html to this `directory`; empty for none")
	fs.BoolVar(&c.allowNonStrict, "allow-non-strict", false, "let NON-STRICT verdicts pass")
	fs.BoolVar(&c.verbose, "v", false, "print each case's verdict as it ends")
}

// selectCases returns the cases the flags select.
func (c *common) selectCases() ([]conform.Case, error) {
	return conform.Select(conform.Cases(), splitList(c.cases), splitList(c.exclude))
}

// parse parses args with fs, whose usage line is synopsis; it returns the exit status to stop
// with, or -1 to go on.
func parse(fs *flag.FlagSet, args []string, synopsis string, stdout, stderr io.Writer) int {
	fs.SetOutput(io.Discard)
	err := fs.Parse(args)
	if errors.Is(err, flag.ErrHelp) {
		fs.SetOutput(stdout)
		fmt.Fprintln(stdout, "usage: "+synopsis)
		fs.PrintDefaults()
		return exitPass
	}
	if err != nil {
		fmt.Fprintf(stderr, "wsconform: %v\n", err)
		fs.SetOutput(stderr)
		fmt.Fprintln(stderr, "usage: "+synopsis)
		fs.PrintDefaults()
		return exitUsage
	}
	return -1
}

// runServer tests the server named on the command line.
func runServer(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	var (
		c        common
		agent    string
		parallel int
		insecure bool
		overH2   bool
		header   = http.Header{}
	)
	fs := flag.NewFlagSet("wsconform server", flag.ContinueOnError)
	c.define(fs)
	fs.StringVar(&agent, "agent", "server", "the `name` of the server in the report")
	fs.IntVar(&parallel, "parallel", conform.DefaultParallel, "`number` of cases run at once")
	fs.BoolVar(&insecure, "insecure", false, "do not verify the certificate of a wss:// server")
	fs.BoolVar(&overH2, "h2", false, "open every WebSocket as a stream of an HTTP/2 connection (RFC 8441): ALPN h2 for wss://, prior knowledge for ws://")
	fs.Func("header", "an extra header `field` for the opening handshake, \"Name: value\"; may be repeated", func(s string) error {
		name, value, ok := strings.Cut(s, ":")
		if !ok || strings.TrimSpace(name) == "" {
			return fmt.Errorf("header %q is not \"Name: value\"", s)
		}
		header.Add(strings.TrimSpace(name), strings.TrimSpace(value))
		return nil
	})
	const synopsis = "wsconform server [flags] ws://host:port/path"
	if status := parse(fs, args, synopsis, stdout, stderr); status >= 0 {
		return status
	}
	if fs.NArg() != 1 {
		fmt.Fprintln(stderr, "wsconform: server mode needs exactly one URL\nusage: "+synopsis)
		return exitUsage
	}
	url := fs.Arg(0)
	// An http(s):// URL names the same server as the ws(s):// one, as in a browser (and as
	// RFC 8441 has the request's :scheme be).
	if rest, ok := strings.CutPrefix(url, "https://"); ok {
		url = "wss://" + rest
	} else if rest, ok := strings.CutPrefix(url, "http://"); ok {
		url = "ws://" + rest
	}
	cases, err := c.selectCases()
	if err != nil {
		fmt.Fprintf(stderr, "wsconform: %v\n", err)
		return exitUsage
	}

	opts := &conform.Options{Timeout: c.timeout, Parallel: parallel, Agent: agent, Header: header, HTTP2: overH2}
	if insecure {
		opts.TLSConfig = &tls.Config{InsecureSkipVerify: true}
	}
	if c.verbose {
		opts.Progress = func(r conform.Result) { printResult(stdout, r) }
	}
	over := ""
	if overH2 {
		over = " over HTTP/2"
	}
	fmt.Fprintf(stdout, "wsconform: testing the server at %s%s with %d cases\n", url, over, len(cases))
	report, err := conform.CheckServer(ctx, url, cases, opts)
	if report == nil {
		fmt.Fprintf(stderr, "wsconform: %v\n", err)
		return exitFail
	}
	if err != nil {
		fmt.Fprintf(stderr, "wsconform: stopped: %v\n", err)
	}
	return finish(report, &c, stdout, stderr)
}

// finish prints the summary of report, writes its files and returns the exit status it calls for.
func finish(report *conform.Report, c *common, stdout, stderr io.Writer) int {
	printSummary(stdout, report, c.allowNonStrict)
	if c.reportDir != "" {
		jsonPath, htmlPath, err := report.WriteFiles(c.reportDir)
		if err != nil {
			fmt.Fprintf(stderr, "wsconform: writing the report: %v\n", err)
			return exitFail
		}
		fmt.Fprintf(stdout, "report: %s, %s\n", jsonPath, htmlPath)
	}
	if !report.Passed(c.allowNonStrict) {
		return exitFail
	}
	return exitPass
}

// runClient serves the cases to clients until interrupted, or until the first report with -once.
func runClient(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	var (
		c    common
		addr string
		once bool
	)
	fs := flag.NewFlagSet("wsconform client", flag.ContinueOnError)
	c.define(fs)
	fs.StringVar(&addr, "addr", ":9001", "listen on this TCP `address`")
	fs.BoolVar(&once, "once", false, "exit after the first report, with its verdict as the exit status")
	const synopsis = "wsconform client [flags]"
	if status := parse(fs, args, synopsis, stdout, stderr); status >= 0 {
		return status
	}
	if fs.NArg() != 0 {
		fmt.Fprintf(stderr, "wsconform: unexpected argument %q\nusage: %s\n", fs.Arg(0), synopsis)
		return exitUsage
	}
	cases, err := c.selectCases()
	if err != nil {
		fmt.Fprintf(stderr, "wsconform: %v\n", err)
		return exitUsage
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		fmt.Fprintf(stderr, "wsconform: %v\n", err)
		return exitFail
	}

	statuses := make(chan int, 1)
	opts := &conform.Options{
		Timeout: c.timeout,
		OnReport: func(r *conform.Report) {
			status := finish(r, &c, stdout, stderr)
			if once {
				select {
				case statuses <- status:
				default:
				}
			}
		},
	}
	if c.verbose {
		opts.Progress = func(r conform.Result) { printResult(stdout, r) }
	}
	srv := &http.Server{Handler: conform.NewFuzzingServer(cases, opts), ReadHeaderTimeout: 10 * time.Second}
	base := "ws://" + ln.Addr().String()
	fmt.Fprintf(stdout, "wsconform: fuzzing server with %d cases; point the client under test at\n", len(cases))
	fmt.Fprintf(stdout, "  %s/getCaseCount\n  %s/runCase?case=N&agent=NAME   for N from 1 to %d\n  %s/updateReports?agent=NAME\n",
		base, base, len(cases), base)

	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	status := exitPass
	select {
	case err := <-served:
		fmt.Fprintf(stderr, "wsconform: %v\n", err)
		return exitFail
	case status = <-statuses:
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	srv.Shutdown(shutdown)
	return status
}

// splitList splits a comma-separated flag value, dropping empty elements.
func splitList(s string) []string {
	var out []string
	for _, item := range strings.Split(s, ",") {
		if item = strings.TrimSpace(item); item != "" {
			out = append(out, item)
		}
	}
	return out
}
