package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"strconv"
	"strings"

	"github.com/tbgo/tbgo/history"
	"github.com/tbgo/tbgo/history/table"
)

// compareColumns documents compare's table; -h prints it.
const compareColumns = `Columns, in this order:
  run          the run's name
  status       the HParams session's status (STATUS_SUCCESS, ...; STATUS_UNKNOWN for a
               session without an end; empty for a run without a session)
  start_time   the run's first value: RFC 3339 in UTC (csv, json); local time (table)
  duration     from the run's first value to its last: seconds (csv, json); with units
               (table)
  HPARAM...    each hyper-parameter of any session, in name order ("hparam:NAME" if NAME
               is one of the columns above); a run without a session of its own takes its
               nearest ancestor run's, as TensorBoard's HParams dashboard joins a session
               with the runs below it; run information written by tbgo (run/version,
               run/revision, run/host, ...) is among them
  TAG:STAT     for each selected scalar tag in name order and each of -stats:
               TAG:last, TAG:last_step (the value at the greatest step: TensorBoard's last),
               TAG:min, TAG:min_step, TAG:max, TAG:max_step (NaN values are left
               out; the step is the first at which the extreme was reached)
Runs with neither a session of their own nor a selected scalar (such as a sweep's root)
are left out. csv and json hold every column at full precision, scalars as stored. The
table format (the default) fits the terminal: numbers rounded to 4 digits, the _step
columns and empty columns left out, a tag's column named TAG alone when -stats is one statistic (by default
last, as TensorBoard's HParams table shows), hyper-parameters equal in every row shown
once below it, and the columns that do not fit named on standard error; markdown is the
same table, unbounded.
-sort and -where name the columns of csv. A -where EXPR is COLUMN OP VALUE with OP one
of = != < <= > >= (numbers compared as numbers, text as text) or ~ (a glob the value's
text must match); an empty cell satisfies only !=.
`

type compareConfig struct {
	source  string
	read    history.Options
	compare table.CompareOptions
	format  string
	width   int // of the table format; 0: unbounded
}

func runCompare(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("compare", "[flags] LOGDIR|ARCHIVE", stderr)
	var runs, tags, sorts, wheres patternList
	fs.Var(&runs, "run", "select runs by `pattern` (glob, or re:REGEXP); repeatable")
	fs.Var(&tags, "tag", "scalar tags to tabulate, by `pattern` (glob, or re:REGEXP); repeatable (default every scalar tag)")
	stats := fs.String("stats", "", "statistics per tag, comma-separated: last, min, max (default last for table and markdown, as TensorBoard's HParams table shows; last,min,max for csv and json)")
	fs.Var(&sorts, "sort", "sort by `column` (prefix - for descending); repeatable, first is primary (default run)")
	fs.Var(&wheres, "where", "keep rows where `EXPR` holds, e.g. 'lr<0.01' or 'loss:min<=0.3'; repeatable")
	format := fs.String("format", "table", "table (fits the terminal), markdown, csv or json")
	width := fs.Int("width", 0, "the table format's width in characters (default: the terminal's, unbounded when standard output is not one)")
	view := fs.String("view", "tensorboard", "tensorboard (what TensorBoard shows) or raw (every value as written)")
	usage := fs.Usage
	fs.Usage = func() {
		usage()
		fmt.Fprint(stderr, "\n"+compareColumns)
	}
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return fmt.Errorf("%w: compare takes one LOGDIR or ARCHIVE", errUsage)
	}
	cfg := compareConfig{source: fs.Arg(0), format: *format, width: *width,
		compare: table.CompareOptions{Sort: sorts, Where: wheres}}
	var err error
	if cfg.read.View, err = history.ParseView(*view); err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	if cfg.read.Runs, cfg.read.Tags, err = compileSelection(runs, tags); err != nil {
		return err
	}
	if *stats == "" {
		*stats = "last,min,max"
		if cfg.format == "table" || cfg.format == "markdown" {
			*stats = "last"
		}
	}
	for _, s := range strings.Split(*stats, ",") {
		st, err := table.ParseStat(strings.TrimSpace(s))
		if err != nil {
			return queryUsage(err)
		}
		cfg.compare.Stats = append(cfg.compare.Stats, st)
	}
	if !slices.Contains([]string{"table", "markdown", "csv", "json"}, cfg.format) {
		return fmt.Errorf("%w: unknown format %q (want table, markdown, csv or json)", errUsage, cfg.format)
	}
	if cfg.width < 0 {
		return fmt.Errorf("%w: -width must not be negative", errUsage)
	}
	if cfg.width == 0 && cfg.format == "table" {
		cfg.width = terminalWidth(stdout)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	c, err := compare(ctx, &cfg, stderr)
	if err != nil {
		return err
	}
	switch cfg.format {
	case "csv":
		return c.Write(stdout, table.CSV)
	case "json":
		return c.WriteJSON(stdout)
	case "markdown":
		return c.WriteMarkdown(stdout, nil)
	}
	omitted, err := c.WriteText(stdout, &table.TextOptions{Width: cfg.width})
	if err != nil {
		return err
	}
	if len(omitted) > 0 {
		fmt.Fprintf(stderr, "tbgo: compare: %d column(s) do not fit in %d characters: %s (-format csv shows every column; -tag and -stats select fewer)\n",
			len(omitted), cfg.width, strings.Join(omitted, ", "))
	}
	return nil
}

// compare reads the runs cfg selects and tabulates them (table.Compare),
// warning on stderr of damage and of patterns that select nothing.
func compare(ctx context.Context, cfg *compareConfig, stderr io.Writer) (*table.Comparison, error) {
	src, err := openSource(cfg.source, stderr)
	if err != nil {
		return nil, err
	}
	defer src.Close()
	warnUnmatched(stderr, "-run", cfg.read.Runs, runNames(src))
	o := cfg.read
	warn := newDamageWarner(stderr)
	defer warn.close()
	o.Damaged = warn.add
	sums, err := history.Summarize(ctx, src, &o)
	if err != nil {
		return nil, err
	}
	if len(sums) == 0 {
		return nil, fmt.Errorf("no run of %s matches -run %s", src.Path(), cfg.read.Runs)
	}
	c, err := table.Compare(sums, &cfg.compare)
	if err != nil {
		return nil, queryUsage(err)
	}
	warnUnmatched(stderr, "-tag", cfg.read.Tags, c.Tags)
	return c, nil
}

// queryUsage returns a *table.QueryError as the usage error of the flag
// that gave the query: -stats, -where or -sort.
func queryUsage(err error) error {
	var qe *table.QueryError
	if !errors.As(err, &qe) {
		return err
	}
	return fmt.Errorf("%w: -%s %q: %v", errUsage, strings.ToLower(qe.Option), qe.Query, qe.Err)
}

// terminalWidth returns the width of the terminal w is, or 0 (unbounded)
// if it is not one. $COLUMNS, if set, overrides the terminal's.
func terminalWidth(w io.Writer) int {
	f, ok := w.(*os.File)
	if !ok {
		return 0
	}
	if info, err := f.Stat(); err != nil || info.Mode()&os.ModeCharDevice == 0 {
		return 0
	}
	if n, err := strconv.Atoi(os.Getenv("COLUMNS")); err == nil && n > 0 {
		return n
	}
	if n := ttyWidth(f); n > 0 {
		return n
	}
	return 80
}
