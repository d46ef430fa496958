package summary

import (
	"bytes"
	"errors"
	"image"
	"image/color"
	"math"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"
)

func TestFromRaw(t *testing.T) {
	// A 2x3 (height x width) RGB image: pixel (x, y) has red 10*y+x,
	// green 100, blue 200.
	const h, w = 2, 3
	hwc := make([]uint8, 0, h*w*3)
	chw := make([]uint8, h*w*3)
	for y := range h {
		for x := range w {
			hwc = append(hwc, uint8(10*y+x), 100, 200)
			chw[0*h*w+y*w+x] = uint8(10*y + x)
			chw[1*h*w+y*w+x] = 100
			chw[2*h*w+y*w+x] = 200
		}
	}
	for _, tt := range []struct {
		desc  string
		order PixelOrder
		data  []uint8
	}{{"HWC", HWC, hwc}, {"CHW", CHW, chw}} {
		t.Run(tt.desc, func(t *testing.T) {
			img, err := FromRaw(tt.data, tt.order, h, w, 3)
			if err != nil {
				t.Fatal(err)
			}
			if img.Bounds() != image.Rect(0, 0, w, h) {
				t.Fatalf("bounds %v", img.Bounds())
			}
			for y := range h {
				for x := range w {
					got := color.NRGBAModel.Convert(img.At(x, y)).(color.NRGBA)
					want := color.NRGBA{uint8(10*y + x), 100, 200, 255}
					if got != want {
						t.Errorf("pixel (%d, %d) = %v, want %v", x, y, got, want)
					}
				}
			}
		})
	}
}

func TestFromRawFloat(t *testing.T) {
	img, err := FromRaw([]float32{0, 0.5, 1, 2, -1}, HWC, 1, 5, 1)
	if err != nil {
		t.Fatal(err)
	}
	want := []uint8{0, 128, 255, 255, 0}
	if got := img.(*image.Gray).Pix; !bytes.Equal(got, want) {
		t.Errorf("pixels %v, want %v (scaled and clamped)", got, want)
	}
	rgba, err := FromRaw([]float64{1, 0, 0, 0.5}, HWC, 1, 1, 4)
	if err != nil {
		t.Fatal(err)
	}
	if got := rgba.At(0, 0).(color.NRGBA); got != (color.NRGBA{255, 0, 0, 128}) {
		t.Errorf("RGBA pixel %v", got)
	}
}

func TestFromRawErrors(t *testing.T) {
	tests := []struct {
		desc string
		call func() error
	}{
		{"zero height", func() error { _, err := FromRaw([]uint8{}, HWC, 0, 1, 1); return err }},
		{"two channels", func() error { _, err := FromRaw(make([]uint8, 4), HWC, 1, 2, 2); return err }},
		{"short buffer", func() error { _, err := FromRaw(make([]uint8, 5), HWC, 2, 3, 1); return err }},
		{"long buffer", func() error { _, err := FromRaw(make([]uint8, 7), CHW, 2, 3, 1); return err }},
		{"NaN", func() error { _, err := FromRaw([]float64{math.NaN()}, HWC, 1, 1, 1); return err }},
		{"bad pixel order", func() error { _, err := FromRaw(make([]uint8, 1), PixelOrder(7), 1, 1, 1); return err }},
		{"overflowing size", func() error { _, err := FromRaw(make([]uint8, 1), HWC, 1<<40, 1<<40, 3); return err }},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			if err := tt.call(); err == nil {
				t.Error("no error")
			}
		})
	}
}

func TestFromMatrix(t *testing.T) {
	m := mat.NewDense(2, 3, []float64{-1, 0, 1, 3, 3, 3})
	tests := []struct {
		desc  string
		m     mat.Matrix
		scale int
		want  [][]uint8 // rows of pixels
	}{
		{"one pixel per element", m, 0, [][]uint8{{0, 64, 128}, {255, 255, 255}}},
		{"scale 1", m, 1, [][]uint8{{0, 64, 128}, {255, 255, 255}}},
		{"scale 2", m, 2, [][]uint8{
			{0, 0, 64, 64, 128, 128}, {0, 0, 64, 64, 128, 128},
			{255, 255, 255, 255, 255, 255}, {255, 255, 255, 255, 255, 255},
		}},
		{"constant is mid-grey", mat.NewDense(1, 2, []float64{7, 7}), 3, [][]uint8{
			{128, 128, 128, 128, 128, 128}, {128, 128, 128, 128, 128, 128}, {128, 128, 128, 128, 128, 128},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			img, err := FromMatrix(tt.m, tt.scale)
			if err != nil {
				t.Fatal(err)
			}
			if b := img.Bounds(); b.Dy() != len(tt.want) || b.Dx() != len(tt.want[0]) {
				t.Fatalf("bounds %v, want %dx%d", b, len(tt.want[0]), len(tt.want))
			}
			for y, row := range tt.want {
				if got := img.Pix[y*img.Stride : y*img.Stride+len(row)]; !bytes.Equal(got, row) {
					t.Errorf("row %d = %v, want %v", y, got, row)
				}
			}
		})
	}
	if _, err := FromMatrix(mat.NewDense(1, 1, []float64{math.Inf(1)}), 1); !errors.Is(err, ErrNonFinite) {
		t.Errorf("Inf: %v", err)
	}
	if _, err := FromMatrix(m, -1); err == nil {
		t.Error("scale -1 gave no error")
	}
	if _, err := FromMatrix(mat.NewDense(1000, 1000, nil), 100); !errors.Is(err, ErrImageSize) {
		t.Errorf("a 100000x100000 image: %v, want ErrImageSize", err)
	}
}

// TestFilters tiles the rows of a weight matrix: each row a tile of its
// own scaling, in a near-square grid with a border of filterBorder.
func TestFilters(t *testing.T) {
	// Three filters of 2x2 weights; the third is constant.
	m := mat.NewDense(3, 4, []float64{
		0, 1, 2, 3,
		-5, 5, 5, -5,
		4, 4, 4, 4,
	})
	img, err := Filters(m, 0, 0, 2)
	if err != nil {
		t.Fatal(err)
	}
	// 2 columns, 2 rows of 4x4 tiles with one pixel around each.
	if b := img.Bounds(); b.Dx() != 2*4+3 || b.Dy() != 2*4+3 {
		t.Fatalf("bounds %v, want 11x11", b)
	}
	at := func(x, y int) color.RGBA { return color.RGBAModel.Convert(img.At(x, y)).(color.RGBA) }
	grey := func(v uint8) color.RGBA { return color.RGBA{v, v, v, 255} }
	for _, tt := range []struct {
		x, y int
		want color.RGBA
	}{
		{0, 0, filterBorder},
		{1, 1, grey(0)}, {3, 1, grey(85)}, {1, 3, grey(170)}, {4, 4, grey(255)}, // filter 0
		{6, 1, grey(0)}, {8, 1, grey(255)}, {6, 3, grey(255)}, {8, 3, grey(0)}, // filter 1
		{1, 6, grey(128)},    // filter 2
		{6, 6, filterBorder}, // no fourth filter
	} {
		if got := at(tt.x, tt.y); got != tt.want {
			t.Errorf("pixel (%d, %d) = %v, want %v", tt.x, tt.y, got, tt.want)
		}
	}
	rect, err := Filters(mat.NewDense(1, 6, []float64{0, 1, 2, 3, 4, 5}), 2, 3, 1)
	if err != nil || rect.Bounds().Dx() != 3+2 || rect.Bounds().Dy() != 2+2 {
		t.Errorf("a 2x3 filter: %v, %v", rect.Bounds(), err)
	}
	for _, bad := range []struct{ h, w int }{{2, 2}, {0, 0}, {-1, -6}} {
		if _, err := Filters(mat.NewDense(1, 6, nil), bad.h, bad.w, 1); !errors.Is(err, ErrImageSize) {
			t.Errorf("6 weights as %dx%d: %v, want ErrImageSize", bad.h, bad.w, err)
		}
	}
	if _, err := Filters(mat.NewDense(1, 4, []float64{0, math.NaN(), 0, 0}), 2, 2, 1); !errors.Is(err, ErrNonFinite) || !strings.Contains(err.Error(), "filter 0") {
		t.Errorf("a NaN weight: %v", err)
	}
}

func TestGrid(t *testing.T) {
	white := image.NewGray(image.Rect(0, 0, 2, 3))
	for i := range white.Pix {
		white.Pix[i] = 255
	}
	imgs := []image.Image{white, white, white}
	g, err := Grid(imgs, 2, 1, color.Black)
	if err != nil {
		t.Fatal(err)
	}
	// 2 columns of width 2 and 2 rows of height 3, padding 1 around all.
	if g.Bounds() != image.Rect(0, 0, 2*2+3, 2*3+3) {
		t.Fatalf("bounds %v", g.Bounds())
	}
	for _, p := range []struct {
		x, y  int
		white bool
	}{{0, 0, false}, {1, 1, true}, {2, 3, true}, {3, 1, false}, {4, 1, true}, {4, 5, false}, {1, 5, true}, {4, 6, false}} {
		got := g.NRGBAAt(p.x, p.y).R == 255
		if got != p.white {
			t.Errorf("pixel (%d, %d) white = %v, want %v", p.x, p.y, got, p.white)
		}
	}
	sq, err := Grid([]image.Image{}, 0, 0, nil)
	if err == nil || sq != nil {
		t.Error("grid of no images gave no error")
	}
	auto, err := Grid([]image.Image{white, white, white, white, white}, 0, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	if auto.Bounds().Dx() != 3*2 || auto.Bounds().Dy() != 2*3 {
		t.Errorf("auto grid of 5 is %v, want 3 columns and 2 rows", auto.Bounds())
	}
}

func TestImageValue(t *testing.T) {
	v, err := ImageValue("img", 10, 20, [][]byte{{1}, {2}}, Meta{})
	if err != nil {
		t.Fatal(err)
	}
	tensor := v.GetTensor()
	if got := tensor.TensorShape.Dim; len(got) != 1 || got[0].Size != 4 {
		t.Errorf("shape %v, want [4]", got)
	}
	if string(tensor.StringVal[0]) != "10" || string(tensor.StringVal[1]) != "20" {
		t.Errorf("width, height = %q, %q", tensor.StringVal[0], tensor.StringVal[1])
	}
	for _, bad := range []struct {
		w, h int
		enc  [][]byte
	}{{0, 1, [][]byte{{1}}}, {1, 1, nil}, {1, 1, [][]byte{{}}}} {
		if _, err := ImageValue("img", bad.w, bad.h, bad.enc, Meta{}); err == nil {
			t.Errorf("ImageValue(%d, %d, %v) gave no error", bad.w, bad.h, bad.enc)
		}
	}
}

func TestTextValues(t *testing.T) {
	v, err := TextValue("notes", "**bold** ünïcödé 🎉", Meta{})
	if err != nil {
		t.Fatal(err)
	}
	if tensor := v.GetTensor(); len(tensor.TensorShape.Dim) != 0 || string(tensor.StringVal[0]) != "**bold** ünïcödé 🎉" {
		t.Errorf("text tensor %v", tensor)
	}
	tv, err := TableValue("t", [][]string{{"h1", "h2", "h3"}, {"a", "b", "c"}}, Meta{})
	if err != nil {
		t.Fatal(err)
	}
	tensor := tv.GetTensor()
	if d := tensor.TensorShape.Dim; len(d) != 2 || d[0].Size != 2 || d[1].Size != 3 || string(tensor.StringVal[4]) != "b" {
		t.Errorf("table tensor %v", tensor)
	}
	if _, err := TableValue("t", [][]string{{}}, Meta{}); err == nil {
		t.Error("table of empty rows gave no error")
	}
}
