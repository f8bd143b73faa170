//go:build unix

package interop

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"testing"
	"time"

	"github.com/rfc6455/ws/conn"
	"github.com/rfc6455/ws/interop/internal/peertest"
)

// The Node ws library (npm ws, installed by npm ci --prefix interop/node): the seed's own client
// program, unchanged, against the real cmd/echo; the library's client against our server; and
// our client against its server. Its client offers permessage-deflate by default, which our
// server must decline cleanly (§9.1).

// TestNodeSeedClient runs the seed document's Node client, testdata/node/seed_client.mjs, byte
// for byte as the seed has it, against the cmd/echo binary run as the README says. The client
// sends "Hello from the client!" once open and prints what comes back; it never closes by
// itself, so the test stops the server, which must close the connection with 1001 (going away)
// and make the client print its close and exit.
func TestNodeSeedClient(t *testing.T) {
	t.Parallel()
	node := requireNode(t, "ws")
	echo := startEcho(t)
	// The seed dials ws://localhost:8080, the seed server's address; ours is on a free port.
	client := startNode(t, node, "seed_client.mjs", map[string]string{"ws://localhost:8080": echo.url("")})

	client.waitOutput(t, regexp.MustCompile(`^WebSocket connection opened$`), 20*time.Second)
	// ws 8 hands every message to the "message" listener as a Buffer, so the seed's code
	// prints the text echo through its "binary data" branch.
	client.waitOutput(t, regexp.MustCompile(`^Received (binary data|message): Hello from the client!$`), 10*time.Second)

	// SIGTERM: cmd/echo closes every connection with 1001 and exits 0 (§7.4.1).
	echo.terminate()
	client.waitOutput(t, regexp.MustCompile(`^WebSocket connection closed$`), 15*time.Second)
	if status := client.wait(t, 15*time.Second); status != 0 {
		t.Errorf("the seed client exited with status %d", status)
	}
	// The server logs the close frame the client answered with (ws echoes code and reason,
	// §5.5.1) and the one message it echoed.
	echo.waitLog(t, `close=1001 reason="server shutting down" messages=1`)
	if stderr := client.stderr.String(); stderr != "" {
		t.Errorf("the seed client reported errors:\n%s", stderr)
	}
}

// TestNodeClient runs testdata/node/client.mjs against our server: in-process (conn.Upgrade),
// and the cmd/echo binary.
func TestNodeClient(t *testing.T) {
	t.Parallel()
	node := requireNode(t, "ws")
	cases := []struct {
		name string
		cfg  clientConfig
	}{
		{"client closes", clientConfig{
			Sizes: upTo16MiB, Fragments: 5, Ping: "ping from node",
			CloseCode: 4001, CloseReason: "node says bye",
		}},
		{"server closes", clientConfig{
			Sizes:     []int{0, 1, 125, 126},
			CloseCode: 4002, CloseReason: "go says bye", ServerClose: true,
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			server := peertest.StartEchoServer(t, conn.DefaultReadLimit)
			cfg := tc.cfg
			cfg.URL = server.URL
			cfg.Protocols = []string{"soap", "wamp"}
			p := startNode(t, node, "client.mjs", nil, cfg.arg())
			checkClientReport(t, p, cfg, "wamp")
			checkServerRecord(t, server.Record(t), cfg, true)
		})
	}

	t.Run("cmd/echo", func(t *testing.T) {
		echo := startEcho(t, "-subprotocols", "wamp,soap")
		cfg := clientConfig{
			URL: echo.url("/ws"), Protocols: []string{"soap", "wamp"},
			Sizes: upTo1MiB, Fragments: 4, Ping: "ping from node",
			CloseCode: 4003, CloseReason: "node leaves echo",
		}
		p := startNode(t, node, "client.mjs", nil, cfg.arg())
		checkClientReport(t, p, cfg, "wamp")
		echo.waitLog(t, fmt.Sprintf(`subprotocol="wamp" close=4003 reason="node leaves echo" messages=%d`, 2*len(cfg.Sizes)+2))
	})
}

// TestNodeServer runs our client (conn.Dial) against testdata/node/server.mjs.
func TestNodeServer(t *testing.T) {
	t.Parallel()
	node := requireNode(t, "ws")
	p := startNode(t, node, "server.mjs", nil, `{"protocols": ["wamp", "mqtt"]}`)
	port := p.waitEvent(t, "listening", 1, 20*time.Second).Port
	exerciseServer(t, p, fmt.Sprintf("ws://127.0.0.1:%d/", port), upTo16MiB, nil, "wamp")
}

// startNode runs a script of testdata/node with the loader that finds interop/node/node_modules
// and redirects the seed's fixed addresses as redirects says (see testdata/node/hooks.mjs).
func startNode(t *testing.T, node, script string, redirects map[string]string, args ...string) *process {
	t.Helper()
	cmd := exec.Command(node, append([]string{"--import", "./testdata/node/loader.mjs", "testdata/node/" + script}, args...)...)
	cmd.Env = os.Environ()
	if redirects != nil {
		b, err := json.Marshal(redirects)
		if err != nil {
			t.Fatal(err)
		}
		cmd.Env = append(cmd.Env, "INTEROP_REDIRECT="+string(b))
	}
	return startProcess(t, "node "+script, cmd)
}
