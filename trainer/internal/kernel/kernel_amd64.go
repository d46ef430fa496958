package kernel

import "github.com/tbgo/tbgo/internal/cpufeat"

// useAVX2 reports whether the CPU and the operating system support AVX2
// and FMA.
var useAVX2 = cpufeat.FMA()

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
