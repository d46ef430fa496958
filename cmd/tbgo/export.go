package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"strings"
	"time"

	"github.com/tbgo/tbgo/history"
	"github.com/tbgo/tbgo/history/table"
)

// exportColumns documents every table export writes; -h prints it. The
// package documentation of history/table says the same at length.
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
wall_time, start_time and end_time are seconds since the Unix epoch, with six decimals in
CSV and JSON Lines; status is TensorBoard's (STATUS_SUCCESS, STATUS_FAILURE,
STATUS_RUNNING, STATUS_UNKNOWN when the run has no session end). A scalar is written at
the precision it was stored with (a float32 as 0.1, not 0.10000000149011612); other
numbers are float64 in the shortest form that reads back the same. NaN and infinities
are NaN, Inf, -Inf in CSV, "NaN", "Infinity", "-Infinity" in JSON Lines, themselves in
Parquet, where every column is typed. Media files are RUN/TAG/step<STEP>_<SAMPLE>.<ext>
below images/ or audio/, RUN and TAG each one directory name: letters, digits, "-", "_",
"=", "+" and "." kept, any other byte as %%XX ("sweep/lr=0.1" is "sweep%%2Flr=0.1");
index.<format> maps them back.
`

func runExport(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("export", "[flags] LOGDIR|RUN|FILE|ARCHIVE", stderr)
	what := fs.String("what", string(table.Scalars), "what to export, comma-separated: "+kindNames()+", or all")
	format := fs.String("format", "", "csv, jsonl or parquet (default: from -o's extension, else csv)")
	layout := fs.String("layout", "long", "scalars table layout: long (a row per value) or wide (a row per run and step, a column per tag)")
	out := fs.String("o", "", "output `path`: a file for one table (default standard output), a directory for images, audio or several kinds")
	var runs, tags patternList
	fs.Var(&runs, "run", "select runs by `pattern` (glob, or re:REGEXP); repeatable")
	fs.Var(&tags, "tag", "select tags by `pattern` (glob, or re:REGEXP); repeatable")
	view := fs.String("view", "tensorboard", "tensorboard (what TensorBoard shows: restarts and repeated steps preempted) or raw (every value as written)")
	strict := fs.Bool("strict", false, "fail at the first damaged record instead of skipping it with a warning")
	spill := fs.Int("spill-after", 1<<20, "wide layout: values of one run held in memory before they are sorted into a temporary file")
	usage := fs.Usage
	fs.Usage = func() {
		usage()
		fmt.Fprintf(stderr, "\n"+exportColumns)
	}
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return fmt.Errorf("%w: export takes one LOGDIR, RUN, FILE or ARCHIVE", errUsage)
	}
	o := table.Options{SpillAfter: *spill, Read: history.Options{Strict: *strict}}
	var err error
	if o.Kinds, err = parseKinds(*what); err != nil {
		return err
	}
	if *format == "" {
		o.Format = table.FormatOf(*out)
	} else if o.Format, err = table.ParseFormat(*format); err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	switch *layout {
	case "long":
	case "wide":
		o.Wide = true
	default:
		return fmt.Errorf("%w: unknown layout %q (want long or wide)", errUsage, *layout)
	}
	if *spill < 1 {
		return fmt.Errorf("%w: -spill-after must be positive", errUsage)
	}
	if o.Read.View, err = history.ParseView(*view); err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	if o.Read.Runs, o.Read.Tags, err = compileSelection(runs, tags); err != nil {
		return err
	}
	// One table goes to a file or standard output; media, several
	// kinds or an existing directory make -o a directory.
	dir := len(o.Kinds) > 1 || o.Kinds[0].Media()
	if !dir && *out != "" && *out != "-" {
		if info, err := os.Stat(*out); err == nil && info.IsDir() {
			dir = true
		}
	}
	if dir && (*out == "" || *out == "-") {
		return fmt.Errorf("%w: -o DIR is needed for %s", errUsage, *what)
	}

	src, err := openSource(fs.Arg(0), stderr)
	if err != nil {
		return err
	}
	defer src.Close()
	warnUnmatched(stderr, "-run", o.Read.Runs, runNames(src))
	warn := newDamageWarner(stderr)
	o.Read.Damaged = warn.add
	bar := newProgressLine(stderr, "export")
	if bar != nil {
		o.Progress = func(p table.Progress) {
			bar.show("run %d/%d %s, %d values", p.Done+1, p.Runs, p.Run, p.Values)
		}
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	var res *table.Result
	switch {
	case dir:
		res, err = table.WriteDir(ctx, *out, src, &o)
	case *out == "" || *out == "-":
		res, err = table.Write(ctx, stdout, src, &o)
	default:
		res, err = table.WriteFile(ctx, *out, src, &o)
	}
	bar.clear()
	warn.close()
	if errors.Is(err, table.ErrOptions) {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	if err != nil {
		return err
	}
	warnUnmatched(stderr, "-tag", o.Read.Tags, res.Tags)
	if warn.n > 0 {
		fmt.Fprintf(stderr, "tbgo: export: %d damaged or incomplete record(s) skipped\n", warn.n)
	}
	return nil
}

// kindNames lists the kinds of export for -what's help.
func kindNames() string {
	var names []string
	for _, k := range table.Kinds() {
		names = append(names, string(k))
	}
	return strings.Join(names, ", ")
}

func parseKinds(s string) ([]table.Kind, error) {
	if s == "all" {
		return table.Kinds(), nil
	}
	var kinds []table.Kind
	for _, k := range strings.Split(s, ",") {
		kind := table.Kind(strings.TrimSpace(k))
		if !slices.Contains(table.Kinds(), kind) {
			return nil, fmt.Errorf("%w: unknown kind %q in -what (want %s or all)", errUsage, kind, kindNames())
		}
		if !slices.Contains(kinds, kind) {
			kinds = append(kinds, kind)
		}
	}
	return kinds, nil
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

// runNames returns the names of src's runs.
func runNames(src *history.Source) []string {
	var names []string
	for _, r := range src.Runs() {
		names = append(names, r.Name)
	}
	return names
}

// warnSkipped warns of what discovery left out of src (names that are not
// UTF-8, links read twice or to nothing): the rest is read.
func warnSkipped(stderr io.Writer, src *history.Source) {
	for _, sk := range src.Skipped() {
		fmt.Fprintf(stderr, "tbgo: warning: %v\n", sk)
	}
}

// warnUnmatched warns of each pattern of flag that matches none of names:
// a pattern that selects nothing is usually a mistake.
func warnUnmatched(stderr io.Writer, flag string, m *history.Matcher, names []string) {
	for _, p := range m.Unmatched(names) {
		fmt.Fprintf(stderr, "tbgo: warning: %s %q selects nothing\n", flag, p)
	}
}

// A progressLine shows a command's progress on one line of a terminal,
// redrawn at most every progressEvery. A nil *progressLine shows
// nothing.
type progressLine struct {
	w    io.Writer
	name string
	last time.Time
	used bool
}

const progressEvery = 200 * time.Millisecond

// newProgressLine returns a progressLine on stderr if it is a terminal,
// nil otherwise.
func newProgressLine(stderr io.Writer, name string) *progressLine {
	f, ok := stderr.(*os.File)
	if !ok {
		return nil
	}
	if info, err := f.Stat(); err != nil || info.Mode()&os.ModeCharDevice == 0 {
		return nil
	}
	return &progressLine{w: stderr, name: name}
}

// show redraws the line, unless it was drawn less than progressEvery ago.
func (p *progressLine) show(format string, args ...any) {
	if p == nil || time.Since(p.last) < progressEvery {
		return
	}
	p.last, p.used = time.Now(), true
	fmt.Fprintf(p.w, "\r\x1b[Ktbgo: %s: "+format, append([]any{p.name}, args...)...)
}

// clear erases the line, if it was drawn.
func (p *progressLine) clear() {
	if p != nil && p.used {
		fmt.Fprint(p.w, "\r\x1b[K")
	}
}
