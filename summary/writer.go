package summary

import (
	"errors"
	"fmt"
	"image"
	"io"
	"math"
	"path/filepath"
	"sync"
	"time"
	"unicode/utf8"

	"gonum.org/v1/gonum/mat"
	"google.golang.org/protobuf/proto"

	"github.com/tbgo/tbgo/internal/media"
	"github.com/tbgo/tbgo/proto/tbpb"
	"github.com/tbgo/tbgo/storage"
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

	// Fsync makes every Flush also fsync the event file (for
	// NewStreamWriter, call the writer's Sync method if it has one). A
	// Writer of a run in an object store always does: its Flush returns
	// once the upload is stored.
	Fsync bool

	// Sink configures the segments of a run in an object store (see
	// NewWriter): how long records may wait before they are uploaded
	// (storage.DefaultMaxAge, 25 s, when zero), the size that uploads
	// them whatever their age, retries. Nil means the zero
	// storage.SinkOptions. Its Suffix defaults to FilenameSuffix.
	Sink *storage.SinkOptions

	// FilenameSuffix is appended to the event file's name.
	FilenameSuffix string

	// Comment is appended to the name of the run directory that NewWriter
	// makes when it is given none (see DefaultRunDir), such as "-lr0.1".
	Comment string

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

	// OnError, when set, is called with every error a write method of the
	// Writer returns (a refused value or a failed write, the background
	// writes of a runinfo.Sampler included) and with the errors of Flush
	// and Close, before the method returns: for loops that do not check
	// each call. It is called without the Writer's locks held, possibly
	// from several goroutines at once.
	OnError func(error)
}

// A Writer writes summaries to an event file: a new one in a run
// directory (NewWriter), or an event stream into an io.Writer
// (NewStreamWriter) or a tfevents.Writer (NewEventsWriter). It is safe for
// concurrent use.
//
// Every method that writes returns an error naming the problem for bad
// input, and the sticky error of the file once a write has failed; nothing
// is written for a value that is refused, and the Writer stays usable. So
// that a program that does not check every call still learns of them,
// Flush and Close also report the values refused since the previous Flush
// or Close (a *RefusedError), Err returns the first error of any call, and
// Options.OnError sees each one.
type Writer struct {
	mu      sync.Mutex
	file    *tfevents.Writer
	dir     string         // the run directory; empty for a stream
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
	trial     bool               // Close ends an open session (sweep.go)

	errs errState // refused values and errors (errors.go)

	fileName string      // of a run in an object store: its first segment's URL
	after    []io.Closer // closed after file: a Sink and its Store

	closeOnce   sync.Once
	closeErr    error      // what Close returns
	closeMu     sync.Mutex // guards closed and beforeClose
	closed      bool       // Close has been called
	beforeClose []func()   // see BeforeClose
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
// it. An empty dir means a new directory DefaultRunDir(opts.Comment), made
// afresh (with a numeric suffix should the name exist), so that running a
// program again never adds a second event file to an earlier run. A nil
// opts means the zero Options.
//
// dir may also be a URL, as storage.Open takes them: file:// names a
// local directory, and s3://, gs://, azblob:// and mem:// name a run in an
// object store once the program imports their drivers,
//
//	import _ "github.com/tbgo/tbgo/storage/cloud"
//
// (without it such a URL is an error saying so: a program that logs to
// local disk links no cloud SDK). Object stores cannot append, so the
// event file goes to the run as segments, consecutive event files
// uploaded by a storage.Sink (see package storage for the policy and its
// costs): a timed flush hands the records to the Sink, which uploads them
// within Options.Sink's MaxAge (25 s by default), and Flush and Close
// upload at once and return when the segment is stored. NewWriter
// uploads the first event at once, so that a missing bucket or refused
// credentials fail here, and so that a second process opening the same
// run is refused with an error wrapping storage.ErrRunBusy: two processes
// writing one run lose points in TensorBoard. Give each process its own
// run (runs/exp1/rank0, runs/exp1/rank1, ...). Embedding, whose files go
// beside the event file on disk, is refused.
func NewWriter(dir string, opts *Options) (*Writer, error) {
	o, err := options(opts)
	if err != nil {
		return nil, err
	}
	if dir != "" {
		local, ok := storage.Local(dir)
		if !ok {
			return newBucketWriter(dir, o)
		}
		dir = local
	}
	if dir == "" {
		if dir, err = makeRunDir(DefaultRunDir(o.Comment)); err != nil {
			return nil, err
		}
	}
	f, err := tfevents.CreateFile(dir, o.fileOptions())
	if err != nil {
		return nil, fmt.Errorf("summary: %w", err)
	}
	return newWriter(f, dir, o)
}

// options returns opts with its defaults filled in, or an error naming an
// option that makes no sense.
func options(opts *Options) (*Options, error) {
	var o Options
	if opts != nil {
		o = *opts
	}
	if o.Buckets < 0 {
		return nil, fmt.Errorf("summary: %d histogram buckets", o.Buckets)
	}
	if o.Comment != "" && filepath.Base("x"+o.Comment) != "x"+o.Comment {
		return nil, fmt.Errorf("summary: run name comment %q contains a path separator", o.Comment)
	}
	return &o, nil
}

// fileOptions returns the tfevents options of o.
func (o *Options) fileOptions() *tfevents.FileOptions {
	interval := o.FlushInterval
	if interval == 0 {
		interval = DefaultFlushInterval
	} else if interval < 0 {
		interval = 0
	}
	return &tfevents.FileOptions{
		Suffix:        o.FilenameSuffix,
		Fsync:         o.Fsync,
		FlushInterval: interval,
		BufferSize:    o.BufferSize,
		Now:           o.Now,
	}
}

// newWriter returns a Writer over f, writing the PurgeStep events first;
// it closes f if they fail.
func newWriter(f *tfevents.Writer, dir string, o *Options) (*Writer, error) {
	start := time.Now()
	wall := func() float64 { return tfevents.WallTime(o.Now()) }
	if o.Now == nil {
		base := tfevents.WallTime(start)
		wall = func() float64 { return base + time.Since(start).Seconds() }
	}
	w := &Writer{
		file:    f,
		dir:     dir,
		wall:    wall,
		buckets: o.Buckets,
		series:  map[string]*series{},
		errs:    errState{onError: o.OnError},
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

// Dir returns the run directory (the URL of a run in an object store), or
// "" for a Writer of a stream.
func (w *Writer) Dir() string { return w.dir }

// FileName returns the path of the event file (the URL of the first
// segment of a run in an object store), or "" for a Writer of a stream.
func (w *Writer) FileName() string {
	if w.fileName != "" {
		return w.fileName
	}
	return w.file.FileName()
}

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
		return nil, fmt.Errorf("%w: %q holds %s, not %s", ErrTagKind, tag, s.plugin, plugin)
	}
	return s, nil
}

// Scalar writes one scalar. TensorBoard stores scalars as float32: a value
// too large for float32 is refused rather than turned into infinity; NaN
// and ±Inf are written as they are. This is the hot path: once a tag has
// been seen it allocates nothing.
func (w *Writer) Scalar(tag string, step int64, value float64) error {
	if err := w.scalar(tag, step, value); err != nil {
		w.noteErr(err)
		return err
	}
	return nil
}

// scalar is Scalar, but for noting its error.
func (w *Writer) scalar(tag string, step int64, value float64) error {
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
	w.buf = s.scalar.appendEvent(w.buf[:0], wall, step, v)
	if err := w.writeRecord(tag, step); err != nil {
		return err
	}
	s.plugin = PluginScalars
	return nil
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
// with w.mu held. It notes its error for the Histogram methods.
func (w *Writer) writeHistogram(tag string, step int64, fill func() error) (err error) {
	defer w.note(&err)
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
func (w *Writer) Image(tag string, step int64, img image.Image) (err error) {
	defer w.note(&err)
	return w.images(tag, step, []image.Image{img})
}

// Images writes a batch of images of one size as one step of tag;
// TensorBoard shows them side by side with a sample slider.
func (w *Writer) Images(tag string, step int64, imgs []image.Image) (err error) {
	defer w.note(&err)
	return w.images(tag, step, imgs)
}

// images is Images.
func (w *Writer) images(tag string, step int64, imgs []image.Image) error {
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
func (w *Writer) Text(tag string, step int64, markdown string) (err error) {
	defer w.note(&err)
	return w.writeBuilt(tag, step, PluginText, func(m Meta) (*tbpb.Summary_Value, error) {
		return TextValue(tag, markdown, m)
	})
}

// Table writes rows as a text table (see TableValue).
func (w *Writer) Table(tag string, step int64, rows [][]string) (err error) {
	defer w.note(&err)
	return w.writeBuilt(tag, step, PluginText, func(m Meta) (*tbpb.Summary_Value, error) {
		return TableValue(tag, rows, m)
	})
}

// WriteValue writes a summary value built elsewhere (by this package's
// builders or by hand) at step. The value must carry metadata with a
// plugin name, and the tag must not hold another plugin's data.
func (w *Writer) WriteValue(step int64, v *tbpb.Summary_Value) (err error) {
	defer w.note(&err)
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
// An event larger than the readers' limit is refused before it is
// serialized.
func (w *Writer) writeValue(s *series, wall float64, step int64, v *tbpb.Summary_Value) error {
	w.sum.Value = append(w.sum.Value[:0], v)
	w.ev.WallTime = wall
	w.ev.Step = step
	w.ev.What = &tbpb.Event_Summary{Summary: &w.sum}
	defer func() { w.sum.Value[0] = nil }()
	opts := proto.MarshalOptions{Deterministic: true}
	if err := tfevents.CheckRecordLen(opts.Size(&w.ev)); err != nil {
		return fmt.Errorf("summary: %q at step %d: %w", shortTag(v.Tag), step, err)
	}
	opts.UseCachedSize = true // computed by Size just now
	var err error
	w.buf, err = opts.MarshalAppend(w.buf[:0], &w.ev)
	if err != nil {
		return fmt.Errorf("summary: marshal %q: %w", v.Tag, err)
	}
	if err := w.writeRecord(v.Tag, step); err != nil {
		return err
	}
	s.plugin = v.Metadata.GetPluginData().GetPluginName()
	return nil
}

// maxScratch is the largest w.buf kept between values: a large image or
// text should not hold its size in memory for the Writer's life.
const maxScratch = 1 << 20

// writeRecord writes w.buf, a serialized event of tag at step, as one
// record. The caller holds w.mu.
func (w *Writer) writeRecord(tag string, step int64) error {
	err := w.file.WriteRecord(w.buf)
	if cap(w.buf) > maxScratch {
		w.buf = nil
	}
	if errors.Is(err, tfevents.ErrRecordTooLarge) {
		return fmt.Errorf("summary: %q at step %d: %w", shortTag(tag), step, err)
	}
	return err
}

// shortTag returns tag, cut to a length an error message can carry.
func shortTag(tag string) string {
	const max = 100
	if len(tag) <= max {
		return tag
	}
	cut := max
	for cut > 0 && !utf8.RuneStart(tag[cut]) {
		cut--
	}
	return fmt.Sprintf("%s... (%d bytes)", tag[:cut], len(tag))
}

// WriteEvent writes a complete event, for data this package has no builder
// for. The event's wall time must be finite.
func (w *Writer) WriteEvent(ev *tbpb.Event) (err error) {
	defer w.note(&err)
	return w.file.WriteEvent(ev)
}

// Flush writes every buffered value to the event file; for a run in an
// object store it returns once they are uploaded and stored. It returns
// the file's error, if any, and a *RefusedError if values were refused
// since the previous Flush or Close.
func (w *Writer) Flush() error {
	err := w.file.Flush()
	if err != nil {
		w.noteErr(err)
	}
	return joinRefused(err, w.takeRefused())
}

// BeforeClose arranges for f to be called by the first Close, before the
// event file is flushed and closed, so that what writes through the Writer
// in the background, such as the system-metrics sampler of package
// summary/runinfo, stops first and its last values reach the file. The
// functions run in the order they were registered; f is called at once
// if Close has already been called.
func (w *Writer) BeforeClose(f func()) {
	w.closeMu.Lock()
	if !w.closed {
		w.beforeClose = append(w.beforeClose, f)
		f = nil
	}
	w.closeMu.Unlock()
	if f != nil {
		f()
	}
}

// Close calls the functions given to BeforeClose, ends the session of a
// Sweep's trial if it is still open, then flushes and closes the event
// file. Like Flush, it reports the values refused since the previous Flush
// with a *RefusedError. It is safe to call more than once; later calls
// return what the first returned.
func (w *Writer) Close() error {
	w.closeOnce.Do(func() {
		w.closeMu.Lock()
		hooks := w.beforeClose
		w.closed, w.beforeClose = true, nil
		w.closeMu.Unlock()
		for _, f := range hooks {
			f()
		}
		endErr := w.endTrial()
		err := w.file.Close()
		for _, c := range w.after {
			// A Sink's error is the file's already, when it has one.
			if cerr := c.Close(); err == nil {
				err = cerr
			}
		}
		if err != nil {
			w.noteErr(err)
		}
		w.closeErr = joinRefused(errors.Join(endErr, err), w.takeRefused())
	})
	return w.closeErr
}
