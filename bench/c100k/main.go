// Command c100k holds a hundred thousand WebSocket connections (or -conns of them) open to
// cmd/echo on this machine and takes them through a connection's life: all
// upgraded and idle, then a 1 KiB echo on every one, then every one closed with the close
// handshake (RFC 6455 §7.1.2, 1000 both ways). It reports the server's resident memory per
// idle connection and after the echoes, its goroutines and file descriptors before, during and
// after, and how many connections failed at each step (there must be none).
//
//	go build -o /tmp/echo ./cmd/echo
//	go run ./bench/c100k -server /tmp/echo -conns 100000
//
// The server is one process, or -servers of them when one process may not hold file
// descriptors for every connection: they share one port with cmd/echo's -reuse-port
// (SO_REUSEPORT), Linux handing each new connection to one of them, and the report sums them.
//
// The clients run in -workers processes of this command (one process's file descriptors are
// not enough for them all), each from a source address of its own, 127.0.0.2, 127.0.0.3 and so
// on: one source address and the server's one port give about 28,000 connections, the size of
// Linux's ephemeral port range. The server gets -debug-addr (cmd/echo's, for its goroutine
// count) and -ping-interval 0 unless -args sets it: an idle connection here is idle.
//
// What the machine needs, for -conns N (Linux):
//
//	ulimit -n: more than N/servers for each server, more than N/workers for each worker (the
//	  default -servers follows the limit, so a low one only means more processes). Raising the hard
//	  limit takes root with CAP_SYS_RESOURCE: ulimit -Hn 200000 in a root shell, nofile in
//	  /etc/security/limits.conf, or LimitNOFILE= in a systemd unit; fs.nr_open (default
//	  1048576) caps it.
//	net.ipv4.ip_local_port_range: 28,000 ports per source address by default, hence the workers'
//	  addresses; sysctl -w net.ipv4.ip_local_port_range="1024 65535" gives 64,000.
//	net.core.somaxconn and net.ipv4.tcp_max_syn_backlog: 4096 and up absorb the dialing
//	  bursts (each worker dials -dial-concurrency at a time).
//	fs.file-max: above the sum of everything open on the machine.
//	Memory: about 5 KiB per connection on the server side and 12 on the client side (the
//	  report says what this run took).
//
// The command exits with status 1 if any connection failed or the server did not give back its
// file descriptors and goroutines. Linux only (it reads /proc).
package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"log"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"

	"github.com/rfc6455/ws/bench/internal/serverproc"
)

func main() {
	server := flag.String("server", "", "echo server `binary` to start (required; cmd/echo or one that takes its -addr and -debug-addr)")
	args := flag.String("args", "", "more `arguments` for the server, space-separated")
	conns := flag.Int("conns", 100000, "connections to hold open")
	workers := flag.Int("workers", 0, "client processes, each from a source address of its own (0: one per 15,000 connections)")
	servers := flag.Int("servers", 0, "server processes sharing the port with -reuse-port (0: as few as the open-file limit allows)")
	dialConcurrency := flag.Int("dial-concurrency", 100, "handshakes each worker has in flight at once")
	settle := flag.Duration("settle", 5*time.Second, "wait this long, idle, before reading the server's memory")
	worker := flag.Bool("worker", false, "run as a worker: read commands on standard input (used by the command itself)")
	url := flag.String("url", "", "worker: the server's ws:// URL")
	source := flag.String("source", "", "worker: the source address to dial from")
	flag.Parse()
	limit := serverproc.RaiseFileLimit()
	if *worker {
		if err := runWorker(*url, *source, *dialConcurrency, os.Stdin, os.Stdout); err != nil {
			log.Fatal(err)
		}
		return
	}
	if *server == "" {
		flag.Usage()
		os.Exit(2)
	}
	if *workers <= 0 {
		*workers = (*conns + 14999) / 15000
	}
	if *workers > 250 {
		log.Fatal("at most 250 workers: their source addresses are 127.0.0.2 to 127.0.0.251")
	}
	if *servers <= 0 {
		*servers = serversFor(*conns, limit)
	}
	// Linux spreads connections among the servers by a hash, so each gets about its share, a
	// few standard deviations more at most: 10 % more covers that from a few thousand up.
	if need := uint64(*conns/(*servers))*11/10 + 64; limit < need {
		log.Printf("warning: the open-file limit is %d, below the %d each of %d servers needs for %d connections: raise the hard limit (see the command's doc) or -servers; the run goes on and reports what fails", limit, need, *servers, *conns)
	}
	ok, err := run(*server, strings.Fields(*args), *conns, *servers, *workers, *dialConcurrency, *settle)
	if err != nil {
		log.Fatal(err)
	}
	if !ok {
		os.Exit(1)
	}
}

// workerProc is one client process, driven by a line of command and a line of answer.
type workerProc struct {
	cmd  *exec.Cmd
	in   *bufio.Writer
	out  *bufio.Scanner
	name string
}

// do sends one command to the worker and returns the numbers of its answer: "ok DONE FAILED
// [first error]".
func (w *workerProc) do(command string) (done, failed int, firstErr string, err error) {
	fmt.Fprintln(w.in, command)
	if err := w.in.Flush(); err != nil {
		return 0, 0, "", err
	}
	if !w.out.Scan() {
		return 0, 0, "", fmt.Errorf("worker %s ended: %v", w.name, w.out.Err())
	}
	fields := strings.SplitN(w.out.Text(), " ", 4)
	if len(fields) < 3 || fields[0] != "ok" {
		return 0, 0, "", fmt.Errorf("worker %s answered %q", w.name, w.out.Text())
	}
	done, _ = strconv.Atoi(fields[1])
	failed, _ = strconv.Atoi(fields[2])
	if len(fields) == 4 {
		firstErr = fields[3]
	}
	return done, failed, firstErr, nil
}

// phase runs command on every worker at once and sums their answers.
func phase(workers []*workerProc, command func(i int) string) (done, failed int, errs []string, err error) {
	type answer struct {
		done, failed int
		first        string
		err          error
	}
	answers := make(chan answer, len(workers))
	for i, w := range workers {
		go func() {
			d, f, first, err := w.do(command(i))
			answers <- answer{d, f, first, err}
		}()
	}
	for range workers {
		a := <-answers
		if a.err != nil {
			err = errors.Join(err, a.err)
		}
		done += a.done
		failed += a.failed
		if a.first != "" && len(errs) < 5 {
			errs = append(errs, a.first)
		}
	}
	return done, failed, errs, err
}

// serversFor returns how many server processes n connections need under an open-file limit
// of limit each, with the margin main's warning allows for.
func serversFor(n int, limit uint64) int {
	if limit <= 164 {
		return 1
	}
	per := int(limit-64) * 10 / 11
	return max(1, (n+per-1)/per)
}

// startServers starts n servers; with more than one, each with -reuse-port, the first on a free
// port of 127.0.0.1 and the others on the same.
func startServers(binary string, args []string, n int) ([]*serverproc.Server, error) {
	var srvs []*serverproc.Server
	addr := "127.0.0.1:0"
	for range n {
		a := append([]string{"-addr", addr, "-debug-addr", "127.0.0.1:0"}, args...)
		if n > 1 {
			a = append(a, "-reuse-port")
		}
		srv, err := serverproc.Start(binary, a, nil)
		if err != nil {
			stopAll(srvs)
			return nil, err
		}
		srvs = append(srvs, srv)
		addr = srv.Addr
	}
	return srvs, nil
}

func stopAll(srvs []*serverproc.Server) {
	for _, srv := range srvs {
		srv.Stop()
	}
}

func run(server string, args []string, n, nServers, nWorkers, dialConcurrency int, settle time.Duration) (bool, error) {
	var serverArgs []string
	if !strings.Contains(strings.Join(args, " "), "-ping-interval") {
		serverArgs = append(serverArgs, "-ping-interval", "0")
	}
	serverArgs = append(serverArgs, args...)
	srvs, err := startServers(server, serverArgs, nServers)
	if err != nil {
		return false, err
	}
	defer stopAll(srvs)
	srv := srvs[0]
	time.Sleep(500 * time.Millisecond)
	before := measure(srvs)
	fmt.Printf("c100k: %d connections from %d worker processes to %d× %s %s (on %s)\n", n, nWorkers, nServers, server, strings.Join(serverArgs, " "), srv.Addr)
	fmt.Printf("server before:     %s\n", before)

	self, err := os.Executable()
	if err != nil {
		return false, err
	}
	workers := make([]*workerProc, nWorkers)
	for i := range workers {
		source := fmt.Sprintf("127.0.0.%d", 2+i)
		cmd := exec.Command(self, "-worker", "-url", "ws://"+srv.Addr+"/ws", "-source", source, "-dial-concurrency", strconv.Itoa(dialConcurrency))
		cmd.Stderr = os.Stderr
		stdin, err := cmd.StdinPipe()
		if err != nil {
			return false, err
		}
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			return false, err
		}
		if err := cmd.Start(); err != nil {
			return false, err
		}
		defer func() {
			stdin.Close()
			cmd.Wait()
		}()
		out := bufio.NewScanner(stdout)
		out.Buffer(nil, 1<<20)
		workers[i] = &workerProc{cmd: cmd, in: bufio.NewWriter(stdin), out: out, name: source}
	}
	share := func(i int) int { return n/nWorkers + btoi(i < n%nWorkers) }

	ok := true
	// step runs one command on every worker, reports it, and returns how many connections it
	// succeeded on.
	step := func(name string, command func(i int) string) (int, error) {
		start := time.Now()
		done, failed, errs, err := phase(workers, command)
		if err != nil {
			return 0, err
		}
		fmt.Printf("%-18s %d done, %d failed, in %v\n", name+":", done, failed, time.Since(start).Round(time.Millisecond))
		for _, e := range errs {
			fmt.Printf("  %s\n", e)
		}
		ok = ok && failed == 0
		return done, nil
	}

	opened, err := step("upgraded", func(i int) string { return fmt.Sprintf("open %d", share(i)) })
	if err != nil {
		return false, err
	}
	time.Sleep(settle)
	idle := measure(srvs)
	fmt.Printf("server idle:       %s; %.2f KiB per connection\n", idle, perConn(idle.rss-before.rss, opened))
	if nServers > 1 {
		fmt.Printf("per server:        %s WebSockets\n", idle.perServer)
	}

	if _, err := step("echoed 1 KiB", func(int) string { return "echo 1024" }); err != nil {
		return false, err
	}
	time.Sleep(settle)
	echo := measure(srvs)
	fmt.Printf("server after echo: %s; %.2f KiB per connection\n", echo, perConn(echo.rss-before.rss, opened))

	closed, err := step("closed (1000)", func(int) string { return "close" })
	if err != nil {
		return false, err
	}
	ok = ok && closed == n

	// The server lets go of each connection once its close handshake is done; give it a moment.
	deadline := time.Now().Add(30 * time.Second)
	after := measure(srvs)
	for (after.fds > before.fds || after.goroutines > before.goroutines) && time.Now().Before(deadline) {
		time.Sleep(200 * time.Millisecond)
		after = measure(srvs)
	}
	fmt.Printf("server after:      %s\n", after)
	if after.fds > before.fds || after.goroutines > before.goroutines {
		fmt.Println("the server kept file descriptors or goroutines after every connection closed")
		ok = false
	}
	if ok {
		fmt.Println("PASS")
	} else {
		fmt.Println("FAIL")
	}
	return ok, nil
}

// sample is what the servers hold at one moment, summed over them.
type sample struct {
	rss, peak       int64
	fds, goroutines int
	connections     int
	perServer       string // the live WebSockets of each server
}

func (s sample) String() string {
	return fmt.Sprintf("RSS %.1f MiB (peak %.1f), %d file descriptors, %d goroutines, %d live WebSockets",
		serverproc.MiB(s.rss), serverproc.MiB(s.peak), s.fds, s.goroutines, s.connections)
}

func measure(srvs []*serverproc.Server) sample {
	var s sample
	var each []string
	for _, srv := range srvs {
		// The stats first: asking for them opens the connection to /debug/stats that every
		// count of file descriptors then includes alike.
		if st, err := srv.Stats(); err == nil && s.goroutines >= 0 {
			s.goroutines += st.Goroutines
			s.connections += st.Connections
			each = append(each, strconv.Itoa(st.Connections))
		} else {
			s.goroutines = -1
			each = append(each, "?")
		}
		rss, peak, _ := srv.Memory()
		s.rss += rss
		s.peak += peak
		entries, _ := os.ReadDir(fmt.Sprintf("/proc/%d/fd", srv.PID))
		s.fds += len(entries)
	}
	s.perServer = strings.Join(each, ", ")
	return s
}

func perConn(bytes int64, n int) float64 {
	if n == 0 {
		return 0
	}
	return float64(bytes) / 1024 / float64(n)
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}
