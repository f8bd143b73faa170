package main

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestC100KSmall runs the command, built from this tree, with a few hundred connections from
// two workers against cmd/echo: every connection upgraded, echoed and closed with 1000, and the
// server back to its file descriptors and goroutines.
func TestC100KSmall(t *testing.T) {
	if testing.Short() {
		t.Skip("builds two binaries")
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command")
	}
	dir := t.TempDir()
	for _, pkg := range []string{"cmd/echo", "bench/c100k"} {
		out, err := exec.Command(goTool, "build", "-o", filepath.Join(dir, filepath.Base(pkg)), "github.com/rfc6455/ws/"+pkg).CombinedOutput()
		if err != nil {
			t.Fatalf("go build %s: %v\n%s", pkg, err, out)
		}
	}
	out, err := exec.Command(filepath.Join(dir, "c100k"), "-server", filepath.Join(dir, "echo"), "-conns", "300", "-workers", "2", "-settle", "100ms").CombinedOutput()
	t.Logf("%s", out)
	if err != nil {
		t.Fatalf("c100k: %v", err)
	}
	for _, want := range []string{"upgraded:          300 done, 0 failed", "echoed 1 KiB:      300 done, 0 failed", "closed (1000):     300 done, 0 failed", "300 live WebSockets", "PASS"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("the report lacks %q", want)
		}
	}
}
