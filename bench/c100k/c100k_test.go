package main

import (
	"errors"
	"os/exec"
	"regexp"
	"strings"
	"testing"

	"github.com/rfc6455/ws/bench/internal/serverproc"
)

// TestC100KSmall runs the command, built from this tree, with a few hundred connections from
// two workers against two cmd/echo processes sharing a port (-reuse-port): every connection
// upgraded, echoed and closed with 1000, both servers used, and the servers back to their file
// descriptors and goroutines.
func TestC100KSmall(t *testing.T) {
	if testing.Short() {
		t.Skip("builds two binaries")
	}
	dir := t.TempDir()
	var echo, c100k string
	var err error
	if echo, err = serverproc.Build(dir, "cmd/echo", false); errors.Is(err, serverproc.ErrNoGo) {
		t.Skip("no go command")
	}
	if err == nil {
		c100k, err = serverproc.Build(dir, "bench/c100k", false)
	}
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(c100k, "-server", echo, "-conns", "300", "-workers", "2", "-servers", "2", "-settle", "100ms").CombinedOutput()
	t.Logf("%s", out)
	if err != nil {
		t.Fatalf("c100k: %v", err)
	}
	for _, want := range []string{"upgraded:          300 done, 0 failed", "echoed 1 KiB:      300 done, 0 failed", "closed (1000):     300 done, 0 failed", "300 live WebSockets", "PASS"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("the report lacks %q", want)
		}
	}
	// Both servers got connections: of 300, by Linux's hash, each about half.
	if m := regexp.MustCompile(`per server: +(\d+), (\d+) WebSockets`).FindStringSubmatch(string(out)); m == nil {
		t.Error("the report lacks the connections of each server")
	} else if m[1] == "0" || m[2] == "0" {
		t.Errorf("connections per server: %s and %s, want both used", m[1], m[2])
	}
}
