package trainer

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// blobs returns n samples of dim features in k Gaussian clusters, labels
// balanced.
func blobs(seed uint64, n, dim, k int) Data {
	rng := testRand(seed)
	centres := randMatrix(rng, k, dim, 0.5, 2)
	x := mat.NewDense(n, dim, nil)
	y := make([]int, n)
	for i := range n {
		y[i] = i % k
		for j := range dim {
			x.Set(i, j, centres.At(y[i], j)+0.5*rng.NormFloat64())
		}
	}
	return Data{X: x, Y: y}
}

func xor(copies int) Data {
	x := mat.NewDense(4*copies, 2, nil)
	y := make([]int, 4*copies)
	for i := range 4 * copies {
		a, b := i&1, i>>1&1
		x.Set(i, 0, float64(2*a-1))
		x.Set(i, 1, float64(2*b-1))
		y[i] = a ^ b
	}
	return Data{X: x, Y: y}
}

// trainRun trains a fresh MLP on blobs and returns its losses.
func trainRun(t *testing.T, modelSeed, seed uint64, spec Spec, cfg Config) *Result {
	t.Helper()
	d := blobs(1, 200, 5, 3)
	m, err := NewModel(Vector(5), spec, modelSeed)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Seed = seed
	res, err := Train(context.Background(), m, d, blobs(2, 60, 5, 3), cfg)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// The same seeds give the same loss at every step, bit for bit; another
// seed gives another curve.
func TestTrainDeterministic(t *testing.T) {
	t.Parallel()
	spec := Spec{Layers: []LayerSpec{
		{Type: TypeDense, Units: 16, Init: Init{Kind: InitHeNormal}}, {Type: TypeBatchNorm}, {Type: TypeReLU},
		{Type: TypeDropout, Rate: 0.2}, {Type: TypeDense, Units: 3},
	}}
	cfg := func() Config {
		return Config{Epochs: 3, BatchSize: 16, Optimizer: &SGD{Momentum: 0.9, Nesterov: true}, Schedule: Cosine{LR: 0.1, Steps: 39},
			ClipNorm: 1, Augment: func(x *mat.Dense, rng *rand.Rand) { raw(x)[0] += rng.NormFloat64() }}
	}
	a := trainRun(t, 1, 1, spec, cfg())
	b := trainRun(t, 1, 1, spec, cfg())
	if len(a.Losses) != 39 || len(b.Losses) != 39 {
		t.Fatalf("%d and %d steps, want 39", len(a.Losses), len(b.Losses))
	}
	for i := range a.Losses {
		if math.Float64bits(a.Losses[i]) != math.Float64bits(b.Losses[i]) {
			t.Fatalf("step %d: loss %v then %v", i, a.Losses[i], b.Losses[i])
		}
	}
	if math.Float64bits(a.Val.Loss) != math.Float64bits(b.Val.Loss) {
		t.Errorf("validation loss %v then %v", a.Val.Loss, b.Val.Loss)
	}
	c := trainRun(t, 1, 2, spec, cfg())
	d := trainRun(t, 2, 1, spec, cfg())
	if equalBits(a.Losses, c.Losses) || equalBits(a.Losses, d.Losses) {
		t.Error("another seed gave the same losses")
	}
}

func TestTrainXOR(t *testing.T) {
	t.Parallel()
	d := xor(8)
	m, err := NewModel(Vector(2), MLP("xor", []int{8}, TypeTanh, Init{}, 2), 3)
	if err != nil {
		t.Fatal(err)
	}
	res, err := Train(context.Background(), m, d, d, Config{Epochs: 100, BatchSize: 8, Schedule: Constant{LR: 0.05}})
	if err != nil {
		t.Fatal(err)
	}
	if res.Val.Accuracy != 1 || res.Val.Loss > 0.05 || res.Stop != StopDone || res.Epochs != 100 || res.Steps != 400 {
		t.Errorf("XOR: %+v", res.Val)
	}
	if res.Losses[0] < 0.5 {
		t.Errorf("first loss %v, want near ln 2", res.Losses[0])
	}
}

// recorder records the hook calls.
type recorder struct {
	calls []string
	stop  string // return ErrStop at this call
}

func (r *recorder) rec(what string, s *State) error {
	c := fmt.Sprintf("%s%d", what, s.Step)
	r.calls = append(r.calls, c)
	if c == r.stop {
		return ErrStop
	}
	return nil
}
func (r *recorder) Start(s *State) error         { return r.rec("start", s) }
func (r *recorder) AfterBackward(s *State) error { return r.rec("b", s) }
func (r *recorder) AfterStep(s *State) error     { return r.rec("s", s) }
func (r *recorder) AfterEval(s *State) error     { return r.rec("e", s) }
func (r *recorder) End(s *State) error           { return r.rec("end", s) }

func TestHooks(t *testing.T) {
	t.Parallel()
	tests := []struct {
		desc   string
		cfg    Config
		stop   string
		want   string
		reason StopReason
	}{
		{"epochs", Config{Epochs: 2}, "", "start0 b0 s0 b1 s1 e2 b2 s2 b3 s3 e4 end4", StopDone},
		{"eval every 3 steps", Config{Steps: 4, EvalEvery: 3}, "", "start0 b0 s0 b1 s1 b2 s2 e3 b3 s3 e4 end4", StopDone},
		{"stop after a step", Config{Epochs: 2}, "s1", "start0 b0 s0 b1 s1 e2 end2", StopHook},
		{"stop at start", Config{Epochs: 2}, "start0", "start0", StopHook},
		{"stop in an evaluation", Config{Epochs: 5}, "e2", "start0 b0 s0 b1 s1 e2 end2", StopHook},
	}
	d := xor(4) // 16 samples, 2 batches of 8
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			t.Parallel()
			m, err := NewModel(Vector(2), MLP("", []int{4}, TypeReLU, Init{}, 2), 1)
			if err != nil {
				t.Fatal(err)
			}
			r := &recorder{stop: tt.stop}
			tt.cfg.BatchSize = 8
			tt.cfg.Hooks = []Hook{r}
			res, err := Train(context.Background(), m, d, d, tt.cfg)
			if err != nil {
				t.Fatal(err)
			}
			if got := strings.Join(r.calls, " "); got != tt.want {
				t.Errorf("calls\n got %s\nwant %s", got, tt.want)
			}
			if res.Stop != tt.reason {
				t.Errorf("stop %q, want %q", res.Stop, tt.reason)
			}
		})
	}
}

// A hook sees the batch, its loss, the gradients before clipping and,
// after the step, the updates.
func TestHookState(t *testing.T) {
	t.Parallel()
	d := blobs(3, 40, 4, 2)
	m, err := NewModel(Vector(4), MLP("", []int{6}, TypeReLU, Init{}, 2), 1)
	if err != nil {
		t.Fatal(err)
	}
	var before []float64
	checked := 0
	h := HookFuncs{
		OnBackward: func(s *State) error {
			if r, _ := s.Batch.X.Dims(); r != len(s.Indices) || len(s.Batch.Y) != r {
				t.Errorf("batch of %d rows, %d indices", r, len(s.Indices))
			}
			for i, j := range s.Indices {
				if !mat.Equal(s.Batch.X.RowView(i), d.X.RowView(j)) || s.Batch.Y[i] != d.Y[j] {
					t.Fatalf("batch row %d is not sample %d", i, j)
				}
			}
			if s.Loss != s.Result.Losses[s.Step] || s.GradNorm != GradNorm(s.Model.Params()) || s.GradNorm == 0 {
				t.Errorf("loss %v (recorded %v), grad norm %v", s.Loss, s.Result.Losses[s.Step], s.GradNorm)
			}
			if s.GradNorm <= s.Config.ClipNorm {
				t.Errorf("gradient norm %v, clipped already?", s.GradNorm)
			}
			before = append(before[:0], raw(s.Model.Param("dense1/weights").Value)...)
			return nil
		},
		OnStep: func(s *State) error {
			p := s.Model.Param("dense1/weights")
			for i, v := range raw(p.Value) {
				if math.Abs(v-before[i]-raw(p.Update)[i]) > 1e-15 {
					t.Fatalf("update %v, change %v", raw(p.Update)[i], v-before[i])
				}
			}
			if n := GradNorm(s.Model.Params()); math.Abs(n-s.Config.ClipNorm) > 1e-12 {
				t.Errorf("clipped norm %v, want %v", n, s.Config.ClipNorm)
			}
			checked++
			return nil
		},
		OnEval: func(s *State) error {
			if r, c := s.ValOut.Dims(); r != 40 || c != 2 || len(s.ValPred) != 40 {
				t.Errorf("ValOut %d×%d, %d predictions", r, c, len(s.ValPred))
			}
			right := 0
			for i, p := range s.ValPred {
				if p == argmax(s.ValOut, i) && p == d.Y[i] {
					right++
				}
			}
			if got := float64(right) / 40; got != s.Val.Accuracy {
				t.Errorf("accuracy %v, predictions say %v", s.Val.Accuracy, got)
			}
			return nil
		},
	}
	_, err = Train(context.Background(), m, d, d, Config{Epochs: 2, BatchSize: 10, ClipNorm: 1e-3, Hooks: []Hook{h}})
	if err != nil {
		t.Fatal(err)
	}
	if checked != 8 {
		t.Errorf("%d steps checked, want 8", checked)
	}
}

func TestTrainCancel(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	r := &recorder{}
	cancelAt := HookFuncs{OnStep: func(s *State) error {
		if s.Step == 5 {
			cancel()
		}
		return nil
	}}
	m, err := NewModel(Vector(2), MLP("", []int{4}, TypeReLU, Init{}, 2), 1)
	if err != nil {
		t.Fatal(err)
	}
	d := xor(4)
	res, err := Train(ctx, m, d, d, Config{Epochs: 100, BatchSize: 2, Hooks: []Hook{cancelAt, r}})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("error %v, want context.Canceled", err)
	}
	if res.Steps != 6 || res.Stop != StopCancelled || len(res.Losses) != 6 || res.Val.Step != 6 {
		t.Errorf("result %+v", res)
	}
	if got := strings.Join(r.calls[len(r.calls)-2:], " "); got != "e6 end6" {
		t.Errorf("calls end with %s, want a final evaluation and End", got)
	}
}

func TestEarlyStopping(t *testing.T) {
	t.Parallel()
	// A learning rate of 0 never improves on the first evaluation.
	m, err := NewModel(Vector(2), MLP("", []int{4}, TypeReLU, Init{}, 2), 1)
	if err != nil {
		t.Fatal(err)
	}
	d := xor(4)
	res, err := Train(context.Background(), m, d, d, Config{Epochs: 50, BatchSize: 8, Schedule: Constant{LR: 0}, Optimizer: &SGD{}, Patience: 3})
	if err != nil {
		t.Fatal(err)
	}
	if res.Stop != StopEarly || res.Epochs != 4 || res.Best.Step != 2 {
		t.Errorf("stop %s after %d epochs, best at step %d; want early_stop after 4, best at 2", res.Stop, res.Epochs, res.Best.Step)
	}
}

// A plateau schedule hears the validation loss and lowers the rate.
func TestTrainPlateau(t *testing.T) {
	t.Parallel()
	m, err := NewModel(Vector(2), MLP("", []int{4}, TypeReLU, Init{}, 2), 1)
	if err != nil {
		t.Fatal(err)
	}
	p := &Plateau{LR: 1e-9, Patience: 2, Factor: 0.5}
	var lrs []float64
	h := HookFuncs{OnBackward: func(s *State) error { lrs = append(lrs, s.LR); return nil }}
	d := xor(4)
	if _, err := Train(context.Background(), m, d, d, Config{Epochs: 6, BatchSize: 16, Schedule: p, Hooks: []Hook{h}}); err != nil {
		t.Fatal(err)
	}
	want := []float64{1e-9, 1e-9, 1e-9, 5e-10, 5e-10, 2.5e-10}
	if fmt.Sprint(lrs) != fmt.Sprint(want) {
		t.Errorf("rates %v, want %v", lrs, want)
	}
}

// A learning rate far too large for the inputs' scale makes the loss
// overflow: Train records the step
// and goes on without a panic.
func TestTrainNonFinite(t *testing.T) {
	t.Parallel()
	d := blobs(4, 64, 4, 2)
	for i := range raw(d.X) {
		raw(d.X)[i] *= 1e3
	}
	m, err := NewModel(Vector(4), MLP("", nil, "", Init{}, 2), 1)
	if err != nil {
		t.Fatal(err)
	}
	res, err := Train(context.Background(), m, d, d, Config{Epochs: 20, Loss: MeanSquaredError{}, Optimizer: &SGD{}, Schedule: Constant{LR: 1}})
	if err != nil {
		t.Fatal(err)
	}
	if res.NonFiniteStep < 0 || finite(res.Losses[res.NonFiniteStep]) || res.Steps != 40 {
		t.Errorf("non-finite step %d of %d (%v)", res.NonFiniteStep, res.Steps, res.Losses)
	}
}

func TestTrainDataErrors(t *testing.T) {
	t.Parallel()
	m, err := NewModel(Vector(2), MLP("", []int{4}, TypeReLU, Init{}, 3), 1)
	if err != nil {
		t.Fatal(err)
	}
	good := xor(2)
	nan := xor(2)
	nan.X = mat.DenseCopyOf(nan.X)
	nan.X.Set(5, 1, math.NaN())
	tests := []struct {
		desc       string
		train, val Data
		cfg        Config
		want       string
	}{
		{"no data", Data{}, Data{}, Config{}, "no training data"},
		{"wrong width", Data{X: mat.NewDense(3, 5, nil), Y: []int{0, 1, 2}}, Data{}, Config{}, "training data: samples have 5 values, the model's input 2 has 2"},
		{"NaN input", nan, good, Config{}, "training data: sample 5, value 1 is NaN"},
		{"label out of range", good, Data{X: good.X, Y: []int{0, 1, 3, 0, 0, 0, 0, 0}}, Config{}, "label 3 of row 2 is outside [0, 3) (validation data)"},
		{"label count", Data{X: good.X, Y: good.Y[:3]}, Data{}, Config{}, "3 labels for 8 samples"},
		{"regression targets for a classifier", Data{X: good.X, Targets: mat.NewDense(8, 3, nil)}, Data{}, Config{}, "needs class labels"},
		{"class weights and a loss", good, Data{}, Config{Loss: MeanSquaredError{}, ClassWeights: []float64{1, 2, 3}}, "ClassWeights applies to the default loss only"},
		{"class weights count", good, Data{}, Config{ClassWeights: []float64{1, 2}}, "2 class weights for 3 classes"},
		{"negative batch", good, Data{}, Config{BatchSize: -1}, "batch size -1"},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			_, err := Train(context.Background(), m, tt.train, tt.val, tt.cfg)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want one containing %q", err, tt.want)
			}
		})
	}
}

// Regression: MSE on target values, no accuracy.
func TestTrainRegression(t *testing.T) {
	t.Parallel()
	n := 64
	x := mat.NewDense(n, 1, nil)
	y := mat.NewDense(n, 1, nil)
	for i := range n {
		v := float64(i)/float64(n)*2 - 1
		x.Set(i, 0, v)
		y.Set(i, 0, math.Sin(3*v))
	}
	d := Data{X: x, Targets: y}
	m, err := NewModel(Vector(1), MLP("", []int{16}, TypeTanh, Init{}, 1), 1)
	if err != nil {
		t.Fatal(err)
	}
	res, err := Train(context.Background(), m, d, d, Config{Epochs: 200, BatchSize: 16, Loss: MeanSquaredError{}, Schedule: Constant{LR: 0.01}})
	if err != nil {
		t.Fatal(err)
	}
	if !math.IsNaN(res.Val.Accuracy) || res.Val.Loss > 0.01 || res.Val.Loss >= res.Losses[0] {
		t.Errorf("regression: %+v (first loss %v)", res.Val, res.Losses[0])
	}
}

// A sampler chooses each epoch's samples.
func TestSampler(t *testing.T) {
	t.Parallel()
	d := xor(4)
	m, err := NewModel(Vector(2), MLP("", nil, "", Init{}, 2), 1)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[int]int{}
	h := HookFuncs{OnBackward: func(s *State) error {
		for _, i := range s.Indices {
			seen[i]++
		}
		return nil
	}}
	only := func(dst []int, epoch int, _ *rand.Rand) []int { return append(dst, 3, 3, 7, epoch) }
	res, err := Train(context.Background(), m, d, Data{}, Config{Epochs: 2, BatchSize: 3, Sampler: only, Hooks: []Hook{h}})
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(seen) != "map[0:1 1:1 3:4 7:2]" || res.Steps != 4 {
		t.Errorf("sampled %v in %d steps", seen, res.Steps)
	}
	bad := func(dst []int, _ int, _ *rand.Rand) []int { return append(dst, 99) }
	if _, err := Train(context.Background(), m, d, Data{}, Config{Sampler: bad}); err == nil || !strings.Contains(err.Error(), "index 99 for 16 samples") {
		t.Errorf("bad sampler: %v", err)
	}
}

// Once warm, a training step of the default MLP allocates nothing.
func TestStepAllocs(t *testing.T) {
	d := blobs(5, 256, 64, 10)
	m, err := NewModel(Vector(64), MLP("", []int{128}, TypeReLU, Init{Kind: InitHeNormal}, 10), 1)
	if err != nil {
		t.Fatal(err)
	}
	for _, opt := range []Optimizer{&Adam{}, &SGD{Momentum: 0.9}} {
		cfg := Config{BatchSize: 32, Epochs: 1, Optimizer: opt, Schedule: Constant{LR: 1e-3}, Loss: SoftmaxCrossEntropy{}, ClipNorm: 1, EvalBatch: 512}
		l := newLoop(m, d, Data{}, &cfg)
		l.res.Losses = make([]float64, 0, 1000)
		idx := make([]int, 32)
		for i := range idx {
			idx[i] = i * 7
		}
		for range 3 {
			if err := l.step(idx); err != nil {
				t.Fatal(err)
			}
		}
		if a := testing.AllocsPerRun(100, func() { l.step(idx) }); a != 0 {
			t.Errorf("%s: %v allocations per step", opt.Name(), a)
		}
	}
}

func TestEvaluate(t *testing.T) {
	t.Parallel()
	d := blobs(6, 50, 3, 3)
	m, err := NewModel(Vector(3), MLP("", []int{5}, TypeReLU, Init{}, 3), 1)
	if err != nil {
		t.Fatal(err)
	}
	w := SoftmaxCrossEntropy{Weights: []float64{1, 2, 0.5}}
	whole, err := Evaluate(m, w, d, 50)
	if err != nil {
		t.Fatal(err)
	}
	// Chunks weigh as the whole: the same loss for any batch size.
	for _, b := range []int{1, 7, 49} {
		part, err := Evaluate(m, w, d, b)
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(part.Loss-whole.Loss) > 1e-12 || part.Accuracy != whole.Accuracy || part.N != 50 {
			t.Errorf("batch %d: %+v, whole %+v", b, part, whole)
		}
	}
	out := m.Forward(d.X, false)
	if want := w.Loss(nil, out, d.targets()); math.Abs(whole.Loss-want) > 1e-12 {
		t.Errorf("loss %v, want %v", whole.Loss, want)
	}
	if want := Accuracy(w, out, d.Y); whole.Accuracy != want {
		t.Errorf("accuracy %v, want %v", whole.Accuracy, want)
	}
}
