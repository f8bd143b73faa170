package x86

import (
	"os"
	"slices"
	"strings"
	"testing"
)

// TestHasAVX2MatchesKernel checks our CPUID/XGETBV detection against Linux's: the kernel lists
// "avx2" among a CPU's flags in /proc/cpuinfo only when the CPU has it and the kernel saves the
// YMM registers, which is exactly the condition HasAVX2 stands for.
func TestHasAVX2MatchesKernel(t *testing.T) {
	info, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		t.Skipf("no /proc/cpuinfo: %v", err)
	}
	for line := range strings.Lines(string(info)) {
		name, value, ok := strings.Cut(line, ":")
		if !ok || strings.TrimSpace(name) != "flags" {
			continue
		}
		kernel := slices.Contains(strings.Fields(value), "avx2")
		if HasAVX2 != kernel {
			t.Errorf("HasAVX2 = %v, but /proc/cpuinfo says avx2 is %v", HasAVX2, kernel)
		}
		t.Logf("AVX2: %v", HasAVX2)
		return
	}
	t.Skip("no flags line in /proc/cpuinfo")
}
