// Package serverproc starts an echo server binary for the memory measurements of package bench's
// commands (inflatebomb, pingidle), and reads its memory from /proc. Linux only.
package serverproc

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Server is a running server binary.
type Server struct {
	Addr string // host:port it listens on
	// DebugAddr is where it serves /debug/stats (cmd/echo -debug-addr), when its log said so
	// before saying where it listens; "" otherwise.
	DebugAddr string
	PID       int
	cmd       *exec.Cmd
	exited    chan error
}

var (
	listening = regexp.MustCompile(`listening on ws://(\S+)/ws`)
	debugging = regexp.MustCompile(`debug stats on http://(\S+)/debug/stats`)
)

// Start runs binary with args, which must make it listen on a free port of 127.0.0.1 (cmd/echo:
// -addr 127.0.0.1:0) and log "listening on ws://ADDR/ws", as cmd/echo does. With logTo set, the
// server's log is copied there.
func Start(binary string, args []string, logTo io.Writer) (*Server, error) {
	cmd := exec.Command(binary, args...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	s := &Server{PID: cmd.Process.Pid, cmd: cmd, exited: make(chan error, 1)}
	lines := bufio.NewReader(stderr)
	for s.Addr == "" {
		line, err := lines.ReadString('\n')
		if m := listening.FindStringSubmatch(line); m != nil {
			s.Addr = m[1]
		}
		if m := debugging.FindStringSubmatch(line); m != nil {
			s.DebugAddr = m[1]
		}
		if err != nil {
			cmd.Process.Kill()
			cmd.Wait()
			return nil, errors.New("serverproc: the server exited without saying where it listens")
		}
	}
	if logTo == nil {
		logTo = io.Discard
	}
	go func() {
		io.Copy(logTo, lines)
		s.exited <- cmd.Wait()
	}()
	return s, nil
}

// Stop kills the server.
func (s *Server) Stop() {
	s.cmd.Process.Kill()
	select {
	case <-s.exited:
	case <-time.After(5 * time.Second):
	}
}

// Exited returns the server's exit error once it has exited, or nil while it runs.
func (s *Server) Exited() (bool, error) {
	select {
	case err := <-s.exited:
		s.exited <- err
		return true, err
	default:
		return false, nil
	}
}

// Memory returns the server's resident set and the peak it reached, in bytes.
func (s *Server) Memory() (rss, peak int64, err error) {
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", s.PID))
	if err != nil {
		return 0, 0, err
	}
	for _, line := range strings.Split(string(status), "\n") {
		name, value, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		fields := strings.Fields(value)
		if len(fields) == 0 {
			continue
		}
		kb, _ := strconv.ParseInt(fields[0], 10, 64)
		switch name {
		case "VmRSS":
			rss = kb << 10
		case "VmHWM":
			peak = kb << 10
		}
	}
	return rss, peak, nil
}

// Stats are the counts cmd/echo serves at /debug/stats.
type Stats struct {
	Goroutines  int `json:"goroutines"`
	Connections int `json:"connections"` // live WebSockets
	Ended       int `json:"ended"`
}

// Stats fetches the server's /debug/stats; it needs DebugAddr.
func (s *Server) Stats() (Stats, error) {
	if s.DebugAddr == "" {
		return Stats{}, errors.New("serverproc: the server serves no /debug/stats (cmd/echo: -debug-addr)")
	}
	client := &http.Client{Timeout: 5 * time.Second}
	resp, err := client.Get("http://" + s.DebugAddr + "/debug/stats")
	if err != nil {
		return Stats{}, err
	}
	defer resp.Body.Close()
	var st Stats
	if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
		return Stats{}, fmt.Errorf("serverproc: /debug/stats: %w", err)
	}
	return st, nil
}

// ErrNoGo is Build's error when there is no go command to build with.
var ErrNoGo = errors.New("serverproc: no go command in PATH")

// Build builds the command of this module at path (such as "cmd/echo") into dir, with the race
// detector if race, and returns the binary's path: for tests that run a command as its users do.
func Build(dir, path string, race bool) (string, error) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		return "", ErrNoGo
	}
	bin := filepath.Join(dir, filepath.Base(path))
	args := []string{"build", "-o", bin}
	if race {
		args = append(args, "-race")
	}
	out, err := exec.Command(goTool, append(args, "github.com/rfc6455/ws/"+path)...).CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("go build %s: %v\n%s", path, err, out)
	}
	return bin, nil
}

// RaiseFileLimit raises this process's soft limit of open files to its hard limit, which the
// servers it starts inherit, and returns the limit now in force. Raising the hard limit takes
// privilege (CAP_SYS_RESOURCE; ulimit -Hn as root, or LimitNOFILE= in a systemd unit).
func RaiseFileLimit() uint64 {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return 0
	}
	if lim.Cur < lim.Max {
		lim.Cur = lim.Max
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
			syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim)
		}
	}
	return lim.Cur
}

// MiB converts bytes to MiB.
func MiB(n int64) float64 { return float64(n) / (1 << 20) }
