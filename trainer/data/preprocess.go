package data

import (
	"math"

	"gonum.org/v1/gonum/mat"
)

// FeatureStats are per-feature statistics of a set of inputs: what
// docs/DIAGNOSTICS.md rule 11 ("inputs not centred / scaled") measures.
type FeatureStats struct {
	N    int       // rows
	Mean []float64 // per feature
	Std  []float64 // per feature, population std (divides by N)
	Min  []float64 // per feature, smallest raw value
	Max  []float64 // per feature, largest raw value
}

// Describe returns the per-feature statistics of the rows of x, computed
// in two passes (mean, then squared deviations) for accuracy. A feature
// whose values are all equal gets exactly that value as its mean and std 0.
func Describe(x *mat.Dense) FeatureStats {
	n, dim := x.Dims()
	s := FeatureStats{
		N:    n,
		Mean: make([]float64, dim),
		Std:  make([]float64, dim),
		Min:  make([]float64, dim),
		Max:  make([]float64, dim),
	}
	copy(s.Min, x.RawRowView(0))
	copy(s.Max, x.RawRowView(0))
	for i := 0; i < n; i++ {
		for j, v := range x.RawRowView(i) {
			s.Mean[j] += v
			if v < s.Min[j] {
				s.Min[j] = v
			}
			if v > s.Max[j] {
				s.Max[j] = v
			}
		}
	}
	for j := range s.Mean {
		s.Mean[j] /= float64(n)
		if s.Min[j] == s.Max[j] {
			s.Mean[j] = s.Min[j] // the sum's rounding would leave a residue
		}
	}
	for i := 0; i < n; i++ {
		for j, v := range x.RawRowView(i) {
			dv := v - s.Mean[j]
			s.Std[j] += dv * dv
		}
	}
	for j := range s.Std {
		s.Std[j] = math.Sqrt(s.Std[j] / float64(n))
	}
	return s
}

// constant reports whether a feature with this mean and std is constant
// up to rounding: std at most 1e-12 × max(1, |mean|). Two-pass sums leave
// a std of about 1e-17 × |mean| on a truly constant column, which dividing
// by would blow up into noise.
func constant(mean, std float64) bool {
	return std <= 1e-12*math.Max(1, math.Abs(mean))
}

// MaxAbsMean returns the largest absolute per-feature mean: rule 11 alarms
// when it exceeds 0.1 after preprocessing.
func (s FeatureStats) MaxAbsMean() float64 {
	m := 0.0
	for _, v := range s.Mean {
		m = math.Max(m, math.Abs(v))
	}
	return m
}

// StdRange returns the smallest and largest per-feature std among the
// features that are not constant, and how many are constant (see
// Constant). Rule 11 wants the stds within [0.5, 2] after standardising;
// constant features (the always-blank border pixels of digits, for
// example) have std 0 whatever is done and are left out. With no
// non-constant feature lo and hi are NaN.
func (s FeatureStats) StdRange() (lo, hi float64, constant int) {
	lo, hi = math.Inf(1), math.Inf(-1)
	for j, sd := range s.Std {
		if s.Constant(j) {
			constant++
			continue
		}
		lo, hi = math.Min(lo, sd), math.Max(hi, sd)
	}
	if constant == len(s.Std) {
		return math.NaN(), math.NaN(), constant
	}
	return lo, hi, constant
}

// Constant reports whether feature j is constant up to rounding: its std
// is at most 1e-12 × max(1, |mean|).
func (s FeatureStats) Constant(j int) bool { return constant(s.Mean[j], s.Std[j]) }

// Range returns the smallest and largest raw value over all features; rule
// 11 notes raw inputs beyond [-1, 1].
func (s FeatureStats) Range() (lo, hi float64) {
	lo, hi = math.Inf(1), math.Inf(-1)
	for j := range s.Min {
		lo, hi = math.Min(lo, s.Min[j]), math.Max(hi, s.Max[j])
	}
	return lo, hi
}

// Scaler is a fitted per-feature affine map x' = (x - Mean) / Scale. Fit
// it on the training split only and apply the same Scaler to the
// validation and test splits (and to new data at prediction time): fitting
// on all the data leaks the held-out sets' statistics into training.
type Scaler struct {
	Mean  []float64 // subtracted from each feature
	Scale []float64 // each feature is then divided by this; never 0
}

// FitCenterer returns the Scaler that mean-centres the features of x: Mean
// is the per-feature mean of x and Scale is 1.
func FitCenterer(x *mat.Dense) *Scaler {
	s := Describe(x)
	scale := make([]float64, len(s.Mean))
	for j := range scale {
		scale[j] = 1
	}
	return &Scaler{Mean: s.Mean, Scale: scale}
}

// FitStandardizer returns the Scaler that standardises the features of x
// to mean 0 and std 1: Mean is the per-feature mean and Scale the
// per-feature population std. A constant feature (std at most
// 1e-12 × max(1, |mean|), see FeatureStats.Constant) gets Scale 1, so it
// is only centred: it becomes 0 in x (exactly, when all its values are
// equal) and x - mean in other sets, never NaN or Inf.
func FitStandardizer(x *mat.Dense) *Scaler {
	s := Describe(x)
	scale := make([]float64, len(s.Std))
	for j, sd := range s.Std {
		scale[j] = sd
		if constant(s.Mean[j], sd) {
			scale[j] = 1
		}
	}
	return &Scaler{Mean: s.Mean, Scale: scale}
}

// Transform applies s to the rows of x in place. It panics with a
// ShapeError if x does not have len(s.Mean) columns.
func (s *Scaler) Transform(x *mat.Dense) {
	s.check("Scaler.Transform", x)
	r, _ := x.Dims()
	for i := 0; i < r; i++ {
		row := x.RawRowView(i)
		for j := range row {
			row[j] = (row[j] - s.Mean[j]) / s.Scale[j]
		}
	}
}

// Inverse undoes Transform in place: x = x'·Scale + Mean. It panics with a
// ShapeError if x does not have len(s.Mean) columns.
func (s *Scaler) Inverse(x *mat.Dense) {
	s.check("Scaler.Inverse", x)
	r, _ := x.Dims()
	for i := 0; i < r; i++ {
		row := x.RawRowView(i)
		for j := range row {
			row[j] = row[j]*s.Scale[j] + s.Mean[j]
		}
	}
}

// TransformDataset applies s to d.X in place; a nil d or one without X is
// left alone, so the optional splits can be passed as they are.
func (s *Scaler) TransformDataset(d *Dataset) {
	if d != nil && d.X != nil {
		s.Transform(d.X)
	}
}

// Standardize fits a standardising Scaler (FitStandardizer) on train.X,
// applies it in place to train and to each of others (validation, test;
// nil entries are skipped) and returns it.
func Standardize(train *Dataset, others ...*Dataset) *Scaler {
	s := FitStandardizer(train.X)
	s.TransformDataset(train)
	for _, d := range others {
		s.TransformDataset(d)
	}
	return s
}

// Center is Standardize with FitCenterer: it mean-centres train and others
// on train's per-feature means.
func Center(train *Dataset, others ...*Dataset) *Scaler {
	s := FitCenterer(train.X)
	s.TransformDataset(train)
	for _, d := range others {
		s.TransformDataset(d)
	}
	return s
}

func (s *Scaler) check(op string, x *mat.Dense) {
	if _, c := x.Dims(); c != len(s.Mean) || c != len(s.Scale) {
		shapePanic(op, "matrix has %d columns, scaler has %d means and %d scales", c, len(s.Mean), len(s.Scale))
	}
}

// CenterBatch subtracts from each column of the batch x that column's mean
// over the batch's rows, and stores the means in mean (one per column) so
// they can be added back. This is the seed article's batch centring for
// time series: statistics come from the batch in hand, not from the whole
// series, so a drifting level is removed and no statistic reaches back or
// forward in time. For windows of one series with next-value targets
// prefer CenterWindows, which shifts the targets consistently. It
// allocates nothing; it panics with a ShapeError if len(mean) is not the
// number of columns.
func CenterBatch(x *mat.Dense, mean []float64) {
	r, c := x.Dims()
	if len(mean) != c {
		shapePanic("CenterBatch", "%d means for %d columns", len(mean), c)
	}
	clear(mean)
	for i := 0; i < r; i++ {
		for j, v := range x.RawRowView(i) {
			mean[j] += v
		}
	}
	for j := range mean {
		mean[j] /= float64(r)
	}
	for i := 0; i < r; i++ {
		row := x.RawRowView(i)
		for j := range row {
			row[j] -= mean[j]
		}
	}
}

// CenterWindows centres each row of the batch x on its own mean, for
// windows of a time series: the mean of row i is subtracted from row i of
// x and from every value in row i of targets (when not nil), and stored in
// offset[i], so that a prediction p for row i means p + offset[i] in the
// original units. The model then sees the shape of each window, not its
// level, which removes any drift. It allocates nothing; it panics with a
// ShapeError if targets or offset do not have one row per row of x.
func CenterWindows(x, targets *mat.Dense, offset []float64) {
	r, _ := x.Dims()
	if len(offset) != r {
		shapePanic("CenterWindows", "%d offsets for %d rows", len(offset), r)
	}
	if targets != nil {
		if tr, _ := targets.Dims(); tr != r {
			shapePanic("CenterWindows", "targets have %d rows, inputs %d", tr, r)
		}
	}
	for i := 0; i < r; i++ {
		row := x.RawRowView(i)
		m := 0.0
		for _, v := range row {
			m += v
		}
		m /= float64(len(row))
		for j := range row {
			row[j] -= m
		}
		if targets != nil {
			trow := targets.RawRowView(i)
			for j := range trow {
				trow[j] -= m
			}
		}
		offset[i] = m
	}
}
