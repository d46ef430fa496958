package doctor

import (
	"context"
	"errors"
	"maps"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/tbgo/tbgo/history"
	"github.com/tbgo/tbgo/summary"
	"github.com/tbgo/tbgo/trainer"
	"github.com/tbgo/tbgo/trainer/data"
)

// digits returns the embedded digits split 80/20 with seed 1, standardised
// on the training split unless raw: what tbgo train prepares by default.
func digits(t testing.TB, raw bool) (train, val *data.Dataset) {
	t.Helper()
	ds, err := data.Digits()
	if err != nil {
		t.Fatal(err)
	}
	train, val, _, err = ds.Split(data.SplitOptions{Val: 0.2, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	if !raw {
		data.Standardize(train, val)
	}
	return train, val
}

// healthy returns the default run's setup: the "mlp" preset on the
// standardised digits with its recipe (Adam from 3e-3, batches of 32).
func healthy(t testing.TB) Setup {
	t.Helper()
	train, val := digits(t, false)
	spec, err := trainer.PresetSpec("mlp", 10)
	if err != nil {
		t.Fatal(err)
	}
	return Setup{Name: "mlp", Spec: spec, Input: trainer.Vector(64), Seed: 1, Train: train, Val: val,
		Optimizer: trainer.OptimizerSpec{Name: "adam"}, LR: 3e-3, BatchSize: 32}
}

// verdicts maps the report's check IDs to their verdicts.
func verdicts(r *Report) map[string]Verdict {
	m := map[string]Verdict{}
	for _, c := range r.Checks {
		m[c.ID] = c.Verdict
	}
	return m
}

// The default run passes every check, in the documented order.
func TestHealthyDefaultPasses(t *testing.T) {
	rep, err := Run(context.Background(), healthy(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, c := range rep.Checks {
		ids = append(ids, c.ID)
		if c.Verdict != Pass {
			t.Errorf("%s: %s, want pass: %s (want %s)", c.ID, c.Verdict, c.Measured, c.Expected)
		}
	}
	if !slices.Equal(ids, CheckIDs()) {
		t.Errorf("checks %v, want %v", ids, CheckIDs())
	}
	if rep.Failed() {
		t.Error("Failed() = true for a report without failures")
	}
	if rep.Grad == nil || rep.Range == nil || len(rep.Weights) != 2 {
		t.Fatalf("details missing: Grad %v, Range %v, %d weight tensors", rep.Grad != nil, rep.Range != nil, len(rep.Weights))
	}
	if rep.Grad.MaxRelErr > GradSuspicious {
		t.Errorf("gradient check: worst relative error %g", rep.Grad.MaxRelErr)
	}
	// The preset's learning rate sits near what the range test suggests.
	if s := rep.Range.Suggested; !(s > 3e-3/10 && s < 3e-3*10) {
		t.Errorf("range test suggests %g for a recipe tuned at 3e-3", s)
	}
}

// wrongGradient is softmax cross-entropy whose gradient is twice too
// large: a backward pass with a bug.
type wrongGradient struct{ trainer.SoftmaxCrossEntropy }

func (l wrongGradient) Loss(grad, out *mat.Dense, y trainer.Targets) float64 {
	v := l.SoftmaxCrossEntropy.Loss(grad, out, y)
	if grad != nil {
		grad.Scale(2, grad)
	}
	return v
}

// shuffle permutes the labels of d, so that inputs carry no signal.
func shuffle(d *data.Dataset, seed uint64) *data.Dataset {
	d = d.Subset(func() []int {
		idx := make([]int, d.Len())
		for i := range idx {
			idx[i] = i
		}
		return idx
	}())
	rng := rand.New(rand.NewPCG(seed, 0))
	rng.Shuffle(len(d.Y), func(i, j int) { d.Y[i], d.Y[j] = d.Y[j], d.Y[i] })
	return d
}

// Each broken setup fails the check made for it, and only the checks
// listed run; every verdict of the report is asserted.
func TestBrokenSetups(t *testing.T) {
	t.Parallel()
	spirals := func(t *testing.T, imbalance float64) (*data.Dataset, *data.Dataset) {
		ds, err := data.Spirals(data.SpiralsOptions{PerClass: 200, Noise: 0.05, Imbalance: imbalance, Seed: 1})
		if err != nil {
			t.Fatal(err)
		}
		train, val, _, err := ds.Split(data.SplitOptions{Val: 0.2, Seed: 1})
		if err != nil {
			t.Fatal(err)
		}
		data.Standardize(train, val)
		return train, val
	}
	for _, tt := range []struct {
		desc   string
		modify func(t *testing.T, s *Setup)
		want   map[string]Verdict
	}{
		{"last layer initialised with std 10: loss far above ln K", func(t *testing.T, s *Setup) {
			s.Spec.Layers[len(s.Spec.Layers)-1].Init = trainer.Init{Kind: trainer.InitNormal, Scale: 10}
		}, map[string]Verdict{CheckInitLoss: Fail, CheckInit: Fail}},
		{"last layer shrunk to std 0.01: loss at ln K, small output weights allowed", func(t *testing.T, s *Setup) {
			s.Spec.Layers[len(s.Spec.Layers)-1].Init = trainer.Init{Kind: trainer.InitNormal, Scale: 0.01}
		}, map[string]Verdict{CheckInitLoss: Pass, CheckInit: Pass}},
		{"labels shuffled: the inputs carry no signal", func(t *testing.T, s *Setup) {
			s.Train, s.Val = shuffle(s.Train, 1), shuffle(s.Val, 2)
		}, map[string]Verdict{CheckSignal: Fail}},
		{"un-standardised inputs (pixels 0..16)", func(t *testing.T, s *Setup) {
			s.Train, s.Val = digits(t, true)
		}, map[string]Verdict{CheckInputs: Fail}},
		{"constant initialisation: symmetric units", func(t *testing.T, s *Setup) {
			s.Spec.Layers[0].Init = trainer.Init{Kind: trainer.InitConstant, Scale: 0.5}
		}, map[string]Verdict{CheckInit: Fail}},
		{"hidden layer at std 0.01: too small for He, a warning", func(t *testing.T, s *Setup) {
			s.Spec.Layers[0].Init = trainer.Init{Kind: trainer.InitNormal, Scale: 0.01}
		}, map[string]Verdict{CheckInit: Warn}},
		{"a loss whose gradient is twice too large", func(t *testing.T, s *Setup) {
			s.Loss = wrongGradient{}
		}, map[string]Verdict{CheckGradients: Fail}},
		{"1:20 class imbalance", func(t *testing.T, s *Setup) {
			s.Train, s.Val = spirals(t, 20)
			s.Spec, _ = trainer.PresetSpec("mlp", 2)
			s.Input = trainer.Vector(2)
		}, map[string]Verdict{CheckBalance: Fail}},
		{"1:20 class imbalance compensated by class weights", func(t *testing.T, s *Setup) {
			s.Train, s.Val = spirals(t, 20)
			s.Spec, _ = trainer.PresetSpec("mlp", 2)
			s.Input = trainer.Vector(2)
			s.ClassWeights = data.ClassWeights(s.Train.ClassCounts())
		}, map[string]Verdict{CheckBalance: Pass}},
		{"1:20 class imbalance compensated by balanced sampling", func(t *testing.T, s *Setup) {
			s.Train, s.Val = spirals(t, 20)
			s.Spec, _ = trainer.PresetSpec("mlp", 2)
			s.Input = trainer.Vector(2)
			s.Balanced = true
		}, map[string]Verdict{CheckBalance: Pass}},
		{"learning rate 1e-7: cannot overfit 20 samples, far below the range test's suggestion", func(t *testing.T, s *Setup) {
			s.LR = 1e-7
		}, map[string]Verdict{CheckOverfit: Fail, CheckLRRange: Warn}},
		{"learning rate 3: beyond the divergence of the range test", func(t *testing.T, s *Setup) {
			s.LR = 3
		}, map[string]Verdict{CheckLRRange: Fail}},
		{"10 sigmoid layers: gradients vanish, the tiny subset is not learnt", func(t *testing.T, s *Setup) {
			s.Spec, _ = trainer.PresetSpec("deep_sigmoid", 10)
		}, map[string]Verdict{CheckOverfit: Fail, CheckGradients: Pass}},
	} {
		t.Run(tt.desc, func(t *testing.T) {
			t.Parallel()
			s := healthy(t)
			tt.modify(t, &s)
			var checks []string
			for id := range tt.want {
				checks = append(checks, id)
			}
			rep, err := Run(context.Background(), s, &Options{Checks: checks})
			if err != nil {
				t.Fatal(err)
			}
			got := verdicts(rep)
			if len(got) != len(tt.want) {
				t.Errorf("ran %v, want %v", got, tt.want)
			}
			for id, want := range tt.want {
				c := rep.Check(id)
				if c == nil {
					t.Errorf("%s did not run", id)
					continue
				}
				if c.Verdict != want {
					t.Errorf("%s: %s, want %s: %s (want %s)", id, c.Verdict, want, c.Measured, c.Expected)
				}
				if c.Verdict != Pass && c.Fix == "" {
					t.Errorf("%s: %s without a fix", id, c.Verdict)
				}
			}
			if wantFail := slices.Contains(slices.Collect(maps.Values(tt.want)), Fail); rep.Failed() != wantFail {
				t.Errorf("Failed() = %v, want %v", rep.Failed(), wantFail)
			}
		})
	}
}

// A regression has no class balance, no ln K and no accuracy: those
// checks are skipped or adapted, not failed.
func TestRegression(t *testing.T) {
	t.Parallel()
	ds, err := data.Sine(data.SineOptions{Windows: 300, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	train, val, _, err := ds.Split(data.SplitOptions{Val: 0.2, Ordered: true})
	if err != nil {
		t.Fatal(err)
	}
	data.Standardize(train, val)
	spec := trainer.MLP("sine", []int{32}, trainer.TypeTanh, trainer.Init{}, 1)
	s := Setup{Spec: spec, Input: trainer.Vector(train.Dim()), Seed: 1, Train: train, Val: val,
		Loss: trainer.MeanSquaredError{}, Optimizer: trainer.OptimizerSpec{Name: "adam"}, LR: 1e-2}
	rep, err := Run(context.Background(), s, &Options{Checks: []string{CheckBalance, CheckInitLoss, CheckOverfit, CheckSignal, CheckGradients}})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]Verdict{CheckBalance: Skip, CheckInitLoss: Skip, CheckOverfit: Pass, CheckSignal: Pass, CheckGradients: Pass}
	for id, v := range want {
		if c := rep.Check(id); c.Verdict != v {
			t.Errorf("%s: %s, want %s: %s", id, c.Verdict, v, c.Measured)
		}
	}
}

// The same setup and seed give the same report, bit for bit.
func TestDeterministic(t *testing.T) {
	t.Parallel()
	opts := &Options{Checks: []string{CheckOverfit, CheckSignal, CheckLRRange, CheckGradients}}
	a, err := Run(context.Background(), healthy(t), opts)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Run(context.Background(), healthy(t), opts)
	if err != nil {
		t.Fatal(err)
	}
	if a.Markdown() != b.Markdown() {
		t.Errorf("two runs differ:\n%s\n%s", a.Markdown(), b.Markdown())
	}
	if !slices.Equal(a.Range.Points, b.Range.Points) {
		t.Error("range tests differ")
	}
	s := healthy(t)
	s.Seed = 2
	c, err := Run(context.Background(), s, opts)
	if err != nil {
		t.Fatal(err)
	}
	if slices.Equal(a.Range.Points, c.Range.Points) {
		t.Error("another seed gives the same range test")
	}
}

// A setup that cannot train is an error before any check.
func TestRunErrors(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		desc   string
		modify func(s *Setup, o *Options)
		want   string
	}{
		{"no training data", func(s *Setup, o *Options) { s.Train = nil }, "no training data"},
		{"unknown check", func(s *Setup, o *Options) { o.Checks = []string{"overfit", "vibes"} }, `unknown check "vibes"`},
		{"inputs wider than the model", func(s *Setup, o *Options) { s.Input = trainer.Vector(32) }, "samples have 64 values"},
		{"a NaN in the training data", func(s *Setup, o *Options) {
			s.Train = s.Train.Subset([]int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9})
			s.Train.X.Set(3, 5, math.NaN())
		}, "X[3, 5]"},
		{"labels beyond the outputs", func(s *Setup, o *Options) { s.Spec, _ = trainer.PresetSpec("mlp", 5) }, "label"},
		{"an impossible model", func(s *Setup, o *Options) {
			s.Spec = trainer.Spec{Layers: []trainer.LayerSpec{{Type: trainer.TypeConv, Filters: 2, Kernel: 3}}}
		}, "conv"},
		{"an unknown optimiser", func(s *Setup, o *Options) { s.Optimizer.Name = "rmsprop" }, "rmsprop"},
		{"a negative learning rate", func(s *Setup, o *Options) { s.LR = -1 }, "learning rate -1"},
		{"class weights with a custom loss", func(s *Setup, o *Options) {
			s.Loss, s.ClassWeights = trainer.SoftmaxCrossEntropy{}, make([]float64, 10)
		}, "ClassWeights"},
		{"an overfit subset of 50", func(s *Setup, o *Options) { o.OverfitSamples = 50 }, "OverfitSamples 50"},
		{"an empty learning-rate range", func(s *Setup, o *Options) { o.RangeMin, o.RangeMax = 1, 1e-3 }, "range [1, 0.001]"},
	} {
		t.Run(tt.desc, func(t *testing.T) {
			s, o := healthy(t), &Options{}
			tt.modify(&s, o)
			rep, err := Run(context.Background(), s, o)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Run: %v, want an error containing %q", err, tt.want)
			}
			if rep != nil {
				t.Error("a report with the error")
			}
			if !strings.HasPrefix(err.Error(), "doctor: ") {
				t.Errorf("error %q does not start with the package name", err)
			}
		})
	}
}

// Cancelling the context stops the checks with the context's error.
func TestRunCancelled(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := Run(ctx, healthy(t), &Options{Checks: []string{CheckSignal}})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Run: %v, want context.Canceled", err)
	}
}

// rangeOf builds a range test from a loss curve over log10 of the rate.
func rangeOf(n int, lo, hi float64, loss func(log10LR float64) float64) *LRRange {
	r := &LRRange{Min: lo, Max: hi, Diverged: math.NaN()}
	for i := range n {
		lr := lo * math.Pow(hi/lo, float64(i)/float64(n-1))
		l := loss(math.Log10(lr))
		r.Points = append(r.Points, LRPoint{Step: i, LR: lr, Loss: l, Smoothed: l})
	}
	r.analyse()
	return r
}

// The range test's analysis finds the steepest fall, the lowest point and
// the suggestion min(steepest, lowest/10) on curves with known answers.
func TestLRRangeAnalysis(t *testing.T) {
	t.Parallel()
	near := func(got, want float64) bool { return math.Abs(math.Log10(got/want)) < 0.1 }
	for _, tt := range []struct {
		desc                        string
		loss                        func(x float64) float64
		falls                       bool
		steepest, lowest, suggested float64
	}{
		{"logistic fall centred on 1e-3, rising after 1e-1",
			func(x float64) float64 { return 2/(1+math.Exp(3*(x+3))) + 0.1 + math.Max(0, x+1)*math.Max(0, x+1) },
			true, 1e-3, 1e-1, 1e-3},
		{"fall centred on 1e-2, lowest at 3e-2: a tenth of the lowest is more cautious",
			func(x float64) float64 {
				return 2/(1+math.Exp(3*(x+2))) + 0.1 + 5*math.Max(0, x+1.5)*math.Max(0, x+1.5)
			},
			true, 1e-2, math.Pow(10, -1.5), math.Pow(10, -2.5)},
		{"flat: the loss never falls", func(x float64) float64 { return 2.3 }, false, math.NaN(), math.NaN(), math.NaN()},
	} {
		t.Run(tt.desc, func(t *testing.T) {
			r := rangeOf(200, 1e-6, 10, tt.loss)
			if r.Falls != tt.falls {
				t.Fatalf("Falls = %v, want %v", r.Falls, tt.falls)
			}
			if !tt.falls {
				if !math.IsNaN(r.Suggested) {
					t.Errorf("Suggested = %g for a flat curve", r.Suggested)
				}
				return
			}
			if !near(r.Steepest, tt.steepest) || !near(r.Lowest, tt.lowest) || !near(r.Suggested, tt.suggested) {
				t.Errorf("steepest %g, lowest %g, suggested %g; want about %g, %g, %g", r.Steepest, r.Lowest, r.Suggested, tt.steepest, tt.lowest, tt.suggested)
			}
		})
	}
}

// The bands of the gradient check are CS231n's.
func TestGradBands(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		desc    string
		err     float64
		verdict Verdict
		rating  string
	}{
		{"float64 rounding", 1e-9, Pass, "good"},
		{"a kink nearby", 1e-5, Pass, "ok"},
		{"suspicious", 1e-3, Warn, "suspicious"},
		{"wrong", 0.5, Fail, "wrong"},
		{"NaN", math.NaN(), Fail, "wrong"},
	} {
		if v, r := gradVerdict(tt.err), GradRating(tt.err); v != tt.verdict || r != tt.rating {
			t.Errorf("%s: relative error %g: %s, %q; want %s, %q", tt.desc, tt.err, v, r, tt.verdict, tt.rating)
		}
	}
}

// Log writes the checklist as Markdown, a flag per check, the range
// test's scalars and its figure, which read back as written.
func TestLog(t *testing.T) {
	t.Parallel()
	s := healthy(t)
	s.Spec.Layers[len(s.Spec.Layers)-1].Init = trainer.Init{Kind: trainer.InitNormal, Scale: 10}
	rep, err := Run(context.Background(), s, &Options{Checks: []string{CheckInitLoss, CheckGradients, CheckLRRange}})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	w, err := summary.NewWriter(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := rep.Log(w); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	src, err := history.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	scalars := map[string]int{}
	var text string
	var images int
	flags := map[string]float64{}
	err = src.Values(context.Background(), nil, func(v *history.Value) error {
		switch v.Kind {
		case summary.KindScalar:
			scalars[v.Tag]++
			if strings.HasPrefix(v.Tag, FailedTagPrefix) {
				flags[strings.TrimPrefix(v.Tag, FailedTagPrefix)] = v.Scalar
			}
		case summary.KindText:
			if v.Tag == ChecklistTag {
				text = v.Text[0]
			}
		case summary.KindImage:
			if v.Tag == RangeFigureTag {
				images++
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if text != rep.Markdown() || !strings.Contains(text, "| loss at initialisation | 1 | **FAIL** |") {
		t.Errorf("checklist text:\n%s", text)
	}
	if want := map[string]float64{CheckInitLoss: 1, CheckGradients: 0, CheckLRRange: 0}; !maps.Equal(flags, want) {
		t.Errorf("flags %v, want %v", flags, want)
	}
	n := len(rep.Range.Points)
	if scalars[RangeLRTag] != n || scalars[RangeLossTag] == 0 || scalars[RangeSmoothedTag] == 0 {
		t.Errorf("range scalars %v for %d points", scalars, n)
	}
	if images != 1 {
		t.Errorf("%d range figures, want 1", images)
	}
}

// The text report shows the threshold and the fix under a failed check
// and counts the verdicts.
func TestWriteText(t *testing.T) {
	t.Parallel()
	s := healthy(t)
	s.Train, s.Val = digits(t, true)
	rep, err := Run(context.Background(), s, &Options{Checks: []string{CheckInputs, CheckBalance}})
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	if err := rep.WriteText(&b); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{"FAIL  input statistics", "want: per feature", "fix: mean-centre", "pass  class balance", "1 passed, 0 warnings, 1 failed"} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
}

// BenchmarkRun measures the whole checklist on the default run.
func BenchmarkRun(b *testing.B) {
	s := healthy(b)
	for b.Loop() {
		if _, err := Run(context.Background(), s, nil); err != nil {
			b.Fatal(err)
		}
	}
}
