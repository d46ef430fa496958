// Package histo holds the inner loops of histogram bucketing: the minimum
// and maximum of a slice, and the bucket index of every value. On amd64
// with AVX2 they run four values per instruction; elsewhere, and for
// testing, in plain Go. Both give bit-identical results: the division is
// the same IEEE operation in either, so buckets match TensorBoard's own
// floor((x - min) / width) exactly.
package histo

// MinMax returns the smallest and largest of values, which must not be
// empty. NaN values may be skipped or returned; callers detect NaN with
// Indexes, whose result is negative for it.
func MinMax(values []float64) (lo, hi float64) {
	if useAVX2 && len(values) >= 8 {
		n := len(values) &^ 3
		lo, hi = minMaxAVX2(values[:n])
		for _, v := range values[n:] {
			lo, hi = min(lo, v), max(hi, v)
		}
		// The vector instructions order -0 and +0 as equal and may
		// return either; settle on what the scalar loop returns.
		if lo == 0 || hi == 0 {
			return minMaxGo(values)
		}
		return lo, hi
	}
	return minMaxGo(values)
}

func minMaxGo(values []float64) (lo, hi float64) {
	f := values[0]
	lo0, lo1, lo2, lo3 := f, f, f, f
	hi0, hi1, hi2, hi3 := f, f, f, f
	n := len(values) &^ 3
	for j := 0; j < n; j += 4 {
		if v := values[j]; v < lo0 {
			lo0 = v
		} else if v > hi0 {
			hi0 = v
		}
		if v := values[j+1]; v < lo1 {
			lo1 = v
		} else if v > hi1 {
			hi1 = v
		}
		if v := values[j+2]; v < lo2 {
			lo2 = v
		} else if v > hi2 {
			hi2 = v
		}
		if v := values[j+3]; v < lo3 {
			lo3 = v
		} else if v > hi3 {
			hi3 = v
		}
	}
	for _, v := range values[n:] {
		if v < lo0 {
			lo0 = v
		} else if v > hi0 {
			hi0 = v
		}
	}
	return pick(pick(lo0, lo1, less), pick(lo2, lo3, less), less),
		pick(pick(hi0, hi1, greater), pick(hi2, hi3, greater), greater)
}

func less(a, b float64) bool    { return a < b }
func greater(a, b float64) bool { return a > b }

// pick returns b if better(b, a), else a: the first of equals wins, as in
// the loop.
func pick(a, b float64, better func(a, b float64) bool) float64 {
	if better(b, a) {
		return b
	}
	return a
}

// Indexes stores in dst[i] the bucket of values[i]: int32((values[i]-lo) /
// width) truncated toward zero and capped at last. dst must be at least as
// long as values, values must lie in [lo, lo + (last+1)*width] (or be NaN)
// and last must be below 1<<30. It reports whether any value was NaN; the
// indexes are then meaningless.
func Indexes(dst []int32, values []float64, lo, width float64, last int32) (sawNaN bool) {
	dst = dst[:len(values)]
	n := 0
	if useAVX2 {
		n = len(values) &^ 3
		if n > 0 && indexesAVX2(dst[:n], values[:n], lo, width, last) {
			return true
		}
	}
	return indexesGo(dst[n:], values[n:], lo, width, last)
}

func indexesGo(dst []int32, values []float64, lo, width float64, last int32) bool {
	neg := int32(0)
	for i, v := range values {
		// Like CVTTPD2DQ: NaN (and anything out of range) becomes the
		// most negative int32.
		f := (v - lo) / width
		j := int32(-1 << 31)
		if f == f && f < 1<<31 {
			j = int32(f)
		}
		neg |= j
		dst[i] = min(j, last)
	}
	return neg < 0
}
