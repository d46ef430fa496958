package trainer

import (
	"fmt"
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/mat"
)

// GradCheckOptions tunes CheckGradients. The zero value checks every
// value of every tensor with ε = 1e-5 in training mode.
type GradCheckOptions struct {
	// Eps is the step ε of the centred difference
	// (L(θ+ε) − L(θ−ε))/2ε; 0 means 1e-5.
	Eps float64
	// MaxPerTensor, if positive, checks that many values of each tensor,
	// drawn with Seed, instead of all of them.
	MaxPerTensor int
	Seed         uint64
	// Input also checks dLoss/dinput, as the tensor "input".
	Input bool
	// Eval checks the model in evaluation mode (batch normalisation
	// with its running statistics, no dropout) instead of training mode
	// (batch statistics, dropout with a fixed mask).
	Eval bool
	// Floor is the smallest denominator of the relative error, so that
	// values whose gradient is nearly zero compare absolutely; 0 means
	// 1e-8.
	Floor float64
}

// A GradCheck is the result of CheckGradients.
type GradCheck struct {
	// MaxRelErr is the largest relative error found, Worst the value
	// where it was, as "tensor[i]" (i the index in the flattened Value).
	MaxRelErr float64
	Worst     string
	// Tensors has one entry per checked tensor: every trainable
	// parameter, then "input" if asked.
	Tensors []TensorCheck
}

// A TensorCheck is the gradient check of one tensor.
type TensorCheck struct {
	Name      string
	MaxRelErr float64
	// Worst is the flattened index of the worst value, Analytic and
	// Numeric its two gradients.
	Worst             int
	Analytic, Numeric float64
	// Checked is the number of values compared.
	Checked int
}

// CheckGradients compares the gradients Backward computes with centred
// finite differences of the loss, in float64, value by value:
//
//	numeric = (L(θ + ε) − L(θ − ε)) / 2ε
//	relative error = |analytic − numeric| / max(|analytic|, |numeric|, Floor)
//
// As a rule of thumb (CS231n), a relative error above 1e-2 is a wrong
// gradient, 1e-4..1e-2 suspicious, below 1e-7 good; kinks (ReLU at 0,
// ties in max-pooling or maxout) make a correct gradient look wrong when
// an input sits on them.
//
// The check runs the model on x (in training mode unless opts.Eval, with
// dropout masks held fixed) and leaves every parameter and running
// statistic as it found it; it overwrites the gradients and the recorded
// layer inputs and outputs. opts may be nil.
func CheckGradients(m *Model, x *mat.Dense, loss Loss, y Targets, opts *GradCheckOptions) (GradCheck, error) {
	var o GradCheckOptions
	if opts != nil {
		o = *opts
	}
	if o.Eps == 0 {
		o.Eps = 1e-5
	}
	if o.Floor == 0 {
		o.Floor = 1e-8
	}
	r, c := x.Dims()
	if c != m.in.Size() {
		return GradCheck{}, fmt.Errorf("trainer: gradient check: input has %d columns, the model takes %d", c, m.in.Size())
	}
	if err := loss.Check(m.out.Size(), y); err != nil {
		return GradCheck{}, err
	}
	if y.Rows() != r {
		return GradCheck{}, fmt.Errorf("trainer: gradient check: %d target rows for %d samples", y.Rows(), r)
	}
	saved := make([][]float64, len(m.buffers))
	for i, b := range m.buffers {
		saved[i] = append([]float64(nil), raw(b.Value)...)
	}
	restore := func() {
		for i, b := range m.buffers {
			copy(raw(b.Value), saved[i])
		}
	}
	m.freezeMasks(true)
	defer m.freezeMasks(false)
	defer restore()

	xc := mat.DenseCopyOf(x)
	train := !o.Eval
	lossAt := func() float64 {
		restore() // batch statistics must not drift between evaluations
		return loss.Loss(nil, m.Forward(xc, train), y)
	}
	out := m.Forward(xc, train)
	or, oc := out.Dims()
	grad := mat.NewDense(or, oc, nil)
	loss.Loss(grad, out, y)
	m.ZeroGrad()
	dx := mat.DenseCopyOf(m.BackwardInput(grad))

	rng := rand.New(rand.NewPCG(o.Seed, 0x6772616463686b))
	var res GradCheck
	check := func(name string, values, analytic []float64) {
		tc := TensorCheck{Name: name}
		idx := make([]int, len(values))
		for i := range idx {
			idx[i] = i
		}
		if o.MaxPerTensor > 0 && o.MaxPerTensor < len(idx) {
			rng.Shuffle(len(idx), func(i, j int) { idx[i], idx[j] = idx[j], idx[i] })
			idx = idx[:o.MaxPerTensor]
		}
		for _, i := range idx {
			v := values[i]
			values[i] = v + o.Eps
			lp := lossAt()
			values[i] = v - o.Eps
			lm := lossAt()
			values[i] = v
			num := (lp - lm) / (2 * o.Eps)
			a := analytic[i]
			e := math.Abs(a-num) / max(math.Abs(a), math.Abs(num), o.Floor)
			if math.IsNaN(e) {
				e = math.Inf(1)
			}
			if e > tc.MaxRelErr || tc.Checked == 0 {
				tc.MaxRelErr, tc.Worst, tc.Analytic, tc.Numeric = e, i, a, num
			}
			tc.Checked++
		}
		res.Tensors = append(res.Tensors, tc)
		if tc.Checked > 0 && (tc.MaxRelErr > res.MaxRelErr || res.Worst == "") {
			res.MaxRelErr, res.Worst = tc.MaxRelErr, fmt.Sprintf("%s[%d]", name, tc.Worst)
		}
	}
	analytic := make([][]float64, len(m.params))
	for i, p := range m.params {
		analytic[i] = append([]float64(nil), raw(p.Grad)...)
	}
	for i, p := range m.params {
		check(p.Name, raw(p.Value), analytic[i])
	}
	if o.Input {
		check("input", raw(xc), raw(dx))
	}
	// Leave the analytic gradients in place, as after Backward.
	for i, p := range m.params {
		copy(raw(p.Grad), analytic[i])
	}
	return res, nil
}
