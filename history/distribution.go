package history

import (
	"sort"

	"github.com/tbgo/tbgo/summary"
)

// BasisPoints are the quantiles, in hundredths of a percent, that
// TensorBoard's Distributions dashboard draws for a histogram: the normal
// distribution's CDF at -inf, -1.5, -1, -0.5, 0, 0.5, 1, 1.5 and +inf
// standard deviations, so the bands around the median are 1, 2 and 3
// standard deviations wide for normal data.
var BasisPoints = [9]float64{0, 668, 1587, 3085, 5000, 6915, 8413, 9332, 10000}

// Distribution returns the values of a histogram at BasisPoints, computed
// as TensorBoard's compress_histogram (plugins/distribution/compressor.py)
// computes them. With the cumulative weights W_i = 10000 * (c_0 + ... +
// c_i) / (c_0 + ... + c_{k-1}), the value at basis point b lies in the
// first bucket i whose W_i exceeds b (skipping buckets of no weight), found
// by linear interpolation between the bucket's left and right edges:
//
//	left + (b - W_{i-1}) * (right - left) / (W_i - W_{i-1})
//
// where left is the histogram's smallest edge for the first bucket with
// weight and otherwise the previous bucket's right edge (at least the
// smallest edge), and right is the bucket's right edge (at most the
// largest edge). Basis points past the last weight take the largest edge.
// A histogram with no buckets gives zeros.
func Distribution(buckets []summary.Bucket) [len(BasisPoints)]float64 {
	var out [len(BasisPoints)]float64
	if len(buckets) == 0 {
		return out
	}
	minmin, maxmax := buckets[0].Left, buckets[len(buckets)-1].Right
	total := 0.0
	for _, b := range buckets {
		total += b.Count
	}
	if total == 0 {
		total = 1
	}
	const top = 10000.0 // BasisPoints[len-1]
	weights := make([]float64, len(buckets))
	cum := 0.0
	for i, b := range buckets {
		cum += b.Count * top / total
		weights[i] = cum
	}
	bp := 0
	for bp < len(BasisPoints) {
		x := BasisPoints[bp]
		i := sort.Search(len(weights), func(j int) bool { return weights[j] > x })
		found := false
		for ; i < len(weights); i++ {
			cur, prev := weights[i], 0.0
			if i > 0 {
				prev = weights[i-1]
			}
			if cur == prev {
				continue
			}
			lhs := minmin
			if i > 0 && prev != 0 {
				lhs = max(buckets[i-1].Right, minmin)
			}
			rhs := min(buckets[i].Right, maxmax)
			out[bp] = lhs + (x-prev)*(rhs-lhs)/(cur-prev)
			bp++
			found = true
			break
		}
		if !found {
			break
		}
	}
	for ; bp < len(BasisPoints); bp++ {
		out[bp] = maxmax
	}
	return out
}
