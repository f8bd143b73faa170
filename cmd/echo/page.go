package main

import (
	_ "embed"
	"net/http"
)

// pageHTML is the browser client served at /: plain HTML and JavaScript with
// no external resources, so it works offline and shows only what the
// browser's own WebSocket API does.
//
//go:embed page/index.html
var pageHTML []byte

// servePage answers a plain GET or HEAD of / with the page.
func servePage(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	// The page runs only its own inline script and talks only to
	// WebSocket servers; say so, so a browser enforces it.
	w.Header().Set("Content-Security-Policy",
		"default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src ws: wss:")
	if r.Method == http.MethodHead {
		return
	}
	w.Write(pageHTML)
}
