//go:build compat

package compat

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/tbgo/tbgo/summary"
)

// A view is what one loader serves from the logdir, in one shape for every
// loader, so that one set of assertions (checkView) judges them all.
type view struct {
	name        string
	runs        []string
	runsOrdered bool // runs are listed by start time, as /data/runs does
	descHTML    bool // descriptions are served rendered to HTML
	series      map[key]*viewSeries
}

type key struct{ run, tag string }

func (k key) String() string { return fmt.Sprintf("%s|%s", k.run, k.tag) }

type viewSeries struct {
	plugin      string
	dataClass   string // "" when the loader does not tell
	displayName string
	description string
	points      []viewPoint
}

// A viewPoint holds what a loader served for one step; which fields are set
// depends on the plugin and the loader.
type viewPoint struct {
	step int64
	wall float64

	value float64 // scalars, as served (float32 widened)
	bits  string  // scalars: the float32 bit pattern in hex, if served

	buckets [][3]float64

	width, height int
	images        [][]byte  // encoded images, if served
	digests       []blobSum // or their digests

	text  []string // raw text cells, if served
	shape []int64
	html  string // or the rendered HTML
}

type blobSum struct {
	Len    int    `json:"len"`
	SHA256 string `json:"sha256"`
}

// wallTolerance bounds the difference between a written wall time and a
// served one, in seconds. Wall times travel as float64 everywhere, so
// only the conversion from time.Time may round.
const wallTolerance = 1e-6

var dataClasses = map[string]string{
	summary.PluginScalars:    "DATA_CLASS_SCALAR",
	summary.PluginHistograms: "DATA_CLASS_TENSOR",
	summary.PluginImages:     "DATA_CLASS_BLOB_SEQUENCE",
	summary.PluginText:       "DATA_CLASS_TENSOR",
}

// checkView asserts that v serves exactly the runs and series of l, every
// point of every series with its value, except for the damaged series,
// which need only be present (TestCorruptRecord judges its points).
func checkView(t *testing.T, l *Logdir, v *view) {
	t.Helper()
	wantRuns, gotRuns := slices.Clone(l.Runs), slices.Clone(v.runs)
	if !v.runsOrdered {
		slices.Sort(wantRuns)
		slices.Sort(gotRuns)
	}
	if !slices.Equal(gotRuns, wantRuns) {
		t.Errorf("%s: runs = %q, want %q", v.name, gotRuns, wantRuns)
	}

	var want, got []string
	for _, s := range l.Series {
		want = append(want, key{s.Run, s.Tag}.String())
	}
	want = append(want, key{l.Corrupt.Run, l.Corrupt.Tag}.String())
	for k := range v.series {
		got = append(got, k.String())
	}
	slices.Sort(want)
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Errorf("%s: series (run|tag) =\n  %q\nwant\n  %q", v.name, got, want)
	}

	for _, s := range l.Series {
		gs := v.series[key{s.Run, s.Tag}]
		if gs == nil {
			continue // reported above
		}
		checkSeries(t, v, s, gs)
	}
}

func checkSeries(t *testing.T, v *view, s *Series, gs *viewSeries) {
	t.Helper()
	where := fmt.Sprintf("%s: run %q tag %q", v.name, s.Run, s.Tag)
	if gs.plugin != s.Plugin {
		t.Errorf("%s: plugin %q, want %q", where, gs.plugin, s.Plugin)
		return
	}
	if gs.dataClass != "" && gs.dataClass != dataClasses[s.Plugin] {
		t.Errorf("%s: data class %s, want %s", where, gs.dataClass, dataClasses[s.Plugin])
	}
	if gs.displayName != s.Meta.DisplayName {
		t.Errorf("%s: display name %q, want %q", where, gs.displayName, s.Meta.DisplayName)
	}
	wantDesc := s.Meta.Description
	if v.descHTML {
		wantDesc = s.DescriptionHTML
	}
	if gs.description != wantDesc {
		t.Errorf("%s: description %q, want %q", where, gs.description, wantDesc)
	}
	if len(gs.points) != len(s.Points) {
		t.Errorf("%s: %d points (steps %v), want %d (steps %v)", where, len(gs.points), steps(gs.points), len(s.Points), wantSteps(s.Points))
		return
	}
	for i, want := range s.Points {
		got := gs.points[i]
		at := fmt.Sprintf("%s point %d (step %d)", where, i, want.Step)
		if got.step != want.Step {
			t.Errorf("%s: step %d, want %d", at, got.step, want.Step)
			continue
		}
		if math.Abs(got.wall-want.Wall) > wallTolerance {
			t.Errorf("%s: wall time %.9f, want %.9f", at, got.wall, want.Wall)
		}
		switch s.Plugin {
		case summary.PluginScalars:
			checkScalar(t, at, want.Scalar, got)
		case summary.PluginHistograms:
			checkBuckets(t, at, want.Buckets, got.buckets)
		case summary.PluginImages:
			checkImages(t, at, want, got)
		case summary.PluginText:
			checkText(t, at, want, got)
		}
	}
}

func steps(ps []viewPoint) []int64 {
	var s []int64
	for _, p := range ps {
		s = append(s, p.step)
	}
	return s
}

func wantSteps(ps []Point) []int64 {
	var s []int64
	for _, p := range ps {
		s = append(s, p.Step)
	}
	return s
}

// checkScalar asserts that a served scalar is the written float32, bit for
// bit (so -0 is not 0); NaN must be NaN, whatever its payload, since the
// payload cannot survive JSON.
func checkScalar(t *testing.T, at string, want float32, got viewPoint) {
	t.Helper()
	if got.bits != "" {
		b, err := strconv.ParseUint(got.bits, 16, 32)
		if err != nil {
			t.Errorf("%s: bad float32 bits %q", at, got.bits)
		} else if f := math.Float32frombits(uint32(b)); !sameFloat32(f, want) {
			t.Errorf("%s: float32 bits %08x (%v), want %08x (%v)", at, b, f, math.Float32bits(want), want)
		}
	}
	if math.IsNaN(float64(want)) {
		if !math.IsNaN(got.value) {
			t.Errorf("%s: value %v, want NaN", at, got.value)
		}
		return
	}
	if f := float32(got.value); float64(f) != got.value || math.Float32bits(f) != math.Float32bits(want) {
		t.Errorf("%s: value %v (float32 bits %08x), want %v (bits %08x)", at, got.value, math.Float32bits(f), want, math.Float32bits(want))
	}
}

func sameFloat32(a, b float32) bool {
	if math.IsNaN(float64(a)) || math.IsNaN(float64(b)) {
		return math.IsNaN(float64(a)) && math.IsNaN(float64(b))
	}
	return math.Float32bits(a) == math.Float32bits(b)
}

func checkBuckets(t *testing.T, at string, want []summary.Bucket, got [][3]float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s: %d buckets, want %d", at, len(got), len(want))
		return
	}
	for i, b := range want {
		if g := got[i]; g != [3]float64{b.Left, b.Right, b.Count} {
			t.Errorf("%s: bucket %d = [%v, %v, %v], want [%v, %v, %v]", at, i, g[0], g[1], g[2], b.Left, b.Right, b.Count)
		}
	}
}

func checkImages(t *testing.T, at string, want Point, got viewPoint) {
	t.Helper()
	if got.width != want.Width || got.height != want.Height {
		t.Errorf("%s: %dx%d, want %dx%d", at, got.width, got.height, want.Width, want.Height)
	}
	if got.images != nil {
		if len(got.images) != len(want.PNGs) {
			t.Errorf("%s: %d images, want %d", at, len(got.images), len(want.PNGs))
			return
		}
		for i, b := range got.images {
			if !bytes.Equal(b, want.PNGs[i]) {
				t.Errorf("%s: image %d: %d bytes (sha256 %s), want the %d bytes written (sha256 %s)",
					at, i, len(b), digest(b), len(want.PNGs[i]), digest(want.PNGs[i]))
				continue
			}
			if err := samePixels(b, want.Images[i]); err != nil {
				t.Errorf("%s: image %d: %v", at, i, err)
			}
		}
		return
	}
	if len(got.digests) != len(want.PNGs) {
		t.Errorf("%s: %d images, want %d", at, len(got.digests), len(want.PNGs))
		return
	}
	for i, d := range got.digests {
		if w := (blobSum{len(want.PNGs[i]), digest(want.PNGs[i])}); d != w {
			t.Errorf("%s: image %d: %+v, want %+v", at, i, d, w)
		}
	}
}

func digest(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// samePixels decodes a PNG and compares it, pixel by pixel, with img.
func samePixels(encoded []byte, img image.Image) error {
	dec, err := png.Decode(bytes.NewReader(encoded))
	if err != nil {
		return fmt.Errorf("PNG does not decode: %w", err)
	}
	if dec.Bounds().Size() != img.Bounds().Size() {
		return fmt.Errorf("PNG is %v, want %v", dec.Bounds().Size(), img.Bounds().Size())
	}
	db, ib := dec.Bounds(), img.Bounds()
	for y := range ib.Dy() {
		for x := range ib.Dx() {
			g := color.NRGBAModel.Convert(dec.At(db.Min.X+x, db.Min.Y+y))
			w := color.NRGBAModel.Convert(img.At(ib.Min.X+x, ib.Min.Y+y))
			if g != w {
				return fmt.Errorf("pixel (%d, %d) is %v, want %v", x, y, g, w)
			}
		}
	}
	return nil
}

func checkText(t *testing.T, at string, want Point, got viewPoint) {
	t.Helper()
	if got.html != "" || got.text == nil {
		rest := got.html
		for _, frag := range want.HTML {
			i := strings.Index(rest, frag)
			if i < 0 {
				t.Errorf("%s: rendered HTML lacks %q (in order) in\n%s", at, frag, got.html)
				return
			}
			rest = rest[i+len(frag):]
		}
		return
	}
	if !slices.Equal(got.text, want.Text) {
		t.Errorf("%s: text %q, want %q", at, got.text, want.Text)
	}
	if !slices.Equal(got.shape, want.Shape) {
		t.Errorf("%s: shape %v, want %v", at, got.shape, want.Shape)
	}
}
