package trainer

import (
	"math"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// twoParams returns a weight and a bias of one value each, θ = 1, with
// gradient g.
func twoParams(g float64) []*Param {
	w := newParam("l", "weights", Weight, 1, 1, []int{1, 1})
	b := newParam("l", "bias", Bias, 1, 1, []int{1})
	for _, p := range []*Param{w, b} {
		p.Value.Set(0, 0, 1)
		p.Grad.Set(0, 0, g)
	}
	return []*Param{w, b}
}

func TestOptimizerSteps(t *testing.T) {
	t.Parallel()
	// Hand-computed: θ = 1, g = 0.5 at every step (0.25 at Adam's
	// second), η = 0.1.
	adam2 := 1 - 0.1*0.5/(0.5+1e-8) - 0.1*(0.07/0.19)/(math.Sqrt(0.00031225/0.001999)+1e-8)
	tests := []struct {
		desc   string
		opt    Optimizer
		grads  []float64 // per step
		weight float64   // θ of the weight after the steps
		bias   float64   // θ of the bias
	}{
		{"sgd", &SGD{}, []float64{0.5}, 0.95, 0.95},
		{"sgd two steps", &SGD{}, []float64{0.5, 0.5}, 0.9, 0.9},
		{"momentum", &SGD{Momentum: 0.9}, []float64{0.5, 0.5}, 1 - 0.05 - 0.095, 1 - 0.05 - 0.095},
		{"nesterov", &SGD{Momentum: 0.9, Nesterov: true}, []float64{0.5, 0.5}, 1 - 0.095 - 0.1355, 1 - 0.095 - 0.1355},
		{"L2 weight decay spares the bias", &SGD{WeightDecay: 0.1}, []float64{0.5}, 1 - 0.1*(0.5+0.1), 0.95},
		{"decoupled weight decay", &SGD{WeightDecay: 0.1, Decoupled: true}, []float64{0.5}, 1 - 0.05 - 0.01, 0.95},
		// With momentum, L2 decay enters the velocity, decoupled does not:
		// L2: v1 = 0.6, θ1 = 0.94; v2 = 0.9·0.6 + 0.5 + 0.1·0.94 = 1.134, θ2 = 0.94 − 0.1134.
		{"momentum with L2 decay", &SGD{Momentum: 0.9, WeightDecay: 0.1}, []float64{0.5, 0.5}, 0.94 - 0.1134, 1 - 0.05 - 0.095},
		// Decoupled: θ1 = 1 − 0.05 − 0.01 = 0.94; v2 = 0.95, θ2 = 0.94 − 0.095 − 0.01·0.94.
		{"momentum with decoupled decay", &SGD{Momentum: 0.9, WeightDecay: 0.1, Decoupled: true}, []float64{0.5, 0.5}, 0.94 - 0.095 - 0.0094, 1 - 0.05 - 0.095},
		{"adam first step is about η", &Adam{}, []float64{0.5}, 1 - 0.1*0.5/(0.5+1e-8), 1 - 0.1*0.5/(0.5+1e-8)},
		{"adam bias correction", &Adam{}, []float64{0.5, 0.25}, adam2, adam2},
		// AdamW: the decay is η·λ·θ beside the adaptive step.
		{"adamw", &Adam{WeightDecay: 0.1, Decoupled: true}, []float64{0.5}, 1 - 0.1*0.5/(0.5+1e-8) - 0.01, 1 - 0.1*0.5/(0.5+1e-8)},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			t.Parallel()
			ps := twoParams(0)
			for _, g := range tt.grads {
				before := ps[0].Value.At(0, 0)
				for _, p := range ps {
					p.Grad.Set(0, 0, g)
				}
				tt.opt.Step(ps, 0.1)
				if u, d := ps[0].Update.At(0, 0), ps[0].Value.At(0, 0)-before; math.Abs(u-d) > 1e-15 {
					t.Errorf("Update %v, change %v", u, d)
				}
			}
			if got := ps[0].Value.At(0, 0); math.Abs(got-tt.weight) > 1e-12 {
				t.Errorf("weight %.15g, want %.15g", got, tt.weight)
			}
			if got := ps[1].Value.At(0, 0); math.Abs(got-tt.bias) > 1e-12 {
				t.Errorf("bias %.15g, want %.15g", got, tt.bias)
			}
		})
	}
}

func TestOptimizerSpec(t *testing.T) {
	t.Parallel()
	ok := []struct {
		spec OptimizerSpec
		want string
	}{
		{OptimizerSpec{}, "sgd"},
		{OptimizerSpec{Name: "sgd", Momentum: 0.9, Nesterov: true, WeightDecay: 1e-4}, "sgd"},
		{OptimizerSpec{Name: "adam", Beta1: 0.8}, "adam"},
		{OptimizerSpec{Name: "adamw", WeightDecay: 0.01}, "adamw"},
	}
	for _, tt := range ok {
		o, err := tt.spec.New()
		if err != nil || o.Name() != tt.want {
			t.Errorf("%+v: %v, %v", tt.spec, o, err)
		}
	}
	bad := []struct {
		spec OptimizerSpec
		want string
	}{
		{OptimizerSpec{Name: "rmsprop"}, `unknown optimizer "rmsprop"`},
		{OptimizerSpec{Momentum: 1}, "momentum is 1, want a value in [0, 1)"},
		{OptimizerSpec{Nesterov: true}, "nesterov needs momentum"},
		{OptimizerSpec{Beta1: 0.9}, "sgd takes no beta1"},
		{OptimizerSpec{Name: "adam", Momentum: 0.9}, "adam takes no momentum"},
		{OptimizerSpec{Name: "adam", Beta2: 1}, "beta2 is 1"},
		{OptimizerSpec{WeightDecay: -1}, "weight_decay is -1"},
	}
	for _, tt := range bad {
		if _, err := tt.spec.New(); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%+v: error %v, want %q", tt.spec, err, tt.want)
		}
	}
}

func TestSchedules(t *testing.T) {
	t.Parallel()
	tests := []struct {
		desc  string
		s     Schedule
		steps []int
		want  []float64
	}{
		{"constant", Constant{LR: 0.1}, []int{0, 1000}, []float64{0.1, 0.1}},
		{"step", StepDecay{LR: 1, Every: 10, Gamma: 0.5}, []int{0, 9, 10, 25}, []float64{1, 1, 0.5, 0.25}},
		{"exponential", Exponential{LR: 1, Rate: 0.5, Steps: 10}, []int{0, 5, 10, 20}, []float64{1, math.Sqrt(0.5), 0.5, 0.25}},
		{"1/t", InverseTime{LR: 1, Rate: 1, Steps: 10}, []int{0, 10, 30}, []float64{1, 0.5, 0.25}},
		{"cosine", Cosine{LR: 1, Min: 0.1, Steps: 100}, []int{0, 50, 100, 200}, []float64{1, 0.55, 0.1, 0.1}},
		{"warm-up", Warmup{Steps: 4, Then: Constant{LR: 1}}, []int{0, 1, 3, 4, 100}, []float64{0.25, 0.5, 1, 1, 1}},
		{"warm-up then step", Warmup{Steps: 2, Then: StepDecay{LR: 1, Every: 2, Gamma: 0.1}}, []int{0, 1, 2}, []float64{0.5, 1, 0.1}},
	}
	for _, tt := range tests {
		for i, step := range tt.steps {
			if got := tt.s.At(step); math.Abs(got-tt.want[i]) > 1e-15 {
				t.Errorf("%s: step %d: %v, want %v", tt.desc, step, got, tt.want[i])
			}
		}
	}
}

func TestPlateau(t *testing.T) {
	t.Parallel()
	p := &Plateau{LR: 1, Factor: 0.5, Patience: 2, Min: 0.2}
	var s Schedule = Warmup{Steps: 1, Then: p} // reports pass through
	metrics := []float64{1, 0.9, 0.95, 0.9, 0.8, math.NaN(), math.NaN(), 0.85, 0.85, 0.79, 0.79}
	want := []float64{1, 1, 1, 0.5, 0.5, 0.5, 0.25, 0.25, 0.2, 0.2, 0.2}
	for i, m := range metrics {
		s.(MetricSchedule).Report(i, m)
		if got := s.At(100); got != want[i] {
			t.Errorf("after report %d (%v): rate %v, want %v", i, m, got, want[i])
		}
	}
	if p.Reductions != 3 {
		t.Errorf("%d reductions, want 3", p.Reductions)
	}
}

func TestScheduleSpec(t *testing.T) {
	t.Parallel()
	s, err := ScheduleSpec{Name: "cosine", LR: 1, Warmup: 10}.New(110)
	if err != nil {
		t.Fatal(err)
	}
	if got := s.At(0); got != 0.1 {
		t.Errorf("warm-up step 0: %v", got)
	}
	if got := s.At(110); got != 0 {
		t.Errorf("cosine over the run's 100 remaining steps, at the end: %v", got)
	}
	bad := []struct {
		spec ScheduleSpec
		want string
	}{
		{ScheduleSpec{}, "schedule constant: lr is 0"},
		{ScheduleSpec{Name: "step", LR: 1}, "every is 0"},
		{ScheduleSpec{Name: "step", LR: 1, Every: 5, Gamma: 2}, "gamma is 2"},
		{ScheduleSpec{Name: "constant", LR: 1, Gamma: 0.5}, "schedule constant takes no gamma"},
		{ScheduleSpec{Name: "plateau", LR: 1, Steps: 5}, "schedule plateau takes no steps"},
		{ScheduleSpec{Name: "cyclic", LR: 1}, `unknown schedule "cyclic"`},
		{ScheduleSpec{Name: "exponential", LR: 1, Steps: 10, Rate: 1.5}, "rate is 1.5"},
	}
	for _, tt := range bad {
		if _, err := tt.spec.New(100); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%+v: error %v, want %q", tt.spec, err, tt.want)
		}
	}
}

func TestClip(t *testing.T) {
	t.Parallel()
	ps := twoParams(0)
	ps[0].Grad.Set(0, 0, 3)
	ps[1].Grad.Set(0, 0, -4)
	if n := ClipGlobalNorm(ps, 10); n != 5 || ps[0].Grad.At(0, 0) != 3 {
		t.Errorf("below the limit: norm %v, grad %v", n, ps[0].Grad.At(0, 0))
	}
	if n := ClipGlobalNorm(ps, 1); n != 5 {
		t.Errorf("norm %v, want 5", n)
	}
	if g0, g1 := ps[0].Grad.At(0, 0), ps[1].Grad.At(0, 0); math.Abs(g0-0.6) > 1e-15 || math.Abs(g1+0.8) > 1e-15 {
		t.Errorf("clipped to %v, %v; want 0.6, -0.8", g0, g1)
	}
	ps[0].Grad.Set(0, 0, math.NaN())
	if n := ClipGlobalNorm(ps, 1); !math.IsNaN(n) || ps[1].Grad.At(0, 0) != -0.8 {
		t.Errorf("NaN: norm %v, other grad %v changed", n, ps[1].Grad.At(0, 0))
	}
	ps[0].Grad.Set(0, 0, 2)
	ps[1].Grad.Set(0, 0, -0.5)
	if n := ClipValue(ps, 1); n != 1 || ps[0].Grad.At(0, 0) != 1 || ps[1].Grad.At(0, 0) != -0.5 {
		t.Errorf("ClipValue: %d changed, grads %v %v", n, ps[0].Grad.At(0, 0), ps[1].Grad.At(0, 0))
	}
}

func TestParseInit(t *testing.T) {
	t.Parallel()
	ok := map[string]Init{
		"he":               {Kind: InitHeNormal},
		"he_uniform":       {Kind: InitHeUniform},
		"kaiming_uniform":  {Kind: InitHeUniform},
		"xavier":           {Kind: InitGlorotUniform},
		"glorot_normal":    {Kind: InitGlorotNormal},
		"normal:0.001":     {Kind: InitNormal, Scale: 0.001},
		" Uniform : 0.5 ":  {Kind: InitUniform, Scale: 0.5},
		"constant:-0.25":   {Kind: InitConstant, Scale: -0.25},
		"zeros":            {Kind: InitConstant},
		"he_normal:1.4142": {Kind: InitHeNormal, Scale: 1.4142},
	}
	for text, want := range ok {
		got, err := ParseInit(text)
		if err != nil || got != want {
			t.Errorf("ParseInit(%q) = %v, %v; want %v", text, got, err, want)
		}
		if back, err := ParseInit(got.String()); err != nil || back != got {
			t.Errorf("round trip of %v: %v, %v", got, back, err)
		}
	}
	for _, text := range []string{"", "orthogonal", "normal:", "normal:x", "normal:-1", "normal:NaN", "uniform:Inf"} {
		if _, err := ParseInit(text); err == nil {
			t.Errorf("ParseInit(%q): no error", text)
		}
	}
}

// Each initialiser draws values with the standard deviation it promises.
func TestInitStatistics(t *testing.T) {
	t.Parallel()
	const fanIn, fanOut, n = 100, 50, 200000
	for _, in := range []Init{
		{Kind: InitNormal}, {Kind: InitNormal, Scale: 0.5}, {Kind: InitUniform}, {Kind: InitGlorotNormal},
		{Kind: InitGlorotUniform}, {Kind: InitHeNormal}, {Kind: InitHeUniform}, {Kind: InitHeNormal, Scale: 2},
	} {
		v := make([]float64, n)
		in.Fill(v, fanIn, fanOut, testRand(5))
		var mean, sq float64
		for _, x := range v {
			mean += x
			sq += x * x
		}
		mean /= n
		std := math.Sqrt(sq/n - mean*mean)
		want := in.Std(fanIn, fanOut)
		if math.Abs(std/want-1) > 0.01 || math.Abs(mean) > 0.01*want {
			t.Errorf("%v: mean %v std %v, want 0 and %v", in, mean, std, want)
		}
	}
	if got := (Init{Kind: InitHeNormal}).Std(fanIn, fanOut); got != math.Sqrt(2.0/fanIn) {
		t.Errorf("He std %v", got)
	}
	if got := (Init{Kind: InitGlorotUniform}).Std(fanIn, fanOut); math.Abs(got-math.Sqrt(2.0/(fanIn+fanOut))) > 1e-15 {
		t.Errorf("Glorot std %v", got)
	}
}

// Constant initialisation of every layer makes every hidden unit compute the same thing
// and receive the same gradient: the symmetry random initialisation
// breaks.
func TestConstantInitSymmetry(t *testing.T) {
	t.Parallel()
	spec := MLP("", []int{5}, TypeTanh, Init{Kind: InitConstant, Scale: 0.1}, 2)
	spec.Layers[2].Init = Init{Kind: InitConstant, Scale: 0.1}
	m, err := NewModel(Vector(3), spec, 1)
	if err != nil {
		t.Fatal(err)
	}
	x := randMatrix(testRand(6), 4, 3, 0.1, 1)
	out := m.Forward(x, true)
	g := mat.NewDense(4, 2, nil)
	SoftmaxCrossEntropy{}.Loss(g, out, Targets{Labels: []int{0, 1, 1, 0}})
	m.ZeroGrad()
	m.Backward(g)
	h := m.Layer("tanh1").Output
	dw := m.Param("dense1/weights").Grad
	for j := 1; j < 5; j++ {
		for i := range 4 {
			if h.At(i, j) != h.At(i, 0) {
				t.Fatalf("unit %d differs from unit 0", j)
			}
		}
		if !mat.Equal(dw.RowView(j), dw.RowView(0)) {
			t.Fatalf("unit %d's gradient differs from unit 0's", j)
		}
	}
}

func FuzzParseInit(f *testing.F) {
	for _, s := range []string{"he", "normal:0.01", "constant:-1", "glorot_uniform:2", "x:y", ":"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		in, err := ParseInit(s)
		if err != nil {
			return
		}
		back, err := ParseInit(in.String())
		if err != nil || back != in {
			t.Errorf("%q parses to %v, which reparses to %v, %v", s, in, back, err)
		}
		if sd := in.Std(3, 4); math.IsNaN(sd) || sd < 0 {
			t.Errorf("%v: std %v", in, sd)
		}
	})
}
