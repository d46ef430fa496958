package data

import (
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"gonum.org/v1/gonum/mat"
)

var digitShape = Shape{C: 1, H: 8, W: 8}

// onePixel returns an image of shape s that is zero but for value v at
// channel c, row i, column j.
func onePixel(s Shape, c, i, j int, v float64) []float64 {
	img := make([]float64, s.Size())
	img[(c*s.H+i)*s.W+j] = v
	return img
}

func TestShift(t *testing.T) {
	colour := Shape{C: 2, H: 3, W: 4}
	for _, tc := range []struct {
		desc       string
		s          Shape
		c, i, j    int
		dx, dy     int
		wi, wj     int
		goesOffset bool
	}{
		{"right and down", digitShape, 0, 2, 3, 1, 2, 4, 4, false},
		{"left and up", digitShape, 0, 5, 5, -3, -1, 4, 2, false},
		{"no shift", digitShape, 0, 7, 0, 0, 0, 7, 0, false},
		{"off the right edge", digitShape, 0, 0, 7, 1, 0, 0, 0, true},
		{"off the top", digitShape, 0, 0, 4, 0, -1, 0, 0, true},
		{"far away", digitShape, 0, 3, 3, 20, -20, 0, 0, true},
		{"second channel", colour, 1, 1, 2, -2, 1, 2, 0, false},
		{"one row", Shape{1, 1, 6}, 0, 0, 1, 3, 0, 0, 4, false},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			src := onePixel(tc.s, tc.c, tc.i, tc.j, 7)
			dst := make([]float64, tc.s.Size())
			for k := range dst {
				dst[k] = -1 // proves every value is written
			}
			Shift(dst, src, tc.s, tc.dx, tc.dy)
			want := make([]float64, tc.s.Size())
			if !tc.goesOffset {
				want = onePixel(tc.s, tc.c, tc.wi, tc.wj, 7)
			}
			if !slices.Equal(dst, want) {
				t.Errorf("Shift by (%d, %d):\n got %v\nwant %v", tc.dx, tc.dy, dst, want)
			}
		})
	}
}

func randomImage(s Shape, seed uint64) []float64 {
	r := rand.New(rand.NewPCG(seed, 0))
	img := make([]float64, s.Size())
	for k := range img {
		img[k] = r.Float64() * 16
	}
	return img
}

func TestRotate(t *testing.T) {
	src := randomImage(Shape{C: 2, H: 8, W: 6}, 1)
	dst := make([]float64, len(src))
	Rotate(dst, src, Shape{C: 2, H: 8, W: 6}, 0)
	if !slices.Equal(dst, src) {
		t.Fatal("rotation by 0 is not the identity")
	}

	// A quarter turn anticlockwise about (3.5, 3.5) takes (i, j) to (7-j, i):
	// the top-right corner goes to the top-left.
	dst = make([]float64, 64)
	for _, p := range [][2]int{{0, 7}, {2, 5}, {6, 1}, {3, 3}} {
		Rotate(dst, onePixel(digitShape, 0, p[0], p[1], 1), digitShape, 90)
		want := onePixel(digitShape, 0, 7-p[1], p[0], 1)
		for k := range want {
			if math.Abs(dst[k]-want[k]) > 1e-12 {
				t.Fatalf("pixel %v turned by 90°: got %v", p, dst)
			}
		}
	}

	// Four quarter turns come back.
	img := randomImage(digitShape, 2)
	cur, next := slices.Clone(img), make([]float64, 64)
	for range 4 {
		Rotate(next, cur, digitShape, 90)
		cur, next = next, cur
	}
	for k := range img {
		if math.Abs(cur[k]-img[k]) > 1e-9 {
			t.Fatalf("four quarter turns: pixel %d is %v, want %v", k, cur[k], img[k])
		}
	}

	// A small turn interpolates: a pixel's mass spreads but is kept when
	// nothing leaves the frame.
	Rotate(dst, onePixel(digitShape, 0, 3, 4, 1), digitShape, 10)
	sum := 0.0
	for _, v := range dst {
		sum += v
	}
	if math.Abs(sum-1) > 0.05 || dst[3*8+4] >= 1 || dst[3*8+4] < 0.5 {
		t.Errorf("10° turn of one pixel: sum %v, centre %v", sum, dst[3*8+4])
	}
}

func TestAugmenterNoise(t *testing.T) {
	const std = 0.5
	a, err := NewAugmenter(digitShape, Distortion{Noise: std}, 1)
	if err != nil {
		t.Fatal(err)
	}
	batch := mat.NewDense(64, 64, nil)
	a.Apply(batch, batch)
	s := Describe(mat.NewDense(64*64, 1, batch.RawMatrix().Data))
	// 4,096 draws: the sample std is off by about 1%, the mean by 0.008.
	if math.Abs(s.Std[0]-std) > 0.05*std || math.Abs(s.Mean[0]) > 0.04 {
		t.Errorf("noise mean %v, std %v; want 0, %v", s.Mean[0], s.Std[0], std)
	}
}

func TestAugmenterShifts(t *testing.T) {
	a, err := NewAugmenter(digitShape, Distortion{MaxShift: 1}, 2)
	if err != nil {
		t.Fatal(err)
	}
	const n = 400
	src := mat.NewDense(n, 64, nil)
	for i := 0; i < n; i++ {
		src.Set(i, 3*8+4, float64(i+1)) // one pixel, tagged with its row
	}
	dst := mat.NewDense(n, 64, nil)
	a.Apply(dst, src)
	seen := map[[2]int]int{}
	for i := 0; i < n; i++ {
		var at []int
		for k, v := range dst.RawRowView(i) {
			if v != 0 {
				at = append(at, k)
				if v != float64(i+1) {
					t.Fatalf("row %d: pixel value %v, want %d", i, v, i+1)
				}
			}
		}
		if len(at) != 1 {
			t.Fatalf("row %d: %d non-zero pixels after a shift", i, len(at))
		}
		seen[[2]int{at[0]/8 - 3, at[0]%8 - 4}]++
	}
	if len(seen) != 9 {
		t.Errorf("shifts seen %v, want all 9 of [-1, 1]²", seen)
	}
	for d, count := range seen {
		if d[0] < -1 || d[0] > 1 || d[1] < -1 || d[1] > 1 || count < 20 { // 44 expected each
			t.Errorf("shift %v drawn %d times", d, count)
		}
	}
}

func TestAugmenterApply(t *testing.T) {
	d, err := Digits()
	if err != nil {
		t.Fatal(err)
	}
	batch := d.Subset(all(64)).X
	dist := Distortion{MaxShift: 2, MaxRotate: 15, Noise: 0.1}

	// The zero Distortion copies.
	id, _ := NewAugmenter(digitShape, Distortion{}, 1)
	out := mat.NewDense(64, 64, nil)
	id.Apply(out, batch)
	if !mat.Equal(out, batch) {
		t.Error("the zero Distortion changed the batch")
	}

	// Seeded, and in place gives what a separate destination gets.
	a, _ := NewAugmenter(digitShape, dist, 3)
	b, _ := NewAugmenter(digitShape, dist, 3)
	c, _ := NewAugmenter(digitShape, dist, 4)
	a.Apply(out, batch)
	inPlace := mat.DenseCopyOf(batch)
	b.Apply(inPlace, inPlace)
	if !mat.Equal(out, inPlace) {
		t.Error("in-place Apply differs from Apply into another matrix")
	}
	other := mat.NewDense(64, 64, nil)
	c.Apply(other, batch)
	if mat.Equal(out, other) || mat.Equal(out, batch) {
		t.Error("distortions do not depend on the seed, or did nothing")
	}

	if n := testing.AllocsPerRun(10, func() { a.Apply(out, batch) }); n != 0 {
		t.Errorf("Apply allocates %v times per batch", n)
	}
}

func TestAugmenterErrors(t *testing.T) {
	for _, tc := range []struct {
		desc  string
		shape Shape
		d     Distortion
		want  string
	}{
		{"negative shift", digitShape, Distortion{MaxShift: -1}, "data: augmenter: MaxShift -1 is negative: invalid dataset"},
		{"rotation too big", digitShape, Distortion{MaxRotate: 200}, "data: augmenter: MaxRotate 200, want degrees in [0, 180]: invalid dataset"},
		{"rotating a vector", Vector(10), Distortion{MaxRotate: 5}, "data: augmenter: rotation needs an image, shape 10 has a single row or column: invalid dataset"},
		{"rotating one row", Shape{1, 1, 10}, Distortion{MaxRotate: 5}, "data: augmenter: rotation needs an image, shape 1×1×10 has a single row or column: invalid dataset"},
		{"shifting a vector", Vector(10), Distortion{MaxShift: 1}, "data: augmenter: shifts need an image, shape 10 is a vector: invalid dataset"},
		{"NaN noise", digitShape, Distortion{Noise: math.NaN()}, "data: augmenter: Noise NaN, want a finite value >= 0: invalid dataset"},
		{"empty shape", Shape{}, Distortion{}, "data: augmenter: shape 0×0×0 has a dimension below 1: invalid dataset"},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			a, err := NewAugmenter(tc.shape, tc.d, 1)
			if err == nil || err.Error() != tc.want || !errors.Is(err, ErrInvalid) || a != nil {
				t.Errorf("got %v\nwant %s", err, tc.want)
			}
		})
	}
}

func TestAugmentShapePanics(t *testing.T) {
	a, _ := NewAugmenter(digitShape, Distortion{MaxShift: 1}, 1)
	img := make([]float64, 64)
	for _, tc := range []struct {
		desc string
		f    func()
	}{
		{"Apply sizes differ", func() { a.Apply(mat.NewDense(2, 64, nil), mat.NewDense(3, 64, nil)) }},
		{"Apply wrong shape", func() { a.Apply(mat.NewDense(2, 63, nil), mat.NewDense(2, 63, nil)) }},
		{"Shift short dst", func() { Shift(img[:10], img, digitShape, 1, 1) }},
		{"Rotate aliased", func() { Rotate(img, img, digitShape, 3) }},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			defer func() {
				if _, ok := recover().(ShapeError); !ok {
					t.Error("did not panic with a ShapeError")
				}
			}()
			tc.f()
		})
	}
}
