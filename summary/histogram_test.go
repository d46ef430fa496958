package summary

import (
	"errors"
	"math"
	"slices"
	"testing"

	"gonum.org/v1/gonum/mat"
)

func TestBuckets(t *testing.T) {
	tests := []struct {
		desc   string
		values []float64
		k      int
		want   []Bucket
	}{
		{
			desc:   "empty gives k zero buckets",
			values: nil,
			k:      3,
			want:   []Bucket{{}, {}, {}},
		},
		{
			desc:   "all equal: every edge the value, all counts in the last bucket",
			values: []float64{2.5, 2.5, 2.5},
			k:      3,
			want:   []Bucket{{2.5, 2.5, 0}, {2.5, 2.5, 0}, {2.5, 2.5, 3}},
		},
		{
			desc:   "one value",
			values: []float64{-1},
			k:      2,
			want:   []Bucket{{-1, -1, 0}, {-1, -1, 1}},
		},
		{
			desc:   "equal widths, last bucket closed",
			values: []float64{0, 1, 2, 3, 4},
			k:      4,
			want:   []Bucket{{0, 1, 1}, {1, 2, 1}, {2, 3, 1}, {3, 4, 2}},
		},
		{
			desc:   "left edges closed",
			values: []float64{0, 0.5, 0.5, 1},
			k:      2,
			want:   []Bucket{{0, 0.5, 1}, {0.5, 1, 3}},
		},
		{
			desc:   "negative range",
			values: []float64{-3, -1, -2},
			k:      2,
			want:   []Bucket{{-3, -2, 1}, {-2, -1, 2}},
		},
		{
			desc:   "k zero means 30",
			values: []float64{0, 30},
			k:      0,
			want: func() []Bucket {
				b := make([]Bucket, 30)
				for i := range b {
					b[i] = Bucket{float64(i), float64(i + 1), 0}
				}
				b[0].Count, b[29].Count = 1, 1
				return b
			}(),
		},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			got, err := Buckets(nil, tt.values, tt.k)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("Buckets(%v, %d)\n got %v\nwant %v", tt.values, tt.k, got, tt.want)
			}
			f32 := make([]float32, len(tt.values))
			for i, v := range tt.values {
				f32[i] = float32(v)
			}
			got32, err := Buckets32(nil, f32, tt.k)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got32, tt.want) {
				t.Errorf("Buckets32 = %v, want %v", got32, tt.want)
			}
		})
	}
}

// TestBucketsInvariants checks, on awkward data, what must hold for any
// input: k buckets, counts summing to n, edges contiguous from min to max.
func TestBucketsInvariants(t *testing.T) {
	data := [][]float64{
		{1e-300, 2e-300, 3e-300},
		{-1e300, 1e300},
		{0.1, 0.2, 0.30000000000000004, 0.7, 1.1},
		{math.SmallestNonzeroFloat64, 0},
		{-math.MaxFloat64, math.MaxFloat64, 0},
		{math.MaxFloat64, math.MaxFloat64 / 3},
	}
	for _, values := range data {
		for _, k := range []int{1, 2, 7, 30, 100} {
			got, err := Buckets(nil, values, k)
			if err != nil {
				t.Errorf("Buckets(%v, %d): %v", values, k, err)
				continue
			}
			if len(got) != k {
				t.Fatalf("Buckets(%v, %d) gave %d buckets", values, k, len(got))
			}
			n := 0.0
			for i, b := range got {
				n += b.Count
				if i > 0 && b.Left != got[i-1].Right {
					t.Errorf("Buckets(%v, %d): bucket %d starts at %v, previous ends at %v", values, k, i, b.Left, got[i-1].Right)
				}
			}
			if n != float64(len(values)) {
				t.Errorf("Buckets(%v, %d): counts sum to %v", values, k, n)
			}
			if got[0].Left != slices.Min(values) || got[k-1].Right != slices.Max(values) {
				t.Errorf("Buckets(%v, %d): span [%v, %v]", values, k, got[0].Left, got[k-1].Right)
			}
		}
	}
}

func TestBucketsErrors(t *testing.T) {
	tests := []struct {
		desc   string
		values []float64
		k      int
		want   error
	}{
		{"NaN", []float64{1, math.NaN(), 2}, 3, ErrNonFinite},
		{"+Inf", []float64{math.Inf(1)}, 3, ErrNonFinite},
		{"-Inf first", []float64{math.Inf(-1), 0}, 3, ErrNonFinite},
		{"negative k", []float64{1}, -1, nil},
		{"NaN among equal values", []float64{2, math.NaN(), 2}, 3, ErrNonFinite},
		{"NaN first", []float64{math.NaN(), 1, 2}, 3, ErrNonFinite},
		{"NaN last of many", append(make([]float64, 101), math.NaN(), 5), 30, ErrNonFinite},
		{"NaN with many buckets", []float64{0, math.NaN(), 1}, 100, ErrNonFinite},
		{"NaN in a tiny range", []float64{0, math.SmallestNonzeroFloat64, math.NaN()}, 30, ErrNonFinite},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			_, err := Buckets(nil, tt.values, tt.k)
			if err == nil {
				t.Fatal("no error")
			}
			if tt.want != nil && !errors.Is(err, tt.want) {
				t.Errorf("error %v is not %v", err, tt.want)
			}
		})
	}
}

func TestBucketsReusesDst(t *testing.T) {
	dst := make([]Bucket, 0, 30)
	values := []float64{1, 2, 3}
	allocs := testing.AllocsPerRun(100, func() {
		var err error
		if dst, err = Buckets(dst, values, 30); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("Buckets with room in dst allocated %v times", allocs)
	}
}

func TestMatrixBuckets(t *testing.T) {
	dense := mat.NewDense(2, 3, []float64{0, 1, 2, 3, 4, 5})
	want, err := Buckets(nil, []float64{0, 1, 2, 3, 4, 5}, 5)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range []struct {
		desc string
		m    mat.Matrix
	}{
		{"dense", dense},
		{"slice with stride", mat.NewDense(2, 4, []float64{0, 1, 2, 99, 3, 4, 5, 99}).Slice(0, 2, 0, 3)},
		{"transpose", dense.T()},
	} {
		got, err := MatrixBuckets(nil, m.m, 5)
		if err != nil {
			t.Fatalf("%s: %v", m.desc, err)
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s: got %v, want %v", m.desc, got, want)
		}
	}
}

func TestHistogramValue(t *testing.T) {
	b := []Bucket{{0, 1, 2}, {1, 2, 3}}
	v, err := HistogramValue("w", b, Meta{Description: "weights"})
	if err != nil {
		t.Fatal(err)
	}
	tensor := v.GetTensor()
	if got := tensor.GetTensorShape().GetDim(); len(got) != 2 || got[0].Size != 2 || got[1].Size != 3 {
		t.Errorf("shape %v, want [2 3]", got)
	}
	if len(tensor.TensorContent) != 2*3*8 {
		t.Errorf("tensor_content has %d bytes, want 48", len(tensor.TensorContent))
	}
	if v.Metadata.PluginData.PluginName != PluginHistograms || v.Metadata.DataClass != 2 || v.Metadata.SummaryDescription != "weights" {
		t.Errorf("metadata %v", v.Metadata)
	}
	for _, bad := range [][]Bucket{
		{{1, 0, 1}},
		{{0, 1, -1}},
		{{0, math.Inf(1), 1}},
		{{math.NaN(), 1, 1}},
	} {
		if _, err := HistogramValue("w", bad, Meta{}); err == nil {
			t.Errorf("HistogramValue(%v) gave no error", bad)
		}
	}
}
