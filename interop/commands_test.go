//go:build unix

package interop

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// commandsDir holds the binaries of cmd/echo, cmd/wscat and cmd/chat, built on first use by
// commandPath. TestMain creates it and removes it at the end of the run.
var commandsDir string

// buildOnce builds the commands at most once per test binary; buildErr is its outcome.
var (
	buildOnce sync.Once
	buildErr  error
)

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "ws-interop-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	commandsDir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// commandPath returns the path of the binary of cmd/name (echo or wscat). The tests run the real
// commands, built from this checkout with go build, so that a peer meets exactly what a user
// runs. Under -race the commands are built with the race detector too.
func commandPath(t *testing.T, name string) string {
	t.Helper()
	buildOnce.Do(func() {
		goTool, err := exec.LookPath("go")
		if err != nil {
			buildErr = fmt.Errorf("the go command is needed to build cmd/echo, cmd/wscat, cmd/chat and cmd/wsbridge: %w", err)
			return
		}
		args := []string{"build", "-o", commandsDir + string(filepath.Separator)}
		if raceEnabled {
			args = append(args, "-race")
		}
		args = append(args, "./cmd/echo", "./cmd/wscat", "./cmd/chat", "./cmd/wsbridge")
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, goTool, args...)
		cmd.Dir = ".." // the module root; tests run in the package directory
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return filepath.Join(commandsDir, name)
}

// echoServer is a running cmd/echo binary.
type echoServer struct {
	*process
	addr       string // host:port it listens on, always on 127.0.0.1
	scheme     string // ws or wss
	terminated bool   // SIGTERM was sent
}

// echoListening is the line cmd/echo logs once it listens.
var echoListening = regexp.MustCompile(`listening on (wss?)://(127\.0\.0\.1:\d+)/ws`)

// startEcho runs cmd/echo on a free port of 127.0.0.1 with the given flags (plus -addr). When
// the test ends, the server gets SIGTERM, which must make it close its connections and exit
// with status 0, as its documentation promises; anything else fails the test, and so does a
// data race that the race detector reports in its output.
func startEcho(t *testing.T, args ...string) *echoServer {
	t.Helper()
	path := commandPath(t, "echo")
	cmd := exec.Command(path, append([]string{"-addr", "127.0.0.1:0"}, args...)...)
	p := startProcess(t, "cmd/echo", cmd)
	e := &echoServer{process: p}
	// Registered after startProcess's cleanup, so it runs first (cleanups run last-in,
	// first-out): a graceful stop, checked, before the group is killed.
	t.Cleanup(func() {
		if !e.exited() && !e.terminated {
			e.terminate()
		}
		e.checkExit(t)
		checkNoRace(t, p)
	})
	m := p.waitOutput(t, echoListening, 30*time.Second)
	e.scheme, e.addr = m[1], m[2]
	return e
}

// terminate sends cmd/echo SIGTERM, once: it stops accepting, closes every WebSocket with 1001
// and exits. (A second SIGTERM could arrive after it has restored the default action, as it
// exits, and kill it.)
func (e *echoServer) terminate() {
	e.terminated = true
	e.cmd.Process.Signal(syscall.SIGTERM)
}

// checkExit waits for cmd/echo to exit after terminate and fails the test unless it exits with
// status 0, as its documentation promises.
func (e *echoServer) checkExit(t *testing.T) {
	t.Helper()
	select {
	case <-e.done:
		if e.waitErr != nil {
			t.Errorf("cmd/echo after SIGTERM: %v (want exit status 0)", e.waitErr)
		}
	case <-time.After(15 * time.Second):
		t.Errorf("cmd/echo did not exit within 15s of SIGTERM")
	}
}

// url returns the server's WebSocket URL for path.
func (e *echoServer) url(path string) string { return e.scheme + "://" + e.addr + path }

// waitLog waits until cmd/echo has logged a line containing want (it logs one line per
// connection when the connection ends, with the close code and reason it received).
func (e *echoServer) waitLog(t *testing.T, want string) {
	t.Helper()
	e.waitOutput(t, regexp.MustCompile(regexp.QuoteMeta(want)), 15*time.Second)
}

// checkNoRace fails the test if a command built with -race reported a data race.
func checkNoRace(t *testing.T, p *process) {
	t.Helper()
	if out := p.stderr.String(); strings.Contains(out, "WARNING: DATA RACE") {
		t.Errorf("%s reported a data race:\n%s", p.name, out)
	}
}

// runWscat runs cmd/wscat with args, feeding it stdin, and returns its standard output and exit
// status once it has exited (it exits at the end of its input, after the close handshake).
func runWscat(t *testing.T, stdin string, env []string, args ...string) (string, int) {
	t.Helper()
	cmd := exec.Command(commandPath(t, "wscat"), args...)
	cmd.Stdin = strings.NewReader(stdin)
	cmd.Env = append(os.Environ(), env...)
	p := startProcess(t, "cmd/wscat", cmd)
	status := p.wait(t, 30*time.Second)
	checkNoRace(t, p)
	return p.stdout.String(), status
}
