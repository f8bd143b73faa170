//go:build unix

package interop

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rfc6455/ws/frame"
	"github.com/rfc6455/ws/interop/internal/peertest"
)

// Chromium and cmd/wscat against the cmd/echo binary run with -compress. The page of TestBrowser
// (testdata/browser/echo.html) opens new WebSocket(url, ["soap", "wamp"]) as any page does, so
// Chromium makes its usual offer, "permessage-deflate; client_max_window_bits". A page cannot see
// frames, so over ws:// the browser talks to cmd/echo through wireTap, which reads every frame
// header on the way.

// chromiumOffer is the permessage-deflate offer of Chromium's WebSocket.
const chromiumOffer = "permessage-deflate; client_max_window_bits"

// echoCompressResponse is the answer of cmd/echo -compress to such an offer: its defaults
// (conn.CompressionOptions{}) compress each message on its own, and leave the client's window
// alone.
const echoCompressResponse = "permessage-deflate; server_no_context_takeover"

// TestBrowserCompression echoes text and ArrayBuffer messages up to 1 MiB, the 1000:1 text and
// random binary between Chromium and cmd/echo -compress, then closes with 4000.
func TestBrowserCompression(t *testing.T) {
	t.Parallel()
	chromium := requireChromium(t)
	// The probes of the scenario, without the fragmented messages, which a page cannot send.
	var probes []peertest.DeflateMessage
	for _, m := range peertest.DeflateMessages(nil, peertest.DeflateProbes{Large: true, Window: true}) {
		if m.Fragments <= 1 {
			probes = append(probes, m)
		}
	}
	list := append(peertest.DeflateMessages(deflateSizes, peertest.DeflateProbes{})[:2*len(deflateSizes)], probes...)
	params := deflateParams{ServerNoContextTakeover: true, ServerMaxWindowBits: 15, ClientMaxWindowBits: 15}

	for _, scheme := range []string{"ws", "wss"} {
		t.Run(scheme, func(t *testing.T) {
			page, results := startResultPage(t)
			pageHost := strings.TrimPrefix(page.URL, "http://")
			args := []string{"-compress", "-subprotocols", "wamp,soap", "-origins", pageHost}
			if scheme == "wss" {
				cert := newTestCert(t)
				args = append(args, "-tls-cert", cert.certFile, "-tls-key", cert.keyFile)
			}
			echo := startEcho(t, args...)
			wsURL := echo.url("/ws")
			var tap *wireTap
			if scheme == "ws" {
				tap = startWireTap(t, echo.addr)
				wsURL = "ws://" + tap.addr + "/ws"
			}

			sizes := make([]string, len(deflateSizes))
			for i, n := range deflateSizes {
				sizes[i] = strconv.Itoa(n)
			}
			probesJSON, err := json.Marshal(probes)
			if err != nil {
				t.Fatal(err)
			}
			query := url.Values{
				"url":      {wsURL},
				"sizes":    {strings.Join(sizes, ",")},
				"messages": {string(probesJSON)},
				"code":     {"4000"},
				"reason":   {"browser done"},
			}
			startChromium(t, chromium, page.URL+"/echo.html?"+query.Encode(), scheme == "wss")

			var res browserResult
			select {
			case res = <-results:
			case <-time.After(60 * time.Second):
				t.Fatal("the page posted no result within 60s")
			}
			if len(res.Errors) > 0 {
				t.Errorf("the page reports errors: %q", res.Errors)
			}
			// RFC 7692 §5.1, RFC 6455 §9.1: ws.extensions is the response's extension list.
			if res.Extensions != echoCompressResponse {
				t.Errorf("RFC 7692 §5.1: ws.extensions %q, want %q", res.Extensions, echoCompressResponse)
			}
			if len(res.Echoes) != len(list) {
				t.Errorf("the page reports %d echoes, want %d", len(res.Echoes), len(list))
			}
			for _, e := range res.Echoes {
				if !e.OK {
					t.Errorf("echo of a %s message of %d bytes: %s", e.Type, e.Size, e.Message)
				}
			}
			if c := res.Close; c == nil || c.Code != 4000 || !c.WasClean {
				t.Errorf("§5.5.1: close event %+v, want code 4000 and wasClean", c)
			}
			echo.waitLog(t, fmt.Sprintf(`subprotocol="wamp" close=4000 reason="browser done" messages=%d`, len(list)))

			if tap == nil {
				return
			}
			offer, response, connections := tap.handshake()
			if connections != 1 {
				t.Errorf("%d connections went through the tap, want 1", connections)
			}
			if got := headerValue(offer, "Sec-WebSocket-Extensions"); got != chromiumOffer {
				t.Errorf("Chromium offered %q, want %q", got, chromiumOffer)
			}
			if got := headerValue(response, "Sec-WebSocket-Extensions"); got != echoCompressResponse {
				t.Errorf("RFC 7692 §5.1: cmd/echo answered %q, want %q", got, echoCompressResponse)
			}
			sent, received, problems := tap.log.Messages()
			peertest.CheckProblems(t, problems)
			// Chromium compresses every message, and keeps its window (§7.1.1.2: nobody
			// asked it not to).
			peertest.CheckWire(t, peerCompressor("chromium", params, false, 0, false), received, list)
			ours := ourCompressor(params, true)
			ours.Name, ours.StreamsFrom = "cmd/echo", 64<<10 // it streams messages of 64 KiB and more back
			peertest.CheckWire(t, ours, sent, list)
		})
	}
}

// startResultPage starts the HTTP server of the browser tests: it serves testdata/browser and
// takes the page's result, POSTed to /result.
func startResultPage(t *testing.T) (*httptest.Server, <-chan browserResult) {
	t.Helper()
	results := make(chan browserResult, 1)
	mux := http.NewServeMux()
	mux.Handle("GET /echo.html", http.FileServer(http.Dir("testdata/browser")))
	mux.HandleFunc("POST /result", func(w http.ResponseWriter, r *http.Request) {
		var res browserResult
		if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20)).Decode(&res); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		select {
		case results <- res:
		default:
		}
	})
	page := httptest.NewServer(mux)
	t.Cleanup(page.Close)
	return page, results
}

// wireTap is a TCP relay between a client and a WebSocket server that reads, without changing a
// byte, the opening handshake and then every frame header in both directions, for the frames a
// browser sends and receives: its log has the server's point of view (sent: server to client).
type wireTap struct {
	addr string
	log  *peertest.WireLog

	mu       sync.Mutex
	conns    []net.Conn
	request  string // the first connection's handshake request
	response string // and response
}

// startWireTap relays connections on a free port of 127.0.0.1 to target until the test ends.
// Only the first connection is logged.
func startWireTap(t *testing.T, target string) *wireTap {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	tap := &wireTap{addr: ln.Addr().String(), log: &peertest.WireLog{}}
	var relays sync.WaitGroup
	t.Cleanup(func() {
		ln.Close()
		tap.mu.Lock()
		for _, c := range tap.conns {
			c.Close()
		}
		tap.mu.Unlock()
		relays.Wait()
	})
	go func() {
		for {
			client, err := ln.Accept()
			if err != nil {
				return
			}
			server, err := net.DialTimeout("tcp", target, 5*time.Second)
			if err != nil {
				client.Close()
				continue
			}
			tap.mu.Lock()
			first := len(tap.conns) == 0
			tap.conns = append(tap.conns, client, server)
			tap.mu.Unlock()
			relays.Add(2)
			go func() {
				defer relays.Done()
				tap.relay(client, server, false, first)
			}()
			go func() {
				defer relays.Done()
				tap.relay(server, client, true, first)
			}()
		}
	}()
	return tap
}

// relay copies src to dst: the HTTP head line by line, then frame by frame, logging the headers
// when record is set. At the end of src it half-closes dst, so that each side sees the other's
// closing of TCP (§7.1.1) as it happens.
func (tap *wireTap) relay(src, dst net.Conn, fromServer, record bool) {
	defer dst.(*net.TCPConn).CloseWrite()
	br := bufio.NewReader(src)
	var head strings.Builder
	for {
		line, err := br.ReadString('\n')
		if _, werr := io.WriteString(dst, line); werr != nil || err != nil {
			return
		}
		head.WriteString(line)
		if line == "\r\n" {
			break
		}
	}
	if record {
		tap.mu.Lock()
		if fromServer {
			tap.response = head.String()
		} else {
			tap.request = head.String()
		}
		tap.mu.Unlock()
	}
	// Everything read from here on is written to dst as it is read.
	r := io.TeeReader(br, dst)
	for {
		h, err := frame.ReadHeader(r)
		if err != nil {
			io.Copy(io.Discard, r) // whatever follows, unparsed
			return
		}
		if record {
			tap.log.Trace(fromServer, h)
		}
		if _, err := io.CopyN(io.Discard, r, h.Length); err != nil {
			return
		}
	}
}

// handshake returns the first connection's request and response heads, and how many connections
// the tap has relayed.
func (tap *wireTap) handshake() (request, response string, connections int) {
	tap.mu.Lock()
	defer tap.mu.Unlock()
	return tap.request, tap.response, len(tap.conns) / 2
}

// headerValue returns the value of the header name in an HTTP head, or "".
func headerValue(head, name string) string {
	for _, line := range strings.Split(head, "\r\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.EqualFold(strings.TrimSpace(k), name) {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// wscatFrame matches a frame line of cmd/wscat -trace.
var wscatFrame = regexp.MustCompile(`^(->|<-) FIN=([01]) RSV1=([01]) RSV2=0 RSV3=0 opcode=0x([0-9a-f])\(\w+\) MASK=([01]) length=(\d+)`)

// TestWscatCompression runs cmd/wscat -compress -trace against cmd/echo -compress: the trace
// shows the response and every frame header, so RSV1 can be read off the command's output.
func TestWscatCompression(t *testing.T) {
	t.Parallel()
	echo := startEcho(t, "-compress")
	long := strings.Repeat("a", 2_000)
	out, status := runWscat(t, "hi\n"+long+"\n", nil, "-compress", "-trace", echo.url("/ws"))
	if status != 0 {
		t.Errorf("cmd/wscat exited with status %d\n%s", status, out)
	}
	// Our client's offer, like our server's answer, says it compresses each message on its own.
	const response = "permessage-deflate; server_no_context_takeover; client_no_context_takeover"
	if want := "<- Sec-Websocket-Extensions: " + response; !strings.Contains(out, want+"\n") {
		t.Errorf("RFC 7692 §5.1: the trace lacks the response header %q:\n%s", want, out)
	}
	type traced struct {
		rsv1   bool
		op     string
		length int
	}
	var sent, received []traced
	for _, line := range strings.Split(out, "\n") {
		m := wscatFrame.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		length, _ := strconv.Atoi(m[6])
		f := traced{rsv1: m[3] == "1", op: m[4], length: length}
		if m[1] == "->" {
			sent = append(sent, f)
		} else {
			received = append(received, f)
		}
	}
	// Each way: "hi" (under the threshold of 128 bytes: uncompressed), the long line
	// (compressed: RSV1, a few bytes), the close frame (RFC 7692 §6.1: never RSV1).
	for _, dir := range []struct {
		name   string
		frames []traced
	}{{"sent", sent}, {"received", received}} {
		f := dir.frames
		if len(f) != 3 {
			t.Errorf("%s frames %+v, want 3 (two text messages and a close)", dir.name, f)
			continue
		}
		if f[0] != (traced{false, "1", 2}) {
			t.Errorf("RFC 7692 §6: %s %+v for \"hi\", want an uncompressed text frame of 2 bytes", dir.name, f[0])
		}
		if !f[1].rsv1 || f[1].op != "1" || f[1].length > len(long)/20 {
			t.Errorf("RFC 7692 §6: %s %+v for 2000 times \"a\", want a compressed text frame (RSV1=1) of at most %d bytes", dir.name, f[1], len(long)/20)
		}
		if f[2].rsv1 || f[2].op != "8" {
			t.Errorf("RFC 7692 §6.1: %s %+v, want a close frame without RSV1", dir.name, f[2])
		}
	}
	echo.waitLog(t, "close=1000")
}
