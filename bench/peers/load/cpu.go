package load

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"time"
)

// clockTicksPerSecond is the unit of the CPU times in /proc/pid/stat: USER_HZ, which Linux fixes
// at 100 on every architecture Go supports.
const clockTicksPerSecond = 100

// CPUTime returns the CPU time process pid has used so far, user and system, all its threads
// together (those that have exited included), from /proc/pid/stat (Linux). Its resolution is
// 10 ms.
func CPUTime(pid int) (time.Duration, error) {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	return parseCPUTime(stat)
}

// parseCPUTime reads utime and stime, fields 14 and 15 of a /proc/pid/stat line (proc(5)). The
// second field is the command name in parentheses, which may itself hold spaces and
// parentheses, so the fields are counted from the last ')'.
func parseCPUTime(stat []byte) (time.Duration, error) {
	i := bytes.LastIndexByte(stat, ')')
	if i < 0 {
		return 0, fmt.Errorf("load: no command name in %q", stat)
	}
	fields := bytes.Fields(stat[i+1:]) // fields[0] is field 3, the state
	if len(fields) < 13 {
		return 0, fmt.Errorf("load: %d fields after the command name in /proc/pid/stat, want at least 13", len(fields))
	}
	var ticks int64
	for _, f := range fields[11:13] {
		n, err := strconv.ParseInt(string(f), 10, 64)
		if err != nil {
			return 0, fmt.Errorf("load: /proc/pid/stat: %w", err)
		}
		ticks += n
	}
	return time.Duration(ticks) * time.Second / clockTicksPerSecond, nil
}

// cpuSampler measures the CPU time a process uses between two instants: from the start of the
// measured window to its end, or to the call of finish if that comes first (a run of a fixed
// number of messages has no set end).
type cpuSampler struct {
	stop chan struct{}
	done chan struct{}
	used time.Duration
	ok   bool
}

// startCPU starts measuring process pid's CPU time from `from` to `to`; with no process (pid 0)
// it measures nothing.
func startCPU(pid int, from, to time.Time) *cpuSampler {
	s := &cpuSampler{stop: make(chan struct{}), done: make(chan struct{})}
	if pid <= 0 {
		close(s.done)
		return s
	}
	go func() {
		defer close(s.done)
		if !sleepUntil(from, s.stop) {
			return
		}
		start, err := CPUTime(pid)
		if err != nil {
			return
		}
		sleepUntil(to, s.stop)
		end, err := CPUTime(pid)
		if err != nil {
			return
		}
		s.used, s.ok = end-start, true
	}()
	return s
}

// sleepUntil waits until t, and reports false if stop was closed first.
func sleepUntil(t time.Time, stop <-chan struct{}) bool {
	timer := time.NewTimer(time.Until(t))
	defer timer.Stop()
	select {
	case <-timer.C:
		return true
	case <-stop:
		return false
	}
}

// finish ends the measurement and returns the CPU time used in the window, and false when none
// was measured.
func (s *cpuSampler) finish() (time.Duration, bool) {
	close(s.stop)
	<-s.done
	return s.used, s.ok
}
