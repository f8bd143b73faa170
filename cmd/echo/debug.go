package main

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"runtime"
	"runtime/pprof"
	"time"
)

// stats is what /debug/stats reports: enough to tell, from outside, whether the server gives
// back what its connections took (the soak in bench/soak reads it before and after a run).
type stats struct {
	Goroutines  int    `json:"goroutines"`
	Connections int    `json:"connections"` // live WebSockets
	Ended       int    `json:"ended"`       // WebSockets that have ended since the start
	HeapInuse   uint64 `json:"heap_inuse"`  // bytes, runtime.MemStats.HeapInuse
	Sys         uint64 `json:"sys"`         // bytes obtained from the OS, runtime.MemStats.Sys
}

// serveDebug serves /debug/stats and /debug/goroutines on ln until ctx is done. It is a listener of its own, not a
// route of the WebSocket server's, so that what it tells is never exposed to the clients by
// accident: give it a loopback address. The caller logs where it listens, before the server
// says where it does, so that whoever reads the log finds both.
func (s *server) serveDebug(ctx context.Context, ln net.Listener) {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /debug/stats", func(w http.ResponseWriter, r *http.Request) {
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		s.mu.Lock()
		st := stats{Goroutines: runtime.NumGoroutine(), Connections: len(s.conns), Ended: s.ended, HeapInuse: m.HeapInuse, Sys: m.Sys}
		s.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(st)
	})
	// The stacks of every goroutine, grouped as runtime/pprof's goroutine profile writes them
	// in text (debug=1): what a soak that finds goroutines left over prints to say which.
	mux.HandleFunc("GET /debug/goroutines", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		pprof.Lookup("goroutine").WriteTo(w, 1)
	})
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: s.handshakeTimeout, ErrorLog: s.log}
	go func() {
		<-ctx.Done()
		shutdownCtx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		srv.Shutdown(shutdownCtx)
	}()
	srv.Serve(ln)
}
