package conform_test

// The suite against the real cmd/echo program, built and run as a user would run it.

import (
	"bufio"
	"context"
	"os/exec"
	"path/filepath"
	"regexp"
	"syscall"
	"testing"
	"time"

	"github.com/rfc6455/ws/conform"
)

// TestCmdEcho runs the suite against cmd/echo over TCP, then over HTTP/2 streams (RFC 8441) of
// cleartext connections (its -h2c).
func TestCmdEcho(t *testing.T) {
	t.Parallel()
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command to build cmd/echo with:", err)
	}
	bin := filepath.Join(t.TempDir(), "echo")
	build := exec.Command(goTool, "build", "-o", bin, "github.com/rfc6455/ws/cmd/echo")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build cmd/echo: %v\n%s", err, out)
	}

	// Port 0: the kernel picks a free port, which echo logs as "listening on ws://ADDR/ws".
	// -h2c: the same port also takes HTTP/2 with prior knowledge, for the run over streams.
	cmd := exec.Command(bin, "-addr", "127.0.0.1:0", "-h2c")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(15 * time.Second):
			cmd.Process.Kill()
			<-exited
		}
	})

	listening := regexp.MustCompile(`listening on (ws://\S+)`)
	urls := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			if m := listening.FindStringSubmatch(sc.Text()); m != nil {
				urls <- m[1]
			}
		}
	}()
	var url string
	select {
	case url = <-urls:
	case err := <-exited:
		t.Fatalf("cmd/echo exited before listening: %v", err)
	case <-time.After(30 * time.Second):
		t.Fatal("cmd/echo did not say where it listens")
	}

	for _, overH2 := range []bool{false, true} {
		report, err := conform.CheckServer(context.Background(), url, crossSection(), &conform.Options{Agent: "cmd/echo", Parallel: testParallel, HTTP2: overH2})
		if err != nil {
			t.Fatal(err)
		}
		requireAllPass(t, report, false)
	}
}
