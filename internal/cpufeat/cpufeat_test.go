package cpufeat

import (
	"os"
	"runtime"
	"strings"
	"testing"
)

// TestAgreesWithLinux compares the answers with the flags Linux reports in
// /proc/cpuinfo, where there is one.
func TestAgreesWithLinux(t *testing.T) {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil || runtime.GOARCH != "amd64" {
		t.Skip("no /proc/cpuinfo for amd64 here")
	}
	var flags []string
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "flags") {
			flags = strings.Fields(line)
			break
		}
	}
	has := func(f string) bool {
		for _, x := range flags {
			if x == f {
				return true
			}
		}
		return false
	}
	if AVX2() != has("avx2") {
		t.Errorf("AVX2() = %v, /proc/cpuinfo says %v", AVX2(), has("avx2"))
	}
	if FMA() != (has("avx2") && has("fma")) {
		t.Errorf("FMA() = %v, /proc/cpuinfo says avx2 %v fma %v", FMA(), has("avx2"), has("fma"))
	}
}
