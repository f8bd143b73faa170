//go:build unix

package interop

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"net"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// stopGrace is how long a process has to exit after SIGTERM before its whole process group
// gets SIGKILL.
const stopGrace = 5 * time.Second

// process is an external program started by a test. Its output is kept, line by line, for the
// test to wait on and to show when the test fails; the program runs in a process group of its
// own, so that it is stopped together with its children (chromium's renderers, a shell
// wrapper's child) when the test ends, however it ends.
type process struct {
	name   string
	cmd    *exec.Cmd
	stdout *outputLog
	stderr *outputLog

	done    chan struct{} // closed when the process has exited
	waitErr error         // the error of cmd.Wait, valid once done is closed
}

// startProcess starts cmd and registers its stop with t.Cleanup. The caller sets cmd's
// arguments, directory, environment and standard input; startProcess owns its output.
func startProcess(t *testing.T, name string, cmd *exec.Cmd) *process {
	t.Helper()
	p := &process{name: name, cmd: cmd, stdout: &outputLog{}, stderr: &outputLog{}, done: make(chan struct{})}
	cmd.Stdout = p.stdout
	cmd.Stderr = p.stderr
	// A process group of its own: signals go to the program and to every child it starts.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	// A child that outlives its parent may hold the output pipes open; do not wait for it
	// longer than this once the parent has exited.
	cmd.WaitDelay = 2 * time.Second
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting %s: %v", name, err)
	}
	go func() {
		p.waitErr = cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		p.stop()
		if t.Failed() {
			p.logOutput(t)
		}
	})
	return p
}

// stop ends the process: SIGTERM to its group, then SIGKILL to the group if it has not exited
// within stopGrace. The group is killed even after the leader exits, so no child lingers. stop
// is safe to call more than once.
func (p *process) stop() {
	pgid := p.cmd.Process.Pid
	select {
	case <-p.done:
	default:
		syscall.Kill(-pgid, syscall.SIGTERM)
		select {
		case <-p.done:
		case <-time.After(stopGrace):
		}
	}
	syscall.Kill(-pgid, syscall.SIGKILL)
	<-p.done
}

// exited reports whether the process has exited.
func (p *process) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// wait waits for the process to exit by itself and returns its exit code; after timeout it
// kills the process and fails the test.
func (p *process) wait(t *testing.T, timeout time.Duration) int {
	t.Helper()
	select {
	case <-p.done:
	case <-time.After(timeout):
		p.stop()
		t.Fatalf("%s did not finish within %v", p.name, timeout)
	}
	var exit *exec.ExitError
	if errors.As(p.waitErr, &exit) {
		return exit.ExitCode()
	}
	if p.waitErr != nil {
		t.Fatalf("%s: %v", p.name, p.waitErr)
	}
	return 0
}

// logOutput writes what the process printed into the test log.
func (p *process) logOutput(t *testing.T) {
	t.Helper()
	t.Logf("%s %s: exit %v\n--- stdout:\n%s--- stderr:\n%s", p.name, strings.Join(p.cmd.Args, " "),
		p.waitErr, p.stdout.String(), p.stderr.String())
}

// waitOutput waits until a line of the process's stdout or stderr matches re and returns the
// line's submatches. It fails the test after timeout, or as soon as the process exits without
// having printed such a line.
func (p *process) waitOutput(t *testing.T, re *regexp.Regexp, timeout time.Duration) []string {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		exited := p.exited() // read before the output, so the output is complete when it is true
		for _, out := range []*outputLog{p.stdout, p.stderr} {
			for _, line := range out.lines() {
				if m := re.FindStringSubmatch(line); m != nil {
					return m
				}
			}
		}
		if exited {
			t.Fatalf("%s exited (%v) without printing a line matching %q", p.name, p.waitErr, re)
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s printed no line matching %q within %v", p.name, re, timeout)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// peerEvent is one JSON line that a peer script prints on its standard output: what it saw,
// for the test to check. Event names what happened; the other fields belong to some events only.
type peerEvent struct {
	Event string `json:"event"`

	Port int `json:"port,omitempty"` // "listening"

	Protocol   string `json:"protocol"`   // "open": the negotiated subprotocol
	Extensions string `json:"extensions"` // "open": Sec-WebSocket-Extensions of the request or response

	Code   int    `json:"code"`   // "closed": the close code received
	Reason string `json:"reason"` // "closed": the close reason received

	Type      string `json:"type"`      // "echo", "fragmented": text or binary
	Size      int    `json:"size"`      // "echo", "fragmented": the message's length in bytes
	Fragments int    `json:"fragments"` // "fragmented": how many frames it was sent in
	OK        bool   `json:"ok"`        // "echo", "fragmented": the echo equals what was sent

	Message string `json:"message"` // "error", "pong", or why an echo differs
}

// events returns the JSON events the process has printed on stdout so far, in order. Lines
// that are not JSON objects are left out: they are there for people.
func (p *process) events() []peerEvent {
	var events []peerEvent
	for _, line := range p.stdout.lines() {
		if !strings.HasPrefix(line, "{") {
			continue
		}
		var e peerEvent
		if json.Unmarshal([]byte(line), &e) == nil {
			events = append(events, e)
		}
	}
	return events
}

// waitEvent waits until the process has printed its n-th (from 1) event named name, and
// returns it. It fails the test after timeout or when the process exits first.
func (p *process) waitEvent(t *testing.T, name string, n int, timeout time.Duration) peerEvent {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		exited := p.exited()
		seen := 0
		for _, e := range p.events() {
			if e.Event == "error" {
				t.Fatalf("%s reports an error: %s", p.name, e.Message)
			}
			if e.Event == name {
				if seen++; seen == n {
					return e
				}
			}
		}
		if exited {
			t.Fatalf("%s exited (%v) before its event %q #%d", p.name, p.waitErr, name, n)
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s printed no event %q #%d within %v", p.name, name, n, timeout)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// outputLog keeps what a process writes to one of its streams. The process writes from
// os/exec's copying goroutine while the test reads, so it is locked.
type outputLog struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (o *outputLog) Write(p []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.buf.Write(p)
}

func (o *outputLog) String() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.buf.String()
}

// lines returns the complete lines written so far, without their line endings.
func (o *outputLog) lines() []string {
	var lines []string
	s := bufio.NewScanner(strings.NewReader(o.String()))
	s.Buffer(nil, 1<<20)
	for s.Scan() {
		lines = append(lines, s.Text())
	}
	return lines
}

// freePort returns a TCP port on 127.0.0.1 that was free a moment ago, for a program that
// must be told its port (nginx, mosquitto). Programs that can report the port they got are
// given port 0 instead, which has no race.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// waitListening waits until something accepts TCP connections on 127.0.0.1:port, or fails the
// test after timeout or when p exits first.
func waitListening(t *testing.T, p *process, port int, timeout time.Duration) {
	t.Helper()
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	deadline := time.Now().Add(timeout)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			return
		}
		if p.exited() {
			t.Fatalf("%s exited (%v) before listening on %s", p.name, p.waitErr, addr)
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s is not listening on %s after %v: %v", p.name, addr, timeout, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
