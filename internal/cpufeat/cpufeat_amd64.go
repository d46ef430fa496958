package cpufeat

func detect() set {
	_, _, ecx1, _ := cpuid(1, 0)
	const fma, osxsave, avx = 1 << 12, 1 << 27, 1 << 28
	if ecx1&osxsave == 0 || ecx1&avx == 0 {
		return set{}
	}
	// The OS must save the YMM registers: XCR0 bits 1 (SSE) and 2 (AVX).
	if eax, _ := xgetbv(); eax&6 != 6 {
		return set{}
	}
	_, ebx7, _, _ := cpuid(7, 0)
	return set{avx2: ebx7&(1<<5) != 0, fma: ecx1&fma != 0}
}

func cpuid(eaxArg, ecxArg uint32) (eax, ebx, ecx, edx uint32)

func xgetbv() (eax, edx uint32)
