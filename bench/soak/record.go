package main

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"sync"
	"sync/atomic"
)

// recordLimit is how much of each direction of a recorded connection is kept: enough for the
// handshake and a few dozen frames, small enough to be a fuzzing seed.
const recordLimit = 4 << 10

// recorder keeps the bytes of the first few healthy connections of a run and writes them as
// seed corpora of the module's fuzz targets: what a real client sent for the parsers of a
// server, what a real server sent for those of a client.
type recorder struct {
	root string       // the module's root; corpora go to <package>/testdata/fuzz/<target>
	left atomic.Int32 // connections still to record
	seq  atomic.Int32
	mu   sync.Mutex
	errs []error
}

func newRecorder(root string, conns int) *recorder {
	r := &recorder{root: root}
	r.left.Store(int32(conns))
	return r
}

// dialer returns a NetDialContext that records the connection it opens, or nil once enough
// have been recorded.
func (r *recorder) dialer() (func(ctx context.Context, network, addr string) (net.Conn, error), *recordedConn) {
	if r == nil || r.left.Add(-1) < 0 {
		return nil, nil
	}
	rc := &recordedConn{}
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		var d net.Dialer
		nc, err := d.DialContext(ctx, network, addr)
		rc.Conn = nc
		return rc, err
	}, rc
}

// recordedConn is a net.Conn that keeps the first recordLimit bytes each way.
type recordedConn struct {
	net.Conn
	mu            sync.Mutex
	sent, receive bytes.Buffer
}

func (c *recordedConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.mu.Lock()
	keep(&c.receive, p[:n])
	c.mu.Unlock()
	return n, err
}

func (c *recordedConn) Write(p []byte) (int, error) {
	n, err := c.Conn.Write(p)
	c.mu.Lock()
	keep(&c.sent, p[:n])
	c.mu.Unlock()
	return n, err
}

func keep(b *bytes.Buffer, p []byte) {
	if room := recordLimit - b.Len(); room > 0 {
		b.Write(p[:min(len(p), room)])
	}
}

var acceptHeader = regexp.MustCompile(`(?i)(\r\nSec-WebSocket-Accept: *)[A-Za-z0-9+/=]+`)

// save writes what c recorded as corpus files. A request head seeds the server's handshake
// parsers, a response head (its accept value turned into the placeholder FuzzClientHandshake
// fills in) the client's; the frames after each head seed the frame readers of the other role,
// and, on a compressed connection, the suite's inflating reader.
func (r *recorder) save(c *recordedConn, compressed bool) {
	c.mu.Lock()
	sent, received := bytes.Clone(c.sent.Bytes()), bytes.Clone(c.receive.Bytes())
	c.mu.Unlock()
	request, clientFrames, ok1 := bytes.Cut(sent, []byte("\r\n\r\n"))
	response, serverFrames, ok2 := bytes.Cut(received, []byte("\r\n\r\n"))
	if !ok1 || !ok2 {
		return
	}
	request = append(request, "\r\n\r\n"...)
	response = append(acceptHeader.ReplaceAll(response, []byte("${1}{accept}")), "\r\n\r\n"...)
	n := r.seq.Add(1)
	offer := byte(0)
	if compressed {
		offer = 1
	}
	files := []corpusEntry{
		{"handshake", "FuzzParseRequest", "request", []any{request}},
		{"handshake", "FuzzCheckRequest", "request", []any{request}},
		{"conn", "FuzzUpgradeConn", "request-and-frames", []any{append(bytes.Clone(request), clientFrames...)}},
		{"conn", "FuzzClientHandshake", "response-and-frames", []any{append(append([]byte{offer}, response...), serverFrames...)}},
		{"conn", "FuzzConnRead", "client-frames", []any{append([]byte{0}, clientFrames...)}},
		{"conn", "FuzzConnRead", "server-frames", []any{append([]byte{1}, serverFrames...)}},
		{"frame", "FuzzParseHeader", "client-frames", []any{clientFrames}},
		{"conform", "FuzzReader", "client-frames", []any{clientFrames, true}},
		{"conform", "FuzzReader", "server-frames", []any{serverFrames, false}},
	}
	if compressed {
		// cmd/echo -compress takes no context from one message to the next; its clients do.
		files = append(files,
			corpusEntry{"conform", "FuzzReaderDeflate", "client-frames", []any{clientFrames, true, uint8(1)}},
			corpusEntry{"conform", "FuzzReaderDeflate", "server-frames", []any{serverFrames, false, uint8(1)}})
	}
	kind := "plain"
	if compressed {
		kind = "deflate"
	}
	for _, f := range files {
		dir := filepath.Join(r.root, f.pkg, "testdata", "fuzz", f.target)
		name := filepath.Join(dir, fmt.Sprintf("soak-%s-%d-%s", kind, n, f.what))
		err := os.MkdirAll(dir, 0o755)
		if err == nil {
			err = os.WriteFile(name, corpusFile(f.values...), 0o644)
		}
		if err != nil {
			r.mu.Lock()
			r.errs = append(r.errs, err)
			r.mu.Unlock()
		}
	}
}

// corpusEntry is one input of the fuzz target of a package: the values of its arguments.
type corpusEntry struct {
	pkg, target string
	what        string // which part of the connection, for the file's name
	values      []any
}

// corpusFile encodes values in the format of go test's fuzzing corpus ("go test fuzz v1").
func corpusFile(values ...any) []byte {
	b := []byte("go test fuzz v1\n")
	for _, v := range values {
		switch v := v.(type) {
		case []byte:
			b = fmt.Appendf(b, "[]byte(%q)\n", v)
		case bool:
			b = fmt.Appendf(b, "bool(%v)\n", v)
		case uint8:
			b = fmt.Appendf(b, "uint8(%d)\n", v)
		}
	}
	return b
}
