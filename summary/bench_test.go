package summary

import (
	"fmt"
	"image"
	"math/rand/v2"
	"testing"
	"time"
)

// BenchmarkScalar measures a scalar through the high-level writer into a
// buffered file, with the default system clock and with a fixed one.
func BenchmarkScalar(b *testing.B) {
	for _, clock := range []struct {
		name string
		now  func() time.Time
	}{{"clock=system", nil}, {"clock=fixed", fixedClock}} {
		b.Run(clock.name, func(b *testing.B) {
			w, err := NewWriter(b.TempDir(), &Options{Now: clock.now, FlushInterval: -1})
			if err != nil {
				b.Fatal(err)
			}
			defer w.Close()
			tags := []string{"loss", "acc", "lr", "grad/norm"}
			b.ReportAllocs()
			b.ResetTimer()
			for i := range b.N {
				if err := w.Scalar(tags[i&3], int64(i), 0.5); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			if err := w.Flush(); err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "scalars/s")
		})
	}
}

func BenchmarkBuckets(b *testing.B) {
	for _, n := range []int{1e3, 1e6} {
		values := make([]float64, n)
		r := rand.New(rand.NewPCG(1, 2))
		for i := range values {
			values[i] = r.NormFloat64()
		}
		b.Run(fmt.Sprintf("size=%d", n), func(b *testing.B) {
			dst := make([]Bucket, 0, DefaultBuckets)
			b.SetBytes(int64(8 * n))
			b.ReportAllocs()
			for range b.N {
				var err error
				if dst, err = Buckets(dst, values, DefaultBuckets); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkImage measures a 28x28 grey image summary written through the
// writer: PNG encoding plus framing.
func BenchmarkImage(b *testing.B) {
	for _, size := range []int{28, 256} {
		b.Run(fmt.Sprintf("size=%dx%d", size, size), func(b *testing.B) {
			img := image.NewGray(image.Rect(0, 0, size, size))
			r := rand.New(rand.NewPCG(1, 2))
			for i := range img.Pix {
				img.Pix[i] = uint8(r.IntN(256))
			}
			w, err := NewWriter(b.TempDir(), &Options{Now: fixedClock, FlushInterval: -1})
			if err != nil {
				b.Fatal(err)
			}
			defer w.Close()
			b.ReportAllocs()
			for i := range b.N {
				if err := w.Image("digit", int64(i), img); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkHistogram(b *testing.B) {
	values := make([]float64, 1e4)
	r := rand.New(rand.NewPCG(1, 2))
	for i := range values {
		values[i] = r.NormFloat64()
	}
	w, err := NewWriter(b.TempDir(), &Options{Now: fixedClock, FlushInterval: -1})
	if err != nil {
		b.Fatal(err)
	}
	defer w.Close()
	b.ReportAllocs()
	for i := range b.N {
		if err := w.Histogram("w", int64(i), values); err != nil {
			b.Fatal(err)
		}
	}
}
