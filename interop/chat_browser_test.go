//go:build unix

package interop

import (
	"context"
	"encoding/json"
	"errors"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/rfc6455/ws/conn"
	"github.com/rfc6455/ws/frame"
)

// TestChatBrowserTabs runs cmd/chat and its page in two tabs of headless chromium, as a person
// would: each tab joins the room through the page's own JavaScript, a Go member says a line,
// and both tabs show it. The test reads the tabs through chromium's DevTools protocol, which
// is JSON over a WebSocket that chromium serves: our client talks to one more real server.
func TestChatBrowserTabs(t *testing.T) {
	t.Parallel()
	chromium := requireChromium(t)
	chat := startProcess(t, "cmd/chat", exec.Command(commandPath(t, "chat"), "-addr", "127.0.0.1:0"))
	addr := chat.waitOutput(t, regexp.MustCompile(`listening on http://(\S+)/ `), 30*time.Second)[1]

	observer := dialChatMember(t, addr, "observer")
	browser := startChromium(t, chromium, "http://"+addr+"/?name=tab1", false, "--remote-debugging-port=0")
	devtools := browser.waitOutput(t, regexp.MustCompile(`DevTools listening on (ws://\S+)`), 30*time.Second)[1]
	cdp := dialDevTools(t, devtools)
	// A second tab of the same browser.
	cdp.call(t, "Target.createTarget", map[string]any{"url": "http://" + addr + "/?name=tab2"}, nil)

	joined := map[string]bool{}
	for !joined["tab1"] || !joined["tab2"] {
		line := readChatLine(t, observer)
		if m := regexp.MustCompile(`^\* (tab\d) joined$`).FindStringSubmatch(line); m != nil {
			joined[m[1]] = true
		}
	}
	if err := observer.WriteMessage(frame.OpText, []byte("hello, tabs\n")); err != nil {
		t.Fatal(err)
	}
	readChatLine(t, observer) // our own line, broadcast back

	var targets struct {
		TargetInfos []struct {
			Type, URL string
			TargetID  string `json:"targetId"`
		} `json:"targetInfos"`
	}
	cdp.call(t, "Target.getTargets", nil, &targets)
	pages := 0
	for _, target := range targets.TargetInfos {
		if target.Type != "page" || !strings.Contains(target.URL, "?name=tab") {
			continue
		}
		pages++
		page := dialDevTools(t, devtools[:strings.Index(devtools, "/devtools/")]+"/devtools/page/"+target.TargetID)
		deadline := time.Now().Add(10 * time.Second)
		for {
			var result struct {
				Result struct{ Value string } `json:"result"`
			}
			page.call(t, "Runtime.evaluate", map[string]any{"expression": "document.getElementById('log').innerText", "returnByValue": true}, &result)
			if strings.Contains(result.Result.Value, "observer: hello, tabs") {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s shows %q, without the observer's line", target.URL, result.Result.Value)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	if pages != 2 {
		t.Fatalf("%d chat tabs in the browser, want 2", pages)
	}
}

// dialChatMember joins the chat at addr as name.
func dialChatMember(t *testing.T, addr, name string) *conn.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, _, err := conn.Dial(ctx, "ws://"+addr+"/ws?name="+name, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.CloseNow() })
	return c
}

// readChatLine reads the next line the room sends to c.
func readChatLine(t *testing.T, c *conn.Conn) string {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(30 * time.Second))
	_, p, err := c.ReadMessage(nil)
	if err != nil {
		t.Fatalf("reading the room: %v", err)
	}
	return string(p)
}

// devToolsConn is a connection to chromium's DevTools protocol: JSON commands with an id, and
// answers (and events, which it skips) as text messages.
type devToolsConn struct {
	c      *conn.Conn
	nextID int
}

func dialDevTools(t *testing.T, url string) *devToolsConn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, resp, err := conn.Dial(ctx, url, &conn.DialOptions{ReadLimit: 64 << 20})
	if err != nil {
		status := ""
		if resp != nil {
			status = resp.Status
		}
		t.Fatalf("DevTools at %s: %v %s", url, err, status)
	}
	t.Cleanup(func() { c.Close(frame.CloseNormal, "") })
	return &devToolsConn{c: c}
}

// call sends a command and decodes its result into result (unless nil), failing the test on an
// error.
func (d *devToolsConn) call(t *testing.T, method string, params any, result any) {
	t.Helper()
	if err := d.try(method, params, result); err != nil {
		t.Fatalf("DevTools %s: %v", method, err)
	}
}

// try sends a command and decodes its result into result (unless nil).
func (d *devToolsConn) try(method string, params any, result any) error {
	d.nextID++
	id := d.nextID
	msg, _ := json.Marshal(map[string]any{"id": id, "method": method, "params": params})
	if err := d.c.WriteMessage(frame.OpText, msg); err != nil {
		return err
	}
	d.c.SetReadDeadline(time.Now().Add(30 * time.Second))
	defer d.c.SetReadDeadline(time.Time{})
	for {
		_, p, err := d.c.ReadMessage(nil)
		if err != nil {
			return err
		}
		var answer struct {
			ID     int             `json:"id"`
			Result json.RawMessage `json:"result"`
			Error  *struct{ Message string }
		}
		if err := json.Unmarshal(p, &answer); err != nil || answer.ID != id {
			continue // an event, or the answer to an earlier command
		}
		if answer.Error != nil {
			return errors.New(answer.Error.Message)
		}
		if result != nil {
			return json.Unmarshal(answer.Result, result)
		}
		return nil
	}
}
