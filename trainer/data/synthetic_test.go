package data

import (
	"errors"
	"math"
	"slices"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// generators makes each synthetic set from a seed.
var generators = []struct {
	desc string
	make func(seed uint64) (*Dataset, error)
}{
	{"spirals", func(s uint64) (*Dataset, error) { return Spirals(SpiralsOptions{Classes: 3, Noise: 0.1, Seed: s}) }},
	{"xor", func(s uint64) (*Dataset, error) { return XOR(XOROptions{Noise: 0.1, Seed: s}) }},
	{"blobs", func(s uint64) (*Dataset, error) { return Blobs(BlobsOptions{Classes: 4, Dims: 3, Seed: s}) }},
	{"sine", func(s uint64) (*Dataset, error) { return Sine(SineOptions{Noise: 0.1, Trend: 0.01, Seed: s}) }},
}

func sameData(a, b *Dataset) bool {
	if !mat.Equal(a.X, b.X) || !slices.Equal(a.Y, b.Y) {
		return false
	}
	if (a.Targets == nil) != (b.Targets == nil) {
		return false
	}
	return a.Targets == nil || mat.Equal(a.Targets, b.Targets)
}

func TestSyntheticDeterministic(t *testing.T) {
	for _, g := range generators {
		t.Run(g.desc, func(t *testing.T) {
			a, err := g.make(7)
			if err != nil {
				t.Fatal(err)
			}
			if err := a.Validate(); err != nil {
				t.Fatal(err)
			}
			b, _ := g.make(7)
			if !sameData(a, b) {
				t.Error("the same seed gave different data")
			}
			c, _ := g.make(8)
			if sameData(a, c) {
				t.Error("another seed gave the same data")
			}
			if a.Source == "" || a.Name == "" {
				t.Errorf("name %q, source %q", a.Name, a.Source)
			}
		})
	}
}

func TestClassSizes(t *testing.T) {
	for _, tc := range []struct {
		desc      string
		k, n      int
		imbalance float64
		want      []int
	}{
		{"balanced", 3, 50, 0, []int{50, 50, 50}},
		{"ratio 1 is balanced", 2, 50, 1, []int{50, 50}},
		{"1:20", 2, 200, 20, []int{200, 10}},
		{"geometric", 3, 100, 4, []int{100, 50, 25}},
		{"at least one", 4, 10, 1000, []int{10, 1, 1, 1}},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			if got := ClassSizes(tc.k, tc.n, tc.imbalance); !slices.Equal(got, tc.want) {
				t.Errorf("ClassSizes(%d, %d, %v) = %v, want %v", tc.k, tc.n, tc.imbalance, got, tc.want)
			}
		})
	}
}

func TestSyntheticImbalance(t *testing.T) {
	for _, tc := range []struct {
		desc string
		make func() (*Dataset, error)
		want []int
	}{
		{"spirals 1:20", func() (*Dataset, error) { return Spirals(SpiralsOptions{PerClass: 200, Imbalance: 20, Seed: 1}) }, []int{200, 10}},
		{"xor 1:20", func() (*Dataset, error) { return XOR(XOROptions{PerClass: 100, Imbalance: 20, Seed: 1}) }, []int{100, 5}},
		{"blobs 1:4", func() (*Dataset, error) { return Blobs(BlobsOptions{Classes: 3, PerClass: 40, Imbalance: 4, Seed: 1}) }, []int{40, 20, 10}},
		{"spirals balanced", func() (*Dataset, error) { return Spirals(SpiralsOptions{Classes: 3, PerClass: 30}) }, []int{30, 30, 30}},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			d, err := tc.make()
			if err != nil {
				t.Fatal(err)
			}
			counts := d.ClassCounts()
			if !slices.Equal(counts, tc.want) {
				t.Fatalf("counts %v, want %v", counts, tc.want)
			}
			want := float64(slices.Max(tc.want)) / float64(slices.Min(tc.want))
			if r := ImbalanceRatio(counts); r != want {
				t.Errorf("ImbalanceRatio %v, want %v", r, want)
			}
			if slices.IsSorted(d.Y) {
				t.Error("rows are not shuffled: labels in class order")
			}
		})
	}
}

func TestSpiralsGeometry(t *testing.T) {
	const k, n, turns = 3, 50, 1.5
	d, err := Spirals(SpiralsOptions{Classes: k, PerClass: n, Turns: turns})
	if err != nil {
		t.Fatal(err)
	}
	radii := make([][]float64, k)
	for i := 0; i < d.Len(); i++ {
		x, y, c := d.X.At(i, 0), d.X.At(i, 1), d.Y[i]
		r := math.Hypot(x, y)
		radii[c] = append(radii[c], r)
		want := 2*math.Pi*turns*r + 2*math.Pi*float64(c)/k
		if diff := math.Remainder(math.Atan2(y, x)-want, 2*math.Pi); math.Abs(diff) > 1e-9 {
			t.Fatalf("row %d (class %d) at angle %v, off its arm by %v rad", i, c, math.Atan2(y, x), diff)
		}
	}
	for c, rs := range radii {
		slices.Sort(rs)
		for i, r := range rs {
			if math.Abs(r-float64(i+1)/n) > 1e-12 {
				t.Fatalf("class %d: radius #%d is %v, want %v", c, i, r, float64(i+1)/n)
			}
		}
	}
}

func TestXORLabels(t *testing.T) {
	d, err := XOR(XOROptions{PerClass: 300, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	quadrants := map[[2]bool]int{}
	for i := 0; i < d.Len(); i++ {
		x, y := d.X.At(i, 0), d.X.At(i, 1)
		if math.Abs(x) > 1 || math.Abs(y) > 1 {
			t.Fatalf("row %d at (%v, %v), outside the square", i, x, y)
		}
		if same := x*y > 0; same != (d.Y[i] == 0) {
			t.Fatalf("row %d at (%v, %v) has class %d", i, x, y, d.Y[i])
		}
		quadrants[[2]bool{x > 0, y > 0}]++
	}
	for q, n := range quadrants {
		if n < 100 { // 150 expected per quadrant
			t.Errorf("quadrant %v has %d points", q, n)
		}
	}
}

func TestBlobsCentres(t *testing.T) {
	for _, tc := range []struct {
		desc    string
		k, dims int
	}{
		{"one axis per class", 3, 5},
		{"polygon in the plane", 5, 2},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			const sep, n = 6, 4000
			d, err := Blobs(BlobsOptions{Classes: tc.k, Dims: tc.dims, PerClass: n, Separation: sep, Seed: 2})
			if err != nil {
				t.Fatal(err)
			}
			means := mat.NewDense(tc.k, tc.dims, nil)
			for i := 0; i < d.Len(); i++ {
				row := means.RawRowView(d.Y[i])
				for j, v := range d.X.RawRowView(i) {
					row[j] += v / n
				}
			}
			nearest := math.Inf(1)
			for a := 0; a < tc.k; a++ {
				for b := a + 1; b < tc.k; b++ {
					var diff mat.VecDense
					diff.SubVec(means.RowView(a), means.RowView(b))
					nearest = math.Min(nearest, mat.Norm(&diff, 2))
				}
			}
			// Each mean is off by about sqrt(dims/n) ≈ 0.035.
			if math.Abs(nearest-sep) > 0.2 {
				t.Errorf("nearest class means %v apart, want %v", nearest, sep)
			}
			s := Describe(d.Subset(classRows(d.Y, 0)).X)
			for j, sd := range s.Std {
				if math.Abs(sd-1) > 0.05 {
					t.Errorf("class 0, feature %d: std %v, want 1", j, sd)
				}
			}
		})
	}
}

func classRows(y []int, c int) []int {
	var idx []int
	for i, v := range y {
		if v == c {
			idx = append(idx, i)
		}
	}
	return idx
}

func TestSine(t *testing.T) {
	const l, period = 5, 10
	d, err := Sine(SineOptions{Windows: 200, Length: l, Period: period, Offset: 3, Trend: 0.5})
	if err != nil {
		t.Fatal(err)
	}
	if d.Shape != Vector(l) || d.FeatureNames[0] != "t-5" || d.FeatureNames[l-1] != "t-1" || d.Y != nil {
		t.Fatalf("shape %v, names %q", d.Shape, d.FeatureNames)
	}
	for i := 0; i+1 < d.Len(); i++ {
		// Windows overlap: the next window is this one moved by one step,
		// ending in this window's target.
		for j := 0; j+1 < l; j++ {
			if d.X.At(i+1, j) != d.X.At(i, j+1) {
				t.Fatalf("window %d is not window %d moved by one", i+1, i)
			}
		}
		if d.X.At(i+1, l-1) != d.Targets.At(i, 0) {
			t.Fatalf("target %d is not the next value", i)
		}
		// Without noise, s[t+period] - s[t] is exactly the drift over a period.
		if i+period < d.Len() {
			if diff := d.X.At(i+period, 0) - d.X.At(i, 0); math.Abs(diff-0.5*period) > 1e-9 {
				t.Fatalf("series not periodic plus trend: s[%d+%d]-s[%d] = %v", i, period, i, diff)
			}
		}
	}
}

func TestSyntheticBadOptions(t *testing.T) {
	for _, tc := range []struct {
		desc string
		make func() (*Dataset, error)
		want string
	}{
		{"one arm", func() (*Dataset, error) { return Spirals(SpiralsOptions{Classes: 1}) },
			"data: Spirals: 1 classes, need at least 2: invalid dataset"},
		{"negative noise", func() (*Dataset, error) { return Spirals(SpiralsOptions{Noise: -1}) },
			"data: Spirals: noise -1, want a finite value >= 0: invalid dataset"},
		{"imbalance below 1", func() (*Dataset, error) { return XOR(XOROptions{Imbalance: 0.5}) },
			"data: XOR: imbalance 0.5, want 0 (balanced) or a finite ratio >= 1: invalid dataset"},
		{"NaN imbalance", func() (*Dataset, error) { return XOR(XOROptions{Imbalance: math.NaN()}) },
			"data: XOR: imbalance NaN, want 0 (balanced) or a finite ratio >= 1: invalid dataset"},
		{"negative per class", func() (*Dataset, error) { return XOR(XOROptions{PerClass: -3}) },
			"data: XOR: -3 samples per class, need at least 1: invalid dataset"},
		{"negative turns", func() (*Dataset, error) { return Spirals(SpiralsOptions{Turns: -1}) },
			"data: Spirals: -1 turns, want a finite value > 0: invalid dataset"},
		{"too few dims", func() (*Dataset, error) { return Blobs(BlobsOptions{Classes: 3, Dims: 1}) },
			"data: Blobs: 1 dimensions for 3 classes, need at least 2 (or one per class): invalid dataset"},
		{"bad separation", func() (*Dataset, error) { return Blobs(BlobsOptions{Separation: math.Inf(1)}) },
			"data: Blobs: separation +Inf, want a finite value > 0: invalid dataset"},
		{"negative period", func() (*Dataset, error) { return Sine(SineOptions{Period: -2}) },
			"data: Sine: period -2 out of range: invalid dataset"},
		{"NaN trend", func() (*Dataset, error) { return Sine(SineOptions{Trend: math.NaN()}) },
			"data: Sine: trend NaN out of range: invalid dataset"},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			d, err := tc.make()
			if err == nil || err.Error() != tc.want || !errors.Is(err, ErrInvalid) || d != nil {
				t.Errorf("got %v, %v\nwant error %s", d, err, tc.want)
			}
		})
	}
}
