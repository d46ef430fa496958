package chart

import (
	"fmt"
	"image/color"
	"io"
	"math"
	"slices"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgsvg"

	"github.com/tbgo/tbgo/history"
	"github.com/tbgo/tbgo/internal/runes"
)

// RunColors are the colours of the runs, in run name order: TensorBoard's
// run colours. Runs past the last are drawn in the same colours again,
// with dashed lines.
var RunColors = [...]color.NRGBA{
	{0xff, 0x70, 0x43, 0xff}, {0x00, 0x77, 0xbb, 0xff}, {0xcc, 0x33, 0x11, 0xff}, {0x33, 0xbb, 0xee, 0xff},
	{0xee, 0x33, 0x77, 0xff}, {0x00, 0x99, 0x88, 0xff}, {0xbb, 0xbb, 0xbb, 0xff},
}

// dashes are the line patterns of each round of RunColors.
var dashes = [...][]vg.Length{nil, {vg.Points(6), vg.Points(3)}, {vg.Points(2), vg.Points(2)}, {vg.Points(8), vg.Points(3), vg.Points(2), vg.Points(3)}}

// runStyle is how a run is drawn in every chart.
type runStyle struct {
	color  color.NRGBA
	dashes []vg.Length
}

func fade(c color.NRGBA, alpha uint8) color.NRGBA {
	c.A = alpha
	return c
}

// Draw draws charts, as Collect returns them, in a grid with one legend
// of runs below it, and writes the image to w.
func Draw(w io.Writer, charts []*Chart, o *Options) error {
	if len(charts) == 0 {
		return fmt.Errorf("chart: nothing to draw")
	}
	cols := o.Cols
	if cols <= 0 {
		cols = min(2, len(charts))
	}
	cols = min(cols, len(charts))
	rows := (len(charts) + cols - 1) / cols
	width, height, dpi := o.Width, o.Height, o.DPI
	if width <= 0 {
		width = 800
	}
	if height <= 0 {
		height = 400 * rows
	}
	if dpi <= 0 {
		dpi = 96
	}
	if o.Format == PNG && int64(width)*int64(height) > MaxPixels {
		return fmt.Errorf("%w: %dx%d is %d pixels, more than the %d a PNG may have", ErrTooLarge, width, height, int64(width)*int64(height), MaxPixels)
	}

	// Every run has the same style in every chart.
	styles := map[string]runStyle{}
	var runs []string
	for _, c := range charts {
		for _, s := range c.Series {
			if _, ok := styles[s.Run]; !ok {
				styles[s.Run] = runStyle{}
				runs = append(runs, s.Run)
			}
		}
	}
	slices.Sort(runs)
	for i, r := range runs {
		styles[r] = runStyle{color: RunColors[i%len(RunColors)], dashes: dashes[(i/len(RunColors))%len(dashes)]}
	}

	grid := make([][]*plot.Plot, rows)
	for i, c := range charts {
		p, err := chartPlot(c, o, styles)
		if err != nil {
			return fmt.Errorf("chart %q: %w", c.Tag, err)
		}
		if grid[i/cols] == nil {
			grid[i/cols] = make([]*plot.Plot, cols)
		}
		grid[i/cols][i%cols] = p
	}

	var canvas vg.CanvasWriterTo
	switch o.Format {
	case PNG:
		// A pixel is 1/dpi inch, so the image is width x height pixels.
		inch := func(px int) vg.Length { return vg.Length(px) / vg.Length(dpi) * vg.Inch }
		canvas = vgimg.PngCanvas{Canvas: vgimg.NewWith(vgimg.UseWH(inch(width), inch(height)), vgimg.UseDPI(dpi))}
	case SVG:
		canvas = vgsvg.New(vg.Points(float64(width)), vg.Points(float64(height)))
	default:
		return fmt.Errorf("chart: unknown format %d", o.Format)
	}
	dc := draw.New(canvas)
	dc.SetColor(color.White)
	dc.Fill(dc.Rectangle.Path())
	lg := newLegend(runs, styles, dc.Max.X-dc.Min.X, (dc.Max.Y-dc.Min.Y)/4)
	plots := draw.Crop(dc, 0, 0, lg.height, 0)
	tiles := draw.Tiles{Rows: rows, Cols: cols, PadX: vg.Points(12), PadY: vg.Points(12),
		PadTop: vg.Points(6), PadBottom: vg.Points(6), PadLeft: vg.Points(6), PadRight: vg.Points(6)}
	canvases := plot.Align(grid, tiles, plots)
	for j := range grid {
		for i, p := range grid[j] {
			if p != nil {
				p.Draw(canvases[j][i])
			}
		}
	}
	lg.draw(draw.Crop(dc, 0, 0, 0, -(dc.Max.Y - dc.Min.Y - lg.height)))
	_, err := canvas.WriteTo(w)
	return err
}

// A legend names the runs' styles below the charts, where it hides no
// curve: entries left to right, wrapping.
type legend struct {
	style   text.Style
	entries []legendEntry
	more    string // "and N more runs", if some did not fit
	height  vg.Length
}

type legendEntry struct {
	name  string
	style runStyle
	x, y  vg.Length // from the legend's top left
}

const (
	legendPad    = vg.Length(6)
	legendSwatch = vg.Length(20)
	legendGap    = vg.Length(4)
	legendSpace  = vg.Length(14)
)

// newLegend lays out the runs' entries in width, within at most maxHeight.
func newLegend(runs []string, styles map[string]runStyle, width, maxHeight vg.Length) *legend {
	lg := &legend{style: plot.NewLegend().TextStyle}
	lg.style.Font.Size = vg.Points(10)
	lg.style.YAlign = draw.YCenter
	line := lg.style.Height("Mg") * 1.4
	x, y := legendPad, legendPad+line/2
	for i, r := range runs {
		name := runes.Shorten(r, 60)
		w := legendSwatch + legendGap + lg.style.Width(name)
		if x > legendPad && x+w > width-legendPad {
			x, y = legendPad, y+line
		}
		if y+line/2+legendPad > maxHeight && i > 0 {
			lg.more = fmt.Sprintf("and %d more runs", len(runs)-i)
			break
		}
		lg.entries = append(lg.entries, legendEntry{name: name, style: styles[r], x: x, y: y})
		x += w + legendSpace
	}
	if lg.more != "" {
		lg.entries = append(lg.entries, legendEntry{name: lg.more, x: x, y: y})
	}
	lg.height = y + line/2 + legendPad
	return lg
}

func (lg *legend) draw(c draw.Canvas) {
	top := c.Max.Y
	for _, e := range lg.entries {
		y := top - e.y
		x := c.Min.X + e.x
		if e.name != lg.more {
			c.StrokeLine2(draw.LineStyle{Color: e.style.color, Width: vg.Points(2), Dashes: e.style.dashes}, x, y, x+legendSwatch, y)
			x += legendSwatch + legendGap
		}
		c.FillText(lg.style, vg.Point{X: x, Y: y}, e.name)
	}
}

// xOf returns the x coordinate of point i of s.
func xOf(o *Options, s *Series, i int, unit float64) float64 {
	switch o.X {
	case Relative:
		return (s.WallTimes[i] - slices.Min(s.WallTimes)) / unit
	case Wall:
		return s.WallTimes[i]
	}
	return float64(s.Steps[i])
}

// relativeUnit picks seconds, minutes or hours for a relative-time axis.
func relativeUnit(c *Chart) (float64, string) {
	span := 0.0
	for _, s := range c.Series {
		if len(s.WallTimes) > 0 {
			span = max(span, slices.Max(s.WallTimes)-slices.Min(s.WallTimes))
		}
	}
	switch {
	case span >= 5*3600:
		return 3600, "relative time (hours)"
	case span >= 300:
		return 60, "relative time (minutes)"
	}
	return 1, "relative time (seconds)"
}

// usable reports whether a y value can be drawn.
func usable(o *Options, y float64) bool {
	return !math.IsNaN(y) && !math.IsInf(y, 0) && (!o.LogY || y > 0)
}

func chartPlot(c *Chart, o *Options, styles map[string]runStyle) (*plot.Plot, error) {
	p := plot.New()
	p.Title.Text = runes.Shorten(c.Tag, 80)
	p.Add(plotter.NewGrid())
	unit, label := 1.0, "step"
	switch o.X {
	case Step:
		p.X.Tick.Marker = stepTicks{}
	case Relative:
		unit, label = relativeUnit(c)
		p.X.Tick.Marker = roundTicks{}
	case Wall:
		label = "wall time (UTC)"
		p.X.Tick.Marker = timeTicks{}
	}
	p.X.Label.Text = label
	p.Y.Tick.Marker = roundTicks{}
	if o.LogY {
		p.Y.Scale = plot.LogScale{}
		p.Y.Tick.Marker = plot.LogTicks{Prec: -1}
	}
	drawn := 0
	for _, s := range c.Series {
		st := styles[s.Run]
		if c.Histogram {
			n, err := addBands(p, s, o, unit, st, len(c.Series) > 1)
			if err != nil {
				return nil, err
			}
			drawn += n
			continue
		}
		smoothed := history.Smooth(nil, s.Values, o.Smooth)
		var raw, smooth plotter.XYs
		for i, y := range s.Values {
			x := xOf(o, s, i, unit)
			if usable(o, y) {
				raw = append(raw, plotter.XY{X: x, Y: y})
			}
			if usable(o, smoothed[i]) {
				smooth = append(smooth, plotter.XY{X: x, Y: smoothed[i]})
			}
		}
		if len(smooth) == 0 {
			continue
		}
		if o.Smooth > 0 {
			faint, err := plotter.NewLine(raw)
			if err != nil {
				return nil, err
			}
			faint.Color = fade(st.color, 0x50)
			faint.Width = vg.Points(1)
			faint.Dashes = st.dashes
			p.Add(faint)
		}
		line, err := plotter.NewLine(smooth)
		if err != nil {
			return nil, err
		}
		line.Color = st.color
		line.Width = vg.Points(1.5)
		line.Dashes = st.dashes
		p.Add(line)
		if len(smooth) == 1 { // a single point draws no line
			pts, err := plotter.NewScatter(smooth)
			if err != nil {
				return nil, err
			}
			pts.Color = st.color
			p.Add(pts)
		}
		drawn++
	}
	if drawn == 0 {
		p.Title.Text += " (nothing to draw)"
		p.X.Min, p.X.Max, p.Y.Min, p.Y.Max = 0, 1, 1, 10 // a valid range for any scale
	}
	return p, nil
}

// addBands draws a run's histograms as the Distributions dashboard does:
// bands between the quantiles of history.BasisPoints, darker towards the
// median, and the median as a line. When several runs share the chart,
// each gets one faint band (the middle 68%, ±1σ of a normal) and its
// median, so that the runs stay apart.
func addBands(p *plot.Plot, s *Series, o *Options, unit float64, st runStyle, several bool) (int, error) {
	n := len(history.BasisPoints)
	var xs []float64
	var qs [][len(history.BasisPoints)]float64
	for i, d := range s.Quantiles {
		ok := true
		for _, y := range d {
			ok = ok && usable(o, y)
		}
		if ok {
			xs = append(xs, xOf(o, s, i, unit))
			qs = append(qs, d)
		}
	}
	if len(xs) == 0 {
		return 0, nil
	}
	first, last := 0, n/2
	if several {
		first, last = 2, 3
	}
	for band := first; band < last; band++ {
		lo, hi := band, n-1-band
		poly := make(plotter.XYs, 0, 2*len(xs))
		for i := range xs {
			poly = append(poly, plotter.XY{X: xs[i], Y: qs[i][hi]})
		}
		for i := len(xs) - 1; i >= 0; i-- {
			poly = append(poly, plotter.XY{X: xs[i], Y: qs[i][lo]})
		}
		if len(xs) == 1 { // one step: a sliver, so the band shows
			poly = plotter.XYs{{X: xs[0] - 0.5, Y: qs[0][hi]}, {X: xs[0] + 0.5, Y: qs[0][hi]},
				{X: xs[0] + 0.5, Y: qs[0][lo]}, {X: xs[0] - 0.5, Y: qs[0][lo]}}
		}
		pg, err := plotter.NewPolygon(poly)
		if err != nil {
			return 0, err
		}
		pg.Color = fade(st.color, uint8(0x30+0x18*band))
		if several {
			pg.Color = fade(st.color, 0x30)
		}
		pg.LineStyle.Width = 0
		p.Add(pg)
	}
	median := make(plotter.XYs, len(xs))
	for i := range xs {
		median[i] = plotter.XY{X: xs[i], Y: qs[i][n/2]}
	}
	line, err := plotter.NewLine(median)
	if err != nil {
		return 0, err
	}
	line.Color = st.color
	line.Width = vg.Points(1.5)
	line.Dashes = st.dashes
	p.Add(line)
	return 1, nil
}
