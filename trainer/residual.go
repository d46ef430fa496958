package trainer

import (
	"gonum.org/v1/gonum/mat"
)

// residual is y = f(x) + s(x): f is the block's layers, s is the identity
// when f keeps the shape, and otherwise a learned projection "proj"
// without bias: a dense layer for vectors, a 1×1 convolution with the
// stride that maps the input's height and width onto f's.
type residual struct {
	l      *Layer
	body   []impl
	proj   impl // nil for the identity
	y, dx  buffer
	needDx bool
}

func (r *residual) layer() *Layer { return r.l }

func (r *residual) setNeedDx(need bool) {
	r.needDx = need
	for i, b := range r.body {
		b.setNeedDx(i > 0 || need)
	}
	if r.proj != nil {
		r.proj.setNeedDx(need)
	}
}

func (r *residual) forward(x *mat.Dense, train bool) *mat.Dense {
	h := x
	for _, b := range r.body {
		h = b.forward(h, train)
	}
	skip := x
	if r.proj != nil {
		skip = r.proj.forward(x, train)
	}
	n, d := h.Dims()
	y := r.y.resize(n, d)
	ys, hs, ss := raw(y), raw(h), raw(skip)
	for i, v := range hs {
		ys[i] = v + ss[i]
	}
	record(r.l, x, y, train)
	return y
}

func (r *residual) backward(dy *mat.Dense) *mat.Dense {
	g := dy
	for i := len(r.body) - 1; i >= 0; i-- {
		g = r.body[i].backward(g)
	}
	ds := dy
	if r.proj != nil {
		ds = r.proj.backward(dy)
	}
	if !r.needDx {
		return nil
	}
	n, d := ds.Dims()
	dx := r.dx.resize(n, d)
	dxs, gs, ss := raw(dx), raw(g), raw(ds)
	for i, v := range gs {
		dxs[i] = v + ss[i]
	}
	return dx
}
