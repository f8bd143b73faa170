//go:build unix

package interop

import (
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestBrowserHTTP2: chromium loads cmd/echo's page over https, which cmd/echo serves on HTTP/2,
// and the page's script opens a WebSocket to the same server and echoes text and binary
// messages up to 1 MiB. Chromium then sends it as an
// extended CONNECT stream on that HTTP/2 connection (RFC 8441), and cmd/echo logs http=2 for
// it. The script runs through chromium's DevTools protocol (see TestChatBrowserTabs).
func TestBrowserHTTP2(t *testing.T) {
	t.Parallel()
	chromium := requireChromium(t)
	cert := newTestCert(t)
	echo := startEcho(t, "-tls-cert", cert.certFile, "-tls-key", cert.keyFile, "-subprotocols", "wamp")
	browser := startChromium(t, chromium, "https://"+echo.addr+"/", true, "--remote-debugging-port=0")
	devtools := browser.waitOutput(t, regexp.MustCompile(`DevTools listening on (ws://\S+)`), 30*time.Second)[1]
	cdp := dialDevTools(t, devtools)

	var targets struct {
		TargetInfos []struct {
			Type, URL string
			TargetID  string `json:"targetId"`
		} `json:"targetInfos"`
	}
	var page *devToolsConn
	deadline := time.Now().Add(20 * time.Second)
	for page == nil {
		cdp.call(t, "Target.getTargets", nil, &targets)
		for _, target := range targets.TargetInfos {
			if target.Type == "page" && strings.HasPrefix(target.URL, "https://"+echo.addr) {
				page = dialDevTools(t, devtools[:strings.Index(devtools, "/devtools/")]+"/devtools/page/"+target.TargetID)
			}
		}
		if page == nil && time.Now().After(deadline) {
			t.Fatalf("chromium has no tab on the page: %+v", targets.TargetInfos)
		}
		time.Sleep(50 * time.Millisecond)
	}

	// Wait for the page to have loaded: a script evaluated while the tab still navigates to
	// it runs on the blank page before it, or loses its context.
	for {
		var state struct {
			Result struct{ Value string } `json:"result"`
		}
		// A new tab shows about:blank, complete, before the page's navigation commits.
		err := page.try("Runtime.evaluate", map[string]any{"expression": "document.readyState + ' ' + location.href", "returnByValue": true}, &state)
		if err == nil && state.Result.Value == "complete https://"+echo.addr+"/" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the page did not load: %q, %v", state.Result.Value, err)
		}
		time.Sleep(50 * time.Millisecond)
	}

	// Text and binary messages at the edges of the three length encodings (RFC 6455 §5.2), up
	// to 1 MiB, each checked byte for byte; then a close with 4000.
	const script = `new Promise((resolve, reject) => {
		const sizes = [0, 125, 126, 65535, 65536, 1 << 20];
		const want = [];
		for (const n of sizes) {
			want.push("t".repeat(n));
			const b = new Uint8Array(n);
			for (let i = 0; i < n; i++) b[i] = (i * 7) & 255;
			want.push(b);
		}
		const ws = new WebSocket("wss://" + location.host + "/ws", ["soap", "wamp"]);
		ws.binaryType = "arraybuffer";
		let next = 0;
		ws.onopen = () => ws.send(want[0]);
		ws.onmessage = (ev) => {
			const w = want[next];
			let same;
			if (typeof w === "string") {
				same = ev.data === w;
			} else {
				const got = new Uint8Array(ev.data);
				same = got.length === w.length && got.every((v, i) => v === w[i]);
			}
			if (!same) { reject("echo " + next + " differs"); return; }
			next++;
			if (next < want.length) { ws.send(want[next]); return; }
			ws.close(4000, "h2 done");
			resolve(ws.protocol + " " + next + " echoes");
		};
		ws.onerror = () => reject("websocket error");
	})`
	var result struct {
		Result struct{ Value string } `json:"result"`
	}
	page.call(t, "Runtime.evaluate", map[string]any{"expression": script, "awaitPromise": true, "returnByValue": true}, &result)
	if result.Result.Value != "wamp 12 echoes" {
		var where struct {
			Result struct{ Value string } `json:"result"`
		}
		page.try("Runtime.evaluate", map[string]any{"expression": "location.href + ' ' + document.title", "returnByValue": true}, &where)
		t.Fatalf("the page's WebSocket: %q, want 12 echoes with subprotocol wamp (page: %q)", result.Result.Value, where.Result.Value)
	}
	// RFC 8441: the WebSocket was a stream of the page's HTTP/2 connection.
	echo.waitOutput(t, regexp.MustCompile(`subprotocol="wamp" close=4000 reason="h2 done" messages=12 duration=\S+ http=2`), 15*time.Second)
}
