package trainer

import (
	"math"

	"gonum.org/v1/gonum/mat"

	"github.com/tbgo/tbgo/trainer/internal/kernel"
)

// elementwise is an activation applied to every value on its own:
// sigmoid, tanh, relu, leaky_relu and elu. Each keeps NaN as NaN, so that
// a diverging run shows up in the activations as well as in the loss.
type elementwise struct {
	l     *Layer
	typ   LayerType
	a     float64 // leaky_relu's slope, elu's α
	x     *mat.Dense
	y, dx buffer
}

func newElementwise(l *Layer, a float64) *elementwise {
	l.Out = l.In
	return &elementwise{l: l, typ: l.Type, a: a}
}

func (e *elementwise) layer() *Layer  { return e.l }
func (e *elementwise) setNeedDx(bool) {}

func (e *elementwise) forward(x *mat.Dense, train bool) *mat.Dense {
	n, w := x.Dims()
	y := e.y.resize(n, w)
	xs, ys := raw(x), raw(y)
	ys = ys[:len(xs)]
	switch e.typ {
	case TypeSigmoid:
		for i, v := range xs {
			ys[i] = sigmoid(v)
		}
	case TypeTanh:
		for i, v := range xs {
			ys[i] = math.Tanh(v)
		}
	case TypeReLU:
		kernel.ReLU(ys, xs)
	case TypeLeakyReLU:
		for i, v := range xs {
			if v > 0 || v != v {
				ys[i] = v
			} else {
				ys[i] = e.a * v
			}
		}
	case TypeELU:
		for i, v := range xs {
			if v > 0 || v != v {
				ys[i] = v
			} else {
				ys[i] = e.a * math.Expm1(v)
			}
		}
	}
	e.x = x
	record(e.l, x, y, train)
	return y
}

func (e *elementwise) backward(dy *mat.Dense) *mat.Dense {
	n, w := dy.Dims()
	dx := e.dx.resize(n, w)
	dxs, dys, xs, ys := raw(dx), raw(dy), raw(e.x), raw(&e.y.m)
	dxs = dxs[:len(dys)]
	switch e.typ {
	case TypeSigmoid:
		for i, g := range dys {
			dxs[i] = g * ys[i] * (1 - ys[i])
		}
	case TypeTanh:
		for i, g := range dys {
			dxs[i] = g * (1 - ys[i]*ys[i])
		}
	case TypeReLU:
		kernel.ReLUGrad(dxs, dys, xs)
	case TypeLeakyReLU:
		for i, g := range dys {
			if xs[i] > 0 {
				dxs[i] = g
			} else {
				dxs[i] = e.a * g
			}
		}
	case TypeELU:
		for i, g := range dys {
			if xs[i] > 0 {
				dxs[i] = g
			} else {
				dxs[i] = g * (ys[i] + e.a)
			}
		}
	}
	return dx
}

// sigmoid is 1/(1+e^−x), computed without overflow for either sign.
func sigmoid(x float64) float64 {
	if x >= 0 {
		return 1 / (1 + math.Exp(-x))
	}
	z := math.Exp(x)
	return z / (1 + z)
}

// prelu is y = x for x > 0 and a_c·x otherwise, with a learned slope a_c
// per channel (per unit for vectors).
type prelu struct {
	l      *Layer
	slope  *Param
	x      *mat.Dense
	y, dx  buffer
	needDx bool
}

func newPReLU(l *Layer, init float64) *prelu {
	c := l.In.C
	p := &prelu{l: l}
	p.slope = newParam(l.Name, "slope", Slope, 1, c, []int{c})
	p.slope.Init = Init{Kind: InitConstant, Scale: init}
	fill(raw(p.slope.Value), init)
	l.Params = append(l.Params, p.slope)
	l.Out = l.In
	return p
}

func (p *prelu) layer() *Layer       { return p.l }
func (p *prelu) setNeedDx(need bool) { p.needDx = need }

func (p *prelu) forward(x *mat.Dense, train bool) *mat.Dense {
	n, d := x.Dims()
	y := p.y.resize(n, d)
	xs, ys, a := raw(x), raw(y), raw(p.slope.Value)
	size := p.l.In.H * p.l.In.W
	for s := range n {
		for c, ac := range a {
			lo := s*d + c*size
			for i := lo; i < lo+size; i++ {
				if v := xs[i]; v > 0 || v != v {
					ys[i] = v
				} else {
					ys[i] = ac * v
				}
			}
		}
	}
	p.x = x
	record(p.l, x, y, train)
	return y
}

func (p *prelu) backward(dy *mat.Dense) *mat.Dense {
	n, d := dy.Dims()
	dx := p.dx.resize(n, d)
	dxs, dys, xs := raw(dx), raw(dy), raw(p.x)
	a, da := raw(p.slope.Value), raw(p.slope.Grad)
	size := p.l.In.H * p.l.In.W
	for s := range n {
		for c, ac := range a {
			lo := s*d + c*size
			var g float64
			for i := lo; i < lo+size; i++ {
				if xs[i] > 0 {
					dxs[i] = dys[i]
				} else {
					dxs[i] = ac * dys[i]
					g += dys[i] * xs[i]
				}
			}
			da[c] += g
		}
	}
	return dx
}

// maxout takes, at each position, the maximum over groups of k
// consecutive channels: output channel j is the maximum of input channels
// j·k … j·k+k−1. On vectors, the groups are k consecutive units.
type maxout struct {
	l     *Layer
	k     int
	arg   ints
	y, dx buffer
}

func newMaxout(l *Layer, k int) *maxout {
	l.Out = Shape{C: l.In.C / k, H: l.In.H, W: l.In.W}
	return &maxout{l: l, k: k}
}

func (m *maxout) layer() *Layer  { return m.l }
func (m *maxout) setNeedDx(bool) {}

func (m *maxout) forward(x *mat.Dense, train bool) *mat.Dense {
	n, d := x.Dims()
	out := m.l.Out
	od, size := out.Size(), out.H*out.W
	y := m.y.resize(n, od)
	xs, ys := raw(x), raw(y)
	arg := m.arg.resize(n * od)
	for s := range n {
		xr := xs[s*d : (s+1)*d]
		for j := range out.C {
			for p := range size {
				at := j*m.k*size + p
				best := xr[at]
				for i := 1; i < m.k; i++ {
					o := (j*m.k+i)*size + p
					if v := xr[o]; v > best || (v != v && best == best) {
						best, at = v, o
					}
				}
				ys[s*od+j*size+p], arg[s*od+j*size+p] = best, int32(at)
			}
		}
	}
	record(m.l, x, y, train)
	return y
}

func (m *maxout) backward(dy *mat.Dense) *mat.Dense {
	n, od := dy.Dims()
	d := m.l.In.Size()
	dx := m.dx.resize(n, d)
	dxs, dys := raw(dx), raw(dy)
	clear(dxs)
	for s := range n {
		for i, g := range dys[s*od : (s+1)*od] {
			dxs[s*d+int(m.arg[s*od+i])] += g
		}
	}
	return dx
}

// softmax is yᵢ = e^xᵢ / Σⱼ e^xⱼ over all the values of a sample, computed
// as e^(xᵢ−max x) so that large inputs do not overflow.
//
// To train a classifier, end the model with logits and use
// SoftmaxCrossEntropy, which is more accurate than a softmax layer
// followed by a log.
type softmax struct {
	l     *Layer
	y, dx buffer
}

func newSoftmax(l *Layer) *softmax {
	l.Out = l.In
	return &softmax{l: l}
}

func (s *softmax) layer() *Layer  { return s.l }
func (s *softmax) setNeedDx(bool) {}

func (s *softmax) forward(x *mat.Dense, train bool) *mat.Dense {
	n, d := x.Dims()
	y := s.y.resize(n, d)
	xs, ys := raw(x), raw(y)
	for r := range n {
		softmaxRow(ys[r*d:(r+1)*d], xs[r*d:(r+1)*d])
	}
	record(s.l, x, y, train)
	return y
}

// softmaxRow sets y to the softmax of x and returns log Σ e^x.
func softmaxRow(y, x []float64) float64 {
	m := math.Inf(-1)
	for _, v := range x {
		if v > m || v != v {
			m = v
		}
	}
	var sum float64
	for i, v := range x {
		e := math.Exp(v - m)
		y[i] = e
		sum += e
	}
	for i := range y {
		y[i] /= sum
	}
	return m + math.Log(sum)
}

func (s *softmax) backward(dy *mat.Dense) *mat.Dense {
	n, d := dy.Dims()
	dx := s.dx.resize(n, d)
	dxs, dys, ys := raw(dx), raw(dy), raw(&s.y.m)
	for r := range n {
		yr, gr, xr := ys[r*d:(r+1)*d], dys[r*d:(r+1)*d], dxs[r*d:(r+1)*d]
		var dot float64
		for i, g := range gr {
			dot += g * yr[i]
		}
		for i, g := range gr {
			xr[i] = yr[i] * (g - dot)
		}
	}
	return dx
}
