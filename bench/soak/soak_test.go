package main

import (
	"errors"
	"testing"
	"time"

	"github.com/rfc6455/ws/bench/internal/serverproc"
)

// TestSoak runs the soak briefly against cmd/echo -compress built from this tree (with the race
// detector when the test has it): every echo on a healthy connection intact, every fault
// injected, and the server back to its file descriptors and goroutines afterwards.
func TestSoak(t *testing.T) {
	if testing.Short() {
		t.Skip("a soak, even a short one, takes seconds")
	}
	bin, err := serverproc.Build(t.TempDir(), "cmd/echo", raceEnabled)
	if errors.Is(err, serverproc.ErrNoGo) {
		t.Skip("no go command to build cmd/echo with")
	}
	if err != nil {
		t.Fatal(err)
	}
	srv, err := serverproc.Start(bin, []string{"-addr", "127.0.0.1:0", "-compress", "-debug-addr", "127.0.0.1:0"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Stop()
	r := run(config{url: "ws://" + srv.Addr + "/ws", clients: 40, faulty: 0.25, duration: 8 * time.Second, compress: true, seed: 1}, srv)
	t.Log(r.String())
	if !r.ok() {
		t.Fatal("the soak failed")
	}
	for i, name := range faultNames {
		if r.faults[i].Load() == 0 {
			t.Errorf("no fault %q injected", name)
		}
	}
	if r.goroutinesBefore < 0 {
		t.Error("the server's goroutines were not counted")
	}
	if exited, err := srv.Exited(); exited {
		t.Fatalf("the server exited: %v", err)
	}
}
