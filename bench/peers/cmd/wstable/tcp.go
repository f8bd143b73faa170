package main

import (
	"fmt"
	"io"
	"math"

	"github.com/rfc6455/ws/bench/peers/load"
)

// cellGroup is a set of the matrix's cells that issue 17 sets a target for.
type cellGroup struct {
	name string
	keep func(load.Scenario) bool
}

// tcpGroups are the groups of issue 17: every cell, then by messages in flight, by size and the
// fragmented ones (a cell belongs to one group of each kind).
var tcpGroups = []cellGroup{
	{"all", func(load.Scenario) bool { return true }},
	{"one message in flight (k1)", func(s load.Scenario) bool { return s.InFlight == 1 }},
	{"16 in flight (k16)", func(s load.Scenario) bool { return s.InFlight > 1 }},
	{"16 B–1 KiB", func(s load.Scenario) bool { return s.Size <= 1<<10 }},
	{"16 KiB–1 MiB", func(s load.Scenario) bool { return s.Size > 1<<10 }},
	{"fragmented, pings between fragments", func(s load.Scenario) bool { return s.Frags > 1 }},
}

// againstTCP is one group's figures: ours and the TCP echo's server CPU per message (geomeans
// over the cells where both were measured without errors) and the geomean of ours/tcp in
// messages per second.
type againstTCP struct {
	cells           int
	oursCPU, tcpCPU float64
	rate            float64
}

func (a againstTCP) cpu() float64 { return a.oursCPU / a.tcpCPU }

// againstTCP computes g's figures.
func (t *table) againstTCP(g cellGroup) againstTCP {
	var ours, tcp, rates []float64
	for _, name := range t.scenarios {
		sc, err := load.Lookup(name)
		if err != nil || !g.keep(sc) {
			continue
		}
		oc, tc := t.stat(name, t.ours, serverCPU), t.stat(name, t.tcp, serverCPU)
		or, tr := t.stat(name, t.ours, rate), t.stat(name, t.tcp, rate)
		if !(oc > 0 && tc > 0 && or > 0 && tr > 0) { // NaN fails too
			continue
		}
		ours, tcp, rates = append(ours, oc), append(tcp, tc), append(rates, or/tr)
	}
	return againstTCP{cells: len(ours), oursCPU: geomean(ours), tcpCPU: geomean(tcp), rate: geomean(rates)}
}

// printAgainstTCP prints ours against the plain TCP echo by group, with the targets of issue 17:
// server CPU per message within 1.1× the TCP echo's over all cells and within 1.2× in every
// group, and at least 0.95× its messages per second over all cells. It prints nothing unless
// both were measured with -pid.
func (t *table) printAgainstTCP(w io.Writer) {
	figures := make([]againstTCP, len(tcpGroups))
	for i, g := range tcpGroups {
		figures[i] = t.againstTCP(g)
	}
	if figures[0].cells == 0 {
		return
	}
	fmt.Fprintf(w, "### %s against the plain TCP echo, by group (issue 17)\n\n", t.ours)
	fmt.Fprintf(w, "| cells | n | %s CPU µs/msg | %s CPU µs/msg | %s / %s, CPU | %s / %s, msg/s |\n", t.ours, t.tcp, t.ours, t.tcp, t.ours, t.tcp)
	fmt.Fprintln(w, "|---|---:|---:|---:|---:|---:|")
	for i, g := range tcpGroups {
		f := figures[i]
		if f.cells == 0 {
			continue
		}
		fmt.Fprintf(w, "| %s | %d | %s | %s | %s | %s |\n", g.name, f.cells, micros(f.oursCPU), micros(f.tcpCPU), ratio(f.cpu()), ratio(f.rate))
	}
	fmt.Fprintln(w)
	check := func(ok bool, format string, args ...any) {
		mark := "MISS"
		if ok {
			mark = "met "
		}
		fmt.Fprintf(w, "- [%s] %s\n", mark, fmt.Sprintf(format, args...))
	}
	all := figures[0]
	check(all.cpu() <= 1.1, "server CPU per message ≤ 1.1× the TCP echo's over all cells: %s", ratio(all.cpu()))
	worst, worstName := math.Inf(-1), ""
	for i, f := range figures[1:] {
		if f.cells > 0 && f.cpu() > worst {
			worst, worstName = f.cpu(), tcpGroups[i+1].name
		}
	}
	if worstName != "" {
		check(worst <= 1.2, "≤ 1.2× in every group: worst %s (%s)", ratio(worst), worstName)
	}
	check(all.rate >= 0.95, "messages per second ≥ 0.95× the TCP echo's over all cells: %s", ratio(all.rate))
	fmt.Fprintln(w)
}
