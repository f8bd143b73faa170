// Command wstable turns the JSON lines that wsload -json appends into the comparison tables of
// issue 5, in Markdown: echo throughput per scenario and library with our stack's ratio to gorilla,
// to the best peer and to the plain TCP echo, geometric means; the latency of one small message;
// server CPU per message, also against the plain TCP echo by group (issue 17); peak RSS; idle
// memory per connection; and a check of each target.
//
// Usage:
//
//	wstable [-ours ours] [-gorilla gorilla] [-tcp tcp] [-exclude gws-noutf8] results.jsonl...
//	wstable -deflate [-pairs a/b,c/d] results.jsonl...
//	wstable -compare a/b results.jsonl...
//
// With -deflate it prints the tables of the permessage-deflate runs instead (run-matrix.sh
// -deflate): throughput with the ratios of -pairs, the echoes' size on the wire, peak RSS and
// memory per connection. With -compare a/b it prints only the throughput and server CPU per
// message of two labels, scenario by scenario, and a's ratios to b. When a (library, scenario) pair was measured several times, the median
// is used.
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"math"
	"os"
	"slices"
	"sort"
	"strings"

	"github.com/rfc6455/ws/bench/peers/load"
)

func main() {
	log.SetPrefix("wstable: ")
	log.SetFlags(0)
	ours := flag.String("ours", "ours", "label of our stack")
	gorilla := flag.String("gorilla", "gorilla", "label of the reference library")
	tcp := flag.String("tcp", "tcp", "label of the plain TCP echo")
	exclude := flag.String("exclude", "gws-noutf8", "comma-separated labels that are not peers (shown, never the best peer): configurations that skip work RFC 6455 requires")
	deflate := flag.Bool("deflate", false, "print the permessage-deflate tables")
	pairs := flag.String("pairs", defaultDeflatePairs, "with -deflate: comma-separated `a/b` label pairs whose throughput ratio a/b to show")
	compare := flag.String("compare", "", "print only `a/b`: two configurations' throughput and server CPU per message, scenario by scenario, with a's ratios to b")
	flag.Parse()

	echo := map[string]map[string][]load.Result{} // scenario → label → runs
	idle := map[string][]load.IdleResult{}
	var scenarios, labels []string
	for _, name := range flag.Args() {
		f, err := os.Open(name)
		if err != nil {
			log.Fatal(err)
		}
		sc := bufio.NewScanner(f)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			var kind struct {
				Kind string `json:"kind"`
			}
			if err := json.Unmarshal(sc.Bytes(), &kind); err != nil {
				log.Fatalf("%s: %v", name, err)
			}
			switch kind.Kind {
			case "idle":
				var r load.IdleResult
				json.Unmarshal(sc.Bytes(), &r)
				idle[r.Label] = append(idle[r.Label], r)
				labels = appendNew(labels, r.Label)
			case "echo":
				var r load.Result
				json.Unmarshal(sc.Bytes(), &r)
				if echo[r.Scenario] == nil {
					echo[r.Scenario] = map[string][]load.Result{}
				}
				echo[r.Scenario][r.Label] = append(echo[r.Scenario][r.Label], r)
				scenarios = appendNew(scenarios, r.Scenario)
				labels = appendNew(labels, r.Label)
			}
		}
		f.Close()
	}
	order := load.Matrix()
	if *deflate {
		order = load.DeflateMatrix()
	}
	sortScenarios(scenarios, order)
	t := table{ours: *ours, gorilla: *gorilla, tcp: *tcp, labels: orderLabels(labels, *ours, *tcp),
		notPeer: map[string]bool{*ours: true, *tcp: true}, echo: echo, idle: idle, scenarios: scenarios}
	for _, x := range strings.Split(*exclude, ",") {
		t.notPeer[strings.TrimSpace(x)] = true
	}
	for _, l := range labels {
		if strings.HasPrefix(l, *ours+"-") {
			t.notPeer[l] = true // another configuration of our own stack, such as ours-http
		}
	}
	if *compare != "" {
		ps := parsePairs(*compare)
		if len(ps) != 1 {
			log.Fatalf("-compare %q: want one pair a/b", *compare)
		}
		t.printCompare(os.Stdout, ps[0])
		return
	}
	if *deflate {
		t.printDeflate(parsePairs(*pairs))
		return
	}
	t.print()
}

func appendNew(list []string, s string) []string {
	if slices.Contains(list, s) {
		return list
	}
	return append(list, s)
}

// sortScenarios orders scenarios as matrix does, unknown ones last.
func sortScenarios(names []string, matrix []load.Scenario) {
	order := map[string]int{}
	for i, s := range matrix {
		order[s.Name()] = i
	}
	rank := func(n string) int {
		if i, ok := order[n]; ok {
			return i
		}
		return len(order)
	}
	sort.SliceStable(names, func(i, j int) bool { return rank(names[i]) < rank(names[j]) })
}

// orderLabels puts ours first and tcp last, the others in the order they were seen.
func orderLabels(labels []string, ours, tcp string) []string {
	var out []string
	if slices.Contains(labels, ours) {
		out = append(out, ours)
	}
	for _, l := range labels {
		if l != ours && l != tcp {
			out = append(out, l)
		}
	}
	if slices.Contains(labels, tcp) {
		out = append(out, tcp)
	}
	return out
}

type table struct {
	ours, gorilla, tcp string
	labels             []string
	notPeer            map[string]bool
	echo               map[string]map[string][]load.Result
	idle               map[string][]load.IdleResult
	scenarios          []string
}

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// stat is the median of f over the runs of label in scenario; NaN if none, or if any run had errors.
func (t *table) stat(scenario, label string, f func(load.Result) float64) float64 {
	var xs []float64
	for _, r := range t.echo[scenario][label] {
		if r.Errors > 0 {
			return math.NaN()
		}
		xs = append(xs, f(r))
	}
	return median(xs)
}

func rate(r load.Result) float64 { return r.MsgsPerSec }

// best returns the best peer's label and rate in a scenario.
func (t *table) best(scenario string) (string, float64) {
	name, v := "", math.NaN()
	for _, l := range t.labels {
		if t.notPeer[l] {
			continue
		}
		if x := t.stat(scenario, l, rate); !math.IsNaN(x) && (math.IsNaN(v) || x > v) {
			name, v = l, x
		}
	}
	return name, v
}

func geomean(xs []float64) float64 {
	sum, n := 0.0, 0
	for _, x := range xs {
		if x > 0 && !math.IsNaN(x) {
			sum += math.Log(x)
			n++
		}
	}
	if n == 0 {
		return math.NaN()
	}
	return math.Exp(sum / float64(n))
}

func human(x float64) string {
	switch {
	case math.IsNaN(x):
		return "—"
	case x >= 1e6:
		return fmt.Sprintf("%.2fM", x/1e6)
	case x >= 1e4:
		return fmt.Sprintf("%.1fk", x/1e3)
	case x >= 1e3:
		return fmt.Sprintf("%.2fk", x/1e3)
	}
	return fmt.Sprintf("%.0f", x)
}

// micros formats a time in µs, or a dash when it was not measured.
func micros(x float64) string {
	if math.IsNaN(x) || x <= 0 {
		return "—"
	}
	return fmt.Sprintf("%.1f", x)
}

func ratio(x float64) string {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return "—"
	}
	return fmt.Sprintf("%.2f×", x)
}

type cell struct {
	scenario string
	vsBest   float64
	best     string
}

// spread returns the lowest and highest rate of label's runs in scenario.
func (t *table) spread(scenario, label string) (lo, hi float64) {
	lo, hi = math.Inf(1), math.Inf(-1)
	for _, r := range t.echo[scenario][label] {
		lo, hi = min(lo, r.MsgsPerSec), max(hi, r.MsgsPerSec)
	}
	return lo, hi
}

// overlaps reports whether, in c's scenario, the fastest of our runs was at least as fast as the
// slowest of the best peer's: the two sets of runs overlap, and the difference between their
// medians is within what this machine varies from run to run.
func (t *table) overlaps(c cell) bool {
	_, oursHi := t.spread(c.scenario, t.ours)
	bestLo, _ := t.spread(c.scenario, c.best)
	return oursHi >= bestLo
}

func (t *table) print() {
	reps := 0
	errs := 0
	for _, byLabel := range t.echo {
		for _, runs := range byLabel {
			reps = max(reps, len(runs))
			for _, r := range runs {
				if r.Errors > 0 {
					errs++
					fmt.Printf("ERROR %s %s: %d errors, first: %s\n", r.Label, r.Scenario, r.Errors, r.FirstError)
				}
			}
		}
	}
	fmt.Printf("### Echo throughput, messages/s (median of %d runs)\n\n", reps)
	header := "| scenario |"
	sep := "|---|"
	for _, l := range t.labels {
		header += " " + l + " |"
		sep += "---:|"
	}
	header += " ours/" + t.gorilla + " | ours/best peer | ours/" + t.tcp + " |"
	sep += "---:|---:|---:|"
	fmt.Println(header)
	fmt.Println(sep)
	cols := map[string][]float64{}
	var vsGorilla, vsBest, vsTCP []float64
	var cells []cell
	for _, s := range t.scenarios {
		row := "| " + s + " |"
		for _, l := range t.labels {
			v := t.stat(s, l, rate)
			cols[l] = append(cols[l], v)
			row += " " + human(v) + " |"
		}
		o := t.stat(s, t.ours, rate)
		g := o / t.stat(s, t.gorilla, rate)
		bn, bv := t.best(s)
		b := o / bv
		p := o / t.stat(s, t.tcp, rate)
		vsGorilla, vsBest, vsTCP = append(vsGorilla, g), append(vsBest, b), append(vsTCP, p)
		cells = append(cells, cell{s, b, bn})
		row += fmt.Sprintf(" %s | %s (%s) | %s |", ratio(g), ratio(b), bn, ratio(p))
		fmt.Println(row)
	}
	row := "| **geomean** |"
	for _, l := range t.labels {
		row += " " + human(geomean(cols[l])) + " |"
	}
	row += fmt.Sprintf(" **%s** | **%s** | **%s** |", ratio(geomean(vsGorilla)), ratio(geomean(vsBest)), ratio(geomean(vsTCP)))
	fmt.Println(row)
	row = "| geomean vs " + t.gorilla + " |"
	gg := geomean(cols[t.gorilla])
	for _, l := range t.labels {
		row += " " + ratio(geomean(cols[l])/gg) + " |"
	}
	fmt.Println(row + " | | |")
	row = "| ours vs this lib, geomean of cell ratios |"
	for _, l := range t.labels {
		var rs []float64
		for i := range t.scenarios {
			rs = append(rs, cols[t.ours][i]/cols[l][i])
		}
		row += " " + ratio(geomean(rs)) + " |"
	}
	fmt.Println(row + " | | |")
	fmt.Println()
	bestName, bestGM := "", 0.0
	for _, l := range t.labels {
		if gm := geomean(cols[l]); !t.notPeer[l] && gm > bestGM {
			bestName, bestGM = l, gm
		}
	}
	gmVsBestPeer := geomean(cols[t.ours]) / bestGM

	sort.Slice(cells, func(i, j int) bool { return cells[i].vsBest < cells[j].vsBest })
	fmt.Println("Worst cells for ours against the best peer (lowest–highest run of each):")
	for _, c := range cells[:min(8, len(cells))] {
		oLo, oHi := t.spread(c.scenario, t.ours)
		bLo, bHi := t.spread(c.scenario, c.best)
		note := ""
		if c.vsBest < 1 && t.overlaps(c) {
			note = "; the runs overlap"
		}
		fmt.Printf("- %s: %s of %s (ours %s–%s, %s %s–%s%s)\n", c.scenario, ratio(c.vsBest), c.best,
			human(oLo), human(oHi), c.best, human(bLo), human(bHi), note)
	}
	fmt.Println()

	t.printLatency()
	t.printCPU()
	t.printAgainstTCP(os.Stdout)
	t.printRSS()
	t.printIdle("a 1 KiB echo")
	t.printTargets(gmVsBestPeer, bestName, geomean(vsBest), cells, errs)
}

const latencyScenario = "c1/k1/binary/16B"

func (t *table) printLatency() {
	if t.echo[latencyScenario] == nil {
		return
	}
	fmt.Printf("### Latency of one 16 B message at a time on one connection (%s), median of runs\n\n", latencyScenario)
	fmt.Println("| lib | p50 µs | p99 µs | p50 / tcp | p99 / tcp | server CPU µs per message |")
	fmt.Println("|---|---:|---:|---:|---:|---:|")
	p50 := func(r load.Result) float64 { return r.P50us }
	p99 := func(r load.Result) float64 { return r.P99us }
	cpu := func(r load.Result) float64 { return r.ServerCPUus }
	tp50, tp99 := t.stat(latencyScenario, t.tcp, p50), t.stat(latencyScenario, t.tcp, p99)
	for _, l := range t.labels {
		a, b, c := t.stat(latencyScenario, l, p50), t.stat(latencyScenario, l, p99), t.stat(latencyScenario, l, cpu)
		fmt.Printf("| %s | %.1f | %.1f | %s | %s | %s |\n", l, a, b, ratio(a/tp50), ratio(b/tp99), micros(c))
	}
	fmt.Println()
}

// printCPU prints the server's CPU time per message, when wsload measured it (-pid): the
// geometric mean over all cells, over those with one message in flight and over the others,
// and each library's against ours.
func (t *table) printCPU() {
	cpu := func(r load.Result) float64 { return r.ServerCPUus }
	type group struct {
		name string
		keep func(load.Scenario) bool
	}
	groups := []group{
		{"all cells", func(load.Scenario) bool { return true }},
		{"k1 cells", func(s load.Scenario) bool { return s.InFlight == 1 }},
		{"k16 cells", func(s load.Scenario) bool { return s.InFlight > 1 }},
	}
	gm := map[string][]float64{} // label → geomean per group
	measured := false
	for _, l := range t.labels {
		for _, g := range groups {
			var xs []float64
			for _, name := range t.scenarios {
				if sc, err := load.Lookup(name); err == nil && g.keep(sc) {
					if x := t.stat(name, l, cpu); x > 0 {
						xs = append(xs, x)
						measured = true
					}
				}
			}
			gm[l] = append(gm[l], geomean(xs))
		}
	}
	if !measured {
		return
	}
	fmt.Println("### Server CPU time per message (user + system, µs; geomean of the cells' medians)")
	fmt.Println()
	header := "| lib |"
	for _, g := range groups {
		header += " " + g.name + " |"
	}
	fmt.Println(header + " " + t.ours + " / lib (" + groups[0].name + ") |")
	fmt.Println("|---|---:|---:|---:|---:|")
	for _, l := range t.labels {
		fmt.Printf("| %s | %s | %s | %s | %s |\n", l, micros(gm[l][0]), micros(gm[l][1]), micros(gm[l][2]), ratio(gm[t.ours][0]/gm[l][0]))
	}
	fmt.Println()
}

// peakRSS is the largest RSS a server reached over all scenarios, in KiB.
func (t *table) peakRSS(label string) float64 {
	peak := 0.0
	for _, s := range t.scenarios {
		for _, r := range t.echo[s][label] {
			peak = max(peak, float64(r.RSSPeakKiB))
		}
	}
	return peak
}

func (t *table) printRSS() {
	if t.peakRSS(t.tcp) == 0 {
		return
	}
	fmt.Println("### Peak server RSS over the matrix")
	fmt.Println()
	fmt.Println("| lib | peak RSS MiB | / tcp |")
	fmt.Println("|---|---:|---:|")
	for _, l := range t.labels {
		p := t.peakRSS(l)
		fmt.Printf("| %s | %.1f | %s |\n", l, p/1024, ratio(p/t.peakRSS(t.tcp)))
	}
	fmt.Println()
}

func (t *table) printIdle(echo string) {
	if len(t.idle) == 0 {
		return
	}
	fmt.Println("### Server RSS per idle connection")
	fmt.Println()
	fmt.Printf("| lib | conns | KiB/conn idle | KiB/conn after %s | errors |\n", echo)
	fmt.Println("|---|---:|---:|---:|---:|")
	for _, l := range t.labels {
		runs := t.idle[l]
		if len(runs) == 0 {
			continue
		}
		var a, b []float64
		errs := 0
		for _, r := range runs {
			a, b = append(a, r.IdlePerConnKiB), append(b, r.EchoPerConnKiB)
			errs += r.Errors
		}
		fmt.Printf("| %s | %d | %.2f | %.2f | %d |\n", l, runs[0].Conns, median(a), median(b), errs)
	}
	fmt.Println()
}

// printTargets checks the targets of issue 5 that these measurements cover.
func (t *table) printTargets(gmBest float64, bestName string, gmCellBest float64, cells []cell, errs int) {
	fmt.Println("### Targets of issue 5 (from this run)")
	fmt.Println()
	check := func(ok bool, format string, args ...any) {
		mark := "MISS"
		if ok {
			mark = "met "
		}
		fmt.Printf("- [%s] %s\n", mark, fmt.Sprintf(format, args...))
	}
	check(errs == 0, "every echoed byte verified: %d runs with errors", errs)
	check(gmBest >= 1.3, "geomean ≥ 1.3× the best peer's: %s of %s (against the best peer of each cell: %s)", ratio(gmBest), bestName, ratio(gmCellBest))
	worst := math.Inf(1)
	worstName := ""
	for _, c := range cells {
		if !math.IsNaN(c.vsBest) && c.vsBest < worst {
			worst, worstName = c.vsBest, c.scenario
		}
	}
	below, overlapping := 0, 0
	for _, c := range cells {
		if c.vsBest < 0.9 {
			below++
			if t.overlaps(c) {
				overlapping++
			}
		}
	}
	check(worst >= 0.9, "no cell below 0.9× the best peer: worst %s (%s); %d cells below, %d of them with runs that overlap the best peer's",
		ratio(worst), worstName, below, overlapping)
	minTCP, minName := math.Inf(1), ""
	for _, s := range t.scenarios {
		sc, err := load.Lookup(s)
		if err != nil || sc.InFlight != 16 || sc.Size > 1<<10 || sc.Frags > 1 {
			continue
		}
		if r := t.stat(s, t.ours, rate) / t.stat(s, t.tcp, rate); r < minTCP {
			minTCP, minName = r, s
		}
	}
	if minName != "" {
		check(minTCP >= 0.6, "16 B–1 KiB with 16 in flight ≥ 0.6× plain TCP: worst %s (%s)", ratio(minTCP), minName)
	}
	if t.echo[latencyScenario] != nil {
		p50 := t.stat(latencyScenario, t.ours, func(r load.Result) float64 { return r.P50us }) /
			t.stat(latencyScenario, t.tcp, func(r load.Result) float64 { return r.P50us })
		p99 := t.stat(latencyScenario, t.ours, func(r load.Result) float64 { return r.P99us }) /
			t.stat(latencyScenario, t.tcp, func(r load.Result) float64 { return r.P99us })
		check(p50 <= 1.1 && p99 <= 1.1, "16 B latency within 1.1× plain TCP: p50 %s, p99 %s", ratio(p50), ratio(p99))
	}
	if runs := t.idle[t.ours]; len(runs) > 0 {
		var a, b []float64
		for _, r := range runs {
			a, b = append(a, r.IdlePerConnKiB), append(b, r.EchoPerConnKiB)
		}
		check(median(a) <= 6 && median(b) <= 6, "idle connection ≤ 6 KiB, also after a 1 KiB echo: %.2f and %.2f KiB at %d connections",
			median(a), median(b), runs[0].Conns)
	}
	if tp := t.peakRSS(t.tcp); tp > 0 {
		r := t.peakRSS(t.ours) / tp
		check(r <= 2, "peak RSS over the matrix ≤ 2× plain TCP: %s", ratio(r))
	}
	fmt.Println()
}
