package kernel

import "math"

// AdamConsts are the per-step constants of an Adam update (see Adam).
type AdamConsts struct {
	Beta1, Beta2 float64
	// Step is −η/(1−β₁ᵗ), InvC2 is 1/(1−β₂ᵗ).
	Step, InvC2, Eps float64
	// L2 is the weight decay added to the gradient, Decay·θ the decay
	// subtracted from θ (decoupled).
	L2, Decay float64
}

// Adam applies one Adam update to each value i, in place:
//
//	g = grad[i] + L2·θ[i]
//	m[i] = β₁·m[i] + (1−β₁)·g,   v[i] = β₂·v[i] + (1−β₂)·g²
//	u[i] = Step·m[i] / (√(v[i]·InvC2) + Eps) − Decay·θ[i],   θ[i] += u[i]
//
// grad, m, v and u must be at least as long as theta.
func Adam(theta, grad, m, v, u []float64, c AdamConsts) {
	n := len(theta)
	grad, m, v, u = grad[:n], m[:n], v[:n], u[:n]
	i := 0
	if useAVX2 && n >= 4 {
		i = n &^ 3
		adamAVX2(theta[:i], grad, m, v, u, &c)
	}
	for ; i < n; i++ {
		th := theta[i]
		g := grad[i] + c.L2*th
		mi := c.Beta1*m[i] + (1-c.Beta1)*g
		vi := c.Beta2*v[i] + (1-c.Beta2)*g*g
		m[i], v[i] = mi, vi
		d := c.Step*mi/(math.Sqrt(vi*c.InvC2)+c.Eps) - c.Decay*th
		u[i] = d
		theta[i] = th + d
	}
}
