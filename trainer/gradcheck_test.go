package trainer

import (
	"testing"

	"gonum.org/v1/gonum/mat"
)

// gradCase is a model, an input and a loss whose gradients must match
// finite differences.
type gradCase struct {
	desc   string
	in     Shape
	layers []LayerSpec
	// input makes the batch; nil means values in ±[0.1, 1].
	distinct bool
	eval     bool
	loss     Loss    // nil: projLoss
	y        Targets // the loss's targets
}

func TestGradientsLayers(t *testing.T) {
	t.Parallel()
	img := Shape{C: 2, H: 5, W: 5}
	cases := []gradCase{
		{desc: "dense", in: Vector(6), layers: []LayerSpec{{Type: TypeDense, Units: 4}}},
		{desc: "dense no bias, he init", in: Vector(6), layers: []LayerSpec{{Type: TypeDense, Units: 3, NoBias: true, Init: Init{Kind: InitHeNormal}}}},
		{desc: "dense on an image input", in: img, layers: []LayerSpec{{Type: TypeDense, Units: 3}}},
		{desc: "conv 3x3 stride 1 pad 1", in: img, layers: []LayerSpec{{Type: TypeConv, Filters: 3, Kernel: 3, Padding: 1}}},
		{desc: "conv 3x3 stride 2 pad 0", in: img, layers: []LayerSpec{{Type: TypeConv, Filters: 2, Kernel: 3, Stride: 2}}},
		{desc: "conv 2x2 stride 2 pad 1 no bias", in: img, layers: []LayerSpec{{Type: TypeConv, Filters: 2, Kernel: 2, Stride: 2, Padding: 1, NoBias: true}}},
		{desc: "conv 1x1", in: img, layers: []LayerSpec{{Type: TypeConv, Filters: 3, Kernel: 1}}},
		{desc: "maxpool 2", in: Shape{C: 2, H: 4, W: 4}, distinct: true, layers: []LayerSpec{{Type: TypeMaxPool}}},
		{desc: "maxpool 3 stride 2, overlapping", in: img, distinct: true, layers: []LayerSpec{{Type: TypeMaxPool, Kernel: 3, Stride: 2}}},
		{desc: "conv, flatten, dense", in: img, layers: []LayerSpec{{Type: TypeConv, Filters: 2, Kernel: 3}, {Type: TypeFlatten}, {Type: TypeDense, Units: 3}}},
		{desc: "batchnorm on vectors, training", in: Vector(5), layers: []LayerSpec{{Type: TypeBatchNorm}}},
		{desc: "batchnorm on images, training", in: Shape{C: 3, H: 2, W: 3}, layers: []LayerSpec{{Type: TypeBatchNorm}}},
		{desc: "batchnorm after dense, evaluation", in: Vector(4), eval: true, layers: []LayerSpec{{Type: TypeDense, Units: 3}, {Type: TypeBatchNorm}}},
		// Batch normalisation cancels a bias before it: its gradient is
		// zero and only rounding noise is left to compare, hence no_bias
		// (which is also the right way to build such a layer).
		{desc: "dense, batchnorm, dense, training", in: Vector(4), layers: []LayerSpec{{Type: TypeDense, Units: 5, NoBias: true}, {Type: TypeBatchNorm}, {Type: TypeDense, Units: 2}}},
		{desc: "dropout, fixed mask", in: Vector(8), layers: []LayerSpec{{Type: TypeDense, Units: 6}, {Type: TypeDropout, Rate: 0.5}, {Type: TypeDense, Units: 3}}},
		{desc: "sigmoid", in: Vector(7), layers: []LayerSpec{{Type: TypeSigmoid}}},
		{desc: "tanh", in: Vector(7), layers: []LayerSpec{{Type: TypeTanh}}},
		{desc: "relu", in: Vector(7), layers: []LayerSpec{{Type: TypeReLU}}},
		{desc: "leaky_relu", in: Vector(7), layers: []LayerSpec{{Type: TypeLeakyReLU, Slope: 0.1}}},
		{desc: "elu", in: Vector(7), layers: []LayerSpec{{Type: TypeELU, Alpha: 0.7}}},
		{desc: "prelu on vectors", in: Vector(7), layers: []LayerSpec{{Type: TypePReLU}}},
		{desc: "prelu on images", in: Shape{C: 2, H: 3, W: 2}, layers: []LayerSpec{{Type: TypePReLU, Slope: 0.1}}},
		{desc: "maxout on vectors", in: Vector(6), distinct: true, layers: []LayerSpec{{Type: TypeMaxout, Pieces: 3}}},
		{desc: "maxout on images", in: Shape{C: 4, H: 2, W: 2}, distinct: true, layers: []LayerSpec{{Type: TypeMaxout}}},
		{desc: "softmax", in: Vector(5), layers: []LayerSpec{{Type: TypeSoftmax}}},
		{desc: "residual identity", in: Vector(4), layers: []LayerSpec{{Type: TypeResidual, Layers: []LayerSpec{
			{Type: TypeDense, Units: 6}, {Type: TypeTanh}, {Type: TypeDense, Units: 4}}}}},
		{desc: "residual with a dense projection", in: Vector(4), layers: []LayerSpec{{Type: TypeResidual, Layers: []LayerSpec{
			{Type: TypeDense, Units: 3}, {Type: TypeELU}}}}},
		{desc: "residual with a strided conv projection", in: img, layers: []LayerSpec{{Type: TypeResidual, Layers: []LayerSpec{
			{Type: TypeConv, Filters: 3, Kernel: 3, Stride: 2, Padding: 1, NoBias: true}, {Type: TypeBatchNorm}, {Type: TypeTanh}}}}},
		{desc: "residual as the second layer", in: Vector(3), layers: []LayerSpec{{Type: TypeDense, Units: 4}, {Type: TypeResidual, Layers: []LayerSpec{
			{Type: TypeSigmoid}, {Type: TypeDense, Units: 4}}}}},
	}
	for i, c := range cases {
		t.Run(c.desc, func(t *testing.T) {
			t.Parallel()
			runGradCase(t, c, uint64(i))
		})
	}
}

func TestGradientsLosses(t *testing.T) {
	t.Parallel()
	labels := []int{0, 2, 1, 2, 0}
	binary := []int{1, 0, 0, 1, 1}
	values := randMatrix(testRand(7), 5, 3, 0.05, 0.95)
	for i := range raw(values) {
		raw(values)[i] = (raw(values)[i] + 1) / 2 // into [0, 1]
	}
	flat := []LayerSpec{{Type: TypeFlatten}}
	cases := []gradCase{
		{desc: "softmax cross-entropy", in: Vector(3), layers: flat, loss: SoftmaxCrossEntropy{}, y: Targets{Labels: labels}},
		{desc: "softmax cross-entropy with class weights", in: Vector(3), layers: flat, loss: SoftmaxCrossEntropy{Weights: []float64{0.5, 2, 1.5}}, y: Targets{Labels: labels}},
		{desc: "binary cross-entropy, labels", in: Vector(1), layers: flat, loss: BinaryCrossEntropy{}, y: Targets{Labels: binary}},
		{desc: "binary cross-entropy, values", in: Vector(3), layers: flat, loss: BinaryCrossEntropy{}, y: Targets{Values: values}},
		{desc: "mean squared error, values", in: Vector(3), layers: flat, loss: MeanSquaredError{}, y: Targets{Values: values}},
		{desc: "mean squared error, one-hot labels", in: Vector(3), layers: flat, loss: MeanSquaredError{}, y: Targets{Labels: labels}},
		{desc: "dense, relu, dense, cross-entropy", in: Vector(4), loss: SoftmaxCrossEntropy{}, y: Targets{Labels: labels},
			layers: []LayerSpec{{Type: TypeDense, Units: 8, Init: Init{Kind: InitHeNormal}}, {Type: TypeReLU}, {Type: TypeDense, Units: 3}}},
	}
	for i, c := range cases {
		t.Run(c.desc, func(t *testing.T) {
			t.Parallel()
			runGradCase(t, c, uint64(100+i))
		})
	}
}

func runGradCase(t *testing.T, c gradCase, seed uint64) {
	t.Helper()
	m, err := NewModel(c.in, Spec{Layers: c.layers}, seed)
	if err != nil {
		t.Fatal(err)
	}
	rng := testRand(seed)
	n := 5
	var x *mat.Dense
	if c.distinct {
		x = distinctMatrix(rng, n, c.in.Size())
	} else {
		x = randMatrix(rng, n, c.in.Size(), 0.1, 1)
	}
	loss, y := c.loss, c.y
	if loss == nil {
		loss, y = projLoss{}, Targets{Values: randMatrix(rng, n, m.OutShape().Size(), 0.5, 1.5)}
	}
	// Batch-norm's running statistics must differ from the batch's for
	// the evaluation-mode check to mean something.
	for _, b := range m.Buffers() {
		for i := range raw(b.Value) {
			raw(b.Value)[i] += 0.3 * float64(i+1)
		}
	}
	before := snapshot(m)
	res, err := CheckGradients(m, x, loss, y, &GradCheckOptions{Input: true, Eval: c.eval})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("max relative error %.3g at %s", res.MaxRelErr, res.Worst)
	for _, tc := range res.Tensors {
		if tc.Checked == 0 {
			t.Errorf("%s: no value checked", tc.Name)
		}
		if !(tc.MaxRelErr < 1e-6) {
			t.Errorf("%s: relative error %.3g at [%d]: analytic %.10g, numeric %.10g", tc.Name, tc.MaxRelErr, tc.Worst, tc.Analytic, tc.Numeric)
		}
	}
	if len(res.Tensors) != len(m.Params())+1 {
		t.Errorf("checked %d tensors, want %d parameters and the input", len(res.Tensors), len(m.Params()))
	}
	if after := snapshot(m); !equalBits(before, after) {
		t.Error("CheckGradients changed the parameters or the running statistics")
	}
}

// snapshot copies every parameter and buffer value of m.
func snapshot(m *Model) []float64 {
	var s []float64
	for _, p := range m.tensors() {
		s = append(s, raw(p.Value)...)
	}
	return s
}

func equalBits(a, b []float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] && !(a[i] != a[i] && b[i] != b[i]) {
			return false
		}
	}
	return true
}

// wrongLoss is the cross-entropy with a gradient 1% too large.
type wrongLoss struct{ SoftmaxCrossEntropy }

func (l wrongLoss) Loss(grad, out *mat.Dense, y Targets) float64 {
	v := l.SoftmaxCrossEntropy.Loss(grad, out, y)
	if grad != nil {
		grad.Scale(1.01, grad)
	}
	return v
}

// The check finds a wrong gradient, and names where.
func TestGradientCheckFindsBugs(t *testing.T) {
	t.Parallel()
	m, err := NewModel(Vector(3), MLP("", []int{4}, TypeTanh, Init{}, 2), 1)
	if err != nil {
		t.Fatal(err)
	}
	x := randMatrix(testRand(1), 4, 3, 0.1, 1)
	y := Targets{Labels: []int{0, 1, 1, 0}}
	res, err := CheckGradients(m, x, wrongLoss{}, y, &GradCheckOptions{MaxPerTensor: 3})
	if err != nil {
		t.Fatal(err)
	}
	if res.MaxRelErr < 5e-3 || res.MaxRelErr > 2e-2 {
		t.Errorf("relative error %v for a gradient 1%% off", res.MaxRelErr)
	}
	for _, tc := range res.Tensors {
		if tc.Checked != min(3, m.Param(tc.Name).Size()) {
			t.Errorf("%s: %d values checked", tc.Name, tc.Checked)
		}
	}
	if _, err := CheckGradients(m, x, SoftmaxCrossEntropy{}, Targets{Labels: []int{0, 5, 1, 0}}, nil); err == nil {
		t.Error("no error for a label out of range")
	}
}
