package main

import (
	"context"
	"errors"
	"fmt"
	"image/color"
	"io"
	"math"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgsvg"

	"github.com/tbgo/tbgo/history"
	"github.com/tbgo/tbgo/internal/atomicfile"
	"github.com/tbgo/tbgo/summary"
	"github.com/tbgo/tbgo/tfevents"
)

// plotConfig is what plot draws and how.
type plotConfig struct {
	source        string
	out           string
	format        string // "png" or "svg"
	read          history.Options
	smooth        float64
	x             string // "step", "relative" or "wall"
	logY          bool
	width, height int // pixels (PNG) or points (SVG) of the whole image; 0 picks
	cols          int // panels per row; 0 picks
	dpi           int
}

func runPlot(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("plot", "[flags] -o FILE.png|FILE.svg LOGDIR|RUN|FILE|ARCHIVE", stderr)
	out := fs.String("o", "", "output `file`, .png or .svg")
	format := fs.String("format", "", "png or svg (default: from -o's extension)")
	var runs, tags patternList
	fs.Var(&runs, "run", "select runs by `pattern` (glob, or re:REGEXP); repeatable")
	fs.Var(&tags, "tag", "select tags by `pattern` (glob, or re:REGEXP); repeatable (default every scalar and histogram tag)")
	smooth := fs.Float64("smooth", 0.6, "TensorBoard's smoothing weight, 0 (none) to below 1; the raw curve is drawn faint behind")
	x := fs.String("x", "step", "x axis: step, relative (time since the run's first value) or wall (wall-clock time)")
	logY := fs.Bool("logy", false, "logarithmic y axis (non-positive values are left out)")
	size := fs.String("size", "", "size of the whole image, `WxH` in pixels (PNG) or points (SVG); default 800 wide, 400 high per row of charts")
	cols := fs.Int("cols", 0, "charts per row (default 1 for one chart, else 2)")
	dpi := fs.Int("dpi", 96, "PNG resolution: pixels per inch, which scales the text")
	view := fs.String("view", "tensorboard", "tensorboard (what TensorBoard shows) or raw (every value as written)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return fmt.Errorf("%w: plot takes one LOGDIR, RUN, FILE or ARCHIVE", errUsage)
	}
	cfg := plotConfig{source: fs.Arg(0), out: *out, format: *format, smooth: *smooth, x: *x, logY: *logY, cols: *cols, dpi: *dpi}
	if cfg.out == "" {
		return fmt.Errorf("%w: plot needs -o FILE.png or -o FILE.svg", errUsage)
	}
	if cfg.format == "" {
		cfg.format = strings.TrimPrefix(strings.ToLower(filepath.Ext(cfg.out)), ".")
	}
	if cfg.format != "png" && cfg.format != "svg" {
		return fmt.Errorf("%w: unknown image format %q (want png or svg)", errUsage, cfg.format)
	}
	if !(cfg.smooth >= 0 && cfg.smooth < 1) {
		return fmt.Errorf("%w: -smooth %v is outside [0, 1)", errUsage, cfg.smooth)
	}
	if cfg.x != "step" && cfg.x != "relative" && cfg.x != "wall" {
		return fmt.Errorf("%w: unknown -x %q (want step, relative or wall)", errUsage, cfg.x)
	}
	if *size != "" {
		w, h, ok := strings.Cut(*size, "x")
		var err1, err2 error
		cfg.width, err1 = strconv.Atoi(w)
		cfg.height, err2 = strconv.Atoi(h)
		if !ok || err1 != nil || err2 != nil || cfg.width < 50 || cfg.height < 50 || cfg.width > 20000 || cfg.height > 20000 {
			return fmt.Errorf("%w: -size %q: want WxH, each from 50 to 20000", errUsage, *size)
		}
	}
	if cfg.cols < 0 || cfg.dpi < 10 || cfg.dpi > 1200 {
		return fmt.Errorf("%w: -cols must not be negative and -dpi must be from 10 to 1200", errUsage)
	}
	var err error
	if cfg.read.View, err = history.ParseView(*view); err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	if cfg.read.Runs, cfg.read.Tags, err = compileSelection(runs, tags); err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	charts, err := collectCharts(ctx, &cfg, stderr)
	if err != nil {
		return err
	}
	f, err := atomicfile.Create(cfg.out, 0)
	if err != nil {
		var pe *os.PathError // its path is the temporary file's, which would only confuse
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return fmt.Errorf("cannot write %s: %w", cfg.out, err)
	}
	defer f.Abort()
	if err := renderCharts(f, charts, &cfg); err != nil {
		return err
	}
	if err := f.Commit(); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %s: %d chart(s)\n", cfg.out, len(charts))
	return nil
}

// A chart is one tag: a line per run for scalars, percentile bands per
// run for histograms.
type chart struct {
	tag       string
	histogram bool
	series    []*chartSeries // in run order
}

// chartSeries is one run's values of a chart's tag.
type chartSeries struct {
	run   string
	steps []int64
	walls []float64
	ys    []float64                           // scalars
	dists [][len(history.BasisPoints)]float64 // histograms
}

// collectCharts reads the values to draw: every selected scalar and
// histogram series, in memory (what is drawn is what is held).
func collectCharts(ctx context.Context, cfg *plotConfig, stderr io.Writer) ([]*chart, error) {
	src, err := history.Open(cfg.source)
	if err != nil {
		return nil, err
	}
	defer src.Close()
	read := cfg.read
	read.Damaged = func(d *tfevents.Damage) error {
		fmt.Fprintf(stderr, "tbgo: warning: %v\n", d)
		return nil
	}
	charts := map[string]*chart{}
	type seriesKey struct{ run, tag string }
	series := map[seriesKey]*chartSeries{}
	err = src.Values(ctx, &read, func(v *history.Value) error {
		if v.Kind != summary.KindScalar && v.Kind != summary.KindHistogram {
			return nil
		}
		c := charts[v.Tag]
		if c == nil {
			c = &chart{tag: v.Tag, histogram: v.Kind == summary.KindHistogram}
			charts[v.Tag] = c
		}
		if c.histogram != (v.Kind == summary.KindHistogram) {
			return nil // TensorBoard keeps a series' first kind, too
		}
		k := seriesKey{v.Run, v.Tag}
		s := series[k]
		if s == nil {
			s = &chartSeries{run: v.Run}
			series[k] = s
			c.series = append(c.series, s)
		}
		s.steps = append(s.steps, v.Step)
		s.walls = append(s.walls, v.WallTime)
		if c.histogram {
			s.dists = append(s.dists, history.Distribution(v.Buckets))
		} else {
			s.ys = append(s.ys, v.Scalar)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(charts) == 0 {
		return nil, fmt.Errorf("%s: no scalar or histogram values match -run %s -tag %s", src.Path(), cfg.read.Runs, cfg.read.Tags)
	}
	out := make([]*chart, 0, len(charts))
	for _, c := range charts {
		out = append(out, c)
	}
	slices.SortFunc(out, func(a, b *chart) int { return strings.Compare(a.tag, b.tag) })
	return out, nil
}

// runColors are TensorBoard's run colours.
var runColors = []color.NRGBA{
	{0xff, 0x70, 0x43, 0xff}, {0x00, 0x77, 0xbb, 0xff}, {0xcc, 0x33, 0x11, 0xff}, {0x33, 0xbb, 0xee, 0xff},
	{0xee, 0x33, 0x77, 0xff}, {0x00, 0x99, 0x88, 0xff}, {0xbb, 0xbb, 0xbb, 0xff},
}

func fade(c color.NRGBA, alpha uint8) color.NRGBA {
	c.A = alpha
	return c
}

// renderCharts draws the charts in a grid and writes the image to w.
func renderCharts(w io.Writer, charts []*chart, cfg *plotConfig) error {
	cols := cfg.cols
	if cols == 0 {
		cols = min(2, len(charts))
	}
	cols = min(cols, len(charts))
	rows := (len(charts) + cols - 1) / cols
	width, height := cfg.width, cfg.height
	if width == 0 {
		width = 800
	}
	if height == 0 {
		height = 400 * rows
	}
	// Every run gets the same colour in every chart.
	colors := map[string]color.NRGBA{}
	var runs []string
	for _, c := range charts {
		for _, s := range c.series {
			if _, ok := colors[s.run]; !ok {
				runs = append(runs, s.run)
				colors[s.run] = runColors[0]
			}
		}
	}
	slices.Sort(runs)
	for i, r := range runs {
		colors[r] = runColors[i%len(runColors)]
	}

	grid := make([][]*plot.Plot, rows)
	for i, c := range charts {
		p, err := chartPlot(c, cfg, colors)
		if err != nil {
			return fmt.Errorf("chart %q: %w", c.tag, err)
		}
		if grid[i/cols] == nil {
			grid[i/cols] = make([]*plot.Plot, cols)
		}
		grid[i/cols][i%cols] = p
	}

	var canvas vg.CanvasWriterTo
	switch cfg.format {
	case "png":
		// A pixel is 1/dpi inch, so the image is width x height pixels.
		inch := func(px int) vg.Length { return vg.Length(px) / vg.Length(cfg.dpi) * vg.Inch }
		c := vgimg.NewWith(vgimg.UseWH(inch(width), inch(height)), vgimg.UseDPI(cfg.dpi))
		canvas = vgimg.PngCanvas{Canvas: c}
	case "svg":
		canvas = vgsvg.New(vg.Points(float64(width)), vg.Points(float64(height)))
	}
	dc := draw.New(canvas)
	dc.SetColor(color.White)
	dc.Fill(dc.Rectangle.Path())
	tiles := draw.Tiles{Rows: rows, Cols: cols, PadX: vg.Points(12), PadY: vg.Points(12),
		PadTop: vg.Points(6), PadBottom: vg.Points(6), PadLeft: vg.Points(6), PadRight: vg.Points(6)}
	canvases := plot.Align(grid, tiles, dc)
	for j := range grid {
		for i, p := range grid[j] {
			if p != nil {
				p.Draw(canvases[j][i])
			}
		}
	}
	_, err := canvas.WriteTo(w)
	return err
}

// xOf returns the x coordinate of point i of s.
func xOf(cfg *plotConfig, s *chartSeries, i int, unit float64) float64 {
	switch cfg.x {
	case "relative":
		return (s.walls[i] - slices.Min(s.walls)) / unit
	case "wall":
		return s.walls[i]
	}
	return float64(s.steps[i])
}

// relativeUnit picks seconds, minutes or hours for a relative-time axis.
func relativeUnit(c *chart) (float64, string) {
	span := 0.0
	for _, s := range c.series {
		if len(s.walls) > 0 {
			span = max(span, slices.Max(s.walls)-slices.Min(s.walls))
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
func usable(cfg *plotConfig, y float64) bool {
	return !math.IsNaN(y) && !math.IsInf(y, 0) && (!cfg.logY || y > 0)
}

func chartPlot(c *chart, cfg *plotConfig, colors map[string]color.NRGBA) (*plot.Plot, error) {
	p := plot.New()
	p.Title.Text = c.tag
	p.Add(plotter.NewGrid())
	p.Legend.Top = true
	p.Legend.ThumbnailWidth = vg.Points(12)
	unit, label := 1.0, "step"
	switch cfg.x {
	case "relative":
		unit, label = relativeUnit(c)
	case "wall":
		label = "wall time (UTC)"
		p.X.Tick.Marker = plot.TimeTicks{Format: "2006-01-02\n15:04:05", Time: func(t float64) time.Time { return wallTime(t) }}
	}
	p.X.Label.Text = label
	if cfg.logY {
		p.Y.Scale = plot.LogScale{}
		p.Y.Tick.Marker = plot.LogTicks{Prec: -1}
	}
	drawn := 0
	for _, s := range c.series {
		col := colors[s.run]
		if c.histogram {
			n, err := addBands(p, s, cfg, unit, col)
			if err != nil {
				return nil, err
			}
			drawn += n
			continue
		}
		smoothed := history.Smooth(nil, s.ys, cfg.smooth)
		var raw, smooth plotter.XYs
		for i, y := range s.ys {
			x := xOf(cfg, s, i, unit)
			if usable(cfg, y) {
				raw = append(raw, plotter.XY{X: x, Y: y})
			}
			if usable(cfg, smoothed[i]) {
				smooth = append(smooth, plotter.XY{X: x, Y: smoothed[i]})
			}
		}
		if len(smooth) == 0 {
			continue
		}
		if cfg.smooth > 0 {
			faint, err := plotter.NewLine(raw)
			if err != nil {
				return nil, err
			}
			faint.Color = fade(col, 0x50)
			faint.Width = vg.Points(1)
			p.Add(faint)
		}
		line, err := plotter.NewLine(smooth)
		if err != nil {
			return nil, err
		}
		line.Color = col
		line.Width = vg.Points(1.5)
		p.Add(line)
		p.Legend.Add(s.run, line)
		if len(smooth) == 1 { // a single point draws no line
			pts, err := plotter.NewScatter(smooth)
			if err != nil {
				return nil, err
			}
			pts.Color = col
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
// median, and the median as a line.
func addBands(p *plot.Plot, s *chartSeries, cfg *plotConfig, unit float64, col color.NRGBA) (int, error) {
	n := len(history.BasisPoints)
	var xs []float64
	var qs [][len(history.BasisPoints)]float64
	for i, d := range s.dists {
		ok := true
		for _, y := range d {
			ok = ok && usable(cfg, y)
		}
		if ok {
			xs = append(xs, xOf(cfg, s, i, unit))
			qs = append(qs, d)
		}
	}
	if len(xs) == 0 {
		return 0, nil
	}
	for band := 0; band < n/2; band++ {
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
		pg.Color = fade(col, uint8(0x30+0x18*band))
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
	line.Color = col
	line.Width = vg.Points(1)
	p.Add(line)
	p.Legend.Add(s.run, line)
	return 1, nil
}
