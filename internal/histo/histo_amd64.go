package histo

// useAVX2 reports whether the CPU and the operating system support AVX2.
var useAVX2 = hasAVX2()

func hasAVX2() bool {
	_, _, ecx1, _ := cpuid(1, 0)
	const osxsave, avx = 1 << 27, 1 << 28
	if ecx1&osxsave == 0 || ecx1&avx == 0 {
		return false
	}
	// The OS must save the YMM registers: XCR0 bits 1 (SSE) and 2 (AVX).
	if eax, _ := xgetbv(); eax&6 != 6 {
		return false
	}
	_, ebx7, _, _ := cpuid(7, 0)
	return ebx7&(1<<5) != 0
}

func cpuid(eaxArg, ecxArg uint32) (eax, ebx, ecx, edx uint32)

func xgetbv() (eax, edx uint32)

// minMaxAVX2 is MinMax for len(values) a positive multiple of 4.
//
//go:noescape
func minMaxAVX2(values []float64) (lo, hi float64)

// indexesAVX2 is Indexes for len(values) a positive multiple of 4.
//
//go:noescape
func indexesAVX2(dst []int32, values []float64, lo, width float64, last int32) (sawNaN bool)
