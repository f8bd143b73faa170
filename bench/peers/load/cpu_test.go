package load

import (
	"context"
	"os"
	"runtime"
	"testing"
	"time"
)

func TestParseCPUTime(t *testing.T) {
	// Fields 14 and 15 are utime and stime, in clock ticks of 10 ms (proc(5)).
	const tail = " S 1 2 3 0 -1 4194560 100 0 0 0 250 75 0 0 20 0 5 0 123 456 789"
	tests := []struct {
		name string
		stat string
		want time.Duration
		err  bool
	}{
		{"plain command name", "42 (peerecho)" + tail, 3250 * time.Millisecond, false},
		{"name with spaces and parentheses", "42 (a (b) c)" + tail, 3250 * time.Millisecond, false},
		{"no command name", "42 peerecho" + tail, 0, true},
		{"line cut short", "42 (peerecho) S 1 2 3", 0, true},
		{"not a number", "42 (peerecho) S 1 2 3 0 -1 4194560 100 0 0 0 x 75 0", 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseCPUTime([]byte(tt.stat))
			if (err != nil) != tt.err || got != tt.want {
				t.Errorf("parseCPUTime = %v, %v; want %v, error %v", got, err, tt.want, tt.err)
			}
		})
	}
}

// TestRunMeasuresServerCPU runs a scenario against a server in this process and gives the
// process as the server's: the CPU time per message must be reported, and be plausible.
func TestRunMeasuresServerCPU(t *testing.T) {
	if _, err := CPUTime(os.Getpid()); err != nil {
		t.Skipf("no /proc: %v", err)
	}
	sc := Scenario{Conns: 4, InFlight: 4, Size: 64 << 10, Text: true, Frags: 1}
	r := Run(context.Background(), Target{URL: faultyServer(t, faultNone)}, sc,
		Options{Duration: 300 * time.Millisecond, Warmup: 50 * time.Millisecond, PID: os.Getpid(), Timeout: 5 * time.Second})
	if r.Errors != 0 || r.Messages == 0 {
		t.Fatalf("errors %d (%s), %d messages", r.Errors, r.FirstError, r.Messages)
	}
	// Both sides run here, busy for the whole window, on at most all of the machine's cores
	// (and a clock tick more).
	used := r.ServerCPUus * float64(r.Messages) / 1e6
	if used <= 0 || used > r.Seconds*float64(runtime.NumCPU())+0.01 {
		t.Fatalf("server CPU %.1f µs per message over %d messages in %.1f s: %.2f s in all", r.ServerCPUus, r.Messages, r.Seconds, used)
	}
}
