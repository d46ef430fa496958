package trainer

import (
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/mat"
)

// dropout zeroes each input with probability rate in training and scales
// the others by 1/(1−rate) (inverted dropout), so that evaluation is the
// identity. Each dropout layer draws its masks from its own generator,
// seeded from the model's seed and the layer's position.
type dropout struct {
	l      *Layer
	rate   float64
	rng    *rand.Rand
	mask   buffer
	frozen bool // keep the last mask (gradient checks)
	masked bool // the last forward applied a mask
	y, dx  buffer
}

func newDropout(l *Layer, rate float64, seed uint64, position int) *dropout {
	l.Out = l.In
	return &dropout{l: l, rate: rate, rng: rand.New(rand.NewPCG(seed, 0x64726f70+uint64(position)))}
}

func (d *dropout) layer() *Layer  { return d.l }
func (d *dropout) setNeedDx(bool) {}
func (d *dropout) forward(x *mat.Dense, train bool) *mat.Dense {
	d.masked = train && d.rate > 0
	if !d.masked {
		record(d.l, x, x, train)
		return x
	}
	n, w := x.Dims()
	mr, _ := d.mask.m.Dims()
	if !d.frozen || mr != n {
		mask := raw(d.mask.resize(n, w))
		keepBits := math.Float64bits(1 / (1 - d.rate))
		// Two draws per 64 random bits: a value is dropped when its 32
		// bits fall below rate·2³².
		cut := uint64(d.rate * (1 << 32))
		var bits uint64
		for i := range mask {
			if i&1 == 0 {
				bits = d.rng.Uint64()
			} else {
				bits >>= 32
			}
			m := uint64(0) // branch-free: drops are unpredictable
			if bits&(1<<32-1) >= cut {
				m = ^m
			}
			mask[i] = math.Float64frombits(keepBits & m)
		}
	}
	y := d.y.resize(n, w)
	ys, xs, mask := raw(y), raw(x), raw(&d.mask.m)
	for i, v := range xs {
		ys[i] = v * mask[i]
	}
	record(d.l, x, y, train)
	return y
}

func (d *dropout) backward(dy *mat.Dense) *mat.Dense {
	if !d.masked {
		return dy
	}
	n, w := dy.Dims()
	dx := d.dx.resize(n, w)
	dxs, dys, mask := raw(dx), raw(dy), raw(&d.mask.m)
	for i, g := range dys {
		dxs[i] = g * mask[i]
	}
	return dx
}
