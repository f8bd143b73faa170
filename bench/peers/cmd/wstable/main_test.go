package main

import (
	"strings"
	"testing"

	"github.com/rfc6455/ws/bench/peers/load"
)

// runs builds the results of label in scenario, one per rate.
func runs(scenario, label string, rates ...float64) []load.Result {
	var rs []load.Result
	for _, r := range rates {
		rs = append(rs, load.Result{Label: label, Scenario: scenario, MsgsPerSec: r})
	}
	return rs
}

func TestBestAndOverlap(t *testing.T) {
	const s = "c1/k1/binary/16B"
	tests := []struct {
		name      string
		ours      []float64
		peerA     []float64
		peerB     []float64
		wantBest  string
		wantRatio float64
		overlap   bool
	}{
		{"ours slower, runs overlap", []float64{70, 80, 95}, []float64{90, 100, 110}, []float64{10, 20, 30}, "a", 0.8, true},
		{"ours slower, runs apart", []float64{70, 80, 85}, []float64{90, 100, 110}, []float64{10, 20, 30}, "a", 0.8, false},
		{"best peer is the one with the higher median", []float64{100, 100, 100}, []float64{10, 20, 200}, []float64{40, 50, 60}, "b", 2, true},
		{"ours faster", []float64{200, 210, 220}, []float64{90, 100, 110}, []float64{10, 20, 30}, "a", 2.1, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tb := table{ours: "ours", labels: []string{"ours", "a", "b"}, notPeer: map[string]bool{"ours": true},
				echo: map[string]map[string][]load.Result{s: {
					"ours": runs(s, "ours", tt.ours...),
					"a":    runs(s, "a", tt.peerA...),
					"b":    runs(s, "b", tt.peerB...),
				}}}
			name, rate := tb.best(s)
			if name != tt.wantBest {
				t.Fatalf("best = %s, want %s", name, tt.wantBest)
			}
			c := cell{scenario: s, vsBest: tb.stat(s, "ours", func(r load.Result) float64 { return r.MsgsPerSec }) / rate, best: name}
			if c.vsBest != tt.wantRatio {
				t.Errorf("ours/best = %v, want %v", c.vsBest, tt.wantRatio)
			}
			if got := tb.overlaps(c); got != tt.overlap {
				t.Errorf("overlaps = %v, want %v", got, tt.overlap)
			}
		})
	}
}

func TestMedian(t *testing.T) {
	tests := []struct {
		xs   []float64
		want float64
	}{
		{[]float64{3, 1, 2}, 2},
		{[]float64{4, 1, 3, 2}, 2.5},
		{[]float64{5}, 5},
	}
	for _, tt := range tests {
		if got := median(tt.xs); got != tt.want {
			t.Errorf("median(%v) = %v, want %v", tt.xs, got, tt.want)
		}
	}
}

// TestCompare: -compare a/b gives, per scenario, the medians of both labels' throughput and
// server CPU per message and a's ratios to b, with geometric means; a scenario where a run had
// errors shows a dash and stays out of the means.
func TestCompare(t *testing.T) {
	result := func(s, label string, rate, cpu float64, errs int) load.Result {
		return load.Result{Label: label, Scenario: s, MsgsPerSec: rate, ServerCPUus: cpu, Errors: errs}
	}
	tb := table{scenarios: []string{"s1", "s2", "s3"}, echo: map[string]map[string][]load.Result{
		"s1": {"h2": {result("s1", "h2", 500, 4, 0), result("s1", "h2", 700, 6, 0), result("s1", "h2", 600, 5, 0)},
			"h1": {result("s1", "h1", 1000, 2, 0)}},
		"s2": {"h2": {result("s2", "h2", 2000, 1, 0)}, "h1": {result("s2", "h1", 1000, 2, 0)}},
		"s3": {"h2": {result("s3", "h2", 10, 1, 1)}, "h1": {result("s3", "h1", 1000, 2, 0)}},
	}}
	var out strings.Builder
	tb.printCompare(&out, pair{"h2", "h1"})
	got := out.String()
	for _, want := range []string{
		"| s1 | 600 | 1.00k | 0.60× | 5.0 | 2.0 | 2.50× |",
		"| s2 | 2.00k | 1.00k | 2.00× | 1.0 | 2.0 | 0.50× |",
		"| s3 | — | 1.00k | — |",
		"| **geomean** | | | **1.10×** | | | **1.12×** |", // √(0.6·2), √(2.5·0.5)
	} {
		if !strings.Contains(got, want) {
			t.Errorf("missing %q in\n%s", want, got)
		}
	}
}

// TestAgainstTCP checks the groups of issue 17 and their targets: geomeans of CPU per message
// over the cells where both were measured, ratios of messages per second, and a cell with errors
// left out.
func TestAgainstTCP(t *testing.T) {
	result := func(s, label string, rate, cpu float64, errs int) load.Result {
		return load.Result{Label: label, Scenario: s, MsgsPerSec: rate, ServerCPUus: cpu, Errors: errs}
	}
	const small, large, frag, broken = "c1/k1/binary/16B", "c1/k16/binary/16KiB", "c1/k1/text/1KiB/frag4", "c16/k1/text/16B"
	tb := table{ours: "ours", tcp: "tcp", scenarios: []string{small, large, frag, broken}, echo: map[string]map[string][]load.Result{
		small:  {"ours": {result(small, "ours", 900, 11, 0)}, "tcp": {result(small, "tcp", 1000, 10, 0)}},
		large:  {"ours": {result(large, "ours", 1000, 10, 0)}, "tcp": {result(large, "tcp", 1000, 10, 0)}},
		frag:   {"ours": {result(frag, "ours", 400, 40, 0)}, "tcp": {result(frag, "tcp", 1000, 10, 0)}},
		broken: {"ours": {result(broken, "ours", 1, 1000, 3)}, "tcp": {result(broken, "tcp", 1000, 10, 0)}},
	}}
	var out strings.Builder
	tb.printAgainstTCP(&out)
	got := out.String()
	for _, want := range []string{
		"| all | 3 | 16.4 | 10.0 | 1.64× | 0.71× |",                        // ∛(11·10·40), ∛(0.9·1·0.4)
		"| one message in flight (k1) | 2 | 21.0 | 10.0 | 2.10× | 0.60× |", // √(11·40), √(0.9·0.4)
		"| 16 in flight (k16) | 1 | 10.0 | 10.0 | 1.00× | 1.00× |",
		"| 16 B–1 KiB | 2 | 21.0 | 10.0 | 2.10× | 0.60× |",
		"| 16 KiB–1 MiB | 1 | 10.0 | 10.0 | 1.00× | 1.00× |",
		"| fragmented, pings between fragments | 1 | 40.0 | 10.0 | 4.00× | 0.40× |",
		"- [MISS] server CPU per message ≤ 1.1× the TCP echo's over all cells: 1.64×",
		"- [MISS] ≤ 1.2× in every group: worst 4.00× (fragmented, pings between fragments)",
		"- [MISS] messages per second ≥ 0.95× the TCP echo's over all cells: 0.71×",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("missing %q in\n%s", want, got)
		}
	}
	// Without the TCP echo's runs there is nothing to print.
	delete(tb.echo[small], "tcp")
	delete(tb.echo[large], "tcp")
	delete(tb.echo[frag], "tcp")
	out.Reset()
	tb.printAgainstTCP(&out)
	if out.Len() != 0 {
		t.Errorf("printed without TCP runs:\n%s", out.String())
	}
}
