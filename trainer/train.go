package trainer

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/mat"
)

// Data is a set of samples for Train and Evaluate: one sample per row of
// X, in the model's input layout, with class labels Y (classification) or
// target values Targets (regression, multi-label), as in
// trainer/data.Dataset.
type Data struct {
	X       *mat.Dense
	Y       []int
	Targets *mat.Dense
}

// Len returns the number of samples.
func (d Data) Len() int {
	if d.X == nil {
		return 0
	}
	r, _ := d.X.Dims()
	return r
}

func (d Data) targets() Targets { return Targets{Labels: d.Y, Values: d.Targets} }

// check returns an error naming the first problem of d as input to m
// with loss: a width other than the model's input, a target count other
// than the sample count, a non-finite input, a target the loss refuses.
func (d Data) check(name string, m *Model, loss Loss) error {
	r, c := d.X.Dims()
	if c != m.in.Size() {
		return fmt.Errorf("trainer: %s data: samples have %d values, the model's input %s has %d", name, c, m.in, m.in.Size())
	}
	if d.Y != nil && len(d.Y) != r {
		return fmt.Errorf("trainer: %s data: %d labels for %d samples", name, len(d.Y), r)
	}
	if d.Targets != nil {
		if tr, _ := d.Targets.Dims(); tr != r {
			return fmt.Errorf("trainer: %s data: %d target rows for %d samples", name, tr, r)
		}
	}
	for i := range r {
		for j, v := range d.X.RawRowView(i) {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return fmt.Errorf("trainer: %s data: sample %d, value %d is %v", name, i, j, v)
			}
		}
	}
	if err := loss.Check(m.out.Size(), d.targets()); err != nil {
		return fmt.Errorf("%w (%s data)", err, name)
	}
	return nil
}

// Config configures Train. The zero Config trains for 10 epochs with
// batches of 32, softmax cross-entropy, Adam at a constant learning rate
// of 1e-3, evaluating after each epoch.
type Config struct {
	// Epochs is the number of passes over the training data; 0 means 10
	// unless Steps is set.
	Epochs int
	// Steps, if positive, is the number of optimiser steps to take,
	// however many epochs that makes; it overrides Epochs.
	Steps int
	// BatchSize is the number of samples per step, default 32. The last
	// batch of an epoch holds what remains.
	BatchSize int
	// Loss is the loss to minimise; nil means SoftmaxCrossEntropy with
	// ClassWeights.
	Loss Loss
	// ClassWeights weighs the classes of the default loss; it must be
	// nil when Loss is set.
	ClassWeights []float64
	// Optimizer updates the parameters; nil means &Adam{}. It keeps
	// state: use a new one per run.
	Optimizer Optimizer
	// Schedule gives the learning rate per step; nil means Constant{1e-3}.
	// A MetricSchedule (such as *Plateau) is told the validation loss
	// after each evaluation.
	Schedule Schedule
	// ClipNorm, if positive, clips the gradients to this global L2 norm
	// (ClipGlobalNorm) before each step.
	ClipNorm float64
	// ClipValue, if positive, clamps each gradient value into
	// [−ClipValue, ClipValue] (after ClipNorm).
	ClipValue float64
	// Seed seeds the shuffling and the augmentation, independently of the
	// model's seed.
	Seed uint64
	// EvalEvery, if positive, evaluates every EvalEvery steps; 0 means at
	// the end of every epoch. Training always ends with an evaluation.
	EvalEvery int
	// EvalBatch is the number of samples per forward pass when
	// evaluating; default 512. It does not change the results.
	EvalBatch int
	// Patience, if positive, stops training after that many evaluations
	// in a row without the validation loss improving by more than
	// MinDelta (early stopping).
	Patience int
	MinDelta float64
	// Sampler, if not nil, returns the training sample indices of an
	// epoch, in order, for class-balanced sampling or oversampling; it
	// may reuse dst. Nil means every sample once, shuffled with the
	// seeded generator.
	Sampler func(dst []int, epoch int, rng *rand.Rand) []int
	// Augment, if not nil, modifies each training batch in place
	// (distortions), drawing from rng.
	Augment func(x *mat.Dense, rng *rand.Rand)
	// Hooks are called, in order, at each stage of training.
	Hooks []Hook
}

// Metrics are a loss and an accuracy measured over a set of samples.
type Metrics struct {
	// Step is the number of optimiser steps taken when measured.
	Step int
	// Loss is the mean loss; Accuracy the fraction of correctly
	// classified samples, NaN without labels or for a loss that does not
	// classify.
	Loss, Accuracy float64
	// N is the number of samples measured, 0 if none.
	N int
}

// A StopReason says why training ended.
type StopReason string

// The reasons training ends.
const (
	StopDone      StopReason = "done"       // the epochs or steps ran out
	StopEarly     StopReason = "early_stop" // Patience ran out
	StopCancelled StopReason = "cancelled"  // the context was cancelled
	StopHook      StopReason = "hook"       // a hook returned ErrStop
	StopError     StopReason = "error"      // a hook returned another error
)

// ErrStop, returned by a hook, ends training cleanly after the current
// stage; Train then returns a nil error.
var ErrStop = errors.New("trainer: stop requested")

// A Result is what a training run did.
type Result struct {
	// Steps and Epochs count the optimiser steps taken and the epochs
	// started.
	Steps, Epochs int
	// Losses is the training loss of each step, in order.
	Losses []float64
	// Train holds the mean loss and accuracy of the training batches since
	// the previous evaluation, Val the last evaluation of the validation
	// data, Best the evaluation with the lowest validation loss.
	Train, Val, Best Metrics
	// Stop says why training ended.
	Stop StopReason
	// NonFiniteStep is the first step whose training loss was NaN or
	// infinite, −1 if none. Train does not stop for it; a hook may.
	NonFiniteStep int
}

// A Hook watches training; it is how diagnostics and logging plug in
// without the loop knowing about them. Each method receives the State of
// the run, which is valid during the call only, and may return ErrStop to
// end training cleanly or another error to abort it. For each batch the
// order is:
//
//	Forward, Loss, Backward   → AfterBackward (gradients as computed, before clipping)
//	clipping, optimiser step  → AfterStep (Param.Update holds the step's change)
//	every EvalEvery steps     → AfterEval
//
// Start is called once before the first batch, End once at the end,
// whatever the reason (unless Start failed). Embed NopHook to implement
// only some methods, or use HookFuncs.
type Hook interface {
	Start(s *State) error
	AfterBackward(s *State) error
	AfterStep(s *State) error
	AfterEval(s *State) error
	End(s *State) error
}

// NopHook implements every method of Hook by doing nothing. Embed it in a
// hook that needs only some of them.
type NopHook struct{}

// Start does nothing.
func (NopHook) Start(*State) error { return nil }

// AfterBackward does nothing.
func (NopHook) AfterBackward(*State) error { return nil }

// AfterStep does nothing.
func (NopHook) AfterStep(*State) error { return nil }

// AfterEval does nothing.
func (NopHook) AfterEval(*State) error { return nil }

// End does nothing.
func (NopHook) End(*State) error { return nil }

// HookFuncs is a Hook made of functions; nil ones do nothing.
type HookFuncs struct {
	OnStart, OnBackward, OnStep, OnEval, OnEnd func(*State) error
}

func call(f func(*State) error, s *State) error {
	if f == nil {
		return nil
	}
	return f(s)
}

// Start calls OnStart.
func (h HookFuncs) Start(s *State) error { return call(h.OnStart, s) }

// AfterBackward calls OnBackward.
func (h HookFuncs) AfterBackward(s *State) error { return call(h.OnBackward, s) }

// AfterStep calls OnStep.
func (h HookFuncs) AfterStep(s *State) error { return call(h.OnStep, s) }

// AfterEval calls OnEval.
func (h HookFuncs) AfterEval(s *State) error { return call(h.OnEval, s) }

// End calls OnEnd.
func (h HookFuncs) End(s *State) error { return call(h.OnEnd, s) }

// State is what hooks see of a training run. Matrices belong to the
// loop and the model: valid during the hook call only.
type State struct {
	// Model is the model being trained; its Layers hold the inputs and
	// outputs of the current batch's forward pass in AfterBackward and
	// AfterStep (in AfterEval, of the last evaluation batch).
	Model *Model
	// Config is the configuration with every default filled in.
	Config *Config
	// TrainData and ValData are the data; ValData.Len() is 0 without
	// validation.
	TrainData, ValData Data
	// Step is the index of the current batch's step, from 0, in
	// AfterBackward and AfterStep; in AfterEval and End, the number of
	// steps taken. Epoch is the current epoch, from 0.
	Step, Epoch int
	// LR is the learning rate of the current step.
	LR float64
	// Batch holds the current batch (after augmentation), Indices its
	// rows in the training data, Out the model's output on it and Loss
	// the loss; Correct is the number of rows classified correctly, −1 if
	// the loss does not classify.
	Batch   Data
	Indices []int
	Out     *mat.Dense
	Loss    float64
	Correct int
	// GradNorm is the global gradient norm before clipping (GradNorm).
	GradNorm float64
	// Train, Val and Best are as in Result, as of the last evaluation.
	Train, Val, Best Metrics
	// ValOut holds the model's outputs for every validation sample and
	// ValPred the predicted classes (−1 if the loss does not classify),
	// after each evaluation: for confusion matrices and PR curves.
	ValOut  *mat.Dense
	ValPred []int
	// Result is the run so far.
	Result *Result
}

// Train trains m on train, evaluating on val (which may be empty), as cfg
// says, and returns what it did. It checks the configuration and the data
// first: a width other than the model's input, a NaN or infinite input, a
// label out of range or a missing target is an error before any step,
// with a nil Result.
//
// Training is deterministic: the same model seed, data, Config and Seed
// give the same losses, bit for bit, on one machine.
//
// When ctx is cancelled, Train stops after the current step, evaluates,
// calls the End hooks and returns the Result with ctx.Err(). A NaN or
// infinite loss does not stop training: Result.NonFiniteStep records the
// first; hooks decide what to do.
func Train(ctx context.Context, m *Model, train, val Data, cfg Config) (*Result, error) {
	if cfg.Loss != nil && cfg.ClassWeights != nil {
		return nil, errors.New("trainer: Config: ClassWeights applies to the default loss only; set the weights in Loss")
	}
	if cfg.Loss == nil {
		cfg.Loss = SoftmaxCrossEntropy{Weights: cfg.ClassWeights}
	}
	if cfg.BatchSize == 0 {
		cfg.BatchSize = 32
	}
	if cfg.Epochs == 0 && cfg.Steps == 0 {
		cfg.Epochs = 10
	}
	if cfg.Optimizer == nil {
		cfg.Optimizer = &Adam{}
	}
	if cfg.Schedule == nil {
		cfg.Schedule = Constant{LR: 1e-3}
	}
	if cfg.EvalBatch == 0 {
		cfg.EvalBatch = 512
	}
	switch {
	case cfg.BatchSize < 1:
		return nil, fmt.Errorf("trainer: Config: batch size %d, want at least 1", cfg.BatchSize)
	case cfg.Epochs < 0 || cfg.Steps < 0 || cfg.EvalEvery < 0 || cfg.Patience < 0 || cfg.EvalBatch < 1:
		return nil, errors.New("trainer: Config: Epochs, Steps, EvalEvery, Patience and EvalBatch must not be negative")
	case !(cfg.ClipNorm >= 0) || !(cfg.ClipValue >= 0):
		return nil, errors.New("trainer: Config: ClipNorm and ClipValue must not be negative")
	}
	if train.Len() == 0 {
		return nil, errors.New("trainer: no training data")
	}
	if err := train.check("training", m, cfg.Loss); err != nil {
		return nil, err
	}
	if val.Len() > 0 {
		if err := val.check("validation", m, cfg.Loss); err != nil {
			return nil, err
		}
	}
	t := newLoop(m, train, val, &cfg)
	return t.run(ctx)
}

// loop is one run of Train.
type loop struct {
	m          *Model
	cfg        *Config
	train, val Data
	rng        *rand.Rand
	order      []int
	xb, tb, gb buffer
	yb         []int
	s          State
	res        Result
	// running sums of the training batches since the last evaluation
	sumLoss        float64
	sumN, sumRight int
	evaluated      bool // the last step was followed by an evaluation
	noImprove      int
}

func newLoop(m *Model, train, val Data, cfg *Config) *loop {
	t := &loop{m: m, cfg: cfg, train: train, val: val, rng: rand.New(rand.NewPCG(cfg.Seed, 0x747261696e))}
	none := Metrics{Loss: math.NaN(), Accuracy: math.NaN()}
	t.res = Result{NonFiniteStep: -1, Stop: StopDone, Train: none, Val: none, Best: none}
	t.s = State{Model: m, Config: cfg, TrainData: train, ValData: val, Result: &t.res, Correct: -1}
	steps := cfg.Steps
	if steps == 0 && cfg.Sampler == nil {
		steps = cfg.Epochs * ((train.Len() + cfg.BatchSize - 1) / cfg.BatchSize)
	}
	t.res.Losses = make([]float64, 0, min(steps, 1<<20))
	return t
}

func (t *loop) hooks(f func(Hook, *State) error) error {
	for _, h := range t.cfg.Hooks {
		if err := f(h, &t.s); err != nil {
			return err
		}
	}
	return nil
}

func (t *loop) run(ctx context.Context) (*Result, error) {
	if err := t.hooks(Hook.Start); err != nil {
		if errors.Is(err, ErrStop) {
			t.res.Stop = StopHook
			return &t.res, nil
		}
		return &t.res, err
	}
	err := t.epochs(ctx)
	if err == nil || errors.Is(err, ErrStop) || ctx.Err() != nil {
		if !t.evaluated && t.res.Steps > 0 {
			if e := t.evaluate(); e != nil && err == nil {
				err = e
			}
		}
	}
	switch {
	case err == nil:
	case err == errEarly:
		t.res.Stop, err = StopEarly, nil
	case errors.Is(err, ErrStop):
		t.res.Stop, err = StopHook, nil
	case ctx.Err() != nil && errors.Is(err, ctx.Err()):
		t.res.Stop = StopCancelled
	default:
		t.res.Stop = StopError
	}
	t.s.Step = t.res.Steps
	if e := t.hooks(Hook.End); e != nil && err == nil {
		if errors.Is(e, ErrStop) {
			e = nil
		}
		err = e
	}
	return &t.res, err
}

// epochs runs the training steps; it returns ErrStop (or a wrapped one)
// for early stopping too.
func (t *loop) epochs(ctx context.Context) error {
	cfg := t.cfg
	n := t.train.Len()
	for epoch := 0; cfg.Steps > 0 || epoch < cfg.Epochs; epoch++ {
		t.res.Epochs = epoch + 1
		t.s.Epoch = epoch
		if cfg.Sampler != nil {
			t.order = cfg.Sampler(t.order[:0], epoch, t.rng)
		} else {
			if len(t.order) != n {
				t.order = make([]int, n)
			}
			for i := range t.order {
				t.order[i] = i
			}
			t.rng.Shuffle(n, func(i, j int) { t.order[i], t.order[j] = t.order[j], t.order[i] })
		}
		if len(t.order) == 0 {
			return errors.New("trainer: Config.Sampler returned no samples")
		}
		for lo := 0; lo < len(t.order); lo += cfg.BatchSize {
			if err := ctx.Err(); err != nil {
				return err
			}
			if err := t.step(t.order[lo:min(lo+cfg.BatchSize, len(t.order))]); err != nil {
				return err
			}
			if cfg.Steps > 0 && t.res.Steps >= cfg.Steps {
				return nil
			}
		}
		if cfg.EvalEvery == 0 {
			if err := t.evaluate(); err != nil {
				return err
			}
		}
	}
	return nil
}

// step trains on the samples idx.
func (t *loop) step(idx []int) error {
	cfg, m := t.cfg, t.m
	nb, d := len(idx), t.train.X.RawMatrix().Cols
	if idx[len(idx)-1] >= t.train.Len() || idx[0] < 0 {
		for _, i := range idx {
			if i < 0 || i >= t.train.Len() {
				return fmt.Errorf("trainer: Config.Sampler returned index %d for %d samples", i, t.train.Len())
			}
		}
	}
	xb := t.xb.resize(nb, d)
	gatherRows(raw(xb), t.train.X, idx)
	batch := Data{X: xb}
	if t.train.Y != nil {
		if cap(t.yb) < nb {
			t.yb = make([]int, nb)
		}
		t.yb = t.yb[:nb]
		for i, j := range idx {
			t.yb[i] = t.train.Y[j]
		}
		batch.Y = t.yb
	}
	if t.train.Targets != nil {
		_, k := t.train.Targets.Dims()
		tb := t.tb.resize(nb, k)
		gatherRows(raw(tb), t.train.Targets, idx)
		batch.Targets = tb
	}
	if cfg.Augment != nil {
		cfg.Augment(xb, t.rng)
	}
	out := m.Forward(xb, true)
	r, k := out.Dims()
	grad := t.gb.resize(r, k)
	loss := cfg.Loss.Loss(grad, out, batch.targets())
	m.ZeroGrad()
	m.Backward(grad)

	step := t.res.Steps
	if math.IsNaN(loss) || math.IsInf(loss, 0) {
		if t.res.NonFiniteStep < 0 {
			t.res.NonFiniteStep = step
		}
	}
	t.res.Losses = append(t.res.Losses, loss)
	correct := -1
	if batch.Y != nil && cfg.Loss.Predict(out, 0) >= 0 {
		correct = 0
		for i, c := range batch.Y {
			if cfg.Loss.Predict(out, i) == c {
				correct++
			}
		}
		t.sumRight += correct
	}
	t.sumLoss += loss * float64(nb)
	t.sumN += nb

	s := &t.s
	s.Step, s.LR = step, cfg.Schedule.At(step)
	s.Batch, s.Indices, s.Out, s.Loss, s.Correct = batch, idx, out, loss, correct
	s.GradNorm = GradNorm(m.params)
	if err := t.hooks(Hook.AfterBackward); err != nil {
		return err
	}
	if cfg.ClipNorm > 0 {
		ClipGlobalNorm(m.params, cfg.ClipNorm)
	}
	if cfg.ClipValue > 0 {
		ClipValue(m.params, cfg.ClipValue)
	}
	cfg.Optimizer.Step(m.params, s.LR)
	t.res.Steps++
	t.evaluated = false
	if err := t.hooks(Hook.AfterStep); err != nil {
		return err
	}
	if cfg.EvalEvery > 0 && t.res.Steps%cfg.EvalEvery == 0 {
		return t.evaluate()
	}
	return nil
}

// gatherRows copies the rows idx of src into dst, packed.
func gatherRows(dst []float64, src *mat.Dense, idx []int) {
	rm := src.RawMatrix()
	for i, j := range idx {
		copy(dst[i*rm.Cols:(i+1)*rm.Cols], rm.Data[j*rm.Stride:j*rm.Stride+rm.Cols])
	}
}

// evaluate measures the training batches since the last evaluation and
// the validation data, then runs the AfterEval hooks, the schedule and
// early stopping.
func (t *loop) evaluate() error {
	t.evaluated = true
	cfg := t.cfg
	tr := Metrics{Step: t.res.Steps, Loss: math.NaN(), Accuracy: math.NaN(), N: t.sumN}
	if t.sumN > 0 {
		tr.Loss = t.sumLoss / float64(t.sumN)
		if t.s.Correct >= 0 {
			tr.Accuracy = float64(t.sumRight) / float64(t.sumN)
		}
	}
	t.sumLoss, t.sumN, t.sumRight = 0, 0, 0
	t.res.Train = tr
	metric := tr.Loss
	if t.val.Len() > 0 {
		v, err := t.evalVal()
		if err != nil {
			return err
		}
		v.Step = t.res.Steps
		t.res.Val = v
		metric = v.Loss
		if v.Loss < t.res.Best.Loss-cfg.MinDelta || t.res.Best.N == 0 && !math.IsNaN(v.Loss) {
			// A NaN loss never improves on anything.
			t.res.Best = v
			t.noImprove = 0
		} else {
			t.noImprove++
		}
	}
	if ms, ok := cfg.Schedule.(MetricSchedule); ok {
		ms.Report(t.res.Steps, metric)
	}
	t.s.Step, t.s.Train, t.s.Val, t.s.Best = t.res.Steps, t.res.Train, t.res.Val, t.res.Best
	if err := t.hooks(Hook.AfterEval); err != nil {
		return err
	}
	if cfg.Patience > 0 && t.noImprove >= cfg.Patience {
		return errEarly
	}
	return nil
}

// errEarly ends training for early stopping; run turns it into StopEarly.
var errEarly = fmt.Errorf("early stop: %w", ErrStop)

// evalVal evaluates the validation data and fills ValOut and ValPred.
func (t *loop) evalVal() (Metrics, error) {
	n := t.val.Len()
	k := t.m.out.Size()
	if t.s.ValOut == nil {
		t.s.ValOut = mat.NewDense(n, k, nil)
		t.s.ValPred = make([]int, n)
	}
	return evaluate(t.m, t.cfg.Loss, t.val, t.cfg.EvalBatch, t.s.ValOut, t.s.ValPred), nil
}

// Evaluate runs m in evaluation mode over d, batch samples at a time
// (default 512 when batch ≤ 0), and returns the mean loss and the
// accuracy. It returns an error if d does not fit m or loss.
func Evaluate(m *Model, loss Loss, d Data, batch int) (Metrics, error) {
	if d.Len() == 0 {
		return Metrics{Loss: math.NaN(), Accuracy: math.NaN()}, nil
	}
	if err := d.check("evaluation", m, loss); err != nil {
		return Metrics{}, err
	}
	if batch <= 0 {
		batch = 512
	}
	return evaluate(m, loss, d, batch, nil, nil), nil
}

// evaluate is Evaluate on checked data; out and pred, if not nil, receive
// the outputs and predictions.
func evaluate(m *Model, loss Loss, d Data, batch int, out *mat.Dense, pred []int) Metrics {
	n := d.Len()
	xr := d.X.RawMatrix()
	var total, weight float64
	correct, classifies := 0, d.Y != nil
	var x, tv mat.Dense
	for lo := 0; lo < n; lo += batch {
		hi := min(lo+batch, n)
		x.SetRawMatrix(blas64.General{Rows: hi - lo, Cols: xr.Cols, Stride: xr.Stride, Data: xr.Data[lo*xr.Stride:]})
		y := Targets{}
		if d.Y != nil {
			y.Labels = d.Y[lo:hi]
		}
		if d.Targets != nil {
			tr := d.Targets.RawMatrix()
			tv.SetRawMatrix(blas64.General{Rows: hi - lo, Cols: tr.Cols, Stride: tr.Stride, Data: tr.Data[lo*tr.Stride:]})
			y.Values = &tv
		}
		o := m.Forward(&x, false)
		// The loss of a chunk is a mean over its rows, or over its class
		// weights: weigh the chunks alike.
		w := float64(hi - lo)
		if ce, ok := loss.(SoftmaxCrossEntropy); ok && ce.Weights != nil {
			w = 0
			for _, c := range y.Labels {
				w += ce.Weights[c]
			}
		}
		total += loss.Loss(nil, o, y) * w
		weight += w
		for i := range hi - lo {
			p := loss.Predict(o, i)
			if p < 0 {
				classifies = false
			}
			if pred != nil {
				pred[lo+i] = p
			}
			if d.Y != nil && p == d.Y[lo+i] {
				correct++
			}
		}
		if out != nil {
			out.Slice(lo, hi, 0, m.out.Size()).(*mat.Dense).Copy(o)
		}
	}
	mt := Metrics{Loss: total / weight, Accuracy: math.NaN(), N: n}
	if classifies {
		mt.Accuracy = float64(correct) / float64(n)
	}
	return mt
}
