package data

import (
	"math"
	"slices"
	"testing"

	"gonum.org/v1/gonum/mat"
)

func TestDescribe(t *testing.T) {
	x := mat.NewDense(4, 3, []float64{
		1, 10, 5,
		2, 10, -5,
		3, 10, 5,
		6, 10, -5,
	})
	s := Describe(x)
	check := func(name string, got, want []float64) {
		t.Helper()
		for j := range want {
			if math.Abs(got[j]-want[j]) > 1e-12 {
				t.Errorf("%s = %v, want %v", name, got, want)
				return
			}
		}
	}
	check("Mean", s.Mean, []float64{3, 10, 0})
	check("Std", s.Std, []float64{math.Sqrt(3.5), 0, 5}) // population std
	check("Min", s.Min, []float64{1, 10, -5})
	check("Max", s.Max, []float64{6, 10, 5})
	if s.N != 4 || s.MaxAbsMean() != 10 {
		t.Errorf("N %d, MaxAbsMean %v", s.N, s.MaxAbsMean())
	}
	lo, hi, constant := s.StdRange()
	if lo != math.Sqrt(3.5) || hi != 5 || constant != 1 || !s.Constant(1) || s.Constant(0) {
		t.Errorf("StdRange = %v, %v, %d constant", lo, hi, constant)
	}
	if lo, hi := s.Range(); lo != -5 || hi != 10 {
		t.Errorf("Range = %v, %v", lo, hi)
	}
	if lo, hi, c := Describe(mat.NewDense(2, 1, []float64{3, 3})).StdRange(); !math.IsNaN(lo) || !math.IsNaN(hi) || c != 1 {
		t.Errorf("all constant: StdRange = %v, %v, %d", lo, hi, c)
	}
}

// The statistics come from the training split alone: changing the
// validation split changes neither the fitted Scaler nor the transformed
// training data, and the validation split is mapped with train's numbers.
func TestStandardizeFitsTrainOnly(t *testing.T) {
	d, err := Digits()
	if err != nil {
		t.Fatal(err)
	}
	tr, val, _, err := d.Split(SplitOptions{Val: 0.25, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	rawVal := mat.DenseCopyOf(val.X)
	train1, train2 := tr.Subset(all(tr.Len())), tr.Subset(all(tr.Len()))
	val2 := val.Subset(all(val.Len()))
	val2.X.Scale(100, val2.X) // a very different validation set
	val2.X.Set(0, 0, -1e6)

	s1 := Standardize(train1, val)
	s2 := Standardize(train2, val2)
	if !slices.Equal(s1.Mean, s2.Mean) || !slices.Equal(s1.Scale, s2.Scale) {
		t.Fatal("the fitted statistics depend on the validation set")
	}
	if !mat.Equal(train1.X, train2.X) {
		t.Fatal("the transformed training set depends on the validation set")
	}
	raw := Describe(tr.X)
	for j := range s1.Mean {
		if s1.Mean[j] != raw.Mean[j] {
			t.Fatalf("feature %d: scaler mean %v, training mean %v", j, s1.Mean[j], raw.Mean[j])
		}
	}
	for i := 0; i < val.Len(); i++ {
		for j, v := range val.X.RawRowView(i) {
			if want := (rawVal.At(i, j) - s1.Mean[j]) / s1.Scale[j]; v != want {
				t.Fatalf("val[%d, %d] = %v, want (x - train mean)/train std = %v", i, j, v, want)
			}
		}
	}

	// Rule 11 in both directions: raw digits fail it, standardised pass.
	rawStats := Describe(tr.X)
	if lo, hi := rawStats.Range(); rawStats.MaxAbsMean() <= 0.1 || lo != 0 || hi != 16 {
		t.Errorf("raw digits: max |mean| %v, range [%v, %v]", rawStats.MaxAbsMean(), lo, hi)
	}
	after := Describe(train1.X)
	lo, hi, constant := after.StdRange()
	if after.MaxAbsMean() > 1e-12 || math.Abs(lo-1) > 1e-12 || math.Abs(hi-1) > 1e-12 {
		t.Errorf("standardised: max |mean| %v, std range [%v, %v]", after.MaxAbsMean(), lo, hi)
	}
	if constant == 0 || constant != countConstant(rawStats) {
		t.Errorf("%d constant features after standardising, %d before", constant, countConstant(rawStats))
	}
}

func all(n int) []int {
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	return idx
}

func countConstant(s FeatureStats) int {
	n := 0
	for j := range s.Std {
		if s.Constant(j) {
			n++
		}
	}
	return n
}

func TestStandardizeConstantFeature(t *testing.T) {
	// Column 0 is constant 0.1: its two-pass std is rounding noise, not 0.
	train := mat.NewDense(3, 2, []float64{0.1, 1, 0.1, 2, 0.1, 3})
	val := mat.NewDense(1, 2, []float64{0.6, 2})
	s := FitStandardizer(train)
	if s.Scale[0] != 1 {
		t.Errorf("constant feature scale %v, want 1", s.Scale[0])
	}
	s.Transform(train)
	s.Transform(val)
	for i := 0; i < 3; i++ {
		if train.At(i, 0) != 0 {
			t.Errorf("constant feature on train = %v, want 0", train.At(i, 0))
		}
	}
	if got := val.At(0, 0); math.Abs(got-0.5) > 1e-15 {
		t.Errorf("constant feature on val = %v, want 0.6 - 0.1", got)
	}
	if got := val.At(0, 1); got != 0 {
		t.Errorf("val feature 1 = %v, want 0", got)
	}
}

func TestCenterAndInverse(t *testing.T) {
	train := mat.NewDense(2, 2, []float64{1, 10, 3, 30})
	other := mat.NewDense(1, 2, []float64{5, 5})
	s := Center(&Dataset{X: train}, &Dataset{X: other}, nil, &Dataset{})
	if !mat.Equal(train, mat.NewDense(2, 2, []float64{-1, -10, 1, 10})) || !mat.Equal(other, mat.NewDense(1, 2, []float64{3, -15})) {
		t.Errorf("centred train %v, other %v", mat.Formatted(train), mat.Formatted(other))
	}
	if !slices.Equal(s.Scale, []float64{1, 1}) {
		t.Errorf("centring scale %v", s.Scale)
	}
	x := mat.NewDense(2, 2, []float64{1.5, -2, 7, 1e3})
	orig := mat.DenseCopyOf(x)
	st := FitStandardizer(mat.NewDense(3, 2, []float64{1, 2, 3, 4, 5, 7}))
	st.Transform(x)
	st.Inverse(x)
	if !mat.EqualApprox(x, orig, 1e-12) {
		t.Errorf("Inverse(Transform(x)) = %v, want %v", mat.Formatted(x), mat.Formatted(orig))
	}
}

func TestScalerWidthPanics(t *testing.T) {
	s := FitCenterer(mat.NewDense(1, 3, []float64{1, 2, 3}))
	for _, tc := range []struct {
		desc string
		f    func()
	}{
		{"Transform", func() { s.Transform(mat.NewDense(1, 2, nil)) }},
		{"Inverse", func() { s.Inverse(mat.NewDense(1, 4, nil)) }},
		{"CenterBatch", func() { CenterBatch(mat.NewDense(2, 2, nil), make([]float64, 3)) }},
		{"CenterWindows offsets", func() { CenterWindows(mat.NewDense(2, 2, nil), nil, make([]float64, 1)) }},
		{"CenterWindows targets", func() { CenterWindows(mat.NewDense(2, 2, nil), mat.NewDense(3, 1, nil), make([]float64, 2)) }},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			defer func() {
				if _, ok := recover().(ShapeError); !ok {
					t.Error("did not panic with a ShapeError")
				}
			}()
			tc.f()
		})
	}
}

func TestCenterBatch(t *testing.T) {
	// A drifting series: the global mean is far from any one batch's.
	d, err := Sine(SineOptions{Windows: 300, Length: 4, Trend: 0.1, Offset: 50, Seed: 4})
	if err != nil {
		t.Fatal(err)
	}
	batch := d.Subset(all(32)).X
	orig := mat.DenseCopyOf(batch)
	mean := make([]float64, 4)
	if a := testing.AllocsPerRun(1, func() {
		batch.Copy(orig)
		CenterBatch(batch, mean)
	}); a != 0 {
		t.Errorf("CenterBatch allocates %v times", a)
	}
	want := Describe(orig).Mean
	for j := range mean {
		if math.Abs(mean[j]-want[j]) > 1e-12 {
			t.Fatalf("means %v, want %v", mean, want)
		}
	}
	if m := Describe(batch).MaxAbsMean(); m > 1e-12 {
		t.Errorf("batch column means up to %v after centring", m)
	}
	for i := 0; i < 32; i++ {
		for j := range 4 {
			if math.Abs(batch.At(i, j)+mean[j]-orig.At(i, j)) > 1e-12 {
				t.Fatalf("x[%d, %d] - mean is not the centred value", i, j)
			}
		}
	}
}

func TestCenterWindows(t *testing.T) {
	d, err := Sine(SineOptions{Windows: 200, Length: 8, Trend: 0.2, Offset: -30, Noise: 0.01, Seed: 5})
	if err != nil {
		t.Fatal(err)
	}
	x, y := mat.DenseCopyOf(d.X), mat.DenseCopyOf(d.Targets)
	offset := make([]float64, 200)
	if a := testing.AllocsPerRun(1, func() {
		x.Copy(d.X)
		y.Copy(d.Targets)
		CenterWindows(x, y, offset)
	}); a != 0 {
		t.Errorf("CenterWindows allocates %v times", a)
	}
	for i := 0; i < 200; i++ {
		sum := 0.0
		for _, v := range x.RawRowView(i) {
			sum += v
		}
		if math.Abs(sum) > 1e-9 {
			t.Fatalf("window %d sums to %v after centring", i, sum)
		}
		if math.Abs(y.At(i, 0)+offset[i]-d.Targets.At(i, 0)) > 1e-12 || math.Abs(x.At(i, 3)+offset[i]-d.X.At(i, 3)) > 1e-12 {
			t.Fatalf("window %d: target or input not shifted by the offset %v", i, offset[i])
		}
	}
	// The drift is gone: the centred windows' level no longer grows.
	if lo, hi := Describe(x).Range(); hi-lo > 6 {
		t.Errorf("centred windows span [%v, %v]; the drift of %v was not removed", lo, hi, 0.2*200)
	}
}
