package load

import (
	"testing"
	"time"
)

// TestHistogramPrecision checks that every value lands in a bucket whose reported value is within
// 1/64 of it, and that bucket indexes grow with the value.
func TestHistogramPrecision(t *testing.T) {
	prev := -1
	for v := int64(0); v < 1<<40; v = v*17/16 + 1 {
		i := histIndex(v)
		if i < prev {
			t.Fatalf("index of %d is %d, below %d of a smaller value", v, i, prev)
		}
		prev = i
		if i >= histBuckets {
			t.Fatalf("index of %d is %d, out of range", v, i)
		}
		got := histValue(i)
		if diff := got - v; diff*64 > v || -diff*64 > v {
			t.Fatalf("value %d reported as %d", v, got)
		}
	}
}

// TestHistogramQuantiles checks quantiles of a known distribution: 1..1000 µs.
func TestHistogramQuantiles(t *testing.T) {
	var h histogram
	for i := 1; i <= 1000; i++ {
		h.record(time.Duration(i) * time.Microsecond)
	}
	for _, c := range []struct {
		q    float64
		want time.Duration
	}{{0.5, 500 * time.Microsecond}, {0.99, 990 * time.Microsecond}, {1, 1000 * time.Microsecond}} {
		got := h.quantile(c.q)
		if d := got - c.want; d*64 > c.want || -d*64 > c.want {
			t.Errorf("quantile %v = %v, want %v ± 1/64", c.q, got, c.want)
		}
	}
}
