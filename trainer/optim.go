package trainer

import (
	"math"

	"github.com/tbgo/tbgo/trainer/internal/kernel"
)

// An Optimizer updates parameters from their gradients. Step changes
// every trainable parameter's Value and records the change in its Update.
// An Optimizer keeps state per parameter (momentum, moments) and must be
// used with one model only.
type Optimizer interface {
	// Step applies one update with learning rate lr.
	Step(params []*Param, lr float64)
	// Name returns the optimiser's name, such as "sgd" or "adam".
	Name() string
}

// SGD is stochastic gradient descent with optional momentum μ and
// Nesterov momentum, as PyTorch defines them. With gradient g, velocity v
// (zero at first) and learning rate η, a step is
//
//	g ← g + λ·θ                      (L2 weight decay, unless Decoupled)
//	v ← μ·v + g
//	Δ = −η·v,  or −η·(g + μ·v) with Nesterov
//	θ ← θ + Δ − η·λ·θ               (the last term only if Decoupled)
//
// Weight decay λ applies to the parameters whose Decay is set (the
// weights, by default, not biases or batch-norm parameters).
type SGD struct {
	Momentum    float64
	Nesterov    bool
	WeightDecay float64
	// Decoupled applies weight decay to the parameters directly instead
	// of adding λ·θ to the gradient (L2 regularisation). For SGD without
	// momentum the two are the same.
	Decoupled bool

	state map[*Param][]float64
}

// Name returns "sgd".
func (o *SGD) Name() string { return "sgd" }

// Step implements Optimizer.
func (o *SGD) Step(params []*Param, lr float64) {
	if o.state == nil {
		o.state = map[*Param][]float64{}
	}
	for _, p := range params {
		if p.Grad == nil {
			continue
		}
		th, g, u := raw(p.Value), raw(p.Grad), raw(p.Update)
		wd := 0.0
		if p.Decay {
			wd = o.WeightDecay
		}
		l2, dec := wd, 0.0
		if o.Decoupled {
			l2, dec = 0, lr*wd
		}
		if o.Momentum == 0 {
			for i, gi := range g {
				d := -lr*(gi+l2*th[i]) - dec*th[i]
				u[i] = d
				th[i] += d
			}
			continue
		}
		v := o.state[p]
		if v == nil {
			v = make([]float64, len(th))
			o.state[p] = v
		}
		mu := o.Momentum
		for i, gi := range g {
			gi += l2 * th[i]
			v[i] = mu*v[i] + gi
			step := v[i]
			if o.Nesterov {
				step = gi + mu*v[i]
			}
			d := -lr*step - dec*th[i]
			u[i] = d
			th[i] += d
		}
	}
}

// Adam is the Adam optimiser with bias correction (Kingma and Ba). With
// gradient g, step count t (from 1) and learning rate η:
//
//	g ← g + λ·θ                        (L2 weight decay, unless Decoupled)
//	m ← β₁·m + (1−β₁)·g,   v ← β₂·v + (1−β₂)·g²
//	Δ = −η·(m/(1−β₁ᵗ)) / (√(v/(1−β₂ᵗ)) + ε)
//	θ ← θ + Δ − η·λ·θ                 (the last term only if Decoupled: AdamW)
//
// Zero fields take the usual defaults: β₁ = 0.9, β₂ = 0.999, ε = 1e-8.
type Adam struct {
	Beta1, Beta2, Epsilon float64
	WeightDecay           float64
	// Decoupled makes the weight decay AdamW's: applied to the
	// parameters, not added to the gradient, so that it is not scaled by
	// the adaptive step.
	Decoupled bool

	t     int
	state map[*Param][]float64 // m then v, each of the parameter's size
}

// Name returns "adam", or "adamw" with decoupled weight decay.
func (o *Adam) Name() string {
	if o.Decoupled && o.WeightDecay != 0 {
		return "adamw"
	}
	return "adam"
}

// Step implements Optimizer.
func (o *Adam) Step(params []*Param, lr float64) {
	if o.state == nil {
		o.state = map[*Param][]float64{}
	}
	b1, b2, eps := o.Beta1, o.Beta2, o.Epsilon
	if b1 == 0 {
		b1 = 0.9
	}
	if b2 == 0 {
		b2 = 0.999
	}
	if eps == 0 {
		eps = 1e-8
	}
	o.t++
	c1 := 1 - math.Pow(b1, float64(o.t))
	c2 := 1 - math.Pow(b2, float64(o.t))
	for _, p := range params {
		if p.Grad == nil {
			continue
		}
		th, g, u := raw(p.Value), raw(p.Grad), raw(p.Update)
		s := o.state[p]
		if s == nil {
			s = make([]float64, 2*len(th))
			o.state[p] = s
		}
		m, v := s[:len(th)], s[len(th):]
		wd := 0.0
		if p.Decay {
			wd = o.WeightDecay
		}
		l2, dec := wd, 0.0
		if o.Decoupled {
			l2, dec = 0, lr*wd
		}
		kernel.Adam(th, g, m, v, u, kernel.AdamConsts{
			Beta1: b1, Beta2: b2, Step: -lr / c1, InvC2: 1 / c2, Eps: eps, L2: l2, Decay: dec,
		})
	}
}

// An OptimizerSpec describes an optimiser in a configuration file:
//
//	optimizer:
//	  name: sgd        # sgd (default), adam
//	  momentum: 0.9
//	  nesterov: true
//	  weight_decay: 1e-4
//	  decoupled: false
//
// The learning rate is the schedule's (see ScheduleSpec).
type OptimizerSpec struct {
	Name        string  `yaml:"name,omitempty"`
	Momentum    float64 `yaml:"momentum,omitempty"`
	Nesterov    bool    `yaml:"nesterov,omitempty"`
	Beta1       float64 `yaml:"beta1,omitempty"`
	Beta2       float64 `yaml:"beta2,omitempty"`
	Epsilon     float64 `yaml:"epsilon,omitempty"`
	WeightDecay float64 `yaml:"weight_decay,omitempty"`
	Decoupled   bool    `yaml:"decoupled,omitempty"`
}

// New returns the optimiser s describes, or an error naming a bad field.
func (s OptimizerSpec) New() (Optimizer, error) {
	bad := func(field string, v any, want string) error {
		return valueErrorf("optimizer %s: %s is %v, want %s", s.Name, field, v, want)
	}
	if !(s.WeightDecay >= 0) || math.IsInf(s.WeightDecay, 0) {
		return nil, bad("weight_decay", s.WeightDecay, "a finite value ≥ 0")
	}
	switch s.Name {
	case "", "sgd":
		if s.Beta1 != 0 || s.Beta2 != 0 || s.Epsilon != 0 {
			return nil, valueErrorf("optimizer sgd takes no beta1, beta2 or epsilon (those are adam's)")
		}
		if !(s.Momentum >= 0 && s.Momentum < 1) {
			return nil, bad("momentum", s.Momentum, "a value in [0, 1)")
		}
		if s.Nesterov && s.Momentum == 0 {
			return nil, valueErrorf("optimizer sgd: nesterov needs momentum")
		}
		return &SGD{Momentum: s.Momentum, Nesterov: s.Nesterov, WeightDecay: s.WeightDecay, Decoupled: s.Decoupled}, nil
	case "adam", "adamw":
		if s.Momentum != 0 || s.Nesterov {
			return nil, valueErrorf("optimizer adam takes no momentum or nesterov (those are sgd's; see beta1)")
		}
		for _, b := range []struct {
			name string
			v    float64
		}{{"beta1", s.Beta1}, {"beta2", s.Beta2}} {
			if !(b.v >= 0 && b.v < 1) {
				return nil, bad(b.name, b.v, "a value in [0, 1)")
			}
		}
		if !(s.Epsilon >= 0) || math.IsInf(s.Epsilon, 0) {
			return nil, bad("epsilon", s.Epsilon, "a finite value ≥ 0")
		}
		return &Adam{Beta1: s.Beta1, Beta2: s.Beta2, Epsilon: s.Epsilon, WeightDecay: s.WeightDecay, Decoupled: s.Decoupled || s.Name == "adamw"}, nil
	}
	return nil, valueErrorf("unknown optimizer %q (sgd or adam)", s.Name)
}
