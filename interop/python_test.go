//go:build unix

package interop

import (
	"fmt"
	"os/exec"
	"testing"
	"time"

	"github.com/rfc6455/ws/conn"
	"github.com/rfc6455/ws/interop/internal/peertest"
)

// The Python websockets library (Debian's python3-websockets 10.4), run by /usr/bin/python3:
// its client against our server, and our client against its server. Its client offers
// permessage-deflate unless told not to, which our server must decline cleanly (§9.1).

// TestPythonClient runs testdata/python/client.py against our server (conn.Upgrade, in-process),
// with messages from 0 B to 16 MiB.
func TestPythonClient(t *testing.T) {
	t.Parallel()
	requirePython(t)
	cases := []struct {
		name string
		cfg  clientConfig
	}{
		{"client closes", clientConfig{
			Sizes: upTo16MiB, Fragments: 5, Ping: "ping from python",
			CloseCode: 4001, CloseReason: "python says bye",
		}},
		{"server closes", clientConfig{
			Sizes:     []int{0, 1, 125, 126},
			CloseCode: 4002, CloseReason: "go says bye", ServerClose: true,
		}},
		{"client closes 1000", clientConfig{Sizes: []int{10}, CloseCode: 1000, CloseReason: "done"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			server := peertest.StartEchoServer(t, conn.DefaultReadLimit)
			cfg := tc.cfg
			cfg.URL = server.URL
			cfg.Protocols = []string{"soap", "wamp"}
			p := startPython(t, "client.py", cfg.arg())
			checkClientReport(t, p, cfg, "wamp")
			checkServerRecord(t, server.Record(t), cfg, true)
		})
	}
}

// TestPythonServer runs our client (conn.Dial) against testdata/python/server.py.
func TestPythonServer(t *testing.T) {
	t.Parallel()
	requirePython(t)
	p := startPython(t, "server.py", `{"protocols": ["wamp", "mqtt"]}`)
	port := p.waitEvent(t, "listening", 1, 20*time.Second).Port
	exerciseServer(t, p, fmt.Sprintf("ws://127.0.0.1:%d/", port), upTo16MiB, nil, "wamp")
}

// startPython runs a script of testdata/python with Debian's interpreter.
func startPython(t *testing.T, script string, args ...string) *process {
	t.Helper()
	// -B: no __pycache__ in testdata.
	cmd := exec.Command(pythonPath, append([]string{"-u", "-B", script}, args...)...)
	cmd.Dir = "testdata/python"
	return startProcess(t, "python "+script, cmd)
}
