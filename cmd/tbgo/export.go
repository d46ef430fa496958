package main

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/tbgo/tbgo/history"
	"github.com/tbgo/tbgo/summary"
	"github.com/tbgo/tbgo/tfevents"
)

// What export can write.
const (
	kindScalars    = "scalars"
	kindHistograms = "histograms"
	kindText       = "text"
	kindHParams    = "hparams"
	kindImages     = "images"
	kindAudio      = "audio"
)

var exportKinds = []string{kindScalars, kindHistograms, kindText, kindHParams, kindImages, kindAudio}

// exportColumns documents every table export writes; -h prints it.
const exportColumns = `Tables (columns in this order; names are stable):
  scalars, long layout    run, tag, step, wall_time, value
  scalars, wide layout    run, step, wall_time, then one column per tag (tags in name order)
  histograms              run, tag, step, wall_time, bucket, left, right, count
                          (one row per bucket; a histogram of no data is one row with
                          bucket, left, right and count empty)
  text                    run, tag, step, wall_time, row, col, text
                          (one row per cell; a document is row 0, col 0)
  hparams                 run, group, status, start_time, end_time, then one column per
                          hyper-parameter in name order (named "hparam:NAME" if NAME is
                          one of the five before it); one row per run with a session
  images/index            run, tag, step, wall_time, sample, width, height, file
  audio/index             run, tag, step, wall_time, sample, content_type, sample_rate, label, file
wall_time is seconds since the Unix epoch; status is TensorBoard's (STATUS_SUCCESS,
STATUS_FAILURE, STATUS_RUNNING, STATUS_UNKNOWN when the run has no session end).
Numbers are float64 (scalars are float32 widened exactly), written in CSV and JSON in
the shortest form that reads back to the same float64; NaN and infinities are NaN,
Inf, -Inf in CSV, "NaN", "Infinity", "-Infinity" in JSON Lines, themselves in Parquet.
Media files are named RUN/TAG/step<STEP>_<SAMPLE>.<ext> below images/ or audio/, each
part of RUN and TAG reduced to letters, digits, "-", "_" and "." and, when that changed
it, suffixed with "~" and a hash of the original; index.<format> maps them back.
`

type exportConfig struct {
	source string
	kinds  []string
	format string
	wide   bool
	out    string
	read   history.Options
	strict bool
	spill  int
}

func runExport(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("export", "[flags] LOGDIR|RUN|FILE|ARCHIVE", stderr)
	what := fs.String("what", kindScalars, "what to export, comma-separated: "+strings.Join(exportKinds, ", ")+", or all")
	format := fs.String("format", "", "csv, jsonl or parquet (default: from -o's extension, else csv)")
	layout := fs.String("layout", "long", "scalars table layout: long (a row per value) or wide (a row per run and step, a column per tag)")
	out := fs.String("o", "", "output `path`: a file for one table (default standard output), a directory for images, audio or several kinds")
	var runs, tags patternList
	fs.Var(&runs, "run", "select runs by `pattern` (glob, or re:REGEXP); repeatable")
	fs.Var(&tags, "tag", "select tags by `pattern` (glob, or re:REGEXP); repeatable")
	view := fs.String("view", "raw", "raw (every value as written) or tensorboard (what TensorBoard shows: restarts and repeated steps preempted)")
	strict := fs.Bool("strict", false, "fail at the first damaged record instead of skipping it with a warning")
	spill := fs.Int("spill-after", 1<<20, "wide layout: values of one run held in memory before they are sorted into a temporary file")
	usage := fs.Usage
	fs.Usage = func() {
		usage()
		fmt.Fprint(stderr, "\n"+exportColumns)
	}
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return fmt.Errorf("%w: export takes one LOGDIR, RUN, FILE or ARCHIVE", errUsage)
	}
	cfg := exportConfig{source: fs.Arg(0), out: *out, strict: *strict, spill: *spill}
	var err error
	if cfg.kinds, err = parseKinds(*what); err != nil {
		return err
	}
	cfg.format = *format
	if cfg.format == "" {
		cfg.format = formatCSV
		switch strings.ToLower(filepath.Ext(cfg.out)) {
		case ".jsonl", ".ndjson":
			cfg.format = formatJSONL
		case ".parquet", ".pq":
			cfg.format = formatParquet
		}
	}
	if !slices.Contains([]string{formatCSV, formatJSONL, formatParquet}, cfg.format) {
		return fmt.Errorf("%w: unknown format %q (want csv, jsonl or parquet)", errUsage, cfg.format)
	}
	switch *layout {
	case "long":
	case "wide":
		if !slices.Contains(cfg.kinds, kindScalars) {
			return fmt.Errorf("%w: -layout wide applies to scalars, which -what leaves out", errUsage)
		}
		cfg.wide = true
	default:
		return fmt.Errorf("%w: unknown layout %q (want long or wide)", errUsage, *layout)
	}
	if cfg.spill < 1 {
		return fmt.Errorf("%w: -spill-after must be positive", errUsage)
	}
	if cfg.read.View, err = history.ParseView(*view); err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	if cfg.read.Runs, cfg.read.Tags, err = compileSelection(runs, tags); err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	return export(ctx, &cfg, stdout, stderr)
}

// compileSelection compiles a command's -run and -tag patterns.
func compileSelection(runs, tags patternList) (runM, tagM *history.Matcher, err error) {
	if runM, err = history.Compile(runs...); err != nil {
		return nil, nil, fmt.Errorf("%w: -run: %v", errUsage, err)
	}
	if tagM, err = history.Compile(tags...); err != nil {
		return nil, nil, fmt.Errorf("%w: -tag: %v", errUsage, err)
	}
	return runM, tagM, nil
}

// patternList is a repeatable pattern flag.
type patternList []string

func (p *patternList) String() string { return strings.Join(*p, ",") }

func (p *patternList) Set(s string) error {
	*p = append(*p, s)
	return nil
}

func parseKinds(s string) ([]string, error) {
	if s == "all" {
		return exportKinds, nil
	}
	var kinds []string
	for _, k := range strings.Split(s, ",") {
		k = strings.TrimSpace(k)
		if !slices.Contains(exportKinds, k) {
			return nil, fmt.Errorf("%w: unknown kind %q in -what (want %s or all)", errUsage, k, strings.Join(exportKinds, ", "))
		}
		if !slices.Contains(kinds, k) {
			kinds = append(kinds, k)
		}
	}
	return kinds, nil
}

// export writes what cfg asks for.
func export(ctx context.Context, cfg *exportConfig, stdout, stderr io.Writer) error {
	src, err := history.Open(cfg.source)
	if err != nil {
		return err
	}
	defer src.Close()
	problems := 0
	cfg.read.Strict = cfg.strict
	cfg.read.Damaged = func(d *tfevents.Damage) error {
		problems++
		fmt.Fprintf(stderr, "tbgo: warning: %v\n", d)
		return nil
	}
	table := len(cfg.kinds) == 1 && cfg.kinds[0] != kindImages && cfg.kinds[0] != kindAudio
	if table && cfg.out != "" && cfg.out != "-" {
		if info, err := os.Stat(cfg.out); err == nil && info.IsDir() {
			table = false
		}
	}
	if table {
		err = exportTable(ctx, cfg, src, stdout)
	} else {
		err = exportDir(ctx, cfg, src)
	}
	if err != nil {
		return err
	}
	if problems > 0 {
		fmt.Fprintf(stderr, "tbgo: export: %d damaged or incomplete record(s) skipped\n", problems)
	}
	return nil
}

// exportTable writes the one table of cfg to cfg.out or stdout.
func exportTable(ctx context.Context, cfg *exportConfig, src *history.Source, stdout io.Writer) error {
	if cfg.out == "" || cfg.out == "-" {
		return writeKinds(ctx, cfg, src, func(kind string) (io.Writer, func() error, error) {
			return stdout, func() error { return nil }, nil
		}, "")
	}
	f, err := createAtomic(cfg.out)
	if err != nil {
		return err
	}
	defer f.Abort()
	if err := writeKinds(ctx, cfg, src, func(string) (io.Writer, func() error, error) {
		return f, func() error { return nil }, nil
	}, ""); err != nil {
		return err
	}
	return f.Commit()
}

// exportDir writes every kind of cfg into the directory cfg.out, staged in
// a temporary directory and moved into place once everything is written.
func exportDir(ctx context.Context, cfg *exportConfig, src *history.Source) error {
	if cfg.out == "" || cfg.out == "-" {
		return fmt.Errorf("%w: -o DIR is needed for %s", errUsage, strings.Join(cfg.kinds, ", "))
	}
	outputs := map[string]string{} // kind -> path relative to the output directory
	for _, k := range cfg.kinds {
		if k == kindImages || k == kindAudio {
			outputs[k] = k
		} else {
			outputs[k] = k + "." + cfg.format
		}
	}
	exists := false
	if info, err := os.Stat(cfg.out); err == nil {
		if !info.IsDir() {
			return fmt.Errorf("%s exists and is not a directory", cfg.out)
		}
		exists = true
		for _, k := range []string{kindImages, kindAudio} {
			if _, ok := outputs[k]; ok {
				if _, err := os.Lstat(filepath.Join(cfg.out, k)); err == nil {
					return fmt.Errorf("%s already exists; remove it or export elsewhere", filepath.Join(cfg.out, k))
				}
			}
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return err
	}
	parent, base := cfg.out, ".tbgo-export"
	if !exists {
		parent, base = filepath.Split(filepath.Clean(cfg.out))
		if parent == "" {
			parent = "."
		}
		base = "." + base
	}
	staging, err := os.MkdirTemp(parent, base+".tmp-*")
	if err != nil {
		return fmt.Errorf("cannot write %s: %w", cfg.out, unwrapPathError(err))
	}
	defer os.RemoveAll(staging) // a no-op once renamed
	if err := os.Chmod(staging, 0o755); err != nil {
		return err
	}
	var files []*os.File
	defer func() {
		for _, f := range files {
			f.Close()
		}
	}()
	open := func(kind string) (io.Writer, func() error, error) {
		name := filepath.Join(staging, outputs[kind])
		if kind == kindImages || kind == kindAudio {
			if err := os.Mkdir(name, 0o755); err != nil {
				return nil, nil, err
			}
			name = filepath.Join(name, "index."+cfg.format)
		}
		f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if err != nil {
			return nil, nil, err
		}
		files = append(files, f)
		return f, f.Close, nil
	}
	if err := writeKinds(ctx, cfg, src, open, staging); err != nil {
		return err
	}
	if !exists {
		if err := os.Rename(staging, cfg.out); err != nil {
			return fmt.Errorf("write %s: %w", cfg.out, err)
		}
		return nil
	}
	for _, k := range cfg.kinds {
		if err := os.Rename(filepath.Join(staging, outputs[k]), filepath.Join(cfg.out, outputs[k])); err != nil {
			return fmt.Errorf("write %s: %w", filepath.Join(cfg.out, outputs[k]), err)
		}
	}
	return nil
}

// writeKinds reads the source once and writes every kind of cfg. open
// returns the writer for a kind's table and a function closing it; mediaDir
// is the directory that holds the images/ and audio/ directories.
func writeKinds(ctx context.Context, cfg *exportConfig, src *history.Source,
	open func(kind string) (io.Writer, func() error, error), mediaDir string) error {
	sinks := map[string]sink{}
	var closers []func() error
	for _, k := range cfg.kinds {
		w, closeFile, err := open(k)
		if err != nil {
			return err
		}
		closers = append(closers, closeFile)
		var s sink
		switch k {
		case kindScalars:
			if cfg.wide {
				s, err = newWideSink(ctx, cfg, src, w)
			} else {
				s, err = newTableSink(w, cfg.format, scalarColumns)
			}
		case kindHistograms:
			s, err = newTableSink(w, cfg.format, histogramColumns)
		case kindText:
			s, err = newTableSink(w, cfg.format, textColumns)
		case kindHParams:
			s = &hparamsSink{w: w, format: cfg.format, sessions: map[string]*history.Session{}}
		case kindImages, kindAudio:
			s, err = newMediaSink(w, cfg.format, k, filepath.Join(mediaDir, k))
		}
		if err != nil {
			return err
		}
		sinks[k] = s
	}

	var err error
	if ss, ok := sinks[kindScalars].(scalarSink); ok && len(sinks) == 1 {
		err = ss.scalars(ctx, src, &cfg.read)
	} else {
		read := cfg.read
		hp := sinks[kindHParams]
		if hp != nil {
			read.Tags = nil // sessions are read whatever the tags asked for
		}
		err = src.Values(ctx, &read, func(v *history.Value) error {
			if hp != nil && v.Plugin == summary.PluginHParams {
				if err := hp.value(v); err != nil {
					return err
				}
			}
			if !cfg.read.Tags.Match(v.Tag) {
				return nil
			}
			var s sink
			switch v.Kind {
			case summary.KindScalar:
				s = sinks[kindScalars]
			case summary.KindHistogram:
				s = sinks[kindHistograms]
			case summary.KindText:
				s = sinks[kindText]
			case summary.KindImage:
				s = sinks[kindImages]
			case summary.KindAudio:
				s = sinks[kindAudio]
			}
			if s == nil {
				return nil
			}
			return s.value(v)
		})
	}
	if err != nil {
		return err
	}
	for _, k := range cfg.kinds {
		if err := sinks[k].close(); err != nil {
			return fmt.Errorf("export %s: %w", k, err)
		}
	}
	for _, c := range closers {
		if err := c(); err != nil {
			return err
		}
	}
	return nil
}

// A sink writes one kind of data.
type sink interface {
	value(v *history.Value) error
	close() error
}

// A scalarSink writes scalars, and can read them from a source itself,
// faster than value by value.
type scalarSink interface {
	sink
	scalars(ctx context.Context, src *history.Source, o *history.Options) error
}

var (
	scalarColumns = []column{
		{name: "run", repeats: true}, {name: "tag", repeats: true},
		{name: "step", typ: colInt}, {name: "wall_time", typ: colFloat}, {name: "value", typ: colFloat},
	}
	histogramColumns = []column{
		{name: "run", repeats: true}, {name: "tag", repeats: true},
		{name: "step", typ: colInt}, {name: "wall_time", typ: colFloat},
		{name: "bucket", typ: colInt, optional: true},
		{name: "left", typ: colFloat, optional: true}, {name: "right", typ: colFloat, optional: true},
		{name: "count", typ: colFloat, optional: true},
	}
	textColumns = []column{
		{name: "run", repeats: true}, {name: "tag", repeats: true},
		{name: "step", typ: colInt}, {name: "wall_time", typ: colFloat},
		{name: "row", typ: colInt}, {name: "col", typ: colInt}, {name: "text"},
	}
	imageColumns = []column{
		{name: "run", repeats: true}, {name: "tag", repeats: true},
		{name: "step", typ: colInt}, {name: "wall_time", typ: colFloat},
		{name: "sample", typ: colInt}, {name: "width", typ: colInt}, {name: "height", typ: colInt},
		{name: "file"},
	}
	audioColumns = []column{
		{name: "run", repeats: true}, {name: "tag", repeats: true},
		{name: "step", typ: colInt}, {name: "wall_time", typ: colFloat},
		{name: "sample", typ: colInt}, {name: "content_type", repeats: true},
		{name: "sample_rate", typ: colFloat, optional: true}, {name: "label"},
		{name: "file"},
	}
)

// tableSink writes scalars, histograms or text in the long layout.
type tableSink struct {
	t     *table
	cells []cell
}

func newTableSink(w io.Writer, format string, cols []column) (*tableSink, error) {
	t, err := newTableWriter(w, format, cols)
	if err != nil {
		return nil, err
	}
	return &tableSink{t: t}, nil
}

// scalars writes every scalar o selects to a table of scalarColumns. The
// rows of each batch are encoded in the goroutine that decoded it, so
// with several runs and CPUs both happen in parallel (history.MapScalars).
func (s *tableSink) scalars(ctx context.Context, src *history.Source, o *history.Options) error {
	f := s.t.format
	if err := f.Write(&s.t.batch); err != nil {
		return err
	}
	return history.MapScalars(ctx, src, o, func(b *rowBatch, batch []history.Scalar) *rowBatch {
		if b == nil {
			b = &rowBatch{}
		}
		for i := range batch {
			sc := &batch[i]
			b.cells = append(b.cells[:0], str(sc.Run), str(sc.Tag), integer(sc.Step), num(sc.WallTime), num(sc.Value))
			f.Encode(b, b.cells)
		}
		return b
	}, f.Write)
}

func (s *tableSink) value(v *history.Value) error {
	head := func() []cell {
		return append(s.cells[:0], str(v.Run), str(v.Tag), integer(v.Step), num(v.WallTime))
	}
	switch v.Kind {
	case summary.KindScalar:
		s.cells = append(head(), num(v.Scalar))
		return s.t.Row(s.cells)
	case summary.KindHistogram:
		if len(v.Buckets) == 0 {
			s.cells = append(head(), null(), null(), null(), null())
			return s.t.Row(s.cells)
		}
		for i, b := range v.Buckets {
			s.cells = append(head(), integer(int64(i)), num(b.Left), num(b.Right), num(b.Count))
			if err := s.t.Row(s.cells); err != nil {
				return err
			}
		}
	case summary.KindText:
		cols := int64(1)
		if n := len(v.Shape); n >= 2 && v.Shape[n-1] > 0 {
			cols = v.Shape[n-1]
		}
		for i, text := range v.Text {
			s.cells = append(head(), integer(int64(i)/cols), integer(int64(i)%cols), str(text))
			if err := s.t.Row(s.cells); err != nil {
				return err
			}
		}
	}
	return nil
}

func (s *tableSink) close() error { return s.t.Close() }

// hparamsSink collects each run's session and writes them at the end.
type hparamsSink struct {
	w        io.Writer
	format   string
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
		return fmt.Errorf("%s offset %d: %w", v.File, v.Offset, err)
	}
	return nil
}

// hparamsFixed are the hparams table's first columns.
var hparamsFixed = []string{"run", "group", "status", "start_time", "end_time"}

func (h *hparamsSink) close() error {
	type hp struct {
		name string
		typ  colType
	}
	kinds := map[string]map[colType]bool{}
	for _, s := range h.sessions {
		for k, v := range s.HParams {
			if kinds[k] == nil {
				kinds[k] = map[colType]bool{}
			}
			kinds[k][hparamColType(v)] = true
		}
	}
	var hps []hp
	for name, ts := range kinds {
		typ := colString
		if len(ts) == 1 {
			for t := range ts {
				typ = t
			}
		}
		hps = append(hps, hp{name, typ})
	}
	slices.SortFunc(hps, func(a, b hp) int { return strings.Compare(a.name, b.name) })
	cols := []column{
		{name: "run"}, {name: "group"}, {name: "status", repeats: true},
		{name: "start_time", typ: colFloat, optional: true}, {name: "end_time", typ: colFloat, optional: true},
	}
	for _, p := range hps {
		cols = append(cols, column{name: hparamColumn(p.name), typ: p.typ, optional: true})
	}
	t, err := newTableWriter(h.w, h.format, cols)
	if err != nil {
		return err
	}
	var cells []cell
	for _, run := range h.order {
		s := h.sessions[run]
		if !s.Started {
			continue
		}
		cells = append(cells[:0], str(run), str(s.Group), str(s.Status.String()),
			optNum(s.StartTime, s.StartTime != 0), optNum(s.EndTime, s.Ended))
		for _, p := range hps {
			v, ok := s.HParams[p.name]
			switch {
			case !ok:
				cells = append(cells, null())
			case p.typ == colFloat:
				cells = append(cells, num(v.(float64)))
			case p.typ == colBool:
				cells = append(cells, boolean(v.(bool)))
			default:
				cells = append(cells, str(hparamString(v)))
			}
		}
		if err := t.Row(cells); err != nil {
			return err
		}
	}
	return t.Close()
}

// hparamColumn names a hyper-parameter's column: its name, unless that is
// one of the fixed columns.
func hparamColumn(name string) string {
	if slices.Contains(hparamsFixed, name) {
		return "hparam:" + name
	}
	return name
}

func hparamColType(v any) colType {
	switch v.(type) {
	case float64:
		return colFloat
	case bool:
		return colBool
	}
	return colString
}

func hparamString(v any) string {
	switch x := v.(type) {
	case float64:
		return string(appendFloat(nil, x))
	case bool:
		return strconv.FormatBool(x)
	case string:
		return x
	}
	return fmt.Sprint(v)
}

// mediaSink extracts images or audio clips to files and indexes them.
type mediaSink struct {
	kind  string
	dir   string
	t     tableWriter
	cells []cell
	made  map[string]bool // files written, relative to dir
}

func newMediaSink(w io.Writer, format, kind, dir string) (*mediaSink, error) {
	cols := imageColumns
	if kind == kindAudio {
		cols = audioColumns
	}
	t, err := newTableWriter(w, format, cols)
	if err != nil {
		return nil, err
	}
	return &mediaSink{kind: kind, dir: dir, t: t, made: map[string]bool{}}, nil
}

func (m *mediaSink) value(v *history.Value) error {
	dir := filepath.Join(sanitize(v.Run), sanitize(v.Tag))
	if err := os.MkdirAll(filepath.Join(m.dir, dir), 0o755); err != nil {
		return err
	}
	for i, blob := range v.Blobs {
		ext := imageExt(blob)
		if m.kind == kindAudio {
			ext = audioExt(blob, v.ContentType)
		}
		name := filepath.Join(dir, fmt.Sprintf("step%d_%d", v.Step, i))
		rel := name + ext
		for n := 2; m.made[rel]; n++ { // the same step again (raw view)
			rel = fmt.Sprintf("%s-%d%s", name, n, ext)
		}
		m.made[rel] = true
		if err := os.WriteFile(filepath.Join(m.dir, rel), blob, 0o644); err != nil {
			return err
		}
		m.cells = append(m.cells[:0], str(v.Run), str(v.Tag), integer(v.Step), num(v.WallTime), integer(int64(i)))
		if m.kind == kindImages {
			m.cells = append(m.cells, integer(int64(v.Width)), integer(int64(v.Height)))
		} else {
			contentType, rate := v.ContentType, v.SampleRate
			if ext == ".wav" {
				contentType = "audio/wav"
				if _, r, err := summary.DecodeWAV(blob); err == nil && rate == 0 {
					rate = r
				}
			}
			label := ""
			if i < len(v.Labels) {
				label = v.Labels[i]
			}
			m.cells = append(m.cells, str(contentType), optNum(rate, rate != 0), str(label))
		}
		m.cells = append(m.cells, str(filepath.ToSlash(rel)))
		if err := m.t.Row(m.cells); err != nil {
			return err
		}
	}
	return nil
}

func (m *mediaSink) close() error { return m.t.Close() }

// imageExt names an encoded image's format by its magic bytes, as
// TensorBoard sniffs it.
func imageExt(b []byte) string {
	switch {
	case strings.HasPrefix(string(b[:min(len(b), 8)]), "\x89PNG\r\n\x1a\n"):
		return ".png"
	case len(b) >= 3 && b[0] == 0xff && b[1] == 0xd8 && b[2] == 0xff:
		return ".jpg"
	case strings.HasPrefix(string(b[:min(len(b), 4)]), "GIF8"):
		return ".gif"
	case strings.HasPrefix(string(b[:min(len(b), 2)]), "BM"):
		return ".bmp"
	}
	return ".bin"
}

func audioExt(b []byte, contentType string) string {
	if len(b) >= 12 && string(b[:4]) == "RIFF" && string(b[8:12]) == "WAVE" || contentType == "audio/wav" {
		return ".wav"
	}
	return ".bin"
}

// wideSink writes scalars one row per (run, step). Values arrive in file
// order, a run at a time; the sink collects a run's values, sorts them by
// step (keeping file order within a step) and writes a row per step, the
// last value of each tag at that step in its column and the earliest wall
// time of the row's values as its wall_time. A run holding more than
// cfg.spill values is sorted in chunks of that many into temporary files,
// which are then merged, so memory stays bounded whatever the run's size.
type wideSink struct {
	t       tableWriter
	col     map[string]int // tag -> column
	ntags   int
	limit   int
	run     string
	buf     []wideEntry
	seq     uint64
	spills  []*os.File
	cells   []cell
	present []bool
}

type wideEntry struct {
	step  int64
	seq   uint64
	wall  float64
	value float64
	col   int32
}

const wideEntrySize = 8 + 8 + 8 + 8 + 4

func newWideSink(ctx context.Context, cfg *exportConfig, src *history.Source, w io.Writer) (*wideSink, error) {
	// A first pass finds the columns: every selected scalar tag.
	tagSet := map[string]bool{}
	read := cfg.read
	read.Damaged = func(*tfevents.Damage) error { return nil } // the export pass reports them
	if err := src.Scalars(ctx, &read, func(s *history.Scalar) error {
		tagSet[s.Tag] = true
		return nil
	}); err != nil {
		return nil, err
	}
	tags := make([]string, 0, len(tagSet))
	for t := range tagSet {
		tags = append(tags, t)
	}
	slices.Sort(tags)
	cols := []column{{name: "run", repeats: true}, {name: "step", typ: colInt}, {name: "wall_time", typ: colFloat}}
	s := &wideSink{col: map[string]int{}, ntags: len(tags), limit: cfg.spill}
	for i, tag := range tags {
		if slices.ContainsFunc(cols[:3], func(c column) bool { return c.name == tag }) {
			return nil, fmt.Errorf("a scalar tag is named %q, which the wide layout uses for a column of its own; select tags with -tag or use -layout long", tag)
		}
		cols = append(cols, column{name: tag, typ: colFloat, optional: true})
		s.col[tag] = i
	}
	t, err := newTableWriter(w, cfg.format, cols)
	if err != nil {
		return nil, err
	}
	s.t = t
	return s, nil
}

func (s *wideSink) scalars(ctx context.Context, src *history.Source, o *history.Options) error {
	return src.Scalars(ctx, o, s.scalar)
}

func (s *wideSink) value(v *history.Value) error {
	return s.scalar(&history.Scalar{Run: v.Run, ScalarPoint: summary.ScalarPoint{
		Tag: v.Tag, Step: v.Step, WallTime: v.WallTime, Value: v.Scalar}})
}

func (s *wideSink) scalar(sc *history.Scalar) error {
	if sc.Run != s.run {
		if err := s.flushRun(); err != nil {
			return err
		}
		s.run = sc.Run
	}
	col, ok := s.col[sc.Tag]
	if !ok {
		return fmt.Errorf("run %q tag %q appeared after the first pass (is the logdir being written?)", sc.Run, sc.Tag)
	}
	if len(s.buf) == s.limit {
		if err := s.spill(); err != nil {
			return err
		}
	}
	s.buf = append(s.buf, wideEntry{step: sc.Step, seq: s.seq, wall: sc.WallTime, value: sc.Value, col: int32(col)})
	s.seq++
	return nil
}

func sortEntries(es []wideEntry) {
	slices.SortFunc(es, func(a, b wideEntry) int {
		if a.step != b.step {
			if a.step < b.step {
				return -1
			}
			return 1
		}
		if a.seq < b.seq {
			return -1
		}
		return 1
	})
}

// spill sorts the buffer into a temporary file.
func (s *wideSink) spill() error {
	sortEntries(s.buf)
	f, err := os.CreateTemp("", "tbgo-wide-*")
	if err != nil {
		return fmt.Errorf("wide layout: %w", err)
	}
	os.Remove(f.Name()) // the open file lives on until closed
	s.spills = append(s.spills, f)
	w := bufio.NewWriterSize(f, 256<<10)
	var rec [wideEntrySize]byte
	for _, e := range s.buf {
		binary.LittleEndian.PutUint64(rec[0:], uint64(e.step))
		binary.LittleEndian.PutUint64(rec[8:], e.seq)
		binary.LittleEndian.PutUint64(rec[16:], math.Float64bits(e.wall))
		binary.LittleEndian.PutUint64(rec[24:], math.Float64bits(e.value))
		binary.LittleEndian.PutUint32(rec[32:], uint32(e.col))
		if _, err := w.Write(rec[:]); err != nil {
			return fmt.Errorf("wide layout: %w", err)
		}
	}
	if err := w.Flush(); err != nil {
		return fmt.Errorf("wide layout: %w", err)
	}
	s.buf = s.buf[:0]
	return nil
}

// flushRun writes the rows of the current run.
func (s *wideSink) flushRun() error {
	if s.run == "" && len(s.buf) == 0 {
		return nil
	}
	sortEntries(s.buf)
	cursors := []entryCursor{&sliceCursor{es: s.buf}}
	for _, f := range s.spills {
		if _, err := f.Seek(0, io.SeekStart); err != nil {
			return err
		}
		cursors = append(cursors, &fileCursor{r: bufio.NewReaderSize(f, 64<<10)})
	}
	m, err := newMerger(cursors)
	if err != nil {
		return err
	}
	if cap(s.cells) < 3+s.ntags {
		s.cells = make([]cell, 3+s.ntags)
		s.present = make([]bool, s.ntags)
	}
	cells := s.cells[:3+s.ntags]
	for {
		e, ok, err := m.next()
		if err != nil {
			return err
		}
		if !ok {
			break
		}
		step, wall := e.step, e.wall
		clear(s.present)
		for {
			cells[3+e.col] = num(e.value)
			s.present[e.col] = true
			wall = min(wall, e.wall)
			e, ok, err = m.peek()
			if err != nil {
				return err
			}
			if !ok || e.step != step {
				break
			}
			m.next()
		}
		cells[0], cells[1], cells[2] = str(s.run), integer(step), num(wall)
		for i, p := range s.present {
			if !p {
				cells[3+i] = null()
			}
		}
		if err := s.t.Row(cells); err != nil {
			return err
		}
	}
	for _, f := range s.spills {
		f.Close()
	}
	s.spills = s.spills[:0]
	s.buf = s.buf[:0]
	return nil
}

func (s *wideSink) close() error {
	if err := s.flushRun(); err != nil {
		return err
	}
	return s.t.Close()
}

// An entryCursor yields sorted wide entries.
type entryCursor interface {
	next() (wideEntry, bool, error)
}

type sliceCursor struct{ es []wideEntry }

func (c *sliceCursor) next() (wideEntry, bool, error) {
	if len(c.es) == 0 {
		return wideEntry{}, false, nil
	}
	e := c.es[0]
	c.es = c.es[1:]
	return e, true, nil
}

type fileCursor struct{ r *bufio.Reader }

func (c *fileCursor) next() (wideEntry, bool, error) {
	var rec [wideEntrySize]byte
	if _, err := io.ReadFull(c.r, rec[:]); err != nil {
		if err == io.EOF {
			return wideEntry{}, false, nil
		}
		return wideEntry{}, false, fmt.Errorf("wide layout: reading back a temporary file: %w", err)
	}
	return wideEntry{
		step:  int64(binary.LittleEndian.Uint64(rec[0:])),
		seq:   binary.LittleEndian.Uint64(rec[8:]),
		wall:  math.Float64frombits(binary.LittleEndian.Uint64(rec[16:])),
		value: math.Float64frombits(binary.LittleEndian.Uint64(rec[24:])),
		col:   int32(binary.LittleEndian.Uint32(rec[32:])),
	}, true, nil
}

// merger merges sorted cursors, with a lookahead of one entry.
type merger struct {
	heads []wideEntry
	live  []entryCursor
	ahead *wideEntry
}

func newMerger(cs []entryCursor) (*merger, error) {
	m := &merger{}
	for _, c := range cs {
		e, ok, err := c.next()
		if err != nil {
			return nil, err
		}
		if ok {
			m.heads = append(m.heads, e)
			m.live = append(m.live, c)
		}
	}
	return m, nil
}

// pop returns the smallest head; the cursors are few (one per spill), so a
// linear scan does.
func (m *merger) pop() (wideEntry, bool, error) {
	if len(m.heads) == 0 {
		return wideEntry{}, false, nil
	}
	best := 0
	for i := 1; i < len(m.heads); i++ {
		h, b := m.heads[i], m.heads[best]
		if h.step < b.step || h.step == b.step && h.seq < b.seq {
			best = i
		}
	}
	e := m.heads[best]
	next, ok, err := m.live[best].next()
	if err != nil {
		return wideEntry{}, false, err
	}
	if ok {
		m.heads[best] = next
	} else {
		m.heads = slices.Delete(m.heads, best, best+1)
		m.live = slices.Delete(m.live, best, best+1)
	}
	return e, true, nil
}

func (m *merger) next() (wideEntry, bool, error) {
	if m.ahead != nil {
		e := *m.ahead
		m.ahead = nil
		return e, true, nil
	}
	return m.pop()
}

func (m *merger) peek() (wideEntry, bool, error) {
	if m.ahead == nil {
		e, ok, err := m.pop()
		if err != nil || !ok {
			return e, ok, err
		}
		m.ahead = &e
	}
	return *m.ahead, true, nil
}
