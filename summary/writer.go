package summary

import (
	"errors"
	"fmt"
	"image"
	"math"
	"sync"
	"time"

	"gonum.org/v1/gonum/mat"
	"google.golang.org/protobuf/proto"

	"github.com/tbgo/tbgo/internal/media"
	"github.com/tbgo/tbgo/proto/tbpb"
	"github.com/tbgo/tbgo/tfevents"
)

// DefaultFlushInterval bounds how long a written value may wait in memory
// before it reaches the event file when Options.FlushInterval is zero.
// TensorBoard's own writers wait up to 120 seconds; two seconds keeps a
// dashboard that reloads every few seconds current.
const DefaultFlushInterval = 2 * time.Second

// ErrTagKind is returned when a tag already used for one kind of data (say
// scalars) is written with another (say a histogram). TensorBoard keeps the
// first kind and drops the rest, so the Writer refuses the second.
var ErrTagKind = errors.New("summary: tag used for another kind of data")

// Options configures a Writer. The zero value (or a nil *Options) is ready
// to use.
type Options struct {
	// FlushInterval bounds how long a value may sit in the buffer before it
	// is written to the file. Zero means DefaultFlushInterval; a negative
	// value turns timed flushing off (values are then written on Flush,
	// Close and when the buffer fills).
	FlushInterval time.Duration

	// Fsync makes every Flush also fsync the event file.
	Fsync bool

	// FilenameSuffix is appended to the event file's name.
	FilenameSuffix string

	// BufferSize is the write buffer size; zero means
	// tfevents.DefaultBufferSize.
	BufferSize int

	// Buckets is the number of buckets of histograms made from values;
	// zero means DefaultBuckets.
	Buckets int

	// Now is the clock for wall times. Nil means the system clock, read as
	// the wall time at NewWriter plus the monotonic time elapsed since: it
	// costs one clock read per value instead of two, and wall times never
	// jump backwards when the system clock is stepped.
	Now func() time.Time

	// PurgeStep, when positive, resumes a run after a crash: data that the
	// run's earlier event files hold at steps >= PurgeStep (written after
	// the checkpoint the program restarted from) is hidden by TensorBoard.
	// The new file starts with two SessionLog START events at PurgeStep:
	//
	//   - TensorBoard's Python loader (--load_fast=false) drops, from every
	//     tag of the run, the points at steps >= PurgeStep when it reads a
	//     START that is not the run's first; writing two makes that hold
	//     even when the earlier files carry no START.
	//   - The Rust data server (the default) ignores SessionLog. It drops a
	//     tag's points at steps >= s whenever that tag receives a point at
	//     step s, so each tag's orphans disappear when the resumed run first
	//     logs that tag (at its next logging step after PurgeStep). A tag
	//     the resumed run never logs again keeps its orphaned points there.
	PurgeStep int64
}

// A Writer writes summaries to a new event file in one run directory. It is
// safe for concurrent use. Every method that writes returns an error naming
// the problem for bad input, and the sticky error of the file once a write
// has failed; nothing is written for a value that is refused.
type Writer struct {
	mu      sync.Mutex
	file    *tfevents.Writer
	dir     string
	wall    func() float64 // wall time of a new value, in seconds
	buckets int
	series  map[string]*series
	recent  [16]recentTag // a small cache in front of series
	buf     []byte        // serialized event scratch
	hist    []Bucket      // bucket scratch
	pngs    []byte        // encoded image scratch
	enc     media.PNGEncoder
	ev      tbpb.Event
	sum     tbpb.Summary

	// State of the dashboards that need more than one value at a time;
	// each type lives in the file of its dashboard.
	custom    customScalarsState // customscalars.go
	projector projectorState     // projector.go
	graphs    int64              // graphs written: the step of the next (graph.go)

	closeMu     sync.Mutex
	closing     bool     // Close has been called
	beforeClose []func() // see BeforeClose
}

// recentTag is an entry of Writer.recent. A loop that logs a few tags
// passes the same strings every time; comparing one with a cached tag is
// cheaper than hashing it, since equal strings at the same address compare
// without reading their bytes.
type recentTag struct {
	tag string
	s   *series
}

// series is what the Writer knows of one tag.
type series struct {
	plugin string // set by the first value written
	meta   Meta
	scalar *scalarEncoder
}

// NewWriter creates the run directory dir if needed and a new event file in
// it. A nil opts means the zero Options.
func NewWriter(dir string, opts *Options) (*Writer, error) {
	var o Options
	if opts != nil {
		o = *opts
	}
	start := time.Now()
	wall := func() float64 { return tfevents.WallTime(o.Now()) }
	if o.Now == nil {
		base := tfevents.WallTime(start)
		wall = func() float64 { return base + time.Since(start).Seconds() }
		o.Now = func() time.Time { return start }
	}
	if o.Buckets < 0 {
		return nil, fmt.Errorf("summary: %d histogram buckets", o.Buckets)
	}
	interval := o.FlushInterval
	if interval == 0 {
		interval = DefaultFlushInterval
	} else if interval < 0 {
		interval = 0
	}
	f, err := tfevents.CreateFile(dir, &tfevents.FileOptions{
		Suffix:        o.FilenameSuffix,
		Fsync:         o.Fsync,
		FlushInterval: interval,
		BufferSize:    o.BufferSize,
		Now:           o.Now,
	})
	if err != nil {
		return nil, fmt.Errorf("summary: %w", err)
	}
	w := &Writer{
		file:    f,
		dir:     dir,
		wall:    wall,
		buckets: o.Buckets,
		series:  map[string]*series{},
	}
	if o.PurgeStep > 0 {
		for range 2 {
			if err := f.WriteEvent(&tbpb.Event{
				WallTime: w.wall(),
				Step:     o.PurgeStep,
				What:     &tbpb.Event_SessionLog{SessionLog: &tbpb.SessionLog{Status: tbpb.SessionLog_START}},
			}); err != nil {
				f.Close()
				return nil, fmt.Errorf("summary: %w", err)
			}
		}
		if err := f.Flush(); err != nil {
			f.Close()
			return nil, fmt.Errorf("summary: %w", err)
		}
	}
	return w, nil
}

// Dir returns the run directory.
func (w *Writer) Dir() string { return w.dir }

// FileName returns the path of the event file.
func (w *Writer) FileName() string { return w.file.FileName() }

// Describe sets the display name and Markdown description of tag. It must
// come before the tag's first value, because TensorBoard reads a series'
// metadata from its first value only.
func (w *Writer) Describe(tag string, m Meta) error {
	if err := checkTag(tag); err != nil {
		return err
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	s := w.series[tag]
	if s != nil && s.plugin != "" {
		return fmt.Errorf("summary: Describe(%q) after the tag's first value: TensorBoard would ignore it", tag)
	}
	if s == nil {
		s = &series{}
		w.series[tag] = s
	}
	s.meta = m
	return nil
}

// lookup returns the series of tag, creating it, or ErrTagKind if the tag
// already holds another plugin's data. The series takes plugin once a value
// has been written. The caller holds w.mu.
func (w *Writer) lookup(tag, plugin string) (*series, error) {
	if tag == "" {
		return nil, ErrEmptyTag
	}
	slot := &w.recent[(len(tag)*31+int(tag[len(tag)-1]))%len(w.recent)]
	s := slot.s
	if s == nil || slot.tag != tag {
		s = w.series[tag]
		if s == nil {
			if err := checkTag(tag); err != nil {
				return nil, err
			}
			s = &series{}
			w.series[tag] = s
		}
		slot.tag, slot.s = tag, s
	}
	if s.plugin != "" && s.plugin != plugin {
		return nil, fmt.Errorf("summary: %w: %q holds %s, not %s", ErrTagKind, tag, s.plugin, plugin)
	}
	return s, nil
}

// Scalar writes one scalar. TensorBoard stores scalars as float32: a value
// too large for float32 is refused rather than turned into infinity; NaN
// and ±Inf are written as they are. This is the hot path: once a tag has
// been seen it allocates nothing.
func (w *Writer) Scalar(tag string, step int64, value float64) error {
	v := float32(value)
	if math.IsInf(float64(v), 0) && !math.IsInf(value, 0) {
		return fmt.Errorf("summary: scalar %q value %v overflows float32", tag, value)
	}
	wall := w.wall()
	w.mu.Lock()
	defer w.mu.Unlock()
	s, err := w.lookup(tag, PluginScalars)
	if err != nil {
		return err
	}
	if s.scalar == nil {
		s.scalar = newScalarEncoder(tag, s.meta)
	}
	s.plugin = PluginScalars
	w.buf = s.scalar.appendEvent(w.buf[:0], wall, step, v)
	return w.file.WriteRecord(w.buf)
}

// Histogram writes a histogram of values, bucketed as TensorBoard 2.x does
// (see Buckets). Values must be finite.
func (w *Writer) Histogram(tag string, step int64, values []float64) error {
	return w.writeHistogram(tag, step, func() (err error) {
		w.hist, err = Buckets(w.hist, values, w.buckets)
		return err
	})
}

// Histogram32 is Histogram for float32 values.
func (w *Writer) Histogram32(tag string, step int64, values []float32) error {
	return w.writeHistogram(tag, step, func() (err error) {
		w.hist, err = Buckets32(w.hist, values, w.buckets)
		return err
	})
}

// HistogramMatrix is Histogram over every element of m, such as a layer's
// weights.
func (w *Writer) HistogramMatrix(tag string, step int64, m mat.Matrix) error {
	return w.writeHistogram(tag, step, func() (err error) {
		w.hist, err = MatrixBuckets(w.hist, m, w.buckets)
		return err
	})
}

// HistogramBuckets writes a histogram from precomputed buckets.
func (w *Writer) HistogramBuckets(tag string, step int64, buckets []Bucket) error {
	return w.writeHistogram(tag, step, func() error {
		w.hist = append(w.hist[:0], buckets...)
		return nil
	})
}

// writeHistogram writes the buckets that fill leaves in w.hist; fill runs
// with w.mu held.
func (w *Writer) writeHistogram(tag string, step int64, fill func() error) error {
	wall := w.wall()
	w.mu.Lock()
	defer w.mu.Unlock()
	s, err := w.lookup(tag, PluginHistograms)
	if err != nil {
		return err
	}
	if err := fill(); err != nil {
		return fmt.Errorf("summary: histogram %q: %w", tag, err)
	}
	v, err := HistogramValue(tag, w.hist, s.meta)
	if err != nil {
		return err
	}
	return w.writeValue(s, wall, step, v)
}

// Image writes one image, PNG-encoded.
func (w *Writer) Image(tag string, step int64, img image.Image) error {
	return w.Images(tag, step, []image.Image{img})
}

// Images writes a batch of images of one size as one step of tag;
// TensorBoard shows them side by side with a sample slider.
func (w *Writer) Images(tag string, step int64, imgs []image.Image) error {
	if len(imgs) == 0 {
		return fmt.Errorf("summary: image %q: no images", tag)
	}
	wall := w.wall()
	w.mu.Lock()
	defer w.mu.Unlock()
	s, err := w.lookup(tag, PluginImages)
	if err != nil {
		return err
	}
	size := imgs[0].Bounds().Size()
	ends := make([]int, len(imgs))
	w.pngs = w.pngs[:0]
	for i, img := range imgs {
		if sz := img.Bounds().Size(); sz != size {
			return fmt.Errorf("summary: %w: image %q: image %d is %dx%d, image 0 is %dx%d", ErrImageSize, tag, i, sz.X, sz.Y, size.X, size.Y)
		}
		if w.pngs, err = w.enc.AppendPNG(w.pngs, img); err != nil {
			return fmt.Errorf("summary: image %q: %w", tag, err)
		}
		ends[i] = len(w.pngs)
	}
	encoded := make([][]byte, len(imgs))
	start := 0
	for i, end := range ends {
		encoded[i] = w.pngs[start:end:end]
		start = end
	}
	v, err := ImageValue(tag, size.X, size.Y, encoded, s.meta)
	if err != nil {
		return err
	}
	return w.writeValue(s, wall, step, v)
}

// Text writes a Markdown document.
func (w *Writer) Text(tag string, step int64, markdown string) error {
	return w.writeBuilt(tag, step, PluginText, func(m Meta) (*tbpb.Summary_Value, error) {
		return TextValue(tag, markdown, m)
	})
}

// Table writes rows as a text table (see TableValue).
func (w *Writer) Table(tag string, step int64, rows [][]string) error {
	return w.writeBuilt(tag, step, PluginText, func(m Meta) (*tbpb.Summary_Value, error) {
		return TableValue(tag, rows, m)
	})
}

// WriteValue writes a summary value built elsewhere (by this package's
// builders or by hand) at step. The value must carry metadata with a
// plugin name, and the tag must not hold another plugin's data.
func (w *Writer) WriteValue(step int64, v *tbpb.Summary_Value) error {
	if v == nil {
		return errors.New("summary: nil value")
	}
	plugin := v.GetMetadata().GetPluginData().GetPluginName()
	if plugin == "" {
		return fmt.Errorf("summary: value %q has no plugin name in its metadata", v.Tag)
	}
	return w.writeBuilt(v.Tag, step, plugin, func(Meta) (*tbpb.Summary_Value, error) { return v, nil })
}

func (w *Writer) writeBuilt(tag string, step int64, plugin string, build func(Meta) (*tbpb.Summary_Value, error)) error {
	wall := w.wall()
	w.mu.Lock()
	defer w.mu.Unlock()
	s, err := w.lookup(tag, plugin)
	if err != nil {
		return err
	}
	v, err := build(s.meta)
	if err != nil {
		return err
	}
	return w.writeValue(s, wall, step, v)
}

// writeValue writes v as the only value of an event. The caller holds w.mu.
func (w *Writer) writeValue(s *series, wall float64, step int64, v *tbpb.Summary_Value) error {
	w.sum.Value = append(w.sum.Value[:0], v)
	w.ev.WallTime = wall
	w.ev.Step = step
	w.ev.What = &tbpb.Event_Summary{Summary: &w.sum}
	var err error
	w.buf, err = proto.MarshalOptions{Deterministic: true}.MarshalAppend(w.buf[:0], &w.ev)
	w.sum.Value[0] = nil
	if err != nil {
		return fmt.Errorf("summary: marshal %q: %w", v.Tag, err)
	}
	s.plugin = v.Metadata.GetPluginData().GetPluginName()
	return w.file.WriteRecord(w.buf)
}

// WriteEvent writes a complete event, for data this package has no builder
// for. The event's wall time must be finite.
func (w *Writer) WriteEvent(ev *tbpb.Event) error {
	return w.file.WriteEvent(ev)
}

// Flush writes every buffered value to the event file.
func (w *Writer) Flush() error {
	return w.file.Flush()
}

// BeforeClose arranges for f to be called by the first Close, before the
// event file is flushed and closed, so that what writes through the Writer
// in the background, such as the system-metrics sampler of package
// summary/runinfo, stops first and its last values reach the file. The
// functions run in the order they were registered; f is called at once
// if Close has already been called.
func (w *Writer) BeforeClose(f func()) {
	w.closeMu.Lock()
	if !w.closing {
		w.beforeClose = append(w.beforeClose, f)
		f = nil
	}
	w.closeMu.Unlock()
	if f != nil {
		f()
	}
}

// Close calls the functions given to BeforeClose, then flushes and closes
// the event file. It is safe to call more than once.
func (w *Writer) Close() error {
	w.closeMu.Lock()
	fs := w.beforeClose
	w.closing, w.beforeClose = true, nil
	w.closeMu.Unlock()
	for _, f := range fs {
		f()
	}
	return w.file.Close()
}
