package chart_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/png"
	"log"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tbgo/tbgo/history"
	"github.com/tbgo/tbgo/history/chart"
	"github.com/tbgo/tbgo/summary"
)

// writeRuns writes runs named run0, run1, ... each with scalar tags
// t0..t(tags-1) and a histogram "h" at steps 0..9.
func writeRuns(t testing.TB, runs, tags int) string {
	t.Helper()
	logdir := t.TempDir()
	for r := range runs {
		w, err := summary.NewWriter(filepath.Join(logdir, fmt.Sprintf("run%d", r)), nil)
		if err != nil {
			t.Fatal(err)
		}
		for step := range int64(10) {
			for k := range tags {
				if err := w.Scalar(fmt.Sprintf("t%d", k), step, float64(r)+math.Sin(float64(step+int64(k)))); err != nil {
					t.Fatal(err)
				}
			}
			data := make([]float64, 100)
			for i := range data {
				data[i] = float64(i%10) + float64(r)
			}
			if err := w.Histogram("h", step, data); err != nil {
				t.Fatal(err)
			}
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
	}
	return logdir
}

func collect(t *testing.T, logdir string, o *chart.Options) ([]*chart.Chart, error) {
	t.Helper()
	src, err := history.Open(logdir)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	return chart.Collect(context.Background(), src, o)
}

func TestCollect(t *testing.T) {
	t.Parallel()
	charts, err := collect(t, writeRuns(t, 2, 2), &chart.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, c := range charts {
		got = append(got, fmt.Sprintf("%s %v %d", c.Tag, c.Histogram, len(c.Series)))
		for _, s := range c.Series {
			if len(s.Steps) != 10 || len(s.WallTimes) != 10 || len(s.Values)+len(s.Quantiles) != 10 {
				t.Errorf("%s of %s: %d steps", c.Tag, s.Run, len(s.Steps))
			}
		}
	}
	if want := "h true 2, t0 false 2, t1 false 2"; strings.Join(got, ", ") != want {
		t.Errorf("charts %s, want %s", strings.Join(got, ", "), want)
	}
}

// TestCollectTooManyCharts asks for more charts than the cap: the error
// counts the tags.
func TestCollectTooManyCharts(t *testing.T) {
	t.Parallel()
	_, err := collect(t, writeRuns(t, 1, 30), &chart.Options{MaxCharts: 10})
	if !errors.Is(err, chart.ErrTooManyCharts) || !strings.Contains(err.Error(), "31 tags") {
		t.Errorf("err = %v, want too many charts, counting 31 tags", err)
	}
	if _, err := collect(t, writeRuns(t, 1, 30), &chart.Options{}); err != nil {
		t.Errorf("31 tags under the default cap: %v", err)
	}
}

func TestDrawTooLarge(t *testing.T) {
	t.Parallel()
	charts, err := collect(t, writeRuns(t, 1, 1), &chart.Options{})
	if err != nil {
		t.Fatal(err)
	}
	o := &chart.Options{Width: 20000, Height: 20000}
	if err := chart.Draw(&bytes.Buffer{}, charts, o); !errors.Is(err, chart.ErrTooLarge) {
		t.Errorf("a 20000x20000 PNG: %v, want ErrTooLarge", err)
	}
	o.Format = chart.SVG // drawn as vectors, not in memory
	if err := chart.Draw(&bytes.Buffer{}, charts, o); err != nil {
		t.Errorf("a 20000x20000 SVG: %v", err)
	}
}

// TestDrawManyRuns draws more runs than there are colours: the image has
// its size and the legend does not crowd out the charts.
func TestDrawManyRuns(t *testing.T) {
	t.Parallel()
	charts, err := collect(t, writeRuns(t, 40, 1), &chart.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := chart.Draw(&b, charts, &chart.Options{Smooth: 0.6}); err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(&b)
	if err != nil {
		t.Fatal(err)
	}
	if sz := img.Bounds().Size(); sz != image.Pt(800, 400) {
		t.Errorf("image %v, want 800x400", sz)
	}
}

func TestParse(t *testing.T) {
	t.Parallel()
	for _, s := range []string{"step", "relative", "wall"} {
		if _, err := chart.ParseAxis(s); err != nil {
			t.Error(err)
		}
	}
	if _, err := chart.ParseAxis("epoch"); err == nil {
		t.Error("axis epoch parsed")
	}
	if f, err := chart.ParseFormat("SVG"); err != nil || f != chart.SVG {
		t.Errorf("SVG: %v, %v", f, err)
	}
	if _, err := chart.ParseFormat("gif"); err == nil || !strings.Contains(err.Error(), `"gif"`) {
		t.Errorf("gif: %v", err)
	}
}

// Draw the scalars and histograms of two runs as an SVG.
func ExampleDraw() {
	logdir, err := os.MkdirTemp("", "chart-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(logdir)
	for _, run := range []string{"train", "eval"} {
		w, err := summary.NewWriter(filepath.Join(logdir, run), nil)
		if err != nil {
			log.Fatal(err)
		}
		for step := range int64(20) {
			if err := w.Scalar("loss", step, math.Exp(-float64(step)/5)); err != nil {
				log.Fatal(err)
			}
		}
		if err := w.Close(); err != nil {
			log.Fatal(err)
		}
	}

	src, err := history.Open(logdir)
	if err != nil {
		log.Fatal(err)
	}
	defer src.Close()
	o := &chart.Options{Smooth: 0.6, Format: chart.SVG, Width: 640, Height: 320}
	charts, err := chart.Collect(context.Background(), src, o)
	if err != nil {
		log.Fatal(err)
	}
	var svg bytes.Buffer
	if err := chart.Draw(&svg, charts, o); err != nil {
		log.Fatal(err)
	}
	for _, c := range charts {
		fmt.Printf("%s: %d runs\n", c.Tag, len(c.Series))
	}
	fmt.Println(strings.Contains(svg.String(), `width="640pt"`))
	// Output:
	// loss: 2 runs
	// true
}
