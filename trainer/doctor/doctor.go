package doctor

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/tbgo/tbgo/trainer"
	"github.com/tbgo/tbgo/trainer/data"
)

// A Setup is what the doctor examines: a model description, the data it
// will train on, preprocessed exactly as for training, and how it will be
// trained.
type Setup struct {
	// Name names the setup in the report, such as "mlp on digits".
	Name string
	// Spec describes the model, Input the shape of one sample.
	Spec  trainer.Spec
	Input trainer.Shape
	// Seed seeds the models the checks build and their shuffling: the
	// same Setup and Seed give the same report, bit for bit.
	Seed uint64
	// Train is the training data, after preprocessing. Val is the
	// validation data; nil holds out a stratified 20% of Train for the
	// checks that need held-out data.
	Train, Val *data.Dataset
	// Loss is the loss to minimise; nil means softmax cross-entropy with
	// ClassWeights.
	Loss         trainer.Loss
	ClassWeights []float64
	// Balanced says that training will draw classes uniformly (a
	// class-balanced sampler), which, like class weights, compensates a
	// class imbalance (rule 17).
	Balanced bool
	// Optimizer describes the optimiser; its zero value is plain SGD,
	// as for OptimizerSpec.New. LR is the learning rate training starts
	// from (a schedule's peak); 0 means 1e-3. BatchSize is the number of
	// samples per step; 0 means 32.
	Optimizer trainer.OptimizerSpec
	LR        float64
	BatchSize int
}

// Options tunes the checks. The zero value (or a nil *Options) runs every
// check with the defaults below.
type Options struct {
	// Checks lists the IDs of the checks to run, in any order; nil runs
	// every check. The report keeps the order of IDs.
	Checks []string

	// OverfitSamples is the size of the tiny subset of check "overfit",
	// 2 to 20 (default 20, or all of Train if smaller), OverfitSteps the
	// steps it may take (default 500) and OverfitLoss the loss it must
	// reach, with every sample classified correctly (default 0.05; for a
	// regression, a fraction of the first loss, default 0.01).
	OverfitSamples int
	OverfitSteps   int
	OverfitLoss    float64

	// SignalSteps is the length of each of the two runs of check
	// "signal", on real and on zeroed inputs (default 300). SignalMargin
	// is how much lower the real run's held-out loss must be, as a
	// fraction of the zeroed run's (default 0.1).
	SignalSteps  int
	SignalMargin float64

	// GradSamples is the number of samples of the gradient check (default
	// 4), GradValues the number of values checked per tensor, drawn at
	// random (default 30; negative checks every value).
	GradSamples int
	GradValues  int

	// RangeSteps is the length of the learning-rate range test (default
	// 200), from RangeMin (default 1e-6) to RangeMax (default 10).
	RangeSteps         int
	RangeMin, RangeMax float64
}

// The IDs of the checks, in the order Run performs and reports them.
const (
	CheckInputs    = "inputs"    // rule 11: input statistics
	CheckBalance   = "balance"   // rule 17: class balance
	CheckOverlap   = "overlap"   // rule 22: rows shared by training and validation
	CheckInit      = "init"      // rule 12: weight scale at initialisation
	CheckInitLoss  = "init_loss" // rule 1: loss at initialisation vs a healthy one
	CheckGradients = "gradients" // rule 4: gradient check
	CheckOverfit   = "overfit"   // rule 2: overfit a tiny subset
	CheckSignal    = "signal"    // rule 3: real vs zeroed inputs
	CheckLRRange   = "lr_range"  // learning-rate range test
)

// CheckIDs returns the IDs of every check, in the order Run performs them.
func CheckIDs() []string {
	return []string{CheckInputs, CheckBalance, CheckOverlap, CheckInit, CheckInitLoss, CheckGradients, CheckOverfit, CheckSignal, CheckLRRange}
}

// A Verdict is the outcome of a check.
type Verdict int

// The verdicts. Only Fail makes a report fail; Warn points at something
// to look at, Skip at a check that does not apply (a regression has no
// class balance).
const (
	Pass Verdict = iota
	Warn
	Fail
	Skip
)

// String returns "pass", "warn", "FAIL" or "skip".
func (v Verdict) String() string {
	switch v {
	case Pass:
		return "pass"
	case Warn:
		return "warn"
	case Fail:
		return "FAIL"
	case Skip:
		return "skip"
	}
	return fmt.Sprintf("Verdict(%d)", int(v))
}

// A Check is the outcome of one check of the checklist.
type Check struct {
	// ID is one of the Check constants; Rule the rule of the trainer's
	// docs/DIAGNOSTICS.md it implements (0 for the learning-rate range test,
	// which has none); Title a few words for the report.
	ID    string
	Rule  int
	Title string
	// Verdict is the outcome, Measured what was measured and Expected
	// the threshold it was held to, both as short text.
	Verdict  Verdict
	Measured string
	Expected string
	// Fix suggests what to do when the verdict is Warn or Fail.
	Fix string
	// Value is the check's main number (the initial loss, the worst
	// relative error, the suggested learning rate...), NaN if none.
	Value float64
}

// A Report is the outcome of Run.
type Report struct {
	// Name is the Setup's.
	Name string
	// Checks are the checks run, in order.
	Checks []Check
	// Weights has the initialisation of each weight tensor, when check
	// "init" ran.
	Weights []WeightInit
	// Grad is the gradient check's result, when check "gradients" ran.
	Grad *trainer.GradCheck
	// Range is the learning-rate range test, when check "lr_range" ran.
	Range *LRRange
	// LR is the learning rate the setup trains with.
	LR float64
	// Elapsed is how long the checks took (not deterministic, and not
	// part of the Markdown report).
	Elapsed time.Duration
}

// Check returns the check with the given ID, or nil if it did not run.
func (r *Report) Check(id string) *Check {
	for i := range r.Checks {
		if r.Checks[i].ID == id {
			return &r.Checks[i]
		}
	}
	return nil
}

// Failed reports whether any check failed.
func (r *Report) Failed() bool {
	for _, c := range r.Checks {
		if c.Verdict == Fail {
			return true
		}
	}
	return false
}

// Count returns how many checks have the verdict v.
func (r *Report) Count(v Verdict) int {
	n := 0
	for _, c := range r.Checks {
		if c.Verdict == v {
			n++
		}
	}
	return n
}

// doctor holds a Setup with its defaults filled in while the checks run.
type doctor struct {
	s          Setup
	o          Options
	loss       trainer.Loss
	all        trainer.Data // Setup.Train
	train, val trainer.Data // Setup.Train and Val, or Train split 80/20

	classes int // 0 for regression
	outputs int
	rep     *Report
}

// Run runs the checks of o on s and returns the report. It returns an
// error, before any check, for a setup that cannot train at all: a model
// description that does not build, data that does not fit the model or
// the loss (with the trainer's message naming sample and value), an
// optimiser description that does not make an optimiser, an unknown check
// ID. A check that finds a problem is a failed check in the report, not
// an error; so is a loss that turns NaN. Cancelling ctx stops the check
// under way and returns ctx.Err().
func Run(ctx context.Context, s Setup, o *Options) (*Report, error) {
	start := time.Now()
	d, err := newDoctor(s, o)
	if err != nil {
		return nil, err
	}
	checks := map[string]func(context.Context) (Check, error){
		CheckInputs:    d.checkInputs,
		CheckBalance:   d.checkBalance,
		CheckOverlap:   d.checkOverlap,
		CheckInit:      d.checkInit,
		CheckInitLoss:  d.checkInitLoss,
		CheckGradients: d.checkGradients,
		CheckOverfit:   d.checkOverfit,
		CheckSignal:    d.checkSignal,
		CheckLRRange:   d.checkLRRange,
	}
	for _, id := range CheckIDs() {
		if d.o.Checks != nil && !slices.Contains(d.o.Checks, id) {
			continue
		}
		c, err := checks[id](ctx)
		if err != nil {
			return nil, err
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		d.rep.Checks = append(d.rep.Checks, c)
	}
	d.rep.Elapsed = time.Since(start)
	return d.rep, nil
}

func newDoctor(s Setup, o *Options) (*doctor, error) {
	d := &doctor{s: s, rep: &Report{Name: s.Name}}
	if o != nil {
		d.o = *o
	}
	for _, id := range d.o.Checks {
		if !slices.Contains(CheckIDs(), id) {
			return nil, fmt.Errorf("doctor: unknown check %q (one of %v)", id, CheckIDs())
		}
	}
	def := func(p *int, v int) {
		if *p == 0 {
			*p = v
		}
	}
	deff := func(p *float64, v float64) {
		if *p == 0 {
			*p = v
		}
	}
	def(&d.o.OverfitSamples, 20)
	def(&d.o.OverfitSteps, 500)
	def(&d.o.SignalSteps, 300)
	deff(&d.o.SignalMargin, 0.1)
	def(&d.o.GradSamples, 4)
	def(&d.o.GradValues, 30)
	def(&d.o.RangeSteps, 200)
	deff(&d.o.RangeMin, 1e-6)
	deff(&d.o.RangeMax, 10)
	def(&d.s.BatchSize, 32)
	deff(&d.s.LR, 1e-3)
	d.rep.LR = d.s.LR
	switch {
	case d.o.OverfitSamples < 2 || d.o.OverfitSamples > 20:
		return nil, fmt.Errorf("doctor: OverfitSamples %d, want 2 to 20", d.o.OverfitSamples)
	case d.o.OverfitSteps < 1 || d.o.SignalSteps < 1 || d.o.GradSamples < 1 || d.o.RangeSteps < 10:
		return nil, errors.New("doctor: OverfitSteps, SignalSteps and GradSamples must be positive, RangeSteps at least 10")
	case !(d.o.RangeMin > 0 && d.o.RangeMax > d.o.RangeMin && !math.IsInf(d.o.RangeMax, 1)):
		return nil, fmt.Errorf("doctor: learning-rate range [%g, %g], want 0 < min < max", d.o.RangeMin, d.o.RangeMax)
	case !(d.o.OverfitLoss >= 0) || !(d.o.SignalMargin >= 0 && d.o.SignalMargin < 1):
		return nil, errors.New("doctor: OverfitLoss must not be negative, SignalMargin in [0, 1)")
	case !(d.s.LR > 0) || math.IsInf(d.s.LR, 1) || d.s.BatchSize < 1:
		return nil, fmt.Errorf("doctor: learning rate %g and batch size %d, want both positive", d.s.LR, d.s.BatchSize)
	}
	if s.Train == nil || s.Train.Len() == 0 {
		return nil, errors.New("doctor: no training data")
	}
	if err := s.Train.Validate(); err != nil {
		return nil, fmt.Errorf("doctor: training data: %w", err)
	}
	if _, err := s.Optimizer.New(); err != nil {
		return nil, fmt.Errorf("doctor: %w", err)
	}
	d.loss = s.Loss
	if d.loss == nil {
		d.loss = trainer.SoftmaxCrossEntropy{Weights: s.ClassWeights}
	} else if s.ClassWeights != nil {
		return nil, errors.New("doctor: ClassWeights applies to the default loss only; set the weights in Loss")
	}
	m, err := d.model(s.Spec)
	if err != nil {
		return nil, fmt.Errorf("doctor: %w", err)
	}
	d.outputs = m.OutShape().Size()
	if s.Train.IsClassification() {
		d.classes = s.Train.Classes
	}
	val := s.Val
	if val == nil || val.Len() == 0 {
		var train *data.Dataset
		var err error
		train, val, _, err = s.Train.Split(data.SplitOptions{Val: 0.2, Seed: s.Seed})
		if err != nil {
			return nil, fmt.Errorf("doctor: holding out validation data: %w", err)
		}
		d.train = trainData(train)
	} else {
		if err := val.Validate(); err != nil {
			return nil, fmt.Errorf("doctor: validation data: %w", err)
		}
		d.train = trainData(s.Train)
	}
	d.val = trainData(val)
	d.all = trainData(s.Train)
	// Evaluate checks the data against the model and the loss, with the
	// trainer's messages naming sample and value.
	if _, err := trainer.Evaluate(m, d.loss, d.all, 0); err != nil {
		return nil, fmt.Errorf("doctor: %w", err)
	}
	if _, err := trainer.Evaluate(m, d.loss, d.val, 0); err != nil {
		return nil, fmt.Errorf("doctor: %w", err)
	}
	return d, nil
}

// trainData converts a data.Dataset to the trainer's Data.
func trainData(ds *data.Dataset) trainer.Data {
	return trainer.Data{X: ds.X, Y: ds.Y, Targets: ds.Targets}
}

// model builds spec for the setup's input with the setup's seed.
func (d *doctor) model(spec trainer.Spec) (*trainer.Model, error) {
	return trainer.NewModel(d.s.Input, spec, d.s.Seed)
}

// optimizer returns a fresh optimiser as the setup describes it, without
// weight decay if noDecay.
func (d *doctor) optimizer(noDecay bool) trainer.Optimizer {
	spec := d.s.Optimizer
	if noDecay {
		spec.WeightDecay = 0
	}
	opt, err := spec.New()
	if err != nil {
		panic(err) // checked by newDoctor
	}
	return opt
}
