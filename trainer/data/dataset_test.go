package data

import (
	"errors"
	"math"
	"testing"

	"gonum.org/v1/gonum/mat"
)

func TestShape(t *testing.T) {
	for _, tc := range []struct {
		desc          string
		s             Shape
		size          int
		str           string
		vector, valid bool
	}{
		{"digits", Shape{1, 8, 8}, 64, "1×8×8", false, true},
		{"colour", Shape{3, 4, 5}, 60, "3×4×5", false, true},
		{"vector", Vector(7), 7, "7", true, true},
		{"one row", Shape{1, 1, 7}, 7, "1×1×7", false, true},
		{"zero", Shape{}, 0, "0×0×0", false, false},
		{"negative", Shape{2, -1, 3}, -6, "2×-1×3", false, false},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			s := tc.s
			if s.Size() != tc.size || s.String() != tc.str || s.IsVector() != tc.vector || s.Valid() != tc.valid {
				t.Errorf("%#v: Size %d, String %q, IsVector %v, Valid %v; want %d, %q, %v, %v",
					s, s.Size(), s.String(), s.IsVector(), s.Valid(), tc.size, tc.str, tc.vector, tc.valid)
			}
		})
	}
}

// validSet is a 3-sample, 2-feature classification set.
func validSet() *Dataset {
	return &Dataset{
		Name:         "toy",
		X:            mat.NewDense(3, 2, []float64{1, 2, 3, 4, 5, 6}),
		Y:            []int{0, 1, 1},
		Classes:      2,
		Shape:        Vector(2),
		ClassNames:   []string{"no", "yes"},
		FeatureNames: []string{"a", "b"},
	}
}

func TestValidate(t *testing.T) {
	if err := validSet().Validate(); err != nil {
		t.Fatalf("valid set: %v", err)
	}
	regression := func(d *Dataset) {
		d.Y, d.Classes, d.ClassNames = nil, 0, nil
		d.Targets = mat.NewDense(3, 1, []float64{0.5, 1, 2})
	}
	for _, tc := range []struct {
		desc   string
		change func(d *Dataset)
		want   string
		is     error
	}{
		{"regression is fine", regression, "", nil},
		{"no X", func(d *Dataset) { d.X = nil }, `data: dataset "toy": X is nil: invalid dataset`, ErrInvalid},
		{"shape", func(d *Dataset) { d.Shape = Shape{1, 2, 2} },
			`data: dataset "toy": shape 1×2×2 does not hold the 2 values of a row of X: invalid dataset`, ErrInvalid},
		{"zero shape", func(d *Dataset) { d.Shape = Shape{} },
			`data: dataset "toy": shape 0×0×0 does not hold the 2 values of a row of X: invalid dataset`, ErrInvalid},
		{"both kinds", func(d *Dataset) { d.Targets = mat.NewDense(3, 1, nil) },
			`data: dataset "toy": both Y (classification) and Targets (regression) are set: invalid dataset`, ErrInvalid},
		{"neither kind", func(d *Dataset) { d.Y = nil },
			`data: dataset "toy": neither Y (classification) nor Targets (regression) is set: invalid dataset`, ErrInvalid},
		{"short Y", func(d *Dataset) { d.Y = d.Y[:2] }, `data: dataset "toy": 2 labels for 3 rows: invalid dataset`, ErrInvalid},
		{"one class", func(d *Dataset) { d.Classes, d.Y, d.ClassNames = 1, []int{0, 0, 0}, nil },
			`data: dataset "toy": Classes is 1, need at least 2: invalid dataset`, ErrInvalid},
		{"label too big", func(d *Dataset) { d.Y[2] = 2 }, `data: dataset "toy": row 2: label 2 outside [0, 2): bad label`, ErrLabel},
		{"negative label", func(d *Dataset) { d.Y[0] = -1 }, `data: dataset "toy": row 0: label -1 outside [0, 2): bad label`, ErrLabel},
		{"class names", func(d *Dataset) { d.ClassNames = []string{"x"} },
			`data: dataset "toy": 1 class names for 2 classes: invalid dataset`, ErrInvalid},
		{"feature names", func(d *Dataset) { d.FeatureNames = []string{"x"} },
			`data: dataset "toy": 1 feature names for 2 features: invalid dataset`, ErrInvalid},
		{"NaN", func(d *Dataset) { d.X.Set(1, 1, math.NaN()) }, `data: dataset "toy": X[1, 1] ("b") is NaN: not finite`, ErrNonFinite},
		{"Inf without names", func(d *Dataset) { d.FeatureNames = nil; d.X.Set(2, 0, math.Inf(-1)) },
			`data: dataset "toy": X[2, 0] is -Inf: not finite`, ErrNonFinite},
		{"target NaN", func(d *Dataset) { regression(d); d.Targets.Set(1, 0, math.NaN()) },
			`data: dataset "toy": Targets[1, 0] is NaN: not finite`, ErrNonFinite},
		{"targets rows", func(d *Dataset) { regression(d); d.Targets = mat.NewDense(2, 1, nil) },
			`data: dataset "toy": Targets is 2×1 for 3 rows: invalid dataset`, ErrInvalid},
		{"regression with classes", func(d *Dataset) { regression(d); d.Classes = 2 },
			`data: dataset "toy": Classes is 2 for a regression set, want 0: invalid dataset`, ErrInvalid},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			d := validSet()
			tc.change(d)
			err := d.Validate()
			if tc.want == "" {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				return
			}
			if err == nil || err.Error() != tc.want {
				t.Fatalf("Validate:\n got %v\nwant %s", err, tc.want)
			}
			if !errors.Is(err, tc.is) {
				t.Errorf("error does not wrap %v", tc.is)
			}
		})
	}
}

func TestSubset(t *testing.T) {
	d := validSet()
	s := d.Subset([]int{2, 0, 2})
	if !mat.Equal(s.X, mat.NewDense(3, 2, []float64{5, 6, 1, 2, 5, 6})) || s.Y[0] != 1 || s.Y[1] != 0 || s.Y[2] != 1 {
		t.Fatalf("Subset: X %v, Y %v", mat.Formatted(s.X), s.Y)
	}
	s.X.Set(0, 0, -1)
	if d.X.At(2, 0) != 5 {
		t.Error("Subset shares X with its source")
	}
	if err := s.Validate(); err != nil {
		t.Error(err)
	}
	if e := d.Subset(nil); e.X != nil || len(e.Y) != 0 {
		t.Errorf("empty subset has X %v, Y %v", e.X, e.Y)
	}
	defer func() {
		if _, ok := recover().(ShapeError); !ok {
			t.Error("out-of-range index did not panic with a ShapeError")
		}
	}()
	d.Subset([]int{3})
}

func TestImbalanceRatio(t *testing.T) {
	for _, tc := range []struct {
		desc   string
		counts []int
		want   float64
	}{
		{"balanced", []int{5, 5, 5}, 1},
		{"1:20", []int{200, 10}, 20},
		{"order does not matter", []int{3, 9, 6}, 3},
		{"absent class", []int{4, 0}, math.Inf(1)},
		{"no samples", []int{0, 0}, math.NaN()},
		{"no classes", nil, math.NaN()},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			got := ImbalanceRatio(tc.counts)
			if got != tc.want && !(math.IsNaN(got) && math.IsNaN(tc.want)) {
				t.Errorf("ImbalanceRatio(%v) = %v, want %v", tc.counts, got, tc.want)
			}
		})
	}
	if c := ClassCounts([]int{0, 2, 2, 5, -1}, 3); c[0] != 1 || c[1] != 0 || c[2] != 2 {
		t.Errorf("ClassCounts = %v, want [1 0 2]", c)
	}
}
