package main

import (
	"fmt"
	"io"
	"math"

	"github.com/rfc6455/ws/bench/peers/load"
)

// printCompare prints, per scenario, two configurations of one server side by side (-compare
// a/b, the labels of their runs): the medians of throughput and of the server's CPU time per
// message, and a's ratio to b in each, with the geometric means of the ratios. run-h2.sh uses it
// for WebSockets over HTTP/2 streams against HTTP/1.1 connections.
func (t *table) printCompare(w io.Writer, p pair) {
	fmt.Fprintf(w, "## %s (medians of each scenario's runs)\n\n", p)
	fmt.Fprintf(w, "| scenario | %s msg/s | %s msg/s | ratio | %s CPU µs/msg | %s CPU µs/msg | ratio |\n", p.a, p.b, p.a, p.b)
	fmt.Fprintln(w, "|---|---|---|---|---|---|---|")
	var rates, cpus []float64
	for _, sc := range t.scenarios {
		ra, rb := t.stat(sc, p.a, rate), t.stat(sc, p.b, rate)
		if math.IsNaN(ra) && math.IsNaN(rb) {
			continue
		}
		ca, cb := t.stat(sc, p.a, serverCPU), t.stat(sc, p.b, serverCPU)
		rates = append(rates, ra/rb)
		if ca > 0 && cb > 0 {
			cpus = append(cpus, ca/cb)
		}
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s | %s |\n", sc, human(ra), human(rb), ratio(ra/rb),
			micros(ca), micros(cb), ratio(ca/cb))
	}
	fmt.Fprintf(w, "| **geomean** | | | **%s** | | | **%s** |\n", ratio(geomean(rates)), ratio(geomean(cpus)))
	fmt.Fprintln(w)
	fmt.Fprintln(w, "A dash: no runs, or a run with errors. CPU per message is the server's user and system time in the measured window.")
}

func serverCPU(r load.Result) float64 { return r.ServerCPUus }
