package trainer

import (
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/mat"
)

// testRand is the tests' seeded generator.
func testRand(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, 42)) }

// randMatrix returns an r×c matrix of values drawn uniformly from
// ±[lo, hi]: away from 0 when lo > 0, so that ReLU-like kinks are not
// crossed by a finite-difference step.
func randMatrix(rng *rand.Rand, r, c int, lo, hi float64) *mat.Dense {
	m := mat.NewDense(r, c, nil)
	for i := range raw(m) {
		v := lo + (hi-lo)*rng.Float64()
		if rng.IntN(2) == 0 {
			v = -v
		}
		raw(m)[i] = v
	}
	return m
}

// distinctMatrix returns an r×c matrix whose values in each row are
// distinct and at least 0.01 apart, shuffled, so that max-pooling and
// maxout have no ties a finite-difference step could flip.
func distinctMatrix(rng *rand.Rand, r, c int) *mat.Dense {
	m := mat.NewDense(r, c, nil)
	for i := range r {
		row := m.RawRowView(i)
		for j, p := range rng.Perm(c) {
			row[j] = (float64(p) - float64(c)/2 + 0.5) * 0.05
		}
	}
	return m
}

// projLoss is L = Σᵢⱼ Rᵢⱼ·outᵢⱼ / rows, R the target values: with random
// R, every output gets an O(1) gradient, so that a gradient check sees
// every path.
type projLoss struct{}

func (projLoss) Name() string                { return "projection" }
func (projLoss) Check(int, Targets) error    { return nil }
func (projLoss) Predict(*mat.Dense, int) int { return -1 }
func (projLoss) Loss(grad, out *mat.Dense, y Targets) float64 {
	n, _ := out.Dims()
	r := raw(y.Values)
	var s float64
	for i, v := range raw(out) {
		s += r[i] * v
		if grad != nil {
			raw(grad)[i] = r[i] / float64(n)
		}
	}
	return s / float64(n)
}

func finite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }
