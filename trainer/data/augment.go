package data

import (
	"fmt"
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/mat"
)

// Distortion says how an Augmenter distorts each sample. The zero value
// leaves samples unchanged. Every sample gets its own random draw.
type Distortion struct {
	// MaxShift is the largest shift in pixels: each sample moves by
	// integers dx, dy drawn uniformly from [-MaxShift, MaxShift], with
	// zeros shifted in. A one-row shape (H = 1) shifts along W only, a
	// one-column shape along H only; vectors cannot be shifted.
	MaxShift int
	// MaxRotate is the largest rotation in degrees: each sample turns by
	// an angle drawn uniformly from [-MaxRotate, MaxRotate] about the image
	// centre, positive anticlockwise as displayed (row 0 at the top),
	// resampled bilinearly with zeros outside the image. Needs H and W
	// above 1.
	MaxRotate float64
	// Noise is the std of Gaussian noise added to every value.
	Noise float64
}

// Augmenter applies random distortions to batches of images stored as
// CHW rows, for data augmentation: neural nets are not invariant to
// distortions unless trained on them (the seed article's "balanced
// datasets with distortions"). Shifts and rotations fill with zeros: the
// background of raw digits, and the training mean after standardising.
// Distort the training batches only, never validation or test data.
//
// An Augmenter is seeded, so a seed gives the same distortions, and it is
// not safe for concurrent use.
type Augmenter struct {
	shape Shape
	d     Distortion
	rng   *rand.Rand
	row   []float64 // one sample, so dst may alias src
}

// NewAugmenter returns an Augmenter for samples of the given shape. It
// returns an error wrapping ErrInvalid for a negative or non-finite
// setting, a shift of a vector, or a rotation of a shape without both
// rows and columns.
func NewAugmenter(shape Shape, d Distortion, seed uint64) (*Augmenter, error) {
	bad := func(format string, args ...any) (*Augmenter, error) {
		return nil, fmt.Errorf("data: augmenter: "+format+": %w", append(args, ErrInvalid)...)
	}
	switch {
	case !shape.Valid():
		return bad("shape %v has a dimension below 1", shape)
	case d.MaxShift > 0 && shape.IsVector():
		return bad("shifts need an image, shape %v is a vector", shape)
	case d.MaxShift < 0:
		return bad("MaxShift %d is negative", d.MaxShift)
	case !(d.MaxRotate >= 0 && d.MaxRotate <= 180):
		return bad("MaxRotate %v, want degrees in [0, 180]", d.MaxRotate)
	case d.MaxRotate > 0 && (shape.H < 2 || shape.W < 2):
		return bad("rotation needs an image, shape %v has a single row or column", shape)
	case !(d.Noise >= 0) || math.IsInf(d.Noise, 0):
		return bad("Noise %v, want a finite value >= 0", d.Noise)
	}
	return &Augmenter{shape: shape, d: d, rng: newRand(seed), row: make([]float64, shape.Size())}, nil
}

// Apply writes a distorted copy of each row of src to the same row of dst,
// which may be src itself. It allocates nothing. It panics with a
// ShapeError if the matrices differ in size or their rows do not hold the
// Augmenter's shape.
func (a *Augmenter) Apply(dst, src *mat.Dense) {
	r, c := src.Dims()
	if dr, dc := dst.Dims(); dr != r || dc != c || c != a.shape.Size() {
		shapePanic("Augmenter.Apply", "dst %d×%d, src %d×%d, shape %v", dr, dc, r, c, a.shape)
	}
	d := a.d
	for i := 0; i < r; i++ {
		in, out := src.RawRowView(i), dst.RawRowView(i)
		copy(a.row, in)
		dx, dy, theta := 0, 0, 0.0
		if d.MaxShift > 0 {
			if a.shape.W > 1 {
				dx = a.rng.IntN(2*d.MaxShift+1) - d.MaxShift
			}
			if a.shape.H > 1 {
				dy = a.rng.IntN(2*d.MaxShift+1) - d.MaxShift
			}
		}
		if d.MaxRotate > 0 {
			theta = (2*a.rng.Float64() - 1) * d.MaxRotate * math.Pi / 180
		}
		if theta != 0 {
			warp(out, a.row, a.shape, dx, dy, theta)
		} else {
			shift(out, a.row, a.shape, dx, dy)
		}
		if d.Noise > 0 {
			for j := range out {
				out[j] += d.Noise * a.rng.NormFloat64()
			}
		}
	}
}

func checkRows(op string, dst, src []float64, s Shape) {
	if len(dst) != s.Size() || len(src) != s.Size() {
		shapePanic(op, "dst has %d values, src %d, shape %v holds %d", len(dst), len(src), s, s.Size())
	}
	if len(dst) > 0 && &dst[0] == &src[0] {
		shapePanic(op, "dst and src are the same slice")
	}
}

// Shift writes to dst the image src (one CHW sample of shape s) moved dx
// pixels right and dy pixels down, filling with zeros: dst(c, i, j) =
// src(c, i-dy, j-dx). dst and src must not overlap. It panics with a
// ShapeError if their lengths are not s.Size().
func Shift(dst, src []float64, s Shape, dx, dy int) {
	checkRows("Shift", dst, src, s)
	shift(dst, src, s, dx, dy)
}

func shift(dst, src []float64, s Shape, dx, dy int) {
	if dx == 0 && dy == 0 {
		copy(dst, src)
		return
	}
	clear(dst)
	// Columns j of dst with 0 <= j-dx < W.
	j0, j1 := max(0, dx), min(s.W, s.W+dx)
	if j0 >= j1 {
		return
	}
	for c := 0; c < s.C; c++ {
		for i := max(0, dy); i < min(s.H, s.H+dy); i++ {
			out := dst[(c*s.H+i)*s.W:]
			in := src[(c*s.H+i-dy)*s.W:]
			copy(out[j0:j1], in[j0-dx:j1-dx])
		}
	}
}

// Rotate writes to dst the image src (one CHW sample of shape s) turned
// by degrees about its centre, anticlockwise as displayed, resampled
// bilinearly with zeros outside the image. Rotating by 0 copies src
// exactly. dst and src must not overlap. It panics with a ShapeError if
// their lengths are not s.Size().
func Rotate(dst, src []float64, s Shape, degrees float64) {
	checkRows("Rotate", dst, src, s)
	warp(dst, src, s, 0, 0, degrees*math.Pi/180)
}

// warp writes dst = shift(rotate(src, theta), dx, dy). Each destination
// pixel (i, j) is pulled from the source position found by undoing the
// shift and then the rotation about the centre ((H-1)/2, (W-1)/2); with
// x = column offset and y = row offset from the centre, an anticlockwise
// turn on screen (y pointing down) maps source to destination by
// x' = x·cos + y·sin, y' = -x·sin + y·cos, so the source of (x', y') is
// x = x'·cos - y'·sin, y = x'·sin + y'·cos.
func warp(dst, src []float64, s Shape, dx, dy int, theta float64) {
	sin, cos := math.Sincos(theta)
	ci, cj := float64(s.H-1)/2, float64(s.W-1)/2
	for c := 0; c < s.C; c++ {
		plane := src[c*s.H*s.W : (c+1)*s.H*s.W]
		at := func(i, j int) float64 {
			if i < 0 || i >= s.H || j < 0 || j >= s.W {
				return 0
			}
			return plane[i*s.W+j]
		}
		for i := 0; i < s.H; i++ {
			v := float64(i-dy) - ci
			for j := 0; j < s.W; j++ {
				u := float64(j-dx) - cj
				sj := u*cos - v*sin + cj
				si := u*sin + v*cos + ci
				i0, j0 := math.Floor(si), math.Floor(sj)
				fi, fj := si-i0, sj-j0
				a, b := int(i0), int(j0)
				var p00, p01, p10, p11 float64
				if a >= 0 && b >= 0 && a+1 < s.H && b+1 < s.W { // inside: no checks
					top, bottom := plane[a*s.W+b:a*s.W+b+2], plane[(a+1)*s.W+b:(a+1)*s.W+b+2]
					p00, p01, p10, p11 = top[0], top[1], bottom[0], bottom[1]
				} else {
					p00, p01, p10, p11 = at(a, b), at(a, b+1), at(a+1, b), at(a+1, b+1)
				}
				dst[(c*s.H+i)*s.W+j] = (1-fi)*((1-fj)*p00+fj*p01) + fi*((1-fj)*p10+fj*p11)
			}
		}
	}
}
