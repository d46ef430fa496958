package kernel

import "math"

// ReLU sets y[i] = max(x[i], 0), keeping NaN as NaN. y must be at least
// as long as x.
func ReLU(y, x []float64) {
	n := len(x)
	y = y[:n]
	i := 0
	if useAVX2 && n >= 4 {
		i = n &^ 3
		reluAVX2(y, x[:i])
	}
	for ; i < n; i++ {
		y[i] = max(x[i], 0)
	}
}

// ReLUGrad sets dx[i] = dy[i] where x[i] > 0 and 0 elsewhere. dx and x
// must be at least as long as dy.
func ReLUGrad(dx, dy, x []float64) {
	n := len(dy)
	dx, x = dx[:n], x[:n]
	i := 0
	if useAVX2 && n >= 4 {
		i = n &^ 3
		reluGradAVX2(dx, dy[:i], x)
	}
	for ; i < n; i++ {
		m := uint64(0)
		if x[i] > 0 {
			m = ^m
		}
		dx[i] = math.Float64frombits(math.Float64bits(dy[i]) & m)
	}
}
