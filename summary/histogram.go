package summary

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"

	"github.com/tbgo/tbgo/internal/histo"
	"github.com/tbgo/tbgo/proto/tbpb"
)

// DefaultBuckets is the number of histogram buckets TensorBoard uses.
const DefaultBuckets = 30

// ErrNonFinite is returned when histogram data holds NaN or ±Inf.
var ErrNonFinite = errors.New("summary: non-finite value")

// A Bucket is one histogram bucket: Count values between Left and Right.
type Bucket struct {
	Left, Right, Count float64
}

// Buckets sorts values into k equal-width buckets (DefaultBuckets if k is
// 0) the way TensorBoard 2.x does and returns them, reusing dst's storage
// when it has room for k buckets. See the package documentation for the
// edge cases. It allocates nothing when dst has room.
func Buckets(dst []Bucket, values []float64, k int) ([]Bucket, error) {
	return bucketize(dst, values, k)
}

// Buckets32 is Buckets for float32 values.
func Buckets32(dst []Bucket, values []float32, k int) ([]Bucket, error) {
	return bucketize(dst, values, k)
}

// MatrixBuckets is Buckets over every element of m.
func MatrixBuckets(dst []Bucket, m mat.Matrix, k int) ([]Bucket, error) {
	if raw, ok := m.(mat.RawMatrixer); ok {
		rm := raw.RawMatrix()
		if rm.Stride == rm.Cols || rm.Rows <= 1 {
			n := rm.Rows * rm.Cols
			if n == 0 {
				return bucketize(dst, []float64(nil), k)
			}
			return bucketize(dst, rm.Data[:n], k)
		}
	}
	r, c := m.Dims()
	values := make([]float64, 0, r*c)
	for i := range r {
		for j := range c {
			values = append(values, m.At(i, j))
		}
	}
	return bucketize(dst, values, k)
}

func bucketize[T float32 | float64](dst []Bucket, values []T, k int) ([]Bucket, error) {
	if k == 0 {
		k = DefaultBuckets
	}
	if k < 0 {
		return nil, fmt.Errorf("summary: histogram bucket count %d is negative", k)
	}
	if cap(dst) >= k {
		dst = dst[:k]
		clear(dst)
	} else {
		dst = make([]Bucket, k)
	}
	if len(values) == 0 || k == 0 {
		return dst, nil
	}
	lo, hi := minMax(values)
	if math.IsNaN(lo) || math.IsNaN(hi) || math.IsInf(lo, 0) || math.IsInf(hi, 0) {
		return nil, nonFinite(values)
	}
	span := hi - lo
	width := span / float64(k)
	last := k - 1
	switch {
	case span == 0 || width == 0 || math.IsInf(span, 0):
		// Rare shapes: spend a pass on finding a NaN minMax skipped.
		if err := nonFinite(values); err != nil {
			return nil, err
		}
		if span != 0 {
			return bucketizeExtreme(dst, values, lo, hi), nil
		}
		for i := range dst {
			dst[i] = Bucket{Left: lo, Right: lo}
		}
		dst[last].Count = float64(len(values))
		return dst, nil
	case k <= fastBuckets:
		if f64, ok := any(values).([]float64); ok {
			if countIndexes(dst, f64, lo, width) {
				return nil, nonFinite(values)
			}
			break
		}
		if countFast(dst, values, lo, width) {
			return nil, nonFinite(values)
		}
	default:
		neg := 0
		for _, v := range values {
			// As in countFast: floor, and negative only for NaN.
			i := int((float64(v) - lo) / width)
			neg |= i
			dst[min(i, last)&^(i>>63)].Count++
		}
		if neg < 0 {
			return nil, nonFinite(values)
		}
	}
	for i := range dst {
		dst[i].Left = lo + float64(i)*width
		dst[i].Right = lo + float64(i+1)*width
	}
	dst[last].Right = hi
	return dst, nil
}

// nonFinite returns an ErrNonFinite error naming the first NaN or ±Inf in
// values, or nil if there is none.
func nonFinite[T float32 | float64](values []T) error {
	for i, v := range values {
		if f := float64(v); math.IsNaN(f) || math.IsInf(f, 0) {
			return fmt.Errorf("%w: element %d is %v", ErrNonFinite, i, f)
		}
	}
	return nil
}

// countIndexes is countFast for float64, with the bucket indexes computed
// by package histo, four at a time where the CPU allows.
func countIndexes(dst []Bucket, values []float64, lo, width float64) (sawNaN bool) {
	var lanes [4][fastBuckets]uint64
	var idx [1024]int32
	last := int32(len(dst) - 1)
	for len(values) > 0 {
		part := values[:min(len(values), len(idx))]
		values = values[len(part):]
		if histo.Indexes(idx[:], part, lo, width, last) {
			return true
		}
		n := len(part) &^ 3
		for j := 0; j < n; j += 4 {
			lanes[0][idx[j]&(fastBuckets-1)]++
			lanes[1][idx[j+1]&(fastBuckets-1)]++
			lanes[2][idx[j+2]&(fastBuckets-1)]++
			lanes[3][idx[j+3]&(fastBuckets-1)]++
		}
		for _, i := range idx[n:len(part)] {
			lanes[0][i&(fastBuckets-1)]++
		}
	}
	for i := range dst {
		dst[i].Count = float64(lanes[0][i] + lanes[1][i] + lanes[2][i] + lanes[3][i])
	}
	return false
}

// minMax returns the smallest and largest of values (len > 0), ignoring
// NaN: the bucket pass finds NaN, and ±Inf shows up here as an extreme.
// Four independent lanes keep the comparisons from waiting on each other.
func minMax[T float32 | float64](values []T) (lo, hi float64) {
	if f64, ok := any(values).([]float64); ok {
		return histo.MinMax(f64)
	}
	f := float64(values[0])
	lo0, lo1, lo2, lo3 := f, f, f, f
	hi0, hi1, hi2, hi3 := f, f, f, f
	n := len(values) &^ 3
	for j := 0; j < n; j += 4 {
		if v := float64(values[j]); v < lo0 {
			lo0 = v
		} else if v > hi0 {
			hi0 = v
		}
		if v := float64(values[j+1]); v < lo1 {
			lo1 = v
		} else if v > hi1 {
			hi1 = v
		}
		if v := float64(values[j+2]); v < lo2 {
			lo2 = v
		} else if v > hi2 {
			hi2 = v
		}
		if v := float64(values[j+3]); v < lo3 {
			lo3 = v
		} else if v > hi3 {
			hi3 = v
		}
	}
	for _, v := range values[n:] {
		lo0, hi0 = min(lo0, float64(v)), max(hi0, float64(v))
	}
	return min(lo0, lo1, lo2, lo3), max(hi0, hi1, hi2, hi3)
}

// fastBuckets is the most buckets countFast handles; a power of two.
const fastBuckets = 64

// countFast adds the bucket counts of values to dst (len(dst) <=
// fastBuckets) and reports whether it met a NaN. It counts in four integer
// lanes so that runs of values in one bucket do not wait on each other's
// increments, the bottleneck of a plain loop.
func countFast[T float32 | float64](dst []Bucket, values []T, lo, width float64) (sawNaN bool) {
	var lanes [4][fastBuckets]uint64
	last := len(dst) - 1
	neg := 0 // OR of all indexes: negative only if one came from a NaN
	bucket := func(v T) int {
		// The offset of a number is never negative, so truncation is
		// floor; the maximum lands at len(dst). A NaN converts to the
		// most negative int.
		i := int((float64(v) - lo) / width)
		neg |= i
		return min(i, last) & (fastBuckets - 1)
	}
	n := len(values) &^ 3
	for j := 0; j < n; j += 4 {
		lanes[0][bucket(values[j])]++
		lanes[1][bucket(values[j+1])]++
		lanes[2][bucket(values[j+2])]++
		lanes[3][bucket(values[j+3])]++
	}
	for _, v := range values[n:] {
		lanes[0][bucket(v)]++
	}
	for i := range dst {
		dst[i].Count = float64(lanes[0][i] + lanes[1][i] + lanes[2][i] + lanes[3][i])
	}
	return neg < 0
}

// bucketizeExtreme handles the ranges TensorBoard's formula cannot: wider
// than the largest float64 (hi-lo overflows) or so narrow that a bucket's
// width underflows to zero. It works with each value's fraction of the
// range instead, halving everything first when the range overflows.
func bucketizeExtreme[T float32 | float64](dst []Bucket, values []T, lo, hi float64) []Bucket {
	k := len(dst)
	scale := 1.0
	if math.IsInf(hi-lo, 0) {
		scale = 0.5
	}
	span := hi*scale - lo*scale
	for _, v := range values {
		i := int((float64(v)*scale - lo*scale) / span * float64(k))
		dst[min(i, k-1)].Count++
	}
	edge := func(i int) float64 {
		t := float64(i) / float64(k)
		return lo*(1-t) + hi*t
	}
	for i := range dst {
		dst[i].Left, dst[i].Right = edge(i), edge(i+1)
	}
	dst[k-1].Right = hi
	return dst
}

// HistogramValue returns a histogram summary value holding buckets as a
// DT_DOUBLE [k, 3] tensor with histograms metadata and data class TENSOR.
// Buckets must have finite edges with Left <= Right and non-negative
// counts.
func HistogramValue(tag string, buckets []Bucket, m Meta) (*tbpb.Summary_Value, error) {
	if err := checkTag(tag); err != nil {
		return nil, err
	}
	if err := checkBuckets(buckets); err != nil {
		return nil, fmt.Errorf("summary: histogram %q: %w", tag, err)
	}
	return &tbpb.Summary_Value{
		Tag:      tag,
		Metadata: metadata(PluginHistograms, nil, tbpb.DataClass_DATA_CLASS_TENSOR, m),
		Value: &tbpb.Summary_Value_Tensor{Tensor: &tbpb.TensorProto{
			Dtype:         tbpb.DataType_DT_DOUBLE,
			TensorShape:   shape(int64(len(buckets)), 3),
			TensorContent: appendBuckets(nil, buckets),
		}},
	}, nil
}

func checkBuckets(buckets []Bucket) error {
	for i, b := range buckets {
		for _, f := range [...]float64{b.Left, b.Right, b.Count} {
			if math.IsNaN(f) || math.IsInf(f, 0) {
				return fmt.Errorf("%w in bucket %d: %+v", ErrNonFinite, i, b)
			}
		}
		if b.Left > b.Right {
			return fmt.Errorf("bucket %d has left edge %v above right edge %v", i, b.Left, b.Right)
		}
		if b.Count < 0 {
			return fmt.Errorf("bucket %d has negative count %v", i, b.Count)
		}
	}
	return nil
}

// appendBuckets appends the little-endian float64 rows of buckets.
func appendBuckets(dst []byte, buckets []Bucket) []byte {
	for _, b := range buckets {
		dst = binary.LittleEndian.AppendUint64(dst, math.Float64bits(b.Left))
		dst = binary.LittleEndian.AppendUint64(dst, math.Float64bits(b.Right))
		dst = binary.LittleEndian.AppendUint64(dst, math.Float64bits(b.Count))
	}
	return dst
}
