package figure_test

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"math"
	"strings"
	"testing"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"

	"github.com/tbgo/tbgo/proto/tbpb"
	"github.com/tbgo/tbgo/summary"
	"github.com/tbgo/tbgo/summary/figure"
)

// testPlot returns a plot of a parabola with a title and axis labels.
func testPlot(t *testing.T) *plot.Plot {
	t.Helper()
	p := plot.New()
	p.Title.Text = "loss"
	p.X.Label.Text = "step"
	p.Y.Label.Text = "value"
	pts := make(plotter.XYs, 20)
	for i := range pts {
		pts[i].X, pts[i].Y = float64(i), float64((i-10)*(i-10))
	}
	line, err := plotter.NewLine(pts)
	if err != nil {
		t.Fatal(err)
	}
	line.Color = color.RGBA{200, 0, 0, 255}
	p.Add(line)
	return p
}

// plotColors counts the distinct colours of img.
func plotColors(img image.Image) map[color.RGBA]int {
	seen := map[color.RGBA]int{}
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			seen[color.RGBAModel.Convert(img.At(x, y)).(color.RGBA)]++
		}
	}
	return seen
}

func TestRender(t *testing.T) {
	for _, tt := range []struct {
		desc          string
		width, height vg.Length
		dpi           int
		w, h          int
	}{
		{"4x3 inches at the default 96 dpi", 4 * vg.Inch, 3 * vg.Inch, 0, 384, 288},
		{"2x1 inches at 200 dpi", 2 * vg.Inch, 1 * vg.Inch, 200, 400, 200},
		{"640x480 pixels at 96 dpi", 640 * vg.Inch / 96, 480 * vg.Inch / 96, 96, 640, 480},
		{"points round to the nearest pixel", 300.4, 200.6, 72, 300, 201},
	} {
		t.Run(tt.desc, func(t *testing.T) {
			img, err := figure.Render(testPlot(t), tt.width, tt.height, tt.dpi)
			if err != nil {
				t.Fatal(err)
			}
			if got := img.Bounds(); got != image.Rect(0, 0, tt.w, tt.h) {
				t.Fatalf("bounds %v, want %dx%d", got, tt.w, tt.h)
			}
			if got := rgbaAt(img, 0, 0); got != (color.RGBA{255, 255, 255, 255}) {
				t.Errorf("corner is %v, want the white background", got)
			}
			// Axes and text are black, the line red; antialiasing blends
			// them with the background.
			seen := plotColors(img)
			dark, red := 0, 0
			for c, n := range seen {
				switch {
				case c.R < 100 && c.G < 100 && c.B < 100:
					dark += n
				case c.R > 150 && c.G < 100 && c.B < 100:
					red += n
				}
			}
			if dark < 100 || red < 20 || len(seen) < 10 {
				t.Errorf("%d colours, %d dark and %d red pixels: the plot was not drawn", len(seen), dark, red)
			}
		})
	}
}

func TestRenderErrors(t *testing.T) {
	logOfNegative := plot.New()
	logOfNegative.X.Scale = plot.LogScale{}
	logOfNegative.X.Tick.Marker = plot.LogTicks{}
	logOfNegative.X.Min, logOfNegative.X.Max = -1, 10
	for _, tt := range []struct {
		desc          string
		p             *plot.Plot
		width, height vg.Length
		dpi           int
		msg           string
	}{
		{"nil plot", nil, vg.Inch, vg.Inch, 0, "nil plot"},
		{"zero width", plot.New(), 0, vg.Inch, 0, "is 0x96 pixels"},
		{"negative height", plot.New(), vg.Inch, -vg.Inch, 0, "is 96x-96 pixels"},
		{"NaN width", plot.New(), vg.Length(math.NaN()), vg.Inch, 0, "NaNx96 pixels"},
		{"under half a pixel", plot.New(), 0.3, vg.Inch, 72, "is 0x72 pixels"},
		{"too large", plot.New(), 200 * vg.Inch, vg.Inch, 100, "is 20000x100 pixels"},
		{"negative dpi", plot.New(), vg.Inch, vg.Inch, -1, "at -1 dpi"},
		{"a panic while drawing", logOfNegative, vg.Inch, vg.Inch, 0, "drawing panicked"},
	} {
		t.Run(tt.desc, func(t *testing.T) {
			img, err := figure.Render(tt.p, tt.width, tt.height, tt.dpi)
			if err == nil || img != nil || !strings.HasPrefix(err.Error(), "figure: ") || !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("Render = %v, %v; want an error saying %q", img, err, tt.msg)
			}
		})
	}
}

// rgbaAt returns the colour of img at (x, y) relative to its bounds, as
// 8-bit RGBA.
func rgbaAt(img image.Image, x, y int) color.RGBA {
	b := img.Bounds()
	return color.RGBAModel.Convert(img.At(b.Min.X+x, b.Min.Y+y)).(color.RGBA)
}

// What Write writes, the Decoder reads back as a PNG of what Render draws.
func TestWriteDecode(t *testing.T) {
	p := testPlot(t)
	want, err := figure.Render(p, 3*vg.Inch, 2*vg.Inch, 0)
	if err != nil {
		t.Fatal(err)
	}
	w, err := summary.NewWriter(t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := figure.Write(w, "fig", 2, nil, vg.Inch, vg.Inch); err == nil || !strings.HasPrefix(err.Error(), `figure: "fig": `) {
		t.Errorf("Write of a nil plot = %v, want an error naming the tag", err)
	}
	if err := figure.Write(w, "fig", 3, p, 3*vg.Inch, 2*vg.Inch); err != nil {
		t.Fatal(err)
	}
	vals := readBack(w)
	if len(vals) != 1 {
		t.Fatalf("%d values, want 1", len(vals))
	}
	v := vals[0]
	if v.Kind != summary.KindImage || v.Tag != "fig" || v.Step != 3 || v.Width != 288 || v.Height != 192 ||
		v.DataClass != tbpb.DataClass_DATA_CLASS_BLOB_SEQUENCE || len(v.Blobs) != 1 {
		t.Fatalf("value = %+v", v)
	}
	got, err := png.Decode(bytes.NewReader(v.Blobs[0]))
	if err != nil {
		t.Fatal(err)
	}
	if got.Bounds() != want.Bounds() {
		t.Fatalf("PNG bounds %v, want %v", got.Bounds(), want.Bounds())
	}
	for y := range 192 {
		for x := range 288 {
			if g, w := rgbaAt(got, x, y), rgbaAt(want, x, y); g != w {
				t.Fatalf("pixel (%d, %d) = %v, Render drew %v", x, y, g, w)
			}
		}
	}
}
