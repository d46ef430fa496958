//go:build compat

package compat

import (
	"context"
	"encoding/json"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/tbgo/tbgo/summary"
)

// TestHistogramBucketsMatchTensorBoard buckets data sets with
// summary.Buckets and with TensorBoard's own histogram_pb and asserts that
// every edge and count is bit for bit the same (a zero's sign aside).
func TestHistogramBucketsMatchTensorBoard(t *testing.T) {
	setup(t)
	rng := rand.New(rand.NewPCG(3, 4))
	normal := make([]float64, 1000)
	for i := range normal {
		normal[i] = rng.NormFloat64()*2 - 1
	}
	tenths := make([]float64, 31) // 0, 0.1, ... 3: values on bucket boundaries
	for i := range tenths {
		tenths[i] = float64(i) / 10
	}
	var float32s []float64
	for range 100 {
		float32s = append(float32s, float64(float32(rng.Float64()*1e-3)))
	}
	type tcase struct {
		desc    string
		Values  []float64 `json:"values"`
		Buckets int       `json:"buckets"`
	}
	cases := []tcase{
		{desc: "normal", Values: normal, Buckets: 30},
		{desc: "normal, 7 buckets", Values: normal, Buckets: 7},
		{desc: "one bucket", Values: normal, Buckets: 1},
		{desc: "empty", Values: []float64{}, Buckets: 30},
		{desc: "one value", Values: []float64{-2.5}, Buckets: 30},
		{desc: "all equal", Values: []float64{3.5, 3.5, 3.5}, Buckets: 30},
		{desc: "two values", Values: []float64{0, 1}, Buckets: 30},
		{desc: "tenths", Values: tenths, Buckets: 30},
		{desc: "tenths, 7 buckets", Values: tenths, Buckets: 7},
		{desc: "integers", Values: []float64{-5, -3, 0, 0, 2, 5, 5, 5}, Buckets: 30},
		{desc: "tiny range", Values: []float64{1, 1 + 0x1p-52, 1 + 0x1p-51}, Buckets: 30},
		{desc: "huge range", Values: []float64{-1e300, 0, 1e300}, Buckets: 30},
		{desc: "float32 data", Values: float32s, Buckets: 30},
		{desc: "negative zero", Values: []float64{math.Copysign(0, -1), 0, 1}, Buckets: 4},
	}
	in, err := json.Marshal(cases)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	out, err := Python(ctx, fx.venv, "tb_histogram.py", in)
	if err != nil {
		t.Fatal(err)
	}
	var theirs [][][3]float64
	if err := json.Unmarshal(out, &theirs); err != nil {
		t.Fatalf("bad JSON from tb_histogram.py: %v\n%s", err, out)
	}
	if len(theirs) != len(cases) {
		t.Fatalf("%d results for %d cases", len(theirs), len(cases))
	}
	for i, c := range cases {
		ours, err := summary.Buckets(nil, c.Values, c.Buckets)
		if err != nil {
			t.Errorf("%s: %v", c.desc, err)
			continue
		}
		if len(ours) != len(theirs[i]) {
			t.Errorf("%s: %d buckets, TensorBoard %d", c.desc, len(ours), len(theirs[i]))
			continue
		}
		for j, b := range ours {
			tb := theirs[i][j]
			// == on finite floats is bit equality, but for the sign of zero.
			if b != (summary.Bucket{Left: tb[0], Right: tb[1], Count: tb[2]}) {
				t.Errorf("%s: bucket %d = [%v, %v, %v], TensorBoard [%v, %v, %v]", c.desc, j, b.Left, b.Right, b.Count, tb[0], tb[1], tb[2])
			}
		}
	}
}
