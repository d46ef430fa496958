package trainer

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"
)

// Targets are what a batch's outputs are compared with: class labels, one
// per row, or target values of the size of the output. A loss says which
// it reads.
type Targets struct {
	// Labels holds the class of each row, 0 ≤ label < classes.
	Labels []int
	// Values holds a target per output value, rows×outputs.
	Values *mat.Dense
}

// Rows returns the number of rows the targets cover.
func (t Targets) Rows() int {
	if t.Values != nil {
		r, _ := t.Values.Dims()
		return r
	}
	return len(t.Labels)
}

// A Loss compares a batch of model outputs with their targets.
type Loss interface {
	// Loss returns the mean loss of out against y and, when grad is
	// not nil, stores dLoss/dout in grad, a matrix of the size of out.
	// It panics if y does not fit out (see Check); NaN and infinite
	// outputs give a NaN or infinite loss, never a panic.
	Loss(grad, out *mat.Dense, y Targets) float64
	// Check returns an error naming the first target that does not fit
	// outputs of the given width: a missing kind of target, a label out
	// of range, a value of the wrong shape or outside the loss's domain.
	Check(outputs int, y Targets) error
	// Predict returns the class the loss's model predicts for row i of
	// out, or −1 if the loss does not classify (regression).
	Predict(out *mat.Dense, i int) int
	// Name returns the loss's name, such as "softmax_cross_entropy".
	Name() string
}

// SoftmaxCrossEntropy is the cross-entropy of the softmax of the outputs
// (logits) with the labels, for classification into outputs classes:
//
//	loss = Σᵢ wᵢ·(log Σⱼ e^zᵢⱼ − zᵢ,yᵢ) / Σᵢ wᵢ,   wᵢ = Weights[yᵢ] (1 without weights)
//	dloss/dzᵢⱼ = wᵢ·(softmax(zᵢ)ⱼ − [j = yᵢ]) / Σᵢ wᵢ
//
// the weighted mean PyTorch's CrossEntropyLoss computes. The log-sum-exp
// subtracts the row's maximum first, so large logits do not overflow. A
// model that predicts uniformly starts at loss ln K for K classes.
type SoftmaxCrossEntropy struct {
	// Weights, if not nil, weighs each class (one per output), for
	// imbalanced classes; a common choice is n/(K·count of the class).
	Weights []float64
}

// Name returns "softmax_cross_entropy".
func (SoftmaxCrossEntropy) Name() string { return "softmax_cross_entropy" }

// Check implements Loss: labels in [0, outputs), weights one per class.
func (l SoftmaxCrossEntropy) Check(outputs int, y Targets) error {
	if y.Labels == nil {
		return valueErrorf("%s needs class labels", l.Name())
	}
	if outputs < 2 {
		return valueErrorf("%s needs at least 2 outputs, have %d", l.Name(), outputs)
	}
	if l.Weights != nil {
		if len(l.Weights) != outputs {
			return valueErrorf("%s: %d class weights for %d classes", l.Name(), len(l.Weights), outputs)
		}
		for i, w := range l.Weights {
			if !(w >= 0) || math.IsInf(w, 0) {
				return valueErrorf("%s: weight of class %d is %v, want a finite value ≥ 0", l.Name(), i, w)
			}
		}
	}
	return checkLabels(y.Labels, outputs)
}

func checkLabels(labels []int, classes int) error {
	for i, c := range labels {
		if c < 0 || c >= classes {
			return valueErrorf("label %d of row %d is outside [0, %d)", c, i, classes)
		}
	}
	return nil
}

// Loss implements Loss.
func (l SoftmaxCrossEntropy) Loss(grad, out *mat.Dense, y Targets) float64 {
	n, k := out.Dims()
	checkRows(out, grad, y.Labels == nil, len(y.Labels))
	os := out.RawMatrix()
	var total, wsum float64
	var gs []float64
	if grad != nil {
		gs = raw(grad)
	}
	for i := range n {
		c := y.Labels[i]
		if c < 0 || c >= k {
			panic(fmt.Sprintf("trainer: %s: label %d of row %d is outside [0, %d)", l.Name(), c, i, k))
		}
		w := 1.0
		if l.Weights != nil {
			w = l.Weights[c]
		}
		z := os.Data[i*os.Stride : i*os.Stride+k]
		var lse float64
		if gs != nil {
			lse = softmaxRow(gs[i*k:(i+1)*k], z)
		} else {
			lse = logSumExp(z)
		}
		total += w * (lse - z[c])
		wsum += w
	}
	if gs != nil {
		for i := range n {
			c := y.Labels[i]
			w := 1.0
			if l.Weights != nil {
				w = l.Weights[c]
			}
			g := gs[i*k : (i+1)*k]
			g[c] -= 1
			s := w / wsum
			for j := range g {
				g[j] *= s
			}
		}
	}
	return total / wsum
}

func logSumExp(z []float64) float64 {
	m := math.Inf(-1)
	for _, v := range z {
		if v > m || v != v {
			m = v
		}
	}
	var s float64
	for _, v := range z {
		s += math.Exp(v - m)
	}
	return m + math.Log(s)
}

// Predict returns the class of the largest logit.
func (SoftmaxCrossEntropy) Predict(out *mat.Dense, i int) int { return argmax(out, i) }

func argmax(out *mat.Dense, i int) int {
	r := out.RawRowView(i)
	best := 0
	for j, v := range r {
		if v > r[best] {
			best = j
		}
	}
	return best
}

// checkRows panics unless grad (if any) matches out and the targets cover
// its rows.
func checkRows(out, grad *mat.Dense, missing bool, rows int) {
	n, k := out.Dims()
	if missing {
		panic("trainer: loss: missing targets (see Loss.Check)")
	}
	if rows != n {
		panic(&ShapeError{Op: "Loss targets", WantRows: n, WantCols: k, GotRows: rows, GotCols: k})
	}
	if grad != nil {
		if r, c := grad.Dims(); r != n || c != k || grad.RawMatrix().Stride != k {
			panic(&ShapeError{Op: "Loss gradient", WantRows: n, WantCols: k, GotRows: r, GotCols: c})
		}
	}
}

// BinaryCrossEntropy is the cross-entropy of the sigmoid of each output
// (a logit) with a target in [0, 1], averaged over every output value:
//
//	loss = mean of max(z, 0) − z·t + log(1 + e^−|z|)
//	dloss/dz = (σ(z) − t) / (rows·outputs)
//
// which is −t·log σ(z) − (1−t)·log(1−σ(z)) computed without overflow. The
// targets are Values, or, for a single output, Labels 0 and 1.
type BinaryCrossEntropy struct{}

// Name returns "binary_cross_entropy".
func (BinaryCrossEntropy) Name() string { return "binary_cross_entropy" }

// Check implements Loss.
func (l BinaryCrossEntropy) Check(outputs int, y Targets) error {
	if y.Values != nil {
		return checkValues(l.Name(), outputs, y.Values, true)
	}
	if y.Labels == nil {
		return valueErrorf("%s needs target values or 0/1 labels", l.Name())
	}
	if outputs != 1 {
		return valueErrorf("%s with labels needs 1 output, have %d", l.Name(), outputs)
	}
	return checkLabels(y.Labels, 2)
}

func checkValues(name string, outputs int, v *mat.Dense, unit bool) error {
	_, c := v.Dims()
	if c != outputs {
		return valueErrorf("%s: targets have %d columns for %d outputs", name, c, outputs)
	}
	r, _ := v.Dims()
	for i := range r {
		for j, t := range v.RawRowView(i) {
			if math.IsNaN(t) || math.IsInf(t, 0) || unit && (t < 0 || t > 1) {
				want := "a finite number"
				if unit {
					want = "in [0, 1]"
				}
				return valueErrorf("%s: target at row %d, column %d is %v, want %s", name, i, j, t, want)
			}
		}
	}
	return nil
}

// target returns the target of row i, column j.
func (t Targets) target(i, j int) float64 {
	if t.Values != nil {
		return t.Values.At(i, j)
	}
	if t.Labels[i] == j {
		return 1
	}
	return 0
}

// Loss implements Loss.
func (l BinaryCrossEntropy) Loss(grad, out *mat.Dense, y Targets) float64 {
	n, k := out.Dims()
	checkRows(out, grad, y.Values == nil && y.Labels == nil, y.Rows())
	if y.Values == nil && k != 1 {
		panic(fmt.Sprintf("trainer: %s with labels needs 1 output, have %d", l.Name(), k))
	}
	var total float64
	scale := 1 / float64(n*k)
	for i := range n {
		z := out.RawRowView(i)
		for j, v := range z {
			var t float64
			if y.Values != nil {
				t = y.Values.At(i, j)
			} else if y.Labels[i] == 1 {
				t = 1
			}
			total += max(v, 0) - v*t + math.Log1p(math.Exp(-math.Abs(v)))
			if grad != nil {
				raw(grad)[i*k+j] = (sigmoid(v) - t) * scale
			}
		}
	}
	return total * scale
}

// Predict returns 1 for a positive logit and 0 otherwise when there is a
// single output, −1 for several (multi-label outputs are not one class).
func (BinaryCrossEntropy) Predict(out *mat.Dense, i int) int {
	if _, k := out.Dims(); k != 1 {
		return -1
	}
	if out.At(i, 0) > 0 {
		return 1
	}
	return 0
}

// MeanSquaredError is the mean over every output value of the squared
// difference with its target:
//
//	loss = mean of (o − t)²,   dloss/do = 2·(o − t) / (rows·outputs)
//
// The targets are Values, or Labels read as one-hot rows (the classic
// sigmoid + MSE classifier, kept for the "output layer / loss mismatch"
// lesson).
type MeanSquaredError struct{}

// Name returns "mse".
func (MeanSquaredError) Name() string { return "mse" }

// Check implements Loss.
func (l MeanSquaredError) Check(outputs int, y Targets) error {
	if y.Values != nil {
		return checkValues(l.Name(), outputs, y.Values, false)
	}
	if y.Labels == nil {
		return valueErrorf("%s needs target values or labels", l.Name())
	}
	return checkLabels(y.Labels, outputs)
}

// Loss implements Loss.
func (l MeanSquaredError) Loss(grad, out *mat.Dense, y Targets) float64 {
	n, k := out.Dims()
	checkRows(out, grad, y.Values == nil && y.Labels == nil, y.Rows())
	var total float64
	scale := 1 / float64(n*k)
	for i := range n {
		if y.Values == nil && (y.Labels[i] < 0 || y.Labels[i] >= k) {
			panic(fmt.Sprintf("trainer: %s: label %d of row %d is outside [0, %d)", l.Name(), y.Labels[i], i, k))
		}
		for j, v := range out.RawRowView(i) {
			d := v - y.target(i, j)
			total += d * d
			if grad != nil {
				raw(grad)[i*k+j] = 2 * d * scale
			}
		}
	}
	return total * scale
}

// Predict returns the largest output's index when there are several
// outputs, −1 for one (regression).
func (MeanSquaredError) Predict(out *mat.Dense, i int) int {
	if _, k := out.Dims(); k == 1 {
		return -1
	}
	return argmax(out, i)
}

// Accuracy returns the fraction of rows of out whose class, as loss
// predicts it, is the label; NaN if the loss does not classify.
func Accuracy(loss Loss, out *mat.Dense, labels []int) float64 {
	correct := 0
	for i, c := range labels {
		p := loss.Predict(out, i)
		if p < 0 {
			return math.NaN()
		}
		if p == c {
			correct++
		}
	}
	return float64(correct) / float64(len(labels))
}
