package main

import (
	"bytes"
	"encoding/xml"
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tbgo/tbgo/history/chart"
)

// plotLogdir writes two runs of a scalar (with NaN and a non-positive
// value, which log scale leaves out) and a histogram.
func plotLogdir(t *testing.T) string {
	t.Helper()
	logdir := t.TempDir()
	for r, run := range []string{"a", "b"} {
		now := unix(1700000000)
		w := clockWriter(t, filepath.Join(logdir, run), &now)
		for step := range int64(50) {
			now = unix(1700000000 + float64(step)*60)
			v := math.Exp(-float64(step)/10) * float64(r+1)
			if step == 7 {
				v = math.NaN()
			}
			if step == 9 && r == 1 {
				v = -1
			}
			if err := w.Scalar("loss", step, v); err != nil {
				t.Fatal(err)
			}
			if step%5 == 0 {
				data := make([]float64, 200)
				for i := range data {
					data[i] = math.Sin(float64(i)) * float64(step+1)
				}
				if err := w.Histogram("weights", step, data); err != nil {
					t.Fatal(err)
				}
			}
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
	}
	return logdir
}

func TestPlotPNG(t *testing.T) {
	t.Parallel()
	logdir := plotLogdir(t)
	tests := []struct {
		desc string
		args []string
		w, h int
	}{
		{desc: "default size, two charts side by side", w: 800, h: 400},
		{desc: "asked size", args: []string{"-size", "640x480"}, w: 640, h: 480},
		{desc: "log scale, relative time", args: []string{"-size", "300x900", "-logy", "-x", "relative", "-cols", "1"}, w: 300, h: 900},
		{desc: "wall time, no smoothing, one tag", args: []string{"-size", "500x200", "-x", "wall", "-smooth", "0", "-tag", "loss"}, w: 500, h: 200},
		{desc: "high dpi", args: []string{"-size", "400x300", "-dpi", "192", "-view", "raw"}, w: 400, h: 300},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			t.Parallel()
			out := filepath.Join(t.TempDir(), "p.png")
			if _, stderr, err := runTool(t, append(append([]string{"plot", "-o", out}, tc.args...), logdir)...); err != nil {
				t.Fatalf("%v\n%s", err, stderr)
			}
			f, err := os.Open(out)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			img, err := png.Decode(f)
			if err != nil {
				t.Fatal(err)
			}
			if sz := img.Bounds().Size(); sz != image.Pt(tc.w, tc.h) {
				t.Errorf("image is %v, want %dx%d", sz, tc.w, tc.h)
			}
			colours := map[color.NRGBA]int{}
			for y := img.Bounds().Min.Y; y < img.Bounds().Max.Y; y += 2 {
				for x := img.Bounds().Min.X; x < img.Bounds().Max.X; x += 2 {
					colours[color.NRGBAModel.Convert(img.At(x, y)).(color.NRGBA)]++
				}
			}
			// Background, text and grid, and each run's colour in full
			// and faded: a blank or one-colour image has far fewer.
			if len(colours) < 8 {
				t.Errorf("only %d colours", len(colours))
			}
			for _, run := range chart.RunColors[:2] {
				if colours[run] == 0 {
					t.Errorf("run colour %v not drawn", run)
				}
			}
		})
	}
}

func TestPlotSVG(t *testing.T) {
	t.Parallel()
	logdir := plotLogdir(t)
	out := filepath.Join(t.TempDir(), "p.svg")
	if _, _, err := runTool(t, "plot", "-o", out, "-size", "720x360", logdir); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		XMLName xml.Name
		Width   string `xml:"width,attr"`
		Height  string `xml:"height,attr"`
	}
	if err := xml.Unmarshal(b, &doc); err != nil {
		t.Fatalf("not SVG: %v", err)
	}
	if doc.XMLName.Local != "svg" || doc.Width != "720pt" || doc.Height != "360pt" {
		t.Errorf("svg %s %sx%s, want svg 720pt x 360pt", doc.XMLName.Local, doc.Width, doc.Height)
	}
	if n := bytes.Count(b, []byte("<path")); n < 10 {
		t.Errorf("%d paths: nothing drawn?", n)
	}
	if !bytes.Contains(bytes.ToLower(b), []byte("#ff7043")) {
		t.Error("the first run's colour is not in the SVG")
	}
}

func TestPlotBadInput(t *testing.T) {
	t.Parallel()
	logdir := plotLogdir(t)
	dir := t.TempDir()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{logdir}, "-o"},
		{[]string{"-o", filepath.Join(dir, "p.gif"), logdir}, `"gif"`},
		{[]string{"-o", filepath.Join(dir, "p.png"), "-smooth", "1", logdir}, "-smooth"},
		{[]string{"-o", filepath.Join(dir, "p.png"), "-size", "10x10", logdir}, "-size"},
		{[]string{"-o", filepath.Join(dir, "p.png"), "-size", "big", logdir}, "-size"},
		{[]string{"-o", filepath.Join(dir, "p.png"), "-x", "epoch", logdir}, "epoch"},
		{[]string{"-o", filepath.Join(dir, "p.png"), "-tag", "nope", logdir}, "no scalar or histogram"},
		{[]string{"-o", filepath.Join(dir, "p.png"), t.TempDir()}, "no event files"},
		{[]string{"-o", filepath.Join(dir, "missing", "p.png"), logdir}, "cannot write"},
	} {
		_, _, err := runTool(t, append([]string{"plot"}, tc.args...)...)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("plot %q: %v, want an error saying %s", tc.args, err, tc.want)
		}
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("left behind: %v", entries)
	}
}

// TestPlotStdoutAndWarnings writes the image to standard output with -o -
// (status messages go to standard error) and warns about a -tag or -run
// that matches nothing.
func TestPlotStdoutAndWarnings(t *testing.T) {
	t.Parallel()
	logdir := plotLogdir(t)
	out, status, err := runTool(t, "plot", "-o", "-", "-tag", "loss", "-tag", "nope", "-run", "zz*", "-run", "a", logdir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := png.Decode(strings.NewReader(out)); err != nil {
		t.Errorf("-o - did not write a PNG to stdout: %v", err)
	}
	for _, want := range []string{`-tag "nope" selects nothing`, `-run "zz*" selects nothing`} {
		if !strings.Contains(status, want) {
			t.Errorf("stderr lacks %q:\n%s", want, status)
		}
	}
	if strings.Contains(status, `"loss" selects`) || strings.Contains(status, `"a" selects`) {
		t.Errorf("a pattern that matched was warned about:\n%s", status)
	}
	out, _, err = runTool(t, "plot", "-o", "-", "-format", "svg", logdir)
	if err != nil || !strings.Contains(out, "<svg") {
		t.Errorf("-o - -format svg: %v\n%.200s", err, out)
	}
	file := filepath.Join(t.TempDir(), "p.png")
	out, status, err = runTool(t, "plot", "-o", file, logdir)
	if err != nil || out != "" || !strings.Contains(status, "wrote "+file) {
		t.Errorf("plot -o FILE: %v; stdout %q, stderr %q", err, out, status)
	}
}
