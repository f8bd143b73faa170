//go:build unix

package interop

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"
)

// A real browser: Debian's chromium, headless, runs testdata/browser/echo.html, which opens
// new WebSocket(url, ["soap", "wamp"]) to the cmd/echo binary, echoes text and ArrayBuffer
// messages up to 1 MiB and closes with a code. The page cannot print to the test (chromium's
// --dump-dom returns before any WebSocket traffic), so it POSTs what it saw to the test's own
// HTTP server, the one that served it.

// browserResult is what the page POSTs to /result.
type browserResult struct {
	Protocol   string `json:"protocol"`
	Extensions string `json:"extensions"`
	Echoes     []struct {
		Type    string `json:"type"`
		Size    int    `json:"size"`
		OK      bool   `json:"ok"`
		Message string `json:"message"`
	} `json:"echoes"`
	Close *struct {
		Code     int    `json:"code"`
		Reason   string `json:"reason"`
		WasClean bool   `json:"wasClean"`
	} `json:"close"`
	Errors []string `json:"errors"`
}

func TestBrowser(t *testing.T) {
	t.Parallel()
	chromium := requireChromium(t)
	for _, scheme := range []string{"ws", "wss"} {
		t.Run(scheme, func(t *testing.T) {
			// The page's server: it serves the page and receives the result.
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
				default: // a second result is ignored; the test has its answer
				}
			})
			page := httptest.NewServer(mux)
			t.Cleanup(page.Close)
			pageHost := strings.TrimPrefix(page.URL, "http://")

			// The echo server allows exactly the page's origin (§10.2): the page is on
			// another port, so the browser's request is cross-origin.
			args := []string{"-subprotocols", "wamp,soap", "-origins", pageHost}
			if scheme == "wss" {
				cert := newTestCert(t)
				args = append(args, "-tls-cert", cert.certFile, "-tls-key", cert.keyFile)
			}
			echo := startEcho(t, args...)
			if echo.scheme != scheme {
				t.Fatalf("cmd/echo serves %s, want %s", echo.scheme, scheme)
			}

			sizes := make([]string, len(upTo1MiB))
			for i, n := range upTo1MiB {
				sizes[i] = strconv.Itoa(n)
			}
			query := url.Values{
				"url":    {echo.url("/ws")},
				"sizes":  {strings.Join(sizes, ",")},
				"code":   {"4000"},
				"reason": {"browser done"},
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
			// §4.2.2: the server prefers wamp; the browser offered soap first.
			if res.Protocol != "wamp" {
				t.Errorf("§4.2.2: ws.protocol %q, want \"wamp\"", res.Protocol)
			}
			if res.Extensions != "" {
				t.Errorf("§9.1: ws.extensions %q, want none (we decline permessage-deflate)", res.Extensions)
			}
			seen := map[string]bool{}
			for _, e := range res.Echoes {
				seen[fmt.Sprint(e.Type, e.Size)] = true
				if !e.OK {
					t.Errorf("echo of a %s message of %d bytes: %s", e.Type, e.Size, e.Message)
				}
			}
			for _, n := range upTo1MiB {
				for _, typ := range []string{"text", "binary"} {
					if !seen[fmt.Sprint(typ, n)] {
						t.Errorf("no echo of a %s message of %d bytes", typ, n)
					}
				}
			}
			// §7.1.5, §5.5.1: the browser sees our echo of its close code, in a clean close.
			if c := res.Close; c == nil || c.Code != 4000 || !c.WasClean {
				t.Errorf("§5.5.1: close event %+v, want code 4000 and wasClean", c)
			}
			// And cmd/echo logs the code and reason it received from the browser.
			echo.waitLog(t, fmt.Sprintf(`subprotocol="wamp" close=4000 reason="browser done" messages=%d`, 2*len(upTo1MiB)))
		})
	}
}

// startChromium opens pageURL in headless chromium with a fresh profile, until the test ends,
// with the extra flags given.
// It cannot download anything and must not try: no component updates, no background
// networking. With ignoreCertErrors it accepts the test's self-signed certificate.
func startChromium(t *testing.T, chromium, pageURL string, ignoreCertErrors bool, extra ...string) *process {
	t.Helper()
	args := []string{
		"--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--disable-quic", "--user-data-dir=" + t.TempDir(),
	}
	if ignoreCertErrors {
		args = append(args, "--ignore-certificate-errors")
	}
	args = append(append(args, extra...), pageURL)
	return startProcess(t, "chromium", exec.Command(chromium, args...))
}
