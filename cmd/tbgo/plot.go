package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/tbgo/tbgo/history"
	"github.com/tbgo/tbgo/history/chart"
	"github.com/tbgo/tbgo/internal/atomicfile"
	"github.com/tbgo/tbgo/tfevents"
)

func runPlot(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("plot", "[flags] -o FILE.png|FILE.svg|- LOGDIR|RUN|FILE|ARCHIVE", stderr)
	out := fs.String("o", "", "output `file`, .png or .svg; - writes to standard output")
	format := fs.String("format", "", "png or svg (default: from -o's extension, png for -o -)")
	var runs, tags patternList
	fs.Var(&runs, "run", "select runs by `pattern` (glob, or re:REGEXP); repeatable")
	fs.Var(&tags, "tag", "select tags by `pattern` (glob, or re:REGEXP); repeatable (default every scalar and histogram tag)")
	smooth := fs.Float64("smooth", 0.6, "TensorBoard's smoothing weight, 0 (none) to below 1; the raw curve is drawn faint behind")
	x := fs.String("x", "step", "x axis: step, relative (time since the run's first value) or wall (wall-clock time)")
	logY := fs.Bool("logy", false, "logarithmic y axis (non-positive values are left out)")
	size := fs.String("size", "", "size of the whole image, `WxH` in pixels (PNG) or points (SVG); default 800 wide, 400 high per row of charts")
	cols := fs.Int("cols", 0, "charts per row (default 1 for one chart, else 2)")
	dpi := fs.Int("dpi", 96, "PNG resolution: pixels per inch, which scales the text")
	view := fs.String("view", "tensorboard", "tensorboard (what TensorBoard shows) or raw (every value as written)")
	maxCharts := fs.Int("max-charts", chart.DefaultMaxCharts, "the most charts (tags) one image holds")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return fmt.Errorf("%w: plot takes one LOGDIR, RUN, FILE or ARCHIVE", errUsage)
	}
	if *out == "" {
		return fmt.Errorf("%w: plot needs -o FILE.png, -o FILE.svg or -o - (standard output)", errUsage)
	}
	o := chart.Options{Smooth: *smooth, LogY: *logY, Cols: *cols, DPI: *dpi, MaxCharts: *maxCharts}
	if *format == "" && *out != "-" {
		*format = strings.TrimPrefix(filepath.Ext(*out), ".")
	}
	var err error
	if *format != "" {
		if o.Format, err = chart.ParseFormat(*format); err != nil {
			return fmt.Errorf("%w: %v", errUsage, err)
		}
	}
	if !(o.Smooth >= 0 && o.Smooth < 1) {
		return fmt.Errorf("%w: -smooth %v is outside [0, 1)", errUsage, o.Smooth)
	}
	if o.X, err = chart.ParseAxis(*x); err != nil {
		return fmt.Errorf("%w: -x: %v", errUsage, err)
	}
	if *size != "" {
		w, h, ok := strings.Cut(*size, "x")
		var err1, err2 error
		o.Width, err1 = strconv.Atoi(w)
		o.Height, err2 = strconv.Atoi(h)
		if !ok || err1 != nil || err2 != nil || o.Width < 50 || o.Height < 50 || o.Width > 20000 || o.Height > 20000 {
			return fmt.Errorf("%w: -size %q: want WxH, each from 50 to 20000", errUsage, *size)
		}
	}
	if o.Cols < 0 || o.DPI < 10 || o.DPI > 1200 || o.MaxCharts < 1 {
		return fmt.Errorf("%w: -cols must not be negative, -dpi must be from 10 to 1200 and -max-charts positive", errUsage)
	}
	if o.Read.View, err = history.ParseView(*view); err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	if o.Read.Runs, o.Read.Tags, err = compileSelection(runs, tags); err != nil {
		return err
	}
	src, err := openSource(fs.Arg(0), stderr)
	if err != nil {
		return err
	}
	defer src.Close()
	warnUnmatched(stderr, "-run", o.Read.Runs, runNames(src))
	warn := newDamageWarner(stderr)
	defer warn.close()
	o.Read.Damaged = warn.add
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	charts, err := chart.Collect(ctx, src, &o)
	if errors.Is(err, chart.ErrTooManyCharts) {
		return fmt.Errorf("plot: %w: choose tags with -tag (a glob such as -tag 'loss*', or a regular expression such as -tag 're:^train/'), or raise -max-charts", err)
	}
	if err != nil {
		return err
	}
	drawn := make([]string, len(charts))
	for i, c := range charts {
		drawn[i] = c.Tag
	}
	warnUnmatched(stderr, "-tag", o.Read.Tags, drawn)
	if *out == "-" {
		return chart.Draw(stdout, charts, &o)
	}
	f, err := atomicfile.Create(*out, 0)
	if err != nil {
		var pe *os.PathError // its path is the temporary file's, which would only confuse
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return fmt.Errorf("plot: cannot write %s: %w", *out, err)
	}
	defer f.Abort()
	if err := chart.Draw(f, charts, &o); err != nil {
		return err
	}
	if err := f.Commit(); err != nil {
		return err
	}
	fmt.Fprintf(stderr, "tbgo: wrote %s: %d chart(s)\n", *out, len(charts))
	return nil
}

// maxWarnings is how many damage warnings a command prints; it counts the
// rest.
const maxWarnings = 20

// A damageWarner prints the damage a read skips as warnings, the first
// maxWarnings of them, and counts the others.
type damageWarner struct {
	w       io.Writer
	n       int
	omitted int
}

func newDamageWarner(w io.Writer) *damageWarner { return &damageWarner{w: w} }

func (dw *damageWarner) add(d *tfevents.Damage) error {
	if dw.n++; dw.n > maxWarnings {
		dw.omitted++
		return nil
	}
	fmt.Fprintf(dw.w, "tbgo: warning: %s\n", display(d.Error(), maxDamageWidth))
	return nil
}

// close prints how many warnings were left out.
func (dw *damageWarner) close() {
	if dw.omitted > 0 {
		fmt.Fprintf(dw.w, "tbgo: warning: and %d more damaged part(s) skipped\n", dw.omitted)
	}
}
