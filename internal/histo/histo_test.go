package histo

import (
	"math"
	"math/rand/v2"
	"testing"
)

// vectors returns test inputs: random data of several distributions and
// lengths, and hand-made edge cases.
func vectors() [][]float64 {
	r := rand.New(rand.NewPCG(3, 4))
	var out [][]float64
	for _, n := range []int{1, 3, 4, 5, 7, 8, 9, 16, 17, 63, 64, 1000, 1001} {
		normal := make([]float64, n)
		ints := make([]float64, n)
		for i := range normal {
			normal[i] = r.NormFloat64() * 1e3
			ints[i] = float64(r.IntN(11)) // many values on bucket edges
		}
		out = append(out, normal, ints)
	}
	out = append(out,
		[]float64{0, math.Copysign(0, -1), 0, 0, 0, 0, 0, 0, 1},
		[]float64{math.Copysign(0, -1), 5, 5, 5, 5, 5, 5, 5, 5},
		[]float64{-1e300, 1e300, 0, 1, 2, 3, 4, 5},
		[]float64{1, 1, 1, 1, 1, 1, 1, 1, 1},
		[]float64{math.Inf(1), 0, 1, 2, 3, 4, 5, 6},
		[]float64{0, 1, 2, 3, 4, 5, 6, math.Inf(-1)},
	)
	return out
}

func TestMinMaxMatchesGo(t *testing.T) {
	if !useAVX2 {
		t.Log("no AVX2 on this machine: checking the Go loop against itself")
	}
	for _, v := range vectors() {
		lo, hi := MinMax(v)
		wlo, whi := minMaxGo(v)
		if math.Float64bits(lo) != math.Float64bits(wlo) || math.Float64bits(hi) != math.Float64bits(whi) {
			t.Errorf("MinMax(%d values) = %v, %v; Go loop gives %v, %v", len(v), lo, hi, wlo, whi)
		}
	}
}

func TestIndexesMatchGo(t *testing.T) {
	for _, v := range vectors() {
		lo, hi := minMaxGo(v)
		if math.IsInf(lo, 0) || math.IsInf(hi, 0) || hi == lo || math.IsInf(hi-lo, 0) {
			continue
		}
		for _, k := range []int32{1, 2, 7, 30, 64} {
			width := (hi - lo) / float64(k)
			got := make([]int32, len(v))
			want := make([]int32, len(v))
			if Indexes(got, v, lo, width, k-1) || indexesGo(want, v, lo, width, k-1) {
				t.Fatalf("NaN reported for %v", v)
			}
			for i := range v {
				// The reference: TensorBoard's floor((x - min) / width),
				// capped at the last bucket.
				ref := min(int32(math.Floor((v[i]-lo)/width)), k-1)
				if got[i] != ref || want[i] != ref {
					t.Fatalf("k=%d value %v: Indexes %d, Go loop %d, want %d", k, v[i], got[i], want[i], ref)
				}
			}
		}
	}
}

func TestIndexesNaN(t *testing.T) {
	for n := 1; n <= 13; n++ {
		for at := range n {
			v := make([]float64, n)
			for i := range v {
				v[i] = float64(i)
			}
			v[at] = math.NaN()
			if !Indexes(make([]int32, n), v, 0, 1, 100) {
				t.Errorf("NaN at %d of %d not reported", at, n)
			}
		}
	}
	if Indexes(make([]int32, 8), []float64{0, 1, 2, 3, 4, 5, 6, 7}, 0, 1, 7) {
		t.Error("NaN reported for finite values")
	}
}

func FuzzIndexes(f *testing.F) {
	f.Add(0.0, 1.0, 2.5, 3.0, 4.0, 5.0, 6.0, 7.0, uint8(5))
	f.Add(-1e-300, 1e-300, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, uint8(30))
	f.Fuzz(func(t *testing.T, a, b, c, d, e, g, h, i float64, k uint8) {
		v := []float64{a, b, c, d, e, g, h, i}
		last := int32(k%64) + 1
		lo, hi := minMaxGo(v)
		wlo, whi := MinMax(v)
		if lo == lo && hi == hi && (math.Float64bits(lo) != math.Float64bits(wlo) || math.Float64bits(hi) != math.Float64bits(whi)) {
			t.Fatalf("MinMax %v, %v; Go %v, %v", wlo, whi, lo, hi)
		}
		width := (hi - lo) / float64(last+1)
		if !(width > 0) || math.IsInf(width, 0) {
			return
		}
		got := make([]int32, len(v))
		want := make([]int32, len(v))
		nanGot := Indexes(got, v, lo, width, last)
		nanWant := indexesGo(want, v, lo, width, last)
		if nanGot != nanWant {
			t.Fatalf("NaN reported %v, Go %v", nanGot, nanWant)
		}
		if !nanGot {
			for j := range v {
				if got[j] != want[j] {
					t.Fatalf("value %v: %d, Go %d", v[j], got[j], want[j])
				}
			}
		}
	})
}

func BenchmarkMinMax(b *testing.B) {
	v := make([]float64, 1e6)
	r := rand.New(rand.NewPCG(1, 2))
	for i := range v {
		v[i] = r.NormFloat64()
	}
	b.SetBytes(8e6)
	for range b.N {
		MinMax(v)
	}
}

func BenchmarkIndexes(b *testing.B) {
	v := make([]float64, 1e6)
	r := rand.New(rand.NewPCG(1, 2))
	for i := range v {
		v[i] = r.NormFloat64()
	}
	lo, hi := MinMax(v)
	dst := make([]int32, len(v))
	b.SetBytes(8e6)
	for range b.N {
		Indexes(dst, v, lo, (hi-lo)/30, 29)
	}
}
