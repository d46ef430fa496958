package data

import (
	"errors"
	"math"
	"slices"
	"strings"
	"testing"
)

func TestSplitStratified(t *testing.T) {
	d, err := Digits()
	if err != nil {
		t.Fatal(err)
	}
	const fv, ft = 0.2, 0.1
	tr, va, te, err := SplitIndices(d.Len(), d.Y, SplitOptions{Val: fv, Test: ft, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	// Disjoint and complete.
	joined := slices.Concat(tr, va, te)
	slices.Sort(joined)
	if !slices.Equal(joined, all(d.Len())) {
		t.Fatal("the splits are not a partition of the rows")
	}
	counts := d.ClassCounts()
	for _, s := range []struct {
		name string
		idx  []int
		frac float64
	}{{"train", tr, 1 - fv - ft}, {"val", va, fv}, {"test", te, ft}} {
		got := ClassCounts(labelsOf(d.Y, s.idx), d.Classes)
		for c, n := range counts {
			// Rounding per class keeps each within one sample of its share.
			if want := s.frac * float64(n); math.Abs(float64(got[c])-want) > 1 {
				t.Errorf("%s: class %d has %d rows, want %.1f", s.name, c, got[c], want)
			}
		}
		if slices.IsSorted(labelsOf(d.Y, s.idx)) {
			t.Errorf("%s is in class order, not shuffled", s.name)
		}
	}

	tr2, va2, _, _ := SplitIndices(d.Len(), d.Y, SplitOptions{Val: fv, Test: ft, Seed: 3})
	tr3, _, _, _ := SplitIndices(d.Len(), d.Y, SplitOptions{Val: fv, Test: ft, Seed: 4})
	if !slices.Equal(tr, tr2) || !slices.Equal(va, va2) {
		t.Error("the same seed gave another split")
	}
	if slices.Equal(tr, tr3) {
		t.Error("another seed gave the same split")
	}
}

func labelsOf(y, idx []int) []int {
	out := make([]int, len(idx))
	for k, i := range idx {
		out[k] = y[i]
	}
	return out
}

func TestSplitMinority(t *testing.T) {
	// A 1:20 imbalance leaves the minority 2 samples: it still reaches
	// validation, and keeps one for training.
	d, err := Spirals(SpiralsOptions{PerClass: 40, Imbalance: 20, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	tr, va, te, err := d.Split(SplitOptions{Val: 0.2, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	if te != nil {
		t.Errorf("test split with Test 0: %d rows", te.Len())
	}
	if got := va.ClassCounts(); !slices.Equal(got, []int{8, 1}) {
		t.Errorf("val counts %v, want [8 1]", got)
	}
	if got := tr.ClassCounts(); !slices.Equal(got, []int{32, 1}) {
		t.Errorf("train counts %v, want [32 1]", got)
	}
	if err := va.Validate(); err != nil {
		t.Error(err)
	}
}

func TestSplitSizes(t *testing.T) {
	for _, tc := range []struct {
		desc      string
		n         int
		val, test float64
		nv, nt    int
	}{
		{"plain", 100, 0.2, 0.1, 20, 10},
		{"rounding", 7, 0.2, 0, 1, 0},
		{"forced val", 3, 0.1, 0, 1, 0},
		{"forced val and test", 3, 0.1, 0.1, 1, 1},
		{"two rows: train first", 2, 0.1, 0.1, 1, 0},
		{"one row stays in train", 1, 0.4, 0.4, 0, 0},
		{"no val requested", 50, 0, 0, 0, 0},
		{"large fractions keep a train row", 4, 0.5, 0.49, 2, 1},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			nv, nt := splitSizes(tc.n, SplitOptions{Val: tc.val, Test: tc.test})
			if nv != tc.nv || nt != tc.nt {
				t.Errorf("splitSizes(%d, %v, %v) = %d, %d; want %d, %d", tc.n, tc.val, tc.test, nv, nt, tc.nv, tc.nt)
			}
		})
	}
}

func TestSplitOrdered(t *testing.T) {
	d, err := Sine(SineOptions{Windows: 100})
	if err != nil {
		t.Fatal(err)
	}
	tr, va, te, err := SplitIndices(d.Len(), nil, SplitOptions{Val: 0.2, Test: 0.1, Ordered: true, Seed: 9})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(tr, all(70)) || va[0] != 70 || len(va) != 20 || te[0] != 90 || te[9] != 99 || !slices.IsSorted(va) {
		t.Errorf("ordered split: train %v, val %v, test %v", tr, va, te)
	}
	// Without labels and not ordered: a shuffled, complete split.
	tr, va, te, _ = SplitIndices(100, nil, SplitOptions{Val: 0.2, Test: 0.1, Seed: 9})
	if len(tr) != 70 || len(va) != 20 || len(te) != 10 || slices.IsSorted(tr) {
		t.Errorf("random split sizes %d, %d, %d", len(tr), len(va), len(te))
	}
	trD, vaD, teD, err := d.Split(SplitOptions{Val: 0.2, Ordered: true})
	if err != nil || teD != nil || trD.Len() != 80 || trD.Targets.At(79, 0) != d.Targets.At(79, 0) || vaD.X.At(0, 0) != d.X.At(80, 0) {
		t.Errorf("ordered Dataset.Split: %v", err)
	}
}

func TestSplitErrors(t *testing.T) {
	for _, tc := range []struct {
		desc string
		n    int
		y    []int
		o    SplitOptions
		is   error
	}{
		{"val too big", 10, nil, SplitOptions{Val: 1}, ErrInvalid},
		{"negative test", 10, nil, SplitOptions{Test: -0.1}, ErrInvalid},
		{"sum too big", 10, nil, SplitOptions{Val: 0.6, Test: 0.4}, ErrInvalid},
		{"NaN", 10, nil, SplitOptions{Val: math.NaN()}, ErrInvalid},
		{"no rows", 0, nil, SplitOptions{Val: 0.1}, ErrEmpty},
		{"labels disagree", 3, []int{0, 1}, SplitOptions{Val: 0.1}, ErrInvalid},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			tr, _, _, err := SplitIndices(tc.n, tc.y, tc.o)
			if !errors.Is(err, tc.is) || tr != nil || !strings.HasPrefix(err.Error(), "data: split") {
				t.Errorf("got %v, want %v", err, tc.is)
			}
		})
	}
	d := validSet()
	if _, _, _, err := d.Split(SplitOptions{Val: 2}); err == nil ||
		err.Error() != `data: dataset "toy": split fractions val 2 and test 0, want each in [0, 1) and val+test < 1: invalid dataset` {
		t.Errorf("Dataset.Split error: %v", err)
	}
}

func TestClassWeights(t *testing.T) {
	for _, tc := range []struct {
		desc   string
		counts []int
		want   []float64
	}{
		{"balanced", []int{5, 5}, []float64{1, 1}},
		{"1:20", []int{200, 10}, []float64{210.0 / 400, 210.0 / 20}},
		{"absent class", []int{6, 0, 2}, []float64{8.0 / 12, 0, 8.0 / 4}},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			w := ClassWeights(tc.counts)
			total, weighted := 0, 0.0
			for c, n := range tc.counts {
				if math.Abs(w[c]-tc.want[c]) > 1e-15 {
					t.Errorf("weights %v, want %v", w, tc.want)
				}
				total += n
				weighted += float64(n) * w[c]
			}
			if math.Abs(weighted-float64(total)) > 1e-9 {
				t.Errorf("Σ n_c·w_c = %v, want N = %d", weighted, total)
			}
		})
	}
}

func TestBalancedSampler(t *testing.T) {
	// Classes 200, 50 and 10 samples, class 3 absent.
	var y []int
	for c, n := range []int{200, 50, 10, 0} {
		for range n {
			y = append(y, c)
		}
	}
	s, err := NewBalancedSampler(y, 4, 11)
	if err != nil {
		t.Fatal(err)
	}
	const draws = 60000
	perClass := make([]int, 4)
	perSample := make([]int, len(y))
	batch := make([]int, 100)
	for range draws / len(batch) {
		s.Fill(batch)
		for _, i := range batch {
			perClass[y[i]]++
			perSample[i]++
		}
	}
	// The binomial std of a class share is sqrt(p(1-p)/n) ≈ 0.0019: 0.01 is 5 sigma.
	for c := range 3 {
		if share := float64(perClass[c]) / draws; math.Abs(share-1.0/3) > 0.01 {
			t.Errorf("class %d drawn %.4f of the time, want 1/3", c, share)
		}
	}
	if perClass[3] != 0 {
		t.Errorf("absent class drawn %d times", perClass[3])
	}
	// Within a class every sample is used once per pass: counts differ by at most one.
	for c, lohi := range [][2]int{{0, 200}, {200, 250}, {250, 260}} {
		counts := perSample[lohi[0]:lohi[1]]
		if slices.Max(counts)-slices.Min(counts) > 1 {
			t.Errorf("class %d: samples drawn between %d and %d times", c, slices.Min(counts), slices.Max(counts))
		}
	}

	a, _ := NewBalancedSampler(y, 4, 5)
	b, _ := NewBalancedSampler(y, 4, 5)
	c, _ := NewBalancedSampler(y, 4, 6)
	sa, sb, sc := make([]int, 50), make([]int, 50), make([]int, 50)
	a.Fill(sa)
	b.Fill(sb)
	c.Fill(sc)
	if !slices.Equal(sa, sb) || slices.Equal(sa, sc) {
		t.Error("the sampler is not determined by its seed")
	}
	if n := testing.AllocsPerRun(100, func() { a.Fill(sa) }); n != 0 {
		t.Errorf("Fill allocates %v times", n)
	}

	if _, err := NewBalancedSampler(nil, 2, 1); !errors.Is(err, ErrEmpty) {
		t.Errorf("no labels: %v", err)
	}
	if _, err := NewBalancedSampler([]int{0, 2}, 2, 1); err == nil ||
		err.Error() != "data: balanced sampler: label 2 of row 1 outside [0, 2): bad label" {
		t.Errorf("bad label: %v", err)
	}
}
