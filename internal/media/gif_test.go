package media

import (
	"bytes"
	"errors"
	"image"
	"image/color"
	"image/gif"
	"math"
	"strings"
	"testing"
)

// gradientFrames returns n frames of w x h with more than 256 colours:
// red grows along x, green along y, blue with the frame.
func gradientFrames(n, w, h int) []image.Image {
	frames := make([]image.Image, n)
	for f := range frames {
		img := image.NewNRGBA(image.Rect(0, 0, w, h))
		for y := range h {
			for x := range w {
				img.SetNRGBA(x, y, color.NRGBA{uint8(x * 255 / (w - 1)), uint8(y * 255 / (h - 1)), uint8(f * 255 / max(n-1, 1)), 255})
			}
		}
		frames[f] = img
	}
	return frames
}

// fewColorFrames returns n frames of 5 x 4 pixels in at most 4 colours: a
// dot moving across a grey background, with a red border row.
func fewColorFrames(n int) []image.Image {
	grey, red, dot := color.RGBA{128, 128, 128, 255}, color.RGBA{255, 0, 0, 255}, color.RGBA{10, 200, 30, 255}
	frames := make([]image.Image, n)
	for f := range frames {
		img := image.NewRGBA(image.Rect(0, 0, 5, 4))
		for y := range 4 {
			for x := range 5 {
				c := grey
				if y == 0 {
					c = red
				}
				if y == 2 && x == f%5 {
					c = dot
				}
				img.SetRGBA(x, y, c)
			}
		}
		frames[f] = img
	}
	return frames
}

func decodeGIF(t *testing.T, b []byte) *gif.GIF {
	t.Helper()
	g, err := gif.DecodeAll(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("not a GIF: %v", err)
	}
	return g
}

// rgbaAt returns the colour of img at (x, y) relative to its bounds, as
// 8-bit RGBA.
func rgbaAt(img image.Image, x, y int) color.RGBA {
	b := img.Bounds()
	return color.RGBAModel.Convert(img.At(b.Min.X+x, b.Min.Y+y)).(color.RGBA)
}

func TestEncodeGIFExactColors(t *testing.T) {
	frames := fewColorFrames(6)
	// A frame whose bounds do not start at (0, 0) is read from its origin.
	big := image.NewRGBA(image.Rect(-3, -3, 10, 10))
	for y := range 4 {
		for x := range 5 {
			big.SetRGBA(x+2, y+1, rgbaAt(frames[5], x, y))
		}
	}
	frames[5] = big.SubImage(image.Rect(2, 1, 7, 5))

	b, err := EncodeGIF(frames, 10)
	if err != nil {
		t.Fatal(err)
	}
	g := decodeGIF(t, b)
	if len(g.Image) != len(frames) {
		t.Fatalf("%d frames, want %d", len(g.Image), len(frames))
	}
	if g.LoopCount != 0 {
		t.Errorf("loop count %d, want 0 (forever)", g.LoopCount)
	}
	if g.Config.Width != 5 || g.Config.Height != 4 {
		t.Errorf("screen %dx%d, want 5x4", g.Config.Width, g.Config.Height)
	}
	for i, p := range g.Image {
		if g.Delay[i] != 10 {
			t.Errorf("frame %d delay %d/100 s, want 10", i, g.Delay[i])
		}
		if p.Bounds() != image.Rect(0, 0, 5, 4) {
			t.Errorf("frame %d bounds %v", i, p.Bounds())
		}
		for y := range 4 {
			for x := range 5 {
				if got, want := rgbaAt(p, x, y), rgbaAt(frames[i], x, y); got != want {
					t.Errorf("frame %d pixel (%d, %d) = %v, want %v", i, x, y, got, want)
				}
			}
		}
	}
	// The video's colours in the order they appear; GIF pads the table to
	// a power of two.
	pal := g.Image[0].Palette
	want := []color.Color{color.RGBA{255, 0, 0, 255}, color.RGBA{128, 128, 128, 255}, color.RGBA{10, 200, 30, 255}}
	if len(pal) != 4 {
		t.Fatalf("palette of %d colours, want 4", len(pal))
	}
	for i, c := range want {
		if got := color.RGBAModel.Convert(pal[i]); got != c {
			t.Errorf("palette[%d] = %v, want %v", i, got, c)
		}
	}
}

func TestEncodeGIFMedianCut(t *testing.T) {
	const n, w, h = 4, 64, 48
	frames := gradientFrames(n, w, h)
	b, err := EncodeGIF(frames, 25)
	if err != nil {
		t.Fatal(err)
	}
	g := decodeGIF(t, b)
	if len(g.Image) != n {
		t.Fatalf("%d frames, want %d", len(g.Image), n)
	}
	if p := len(g.Image[0].Palette); p != 256 {
		t.Errorf("palette of %d colours, want 256 for a video of %d", p, w*h*n)
	}
	// The palette follows the colours: no pixel is far from its own, and
	// the mean error is a few levels (Plan 9's fixed palette gives a mean
	// of 11.5 and a worst of 42 on this video).
	var sum, worst float64
	for i, p := range g.Image {
		for y := range h {
			for x := range w {
				got, want := rgbaAt(p, x, y), rgbaAt(frames[i], x, y)
				for _, d := range []float64{
					math.Abs(float64(got.R) - float64(want.R)),
					math.Abs(float64(got.G) - float64(want.G)),
					math.Abs(float64(got.B) - float64(want.B)),
				} {
					sum += d
					worst = max(worst, d)
				}
			}
		}
	}
	mean := sum / (3 * n * w * h)
	if mean > 7 || worst > 24 {
		t.Errorf("quantisation error: mean %.2f, worst %v levels; want at most 7 and 24", mean, worst)
	}
}

func TestEncodeGIFDelay(t *testing.T) {
	frames := fewColorFrames(2)
	for _, tt := range []struct {
		desc  string
		fps   float64
		delay int
	}{
		{"10 fps", 10, 10},
		{"24 fps rounds to 4/100 s", 24, 4},
		{"30 fps", 30, 3},
		{"50 fps", 50, 2},
		{"faster than 50 fps plays at 50", 1000, 2},
		{"one frame a minute", 1.0 / 60, 6000},
		{"slowest delay", 1e-9, 65535},
	} {
		t.Run(tt.desc, func(t *testing.T) {
			b, err := EncodeGIF(frames, tt.fps)
			if err != nil {
				t.Fatal(err)
			}
			for i, d := range decodeGIF(t, b).Delay {
				if d != tt.delay {
					t.Errorf("frame %d delay %d, want %d", i, d, tt.delay)
				}
			}
		})
	}
}

func TestEncodeGIFErrors(t *testing.T) {
	frames := fewColorFrames(3)
	odd := append(fewColorFrames(2), image.NewRGBA(image.Rect(0, 0, 5, 5)))
	for _, tt := range []struct {
		desc   string
		frames []image.Image
		fps    float64
		msg    string
		size   bool // wraps ErrImageSize
	}{
		{"no frames", nil, 10, "no frames", false},
		{"nil frame", []image.Image{frames[0], nil}, 10, "frame 1 is nil", false},
		{"mismatched sizes", odd, 10, "frame 2 is 5x5, frame 0 is 5x4", true},
		{"empty frames", []image.Image{image.NewRGBA(image.Rect(0, 0, 0, 3))}, 10, "frames are 0x3", true},
		{"too wide for GIF", []image.Image{image.NewGray(image.Rect(0, 0, 1<<16, 1))}, 10, "frames are 65536x1", true},
		{"fps 0", frames, 0, "0 frames per second", false},
		{"negative fps", frames, -5, "-5 frames per second", false},
		{"NaN fps", frames, math.NaN(), "NaN frames per second", false},
		{"infinite fps", frames, math.Inf(1), "+Inf frames per second", false},
	} {
		t.Run(tt.desc, func(t *testing.T) {
			b, err := EncodeGIF(tt.frames, tt.fps)
			if err == nil || b != nil || !strings.Contains(err.Error(), tt.msg) || errors.Is(err, ErrImageSize) != tt.size {
				t.Errorf("EncodeGIF = %d bytes, %v; want an error saying %q (ErrImageSize: %v)", len(b), err, tt.msg, tt.size)
			}
		})
	}
}
