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
	"sync"
	"time"

	"github.com/tbgo/tbgo/archive"
	"github.com/tbgo/tbgo/history"
	"github.com/tbgo/tbgo/history/table"
	"github.com/tbgo/tbgo/summary"
	"github.com/tbgo/tbgo/tfevents"
)

// tailConfig is what tail follows and prints.
type tailConfig struct {
	path      string
	runs      *history.Matcher
	tags      *history.Matcher
	poll      time.Duration
	fromStart bool
	format    string // "text", "csv" or "jsonl"
	// following, if set, is called once a file is being followed, past
	// what it held if that is skipped.
	following func(file string)
}

func runTail(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("tail", "[flags] LOGDIR|RUN|FILE", stderr)
	var runs, tags patternList
	fs.Var(&runs, "run", "select runs by `pattern` (glob, or re:REGEXP); repeatable")
	fs.Var(&tags, "tag", "select tags by `pattern` (glob, or re:REGEXP); repeatable")
	poll := fs.Duration("poll", time.Second, "how often to look for new data, runs and files")
	all := fs.Bool("all", false, "print the scalars already written first (default: only new ones)")
	format := fs.String("format", "text", "text (wall time, run, tag, step, value, tab-separated), csv or jsonl (export's scalar columns)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return fmt.Errorf("%w: tail takes one LOGDIR, RUN or FILE", errUsage)
	}
	cfg := tailConfig{path: fs.Arg(0), poll: *poll, fromStart: *all, format: *format}
	if cfg.poll <= 0 {
		return fmt.Errorf("%w: -poll must be positive", errUsage)
	}
	if cfg.format != "text" && cfg.format != string(table.CSV) && cfg.format != string(table.JSONLines) {
		return fmt.Errorf("%w: unknown format %q (want text, csv or jsonl)", errUsage, cfg.format)
	}
	var err error
	if cfg.runs, cfg.tags, err = compileSelection(runs, tags); err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	return tail(ctx, &cfg, stdout, stderr)
}

// tail prints the new scalars of cfg.path until ctx is done: every poll it
// looks for runs and event files, and it follows each file with
// tfevents.Reader.Follow in a goroutine of its own. A logdir that holds no
// event file yet is waited for. It returns nil when ctx ends it.
func tail(ctx context.Context, cfg *tailConfig, stdout, stderr io.Writer) error {
	info, err := os.Stat(cfg.path)
	if err != nil {
		return err
	}
	if !info.IsDir() {
		if is, err := archive.IsArchive(cfg.path); err != nil {
			return err
		} else if is {
			return fmt.Errorf("%s is an archive, which does not grow: use export or inspect", cfg.path)
		}
		if !tfevents.IsEventFile(filepath.Base(cfg.path)) {
			return fmt.Errorf("%s: %w", cfg.path, history.ErrUnknownFormat)
		}
	}
	t := &tailer{cfg: cfg, stderr: stderr, files: map[string]bool{}, runs: map[string]*tailRun{}}
	if cfg.format != "text" {
		tw, err := table.NewWriter(stdout, table.Format(cfg.format), table.Columns(table.Scalars))
		if err != nil {
			return err
		}
		t.table = tw
	} else {
		t.table = &textTable{w: stdout}
	}
	first := true
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			t.wg.Wait()
			return nil
		case <-timer.C:
		}
		runs, err := tfevents.DiscoverRuns(cfg.path)
		if err != nil && !errors.Is(err, tfevents.ErrNoEventFiles) {
			t.wg.Wait()
			return err
		}
		for _, run := range runs {
			if !cfg.runs.Match(run.Name) {
				continue
			}
			for _, file := range run.Files {
				if t.files[file] {
					continue
				}
				t.files[file] = true
				// Files there at the start are followed from their end,
				// files that appear later from their beginning.
				fromStart := cfg.fromStart || !first
				t.wg.Go(func() { t.follow(ctx, run.Name, file, fromStart) })
			}
		}
		first = false
		timer.Reset(cfg.poll)
	}
}

// tailer is the state of one tail.
type tailer struct {
	cfg    *tailConfig
	stderr io.Writer
	wg     sync.WaitGroup
	files  map[string]bool // followed; used by tail's loop only

	mu    sync.Mutex // guards runs and the output
	runs  map[string]*tailRun
	table rowWriter
	cells []table.Value
}

// tailRun is a run's decoder, which learns each series' metadata from its
// first value whatever file it is in, as TensorBoard does.
type tailRun struct {
	mu  sync.Mutex
	dec summary.Decoder
}

func (t *tailer) run(name string) *tailRun {
	t.mu.Lock()
	defer t.mu.Unlock()
	r := t.runs[name]
	if r == nil {
		r = &tailRun{}
		t.runs[name] = r
	}
	return r
}

func (t *tailer) warn(format string, args ...any) {
	t.mu.Lock()
	defer t.mu.Unlock()
	fmt.Fprintf(t.stderr, "tbgo: warning: "+format+"\n", args...)
}

// follow prints the scalars of one file until ctx is done or the file
// cannot be read further.
func (t *tailer) follow(ctx context.Context, run, file string, fromStart bool) {
	r, err := tfevents.Open(file, 0)
	if err != nil {
		t.warn("%v", err)
		return
	}
	defer r.Close()
	tr := t.run(run)
	var pts []summary.ScalarPoint
	if !fromStart {
		// Learn the metadata of what is there, print none of it.
		for {
			rec, err := r.Next()
			var ce *tfevents.CorruptError
			if errors.As(err, &ce) && ce.Checksum == tfevents.DataChecksum {
				continue
			}
			if err != nil {
				break // at the end, or at damage Follow reports
			}
			tr.mu.Lock()
			pts, _ = tr.dec.AppendScalars(pts[:0], rec)
			tr.mu.Unlock()
		}
	}
	if t.cfg.following != nil {
		t.cfg.following(file)
	}
	for {
		off := r.Offset()
		rec, err := r.Follow(ctx, t.cfg.poll)
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			var ce *tfevents.CorruptError
			if errors.As(err, &ce) && ce.Checksum == tfevents.DataChecksum {
				t.warn("%v (skipped)", err)
				continue
			}
			t.warn("%v; no longer following %s", err, file)
			return
		}
		tr.mu.Lock()
		pts, err = tr.dec.AppendScalars(pts[:0], rec)
		tr.mu.Unlock()
		if err != nil {
			t.warn("%s: record at offset %d: %v (skipped)", file, off, err)
		}
		t.print(run, pts)
	}
}

func (t *tailer) print(run string, pts []summary.ScalarPoint) {
	t.mu.Lock()
	defer t.mu.Unlock()
	wrote := false
	for _, p := range pts {
		if !t.cfg.tags.Match(p.Tag) {
			continue
		}
		t.cells = append(t.cells[:0], table.StringValue(run), table.StringValue(p.Tag), table.IntValue(p.Step),
			table.TimeValue(p.WallTime), table.ScalarValue(p.Value))
		if err := t.table.Write(t.cells); err != nil {
			fmt.Fprintf(t.stderr, "tbgo: %v\n", err)
			return
		}
		wrote = true
	}
	if wrote {
		// Each batch is shown as soon as it is read.
		if err := t.table.Flush(); err != nil {
			fmt.Fprintf(t.stderr, "tbgo: %v\n", err)
		}
	}
}

// A rowWriter writes tail's rows: a table.Writer or a textTable.
type rowWriter interface {
	Write(row []table.Value) error
	Flush() error
}

// textTable prints scalars for people: wall time, run, tag, step and
// value, tab-separated.
type textTable struct {
	w   io.Writer
	buf []byte
}

func (t *textTable) Write(c []table.Value) error {
	b := wallTime(c[3].Float()).Format("2006-01-02T15:04:05.000Z07:00")
	t.buf = append(t.buf, b...)
	t.buf = append(t.buf, '\t')
	t.buf = append(t.buf, c[0].String()...)
	t.buf = append(t.buf, '\t')
	t.buf = append(t.buf, c[1].String()...)
	t.buf = append(t.buf, '\t')
	t.buf = strconv.AppendInt(t.buf, c[2].Int(), 10)
	t.buf = append(t.buf, '\t')
	t.buf = c[4].AppendText(t.buf)
	t.buf = append(t.buf, '\n')
	return nil
}

func (t *textTable) Flush() error {
	_, err := t.w.Write(t.buf)
	t.buf = t.buf[:0]
	return err
}
