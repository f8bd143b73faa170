package conform_test

// The suite must be able to fail. Each test here runs the cases against our stack made wrong in
// one known way and checks that exactly the cases that the fault breaks are FAILED, and that
// every other case keeps the verdict it has against the correct stack.

import (
	"bufio"
	"errors"
	"io"
	"net"
	"net/http"
	"sync"
	"testing"

	"github.com/rfc6455/ws/conform"
	"github.com/rfc6455/ws/conn"
	"github.com/rfc6455/ws/frame"
)

// textAsBinaryHandler is echoHandler with a bug: it echoes every message as binary.
func textAsBinaryHandler(w http.ResponseWriter, r *http.Request) {
	c, err := conn.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	defer c.CloseNow()
	var buf []byte
	for {
		_, msg, err := c.ReadMessage(buf)
		if err != nil {
			return
		}
		buf = msg[:0]
		if err := c.WriteMessage(frame.OpBinary, msg); err != nil {
			return
		}
	}
}

// sentText reports whether the peer sent a text frame in a case: those are the cases that an
// echo of text as binary breaks.
func sentText(r conform.Result) bool { return r.Received["text"] > 0 }

// compareBroken checks that broken has FAILED exactly for the cases for which breaks is true of
// their result in good (other than INFORMATIONAL ones, which record without judging), and the
// verdict of good for all others. broken ran cases, which may be fewer than good ran.
func compareBroken(t *testing.T, good, broken *conform.Report, cases []conform.Case, breaks func(conform.Result) bool) {
	t.Helper()
	goodByID := make(map[string]conform.Result)
	for _, g := range good.Results {
		goodByID[g.ID] = g
	}
	if len(broken.Results) != len(cases) {
		t.Fatalf("%d results against the broken peer, want %d", len(broken.Results), len(cases))
	}
	failed := 0
	for _, b := range broken.Results {
		g, ok := goodByID[b.ID]
		if !ok {
			t.Fatalf("case %s did not run against the good peer", b.ID)
		}
		if !g.Verdict.Passed(false) {
			t.Fatalf("case %s is %s against the good peer: %s", g.ID, g.Verdict, g.Observed)
		}
		want := g.Verdict
		if breaks(g) && g.Verdict != conform.Informational {
			want = conform.Failed
			failed++
		}
		if b.Verdict != want {
			t.Errorf("case %s against the broken peer: %s, want %s\n\t%s\n\tobserved: %s", b.ID, b.Verdict, want, b.Description, b.Observed)
		}
	}
	if failed == 0 {
		t.Error("the fault breaks no case: the test proves nothing")
	}
	t.Logf("the fault broke %d of %d cases", failed, len(broken.Results))
}

func TestBrokenServerTextAsBinary(t *testing.T) {
	t.Parallel()
	startRuns()
	compareBroken(t, runs.goodServer.wait(t), runs.textAsBinaryServer.wait(t), crossSection(), sentText)
}

func TestBrokenServerAcceptsUnmasked(t *testing.T) {
	t.Parallel()
	startRuns()
	compareBroken(t, runs.goodServer.wait(t), runs.unmaskedServer.wait(t), crossSection(), func(r conform.Result) bool { return r.ID == "1.3.1" })
}

func TestBrokenClientTextAsBinary(t *testing.T) {
	t.Parallel()
	startRuns()
	compareBroken(t, runs.goodClient.wait(t), runs.textAsBinaryClient.wait(t), crossSection(), sentText)
}

// startMaskingProxy starts a TCP proxy to the WebSocket server at backend that masks every
// unmasked frame a client sends, with the all-zero key, which leaves the payload as it was. Seen
// through it, the server accepts unmasked frames, as §5.1 forbids. It returns the proxy's address
// and a function that stops it.
func startMaskingProxy(backend string) (addr string, stop func(), err error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				maskingProxy(c, backend)
			}()
		}
	}()
	stop = func() {
		ln.Close()
		wg.Wait()
	}
	return ln.Addr().String(), stop, nil
}

// maskingProxy forwards one connection: the handshake request as it is, then the client's frames
// with their mask bit set, and everything from the server as it is.
func maskingProxy(client net.Conn, backend string) {
	defer client.Close()
	server, err := net.Dial("tcp", backend)
	if err != nil {
		return
	}
	defer server.Close()
	done := make(chan struct{})
	go func() {
		io.Copy(client, server)
		client.Close()
		close(done)
	}()
	defer func() { <-done }()

	br := bufio.NewReader(client)
	for { // the request line and header fields, up to the blank line
		line, err := br.ReadString('\n')
		if _, werr := io.WriteString(server, line); err != nil || werr != nil {
			return
		}
		if line == "\r\n" {
			break
		}
	}
	for {
		h, err := frame.ReadHeader(br)
		if errors.Is(err, frame.ErrLengthOverflow) {
			io.Copy(server, br) // a header it cannot re-encode: the rest goes as it is
		}
		if err != nil {
			server.(*net.TCPConn).CloseWrite()
			return
		}
		if !h.Masked {
			h.Masked, h.Key = true, [4]byte{}
		}
		if _, err := server.Write(frame.AppendHeader(nil, h)); err != nil {
			return
		}
		if _, err := io.CopyN(server, br, h.Length); err != nil {
			server.(*net.TCPConn).CloseWrite()
			return
		}
	}
}
