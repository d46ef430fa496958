package trainer

import (
	"math"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// The convolution matches the textbook sum
// y[f,i,j] = b[f] + Σ_c Σ_u Σ_v w[f,c,u,v]·x[c, i·s−p+u, j·s−p+v].
func TestConvMatchesDirectSum(t *testing.T) {
	t.Parallel()
	tests := []struct {
		desc             string
		in               Shape
		filters, k, s, p int
	}{
		{"3x3 same", Shape{C: 2, H: 5, W: 6}, 3, 3, 1, 1},
		{"3x3 stride 2", Shape{C: 3, H: 7, W: 5}, 2, 3, 2, 0},
		{"2x2 stride 3 pad 2", Shape{C: 1, H: 6, W: 6}, 4, 2, 3, 2},
		{"1x1", Shape{C: 4, H: 3, W: 2}, 2, 1, 1, 0},
	}
	for i, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			t.Parallel()
			m, err := NewModel(tt.in, Spec{Layers: []LayerSpec{{Type: TypeConv, Filters: tt.filters, Kernel: tt.k, Stride: tt.s, Padding: tt.p, BiasInit: Init{Kind: InitUniform, Scale: 1}}}}, uint64(i))
			if err != nil {
				t.Fatal(err)
			}
			x := randMatrix(testRand(uint64(i)), 3, tt.in.Size(), 0, 1)
			y := m.Forward(x, false)
			w, b := m.Param("conv1/weights").Value, m.Param("conv1/bias").Value
			out := m.OutShape()
			for n := range 3 {
				for f := range tt.filters {
					for oi := range out.H {
						for oj := range out.W {
							sum := b.At(0, f)
							for c := range tt.in.C {
								for u := range tt.k {
									for v := range tt.k {
										ii, jj := oi*tt.s-tt.p+u, oj*tt.s-tt.p+v
										if ii < 0 || jj < 0 || ii >= tt.in.H || jj >= tt.in.W {
											continue
										}
										sum += w.At(f, (c*tt.k+u)*tt.k+v) * x.At(n, c*tt.in.H*tt.in.W+ii*tt.in.W+jj)
									}
								}
							}
							if got := y.At(n, f*out.H*out.W+oi*out.W+oj); math.Abs(got-sum) > 1e-12 {
								t.Fatalf("sample %d filter %d at (%d,%d): %v, want %v", n, f, oi, oj, got, sum)
							}
						}
					}
				}
			}
		})
	}
}

func TestMaxPool(t *testing.T) {
	t.Parallel()
	m, err := NewModel(Shape{C: 1, H: 4, W: 4}, Spec{Layers: []LayerSpec{{Type: TypeMaxPool}}}, 1)
	if err != nil {
		t.Fatal(err)
	}
	x := mat.NewDense(1, 16, []float64{
		1, 2, 5, 0,
		3, 4, 1, 1,
		-1, -2, 7, 7,
		-3, -4, 7, 6,
	})
	y := m.Forward(x, false)
	if want := []float64{4, 5, -1, 7}; !equalBits(raw(y), want) {
		t.Errorf("max-pool %v, want %v", raw(y), want)
	}
	// The gradient goes to the first maximum of each window.
	dx := m.BackwardInput(mat.NewDense(1, 4, []float64{10, 20, 30, 40}))
	want := []float64{0, 0, 20, 0, 0, 10, 0, 0, 30, 0, 40, 0, 0, 0, 0, 0}
	if !equalBits(raw(dx), want) {
		t.Errorf("max-pool gradient %v, want %v", raw(dx), want)
	}
}

// In training, batch normalisation gives each channel zero mean and unit
// variance over the batch (and positions), then scales and shifts; its
// running statistics follow the batch's with the momentum; in evaluation
// it uses them.
func TestBatchNorm(t *testing.T) {
	t.Parallel()
	in := Shape{C: 2, H: 2, W: 3}
	m, err := NewModel(in, Spec{Layers: []LayerSpec{{Type: TypeBatchNorm, Momentum: 0.5}}}, 1)
	if err != nil {
		t.Fatal(err)
	}
	x := randMatrix(testRand(4), 4, in.Size(), 0, 3)
	for i := range raw(x) {
		raw(x)[i] += 5 // a mean to remove
	}
	y := mat.DenseCopyOf(m.Forward(x, true)) // the next Forward overwrites it
	mean, variance := channelStats(x, in)
	for c := range in.C {
		ym, yv := channelStats(y, in)
		if math.Abs(ym[c]) > 1e-12 || math.Abs(yv[c]-variance[c]/(variance[c]+1e-5)) > 1e-12 {
			t.Errorf("channel %d: normalised mean %v variance %v", c, ym[c], yv[c])
		}
		n := float64(4 * in.H * in.W)
		rm, rv := m.Param("bn1/running_mean").Value.At(0, c), m.Param("bn1/running_var").Value.At(0, c)
		if want := 0.5 * mean[c]; math.Abs(rm-want) > 1e-12 {
			t.Errorf("channel %d: running mean %v, want %v", c, rm, want)
		}
		if want := 0.5 + 0.5*variance[c]*n/(n-1); math.Abs(rv-want) > 1e-12 {
			t.Errorf("channel %d: running variance %v, want %v (unbiased)", c, rv, want)
		}
	}
	// Scale and shift.
	g, b := m.Param("bn1/scale").Value, m.Param("bn1/shift").Value
	g.Set(0, 1, 2)
	b.Set(0, 1, -1)
	y2 := mat.DenseCopyOf(m.Forward(x, true))
	for i := range 4 {
		for j := 6; j < 12; j++ {
			if want := 2*y.At(i, j) - 1; math.Abs(y2.At(i, j)-want) > 1e-12 {
				t.Fatalf("scaled output %v, want %v", y2.At(i, j), want)
			}
		}
	}
	// After many passes over the same batch the running statistics are
	// the batch's (variance unbiased), so evaluation matches training up
	// to the unbiased correction.
	for range 60 {
		m.Forward(x, true)
	}
	n := float64(4 * in.H * in.W)
	rv := m.Param("bn1/running_var").Value
	for c := range in.C {
		rv.Set(0, c, rv.At(0, c)*(n-1)/n)
	}
	train := mat.DenseCopyOf(m.Forward(x, true))
	rv = m.Param("bn1/running_var").Value
	for c := range in.C {
		rv.Set(0, c, variance[c])
	}
	eval := m.Forward(x, false)
	for i, v := range raw(eval) {
		if math.Abs(v-raw(train)[i]) > 1e-9 {
			t.Fatalf("evaluation %v, training %v at %d", v, raw(train)[i], i)
		}
	}
}

// channelStats returns the mean and (biased) variance of each channel
// over the rows and positions of x.
func channelStats(x *mat.Dense, s Shape) (mean, variance []float64) {
	r, _ := x.Dims()
	p := s.H * s.W
	mean, variance = make([]float64, s.C), make([]float64, s.C)
	for c := range s.C {
		for i := range r {
			for _, v := range x.RawRowView(i)[c*p : (c+1)*p] {
				mean[c] += v
			}
		}
		mean[c] /= float64(r * p)
		for i := range r {
			for _, v := range x.RawRowView(i)[c*p : (c+1)*p] {
				variance[c] += (v - mean[c]) * (v - mean[c])
			}
		}
		variance[c] /= float64(r * p)
	}
	return mean, variance
}

// Inverted dropout zeroes about rate of the values, scales the others by
// 1/(1−rate) so that the mean is kept, is the identity in evaluation, and
// draws the same masks for the same seed.
func TestDropout(t *testing.T) {
	t.Parallel()
	build := func(seed uint64) *Model {
		m, err := NewModel(Vector(1000), Spec{Layers: []LayerSpec{{Type: TypeDropout, Rate: 0.3}}}, seed)
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	x := mat.NewDense(20, 1000, nil)
	for i := range raw(x) {
		raw(x)[i] = 1
	}
	m := build(1)
	y := m.Forward(x, true)
	zeros, sum := 0, 0.0
	for _, v := range raw(y) {
		switch {
		case v == 0:
			zeros++
		case math.Abs(v-1/0.7) > 1e-15:
			t.Fatalf("kept value %v, want %v", v, 1/0.7)
		}
		sum += v
	}
	if frac := float64(zeros) / 20000; math.Abs(frac-0.3) > 0.015 {
		t.Errorf("dropped fraction %v, want about 0.3", frac)
	}
	if mean := sum / 20000; math.Abs(mean-1) > 0.03 {
		t.Errorf("mean %v, want about 1", mean)
	}
	first := append([]float64(nil), raw(y)...)
	if again := raw(build(1).Forward(x, true)); !equalBits(first, again) {
		t.Error("same seed, different mask")
	}
	if other := raw(build(2).Forward(x, true)); equalBits(first, other) {
		t.Error("different seeds, same mask")
	}
	if next := raw(m.Forward(x, true)); equalBits(first, next) {
		t.Error("the mask did not change between steps")
	}
	if eval := m.Forward(x, false); eval != x {
		t.Error("evaluation is not the identity")
	}
	// The gradient goes through the same mask.
	m.Forward(x, true)
	mask := append([]float64(nil), raw(m.Layers()[0].Output)...)
	dx := m.BackwardInput(x)
	if !equalBits(raw(dx), mask) {
		t.Error("the gradient does not go through the mask")
	}
}

// Softmax, sigmoid and the cross-entropy stay finite for inputs far
// beyond exp's range.
func TestStableFunctions(t *testing.T) {
	t.Parallel()
	m, err := NewModel(Vector(3), Spec{Layers: []LayerSpec{{Type: TypeSoftmax}}}, 1)
	if err != nil {
		t.Fatal(err)
	}
	y := m.Forward(mat.NewDense(2, 3, []float64{1000, 1001, 999, -1000, -1000, -1000}), false)
	for i := range 2 {
		var s float64
		for _, v := range y.RawRowView(i) {
			s += v
		}
		if math.Abs(s-1) > 1e-15 {
			t.Errorf("row %d sums to %v", i, s)
		}
	}
	if got := y.At(0, 1); math.Abs(got-1/(1+math.Exp(-1)+math.Exp(-2))) > 1e-15 {
		t.Errorf("softmax %v", got)
	}
	for _, x := range []float64{-1000, -40, 0, 40, 1000} {
		if s := sigmoid(x); !finite(s) || s < 0 || s > 1 {
			t.Errorf("sigmoid(%v) = %v", x, s)
		}
	}
	out := mat.NewDense(1, 2, []float64{1000, -1000})
	if l := (SoftmaxCrossEntropy{}).Loss(nil, out, Targets{Labels: []int{1}}); l != 2000 {
		t.Errorf("cross-entropy %v, want 2000", l)
	}
	if l := (BinaryCrossEntropy{}).Loss(nil, mat.NewDense(1, 1, []float64{-1000}), Targets{Labels: []int{1}}); l != 1000 {
		t.Errorf("binary cross-entropy %v, want 1000", l)
	}
}

func TestLosses(t *testing.T) {
	t.Parallel()
	out := mat.NewDense(2, 3, []float64{0, 0, 0, 1, 2, 3})
	ln3 := math.Log(3)
	lse := math.Log(math.Exp(1) + math.Exp(2) + math.Exp(3))
	tests := []struct {
		desc string
		loss Loss
		y    Targets
		want float64
	}{
		{"uniform logits give ln K", SoftmaxCrossEntropy{}, Targets{Labels: []int{2, 2}}, (ln3 + lse - 3) / 2},
		{"class weights", SoftmaxCrossEntropy{Weights: []float64{1, 3, 1}}, Targets{Labels: []int{1, 0}}, (3*ln3 + lse - 1) / 4},
		{"mse one-hot", MeanSquaredError{}, Targets{Labels: []int{0, 2}}, (1 + 1 + 4 + 4) / 6.0},
		{"mse values", MeanSquaredError{}, Targets{Values: mat.NewDense(2, 3, []float64{1, 0, 0, 1, 2, 3})}, 1 / 6.0},
		{"bce values", BinaryCrossEntropy{}, Targets{Values: mat.NewDense(2, 3, []float64{0.5, 0.5, 0.5, 1, 1, 1})},
			(3*math.Log(2) + math.Log1p(math.Exp(-1)) + math.Log1p(math.Exp(-2)) + math.Log1p(math.Exp(-3))) / 6},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			if err := tt.loss.Check(3, tt.y); err != nil {
				t.Fatal(err)
			}
			if got := tt.loss.Loss(nil, out, tt.y); math.Abs(got-tt.want) > 1e-14 {
				t.Errorf("loss %v, want %v", got, tt.want)
			}
		})
	}
}

func TestLossCheck(t *testing.T) {
	t.Parallel()
	tests := []struct {
		desc    string
		loss    Loss
		outputs int
		y       Targets
		want    string
	}{
		{"label too large", SoftmaxCrossEntropy{}, 3, Targets{Labels: []int{0, 3}}, "trainer: label 3 of row 1 is outside [0, 3)"},
		{"negative label", SoftmaxCrossEntropy{}, 3, Targets{Labels: []int{-1}}, "label -1 of row 0"},
		{"no labels", SoftmaxCrossEntropy{}, 3, Targets{}, "needs class labels"},
		{"one output", SoftmaxCrossEntropy{}, 1, Targets{Labels: []int{0}}, "needs at least 2 outputs"},
		{"weights count", SoftmaxCrossEntropy{Weights: []float64{1, 2}}, 3, Targets{Labels: []int{0}}, "2 class weights for 3 classes"},
		{"negative weight", SoftmaxCrossEntropy{Weights: []float64{1, -2, 1}}, 3, Targets{Labels: []int{0}}, "weight of class 1 is -2"},
		{"bce labels need one output", BinaryCrossEntropy{}, 2, Targets{Labels: []int{0}}, "needs 1 output, have 2"},
		{"bce label 2", BinaryCrossEntropy{}, 1, Targets{Labels: []int{2}}, "label 2 of row 0 is outside [0, 2)"},
		{"bce value outside [0,1]", BinaryCrossEntropy{}, 1, Targets{Values: mat.NewDense(2, 1, []float64{0.5, 1.5})}, "row 1, column 0 is 1.5, want in [0, 1]"},
		{"mse NaN target", MeanSquaredError{}, 2, Targets{Values: mat.NewDense(1, 2, []float64{0, math.NaN()})}, "row 0, column 1 is NaN"},
		{"mse width", MeanSquaredError{}, 3, Targets{Values: mat.NewDense(1, 2, nil)}, "targets have 2 columns for 3 outputs"},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			err := tt.loss.Check(tt.outputs, tt.y)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want one containing %q", err, tt.want)
			}
		})
	}
}
