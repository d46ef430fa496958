package history

import "math"

// Smooth returns ys smoothed as TensorBoard's scalar charts smooth them
// with the smoothing slider at weight (0 leaves ys as they are; the
// dashboard's default is 0.6): the debiased exponential moving average of
// TensorBoard's classicSmoothing (webapp line_chart_v2). With
// last_0 = 0 and n counting the finite values so far,
//
//	last_n     = weight*last_{n-1} + (1-weight)*y
//	smoothed_n = last_n / (1 - weight^n)
//
// Dividing by 1 - weight^n removes the pull towards the initial 0. A value
// that is NaN or infinite is passed through and does not move the
// average. A series whose values are all equal is returned unchanged. The
// result is appended to dst.
func Smooth(dst, ys []float64, weight float64) []float64 {
	if len(ys) == 0 {
		return dst
	}
	constant := true
	for _, y := range ys {
		if y != ys[0] { // as in JavaScript, NaN equals nothing
			constant = false
			break
		}
	}
	if constant {
		return append(dst, ys...)
	}
	last, n := 0.0, 0.0
	for _, y := range ys {
		if math.IsNaN(y) || math.IsInf(y, 0) {
			dst = append(dst, y)
			continue
		}
		last = last*weight + (1-weight)*y
		n++
		debias := 1.0
		if weight != 1 {
			debias = 1 - math.Pow(weight, n)
		}
		dst = append(dst, last/debias)
	}
	return dst
}
