package main

import (
	"context"
	"runtime"
	"runtime/debug"
	"time"
)

// freeMemory gives the memory that ended connections freed back to the
// operating system, every interval in which some ended (-free-memory), until
// ctx is done.
//
// The Go runtime does this on its own, but slowly: an idle process collects
// garbage only every two minutes, and the compressors conn keeps for reuse
// and the buffers of the messages just echoed stay resident until then. A
// server whose memory is watched (a container limit, a dashboard) may rather
// pay for a collection after a burst of connections than look a burst
// larger for minutes after it.
func (s *server) freeMemory(ctx context.Context, interval time.Duration) {
	ticker := time.NewTicker(interval)
	defer ticker.Stop()
	seen := 0
	for {
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		}
		s.mu.Lock()
		ended := s.ended
		s.mu.Unlock()
		if ended == seen {
			continue
		}
		seen = ended
		// The first collection moves what sync.Pools hold to their victim
		// caches; FreeOSMemory's collection drops those and returns the
		// pages.
		runtime.GC()
		debug.FreeOSMemory()
	}
}
