package summary

import (
	"fmt"
	"testing"

	"github.com/tbgo/tbgo/proto/tbpb"
)

const decBenchTags = 20

// decBenchRecords returns n serialized scalar events as the Writer writes
// them, cycling over 20 tags.
func decBenchRecords(n int) [][]byte {
	encs := make([]*scalarEncoder, decBenchTags)
	for i := range encs {
		encs[i] = newScalarEncoder(fmt.Sprintf("train/metric_%02d", i), Meta{})
	}
	recs := make([][]byte, n)
	for i := range recs {
		step := int64(i / decBenchTags)
		recs[i] = encs[i%decBenchTags].appendEvent(nil, 1.7e9+float64(i)/10, step, float32(i)*0.001)
	}
	return recs
}

// decBenchTFRecords returns n serialized scalar events as TensorFlow 2
// writes them: fields in number order, so the metadata follows the tensor,
// and tensor_content for the value.
func decBenchTFRecords(n int) [][]byte {
	md := decMeta(PluginScalars, tbpb.DataClass_DATA_CLASS_SCALAR)
	recs := make([][]byte, n)
	for i := range recs {
		tag := fmt.Sprintf("train/metric_%02d", i%decBenchTags)
		t := &tbpb.TensorProto{Dtype: tbpb.DataType_DT_FLOAT, TensorShape: &tbpb.TensorShapeProto{}, TensorContent: decF32(float32(i) * 0.001)}
		ev := decWrap(decTFValue(tag, md, t))
		head := []byte{0x09, 0, 0, 0, 0, 0, 0, 0, 0, 0x10, byte(i%100 + 1)} // wall_time, step
		recs[i] = append(head, ev...)
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
	const n = 10000
	for _, bc := range []struct {
		name string
		recs [][]byte
	}{
		{fmt.Sprintf("size=%d", n), decBenchRecords(n)},
		{fmt.Sprintf("format=tensorflow/size=%d", n), decBenchTFRecords(n)},
	} {
		b.Run(bc.name, func(b *testing.B) {
			d := NewDecoder()
			pts := make([]ScalarPoint, 0, n)
			var err error
			for _, r := range bc.recs { // warm up: learn the tags
				if pts, err = d.AppendScalars(pts, r); err != nil {
					b.Fatal(err)
				}
			}
			b.SetBytes(decBenchBytes(bc.recs))
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				pts = pts[:0]
				for _, r := range bc.recs {
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
	const n = 10000
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
