package main

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"

	"github.com/rfc6455/ws/bench/peers/load"
)

// defaultDeflatePairs are the comparisons issue 6 asks for: ours against gorilla and gws without
// context takeover (the only mode gorilla has), ours against gws with it, and what takeover
// costs or gains ours.
const defaultDeflatePairs = "ours-deflate/gorilla-deflate,ours-deflate/gws-deflate," +
	"ours-deflate-takeover/gws-deflate-takeover,ours-deflate-takeover/ours-deflate"

// pair is one ratio column: the rate of a over that of b.
type pair struct{ a, b string }

func (p pair) String() string { return p.a + " / " + p.b }

func parsePairs(s string) []pair {
	var ps []pair
	for _, f := range strings.Split(s, ",") {
		a, b, ok := strings.Cut(strings.TrimSpace(f), "/")
		if ok && a != "" && b != "" {
			ps = append(ps, pair{a, b})
		}
	}
	return ps
}

// payloadKind is the payload part of a scenario name: text, ctext or binary.
func payloadKind(scenario string) string {
	parts := strings.Split(scenario, "/")
	if len(parts) < 3 {
		return ""
	}
	return parts[2]
}

// printDeflate prints the tables of a permessage-deflate run.
func (t *table) printDeflate(pairs []pair) {
	reps, errs := 0, 0
	for _, s := range t.scenarios {
		for _, l := range t.labels {
			runs := t.echo[s][l]
			reps = max(reps, len(runs))
			for _, r := range runs {
				if r.Errors > 0 {
					errs++
					fmt.Printf("ERROR %s %s: %d errors, first: %s\n", r.Label, r.Scenario, r.Errors, r.FirstError)
				}
			}
		}
	}
	if errs > 0 {
		fmt.Println()
	}
	fmt.Printf("### permessage-deflate echo throughput, messages/s (median of %d runs; %d runs with errors)\n\n", reps, errs)
	header, sep := "| scenario |", "|---|"
	for _, l := range t.labels {
		header += " " + l + " |"
		sep += "---:|"
	}
	for _, p := range pairs {
		header += " " + p.String() + " |"
		sep += "---:|"
	}
	fmt.Println(header)
	fmt.Println(sep)
	cols := map[string][]float64{} // label → rate per scenario
	ratios := map[pair][]float64{} // pair → ratio per scenario
	kinds := map[string][]int{}    // payload kind → scenario indexes
	var kindOrder []string
	for i, s := range t.scenarios {
		row := "| " + s + " |"
		for _, l := range t.labels {
			v := t.stat(s, l, rate)
			cols[l] = append(cols[l], v)
			row += " " + human(v) + " |"
		}
		for _, p := range pairs {
			r := t.stat(s, p.a, rate) / t.stat(s, p.b, rate)
			ratios[p] = append(ratios[p], r)
			row += " " + ratio(r) + " |"
		}
		k := payloadKind(s)
		if _, ok := kinds[k]; !ok {
			kindOrder = append(kindOrder, k)
		}
		kinds[k] = append(kinds[k], i)
		fmt.Println(row)
	}
	pick := func(xs []float64, idx []int) []float64 {
		var out []float64
		for _, i := range idx {
			out = append(out, xs[i])
		}
		return out
	}
	geoRow := func(name string, idx []int) {
		row := "| " + name + " |"
		for _, l := range t.labels {
			row += " " + human(geomean(pick(cols[l], idx))) + " |"
		}
		for _, p := range pairs {
			row += " **" + ratio(geomean(pick(ratios[p], idx))) + "** |"
		}
		fmt.Println(row)
	}
	all := make([]int, len(t.scenarios))
	for i := range all {
		all[i] = i
	}
	for _, k := range kindOrder {
		geoRow("geomean, "+k, kinds[k])
	}
	geoRow("**geomean, all**", all)
	fmt.Println()

	for _, p := range pairs {
		type cell struct {
			scenario string
			r        float64
		}
		var cells []cell
		for i, s := range t.scenarios {
			if r := ratios[p][i]; !math.IsNaN(r) && !math.IsInf(r, 0) {
				cells = append(cells, cell{s, r})
			}
		}
		if len(cells) == 0 {
			continue
		}
		sort.Slice(cells, func(i, j int) bool { return cells[i].r < cells[j].r })
		var worst []string
		for _, c := range cells[:min(4, len(cells))] {
			worst = append(worst, fmt.Sprintf("%s %s", c.scenario, ratio(c.r)))
		}
		fmt.Printf("- %s: lowest %s; highest %s %s\n", p, strings.Join(worst, ", "),
			cells[len(cells)-1].scenario, ratio(cells[len(cells)-1].r))
	}
	fmt.Println()

	t.printWire()
	t.printPeakRSS()
	t.printIdle("one compressed 1 KiB text echo")
}

// printWire prints the size of the echoes on the wire per byte of payload, by payload and size
// (median over every run of those), and the share of echoes that came compressed.
func (t *table) printWire() {
	type key struct {
		kind string
		size int
	}
	var keys []key
	wire := map[key]map[string][]float64{}
	share := map[key]map[string][]float64{}
	for _, s := range t.scenarios {
		for _, l := range t.labels {
			for _, r := range t.echo[s][l] {
				if r.Errors > 0 || r.BytesVerified == 0 || r.Echoes == 0 {
					continue
				}
				k := key{payloadKind(s), r.Size}
				if wire[k] == nil {
					wire[k], share[k] = map[string][]float64{}, map[string][]float64{}
					keys = append(keys, k)
				}
				wire[k][l] = append(wire[k][l], float64(r.EchoWireBytes)/float64(r.BytesVerified))
				share[k][l] = append(share[k][l], float64(r.CompressedEchoes)/float64(r.Echoes))
			}
		}
	}
	if len(keys) == 0 {
		return
	}
	kindRank := map[string]int{"text": 0, "ctext": 1, "binary": 2}
	slices.SortFunc(keys, func(a, b key) int {
		if a.kind != b.kind {
			return kindRank[a.kind] - kindRank[b.kind]
		}
		return a.size - b.size
	})
	fmt.Println("### Echo bytes on the wire per payload byte (median; in brackets the share of echoes sent compressed when not all)")
	fmt.Println()
	header, sep := "| payload |", "|---|"
	for _, l := range t.labels {
		header += " " + l + " |"
		sep += "---:|"
	}
	fmt.Println(header)
	fmt.Println(sep)
	for _, k := range keys {
		row := fmt.Sprintf("| %s/%s |", k.kind, load.FormatSize(k.size))
		for _, l := range t.labels {
			w := median(wire[k][l])
			if math.IsNaN(w) {
				row += " — |"
				continue
			}
			cell := fmt.Sprintf(" %.3f", w)
			if sh := median(share[k][l]); sh < 1 {
				cell += fmt.Sprintf(" (%.0f%%)", 100*sh)
			}
			row += cell + " |"
		}
		fmt.Println(row)
	}
	fmt.Println()
}

// printPeakRSS prints each server's largest RSS over the matrix.
func (t *table) printPeakRSS() {
	fmt.Println("### Peak server RSS over the matrix")
	fmt.Println()
	fmt.Println("| lib | peak RSS MiB |")
	fmt.Println("|---|---:|")
	for _, l := range t.labels {
		if p := t.peakRSS(l); p > 0 {
			fmt.Printf("| %s | %.1f |\n", l, p/1024)
		}
	}
	fmt.Println()
}
