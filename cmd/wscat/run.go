package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"unicode/utf8"

	"github.com/rfc6455/ws/conn"
	"github.com/rfc6455/ws/frame"
)

// Exit statuses.
const (
	exitClean     = 0 // closed with 1000, 1001 or 1005
	exitError     = 1 // any other close code, or an error after the handshake
	exitHandshake = 2 // the opening handshake failed, or the command line is wrong
)

// errNotUTF8 reports an input line that cannot be sent as a text message.
var errNotUTF8 = errors.New("input line is not valid UTF-8, which a text message must be (RFC 6455 §5.6); use -binary")

// run is the whole command: it parses args, connects, copies stdin lines to
// the connection and messages to stdout until the connection closes, and
// returns the exit status. Cancelling ctx (SIGINT) closes the connection with
// 1001. Diagnostics go to stderr.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	logger := log.New(stderr, "wscat: ", 0)
	opts, err := parseArgs(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return exitClean
	}
	if err != nil {
		return exitHandshake // parseArgs has said what is wrong
	}
	out := &printer{w: stdout}

	c, resp, err := conn.Dial(ctx, opts.url, dialOptions(opts))
	if opts.trace && resp != nil {
		out.response(resp)
	}
	if err != nil {
		if resp != nil {
			logger.Printf("handshake failed: HTTP %s: %v", resp.Status, err)
		} else {
			logger.Printf("handshake failed: %v", err)
		}
		return exitHandshake
	}
	over := "HTTP/1.1"
	if c.OverHTTP2() {
		over = "HTTP/2"
	}
	logger.Printf("connected to %s over %s, subprotocol %q", opts.url, over, c.Subprotocol())
	if opts.trace {
		c.SetTrace(out.frame)
	}

	// One goroutine reads, one writes (conn allows exactly this); this one
	// waits for whichever ends first.
	received := make(chan error, 1)
	go func() { received <- receive(c, out) }()
	sent := make(chan error, 1)
	go func() { sent <- send(c, stdin, out, opts) }()

	var sendErr error
	select {
	case err := <-received:
		// The server closed the connection (the Conn has answered its
		// close frame) or it failed. Stop reading stdin: the goroutine
		// blocked on it ends with the process.
		return report(err, out, logger)
	case sendErr = <-sent:
		if sendErr != nil {
			logger.Print(sendErr)
		}
		closeConn(c, opts.closeCode, logger)
	case <-ctx.Done():
		// RFC 6455 §7.4.1: 1001, "an endpoint is going away".
		closeConn(c, frame.CloseGoingAway, logger)
	}
	// The close handshake ends the reading goroutine with the server's
	// close frame, or with the error that cut the connection.
	status := report(<-received, out, logger)
	if sendErr != nil {
		status = exitError
	}
	return status
}

// dialOptions turns the command line into conn.DialOptions.
func dialOptions(opts options) *conn.DialOptions {
	d := &conn.DialOptions{
		Subprotocols:     opts.subprotocols,
		Header:           opts.header,
		Origin:           opts.origin,
		HandshakeTimeout: opts.timeout,
		PingInterval:     opts.pingInterval,
	}
	if opts.insecure {
		d.TLSConfig = &tls.Config{InsecureSkipVerify: true}
	}
	if opts.compress {
		d.Compression = &conn.CompressionOptions{}
	}
	if opts.h2 {
		d.HTTP2 = &conn.HTTP2Client{Cleartext: true}
	}
	return d
}

// closeConn starts the close handshake (§7.1.2) without waiting for it: the
// reading goroutine goes on printing the messages still in flight until the
// server's close frame arrives (or the close timeout cuts the connection).
// If the close frame cannot be sent, the TCP connection is closed at once,
// so the reading goroutine always ends.
func closeConn(c *conn.Conn, code frame.CloseCode, logger *log.Logger) {
	if err := c.CloseWrite(code, ""); err != nil {
		logger.Printf("close: %v", err)
		c.CloseNow()
	}
}

// receive prints every message until the connection ends, and returns the
// error that ended it: a *conn.CloseError after a close handshake.
func receive(c *conn.Conn, out *printer) error {
	var buf []byte
	for {
		op, msg, err := c.ReadMessage(buf)
		if err != nil {
			return err
		}
		out.message("< ", op, msg)
		buf = msg[:0]
	}
}

// send sends each line of stdin, without its line ending, as one message.
// It returns nil at the end of stdin.
func send(c *conn.Conn, stdin io.Reader, out *printer, opts options) error {
	op := frame.OpText
	if opts.binary {
		op = frame.OpBinary
	}
	r := bufio.NewReader(stdin)
	for {
		line, err := r.ReadBytes('\n')
		if len(line) > 0 { // a last line without '\n' counts too
			line = bytes.TrimSuffix(bytes.TrimSuffix(line, []byte("\n")), []byte("\r"))
			if op == frame.OpText && !utf8.Valid(line) {
				return errNotUTF8
			}
			if opts.trace {
				out.message("> ", op, line)
			}
			if err := c.WriteMessage(op, line); err != nil {
				return fmt.Errorf("send: %w", err)
			}
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("reading input: %w", err)
		}
	}
}

// report prints how the connection ended and returns the exit status.
func report(err error, out *printer, logger *log.Logger) int {
	var ce *conn.CloseError
	if !errors.As(err, &ce) {
		logger.Print(err)
		return exitError
	}
	if ce.Reason == "" {
		out.printf("closed: %d\n", ce.Code)
	} else {
		out.printf("closed: %d %s\n", ce.Code, ce.Reason)
	}
	if ce.Err != nil {
		logger.Print(ce.Err) // 1006: why the connection went away
	}
	switch ce.Code {
	case frame.CloseNormal, frame.CloseGoingAway, frame.CloseNoStatus:
		return exitClean
	}
	return exitError
}
