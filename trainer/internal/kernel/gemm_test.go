package kernel

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/tbgo/tbgo/internal/cpufeat"
)

// naive is C = op(A)·op(B) (+ C), term by term.
func naive(transA, transB bool, m, n, k int, a []float64, lda int, b []float64, ldb int, c []float64, ldc int, acc bool) {
	for i := range m {
		for j := range n {
			var s float64
			for p := range k {
				var av, bv float64
				if transA {
					av = a[p*lda+i]
				} else {
					av = a[i*lda+p]
				}
				if transB {
					bv = b[j*ldb+p]
				} else {
					bv = b[p*ldb+j]
				}
				s += av * bv
			}
			if acc {
				c[i*ldc+j] += s
			} else {
				c[i*ldc+j] = s
			}
		}
	}
}

func random(rng *rand.Rand, n int) []float64 {
	s := make([]float64, n)
	for i := range s {
		s[i] = rng.Float64()*2 - 1
	}
	return s
}

func TestGemm(t *testing.T) {
	paths := []bool{false}
	if useAVX2 {
		paths = append(paths, true)
	}
	defer func(v bool) { useAVX2 = v }(useAVX2)
	rng := rand.New(rand.NewPCG(1, 2))
	sizes := [][3]int{{1, 1, 1}, {4, 8, 1}, {4, 8, 2}, {3, 5, 7}, {32, 128, 64}, {33, 10, 129}, {64, 17, 300}, {5, 9, 513}, {8, 16, 0}}
	for _, avx := range paths {
		useAVX2 = avx
		for _, sz := range sizes {
			m, n, k := sz[0], sz[1], sz[2]
			for _, tA := range []bool{false, true} {
				for _, tB := range []bool{false, true} {
					for _, acc := range []bool{false, true} {
						t.Run(fmt.Sprintf("avx2=%v/%dx%dx%d/tA=%v/tB=%v/acc=%v", avx, m, n, k, tA, tB, acc), func(t *testing.T) {
							// Row strides larger than the rows.
							ra, ca := m, k
							if tA {
								ra, ca = k, m
							}
							rb, cb := k, n
							if tB {
								rb, cb = n, k
							}
							lda, ldb, ldc := ca+3, cb+1, n+2
							a := random(rng, max(ra*lda, 1))
							b := random(rng, max(rb*ldb, 1))
							c := random(rng, m*ldc)
							want := append([]float64(nil), c...)
							naive(tA, tB, m, n, k, a, lda, b, ldb, want, ldc, acc)
							new(Workspace).Gemm(tA, tB, m, n, k, a, lda, b, ldb, c, ldc, acc)
							for i := range m {
								for j := range ldc {
									got, w := c[i*ldc+j], want[i*ldc+j]
									if math.Abs(got-w) > 1e-12*float64(k+1) {
										t.Fatalf("C[%d,%d] = %v, want %v", i, j, got, w)
									}
								}
							}
						})
					}
				}
			}
		}
	}
}

func TestGemmShortSlice(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("no panic for a short slice")
		}
	}()
	new(Workspace).Gemm(false, false, 2, 2, 2, make([]float64, 3), 2, make([]float64, 4), 2, make([]float64, 4), 2, false)
}

func TestGemmAllocs(t *testing.T) {
	a, b, c := make([]float64, 33*64), make([]float64, 64*130), make([]float64, 33*130)
	var w Workspace
	w.Gemm(false, true, 33, 130, 64, a, 64, b, 64, c, 130, false)
	if n := testing.AllocsPerRun(50, func() { w.Gemm(false, true, 33, 130, 64, a, 64, b, 64, c, 130, false) }); n != 0 {
		t.Errorf("%v allocations per product", n)
	}
}

// BenchmarkGemm measures the products of a training step of the digits
// MLP at batch 32 (forward, weight gradients, input gradients).
func BenchmarkGemm(b *testing.B) {
	for _, avx := range []bool{false, true} {
		if avx && !cpufeat.FMA() {
			continue
		}
		b.Run(fmt.Sprintf("avx2=%v/mlp-step", avx), func(b *testing.B) {
			defer func(v bool) { useAVX2 = v }(useAVX2)
			useAVX2 = avx
			const N, D, H, K = 32, 64, 128, 10
			rng := rand.New(rand.NewPCG(1, 1))
			x, w1, h, w2 := random(rng, N*D), random(rng, H*D), random(rng, N*H), random(rng, K*H)
			o, dw1, dw2, dh := random(rng, N*K), random(rng, H*D), random(rng, K*H), random(rng, N*H)
			var w Workspace
			b.ReportAllocs()
			for b.Loop() {
				w.Gemm(false, true, N, H, D, x, D, w1, D, h, H, false)
				w.Gemm(false, true, N, K, H, h, H, w2, H, o, K, false)
				w.Gemm(true, false, K, H, N, o, K, h, H, dw2, H, true)
				w.Gemm(false, false, N, H, K, o, K, w2, H, dh, H, false)
				w.Gemm(true, false, H, D, N, dh, H, x, D, dw1, D, true)
			}
			flops := 2.0 * (N*H*D + N*K*H + K*H*N + N*H*K + H*D*N)
			b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}

// The AVX2 Adam update matches the Go one to rounding.
func TestAdam(t *testing.T) {
	defer func(v bool) { useAVX2 = v }(useAVX2)
	rng := rand.New(rand.NewPCG(3, 4))
	c := AdamConsts{Beta1: 0.9, Beta2: 0.999, Step: -0.01 / 0.1, InvC2: 1 / 0.001, Eps: 1e-8, L2: 0.01, Decay: 0.001}
	for _, n := range []int{1, 3, 4, 7, 64, 1001} {
		th, g, m, v := random(rng, n), random(rng, n), random(rng, n), random(rng, n)
		for i := range v {
			v[i] = math.Abs(v[i])
		}
		var out [2][4][]float64
		for k, avx := range []bool{false, true} {
			useAVX2 = avx && cpufeat.FMA()
			tt, mm, vv, uu := append([]float64(nil), th...), append([]float64(nil), m...), append([]float64(nil), v...), make([]float64, n)
			Adam(tt, g, mm, vv, uu, c)
			out[k] = [4][]float64{tt, mm, vv, uu}
		}
		for j := range 4 {
			for i := range n {
				a, b := out[0][j][i], out[1][j][i]
				if math.Abs(a-b) > 1e-13*math.Max(1, math.Abs(a)) {
					t.Fatalf("n=%d: array %d value %d: Go %v, AVX2 %v", n, j, i, a, b)
				}
			}
		}
		// And the Go update is the formula.
		i := n - 1
		gi := g[i] + c.L2*th[i]
		mi := 0.9*m[i] + 0.1*gi
		vi := 0.999*v[i] + 0.001*gi*gi
		d := c.Step*mi/(math.Sqrt(vi*c.InvC2)+c.Eps) - c.Decay*th[i]
		if got := out[0][0][i]; math.Abs(got-(th[i]+d)) > 1e-15 {
			t.Errorf("θ %v, want %v", got, th[i]+d)
		}
	}
}

func TestReLU(t *testing.T) {
	defer func(v bool) { useAVX2 = v }(useAVX2)
	x := []float64{-1, 2, 0, math.NaN(), -0.5, 3, math.Inf(-1), math.Inf(1), -2, 0.25, 1e-300, -1e-300, 7}
	dy := []float64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13}
	wantY := []float64{0, 2, 0, math.NaN(), 0, 3, 0, math.Inf(1), 0, 0.25, 1e-300, 0, 7}
	wantDx := []float64{0, 2, 0, 0, 0, 6, 0, 8, 0, 10, 11, 0, 13}
	for _, avx := range []bool{false, true} {
		useAVX2 = avx && cpufeat.FMA()
		y, dx := make([]float64, len(x)), make([]float64, len(x))
		ReLU(y, x)
		ReLUGrad(dx, dy, x)
		for i := range x {
			if y[i] != wantY[i] && !(math.IsNaN(y[i]) && math.IsNaN(wantY[i])) {
				t.Errorf("avx2=%v: ReLU(%v) = %v", useAVX2, x[i], y[i])
			}
			if dx[i] != wantDx[i] {
				t.Errorf("avx2=%v: ReLU gradient at %v: %v, want %v", useAVX2, x[i], dx[i], wantDx[i])
			}
		}
	}
}
