package data

import (
	"cmp"
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"

	"gonum.org/v1/gonum/mat"
)

// newRand returns the package's seeded generator: PCG, so a seed gives
// the same numbers on every platform.
func newRand(seed uint64) *rand.Rand {
	return rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
}

// ClassSizes returns the number of samples of each of k classes when the
// largest, class 0, has perClass samples and the classes shrink
// geometrically so that class k-1 has perClass/imbalance (rounded, at least
// 1): class c has round(perClass * imbalance^(-c/(k-1))). Imbalance 0 or
// 1 means balanced; with two classes and imbalance 20, class 1 has 1/20th
// of class 0's samples. The synthetic generators use it for their
// Imbalance knob.
func ClassSizes(k, perClass int, imbalance float64) []int {
	sizes := make([]int, k)
	for c := range sizes {
		sizes[c] = perClass
		if imbalance > 1 && k > 1 {
			n := math.Round(float64(perClass) * math.Pow(imbalance, -float64(c)/float64(k-1)))
			sizes[c] = max(1, int(n))
		}
	}
	return sizes
}

// checkSynth refuses impossible generator settings.
func checkSynth(gen string, classes, perClass int, noise, imbalance float64) error {
	switch {
	case classes < 2:
		return fmt.Errorf("data: %s: %d classes, need at least 2: %w", gen, classes, ErrInvalid)
	case perClass < 1:
		return fmt.Errorf("data: %s: %d samples per class, need at least 1: %w", gen, perClass, ErrInvalid)
	case !(noise >= 0) || math.IsInf(noise, 0):
		return fmt.Errorf("data: %s: noise %v, want a finite value >= 0: %w", gen, noise, ErrInvalid)
	case !(imbalance == 0 || imbalance >= 1) || math.IsInf(imbalance, 0):
		return fmt.Errorf("data: %s: imbalance %v, want 0 (balanced) or a finite ratio >= 1: %w", gen, imbalance, ErrInvalid)
	}
	return nil
}

// labelled assembles a classification set from rows generated class by
// class, shuffling the rows so that any prefix mixes the classes.
func labelled(name string, x []float64, y []int, dim, classes int, classNames []string, source string, rng *rand.Rand) *Dataset {
	n := len(y)
	perm := rng.Perm(n)
	xs := make([]float64, len(x))
	ys := make([]int, n)
	for to, from := range perm {
		copy(xs[to*dim:(to+1)*dim], x[from*dim:(from+1)*dim])
		ys[to] = y[from]
	}
	return &Dataset{
		Name:       name,
		X:          mat.NewDense(n, dim, xs),
		Y:          ys,
		Classes:    classes,
		Shape:      Vector(dim),
		ClassNames: classNames,
		Source:     source,
	}
}

func namesFor(prefix string, k int) []string {
	names := make([]string, k)
	for c := range names {
		names[c] = prefix + strconv.Itoa(c)
	}
	return names
}

// SpiralsOptions configures Spirals. Zero fields take the defaults shown.
type SpiralsOptions struct {
	Classes   int     // arms, one class each; default 2
	PerClass  int     // samples in the largest class; default 200
	Turns     float64 // turns of each arm; default 1
	Noise     float64 // std of Gaussian noise added to each coordinate; arms reach radius 1
	Imbalance float64 // largest/smallest class size, see ClassSizes; 0 = balanced
	Seed      uint64
}

// Spirals returns K interleaved spiral arms in the plane, one class per
// arm, the classic problem a linear model cannot solve (CS231n's spiral
// data). Sample i of arm c lies at radius r = (i+1)/n_c and angle
// 2π·Turns·r + 2πc/K, plus Gaussian noise of std Noise on each
// coordinate; the inputs lie roughly in [-1, 1]². Rows are shuffled. The
// same options give the same dataset.
func Spirals(o SpiralsOptions) (*Dataset, error) {
	o.Classes = cmp.Or(o.Classes, 2)
	o.PerClass = cmp.Or(o.PerClass, 200)
	o.Turns = cmp.Or(o.Turns, 1)
	if err := checkSynth("Spirals", o.Classes, o.PerClass, o.Noise, o.Imbalance); err != nil {
		return nil, err
	}
	if !(o.Turns > 0) || math.IsInf(o.Turns, 0) {
		return nil, fmt.Errorf("data: Spirals: %v turns, want a finite value > 0: %w", o.Turns, ErrInvalid)
	}
	rng := newRand(o.Seed)
	var x []float64
	var y []int
	for c, n := range ClassSizes(o.Classes, o.PerClass, o.Imbalance) {
		for i := 0; i < n; i++ {
			r := float64(i+1) / float64(n)
			a := 2*math.Pi*o.Turns*r + 2*math.Pi*float64(c)/float64(o.Classes)
			x = append(x, r*math.Cos(a)+o.Noise*rng.NormFloat64(), r*math.Sin(a)+o.Noise*rng.NormFloat64())
			y = append(y, c)
		}
	}
	src := fmt.Sprintf("synthetic: Spirals(classes=%d, per_class=%d, turns=%g, noise=%g, imbalance=%g, seed=%d)",
		o.Classes, o.PerClass, o.Turns, o.Noise, o.Imbalance, o.Seed)
	d := labelled("spirals", x, y, 2, o.Classes, namesFor("arm ", o.Classes), src, rng)
	d.FeatureNames = []string{"x", "y"}
	return d, nil
}

// XOROptions configures XOR. Zero fields take the defaults shown.
type XOROptions struct {
	PerClass  int     // samples in the larger class; default 200
	Noise     float64 // std of Gaussian noise added to each coordinate
	Imbalance float64 // class 0 size / class 1 size; 0 = balanced
	Seed      uint64
}

// XOR returns the two-class XOR problem: points uniform in the square
// [-1, 1]², class 0 ("same sign") in the quadrants where x·y > 0 and class
// 1 ("opposite sign") where x·y < 0, each coordinate then jittered by
// Gaussian noise of std Noise (which can carry a point across an axis: label
// noise). Rows are shuffled. The same options give the same dataset.
func XOR(o XOROptions) (*Dataset, error) {
	o.PerClass = cmp.Or(o.PerClass, 200)
	if err := checkSynth("XOR", 2, o.PerClass, o.Noise, o.Imbalance); err != nil {
		return nil, err
	}
	rng := newRand(o.Seed)
	var x []float64
	var y []int
	for c, n := range ClassSizes(2, o.PerClass, o.Imbalance) {
		for i := 0; i < n; i++ {
			a, b := rng.Float64(), rng.Float64()
			sa, sb := 1.0, 1.0
			if rng.IntN(2) == 1 {
				sa = -1
			}
			if c == 0 {
				sb = sa
			} else {
				sb = -sa
			}
			x = append(x, sa*a+o.Noise*rng.NormFloat64(), sb*b+o.Noise*rng.NormFloat64())
			y = append(y, c)
		}
	}
	src := fmt.Sprintf("synthetic: XOR(per_class=%d, noise=%g, imbalance=%g, seed=%d)",
		o.PerClass, o.Noise, o.Imbalance, o.Seed)
	d := labelled("xor", x, y, 2, 2, []string{"same sign", "opposite sign"}, src, rng)
	d.FeatureNames = []string{"x", "y"}
	return d, nil
}

// BlobsOptions configures Blobs. Zero fields take the defaults shown.
type BlobsOptions struct {
	Classes    int     // blobs, one class each; default 3
	Dims       int     // input dimensions; default 2
	PerClass   int     // samples in the largest class; default 100
	Separation float64 // distance between nearest centres, in noise stds; default 4
	Imbalance  float64 // largest/smallest class size, see ClassSizes; 0 = balanced
	Seed       uint64
}

// Blobs returns K Gaussian blobs in D dimensions, unit variance in every
// direction, whose nearest centres lie exactly Separation apart. With
// K <= D the centres are Separation/√2 times the first K unit vectors (all
// pairs equally far apart); with K > D they sit on a circle in the first
// two dimensions (a regular K-gon, needs D >= 2). Rows are shuffled. The
// same options give the same dataset.
func Blobs(o BlobsOptions) (*Dataset, error) {
	o.Classes = cmp.Or(o.Classes, 3)
	o.Dims = cmp.Or(o.Dims, 2)
	o.PerClass = cmp.Or(o.PerClass, 100)
	o.Separation = cmp.Or(o.Separation, 4)
	if err := checkSynth("Blobs", o.Classes, o.PerClass, 0, o.Imbalance); err != nil {
		return nil, err
	}
	switch {
	case o.Dims < 1 || (o.Classes > o.Dims && o.Dims < 2):
		return nil, fmt.Errorf("data: Blobs: %d dimensions for %d classes, need at least 2 (or one per class): %w",
			o.Dims, o.Classes, ErrInvalid)
	case !(o.Separation > 0) || math.IsInf(o.Separation, 0):
		return nil, fmt.Errorf("data: Blobs: separation %v, want a finite value > 0: %w", o.Separation, ErrInvalid)
	}
	centre := func(c, j int) float64 {
		if o.Classes <= o.Dims {
			if j == c {
				return o.Separation / math.Sqrt2
			}
			return 0
		}
		radius := o.Separation / (2 * math.Sin(math.Pi/float64(o.Classes)))
		a := 2 * math.Pi * float64(c) / float64(o.Classes)
		switch j {
		case 0:
			return radius * math.Cos(a)
		case 1:
			return radius * math.Sin(a)
		}
		return 0
	}
	rng := newRand(o.Seed)
	var x []float64
	var y []int
	for c, n := range ClassSizes(o.Classes, o.PerClass, o.Imbalance) {
		for i := 0; i < n; i++ {
			for j := 0; j < o.Dims; j++ {
				x = append(x, centre(c, j)+rng.NormFloat64())
			}
			y = append(y, c)
		}
	}
	src := fmt.Sprintf("synthetic: Blobs(classes=%d, dims=%d, per_class=%d, separation=%g, imbalance=%g, seed=%d)",
		o.Classes, o.Dims, o.PerClass, o.Separation, o.Imbalance, o.Seed)
	return labelled("blobs", x, y, o.Dims, o.Classes, namesFor("blob ", o.Classes), src, rng), nil
}

// SineOptions configures Sine. Zero fields take the defaults shown.
type SineOptions struct {
	Windows   int     // samples (windows); default 1000
	Length    int     // window length L, the inputs of one sample; default 16
	Period    float64 // steps per cycle of the sine; default 25
	Amplitude float64 // default 1
	Offset    float64 // constant level added to the series
	Trend     float64 // level added per step: a drifting, non-stationary series
	Noise     float64 // std of Gaussian noise on each value of the series
	Seed      uint64
}

// Sine returns a regression set cut from one noisy sine series
//
//	s[t] = Offset + Trend·t + Amplitude·sin(2πt/Period + φ) + Noise·ε[t]
//
// with a random phase φ and standard normal ε. Sample i is the window
// s[i..i+L-1] (Shape Vector(L), features "t-L".."t-1") and its target the
// next value s[i+L] (Targets N×1). Consecutive samples overlap, and they
// stay in time order: split them with SplitOptions.Ordered, and centre them
// per batch or per window (CenterBatch, CenterWindows) rather than with
// global statistics when the series drifts. The same options give the same
// dataset.
func Sine(o SineOptions) (*Dataset, error) {
	o.Windows = cmp.Or(o.Windows, 1000)
	o.Length = cmp.Or(o.Length, 16)
	o.Period = cmp.Or(o.Period, 25)
	o.Amplitude = cmp.Or(o.Amplitude, 1)
	for _, f := range []struct {
		name string
		v    float64
		ok   bool
	}{
		{"windows", float64(o.Windows), o.Windows >= 1},
		{"length", float64(o.Length), o.Length >= 1},
		{"period", o.Period, o.Period > 0},
		{"noise", o.Noise, o.Noise >= 0},
		{"amplitude", o.Amplitude, true},
		{"offset", o.Offset, true},
		{"trend", o.Trend, true},
	} {
		if !f.ok || math.IsNaN(f.v) || math.IsInf(f.v, 0) {
			return nil, fmt.Errorf("data: Sine: %s %v out of range: %w", f.name, f.v, ErrInvalid)
		}
	}
	rng := newRand(o.Seed)
	phase := 2 * math.Pi * rng.Float64()
	series := make([]float64, o.Windows+o.Length)
	for t := range series {
		series[t] = o.Offset + o.Trend*float64(t) +
			o.Amplitude*math.Sin(2*math.Pi*float64(t)/o.Period+phase) + o.Noise*rng.NormFloat64()
	}
	x := mat.NewDense(o.Windows, o.Length, nil)
	targets := mat.NewDense(o.Windows, 1, nil)
	for i := 0; i < o.Windows; i++ {
		copy(x.RawRowView(i), series[i:i+o.Length])
		targets.Set(i, 0, series[i+o.Length])
	}
	names := make([]string, o.Length)
	for j := range names {
		names[j] = "t-" + strconv.Itoa(o.Length-j)
	}
	return &Dataset{
		Name:    "sine",
		X:       x,
		Targets: targets,
		Shape:   Vector(o.Length),
		Source: fmt.Sprintf("synthetic: Sine(windows=%d, length=%d, period=%g, amplitude=%g, offset=%g, trend=%g, noise=%g, seed=%d)",
			o.Windows, o.Length, o.Period, o.Amplitude, o.Offset, o.Trend, o.Noise, o.Seed),
		FeatureNames: names,
	}, nil
}
