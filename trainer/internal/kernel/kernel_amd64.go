package kernel

// useAVX2 reports whether the CPU and the operating system support AVX2
// and FMA.
var useAVX2 = hasAVX2FMA()

func hasAVX2FMA() bool {
	_, _, ecx1, _ := cpuid(1, 0)
	const fma, osxsave, avx = 1 << 12, 1 << 27, 1 << 28
	if ecx1&osxsave == 0 || ecx1&avx == 0 || ecx1&fma == 0 {
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

// micro4x8AVX2 is microGo in AVX2 with FMA; strides are in values.
//
//go:noescape
func micro4x8AVX2(kb int, a []float64, ars, aks int, b []float64, bks int, c []float64, ldc int, acc bool)

func micro(kb int, a []float64, ars, aks int, b []float64, bks int, c []float64, ldc int, acc bool) {
	if useAVX2 {
		// The assembly does not check lengths: these do.
		_ = a[(mr-1)*ars+(kb-1)*aks]
		_ = b[(kb-1)*bks+nr-1]
		_ = c[(mr-1)*ldc+nr-1]
		micro4x8AVX2(kb, a, ars, aks, b, bks, c, ldc, acc)
		return
	}
	microGo(kb, a, ars, aks, b, bks, c, ldc, acc)
}

// adamAVX2 is Adam's loop for len(theta) a positive multiple of 4.
//
//go:noescape
func adamAVX2(theta, grad, m, v, u []float64, c *AdamConsts)

// reluAVX2 is ReLU for len(x) a positive multiple of 4.
//
//go:noescape
func reluAVX2(y, x []float64)

// reluGradAVX2 is ReLUGrad for len(dy) a positive multiple of 4.
//
//go:noescape
func reluGradAVX2(dx, dy, x []float64)
