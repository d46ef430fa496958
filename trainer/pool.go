package trainer

import (
	"math"

	"gonum.org/v1/gonum/mat"
)

// maxPool takes the maximum of each k×k window of each channel, windows
// stride apart, without padding. The first maximum of a window wins a
// tie; a NaN in a window wins over numbers, so that it propagates.
type maxPool struct {
	l         *Layer
	k, stride int
	arg       ints // per output value, the input offset of its maximum
	y, dx     buffer
	needDx    bool
}

func newMaxPool(l *Layer, k, stride int) *maxPool {
	in := l.In
	l.Out = Shape{C: in.C, H: convOut(in.H, k, stride, 0), W: convOut(in.W, k, stride, 0)}
	return &maxPool{l: l, k: k, stride: stride}
}

func (p *maxPool) layer() *Layer       { return p.l }
func (p *maxPool) setNeedDx(need bool) { p.needDx = need }

func (p *maxPool) forward(x *mat.Dense, train bool) *mat.Dense {
	n, d := x.Dims()
	in, out := p.l.In, p.l.Out
	od := out.Size()
	y := p.y.resize(n, od)
	xs, ys := raw(x), raw(y)
	arg := p.arg.resize(n * od)
	for s := range n {
		xr := xs[s*d : (s+1)*d]
		for c := range in.C {
			base := c * in.H * in.W
			for oy := range out.H {
				for ox := range out.W {
					best := math.Inf(-1)
					at := int32(base + oy*p.stride*in.W + ox*p.stride)
					found := false
					for ky := range p.k {
						row := base + (oy*p.stride+ky)*in.W + ox*p.stride
						for kx := range p.k {
							v := xr[row+kx]
							if !found || v > best || (v != v && best == best) {
								best, at, found = v, int32(row+kx), true
							}
						}
					}
					o := s*od + c*out.H*out.W + oy*out.W + ox
					ys[o], arg[o] = best, at
				}
			}
		}
	}
	record(p.l, x, y, train)
	return y
}

func (p *maxPool) backward(dy *mat.Dense) *mat.Dense {
	if !p.needDx {
		return nil
	}
	n, od := dy.Dims()
	d := p.l.In.Size()
	dx := p.dx.resize(n, d)
	dxs, dys := raw(dx), raw(dy)
	clear(dxs)
	for s := range n {
		for i, g := range dys[s*od : (s+1)*od] {
			dxs[s*d+int(p.arg[s*od+i])] += g
		}
	}
	return dx
}

// flatten turns a C×H×W sample into a vector of C·H·W values. The storage
// is already flat, so it passes its matrices through untouched.
type flatten struct{ l *Layer }

func newFlatten(l *Layer) *flatten {
	l.Out = Vector(l.In.Size())
	return &flatten{l: l}
}

func (f *flatten) layer() *Layer                     { return f.l }
func (f *flatten) setNeedDx(bool)                    {}
func (f *flatten) backward(dy *mat.Dense) *mat.Dense { return dy }
func (f *flatten) forward(x *mat.Dense, train bool) *mat.Dense {
	record(f.l, x, x, train)
	return x
}
