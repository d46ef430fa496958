package summary

import (
	"fmt"
	"testing"
)

// decBenchRecords returns n serialized scalar events as the Writer writes
// them, cycling over 20 tags.
func decBenchRecords(n int) [][]byte {
	const tags = 20
	encs := make([]*scalarEncoder, tags)
	for i := range encs {
		encs[i] = newScalarEncoder(fmt.Sprintf("train/metric_%02d", i), Meta{})
	}
	recs := make([][]byte, n)
	for i := range recs {
		step := int64(i / tags)
		recs[i] = encs[i%tags].appendEvent(nil, 1.7e9+float64(i)/10, step, float32(i)*0.001)
	}
	return recs
}

func decBenchBytes(recs [][]byte) int64 {
	var n int64
	for _, r := range recs {
		n += int64(len(r))
	}
	return n
}

func BenchmarkAppendScalars(b *testing.B) {
	for _, n := range []int{10000} {
		b.Run(fmt.Sprintf("size=%d", n), func(b *testing.B) {
			recs := decBenchRecords(n)
			d := NewDecoder()
			pts := make([]ScalarPoint, 0, n)
			var err error
			for _, r := range recs { // warm up: learn the tags
				if pts, err = d.AppendScalars(pts, r); err != nil {
					b.Fatal(err)
				}
			}
			b.SetBytes(decBenchBytes(recs))
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				pts = pts[:0]
				for _, r := range recs {
					pts, _ = d.AppendScalars(pts, r)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/event")
			if len(pts) != n {
				b.Fatalf("%d points from %d events", len(pts), n)
			}
		})
	}
}

func BenchmarkRecord(b *testing.B) {
	for _, n := range []int{10000} {
		b.Run(fmt.Sprintf("size=%d", n), func(b *testing.B) {
			recs := decBenchRecords(n)
			d := NewDecoder()
			vals := make([]Value, 0, n)
			b.SetBytes(decBenchBytes(recs))
			b.ReportAllocs()
			for b.Loop() {
				clear(vals)
				vals = vals[:0]
				for _, r := range recs {
					vals, _ = d.Record(vals, r)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/event")
			if len(vals) != n {
				b.Fatalf("%d values from %d events", len(vals), n)
			}
		})
	}
}
