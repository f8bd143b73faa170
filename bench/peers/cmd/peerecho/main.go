// Command peerecho serves one library's echo server from package echoservers, for cmd/wsload and
// scripts/run-matrix.sh to measure.
//
// Usage:
//
//	peerecho -lib ours|gorilla|gorilla-stream|gobwas|gws|gws-noutf8|coder|tcp [-addr 127.0.0.1:0]
//	peerecho -lib ours-deflate|ours-deflate-takeover|gorilla-deflate|gws-deflate|gws-deflate-takeover
//
// It prints "listening on ADDRESS" on standard output once it accepts connections (with -addr
// ending in :0, the port the system chose), and runs until it is killed. It raises its soft limit
// on open files to the hard limit, for tests with thousands of connections; if that is still too
// low, raise the hard limit first (ulimit -Hn, as root) in the shell that starts it.
// -list prints the libraries and how each echo server is written. -pprof ADDRESS serves
// net/http/pprof there, on a listener of its own, so that a profile of the server under load
// shows where its time per message goes, e.g.
//
//	go tool pprof -top 'http://ADDRESS/debug/pprof/profile?seconds=3'
package main

import (
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	_ "net/http/pprof" // for -pprof
	"syscall"

	"github.com/rfc6455/ws/bench/peers/echoservers"
)

func main() {
	log.SetPrefix("peerecho: ")
	log.SetFlags(0)
	lib := flag.String("lib", "ours", "the echo server to run (see -list)")
	addr := flag.String("addr", "127.0.0.1:0", "listen on this TCP `address`")
	list := flag.Bool("list", false, "list the libraries and exit")
	pprofAddr := flag.String("pprof", "", "serve net/http/pprof on this `address` (off if empty)")
	flag.Parse()
	if *list {
		for _, l := range echoservers.Libs {
			fmt.Printf("%-21s UTF-8: %-7s %s\n", l.Name, l.UTF8, l.Note)
		}
		return
	}
	if _, err := echoservers.Lookup(*lib); err != nil {
		log.Fatal(err)
	}
	if n, err := raiseFileLimit(); err != nil {
		log.Printf("cannot raise the open file limit (now %d): %v", n, err)
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatal(err)
	}
	if *pprofAddr != "" {
		go func() { log.Fatal(http.ListenAndServe(*pprofAddr, nil)) }()
	}
	fmt.Printf("listening on %s\n", ln.Addr())
	log.Fatal(echoservers.Serve(*lib, ln))
}

// raiseFileLimit sets the soft limit on open files to the hard limit and returns the new soft
// limit. (Go already does this at start-up since Go 1.19; doing it here keeps it explicit.)
func raiseFileLimit() (uint64, error) {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return 0, err
	}
	lim.Cur = lim.Max
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return lim.Cur, err
	}
	return lim.Cur, nil
}
