package trainer

import (
	"math"

	"gonum.org/v1/gonum/mat"
)

// batchNorm normalises each channel over the batch and, for images, over
// the positions: with M = n·H·W values of channel c in the batch,
//
//	μ = Σx/M,  σ² = Σ(x−μ)²/M,  x̂ = (x−μ)/√(σ²+ε),  y = γ·x̂ + β.
//
// In training, the running statistics follow
// r ← (1−momentum)·r + momentum·batch, with the unbiased variance
// σ²·M/(M−1) for the running variance (as PyTorch does); in evaluation, μ
// and σ² are the running statistics.
type batchNorm struct {
	l                  *Layer
	momentum, eps      float64
	gamma, beta        *Param
	mean, variance     *Param // running statistics
	xhat, y, dx        buffer
	invStd, sum, sumXh []float64
	train              bool
	needDx             bool
}

func newBatchNorm(l *Layer, momentum, eps float64) *batchNorm {
	c := l.In.C
	b := &batchNorm{l: l, momentum: momentum, eps: eps,
		invStd: make([]float64, c), sum: make([]float64, c), sumXh: make([]float64, c)}
	b.gamma = newParam(l.Name, "scale", Scale, 1, c, []int{c})
	b.beta = newParam(l.Name, "shift", Shift, 1, c, []int{c})
	b.mean = newParam(l.Name, "running_mean", RunningMean, 1, c, []int{c})
	b.variance = newParam(l.Name, "running_var", RunningVar, 1, c, []int{c})
	fill(raw(b.gamma.Value), 1)
	fill(raw(b.variance.Value), 1)
	b.gamma.Init = Init{Kind: InitConstant, Scale: 1}
	b.beta.Init = Init{Kind: InitConstant}
	l.Params = append(l.Params, b.gamma, b.beta)
	l.Buffers = append(l.Buffers, b.mean, b.variance)
	l.Out = l.In
	return b
}

func (b *batchNorm) layer() *Layer       { return b.l }
func (b *batchNorm) setNeedDx(need bool) { b.needDx = need }

func (b *batchNorm) forward(x *mat.Dense, train bool) *mat.Dense {
	n, d := x.Dims()
	c, p := b.l.In.C, b.l.In.H*b.l.In.W
	xs := raw(x)
	xh := raw(b.xhat.resize(n, d))
	y := b.y.resize(n, d)
	ys := raw(y)
	gamma, beta := raw(b.gamma.Value), raw(b.beta.Value)
	rm, rv := raw(b.mean.Value), raw(b.variance.Value)
	m := float64(n * p)
	for ch := range c {
		var mu, v float64
		if train {
			for s := range n {
				for _, xv := range xs[s*d+ch*p : s*d+(ch+1)*p] {
					mu += xv
				}
			}
			mu /= m
			for s := range n {
				for _, xv := range xs[s*d+ch*p : s*d+(ch+1)*p] {
					v += (xv - mu) * (xv - mu)
				}
			}
			v /= m
			unbiased := v
			if n*p > 1 {
				unbiased = v * m / (m - 1)
			}
			rm[ch] = (1-b.momentum)*rm[ch] + b.momentum*mu
			rv[ch] = (1-b.momentum)*rv[ch] + b.momentum*unbiased
		} else {
			mu, v = rm[ch], rv[ch]
		}
		inv := 1 / math.Sqrt(v+b.eps)
		b.invStd[ch] = inv
		g, bt := gamma[ch], beta[ch]
		for s := range n {
			lo, hi := s*d+ch*p, s*d+(ch+1)*p
			for i := lo; i < hi; i++ {
				h := (xs[i] - mu) * inv
				xh[i] = h
				ys[i] = g*h + bt
			}
		}
	}
	b.train = train
	record(b.l, x, y, train)
	return y
}

func (b *batchNorm) backward(dy *mat.Dense) *mat.Dense {
	n, d := dy.Dims()
	c, p := b.l.In.C, b.l.In.H*b.l.In.W
	dys, xh := raw(dy), raw(&b.xhat.m)
	dgamma, dbeta, gamma := raw(b.gamma.Grad), raw(b.beta.Grad), raw(b.gamma.Value)
	for ch := range c {
		var sum, sumXh float64
		for s := range n {
			lo, hi := s*d+ch*p, s*d+(ch+1)*p
			for i := lo; i < hi; i++ {
				sum += dys[i]
				sumXh += dys[i] * xh[i]
			}
		}
		b.sum[ch], b.sumXh[ch] = sum, sumXh
		dgamma[ch] += sumXh
		dbeta[ch] += sum
	}
	if !b.needDx {
		return nil
	}
	dx := b.dx.resize(n, d)
	dxs := raw(dx)
	m := float64(n * p)
	for ch := range c {
		k := gamma[ch] * b.invStd[ch]
		// In training μ and σ depend on x: dx = γ/(σM)·(M·dy − Σdy − x̂·Σ(dy·x̂)).
		meanDy, meanDyXh := b.sum[ch]/m, b.sumXh[ch]/m
		for s := range n {
			lo, hi := s*d+ch*p, s*d+(ch+1)*p
			for i := lo; i < hi; i++ {
				if b.train {
					dxs[i] = k * (dys[i] - meanDy - xh[i]*meanDyXh)
				} else {
					dxs[i] = k * dys[i]
				}
			}
		}
	}
	return dx
}

func fill(s []float64, v float64) {
	for i := range s {
		s[i] = v
	}
}
