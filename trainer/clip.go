package trainer

import "math"

// GradNorm returns the global L2 norm of the gradients of params,
// √(Σ over every parameter of Σ g²); NaN or +Inf if any gradient is not
// finite.
func GradNorm(params []*Param) float64 {
	var s float64
	for _, p := range params {
		if p.Grad != nil {
			s += sumSquares(raw(p.Grad))
		}
	}
	return math.Sqrt(s)
}

// sumSquares returns Σ x², in four partial sums so that the additions do
// not wait on each other.
func sumSquares(x []float64) float64 {
	var s0, s1, s2, s3 float64
	i := 0
	for ; i+4 <= len(x); i += 4 {
		v := x[i : i+4 : i+4]
		s0 += v[0] * v[0]
		s1 += v[1] * v[1]
		s2 += v[2] * v[2]
		s3 += v[3] * v[3]
	}
	for ; i < len(x); i++ {
		s0 += x[i] * x[i]
	}
	return (s0 + s1) + (s2 + s3)
}

// ClipGlobalNorm scales every gradient by maxNorm/‖g‖ when the global norm
// ‖g‖ (see GradNorm) exceeds maxNorm, which keeps the gradient's direction,
// and returns the norm before clipping. Gradients with a non-finite norm
// are left alone: scaling would only spread the NaN.
func ClipGlobalNorm(params []*Param, maxNorm float64) float64 {
	norm := GradNorm(params)
	if !(norm > maxNorm) || math.IsInf(norm, 0) || maxNorm <= 0 {
		return norm
	}
	s := maxNorm / norm
	for _, p := range params {
		if p.Grad != nil {
			for i := range raw(p.Grad) {
				raw(p.Grad)[i] *= s
			}
		}
	}
	return norm
}

// ClipValue clamps every gradient value into [−limit, limit] and returns
// the number of values it changed. NaN stays NaN.
func ClipValue(params []*Param, limit float64) int {
	n := 0
	for _, p := range params {
		if p.Grad == nil {
			continue
		}
		g := raw(p.Grad)
		for i, v := range g {
			if v > limit {
				g[i], n = limit, n+1
			} else if v < -limit {
				g[i], n = -limit, n+1
			}
		}
	}
	return n
}
