package load

import (
	"math/bits"
	"time"
)

// histogram counts round-trip times in log-linear buckets, as HDR histograms do: exact below
// 128 ns, then 64 buckets per power of two, so any value is known to within 1/64 (1.6%). It is
// fixed-size and allocation-free to record into; merge adds another into it.
type histogram struct {
	counts [histBuckets]uint64
	total  uint64
	max    int64
}

const (
	histSubBits = 6 // 64 sub-buckets per power of two
	histBuckets = (64 - histSubBits) << histSubBits
)

func histIndex(v int64) int {
	if v < 1<<(histSubBits+1) {
		return int(max(v, 0))
	}
	shift := bits.Len64(uint64(v)) - histSubBits - 1
	return shift<<histSubBits + int(uint64(v)>>shift)
}

// histValue is the middle of bucket i, the value reported for every sample in it.
func histValue(i int) int64 {
	if i < 1<<(histSubBits+1) {
		return int64(i)
	}
	shift := i>>histSubBits - 1
	low := int64(i-shift<<histSubBits) << shift
	return low + (int64(1)<<shift)/2
}

func (h *histogram) record(d time.Duration) {
	v := int64(d)
	h.counts[histIndex(v)]++
	h.total++
	h.max = max(h.max, v)
}

func (h *histogram) merge(o *histogram) {
	for i, c := range o.counts {
		h.counts[i] += c
	}
	h.total += o.total
	h.max = max(h.max, o.max)
}

// quantile returns the value below which a fraction q of the samples lie.
func (h *histogram) quantile(q float64) time.Duration {
	if h.total == 0 {
		return 0
	}
	rank := uint64(q*float64(h.total-1)) + 1
	var seen uint64
	for i, c := range h.counts {
		seen += c
		if seen >= rank {
			return time.Duration(min(histValue(i), h.max))
		}
	}
	return time.Duration(h.max)
}
