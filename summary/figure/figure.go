// Package figure draws gonum/plot plots for TensorBoard's images dashboard:
// the counterpart of PyTorch's add_figure. It is the only package of tbgo
// that imports gonum.org/v1/plot (with its fonts, PDF, SVG and LaTeX
// packages), so a program that logs scalars, histograms, images and text
// with package summary alone never links them.
//
//	p := plot.New()
//	... add lines ...
//	err := figure.Write(w, "plots/loss", step, p, 4*vg.Inch, 3*vg.Inch)
package figure

import (
	"fmt"
	"image"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"

	"github.com/tbgo/tbgo/summary"
)

// MaxSide is the largest width or height, in pixels, that Render draws.
const MaxSide = 1 << 14

// Render draws p on a white canvas of width by height at dpi dots per
// inch; zero dpi means vgimg.DefaultDPI (96), the resolution of
// p.Save(width, height, "plot.png"). The image is
// round(width / vg.Inch * dpi) pixels wide, and as much high, so a figure
// of w by h pixels at d dpi is
//
//	Render(p, vg.Length(w)*vg.Inch/vg.Length(d), vg.Length(h)*vg.Inch/vg.Length(d), d)
//
// A size outside 1 to MaxSide pixels a side is an error wrapping
// summary.ErrImageSize. A panic while drawing (gonum/plot panics on some
// bad data, such as a non-positive value on a logarithmic axis) is
// returned as an error.
func Render(p *plot.Plot, width, height vg.Length, dpi int) (image.Image, error) {
	return render("figure: ", p, width, height, dpi)
}

// render is Render with errors starting with prefix.
func render(prefix string, p *plot.Plot, width, height vg.Length, dpi int) (img image.Image, err error) {
	if p == nil {
		return nil, fmt.Errorf("%snil plot", prefix)
	}
	if dpi < 0 {
		return nil, fmt.Errorf("%splot at %d dpi", prefix, dpi)
	}
	if dpi == 0 {
		dpi = vgimg.DefaultDPI
	}
	pw := math.Round(float64(width / vg.Inch * vg.Length(dpi)))
	ph := math.Round(float64(height / vg.Inch * vg.Length(dpi)))
	if !(pw >= 1 && pw <= MaxSide && ph >= 1 && ph <= MaxSide) {
		return nil, fmt.Errorf("%s%w: plot of %vx%v pt at %d dpi is %vx%v pixels, want 1 to %d a side",
			prefix, summary.ErrImageSize, width, height, dpi, pw, ph, MaxSide)
	}
	defer func() {
		if r := recover(); r != nil {
			img, err = nil, fmt.Errorf("%sdrawing panicked: %v", prefix, r)
		}
	}()
	c := vgimg.NewWith(vgimg.UseWH(width, height), vgimg.UseDPI(dpi))
	p.Draw(draw.New(c))
	return c.Image(), nil
}

// Write writes p, rendered by Render at width by height and 96 dpi, to w
// as a PNG image under tag at step. Nothing is written for a plot Render
// refuses.
func Write(w *summary.Writer, tag string, step int64, p *plot.Plot, width, height vg.Length) error {
	img, err := render(fmt.Sprintf("figure: %q: ", tag), p, width, height, 0)
	if err != nil {
		return err
	}
	return w.Image(tag, step, img)
}
