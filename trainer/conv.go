package trainer

import (
	"gonum.org/v1/gonum/mat"

	"github.com/tbgo/tbgo/trainer/internal/kernel"
)

// conv is a 2-D convolution (cross-correlation, as in every framework)
// of F filters of size k×k over C input channels, with a stride and zero
// padding on every side. It lowers each batch to one matrix product: the
// patches of every output position of every sample become the rows of a
// (n·P)×(C·k·k) matrix (im2col), multiplied by Wᵀ, W being F×(C·k·k).
type conv struct {
	l                    *Layer
	k, stride, pad       int
	f, patch, pos        int     // filters, C·k·k, output positions P
	index                []int32 // per (position, patch entry): input offset, −1 in the padding
	w, b                 *Param
	cols, dcols, yt, dyt buffer
	dx, y                buffer
	needDx               bool
	ws                   kernel.Workspace
}

// convOut returns the output size of a convolution along one dimension,
// or 0 when the kernel does not fit.
func convOut(in, k, stride, pad int) int {
	if in+2*pad < k {
		return 0
	}
	return (in+2*pad-k)/stride + 1
}

func newConv(l *Layer, filters, k, stride, pad int, bias bool) *conv {
	in := l.In
	oh, ow := convOut(in.H, k, stride, pad), convOut(in.W, k, stride, pad)
	c := &conv{l: l, k: k, stride: stride, pad: pad, f: filters, patch: in.C * k * k, pos: oh * ow}
	c.index = make([]int32, c.pos*c.patch)
	for oy := range oh {
		for ox := range ow {
			p := oy*ow + ox
			for ch := range in.C {
				for ky := range k {
					for kx := range k {
						iy, ix := oy*stride-pad+ky, ox*stride-pad+kx
						off := int32(-1)
						if iy >= 0 && iy < in.H && ix >= 0 && ix < in.W {
							off = int32(ch*in.H*in.W + iy*in.W + ix)
						}
						c.index[p*c.patch+(ch*k+ky)*k+kx] = off
					}
				}
			}
		}
	}
	c.w = newParam(l.Name, "weights", Weight, filters, c.patch, []int{filters, in.C, k, k})
	c.w.FanIn, c.w.FanOut = c.patch, filters*k*k
	l.Params = append(l.Params, c.w)
	if bias {
		c.b = newParam(l.Name, "bias", Bias, 1, filters, []int{filters})
		l.Params = append(l.Params, c.b)
	}
	l.Out = Shape{C: filters, H: oh, W: ow}
	return c
}

func (c *conv) layer() *Layer       { return c.l }
func (c *conv) setNeedDx(need bool) { c.needDx = need }

func (c *conv) forward(x *mat.Dense, train bool) *mat.Dense {
	n, d := x.Dims()
	xs := raw(x)
	rows := n * c.pos
	cols := raw(c.cols.resize(rows, c.patch))
	for s := range n {
		xr := xs[s*d : (s+1)*d]
		cs := cols[s*c.pos*c.patch : (s+1)*c.pos*c.patch]
		for i, off := range c.index {
			if off >= 0 {
				cs[i] = xr[off]
			} else {
				cs[i] = 0
			}
		}
	}
	yt := raw(c.yt.resize(rows, c.f))
	c.ws.Gemm(false, true, rows, c.f, c.patch, cols, c.patch, raw(c.w.Value), c.patch, yt, c.f, false)
	// yt is (sample, position)×filter; the output is sample×(filter, position).
	y := c.y.resize(n, c.f*c.pos)
	ys := raw(y)
	var bias []float64
	if c.b != nil {
		bias = raw(c.b.Value)
	}
	for s := range n {
		yr := ys[s*c.f*c.pos : (s+1)*c.f*c.pos]
		ts := yt[s*c.pos*c.f : (s+1)*c.pos*c.f]
		for p := range c.pos {
			tr := ts[p*c.f : (p+1)*c.f]
			for f, v := range tr {
				if bias != nil {
					v += bias[f]
				}
				yr[f*c.pos+p] = v
			}
		}
	}
	record(c.l, x, y, train)
	return y
}

func (c *conv) backward(dy *mat.Dense) *mat.Dense {
	n, _ := dy.Dims()
	rows := n * c.pos
	dys := raw(dy)
	dyt := raw(c.dyt.resize(rows, c.f))
	for s := range n {
		dr := dys[s*c.f*c.pos : (s+1)*c.f*c.pos]
		ts := dyt[s*c.pos*c.f : (s+1)*c.pos*c.f]
		for f := range c.f {
			for p, v := range dr[f*c.pos : (f+1)*c.pos] {
				ts[p*c.f+f] = v
			}
		}
	}
	cols := raw(&c.cols.m)
	c.ws.Gemm(true, false, c.f, c.patch, rows, dyt, c.f, cols, c.patch, raw(c.w.Grad), c.patch, true)
	if c.b != nil {
		addColSums(raw(c.b.Grad), dyt)
	}
	if !c.needDx {
		return nil
	}
	// The patch gradients scatter back onto the input (col2im).
	cols = raw(c.dcols.resize(rows, c.patch))
	c.ws.Gemm(false, false, rows, c.patch, c.f, dyt, c.f, raw(c.w.Value), c.patch, cols, c.patch, false)
	d := c.l.In.Size()
	dx := c.dx.resize(n, d)
	dxs := raw(dx)
	clear(dxs)
	for s := range n {
		xr := dxs[s*d : (s+1)*d]
		cs := cols[s*c.pos*c.patch : (s+1)*c.pos*c.patch]
		for i, off := range c.index {
			if off >= 0 {
				xr[off] += cs[i]
			}
		}
	}
	return dx
}
