package sweep

import (
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
)

// A span is the current range of one parameter: lo and hi for a numeric
// parameter, values for a choice. Stage 1 spans the whole range; later
// stages narrow it (narrow).
type span struct {
	lo, hi float64
	values []string
}

// A point is one value of each parameter, as text the run configuration
// reads, aligned with Config.Params.
type point []string

// space returns the spans of stage 1: every parameter's whole range.
func (c *Config) space() []span {
	s := make([]span, len(c.Params))
	for i, p := range c.Params {
		s[i] = span{lo: p.Low, hi: p.High, values: p.Values}
	}
	return s
}

// warp maps a value of p into the space its distribution is uniform in:
// log10 for a log-uniform parameter, the value itself otherwise.
func (p *Param) warp(v float64) float64 {
	if p.Type == LogUniform {
		return math.Log10(v)
	}
	return v
}

// unwarp inverts warp.
func (p *Param) unwarp(u float64) float64 {
	if p.Type == LogUniform {
		return math.Pow(10, u)
	}
	return u
}

// format returns v as the text of a trial's value: an integer for an
// int_uniform parameter; otherwise rounded to 4 significant digits (so
// that tables and the HParams dashboard show 0.003162, not
// 0.0031622776601683794) and clamped into [lo, hi], in Go's shortest
// round-tripping form.
func (p *Param) format(v, lo, hi float64) string {
	if p.Type == IntUniform {
		return strconv.FormatInt(int64(math.Round(math.Max(lo, math.Min(hi, v)))), 10)
	}
	r, _ := strconv.ParseFloat(strconv.FormatFloat(v, 'g', 4, 64), 64)
	r = math.Max(lo, math.Min(hi, r))
	return strconv.FormatFloat(r, 'g', -1, 64)
}

// gridValues returns the grid points of p over s: the choices, or Points
// values evenly spaced in warped space from lo to hi (deduplicated after
// rounding, for integers).
func (p *Param) gridValues(s span) []string {
	if !p.numeric() {
		return s.values
	}
	a, b := p.warp(s.lo), p.warp(s.hi)
	var out []string
	for i := range p.Points {
		v := p.format(p.unwarp(a+(b-a)*float64(i)/float64(p.Points-1)), s.lo, s.hi)
		if !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	return out
}

// sample draws a value of p from s.
func (p *Param) sample(s span, r *rand.Rand) string {
	switch p.Type {
	case Choice:
		return s.values[r.IntN(len(s.values))]
	case IntUniform:
		lo, hi := int64(s.lo), int64(s.hi)
		return strconv.FormatInt(lo+r.Int64N(hi-lo+1), 10)
	}
	a, b := p.warp(s.lo), p.warp(s.hi)
	return p.format(p.unwarp(a+(b-a)*r.Float64()), s.lo, s.hi)
}

// points returns the points of a stage: the grid's product (the first
// parameter varying slowest) or Trials random draws, seeded by the sweep's
// seed and the stage.
func (c *Config) points(stage int, spans []span) []point {
	if c.Method == Grid {
		out := []point{{}}
		for i := range c.Params {
			var next []point
			for _, pt := range out {
				for _, v := range c.Params[i].gridValues(spans[i]) {
					next = append(next, append(slices.Clip(pt), v))
				}
			}
			out = next
		}
		return out
	}
	r := rand.New(rand.NewPCG(c.Seed, uint64(stage)))
	out := make([]point, c.Trials)
	for t := range out {
		pt := make(point, len(c.Params))
		for i := range c.Params {
			pt[i] = c.Params[i].sample(spans[i], r)
		}
		out[t] = pt
	}
	return out
}

// NarrowMargin is the margin of coarse-to-fine search: a stage's range
// of a numeric parameter reaches this fraction of the previous stage's
// span beyond the best trials' values (see narrow).
const NarrowMargin = 0.1

// narrow returns the span of p for the stage after one whose span was s,
// given the values p took in the best trials (top, numbers or texts):
//
//   - a numeric parameter keeps, in warped space (log10 for
//     log-uniform), the interval from the smallest to the largest of the
//     top values, widened on both sides by NarrowMargin of s's width and
//     clipped to s; an integer range is rounded outwards and kept at
//     least 2 wide (within s);
//   - a choice keeps the values the top trials took, in their order.
func (p *Param) narrow(s span, top []string) span {
	if !p.numeric() {
		var vals []string
		for _, v := range s.values {
			if slices.Contains(top, v) {
				vals = append(vals, v)
			}
		}
		if len(vals) == 0 {
			return s
		}
		return span{values: vals}
	}
	a, b := math.Inf(1), math.Inf(-1)
	for _, t := range top {
		v, err := strconv.ParseFloat(t, 64)
		if err != nil {
			continue
		}
		a, b = math.Min(a, p.warp(v)), math.Max(b, p.warp(v))
	}
	if a > b {
		return s
	}
	lo, hi := p.warp(s.lo), p.warp(s.hi)
	m := NarrowMargin * (hi - lo)
	n := span{lo: p.unwarp(math.Max(lo, a-m)), hi: p.unwarp(math.Min(hi, b+m))}
	n.lo, n.hi = math.Max(s.lo, n.lo), math.Min(s.hi, n.hi) // unwarp may round outside
	if p.Type == IntUniform {
		n.lo, n.hi = math.Floor(n.lo), math.Ceil(n.hi)
		if n.lo == n.hi {
			n.lo, n.hi = math.Max(s.lo, n.lo-1), math.Min(s.hi, n.hi+1)
		}
	}
	if !(n.lo < n.hi) {
		return s
	}
	return n
}
