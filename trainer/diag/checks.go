package diag

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"

	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/stat"

	"github.com/tbgo/tbgo/trainer"
	"github.com/tbgo/tbgo/trainer/data"
)

// raw returns the values of a parameter's matrix, which the model
// allocates contiguously.
func raw(x *mat.Dense) []float64 { return x.RawMatrix().Data }

// norm returns the L2 norm of x.
func norm(x []float64) float64 { return math.Sqrt(sumSq(x)) }

// sumSq returns Σ x², in four running sums so that the additions do not
// wait on each other.
func sumSq(x []float64) float64 {
	var s0, s1, s2, s3 float64
	i := 0
	for ; i+4 <= len(x); i += 4 {
		s0 += x[i] * x[i]
		s1 += x[i+1] * x[i+1]
		s2 += x[i+2] * x[i+2]
		s3 += x[i+3] * x[i+3]
	}
	for ; i < len(x); i++ {
		s0 += x[i] * x[i]
	}
	return (s0 + s1) + (s2 + s3)
}

// sumAbs returns Σ |x|, likewise.
func sumAbs(x []float64) float64 {
	var s0, s1, s2, s3 float64
	i := 0
	for ; i+4 <= len(x); i += 4 {
		s0 += math.Abs(x[i])
		s1 += math.Abs(x[i+1])
		s2 += math.Abs(x[i+2])
		s3 += math.Abs(x[i+3])
	}
	for ; i < len(x); i++ {
		s0 += math.Abs(x[i])
	}
	return (s0 + s1) + (s2 + s3)
}

// updateNorms returns ‖u‖² and ‖v − u‖²: the squared norms of an update
// and of the weights before it.
func updateNorms(u, v []float64) (uu, ww float64) {
	var u0, u1, w0, w1 float64
	v = v[:len(u)]
	i := 0
	for ; i+2 <= len(u); i += 2 {
		a, b := u[i], u[i+1]
		c, d := v[i]-a, v[i+1]-b
		u0 += a * a
		u1 += b * b
		w0 += c * c
		w1 += d * d
	}
	for ; i < len(u); i++ {
		c := v[i] - u[i]
		u0 += u[i] * u[i]
		w0 += c * c
	}
	return u0 + u1, w0 + w1
}

// anyNonFinite reports whether x holds a NaN or an infinity.
func anyNonFinite(x *mat.Dense) bool {
	if x == nil {
		return false
	}
	r, _ := x.Dims()
	for i := range r {
		for _, v := range x.RawRowView(i) {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return true
			}
		}
	}
	return false
}

// median returns the median of x, which it sorts.
func median(x []float64) float64 {
	slices.Sort(x)
	n := len(x)
	if n%2 == 1 {
		return x[n/2]
	}
	return (x[n/2-1] + x[n/2]) / 2
}

// checkNonFinite checks rule 5 on the current step, and the non-finite
// part of rule 7, and reports whether training should stop.
func (m *Monitor) checkNonFinite(s *trainer.State) bool {
	step := s.Step
	r := m.rule(5).rule
	if finite(s.Loss) && finite(s.GradNorm) {
		div := r.T("divergence")
		m.observe(step, 5, "loss", s.Loss >= div, m.o.K, s.Loss, func() string { return fmt.Sprintf("loss ≥ %g for %d steps in a row", div, m.o.K) })
		return false
	}
	where, what := m.locateNonFinite(s)
	value, shown := s.Loss, "loss shown"
	threshold := "non-finite " + what + " (the first in forward order)"
	if where == "" && !finite(s.GradNorm) {
		// Every gradient is finite, but too large to square: the global
		// norm overflowed.
		where, value, shown = "gradient norm", s.GradNorm, "the norm shown"
		threshold = "gradients too large for their global norm to be finite"
	}
	threshold += "; " + shown
	m.observe(step, 5, where, true, 1, value, func() string { return threshold })
	if m.nonFinite == nil {
		m.nonFinite = &Alert{Step: step, Rule: 5, Name: r.Name, Severity: r.Severity, Layer: where,
			Value: value, Threshold: threshold, Fix: r.Fix}
	}
	if !finite(s.GradNorm) {
		m.observe(step, 7, "", true, 1, s.GradNorm, func() string { return "non-finite gradient norm" })
	}
	return true
}

// locateNonFinite names the first tensor holding a NaN or infinity: the
// parameters and outputs of the layers in forward order, then the loss,
// then the gradients from the output backwards.
func (m *Monitor) locateNonFinite(s *trainer.State) (where, what string) {
	for _, l := range m.m.Layers() {
		for _, p := range l.Params {
			if anyNonFinite(p.Value) {
				return p.Name, "weights"
			}
		}
		if anyNonFinite(l.Output) {
			return l.Name, "activations (layer output)"
		}
	}
	if !finite(s.Loss) {
		return "loss", "loss"
	}
	for i := len(m.params) - 1; i >= 0; i-- {
		if anyNonFinite(m.params[i].Grad) {
			return m.params[i].Name, "gradient"
		}
	}
	return "", "value"
}

// initLossSamples is the number of training samples the loss at
// initialisation is measured on: enough that one batch's luck does not
// decide, few enough to cost a forward pass of a batch or two.
const initLossSamples = 512

// An InitLoss is rule 1's measurement: the loss of a model before any
// update, and the losses a healthy initialisation of its last layer gives
// on the same data.
type InitLoss struct {
	// Loss is the model's mean loss on the first Samples training
	// samples, in evaluation mode.
	Loss    float64
	Samples int
	// Classes is K (2 for a binary cross-entropy); Chance is ln K, the
	// loss of uniform predictions.
	Classes int
	Chance  float64
	// Mean and Std describe the losses of the same model with its last
	// dense layer's weights redrawn from N(0, 2/fan_in), He's scale and
	// the largest of the usual initialisations, rule 1's draws times;
	// NaN when the model's last layer is not dense.
	Mean, Std float64
	// Limit is the largest healthy loss: Mean + spread·Std + margin·ln K
	// (2 ln K without draws). Low is the smallest: the lower of
	// min_ratio·ln K and Mean − spread·Std, at least 0.
	Limit, Low float64
	// Logits is the standard deviation of the model's outputs (its
	// logits) over the samples and classes; RefLogits the same for the
	// redrawn last layers, on average (NaN without draws). A last layer
	// too wide is overconfident even when a lucky draw happens to be
	// right, so a ratio above logit_ratio is wrong whatever the loss.
	Logits, RefLogits float64
	ratio             float64 // logit_ratio
}

// Bad reports whether the loss is outside [Low, Limit] or not finite,
// or the logits are more than logit_ratio times wider than a healthy
// last layer's.
func (l InitLoss) Bad() bool { return l.Overconfident() || l.Loss < l.Low }

// Overconfident reports whether the initial predictions are too
// confident: a loss above Limit (or not finite), or logits too wide.
func (l InitLoss) Overconfident() bool {
	return !(l.Loss <= l.Limit) || l.Logits > l.ratio*l.RefLogits
}

// Expected describes the healthy range in words.
func (l InitLoss) Expected() string {
	if math.IsNaN(l.Mean) {
		return fmt.Sprintf("loss in [%.3g, %.3g] (ln %d = %.3g)", l.Low, l.Limit, l.Classes, l.Chance)
	}
	return fmt.Sprintf("loss in [%.3g, %.3g] and logits' std ≤ %.3g (a last layer drawn at He scale gives a loss of %.3g ± %.2g and logits' std %.3g on these samples; ln %d = %.3g)",
		l.Low, l.Limit, l.ratio*l.RefLogits, l.Mean, l.Std, l.RefLogits, l.Classes, l.Chance)
}

// ExpectedInitLoss measures rule 1 on model m, which must not have been
// trained: its loss on the first 512 rows of x (labels y) in evaluation
// mode, and the range a healthy initialisation of its last layer gives on
// the same rows, with the thresholds of table (nil means Rules()). The
// range comes from the model and the data, not from ln K alone: the last
// dense layer's weights are redrawn at He scale, draws times, with a
// generator seeded by seed, over the inputs that layer actually receives.
// It returns false for a loss that is not a classification
// (cross-entropy over at least 2 classes). tbgo train's Monitor and tbgo
// doctor both judge the initial loss by it.
func ExpectedInitLoss(m *trainer.Model, loss trainer.Loss, x *mat.Dense, y []int, table []Rule, seed uint64) (InitLoss, bool) {
	k := 0
	switch loss.(type) {
	case trainer.SoftmaxCrossEntropy:
		k = m.OutShape().Size()
	case trainer.BinaryCrossEntropy:
		k = 2
	}
	if k < 2 || x == nil || y == nil {
		return InitLoss{}, false
	}
	if table == nil {
		table = rules
	}
	i := slices.IndexFunc(table, func(r Rule) bool { return r.ID == 1 })
	if i < 0 {
		panic("diag: the rule table has no rule 1")
	}
	r := table[i]
	n, cols := x.Dims()
	n = min(n, initLossSamples, len(y))
	if n == 0 {
		return InitLoss{}, false
	}
	xs := mat.NewDense(n, cols, nil)
	xs.Copy(x.Slice(0, n, 0, cols))
	t := trainer.Targets{Labels: y[:n]}
	l := InitLoss{Samples: n, Classes: k, Chance: math.Log(float64(k)), Mean: math.NaN(), Std: math.NaN(),
		RefLogits: math.NaN(), ratio: r.T("logit_ratio")}
	out := m.Forward(xs, false)
	l.Loss = loss.Loss(nil, out, t)
	l.Logits = stat.PopStdDev(out.RawMatrix().Data, nil)
	l.Low = r.T("min_ratio") * l.Chance
	l.Limit = 2 * l.Chance

	layers := m.Layers()
	last := layers[len(layers)-1]
	if last.Type != trainer.TypeDense || last.Input == nil || len(last.Params) == 0 {
		return l, true
	}
	h := last.Input
	w := last.Params[0]
	units, fanIn := w.Value.Dims()
	var bias []float64
	if len(last.Params) > 1 {
		bias = last.Params[1].Value.RawRowView(0)
	}
	draws := max(2, int(r.T("draws")))
	rng := rand.New(rand.NewPCG(seed, 0x72756c6531))
	std := math.Sqrt(2 / float64(fanIn))
	wr := mat.NewDense(units, fanIn, nil)
	logits := mat.NewDense(n, units, nil)
	losses := make([]float64, draws)
	var ref float64
	for d := range losses {
		for j := range wr.RawMatrix().Data {
			wr.RawMatrix().Data[j] = std * rng.NormFloat64()
		}
		logits.Mul(h, wr.T())
		if bias != nil {
			for row := range n {
				floats.Add(logits.RawRowView(row), bias)
			}
		}
		losses[d] = loss.Loss(nil, logits, t)
		ref += stat.PopStdDev(logits.RawMatrix().Data, nil) / float64(draws)
	}
	l.RefLogits = ref
	l.Mean, l.Std = stat.MeanStdDev(losses, nil)
	l.Limit = l.Mean + r.T("spread")*l.Std + r.T("margin")*l.Chance
	l.Low = max(0, min(l.Low, l.Mean-r.T("spread")*l.Std))
	return l, true
}

// checkInitLoss checks rule 1 before any update (ExpectedInitLoss).
func (m *Monitor) checkInitLoss(s *trainer.State) {
	l, ok := ExpectedInitLoss(s.Model, s.Config.Loss, s.TrainData.X, s.TrainData.Y, m.o.Rules, s.Config.Seed)
	if !ok {
		return
	}
	m.observe(0, 1, "", l.Bad(), 1, l.Loss, func() string {
		return fmt.Sprintf("initial model on %d training samples: logits' std %.3g; want %s", l.Samples, l.Logits, l.Expected())
	})
}

// outputRange returns the range of an output activation, and false for
// a layer that does not bound its output.
func outputRange(t trainer.LayerType) (lo, hi float64, ok bool) {
	switch t {
	case trainer.TypeSigmoid, trainer.TypeSoftmax:
		return 0, 1, true
	case trainer.TypeTanh:
		return -1, 1, true
	case trainer.TypeReLU:
		return 0, math.Inf(1), true
	}
	return 0, 0, false
}

// checkOutput checks rule 18 on the first batch: the output layer
// against the loss and the targets.
func (m *Monitor) checkOutput(s *trainer.State) {
	layers := m.m.Layers()
	last := layers[len(layers)-1]
	step := s.Step
	tol := m.rule(18).rule.T("sum_tolerance")
	switch s.Config.Loss.(type) {
	case trainer.SoftmaxCrossEntropy, trainer.BinaryCrossEntropy:
		bad := last.Type.IsActivation()
		m.observe(step, 18, last.Name, bad, 1, 1,
			func() string {
				return fmt.Sprintf("a %s output layer before %s, which applies its own squashing to logits", last.Type, s.Config.Loss.Name())
			})
	case trainer.MeanSquaredError:
		if s.Batch.Y != nil {
			// Class labels read as one-hot rows: the outputs are meant as
			// class probabilities, which should sum to 1.
			var dev float64
			r, _ := s.Out.Dims()
			for i := range r {
				var sum float64
				for _, v := range s.Out.RawRowView(i) {
					sum += v
				}
				dev += math.Abs(sum - 1)
			}
			dev /= float64(max(r, 1))
			m.observe(step, 18, last.Name, true, 1, dev,
				func() string {
					return fmt.Sprintf("class labels with mse: outputs read as probabilities sum off 1 by %.3g on average (tolerance %g); use softmax cross-entropy", dev, tol)
				})
			return
		}
		lo, hi, ok := outputRange(last.Type)
		if !ok || s.TrainData.Targets == nil {
			m.observe(step, 18, last.Name, false, 1, 0, nil)
			return
		}
		outside := 0
		t := s.TrainData.Targets
		r, _ := t.Dims()
		n := 0
		for i := range r {
			for _, v := range t.RawRowView(i) {
				n++
				if v < lo || v > hi {
					outside++
				}
			}
		}
		frac := float64(outside) / float64(max(n, 1))
		m.observe(step, 18, last.Name, outside > 0, 1, frac,
			func() string {
				return fmt.Sprintf("fraction of targets outside the %s output's range [%g, %g]", last.Type, lo, hi)
			})
	}
}

// checkInputs checks rule 11 on the training inputs.
func (m *Monitor) checkInputs(s *trainer.State) {
	r := m.rule(11).rule
	st := data.Describe(s.TrainData.X)
	m.filterPix = make([]bool, len(st.Mean))
	for j := range st.Mean {
		m.filterPix[j] = !st.Constant(j)
	}
	mean := st.MaxAbsMean()
	lo, hi, _ := st.StdRange()
	rlo, rhi := st.Range()
	ctx := fmt.Sprintf("max |mean| %.3g, std in [%.3g, %.3g], values in [%.3g, %.3g]", mean, lo, hi, rlo, rhi)
	switch {
	case mean > r.T("max_abs_mean"):
		m.observe(0, 11, "", true, 1, mean, func() string { return fmt.Sprintf("|mean| > %g (%s)", r.T("max_abs_mean"), ctx) })
	case lo < r.T("min_std"):
		m.observe(0, 11, "", true, 1, lo, func() string { return fmt.Sprintf("a std < %g (%s)", r.T("min_std"), ctx) })
	case hi > r.T("max_std"):
		m.observe(0, 11, "", true, 1, hi, func() string { return fmt.Sprintf("a std > %g (%s)", r.T("max_std"), ctx) })
	default:
		m.observe(0, 11, "", false, 1, mean, nil)
	}
}

// checkInit checks rule 12 on the initial weights.
func (m *Monitor) checkInit() {
	r := m.rule(12).rule
	for _, p := range m.params {
		if p.Kind != trainer.Weight {
			continue
		}
		x := raw(p.Value)
		var mean, v float64
		for _, w := range x {
			mean += w
		}
		mean /= float64(len(x))
		for _, w := range x {
			v += (w - mean) * (w - mean)
		}
		v /= float64(len(x))
		he := 2 / float64(max(p.FanIn, 1))
		glorot := 2 / float64(max(p.FanIn+p.FanOut, 1))
		ref := fmt.Sprintf("He expects %.2g, Glorot %.2g", he, glorot)
		symmetric := symmetricRows(p.Value)
		switch {
		case symmetric:
			m.observe(0, 12, p.Name, true, 1, v, func() string {
				return fmt.Sprintf("every unit's weights identical: symmetric, units cannot differ (variance %.3g; %s)", v, ref)
			})
		case v < r.T("min_var"):
			m.observe(0, 12, p.Name, true, 1, v, func() string { return fmt.Sprintf("weight variance < %g (%s)", r.T("min_var"), ref) })
		case v > r.T("max_var"):
			m.observe(0, 12, p.Name, true, 1, v, func() string { return fmt.Sprintf("weight variance > %g (%s)", r.T("max_var"), ref) })
		default:
			m.observe(0, 12, p.Name, false, 1, v, nil)
		}
	}
}

// symmetricRows reports whether a weight matrix of several units has
// every row equal.
func symmetricRows(w *mat.Dense) bool {
	r, _ := w.Dims()
	if r < 2 {
		return false
	}
	first := w.RawRowView(0)
	for i := 1; i < r; i++ {
		if !slices.Equal(first, w.RawRowView(i)) {
			return false
		}
	}
	return true
}

// checkBalance checks rule 17 on the training labels.
func (m *Monitor) checkBalance(s *trainer.State) {
	if m.classes == 0 {
		return
	}
	r := m.rule(17).rule
	counts := data.ClassCounts(s.TrainData.Y, m.classes)
	ratio := data.ImbalanceRatio(counts)
	compensated := ""
	if s.Config.Sampler != nil {
		compensated = "class-balanced sampling"
	}
	if ce, ok := s.Config.Loss.(trainer.SoftmaxCrossEntropy); ok && ce.Weights != nil {
		compensated = "class weights"
	}
	bad := ratio > r.T("ratio")
	if bad && compensated != "" {
		m.rule(17).note = fmt.Sprintf("ok: classes imbalanced %.3g:1, compensated by %s", ratio, compensated)
		bad = false
	}
	m.observe(0, 17, "", bad, 1, ratio, func() string { return fmt.Sprintf("largest/smallest class > %g (counts %v)", r.T("ratio"), counts) })
}

// checkGradients checks rules 7 and 8 and logs the gradient norms.
func (m *Monitor) checkGradients(s *trainer.State) {
	step := s.Step
	var nf, nl float64
	for i, p := range m.params {
		n := norm(raw(p.Grad))
		m.scalar(m.tags[i].grad, step, n)
		if p == m.first {
			nf = n
		}
		if p == m.last {
			nl = n
		}
	}
	m.scalar("grad_norm/total", step, s.GradNorm)
	if !finite(s.GradNorm) {
		return // rule 5 has it
	}
	r7, r8 := m.rule(7).rule, m.rule(8).rule
	two := m.first != nil && m.last != nil && m.first != m.last
	ratio := math.NaN()
	if two && nl > 0 {
		ratio = nf / nl
	}
	// The spike: the total norm against the median of the previous ones.
	prev := min(m.gradN-1, len(m.gradNorms)-1)
	spike := math.NaN()
	if prev >= 20 {
		m.scratch = m.scratch[:0]
		cur := (m.gradN - 1) % len(m.gradNorms)
		for i := range min(m.gradN, len(m.gradNorms)) {
			if i != cur && finite(m.gradNorms[i]) {
				m.scratch = append(m.scratch, m.gradNorms[i])
			}
		}
		if len(m.scratch) > 0 {
			if med := median(m.scratch); med > 0 {
				spike = s.GradNorm / med
			}
		}
	}
	// A converged model's gradients are tiny and noisy: against a running
	// median near zero any step is a spike, and the mean |gradient| has
	// vanished on purpose. The loss they act on decides.
	converged7 := m.lossEMA < r7.T("converged")*m.firstLoss
	converged8 := m.lossEMA < r8.T("converged")*m.firstLoss
	switch {
	case ratio > r7.T("ratio"):
		m.observe(step, 7, "", true, m.o.K, ratio,
			func() string {
				return fmt.Sprintf("gradient norm of %s / %s > %g", m.first.Name, m.last.Name, r7.T("ratio"))
			})
	case spike > r7.T("spike") && !converged7:
		m.observe(step, 7, "", true, m.o.K, spike,
			func() string { return fmt.Sprintf("total gradient norm > %g × its running median", r7.T("spike")) })
	default:
		m.observe(step, 7, "", false, m.o.K, 0, nil)
	}
	if m.first == nil {
		return
	}
	g := raw(m.first.Grad)
	meanAbs := sumAbs(g) / float64(len(g))
	scale := math.Max(m.lossEMA, math.SmallestNonzeroFloat64)
	switch {
	case converged8:
		m.observe(step, 8, "", false, m.o.K, 0, nil)
	case ratio < r8.T("ratio") && nf < r8.T("first_norm"):
		m.observe(step, 8, "", true, m.o.K, ratio,
			func() string {
				return fmt.Sprintf("gradient norm of %s / %s < %g and %s's norm %.3g < %g", m.first.Name, m.last.Name, r8.T("ratio"), m.first.Name, nf, r8.T("first_norm"))
			})
	case meanAbs < r8.T("mean_abs")*scale:
		m.observe(step, 8, "", true, m.o.K, meanAbs,
			func() string {
				return fmt.Sprintf("mean |gradient| of %s < %g × the training loss %.3g", m.first.Name, r8.T("mean_abs"), m.lossEMA)
			})
	default:
		m.observe(step, 8, "", false, m.o.K, 0, nil)
	}
}

// checkActivations checks rules 9 and 10 on the current batch and logs
// the dead and saturated fractions.
func (m *Monitor) checkActivations(s *trainer.State) {
	step := s.Step
	r9, r10 := m.rule(9).rule, m.rule(10).rule
	for _, a := range m.acts {
		out := a.l.Output
		if out == nil || (a.dead == nil && a.satTag == "") {
			continue
		}
		rows, _ := out.Dims()
		switch {
		case a.dead != nil:
			// ReLU outputs are ≥ 0, so a unit is active on the batch iff
			// its outputs sum above 0: a sum runs without the branch
			// mispredictions of testing each value.
			clear(a.sum)
			for i := range rows {
				row := out.RawRowView(i)
				if a.per == 1 {
					sum := a.sum[:len(row)]
					for u, v := range row {
						sum[u] += v
					}
					continue
				}
				for u := range a.units {
					var t float64
					for _, v := range row[u*a.per : (u+1)*a.per] {
						t += v
					}
					a.sum[u] += t
				}
			}
			inactive, dead := 0, 0
			for u, t := range a.sum {
				if t > 0 || math.IsNaN(t) {
					a.dead[u] = 0
					continue
				}
				inactive++
				a.dead[u]++
				if a.dead[u] >= m.o.K {
					dead++
				}
			}
			m.scalar(a.deadTag, step, float64(inactive)/float64(a.units))
			frac := float64(dead) / float64(a.units)
			m.observe(step, 9, a.l.Name, frac >= r9.T("fraction"), 1, frac,
				func() string {
					return fmt.Sprintf("≥ %g of the units inactive on every sample at %d checks in a row", r9.T("fraction"), m.o.K)
				})
		default:
			sat, pre, n := 0, 0, 0
			for i := range rows {
				for _, v := range out.RawRowView(i) {
					if v < a.satLo || v > a.satHi {
						sat++
					}
				}
			}
			in := a.l.Input
			preAbs := r10.T("preact_abs")
			for i := range rows {
				for _, v := range in.RawRowView(i) {
					n++
					if math.Abs(v) >= preAbs {
						pre++
					}
				}
			}
			fs, fp := float64(sat)/float64(max(n, 1)), float64(pre)/float64(max(n, 1))
			m.scalar(a.satTag, step, fs)
			learnt := m.lossEMA < r10.T("learning")*m.firstLoss
			switch {
			case fp > r10.T("alert") && !learnt:
				m.observeSeverity(step, 10, a.l.Name, true, m.o.K, fp,
					func() string {
						return fmt.Sprintf("fraction of pre-activations with |x| ≥ %g > %g", preAbs, r10.T("alert"))
					}, Critical)
			case fs > r10.T("warn") && !learnt:
				m.observe(step, 10, a.l.Name, true, m.o.K, fs,
					func() string { return fmt.Sprintf("saturated fraction > %g", r10.T("warn")) })
			default:
				m.observe(step, 10, a.l.Name, false, m.o.K, fs, nil)
			}
		}
	}
}

// checkUpdates checks rule 6 and logs the update/weight ratios.
func (m *Monitor) checkUpdates(s *trainer.State) {
	step := s.Step
	m.scratch = m.scratch[:0]
	for i, p := range m.params {
		uu, ww := updateNorms(raw(p.Update), raw(p.Value))
		if uu == 0 || ww == 0 || !finite(uu) || !finite(ww) {
			continue
		}
		lr := 0.5 * math.Log10(uu/ww)
		m.scalar(m.tags[i].update, step, lr)
		if p.Kind == trainer.Weight {
			m.scratch = append(m.scratch, lr)
		}
	}
	if len(m.scratch) == 0 {
		return
	}
	r := m.rule(6).rule
	med := median(m.scratch)
	decayed := m.lr < r.T("lr_fraction")*m.peakLR
	converged := m.lossEMA < r.T("converged")*m.firstLoss
	switch {
	case med > r.T("high"):
		m.observe(step, 6, "", true, m.o.K, med,
			func() string {
				return fmt.Sprintf("median log10(update/weight) > %g: learning rate too high (×%.2g suggested)", r.T("high"), math.Pow(10, -3-med))
			})
	case med < r.T("low") && !decayed && !converged:
		m.observe(step, 6, "", true, m.o.K, med,
			func() string {
				return fmt.Sprintf("median log10(update/weight) < %g: learning rate too low (×%.2g suggested)", r.T("low"), math.Pow(10, -3-med))
			})
	default:
		m.observe(step, 6, "", false, m.o.K, med, nil)
	}
}

// checkDistance checks rule 13.
func (m *Monitor) checkDistance(s *trainer.State) {
	limit := m.rule(13).rule.T("distance")
	for i, p := range m.params {
		v, v0 := raw(p.Value), m.init[i]
		var d float64
		if limit == 0 {
			// Distance 0 is equality, which a trained tensor fails at
			// once: no need to sum every difference.
			for j, x := range v {
				if x != v0[j] {
					d = math.Inf(1)
					break
				}
			}
		} else {
			for j, x := range v {
				e := x - v0[j]
				d += e * e
			}
			d = math.Sqrt(d)
		}
		m.observe(s.Step, 13, p.Name, d <= limit, m.o.K, d, func() string {
			return fmt.Sprintf("distance from the initial value ≤ %g at %d checks in a row", limit, m.o.K)
		})
	}
}

// checkCurves checks rules 14, 15 and 16 after an evaluation.
func (m *Monitor) checkCurves(s *trainer.State) {
	step := s.Step
	r14, r15, r16 := m.rule(14).rule, m.rule(15).rule, m.rule(16).rule
	hasVal := s.ValData.Len() > 0
	v, tr := s.Val.Loss, s.Train.Loss

	improved := false
	minDelta := r14.T("min_delta")
	if m.emaN > 0 && m.lossEMA < m.bestEMA-minDelta {
		m.bestEMA, improved = m.lossEMA, true
	}
	if hasVal && v < m.bestVal-minDelta {
		m.bestVal, m.trainAtBest, improved = v, tr, true
	}
	if improved {
		m.staleEvals = 0
	} else {
		m.staleEvals++
	}
	patience := int(r14.T("patience"))
	decayed := m.lr < r14.T("lr_fraction")*m.peakLR
	converged := m.lossEMA < r14.T("converged")*m.firstLoss
	m.observe(step, 14, "", m.staleEvals >= patience && !decayed && !converged, 1, float64(m.staleEvals),
		func() string {
			return fmt.Sprintf("no improvement > %g of the validation loss or the training-loss EMA for %d evaluations, learning rate ≥ %g of its peak", minDelta, patience, r14.T("lr_fraction"))
		})

	if !hasVal {
		return
	}
	// The curve AUTOTRAINER reads is the accuracy; a regression has the
	// loss only.
	curve, what := v, "loss"
	if !math.IsNaN(s.Val.Accuracy) {
		curve, what = s.Val.Accuracy, "accuracy"
	}
	m.vals = append(m.vals, curve)
	window := int(r15.T("window"))
	if float64(m.evals) >= r15.T("start_fraction")*float64(m.evalsPlanned) && len(m.vals) >= 4 {
		w := m.vals[max(0, len(m.vals)-window):]
		size := r15.T("swing")
		if what == "accuracy" {
			size = max(size, r15.T("noise")*binomialSE(stat.Mean(w, nil), s.ValData.Len()))
		}
		swings := swings(w, size)
		frac := float64(swings) / float64(len(w))
		m.observe(step, 15, "", frac >= r15.T("fraction"), m.o.K, frac,
			func() string {
				return fmt.Sprintf("fraction of the last %d evaluations with a swing ≥ %.3g between a peak and the next trough of the validation %s ≥ %g",
					len(w), size, what, r15.T("fraction"))
			})
	}

	m.checkChance(s)

	over := finite(v) && v > (1+r16.T("rise"))*m.bestVal && v-m.bestVal >= r16.T("min_gap") && tr < m.trainAtBest
	m.observe(step, 16, "", over, m.o.K, v/m.bestVal,
		func() string {
			return fmt.Sprintf("validation loss > (1 + %g) × its best %.3g while the training loss fell below %.3g", r16.T("rise"), m.bestVal, m.trainAtBest)
		})
}

// swings counts the swings of the curve w as AUTOTRAINER does: it pairs
// its local maxima with its local minima, in order, and counts the pairs
// that differ by at least size.
func swings(w []float64, size float64) int {
	var peaks, troughs []float64
	for i := 1; i+1 < len(w); i++ {
		if w[i] >= w[i-1] && w[i] >= w[i+1] {
			peaks = append(peaks, w[i])
		}
		if w[i] <= w[i-1] && w[i] <= w[i+1] {
			troughs = append(troughs, w[i])
		}
	}
	n := 0
	for i := range min(len(peaks), len(troughs)) {
		if peaks[i]-troughs[i] >= size {
			n++
		}
	}
	return n
}

// checkFilters checks rule 19.
func (m *Monitor) checkFilters(s *trainer.State) {
	r := m.rule(19).rule
	if float64(s.Step) < r.T("start_fraction")*float64(m.totalSteps) {
		return
	}
	if m.lossEMA < r.T("converged")*m.firstLoss {
		return
	}
	rho, ok := m.filterNoise()
	if !ok {
		return
	}
	if !(m.rho0 > 0) {
		return
	}
	m.observe(s.Step, 19, m.filters.Name, rho > r.T("noise")*m.rho0, m.o.K, rho,
		func() string {
			return fmt.Sprintf("filter noisiness > %g × %.3g, its value at initialisation (white noise is 1): the filters are still mostly their random start", r.T("noise"), m.rho0)
		})
}

// filterNoise returns the noisiness of the first layer's filters: their
// mean total variation per neighbouring pair over their mean |w| per
// value, divided by √2, its expectation for white noise. Input values
// that never vary are left out (their weights get no gradient).
func (m *Monitor) filterNoise() (float64, bool) {
	if m.pairs == nil {
		m.filterPairs()
	}
	if len(m.pairs) == 0 {
		return 0, false
	}
	w := m.filters.Params[0].Value
	units, _ := w.Dims()
	var sum float64
	n := 0
	for u := range units {
		row := w.RawRowView(u)
		var tv, l1 float64
		for _, p := range m.pairs {
			tv += math.Abs(row[p[0]] - row[p[1]])
		}
		for _, k := range m.pix {
			l1 += math.Abs(row[k])
		}
		if l1 == 0 {
			continue
		}
		sum += (tv / float64(len(m.pairs))) / (l1 / float64(len(m.pix))) / math.Sqrt2
		n++
	}
	if n == 0 {
		return 0, false
	}
	return sum / float64(n), true
}

// filterPairs lists the pixels of a first-layer filter and its pairs of
// horizontal and vertical neighbours, leaving out the input values that
// never vary; none for a layer that reads a vector.
func (m *Monitor) filterPairs() {
	m.pairs = [][2]int32{}
	l := m.filters
	if l == nil || len(l.Params) == 0 {
		return
	}
	var c, h, wd int
	vary := func(int) bool { return true }
	switch l.Type {
	case trainer.TypeDense:
		c, h, wd = l.In.C, l.In.H, l.In.W
		vary = func(j int) bool { return j < len(m.filterPix) && m.filterPix[j] }
	case trainer.TypeConv:
		c, h, wd = l.In.C, l.Spec.Kernel, l.Spec.Kernel
	}
	if side := int(m.rule(19).rule.T("min_side")); h < side || wd < side {
		return // too few neighbours to tell noise from structure
	}
	for ch := range c {
		base := ch * h * wd
		for i := range h {
			for j := range wd {
				k := base + i*wd + j
				if !vary(k) {
					continue
				}
				m.pix = append(m.pix, int32(k))
				if j+1 < wd && vary(k+1) {
					m.pairs = append(m.pairs, [2]int32{int32(k), int32(k + 1)})
				}
				if i+1 < h && vary(k+wd) {
					m.pairs = append(m.pairs, [2]int32{int32(k), int32(k + wd)})
				}
			}
		}
	}
}

// histRows is the number of samples the activation histograms read: a
// sample of the batch is enough for a distribution, and an evaluation
// batch can be large.
const histRows = 64

// firstRows returns a view of the first n rows of x, or nil.
func firstRows(x *mat.Dense, n int) *mat.Dense {
	if x == nil {
		return nil
	}
	r, c := x.Dims()
	if r <= n {
		return x
	}
	return x.Slice(0, n, 0, c).(*mat.Dense)
}

// histograms logs the histograms of every parameter, gradient,
// activation and pre-activation.
func (m *Monitor) histograms(step int) {
	for i, p := range m.params {
		m.histogram(m.tags[i].weights, step, p.Value)
		m.histogram(m.tags[i].grads, step, p.Grad)
	}
	for _, a := range m.acts {
		m.histogram(a.actTag, step, firstRows(a.l.Output, histRows))
		m.histogram(a.preTag, step, firstRows(a.l.Input, histRows))
	}
}

// checkChance checks rule 21 after an evaluation: validation accuracy at
// chance while the training accuracy rises.
func (m *Monitor) checkChance(s *trainer.State) {
	va, ta := s.Val.Accuracy, s.Train.Accuracy
	if m.chance <= 0 || math.IsNaN(va) || math.IsNaN(ta) {
		return
	}
	r := m.rule(21).rule
	c := m.chance
	atChance := va <= c+r.T("chance_margin")*(1-c)
	learns := ta >= c+r.T("learns")*(1-c)
	m.observe(s.Step, 21, "", atChance && learns, m.o.K, va, func() string {
		return fmt.Sprintf("validation accuracy %.3g within %g of chance %.3g (the largest class's share) while training accuracy reached %.3g, for %d evaluations in a row",
			va, r.T("chance_margin"), c, ta, m.o.K)
	})
}

// checkOverlap checks rule 22 at the start: validation rows equal to
// training rows.
func (m *Monitor) checkOverlap(s *trainer.State) {
	if s.ValData.Len() == 0 {
		return
	}
	r := m.rule(22).rule
	o := data.Overlapping(s.TrainData.X, s.ValData.X)
	m.observe(0, 22, "", o.Fraction() > r.T("max_fraction"), 1, o.Fraction(), func() string {
		return OverlapText(o) + fmt.Sprintf(" > %g", r.T("max_fraction"))
	})
}

// OverlapText describes an overlap of a training/validation split in
// words, with its examples: "12 of 360 validation rows (3.33%) equal a
// training row, such as validation row 4 = training row 17, ...".
func OverlapText(o data.Overlap) string {
	var ex []string
	for _, e := range o.Examples {
		ex = append(ex, fmt.Sprintf("validation row %d = training row %d", e[0], e[1]))
	}
	t := fmt.Sprintf("%d of %d validation rows (%.3g%%) equal a training row", o.Shared, o.Rows, 100*o.Fraction())
	if len(ex) > 0 {
		t += ", such as " + strings.Join(ex, ", ")
	}
	return t
}

// majorityShare returns the largest class's share of labels y over k
// classes, the accuracy of always answering that class: chance.
func majorityShare(y []int, k int) float64 {
	if len(y) == 0 || k < 1 {
		return 0
	}
	counts := data.ClassCounts(y, k)
	return float64(slices.Max(counts)) / float64(len(y))
}

// binomialSE returns the standard error √(p(1−p)/n) of an accuracy p
// measured on n samples: how much it moves by chance.
func binomialSE(p float64, n int) float64 {
	if n <= 0 || !(p >= 0 && p <= 1) {
		return 0
	}
	return math.Sqrt(p * (1 - p) / float64(n))
}
