package load

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"sync"
	"time"
)

// RSS returns the resident set size of process pid in KiB, from VmRSS in /proc/pid/status (Linux).
func RSS(pid int) (int64, error) {
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for line := range bytes.Lines(status) {
		if rest, ok := bytes.CutPrefix(line, []byte("VmRSS:")); ok {
			rest = bytes.TrimSpace(bytes.TrimSuffix(bytes.TrimSpace(rest), []byte("kB")))
			return strconv.ParseInt(string(rest), 10, 64)
		}
	}
	return 0, fmt.Errorf("load: no VmRSS in /proc/%d/status", pid)
}

// rssSampler records the largest RSS of a process while it runs, sampling every 20 ms.
type rssSampler struct {
	pid  int
	stop chan struct{}
	done sync.WaitGroup
	peak int64
}

func startRSS(pid int) *rssSampler {
	s := &rssSampler{pid: pid, stop: make(chan struct{})}
	if pid <= 0 {
		return s
	}
	s.done.Add(1)
	go func() {
		defer s.done.Done()
		t := time.NewTicker(20 * time.Millisecond)
		defer t.Stop()
		for {
			if kib, err := RSS(pid); err == nil {
				s.peak = max(s.peak, kib)
			}
			select {
			case <-s.stop:
				return
			case <-t.C:
			}
		}
	}()
	return s
}

// finish stops sampling and returns the peak in KiB (0 without a process).
func (s *rssSampler) finish() int64 {
	close(s.stop)
	s.done.Wait()
	return s.peak
}
