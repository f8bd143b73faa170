// Command soak runs many clients against an echo server for a long time while a share of them
// misbehave, and checks every byte that comes back. It is the soak with faults of the
// hardening work: healthy clients send random text and binary messages (0 B to 1 MiB, some in
// fragments with pings between them, some compressed), check each echo byte for byte, and now
// and then close normally and connect again; faulty ones, meanwhile, stop in the middle of a
// frame, reset their connection, stop reading while the server writes, or half-close their
// TCP connection without a close frame. The report gives what was checked, every corrupt or
// lost message on a healthy connection (there must be none), the faults injected, the server's
// resident memory over time, and its open file descriptors and goroutines before and after
// (the goroutines from cmd/echo's -debug-addr).
//
//	go build -o /tmp/echo ./cmd/echo
//	go run ./bench/soak -server /tmp/echo -clients 1000 -duration 10m -args "-compress"
//	go run ./bench/soak -server /tmp/echo -clients 20 -duration 5s -args "-compress" -record .
//
// With -record, the traffic of the first healthy connections (request and response heads and
// the first frames each way) becomes seeds of the module's fuzz targets, as
// <package>/testdata/fuzz/<target>/soak-* files under the directory given.
//
// It exits with status 1 if a healthy connection lost or garbled a message, or if the server
// kept more file descriptors or goroutines after the run than before it. The server must take -addr as
// cmd/echo does and log "listening on ws://ADDR/ws". Linux only (it reads /proc).
package main

import (
	"flag"
	"fmt"
	"log"
	"os"
	"strings"
	"time"

	"github.com/rfc6455/ws/bench/internal/serverproc"
)

func main() {
	server := flag.String("server", "", "echo server `binary` to start (required)")
	args := flag.String("args", "", "more `arguments` for the server, space-separated (-compress lets some clients compress)")
	clients := flag.Int("clients", 1000, "clients at once")
	faulty := flag.Float64("faulty", 0.2, "share of the clients that misbehave")
	duration := flag.Duration("duration", time.Minute, "how long to run")
	seed := flag.Int64("seed", 0, "random seed (0: from the clock); the report names it")
	record := flag.String("record", "", "write the traffic of the first -record-conns healthy connections as fuzzing seeds under this `module root` (<package>/testdata/fuzz/<target>/soak-*)")
	recordConns := flag.Int("record-conns", 8, "how many connections -record keeps")
	stats := flag.Bool("stats", true, "give the server -debug-addr 127.0.0.1:0, as cmd/echo takes it, and count its goroutines before and after")
	flag.Parse()
	if *server == "" {
		flag.Usage()
		os.Exit(2)
	}
	serverproc.RaiseFileLimit()
	if *seed == 0 {
		*seed = time.Now().UnixNano()
	}
	serverArgs := append([]string{"-addr", "127.0.0.1:0"}, strings.Fields(*args)...)
	if *stats {
		serverArgs = append(serverArgs, "-debug-addr", "127.0.0.1:0")
	}
	srv, err := serverproc.Start(*server, serverArgs, nil)
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Stop()
	var rec *recorder
	if *record != "" {
		rec = newRecorder(*record, *recordConns)
	}
	r := run(config{
		url:      "ws://" + srv.Addr + "/ws",
		clients:  *clients,
		faulty:   *faulty,
		duration: *duration,
		compress: strings.Contains(*args, "-compress"),
		seed:     *seed,
		record:   rec,
	}, srv)
	fmt.Print(r.String())
	if rec != nil {
		fmt.Printf("recorded %d connections as fuzzing seeds under %s\n", rec.seq.Load(), *record)
		for _, err := range rec.errs {
			fmt.Println("  ", err)
		}
	}
	if !r.ok() {
		os.Exit(1)
	}
}
