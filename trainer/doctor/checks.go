package doctor

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/mat"

	"github.com/tbgo/tbgo/trainer"
	"github.com/tbgo/tbgo/trainer/data"
	"github.com/tbgo/tbgo/trainer/diag"
)

// Thresholds of the checks. They are the rules of the trainer's
// docs/DIAGNOSTICS.md; the tests of this package trigger each of them with a
// broken setup and pass a healthy one.
const (
	// Rule 11: after preprocessing, every non-constant feature's mean
	// within ±MaxInputMean and std within [MinInputStd, MaxInputStd].
	MaxInputMean = 0.1
	MinInputStd  = 0.5
	MaxInputStd  = 2.0
	// Rule 17: the largest class over the smallest at most MaxImbalance,
	// unless class weights or balanced sampling compensate.
	MaxImbalance = 3.0
	// Rule 12 (DeepDiagnosis): a weight tensor's variance within
	// [MinWeightVar, MaxWeightVar]; outside, or constant, fails. A
	// standard deviation more than InitStdFactor times off the He or
	// Glorot expectation is a warning.
	MinWeightVar  = 1e-5
	MaxWeightVar  = 10.0
	InitStdFactor = 4.0
	// Rule 4 (CS231n): a relative error above GradWrong is a wrong
	// gradient, above GradSuspicious suspicious, below GradGood good.
	GradWrong      = 1e-2
	GradSuspicious = 1e-4
	GradGood       = 1e-7
	// GradFloor is the smallest denominator of the relative error, for
	// a loss up to 1; GradFloor·|L| for a larger loss L. The centred
	// difference (L(θ+ε) − L(θ−ε))/2ε carries a rounding error of about
	// 1e-16·|L|/ε (1e-11·|L| for ε = 1e-5), so gradients smaller than the
	// floor (vanishing ones, in a deep sigmoid network; tiny ones beside a
	// large loss) are compared absolutely: the error over the floor, not
	// over a near-zero gradient.
	GradFloor = 1e-6
)

func (d *doctor) checkInputs(context.Context) (Check, error) {
	st := data.Describe(d.s.Train.X)
	mean := st.MaxAbsMean()
	lo, hi, constant := st.StdRange()
	rlo, rhi := st.Range()
	c := Check{ID: CheckInputs, Rule: 11, Title: "input statistics", Value: mean,
		Expected: fmt.Sprintf("per feature |mean| ≤ %g, std in [%g, %g]", MaxInputMean, MinInputStd, MaxInputStd),
		Measured: fmt.Sprintf("max |mean| %.3g, std %.3g..%.3g", mean, lo, hi)}
	if constant > 0 {
		c.Measured += fmt.Sprintf(" (%d constant features)", constant)
	}
	c.Measured += fmt.Sprintf(", values in [%.3g, %.3g]", rlo, rhi)
	switch {
	case math.IsNaN(lo):
		c.Verdict = Fail
		c.Measured = "every feature is constant"
		c.Fix = "the inputs carry no information: check the data loading"
	case mean > MaxInputMean || lo < MinInputStd || hi > MaxInputStd:
		c.Verdict = Fail
		c.Fix = "mean-centre and standardise each feature with statistics fitted on the training split only (data.preprocess: standardize, -data.preprocess standardize); centre time series per batch or per window"
	}
	return c, nil
}

func (d *doctor) checkBalance(context.Context) (Check, error) {
	c := Check{ID: CheckBalance, Rule: 17, Title: "class balance", Value: math.NaN(),
		Expected: fmt.Sprintf("largest/smallest class ≤ %g, or compensated", MaxImbalance)}
	if d.classes == 0 {
		c.Verdict, c.Measured = Skip, "regression: no classes"
		return c, nil
	}
	counts := data.ClassCounts(d.s.Train.Y, d.classes)
	lo, hi := counts[0], counts[0]
	for _, n := range counts {
		lo, hi = min(lo, n), max(hi, n)
	}
	c.Value = data.ImbalanceRatio(counts)
	c.Measured = fmt.Sprintf("%d classes, %d..%d samples each: ratio %.3g", d.classes, lo, hi, c.Value)
	if c.Value <= MaxImbalance {
		return c, nil
	}
	weighted := d.s.ClassWeights != nil || d.s.Balanced
	if ce, ok := d.loss.(trainer.SoftmaxCrossEntropy); ok && ce.Weights != nil {
		weighted = true
	}
	if weighted {
		c.Measured += ", compensated by class weights or balanced sampling"
		return c, nil
	}
	c.Verdict = Fail
	c.Fix = "weigh the loss by class or sample classes uniformly (balance: weights or balance: sampler; -balance weights or -balance sampler); augment the minority classes; set the output bias to the log class prior"
	return c, nil
}

// WeightInit is the initialisation check of one weight tensor.
type WeightInit struct {
	// Param is the tensor's name, Std the standard deviation of its
	// values.
	Param string
	Std   float64
	// Rule is "He" when the next activation is of the ReLU family,
	// "Glorot" otherwise (tanh, sigmoid, none), and Expected the standard
	// deviation that rule gives for the tensor's fans.
	Rule     string
	Expected float64
	// Output reports that the tensor is the output layer's, which may
	// start smaller than Glorot (rule 1's remedy for a confident first
	// prediction) but not larger.
	Output  bool
	Verdict Verdict
}

// followingActivation returns the type of the first activation after
// layer i, or "" if a dense or convolution layer (or the end) comes first.
func followingActivation(layers []*trainer.Layer, i int) trainer.LayerType {
	for _, l := range layers[i+1:] {
		switch {
		case l.Type.IsActivation():
			return l.Type
		case l.Type == trainer.TypeDense || l.Type == trainer.TypeConv:
			return ""
		}
	}
	return ""
}

// weightInits measures every weight tensor of m against He or Glorot.
func weightInits(m *trainer.Model) []WeightInit {
	layers := m.Layers()
	last := -1
	for i, l := range layers {
		if l.Type == trainer.TypeDense || l.Type == trainer.TypeConv {
			last = i
		}
	}
	var out []WeightInit
	for i, l := range layers {
		for _, p := range l.Params {
			if p.Kind != trainer.Weight || p.Size() < 2 {
				continue
			}
			w := WeightInit{Param: p.Name, Std: stdOf(p.Value.RawMatrix().Data), Output: i == last}
			switch followingActivation(layers, i) {
			case trainer.TypeReLU, trainer.TypeLeakyReLU, trainer.TypePReLU, trainer.TypeELU, trainer.TypeMaxout:
				w.Rule, w.Expected = "He", math.Sqrt(2/float64(p.FanIn))
			default:
				w.Rule, w.Expected = "Glorot", math.Sqrt(2/float64(p.FanIn+p.FanOut))
			}
			v := w.Std * w.Std
			switch {
			case v < MinWeightVar || v > MaxWeightVar || math.IsNaN(v):
				w.Verdict = Fail
			case w.Std > InitStdFactor*w.Expected || w.Std < w.Expected/InitStdFactor && !w.Output:
				w.Verdict = Warn
			}
			out = append(out, w)
		}
	}
	return out
}

// stdOf returns the population standard deviation of x.
func stdOf(x []float64) float64 {
	var mean float64
	for _, v := range x {
		mean += v
	}
	mean /= float64(len(x))
	var ss float64
	for _, v := range x {
		ss += (v - mean) * (v - mean)
	}
	return math.Sqrt(ss / float64(len(x)))
}

func (d *doctor) checkInit(context.Context) (Check, error) {
	c := Check{ID: CheckInit, Rule: 12, Title: "initialisation", Value: math.NaN(),
		Expected: fmt.Sprintf("weight variance in [%g, %g], std within %g× of He (ReLU) or Glorot", MinWeightVar, MaxWeightVar, InitStdFactor)}
	m, err := d.model(d.s.Spec)
	if err != nil {
		return c, err
	}
	ws := weightInits(m)
	d.rep.Weights = ws
	if len(ws) == 0 {
		c.Verdict, c.Measured = Skip, "no weight tensors"
		return c, nil
	}
	worst := 0
	for i, w := range ws {
		if w.Verdict > ws[worst].Verdict || w.Verdict == ws[worst].Verdict && offBy(w) > offBy(ws[worst]) {
			worst = i
		}
	}
	w := ws[worst]
	c.Verdict, c.Value = w.Verdict, w.Std
	c.Measured = fmt.Sprintf("%d weight tensors; %s: std %.3g, %s %.3g", len(ws), w.Param, w.Std, w.Rule, w.Expected)
	switch {
	case w.Verdict == Pass:
	case w.Std == 0:
		c.Measured = fmt.Sprintf("%s is constant (std 0): every unit computes the same thing and gets the same gradient", w.Param)
		c.Fix = "break the symmetry: initialise weights randomly, He (he_normal) before ReLU, Glorot (glorot_uniform) before tanh or sigmoid"
	case w.Std < w.Expected:
		c.Fix = "re-initialise with He (he_normal) before ReLU or Glorot (glorot_uniform) before tanh/sigmoid: weights this small make the signal and the gradients vanish"
	default:
		c.Fix = "re-initialise with He (he_normal) before ReLU or Glorot (glorot_uniform) before tanh/sigmoid: weights this large saturate units and blow up the loss"
	}
	return c, nil
}

// offBy is how many times w's std is off its expectation, either way.
func offBy(w WeightInit) float64 {
	if w.Std == 0 || w.Expected == 0 {
		return math.Inf(1)
	}
	return math.Max(w.Std/w.Expected, w.Expected/w.Std)
}

func (d *doctor) checkInitLoss(context.Context) (Check, error) {
	c := Check{ID: CheckInitLoss, Rule: 1, Title: "loss at initialisation", Value: math.NaN()}
	m, err := d.model(d.s.Spec)
	if err != nil {
		return c, err
	}
	l, ok := diag.ExpectedInitLoss(m, d.loss, d.all.X, d.all.Y, nil, d.s.Seed)
	if !ok {
		c.Verdict, c.Measured = Skip, d.loss.Name()+" is not a cross-entropy over classes"
		return c, nil
	}
	c.Value = l.Loss
	c.Expected = l.Expected()
	c.Measured = fmt.Sprintf("%.4g, the loss of the initial model on %d training samples (logits' std %.3g)", l.Loss, l.Samples, l.Logits)
	switch {
	case !l.Bad():
	case l.Overconfident():
		c.Verdict = Fail
		c.Fix = "the first predictions are confident: shrink the last layer's initialisation (model.output_init: normal:0.01, or a gain below 1 such as glorot_uniform:0.3; -model.output_init on the command line) so the logits start near 0; set the output bias to the log class prior"
	default:
		c.Verdict = Fail
		c.Fix = "the loss is below chance before any training: check that the labels do not leak into the inputs and that the loss matches the output layer"
	}
	return c, nil
}

func (d *doctor) checkOverlap(context.Context) (Check, error) {
	r, _ := diag.RuleByID(22)
	limit := r.T("max_fraction")
	c := Check{ID: CheckOverlap, Rule: 22, Title: "train/validation overlap", Value: math.NaN(),
		Expected: fmt.Sprintf("at most %g%% of the validation rows equal to a training row", 100*limit)}
	if d.s.Val == nil || d.s.Val.Len() == 0 {
		c.Verdict, c.Measured = Skip, "no validation data"
		return c, nil
	}
	o := data.Overlapping(d.s.Train.X, d.s.Val.X)
	c.Value = o.Fraction()
	c.Measured = diag.OverlapText(o)
	if o.Fraction() > limit {
		c.Verdict = Fail
		c.Fix = r.Fix
	}
	return c, nil
}

// tinySubset returns n indices of the training data, drawn at random with
// the seed and stratified: the classes take turns.
func (d *doctor) tinySubset(n int) []int {
	rng := rand.New(rand.NewPCG(d.s.Seed, 0x646f63746f72))
	perm := rng.Perm(d.all.Len())
	n = min(n, len(perm))
	if d.classes == 0 {
		return perm[:n]
	}
	byClass := make([][]int, d.classes)
	for _, i := range perm {
		byClass[d.all.Y[i]] = append(byClass[d.all.Y[i]], i)
	}
	var idx []int
	for k := 0; len(idx) < n; k++ {
		for c := range byClass {
			if k < len(byClass[c]) && len(idx) < n {
				idx = append(idx, byClass[c][k])
			}
		}
	}
	return idx
}

// subset returns the rows idx of the training data.
func (d *doctor) subset(idx []int) trainer.Data {
	_, cols := d.all.X.Dims()
	x := mat.NewDense(len(idx), cols, nil)
	sub := trainer.Data{X: x}
	for i, j := range idx {
		x.SetRow(i, d.all.X.RawRowView(j))
	}
	if d.all.Y != nil {
		sub.Y = make([]int, len(idx))
		for i, j := range idx {
			sub.Y[i] = d.all.Y[j]
		}
	}
	if d.all.Targets != nil {
		_, k := d.all.Targets.Dims()
		t := mat.NewDense(len(idx), k, nil)
		for i, j := range idx {
			t.SetRow(i, d.all.Targets.RawRowView(j))
		}
		sub.Targets = t
	}
	return sub
}

func (d *doctor) checkGradients(context.Context) (Check, error) {
	c := Check{ID: CheckGradients, Rule: 4, Title: "gradient check", Value: math.NaN(),
		Expected: fmt.Sprintf("relative error < %g (good < %g; > %g wrong)", GradSuspicious, GradGood, GradWrong)}
	m, err := d.model(d.s.Spec)
	if err != nil {
		return c, err
	}
	sub := d.subset(d.tinySubset(d.o.GradSamples))
	values := d.o.GradValues
	if values < 0 {
		values = 0
	}
	y := trainer.Targets{Labels: sub.Y, Values: sub.Targets}
	floor := GradFloor * math.Max(1, math.Abs(d.loss.Loss(nil, m.Forward(sub.X, false), y)))
	g, err := trainer.CheckGradients(m, sub.X, d.loss, y,
		&trainer.GradCheckOptions{MaxPerTensor: values, Seed: d.s.Seed, Input: true, Floor: floor})
	if err != nil {
		return c, fmt.Errorf("doctor: gradient check: %w", err)
	}
	d.rep.Grad = &g
	c.Value = g.MaxRelErr
	checked := 0
	for _, t := range g.Tensors {
		checked += t.Checked
	}
	c.Measured = fmt.Sprintf("worst %.2g at %s (%d values of %d tensors, %d samples)", g.MaxRelErr, g.Worst, checked, len(g.Tensors), sub.Len())
	c.Verdict = gradVerdict(g.MaxRelErr)
	switch c.Verdict {
	case Fail:
		c.Fix = "a backward pass is wrong: fix the gradient of the layer or loss holding " + g.Worst
	case Warn:
		c.Fix = "suspicious unless a kink (ReLU at 0, max-pool ties) sits within ε of an input: rerun with another seed; if it persists, check the backward pass of " + g.Worst
	}
	return c, nil
}

// gradVerdict rates a relative error of the gradient check.
func gradVerdict(relErr float64) Verdict {
	switch {
	case relErr > GradWrong || math.IsNaN(relErr):
		return Fail
	case relErr > GradSuspicious:
		return Warn
	}
	return Pass
}

// GradRating names the band of a relative error of the gradient check:
// "good" below GradGood, "ok" below GradSuspicious (fine for a model with
// kinks), "suspicious" below GradWrong, "wrong" above.
func GradRating(relErr float64) string {
	switch {
	case relErr < GradGood:
		return "good"
	case relErr <= GradSuspicious:
		return "ok"
	case relErr <= GradWrong:
		return "suspicious"
	}
	return "wrong"
}

// withoutRegularisation returns layers without their dropout layers.
func withoutRegularisation(layers []trainer.LayerSpec) []trainer.LayerSpec {
	var out []trainer.LayerSpec
	for _, l := range layers {
		if l.Type == trainer.TypeDropout {
			continue
		}
		if l.Layers != nil {
			l.Layers = withoutRegularisation(l.Layers)
		}
		out = append(out, l)
	}
	return out
}

// classifies reports whether the setup's loss classifies with its labels.
func (d *doctor) classifies() bool {
	return d.all.Y != nil && d.loss.Predict(mat.NewDense(1, d.outputs, nil), 0) >= 0
}

func (d *doctor) checkOverfit(ctx context.Context) (Check, error) {
	idx := d.tinySubset(d.o.OverfitSamples)
	n := len(idx)
	c := Check{ID: CheckOverfit, Rule: 2, Title: fmt.Sprintf("overfit %d samples", n), Value: math.NaN()}
	classifies := d.classifies()
	goal := d.o.OverfitLoss
	if goal == 0 {
		goal = 0.01 // of the first loss, for a regression
		if classifies {
			goal = 0.05 // with every sample right: near zero, yet reached by every healthy setup tried (1e-2 missed one by 1e-3)
		}
	}
	if classifies {
		c.Expected = fmt.Sprintf("loss ≤ %g and %d/%d correct within %d steps", goal, n, n, d.o.OverfitSteps)
	} else {
		c.Expected = fmt.Sprintf("loss ≤ %g × the first step's within %d steps", goal, d.o.OverfitSteps)
	}
	spec := d.s.Spec
	spec.Layers = withoutRegularisation(spec.Layers)
	m, err := d.model(spec)
	if err != nil {
		return c, err
	}
	sub := d.subset(idx)
	// The overfit test measures the pipeline, not the class balance of
	// 20 samples: no class weights.
	loss := d.loss
	if _, ok := loss.(trainer.SoftmaxCrossEntropy); ok {
		loss = trainer.SoftmaxCrossEntropy{}
	}
	reached, last, correct := -1, math.NaN(), -1
	first := math.NaN()
	stop := trainer.HookFuncs{OnBackward: func(s *trainer.State) error {
		last, correct = s.Loss, s.Correct
		if s.Step == 0 {
			first = s.Loss
		}
		target := goal
		if !classifies {
			target *= first
		}
		if s.Loss <= target && (!classifies || s.Correct == n) {
			reached = s.Step
			return trainer.ErrStop
		}
		return nil
	}}
	_, err = trainer.Train(ctx, m, sub, trainer.Data{}, trainer.Config{
		Steps: d.o.OverfitSteps, BatchSize: n, Loss: loss, Optimizer: d.optimizer(true),
		Schedule: trainer.Constant{LR: d.s.LR}, Seed: d.s.Seed, EvalEvery: d.o.OverfitSteps,
		Hooks: []trainer.Hook{stop},
	})
	if err != nil {
		return c, err
	}
	c.Value = last
	what := fmt.Sprintf("loss %.3g", last)
	if classifies {
		what += fmt.Sprintf(", %d/%d correct", correct, n)
	}
	if reached >= 0 {
		c.Value = float64(reached)
		c.Measured = fmt.Sprintf("%s after %d steps", what, reached)
		return c, nil
	}
	c.Verdict = Fail
	c.Measured = fmt.Sprintf("%s after %d steps (learning rate %g, no dropout or weight decay)", what, d.o.OverfitSteps, d.s.LR)
	c.Fix = "the pipeline cannot learn: check the gradients (rule 4) and that labels match their inputs; raise the learning rate; add capacity"
	return c, nil
}

func (d *doctor) checkSignal(ctx context.Context) (Check, error) {
	c := Check{ID: CheckSignal, Rule: 3, Title: "real vs zeroed inputs", Value: math.NaN(),
		Expected: fmt.Sprintf("after %d steps, a held-out loss ≥ %g%% lower with real inputs than with zeroed ones", d.o.SignalSteps, 100*d.o.SignalMargin)}
	if d.classifies() {
		c.Expected += fmt.Sprintf(", or an accuracy ≥ %g points higher", 100*d.o.SignalMargin)
	}
	run := func(train, val trainer.Data) (trainer.Metrics, error) {
		m, err := d.model(d.s.Spec)
		if err != nil {
			return trainer.Metrics{}, err
		}
		res, err := trainer.Train(ctx, m, train, val, trainer.Config{
			Steps: d.o.SignalSteps, BatchSize: d.s.BatchSize, Loss: d.loss, Optimizer: d.optimizer(false),
			Schedule: trainer.Constant{LR: d.s.LR}, Seed: d.s.Seed, EvalEvery: d.o.SignalSteps,
		})
		if err != nil {
			return trainer.Metrics{}, err
		}
		return res.Val, nil
	}
	zeroed := func(x trainer.Data) trainer.Data {
		r, k := x.X.Dims()
		x.X = mat.NewDense(r, k, nil)
		return x
	}
	real, err := run(d.train, d.val)
	if err != nil {
		return c, err
	}
	zero, err := run(zeroed(d.train), zeroed(d.val))
	if err != nil {
		return c, err
	}
	c.Value = real.Loss
	c.Measured = fmt.Sprintf("held-out loss %.3g real, %.3g zeroed", real.Loss, zero.Loss)
	if !math.IsNaN(real.Accuracy) {
		c.Measured += fmt.Sprintf("; accuracy %.1f%% real, %.1f%% zeroed", 100*real.Accuracy, 100*zero.Accuracy)
	}
	if real.Loss <= (1-d.o.SignalMargin)*zero.Loss || real.Accuracy >= zero.Accuracy+d.o.SignalMargin {
		return c, nil
	}
	c.Verdict = Fail
	c.Fix = "the model learns nothing from its inputs beyond the label frequencies: check that labels are aligned with their samples, that preprocessing keeps the signal, and the learning rate"
	if math.IsNaN(real.Loss) || math.IsInf(real.Loss, 0) {
		c.Fix = "the loss diverged on real inputs: lower the learning rate, normalise the inputs"
	}
	return c, nil
}
