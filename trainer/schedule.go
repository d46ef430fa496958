package trainer

import (
	"math"
	"slices"
)

// A Schedule gives the learning rate of each optimiser step: At(step),
// steps counted from 0.
type Schedule interface {
	At(step int) float64
}

// A MetricSchedule is a Schedule driven by a metric as well as the step:
// Train reports the validation loss (or, without validation data, the
// mean training loss since the last evaluation) after each evaluation.
type MetricSchedule interface {
	Schedule
	Report(step int, metric float64)
}

// Constant is the learning rate LR at every step.
type Constant struct{ LR float64 }

// At implements Schedule.
func (c Constant) At(int) float64 { return c.LR }

// StepDecay multiplies the rate by Gamma every Every steps:
// LR·Gamma^⌊step/Every⌋.
type StepDecay struct {
	LR    float64
	Every int
	Gamma float64
}

// At implements Schedule.
func (s StepDecay) At(step int) float64 {
	if s.Every <= 0 {
		return s.LR
	}
	return s.LR * math.Pow(s.Gamma, float64(step/s.Every))
}

// Exponential decays the rate smoothly by Rate every Steps steps:
// LR·Rate^(step/Steps).
type Exponential struct {
	LR    float64
	Rate  float64
	Steps int
}

// At implements Schedule.
func (e Exponential) At(step int) float64 {
	if e.Steps <= 0 {
		return e.LR
	}
	return e.LR * math.Pow(e.Rate, float64(step)/float64(e.Steps))
}

// InverseTime is the 1/t decay LR/(1 + Rate·step/Steps).
type InverseTime struct {
	LR    float64
	Rate  float64
	Steps int
}

// At implements Schedule.
func (d InverseTime) At(step int) float64 {
	s := max(d.Steps, 1)
	return d.LR / (1 + d.Rate*float64(step)/float64(s))
}

// Cosine anneals the rate from LR to Min over Steps steps, then stays at
// Min: Min + (LR − Min)·(1 + cos(π·min(step, Steps)/Steps))/2.
type Cosine struct {
	LR    float64
	Min   float64
	Steps int
}

// At implements Schedule.
func (c Cosine) At(step int) float64 {
	if c.Steps <= 0 {
		return c.LR
	}
	t := float64(min(step, c.Steps)) / float64(c.Steps)
	return c.Min + (c.LR-c.Min)*(1+math.Cos(math.Pi*t))/2
}

// Warmup ramps another schedule up linearly over its first Steps steps:
// Then.At(step)·(step+1)/Steps before step Steps, Then.At(step) after. It
// passes metrics on to Then when Then is a MetricSchedule.
type Warmup struct {
	Steps int
	Then  Schedule
}

// At implements Schedule.
func (w Warmup) At(step int) float64 {
	lr := w.Then.At(step)
	if step < w.Steps {
		lr *= float64(step+1) / float64(w.Steps)
	}
	return lr
}

// Report implements MetricSchedule.
func (w Warmup) Report(step int, metric float64) {
	if m, ok := w.Then.(MetricSchedule); ok {
		m.Report(step, metric)
	}
}

// Plateau multiplies the rate by Factor when the reported metric (lower is
// better) has not improved by more than MinDelta for Patience reports in a
// row, as Keras's ReduceLROnPlateau does, never going below Min. A NaN
// metric counts as no improvement. Use it through a pointer: it keeps
// state.
type Plateau struct {
	LR       float64
	Factor   float64 // default 0.1
	Patience int     // default 10
	MinDelta float64 // default 1e-4
	Min      float64

	cur     float64
	best    float64
	bad     int
	started bool
	// Reductions counts the reductions so far.
	Reductions int
}

func (p *Plateau) start() {
	if !p.started {
		p.cur, p.best, p.started = p.LR, math.Inf(1), true
	}
}

// At implements Schedule: the current rate, whatever the step.
func (p *Plateau) At(int) float64 {
	p.start()
	return p.cur
}

// Report implements MetricSchedule.
func (p *Plateau) Report(_ int, metric float64) {
	p.start()
	delta, patience, factor := p.MinDelta, p.Patience, p.Factor
	if delta == 0 {
		delta = 1e-4
	}
	if patience == 0 {
		patience = 10
	}
	if factor == 0 {
		factor = 0.1
	}
	if metric < p.best-delta {
		p.best, p.bad = metric, 0
		return
	}
	p.bad++
	if p.bad >= patience {
		if next := max(p.cur*factor, p.Min); next < p.cur {
			p.cur = next
			p.Reductions++
		}
		p.bad = 0
	}
}

// A ScheduleSpec describes a learning-rate schedule in a configuration
// file:
//
//	schedule:
//	  name: cosine     # constant (default), step, exponential, inverse_time, cosine, plateau
//	  lr: 0.1
//	  warmup: 100      # steps of linear warm-up before the schedule, any name
//	  every: 1000      # step: decay every this many steps
//	  gamma: 0.5       # step: the factor
//	  rate: 0.96       # exponential, inverse_time
//	  steps: 1000      # exponential, inverse_time: the period; cosine: the length (default: the run's)
//	  min: 1e-5        # cosine, plateau: the floor
//	  factor: 0.1      # plateau
//	  patience: 10     # plateau: evaluations without improvement
type ScheduleSpec struct {
	Name     string  `yaml:"name,omitempty"`
	LR       float64 `yaml:"lr,omitempty"`
	Warmup   int     `yaml:"warmup,omitempty"`
	Every    int     `yaml:"every,omitempty"`
	Gamma    float64 `yaml:"gamma,omitempty"`
	Rate     float64 `yaml:"rate,omitempty"`
	Steps    int     `yaml:"steps,omitempty"`
	Min      float64 `yaml:"min,omitempty"`
	Factor   float64 `yaml:"factor,omitempty"`
	Patience int     `yaml:"patience,omitempty"`
}

// New returns the schedule s describes for a run of totalSteps steps
// (the default length of a cosine schedule), or an error naming a bad
// field.
func (s ScheduleSpec) New(totalSteps int) (Schedule, error) {
	name := s.Name
	if name == "" {
		name = "constant"
	}
	bad := func(field string, v any, want string) (Schedule, error) {
		return nil, valueErrorf("schedule %s: %s is %v, want %s", name, field, v, want)
	}
	if !(s.LR > 0) || math.IsInf(s.LR, 0) {
		return bad("lr", s.LR, "a positive number")
	}
	if s.Warmup < 0 {
		return bad("warmup", s.Warmup, "a number of steps ≥ 0")
	}
	// fields lists the fields that apply besides lr and warmup.
	var fields []string
	var sch Schedule
	switch name {
	case "constant":
		sch = Constant{LR: s.LR}
	case "step":
		fields = []string{"every", "gamma"}
		if s.Every < 1 {
			return bad("every", s.Every, "a number of steps ≥ 1")
		}
		if !(s.Gamma > 0 && s.Gamma <= 1) {
			return bad("gamma", s.Gamma, "a factor in (0, 1]")
		}
		sch = StepDecay{LR: s.LR, Every: s.Every, Gamma: s.Gamma}
	case "exponential", "inverse_time":
		fields = []string{"rate", "steps"}
		if s.Steps < 1 {
			return bad("steps", s.Steps, "a number of steps ≥ 1")
		}
		if name == "exponential" {
			if !(s.Rate > 0 && s.Rate <= 1) {
				return bad("rate", s.Rate, "a factor in (0, 1]")
			}
			sch = Exponential{LR: s.LR, Rate: s.Rate, Steps: s.Steps}
		} else {
			if !(s.Rate >= 0) || math.IsInf(s.Rate, 0) {
				return bad("rate", s.Rate, "a finite value ≥ 0")
			}
			sch = InverseTime{LR: s.LR, Rate: s.Rate, Steps: s.Steps}
		}
	case "cosine":
		fields = []string{"steps", "min"}
		steps := s.Steps
		if steps == 0 {
			steps = totalSteps - s.Warmup
		}
		if steps < 1 {
			return bad("steps", steps, "a number of steps ≥ 1")
		}
		if !(s.Min >= 0 && s.Min <= s.LR) {
			return bad("min", s.Min, "a rate in [0, lr]")
		}
		sch = Cosine{LR: s.LR, Min: s.Min, Steps: steps}
	case "plateau":
		fields = []string{"factor", "patience", "min"}
		if !(s.Factor >= 0 && s.Factor < 1) {
			return bad("factor", s.Factor, "a factor in (0, 1)")
		}
		if s.Patience < 0 {
			return bad("patience", s.Patience, "a number of evaluations ≥ 1")
		}
		if !(s.Min >= 0 && s.Min <= s.LR) {
			return bad("min", s.Min, "a rate in [0, lr]")
		}
		sch = &Plateau{LR: s.LR, Factor: s.Factor, Patience: s.Patience, Min: s.Min}
	default:
		return nil, valueErrorf("unknown schedule %q (constant, step, exponential, inverse_time, cosine or plateau)", s.Name)
	}
	for _, f := range []struct {
		name string
		set  bool
	}{{"every", s.Every != 0}, {"gamma", s.Gamma != 0}, {"rate", s.Rate != 0}, {"steps", s.Steps != 0},
		{"min", s.Min != 0}, {"factor", s.Factor != 0}, {"patience", s.Patience != 0}} {
		if f.set && !slices.Contains(fields, f.name) {
			return nil, valueErrorf("schedule %s takes no %s", name, f.name)
		}
	}
	if s.Warmup > 0 {
		return Warmup{Steps: s.Warmup, Then: sch}, nil
	}
	return sch, nil
}
