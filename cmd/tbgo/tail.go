package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"

	"github.com/tbgo/tbgo/history"
	"github.com/tbgo/tbgo/history/table"
	"github.com/tbgo/tbgo/storage"
)

func runTail(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("tail", "[flags] LOGDIR|RUN|FILE|URL", stderr)
	var runs, tags patternList
	fs.Var(&runs, "run", "select runs by `pattern` (glob, or re:REGEXP); repeatable")
	fs.Var(&tags, "tag", "select tags by `pattern` (glob, or re:REGEXP); repeatable")
	poll := fs.Duration("poll", 0, "how often to look for new data, runs and files (default 1s, 5s in an object store, where each look costs requests)")
	all := fs.Bool("all", false, "print the scalars already written first (default: only new ones)")
	format := fs.String("format", "text", "text (wall time, run, tag, step, value, tab-separated), csv or jsonl (export's scalar columns)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return fmt.Errorf("%w: tail takes one LOGDIR, RUN or FILE", errUsage)
	}
	if *poll < 0 {
		return fmt.Errorf("%w: -poll must not be negative", errUsage)
	}
	if *format != "text" && *format != string(table.CSV) && *format != string(table.JSONLines) {
		return fmt.Errorf("%w: unknown format %q (want text, csv or jsonl)", errUsage, *format)
	}
	opts := &history.FollowOptions{Poll: *poll, FromStart: *all}
	var err error
	if opts.Runs, opts.Tags, err = compileSelection(runs, tags); err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	return tail(ctx, fs.Arg(0), opts, *format, stdout, stderr)
}

// tail prints the new scalars of path until ctx is done, when it returns
// nil. Status messages and damage go to stderr.
func tail(ctx context.Context, path string, opts *history.FollowOptions, format string, stdout, stderr io.Writer) error {
	var rows rowWriter = &textTable{w: stdout}
	if format != "text" {
		tw, err := table.NewWriter(stdout, table.Format(format), table.Columns(table.Scalars))
		if err != nil {
			return err
		}
		rows = tw
	}
	o := *opts
	first := true
	o.Discovered = func(runs []string) {
		if !first {
			return
		}
		first = false
		if len(runs) == 0 {
			fmt.Fprintf(stderr, "tbgo: waiting for event files in %s\n", storage.Display(path))
			return
		}
		warnUnmatched(stderr, "-run", opts.Runs, runs)
	}
	warn := newDamageWarner(stderr)
	defer warn.close()
	o.Damaged = warn.add
	// Rows are shown in batches, as soon as Follow has caught up.
	o.CaughtUp = rows.Flush
	var cells []table.Value
	return history.Follow(ctx, path, &o, func(s *history.Scalar) error {
		cells = append(cells[:0], table.StringValue(s.Run), table.StringValue(s.Tag), table.IntValue(s.Step),
			table.TimeValue(s.WallTime), table.ScalarValue(s.Value))
		return rows.Write(cells)
	})
}

// A rowWriter writes tail's rows: a table.Writer or a textTable.
type rowWriter interface {
	Write(row []table.Value) error
	Flush() error
}

// textTable prints scalars for people: wall time (RFC 3339, in UTC, to
// the millisecond), run, tag, step and value (at the precision it was
// stored with: a float32 0.1 is 0.1), tab-separated.
type textTable struct {
	w   io.Writer
	buf []byte
}

func (t *textTable) Write(c []table.Value) error {
	t.buf = append(t.buf, formatWallTime(c[3].Float())...)
	t.buf = append(t.buf, '\t')
	t.buf = append(t.buf, display(c[0].String(), maxNameWidth)...)
	t.buf = append(t.buf, '\t')
	t.buf = append(t.buf, display(c[1].String(), maxNameWidth)...)
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
