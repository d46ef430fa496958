// Package chart draws run histories as TensorBoard's dashboards do, as PNG
// or SVG: scalars as a debiased exponential moving average over the faint
// raw curve, several runs overlaid, and histograms as the percentile bands
// of the Distributions dashboard. It is the library behind "tbgo plot".
//
// Collect reads what to draw from a history.Source, one Chart per tag,
// holding the values it draws; Draw lays the charts out in a grid, with
// one legend of runs for all of them, and writes the image.
//
// It imports gonum.org/v1/plot and its fonts, which is why it is a
// package of its own: history does not pay for it.
//
// # Bounds
//
// A plot holds at most Options.MaxCharts charts (DefaultMaxCharts): more
// tags than that is an error wrapping ErrTooManyCharts, which says how
// many there are, before any of their values is kept. A PNG holds at most
// MaxPixels pixels (a PNG is drawn in memory, four bytes a pixel): a
// larger size is an error wrapping ErrTooLarge.
package chart

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/tbgo/tbgo/history"
	"github.com/tbgo/tbgo/summary"
)

// Limits of a plot.
const (
	// DefaultMaxCharts is how many charts a plot holds unless
	// Options.MaxCharts says otherwise.
	DefaultMaxCharts = 64
	// MaxPixels is the most pixels a PNG may have: 40 million, 160 MB
	// while it is drawn.
	MaxPixels = 40_000_000
)

// Errors that bound a plot.
var (
	ErrTooManyCharts = errors.New("chart: too many charts")
	ErrTooLarge      = errors.New("chart: image too large")
)

// An Axis is what the x axis shows.
type Axis int

const (
	// Step is the step (the zero Axis).
	Step Axis = iota
	// Relative is the time since the run's first value.
	Relative
	// Wall is the wall-clock time.
	Wall
)

// ParseAxis returns the Axis named "step", "relative" or "wall".
func ParseAxis(s string) (Axis, error) {
	switch s {
	case "step":
		return Step, nil
	case "relative":
		return Relative, nil
	case "wall":
		return Wall, nil
	}
	return 0, fmt.Errorf("chart: unknown x axis %q (want step, relative or wall)", s)
}

// A Format is an image format.
type Format int

const (
	// PNG is the zero Format.
	PNG Format = iota
	SVG
)

// ParseFormat returns the Format named "png" or "svg".
func ParseFormat(s string) (Format, error) {
	switch strings.ToLower(s) {
	case "png":
		return PNG, nil
	case "svg":
		return SVG, nil
	}
	return 0, fmt.Errorf("chart: unknown image format %q (want png or svg)", s)
}

// Options say what to draw and how. The zero Options draws every scalar
// and histogram tag of every run, as written, unsmoothed, against the
// step, as an 800-pixel-wide PNG.
type Options struct {
	// Read selects runs, tags and the view; its Damaged is called with
	// the damage read past.
	Read history.Options
	// MaxCharts caps the number of charts; zero means DefaultMaxCharts.
	MaxCharts int

	// Smooth is TensorBoard's smoothing weight, from 0 (none) to below 1.
	Smooth float64
	// X is what the x axis shows.
	X Axis
	// LogY makes the y axis logarithmic; values not above zero are left
	// out.
	LogY bool
	// Format is the image's format.
	Format Format
	// Width and Height are the size of the whole image in pixels (PNG)
	// or points (SVG); zero means 800 wide and 400 high per row of
	// charts.
	Width, Height int
	// Cols is the number of charts per row; zero means 1 for one chart,
	// else 2.
	Cols int
	// DPI is a PNG's pixels per inch, which scales its text; zero means
	// 96.
	DPI int
}

// A Chart is one tag: a line per run for scalars, percentile bands per
// run for histograms.
type Chart struct {
	Tag       string
	Histogram bool
	Series    []*Series // in the order runs were read
}

// A Series is one run's values of a chart's tag, in the order read.
type Series struct {
	Run       string
	Steps     []int64
	WallTimes []float64
	// Values are a scalar chart's values.
	Values []float64
	// Quantiles are a histogram chart's quantiles at
	// history.BasisPoints.
	Quantiles [][len(history.BasisPoints)]float64
}

// Collect reads the charts to draw from src: one per selected tag with
// scalar or histogram values, in tag order. A tag whose first value is a
// histogram is a histogram chart, and its scalar values are left out, as
// TensorBoard keeps a series' first kind. The charts hold every value
// drawn.
//
// More than MaxCharts tags is an error wrapping ErrTooManyCharts, read to
// the end to count them but without keeping their values. No tag at all
// is an error too.
func Collect(ctx context.Context, src *history.Source, o *Options) ([]*Chart, error) {
	maxCharts := o.MaxCharts
	if maxCharts <= 0 {
		maxCharts = DefaultMaxCharts
	}
	charts := map[string]*Chart{}
	var over map[string]bool // tags past maxCharts, counted only
	type seriesKey struct{ run, tag string }
	series := map[seriesKey]*Series{}
	read := o.Read
	err := src.Values(ctx, &read, func(v *history.Value) error {
		if v.Kind != summary.KindScalar && v.Kind != summary.KindHistogram {
			return nil
		}
		c := charts[v.Tag]
		if c == nil {
			if over != nil || len(charts) == maxCharts {
				if over == nil {
					over = map[string]bool{}
				}
				over[v.Tag] = true
				return nil
			}
			c = &Chart{Tag: v.Tag, Histogram: v.Kind == summary.KindHistogram}
			charts[v.Tag] = c
		}
		if c.Histogram != (v.Kind == summary.KindHistogram) {
			return nil
		}
		k := seriesKey{v.Run, v.Tag}
		s := series[k]
		if s == nil {
			s = &Series{Run: v.Run}
			series[k] = s
			c.Series = append(c.Series, s)
		}
		s.Steps = append(s.Steps, v.Step)
		s.WallTimes = append(s.WallTimes, v.WallTime)
		if c.Histogram {
			s.Quantiles = append(s.Quantiles, history.Distribution(v.Buckets))
		} else {
			s.Values = append(s.Values, v.Scalar)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if over != nil {
		return nil, fmt.Errorf("%w: %d tags to draw, more than the %d charts a plot holds", ErrTooManyCharts, len(charts)+len(over), maxCharts)
	}
	if len(charts) == 0 {
		return nil, fmt.Errorf("chart: %s: no scalar or histogram values match runs %s, tags %s", src.Path(), o.Read.Runs, o.Read.Tags)
	}
	out := make([]*Chart, 0, len(charts))
	for _, c := range charts {
		out = append(out, c)
	}
	slices.SortFunc(out, func(a, b *Chart) int { return strings.Compare(a.Tag, b.Tag) })
	return out, nil
}
