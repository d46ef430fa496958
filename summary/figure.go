package summary

import (
	"fmt"
	"image"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// MaxFigureSide is the largest width or height, in pixels, that
// RenderPlot draws.
const MaxFigureSide = 1 << 14

// RenderPlot draws p on a white canvas of width by height at dpi dots per
// inch; zero dpi means vgimg.DefaultDPI (96), the resolution of
// p.Save(width, height, "plot.png"). The image is
// round(width / vg.Inch * dpi) pixels wide, and as much high, so a figure
// of w by h pixels at d dpi is
//
//	RenderPlot(p, vg.Length(w)*vg.Inch/vg.Length(d), vg.Length(h)*vg.Inch/vg.Length(d), d)
//
// A panic while drawing (gonum/plot panics on some bad data, such as a
// non-positive value on a logarithmic axis) is returned as an error.
func RenderPlot(p *plot.Plot, width, height vg.Length, dpi int) (image.Image, error) {
	return renderPlot("plot", p, width, height, dpi)
}

// renderPlot is RenderPlot with errors about what, such as `figure "tag"`.
func renderPlot(what string, p *plot.Plot, width, height vg.Length, dpi int) (img image.Image, err error) {
	if p == nil {
		return nil, fmt.Errorf("summary: %s: nil plot", what)
	}
	if dpi < 0 {
		return nil, fmt.Errorf("summary: %s at %d dpi", what, dpi)
	}
	if dpi == 0 {
		dpi = vgimg.DefaultDPI
	}
	pw := math.Round(float64(width / vg.Inch * vg.Length(dpi)))
	ph := math.Round(float64(height / vg.Inch * vg.Length(dpi)))
	if !(pw >= 1 && pw <= MaxFigureSide && ph >= 1 && ph <= MaxFigureSide) {
		return nil, fmt.Errorf("%w: %s of %vx%v pt at %d dpi is %vx%v pixels, want 1 to %d a side",
			ErrImageSize, what, width, height, dpi, pw, ph, MaxFigureSide)
	}
	defer func() {
		if r := recover(); r != nil {
			img, err = nil, fmt.Errorf("summary: %s: drawing panicked: %v", what, r)
		}
	}()
	c := vgimg.NewWith(vgimg.UseWH(width, height), vgimg.UseDPI(dpi))
	p.Draw(draw.New(c))
	return c.Image(), nil
}

// Figure writes p, rendered by RenderPlot at width by height and 96 dpi,
// as a PNG image: the counterpart of PyTorch's add_figure.
func (w *Writer) Figure(tag string, step int64, p *plot.Plot, width, height vg.Length) error {
	if err := checkTag(tag); err != nil {
		return err
	}
	img, err := renderPlot(fmt.Sprintf("figure %q", tag), p, width, height, 0)
	if err != nil {
		return err
	}
	return w.Image(tag, step, img)
}
