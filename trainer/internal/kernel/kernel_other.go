//go:build !amd64

package kernel

var useAVX2 = false

func micro(kb int, a []float64, ars, aks int, b []float64, bks int, c []float64, ldc int, acc bool) {
	microGo(kb, a, ars, aks, b, bks, c, ldc, acc)
}

func adamAVX2(theta, grad, m, v, u []float64, c *AdamConsts) { panic("unreachable") }

func reluAVX2(y, x []float64)          { panic("unreachable") }
func reluGradAVX2(dx, dy, x []float64) { panic("unreachable") }
