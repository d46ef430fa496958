//go:build compat

package compat

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/color"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/tbgo/tbgo/internal/media"
	"github.com/tbgo/tbgo/proto/tbpb"
	"github.com/tbgo/tbgo/summary"
	"github.com/tbgo/tbgo/tfevents"
)

// BaseUnix is the wall time, in seconds, of the logdir's clock at tick 0
// (2025-01-01 UTC). Every event is written at BaseUnix + a multiple of
// TickSeconds, so wall times are known exactly.
const (
	BaseUnix    = 1735689600
	TickSeconds = 0.25
)

// SentinelTag is a scalar written last in every run, after everything
// else. A loader that serves it has read the whole run.
const SentinelTag = "zz/sentinel"

// A Logdir is a logdir written by WriteLogdir together with everything it
// holds, as the assertions expect to read it back.
type Logdir struct {
	Dir string
	// Runs are the run names in the order TensorBoard lists them: by
	// start time (the first event's wall time), which is creation order.
	Runs []string
	// Series are the time series every loader must serve in full, in the
	// order they were first written.
	Series []*Series
	// Corrupt is the one series with a damaged record.
	Corrupt *Corruption
}

// A Series is one time series (run, tag) with every point written to it.
type Series struct {
	Run    string
	Tag    string
	Plugin string       // summary.PluginScalars, PluginHistograms, ...
	Meta   summary.Meta // display name and description, if described
	// DescriptionHTML is Meta.Description as TensorBoard's HTTP API
	// serves it: rendered from Markdown.
	DescriptionHTML string
	Points          []Point // in step order
}

// A Point is one value of a series.
type Point struct {
	Step int64
	Wall float64 // seconds since the epoch

	// Scalars.
	Scalar float32

	// Histograms.
	Buckets []summary.Bucket

	// Images: the source images and their PNG encodings, as the Writer
	// encodes them.
	Width, Height int
	Images        []image.Image
	PNGs          [][]byte

	// Text: the cells in row-major order (one for a document), the tensor
	// shape (empty for a document, [rows, cols] for a table), and HTML
	// fragments TensorBoard's rendering must contain, in order.
	Text  []string
	Shape []int64
	HTML  []string
}

// Corruption describes the damaged record of the logdir: a scalar event
// whose data bytes were changed after writing, so that its data checksum
// fails while the bytes still parse as an Event.
type Corruption struct {
	Run, Tag string
	File     string  // the damaged event file
	Offset   int64   // offset of the damaged record in File
	Points   []Point // every point as written; Points[Index] is damaged
	Index    int
	Damaged  float32 // the value the damaged record decodes to
}

// Find returns the series of run and tag, or nil.
func (l *Logdir) Find(run, tag string) *Series {
	for _, s := range l.Series {
		if s.Run == run && s.Tag == tag {
			return s
		}
	}
	return nil
}

// Tags returns the sorted tags of plugin in run that every loader must
// serve (the damaged series is not among them).
func (l *Logdir) Tags(run, plugin string) []string {
	var tags []string
	for _, s := range l.Series {
		if s.Run == run && s.Plugin == plugin {
			tags = append(tags, s.Tag)
		}
	}
	slices.Sort(tags)
	return tags
}

// Plugins returns the sorted plugin names that hold data in the logdir.
func (l *Logdir) Plugins() []string {
	var ps []string
	for _, s := range l.Series {
		if !slices.Contains(ps, s.Plugin) {
			ps = append(ps, s.Plugin)
		}
	}
	slices.Sort(ps)
	return ps
}

// gen writes the logdir and records what it writes. The first error sticks
// and stops everything after it.
type gen struct {
	l    *Logdir
	tick int64
	now  time.Time
	w    *summary.Writer
	run  string
	err  error
	enc  media.PNGEncoder
}

// advance moves the clock on by one tick and returns the new wall time,
// computed independently of tfevents.WallTime.
func (g *gen) advance() float64 {
	g.tick++
	g.now = time.Unix(BaseUnix, 0).Add(time.Duration(g.tick) * time.Duration(TickSeconds*float64(time.Second)))
	return BaseUnix + float64(g.tick)*TickSeconds
}

func (g *gen) fail(err error) {
	if g.err == nil && err != nil {
		g.err = err
	}
}

// open starts a new event file in run, closing the current one.
func (g *gen) open(run string) {
	g.close()
	if g.err != nil {
		return
	}
	// Event file names carry whole seconds; moving on four ticks (one
	// second) keeps two files of one run apart and in creation order.
	for range 4 {
		g.advance()
	}
	w, err := summary.NewWriter(filepath.Join(g.l.Dir, filepath.FromSlash(run)), &summary.Options{
		Now:           func() time.Time { return g.now },
		FlushInterval: -1,
	})
	if err != nil {
		g.fail(err)
		return
	}
	g.w, g.run = w, run
	if !slices.Contains(g.l.Runs, run) {
		g.l.Runs = append(g.l.Runs, run)
	}
}

func (g *gen) close() {
	if g.w != nil {
		g.fail(g.w.Close())
		g.w = nil
	}
}

// series returns the series of tag in the current run, adding it.
func (g *gen) series(tag, plugin string) *Series {
	if s := g.l.Find(g.run, tag); s != nil {
		return s
	}
	s := &Series{Run: g.run, Tag: tag, Plugin: plugin}
	g.l.Series = append(g.l.Series, s)
	return s
}

// write advances the clock, runs do and, if it succeeds, records p with the
// wall time in the series of tag.
func (g *gen) write(tag, plugin string, p Point, do func() error) {
	if g.err != nil {
		return
	}
	p.Wall = g.advance()
	if err := do(); err != nil {
		g.fail(fmt.Errorf("compat: write %s %q step %d: %w", plugin, tag, p.Step, err))
		return
	}
	s := g.series(tag, plugin)
	s.Points = append(s.Points, p)
}

func (g *gen) describe(tag, plugin string, m summary.Meta, descriptionHTML string) {
	if g.err != nil {
		return
	}
	g.fail(g.w.Describe(tag, m))
	s := g.series(tag, plugin)
	s.Meta, s.DescriptionHTML = m, descriptionHTML
}

func (g *gen) scalar(tag string, step int64, v float64) {
	g.write(tag, summary.PluginScalars, Point{Step: step, Scalar: float32(v)}, func() error {
		return g.w.Scalar(tag, step, v)
	})
}

func (g *gen) histogram(tag string, step int64, values []float64) {
	b, err := summary.Buckets(nil, values, 0)
	if err != nil {
		g.fail(err)
		return
	}
	g.write(tag, summary.PluginHistograms, Point{Step: step, Buckets: b}, func() error {
		return g.w.Histogram(tag, step, values)
	})
}

func (g *gen) buckets(tag string, step int64, b []summary.Bucket) {
	g.write(tag, summary.PluginHistograms, Point{Step: step, Buckets: b}, func() error {
		return g.w.HistogramBuckets(tag, step, b)
	})
}

func (g *gen) images(tag string, step int64, imgs ...image.Image) {
	size := imgs[0].Bounds().Size()
	p := Point{Step: step, Width: size.X, Height: size.Y, Images: imgs}
	for _, img := range imgs {
		b, err := g.enc.AppendPNG(nil, img)
		if err != nil {
			g.fail(err)
			return
		}
		p.PNGs = append(p.PNGs, b)
	}
	g.write(tag, summary.PluginImages, p, func() error { return g.w.Images(tag, step, imgs) })
}

func (g *gen) text(tag string, step int64, markdown string, html ...string) {
	p := Point{Step: step, Text: []string{markdown}, Shape: []int64{}, HTML: html}
	g.write(tag, summary.PluginText, p, func() error { return g.w.Text(tag, step, markdown) })
}

// table writes rows as a table; TensorBoard renders each cell as Markdown,
// and html holds the rendering of each cell, row-major.
func (g *gen) table(tag string, step int64, rows [][]string, html ...string) {
	p := Point{Step: step, Shape: []int64{int64(len(rows)), int64(len(rows[0]))}, HTML: html}
	for _, row := range rows {
		p.Text = append(p.Text, row...)
	}
	g.write(tag, summary.PluginText, p, func() error { return g.w.Table(tag, step, rows) })
}

// EdgeScalars are the values of the scalar series "edge", written at
// EdgeSteps: non-finite values, signed zeros, values exact in float32 and
// values that round, the float32 extremes.
var (
	EdgeScalars = []float64{
		math.NaN(), math.Inf(1), math.Inf(-1), 0, math.Copysign(0, -1), -1.5,
		0.1, 1.0 / 3, math.Pi, 16777217, math.MaxFloat32, -math.MaxFloat32,
		math.SmallestNonzeroFloat32, 1e-40, -2.5e-38, 123456.789, 42,
	}
	EdgeSteps = []int64{
		-1 << 40, -7, -1, 0, 1, 2,
		3, 10, 100, 1000, 1 << 31, 1<<32 + 1,
		1 << 40, 1<<53 + 1, 1 << 62, math.MaxInt64 - 1, math.MaxInt64,
	}
)

// WriteLogdir writes the compatibility logdir into dir, which must not yet
// hold event files, and returns what it holds. Runs, in order of creation:
// "." (every kind and the edge cases), "a/b/c" (a nested run with every
// kind), "a" (two event files written one after the other) and "corrupt"
// (see Corruption).
func WriteLogdir(dir string) (*Logdir, error) {
	g := &gen{l: &Logdir{Dir: dir}}
	// Runs are created out of name order, so that a listing by start
	// time differs from one by name.
	writeRoot(g)
	writeNested(g)
	writeTwoFiles(g)
	writeCorrupt(g)
	g.close()
	if g.err != nil {
		return nil, g.err
	}
	if err := damage(g.l.Corrupt); err != nil {
		return nil, err
	}
	return g.l, nil
}

func writeRoot(g *gen) {
	g.open(".")
	if len(EdgeScalars) != len(EdgeSteps) {
		g.fail(errors.New("compat: EdgeScalars and EdgeSteps differ in length"))
	}
	for i, v := range EdgeScalars {
		g.scalar("edge", EdgeSteps[i], v)
	}
	for i := range 5 {
		g.scalar("損失/η", int64(i), 1/float64(i+1))
	}
	g.describe("described", summary.PluginScalars, summary.Meta{
		DisplayName: "Described loss ✓",
		Description: "The *training* loss, in nats — ünïcödé 🚀",
	}, "<p>The <em>training</em> loss, in nats — ünïcödé 🚀</p>")
	for i := range 3 {
		g.scalar("described", int64(i*10), float64(i)*0.5)
	}

	rng := rand.New(rand.NewPCG(1, 2))
	for step := range 3 {
		values := make([]float64, 1000)
		for i := range values {
			values[i] = rng.NormFloat64()*float64(step+1) + float64(step)
		}
		g.histogram("hist/normal", int64(step), values)
	}
	g.histogram("hist/empty", 0, nil)
	g.histogram("hist/equal", 0, []float64{3.5, 3.5, 3.5, 3.5, 3.5, 3.5, 3.5})
	g.buckets("hist/buckets", 0, []summary.Bucket{{Left: -1, Right: 0, Count: 2}, {Left: 0, Right: 0.5, Count: 3}, {Left: 0.5, Right: 10, Count: 1}})
	g.buckets("hist/buckets", 1, []summary.Bucket{{Left: -2, Right: 2, Count: 5}})

	g.images("img/1x1", 0, uniform(1, 1, color.NRGBA{10, 20, 30, 128}))
	g.images("img/1024x768", 0, pattern(1024, 768))
	g.images("img/batch", 0,
		uniform(4, 3, color.NRGBA{255, 0, 0, 255}),
		uniform(4, 3, color.NRGBA{0, 255, 0, 255}),
		uniform(4, 3, color.NRGBA{0, 0, 255, 255}))
	g.images("img/batch", 1,
		uniform(4, 3, color.NRGBA{1, 2, 3, 255}),
		uniform(4, 3, color.NRGBA{4, 5, 6, 255}),
		uniform(4, 3, color.NRGBA{7, 8, 9, 255}))
	cells := []image.Image{
		uniform(3, 2, color.NRGBA{255, 0, 0, 255}), uniform(3, 2, color.NRGBA{0, 255, 0, 255}),
		uniform(3, 2, color.NRGBA{0, 0, 255, 255}), uniform(2, 1, color.NRGBA{9, 9, 9, 255}),
	}
	grid, err := summary.Grid(cells, 2, 1, color.White)
	g.fail(err)
	if err == nil {
		// Two columns of 3-pixel cells with 1-pixel padding: 2*3+3 by 2*2+3.
		if sz := grid.Bounds().Size(); sz != image.Pt(9, 7) {
			g.fail(fmt.Errorf("compat: summary.Grid made a %v image, want 9x7", sz))
		}
		g.images("img/grid", 5, grid)
	}

	g.text("text/markdown", 0,
		"# Title 損失\n\nSome **bold** text, an emoji 🎉 and η.\n\n| col | η |\n|---|---|\n| 1 | 🚀 |\n",
		"<h1>Title 損失</h1>", "<p>Some <strong>bold</strong> text, an emoji 🎉 and η.</p>",
		"<table>", "<th>col</th>", "<th>η</th>", "<td>1</td>", "<td>🚀</td>", "</table>")
	g.text("text/markdown", 1, "second step: `code` & <b>not html</b>",
		"<p>second step: <code>code</code> &amp; &lt;b&gt;not html&lt;/b&gt;</p>")
	g.table("文本/表", 0, [][]string{{"name", "value"}, {"η", "0.5"}, {"🎉 party", "**bold**"}},
		"<td><p>name</p></td>", "<td><p>value</p></td>", "<td><p>η</p></td>", "<td><p>0.5</p></td>",
		"<td><p>🎉 party</p></td>", "<td><p><strong>bold</strong></p></td>")
	g.scalar(SentinelTag, 0, 1)
}

func writeTwoFiles(g *gen) {
	g.open("a")
	for step := range int64(3) {
		g.scalar("first", step, float64(step)+0.25)
		g.scalar("shared", step, -float64(step))
	}
	g.open("a")
	for step := int64(3); step < 6; step++ {
		g.scalar("second", step, float64(step)*1e-3)
		g.scalar("shared", step, -float64(step))
	}
	g.scalar(SentinelTag, 0, 1)
}

func writeNested(g *gen) {
	g.open("a/b/c")
	for step := range int64(3) {
		g.scalar("deep/value", step, float64(step)*float64(step))
	}
	g.histogram("deep/hist", 7, []float64{-3, -1, 0, 0, 2, 5, 5, 5})
	g.text("deep/note", 7, "nested run", "<p>nested run</p>")
	g.images("deep/img", 7, uniform(2, 5, color.NRGBA{100, 150, 200, 255}))
	g.scalar(SentinelTag, 0, 1)
}

// writeCorrupt writes run "corrupt": one file with scalars 0..9 (the record
// of step 5 is damaged later) and a second file with the sentinel, so a
// loader that abandons the first file at the damage still finishes the run.
func writeCorrupt(g *gen) {
	const run, tag = "corrupt", "corrupt/x"
	g.open(run)
	if g.err != nil {
		return
	}
	c := &Corruption{Run: run, Tag: tag, File: g.w.FileName(), Index: 5, Damaged: 20}
	for step := range int64(10) {
		p := Point{Step: step, Scalar: float32(step)}
		p.Wall = g.advance()
		g.fail(g.w.Scalar(tag, step, float64(step)))
		c.Points = append(c.Points, p)
	}
	g.l.Corrupt = c
	g.open(run)
	g.scalar(SentinelTag, 0, 1)
}

// damage flips one bit in the data of the record of c.Points[c.Index]: the
// high byte of its float, the last byte of the Event, turning 5 (0x40a00000)
// into 20 (0x41a00000). The length and its checksum stay valid, the data
// checksum does not, and the bytes still parse as an Event.
func damage(c *Corruption) error {
	b, err := os.ReadFile(c.File)
	if err != nil {
		return err
	}
	s := tfevents.NewScanner(bytes.NewReader(b))
	s.Name = c.File
	s.Damaged = func(d *tfevents.Damage) error { return d } // the file is whole before this
	want := c.Points[c.Index]
	for s.Scan() {
		data := s.Record()
		var ev tbpb.Event
		if err := proto.Unmarshal(data, &ev); err != nil {
			return err
		}
		if ev.GetSummary() == nil || ev.Step != want.Step {
			continue
		}
		end := s.End() - 4 // just past the data
		b[end-1] ^= 0x01
		var bad tbpb.Event
		if err := proto.Unmarshal(b[end-int64(len(data)):end], &bad); err != nil {
			return fmt.Errorf("compat: damaged record no longer parses: %w", err)
		}
		if got := bad.GetSummary().GetValue()[0].GetTensor().GetFloatVal(); len(got) != 1 || got[0] != c.Damaged {
			return fmt.Errorf("compat: damaged record holds %v, want [%v]", got, c.Damaged)
		}
		c.Offset = s.Offset()
		return os.WriteFile(c.File, b, 0o644)
	}
	if err := s.Err(); err != nil {
		return err
	}
	return fmt.Errorf("compat: no record of step %d in %s", want.Step, c.File)
}

// uniform returns a w×h image of one colour.
func uniform(w, h int, c color.NRGBA) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for i := 0; i < len(img.Pix); i += 4 {
		img.Pix[i], img.Pix[i+1], img.Pix[i+2], img.Pix[i+3] = c.R, c.G, c.B, c.A
	}
	return img
}

// pattern returns an opaque w×h image whose every pixel depends on its
// position, so a transposed or cropped copy is caught.
func pattern(w, h int) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			i := img.PixOffset(x, y)
			img.Pix[i], img.Pix[i+1], img.Pix[i+2], img.Pix[i+3] = uint8(x), uint8(y), uint8(x>>8|y>>8<<2), 255
		}
	}
	return img
}
