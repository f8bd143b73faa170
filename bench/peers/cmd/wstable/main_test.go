package main

import (
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
