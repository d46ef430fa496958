package table

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"

	"github.com/tbgo/tbgo/history"
	"github.com/tbgo/tbgo/internal/atomicfile"
	"github.com/tbgo/tbgo/summary"
)

// ErrOptions is wrapped by the error of an export whose Options cannot be
// written where asked: media kinds to a single table, several kinds to
// one file, the wide layout without scalars.
var ErrOptions = errors.New("table: invalid options")

// Options say what an export writes. The zero Options write the scalars
// table in CSV with every value of every run as written (history's Raw
// view; the tbgo command reads the TensorBoard view unless asked).
type Options struct {
	// Kinds are the kinds of data to export; nil means Scalars alone.
	Kinds []Kind
	// Format is the tables' format; "" means CSV.
	Format Format
	// Wide writes the scalars table in the wide layout: a row per run and
	// step, a column per tag.
	Wide bool
	// Read selects the runs, tags and view, and says what to do with
	// damage (history.Options). The HParams table is made of every
	// selected run's session, whatever tags Read selects.
	Read history.Options
	// SpillAfter is how many values of a run the wide layout holds in
	// memory before it sorts them into a temporary file; 0 means 1<<20
	// (36 MiB).
	SpillAfter int
	// TempDir is where the wide layout's temporary files go; "" means
	// os.TempDir().
	TempDir string
	// Progress, if set, is called as the export goes, from the goroutine
	// that called it: when a run starts and every 65536 values.
	Progress func(Progress)
}

func (o *Options) kinds() []Kind {
	if len(o.Kinds) == 0 {
		return []Kind{Scalars}
	}
	return o.Kinds
}

func (o *Options) format() Format {
	if o.Format == "" {
		return CSV
	}
	return o.Format
}

// check reports Options that make no sense wherever they are written.
func (o *Options) check() error {
	if _, err := ParseFormat(string(o.format())); err != nil {
		return fmt.Errorf("%w: %v", ErrOptions, err)
	}
	for _, k := range o.kinds() {
		if !slices.Contains(Kinds(), k) {
			return fmt.Errorf("%w: unknown kind %q", ErrOptions, string(k))
		}
	}
	if o.Wide && !slices.Contains(o.kinds(), Scalars) {
		return fmt.Errorf("%w: the wide layout applies to scalars, which Kinds leaves out", ErrOptions)
	}
	if o.SpillAfter < 0 {
		return fmt.Errorf("%w: SpillAfter %d is negative", ErrOptions, o.SpillAfter)
	}
	return nil
}

// Progress is how far an export has gone.
type Progress struct {
	// Run is the run being read; Done counts the selected runs before it
	// (in name order), Runs all of them.
	Run        string
	Done, Runs int
	// Values counts the values read so far.
	Values int64
}

// A Result says what an export wrote.
type Result struct {
	// Rows counts the rows written to each table (the index rows, one
	// per file, for Images and Audio).
	Rows map[Kind]int64
	// Runs and Tags are the names of the runs and tags whose values were
	// written, sorted (sessions left out). A pattern of Options.Read that
	// matches none of them (history.Matcher.Unmatched) selected nothing.
	Runs, Tags []string
}

// Write writes one table, the only kind of o, to w. Images and Audio are
// files, which only WriteDir writes.
func Write(ctx context.Context, w io.Writer, src *history.Source, o *Options) (*Result, error) {
	if o == nil {
		o = &Options{}
	}
	if err := checkTable(o); err != nil {
		return nil, err
	}
	return export(ctx, src, o, func(Kind) (io.Writer, error) { return w, nil }, "")
}

// WriteFile writes one table, the only kind of o, to the file name,
// atomically (internal/atomicfile): the file appears whole once written,
// and a failed export leaves nothing behind.
func WriteFile(ctx context.Context, name string, src *history.Source, o *Options) (*Result, error) {
	if o == nil {
		o = &Options{}
	}
	if err := checkTable(o); err != nil {
		return nil, err
	}
	f, err := atomicfile.Create(name, 0)
	if err != nil {
		return nil, fmt.Errorf("table: cannot write %s: %w", name, pathError(err))
	}
	defer f.Abort()
	res, err := export(ctx, src, o, func(Kind) (io.Writer, error) { return f, nil }, "")
	if err != nil {
		return nil, err
	}
	if err := f.Commit(); err != nil {
		return nil, err
	}
	return res, nil
}

// checkTable checks Options for Write and WriteFile.
func checkTable(o *Options) error {
	if err := o.check(); err != nil {
		return err
	}
	switch kinds := o.kinds(); {
	case len(kinds) != 1:
		return fmt.Errorf("%w: %d kinds for one table", ErrOptions, len(kinds))
	case kinds[0].Media():
		return fmt.Errorf("%w: %s are files, written to a directory", ErrOptions, kinds[0])
	}
	return nil
}

// WriteDir writes every kind of o into the directory dir: each table to
// KIND.FORMAT (scalars.csv, hparams.parquet), images and audio clips
// into the directories images/ and audio/, each with its index table
// index.FORMAT. Everything is written into a temporary directory and
// moved into place once complete (internal/atomicfile), so a failed
// export leaves nothing behind: dir itself if it did not exist, or the
// new files in it. Files of an earlier export in dir are replaced, but
// an images/ or audio/ directory already there is an error.
func WriteDir(ctx context.Context, dir string, src *history.Source, o *Options) (*Result, error) {
	if o == nil {
		o = &Options{}
	}
	if err := o.check(); err != nil {
		return nil, err
	}
	kinds, format := o.kinds(), o.format()
	outputs := map[Kind]string{} // relative to dir
	for _, k := range kinds {
		if k.Media() {
			outputs[k] = string(k)
		} else {
			outputs[k] = string(k) + "." + string(format)
		}
	}
	exists := false
	if info, err := os.Stat(dir); err == nil {
		if !info.IsDir() {
			return nil, fmt.Errorf("table: %s exists and is not a directory", dir)
		}
		exists = true
		for _, k := range kinds {
			if p := filepath.Join(dir, outputs[k]); k.Media() {
				if _, err := os.Lstat(p); err == nil {
					return nil, fmt.Errorf("table: %s already exists; remove it or export elsewhere", p)
				}
			}
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("table: cannot write %s: %w", dir, err)
	}
	parent, base := dir, ".tbgo-export"
	if !exists {
		parent, base = filepath.Split(filepath.Clean(dir))
		if parent == "" {
			parent = "."
		}
		base = "." + base
	}
	staging, err := os.MkdirTemp(parent, base+".tmp-*")
	if err != nil {
		return nil, fmt.Errorf("table: cannot write %s: %w", dir, pathError(err))
	}
	defer os.RemoveAll(staging) // a no-op once renamed
	if err := os.Chmod(staging, 0o755); err != nil {
		return nil, fmt.Errorf("table: %w", err)
	}
	var files []*os.File
	defer func() {
		for _, f := range files {
			f.Close()
		}
	}()
	open := func(k Kind) (io.Writer, error) {
		name := filepath.Join(staging, outputs[k])
		if k.Media() {
			if err := os.Mkdir(name, 0o755); err != nil {
				return nil, fmt.Errorf("table: %w", err)
			}
			name = filepath.Join(name, "index."+string(format))
		}
		f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, atomicfile.DefaultPerm)
		if err != nil {
			return nil, fmt.Errorf("table: %w", err)
		}
		files = append(files, f)
		return f, nil
	}
	res, err := export(ctx, src, o, open, staging)
	if err != nil {
		return nil, err
	}
	for _, f := range files {
		err := f.Sync()
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return nil, fmt.Errorf("table: %w", err)
		}
	}
	files = nil
	// The names in the staged tree (media directories included) must be
	// durable before any of it is renamed into place.
	if err := atomicfile.SyncTree(staging); err != nil {
		return nil, err
	}
	if !exists {
		if err := atomicfile.Rename(staging, dir); err != nil {
			return nil, fmt.Errorf("table: write %s: %w", dir, err)
		}
		return res, nil
	}
	for _, k := range kinds {
		if err := atomicfile.Rename(filepath.Join(staging, outputs[k]), filepath.Join(dir, outputs[k])); err != nil {
			return nil, fmt.Errorf("table: write %s: %w", filepath.Join(dir, outputs[k]), err)
		}
	}
	return res, nil
}

// pathError drops the temporary name from an *os.PathError, which would
// only confuse.
func pathError(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// export reads the source once and writes every kind of o. open returns
// the writer of a kind's table; mediaDir holds the images/ and audio/
// directories.
func export(ctx context.Context, src *history.Source, o *Options, open func(Kind) (io.Writer, error), mediaDir string) (*Result, error) {
	kinds, format := o.kinds(), o.format()
	ex := &exporter{seen: seen{runs: map[string]bool{}, tags: map[string]bool{}}}
	ex.progress.init(src, o)
	sinks := map[Kind]sink{}
	defer func() {
		for _, s := range sinks {
			if d, ok := s.(interface{ discard() }); ok {
				d.discard()
			}
		}
	}()
	for _, k := range kinds {
		w, err := open(k)
		if err != nil {
			return nil, err
		}
		var s sink
		switch {
		case k == Scalars && o.Wide:
			s, err = newWideSink(ctx, src, o, w, ex)
		case k == HParams:
			s = &hparamsSink{w: w, format: format, sessions: map[string]*history.Session{}}
		case k.Media():
			s, err = newMediaSink(w, format, k, filepath.Join(mediaDir, string(k)))
		default:
			s, err = newTableSink(w, format, k)
		}
		if err != nil {
			return nil, err
		}
		sinks[k] = s
	}

	var err error
	if ss, ok := sinks[Scalars].(scalarSink); ok && len(sinks) == 1 {
		err = ss.scalars(ctx, src, &o.Read, ex)
	} else {
		read := o.Read
		hp := sinks[HParams]
		if hp != nil {
			read.Tags = nil // sessions are read whatever the tags asked for
		}
		err = src.Values(ctx, &read, func(v *history.Value) error {
			if hp != nil && v.Plugin == summary.PluginHParams {
				if err := hp.value(v); err != nil {
					return err
				}
			}
			if !o.Read.Tags.Match(v.Tag) {
				return nil
			}
			var s sink
			switch v.Kind {
			case summary.KindScalar:
				s = sinks[Scalars]
			case summary.KindHistogram:
				s = sinks[Histograms]
			case summary.KindText:
				s = sinks[Text]
			case summary.KindImage:
				s = sinks[Images]
			case summary.KindAudio:
				s = sinks[Audio]
			}
			ex.progress.add(v.Run, 1)
			if s == nil {
				return nil
			}
			ex.seen.note(v.Run, v.Tag)
			return s.value(v)
		})
	}
	if err != nil {
		return nil, err
	}
	res := &Result{Rows: map[Kind]int64{}}
	for _, k := range kinds {
		n, err := sinks[k].close()
		if err != nil {
			return nil, fmt.Errorf("table: export %s: %w", k, err)
		}
		res.Rows[k] = n
	}
	res.Runs, res.Tags = ex.seen.sorted()
	return res, nil
}

// An exporter is the state of one export that its sinks share.
type exporter struct {
	seen     seen
	progress progress
}

// seen collects the runs and tags of the values exported.
type seen struct {
	runs, tags       map[string]bool
	lastRun, lastTag string
}

func (s *seen) note(run, tag string) {
	if run != s.lastRun || len(s.runs) == 0 {
		s.runs[run] = true
		s.lastRun = run
	}
	if tag != s.lastTag || len(s.tags) == 0 {
		s.tags[tag] = true
		s.lastTag = tag
	}
}

// noteBatch takes in the runs and tags of a batch and clears them.
func (s *seen) noteBatch(b *batch) {
	for _, r := range b.runs {
		s.runs[r] = true
	}
	for _, t := range b.tags {
		s.tags[t] = true
	}
	b.runs, b.tags = b.runs[:0], b.tags[:0]
}

func (s *seen) sorted() (runs, tags []string) {
	for r := range s.runs {
		runs = append(runs, r)
	}
	for t := range s.tags {
		tags = append(tags, t)
	}
	slices.Sort(runs)
	slices.Sort(tags)
	return runs, tags
}

// progressEvery is how many values an export reads between calls of
// Options.Progress within a run.
const progressEvery = 1 << 16

// progress calls Options.Progress.
type progress struct {
	fn    func(Progress)
	index map[string]int // run -> runs selected before it
	p     Progress
	next  int64
}

func (p *progress) init(src *history.Source, o *Options) {
	if o.Progress == nil {
		return
	}
	p.fn, p.index = o.Progress, map[string]int{}
	for _, r := range src.Runs() {
		if o.Read.Runs.Match(r.Name) {
			p.index[r.Name] = p.p.Runs
			p.p.Runs++
		}
	}
}

// add counts n values of run.
func (p *progress) add(run string, n int) {
	if p.fn == nil {
		return
	}
	p.p.Values += int64(n)
	if run != p.p.Run {
		p.p.Run, p.p.Done = run, p.index[run]
	} else if p.p.Values < p.next {
		return
	}
	p.next = p.p.Values + progressEvery
	p.fn(p.p)
}

// A sink writes one kind of data.
type sink interface {
	value(v *history.Value) error
	// close finishes the table and returns its rows.
	close() (int64, error)
}

// A scalarSink writes scalars, and can read them from a source itself,
// faster than value by value.
type scalarSink interface {
	sink
	scalars(ctx context.Context, src *history.Source, o *history.Options, ex *exporter) error
}

// tableSink writes scalars (in the long layout), histograms or text.
type tableSink struct {
	w    *Writer
	row  []Value
	rows int64
}

func newTableSink(w io.Writer, f Format, k Kind) (*tableSink, error) {
	tw, err := NewWriter(w, f, Columns(k))
	if err != nil {
		return nil, err
	}
	return &tableSink{w: tw}, nil
}

// scalars writes every scalar o selects. The rows of each batch are
// encoded in the goroutine that decoded it, so with several runs and CPUs
// both happen in parallel (history.MapScalars).
func (s *tableSink) scalars(ctx context.Context, src *history.Source, o *history.Options, ex *exporter) error {
	enc := s.w.enc
	if err := enc.Write(&s.w.b); err != nil {
		return err
	}
	return history.MapScalars(ctx, src, o, func(b *batch, scalars []history.Scalar) *batch {
		if b == nil {
			b = &batch{}
		}
		for i := range scalars {
			sc := &scalars[i]
			b.row = append(b.row[:0], StringValue(sc.Run), StringValue(sc.Tag), IntValue(sc.Step),
				TimeValue(sc.WallTime), ScalarValue(sc.Value))
			enc.Encode(b, b.row)
			b.note(sc.Run, sc.Tag)
		}
		return b
	}, func(b *batch) error {
		s.rows += int64(b.count)
		if n := len(b.runs); n > 0 {
			ex.progress.add(b.runs[n-1], b.count)
		}
		ex.seen.noteBatch(b)
		b.count = 0
		return enc.Write(b)
	})
}

func (s *tableSink) value(v *history.Value) error {
	head := func() []Value {
		return append(s.row[:0], StringValue(v.Run), StringValue(v.Tag), IntValue(v.Step), TimeValue(v.WallTime))
	}
	write := func(row []Value) error {
		s.rows++
		return s.w.row(row)
	}
	switch v.Kind {
	case summary.KindScalar:
		s.row = append(head(), ScalarValue(v.Scalar))
		return write(s.row)
	case summary.KindHistogram:
		if len(v.Buckets) == 0 {
			s.row = append(head(), Value{}, Value{}, Value{}, Value{})
			return write(s.row)
		}
		for i, b := range v.Buckets {
			s.row = append(head(), IntValue(int64(i)), FloatValue(b.Left), FloatValue(b.Right), FloatValue(b.Count))
			if err := write(s.row); err != nil {
				return err
			}
		}
	case summary.KindText:
		cols := int64(1)
		if n := len(v.Shape); n >= 2 && v.Shape[n-1] > 0 {
			cols = v.Shape[n-1]
		}
		for i, text := range v.Text {
			s.row = append(head(), IntValue(int64(i)/cols), IntValue(int64(i)%cols), StringValue(text))
			if err := write(s.row); err != nil {
				return err
			}
		}
	}
	return nil
}

func (s *tableSink) close() (int64, error) { return s.rows, s.w.Close() }

// hparamsSink collects each run's session and writes them at the end.
type hparamsSink struct {
	w        io.Writer
	format   Format
	sessions map[string]*history.Session
	order    []string
}

func (h *hparamsSink) value(v *history.Value) error {
	s := h.sessions[v.Run]
	if s == nil {
		s = &history.Session{}
		h.sessions[v.Run] = s
		h.order = append(h.order, v.Run)
	}
	if _, err := s.Add(&v.Value); err != nil {
		return fmt.Errorf("table: %s offset %d: %w", v.File, v.Offset, err)
	}
	return nil
}

func (h *hparamsSink) close() (int64, error) {
	var started []*history.Session
	var runs []string
	var hps []map[string]any
	for _, run := range h.order {
		if s := h.sessions[run]; s.Started {
			started, runs, hps = append(started, s), append(runs, run), append(hps, s.HParams)
		}
	}
	fixed := Columns(HParams)
	cols, names := HParamColumns(fixed, hps)
	w, err := NewWriter(h.w, h.format, cols)
	if err != nil {
		return 0, err
	}
	var row []Value
	for i, s := range started {
		row = append(row[:0], StringValue(runs[i]), StringValue(s.Group), StringValue(s.Status.String()), Value{}, Value{})
		if s.StartTime != 0 {
			row[3] = TimeValue(s.StartTime)
		}
		if s.Ended {
			row[4] = TimeValue(s.EndTime)
		}
		for j, name := range names {
			row = append(row, HParamValue(s.HParams[name], cols[len(fixed)+j].Type))
		}
		if err := w.row(row); err != nil {
			return 0, err
		}
	}
	return int64(len(started)), w.Close()
}
