package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"os/signal"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

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
	}
	h := human(c)
	if cfg.format == "markdown" {
		return h.markdown(stdout)
	}
	return h.text(stdout, stderr, cfg.width)
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

// humanTable is the table for people: cells as text, numbers rounded,
// the step columns and the empty columns left out, and the
// hyper-parameters that every row shares set apart.
type humanTable struct {
	head  []string
	right []bool // numbers, aligned right
	rows  [][]string
	same  []string // NAME=VALUE shared by every row
}

// human returns c's table for people.
func human(c *table.Comparison) *humanTable {
	h := &humanTable{}
	var keep []int
	for i, col := range c.Columns {
		tag, _, step, metric := c.Metric(i)
		if step {
			continue
		}
		if i > 0 && !slices.ContainsFunc(c.Rows, func(r []table.Value) bool { return !r[i].IsNull() }) {
			continue // empty: runs without sessions have no status
		}
		_, hparam := c.HParam(i)
		if hparam && len(c.Rows) > 1 && !c.Rows[0][i].IsNull() && !slices.ContainsFunc(c.Rows, func(r []table.Value) bool {
			return r[i].Compare(c.Rows[0][i]) != 0
		}) {
			h.same = append(h.same, col.Name+"="+humanValue(col, c.Rows[0][i], true))
			continue
		}
		keep = append(keep, i)
		name := col.Name
		if name == "start_time" {
			name = "start"
		} else if metric && len(c.Stats) == 1 {
			name = tag // the statistic is the same for every tag
		}
		h.head = append(h.head, name)
		h.right = append(h.right, col.Type != table.TypeString)
	}
	for _, row := range c.Rows {
		cells := make([]string, len(keep))
		for j, i := range keep {
			_, hparam := c.HParam(i)
			cells[j] = humanValue(c.Columns[i], row[i], hparam)
		}
		h.rows = append(h.rows, cells)
	}
	return h
}

// humanValue formats a value for people: a status without its prefix,
// a start time in local time to the minute, a duration with units,
// metrics to 4 significant digits, hyper-parameters (exact) as they are.
func humanValue(c table.Column, v table.Value, exact bool) string {
	if v.IsNull() {
		return ""
	}
	switch {
	case c.Name == "status":
		return strings.ToLower(strings.TrimPrefix(v.String(), "STATUS_"))
	case c.Name == "start_time":
		t, err := time.Parse(time.RFC3339, v.String())
		if err != nil {
			return v.String()
		}
		return t.Local().Format("2006-01-02 15:04")
	case c.Name == "duration":
		return humanDuration(v.Float())
	case c.Type == table.TypeFloat && !exact:
		return roundFloat(v.Float())
	}
	return v.String()
}

// roundFloat formats f to 4 significant digits: 0.1235, 1235, 1.235e5.
func roundFloat(f float64) string {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return table.FloatValue(f).String()
	}
	s := strconv.FormatFloat(f, 'g', 4, 64)
	// Go writes e+05 and e-07; people write e5 and e-7.
	if m, e, ok := strings.Cut(s, "e"); ok {
		sign := ""
		if e[0] == '-' {
			sign = "-"
		}
		s = m + "e" + sign + strings.TrimLeft(e[1:], "0")
	}
	return s
}

// humanDuration formats seconds with units: 4.2s, 1m23s, 2h05m, 3d04h.
func humanDuration(secs float64) string {
	switch {
	case math.IsNaN(secs) || secs < 0:
		return table.FloatValue(secs).String() + "s"
	case secs < 60:
		return strconv.FormatFloat(secs, 'f', 1, 64) + "s"
	}
	s := int64(math.Round(secs))
	switch {
	case s < 3600:
		return fmt.Sprintf("%dm%02ds", s/60, s%60)
	case s < 86400:
		return fmt.Sprintf("%dh%02dm", s/3600, s%3600/60)
	}
	return fmt.Sprintf("%dd%02dh", s/86400, s%86400/3600)
}

// markdown prints the human table as a Markdown table.
func (h *humanTable) markdown(w io.Writer) error {
	bw := bufio.NewWriter(w)
	line := func(cells []string) {
		bw.WriteString("|")
		for _, c := range cells {
			bw.WriteString(" " + markdownCell(c) + " |")
		}
		bw.WriteString("\n")
	}
	line(h.head)
	bw.WriteString("|")
	for _, right := range h.right {
		if right {
			bw.WriteString("--:|")
		} else {
			bw.WriteString("---|")
		}
	}
	bw.WriteString("\n")
	for _, row := range h.rows {
		line(row)
	}
	if len(h.same) > 0 {
		bw.WriteString("\nEvery run: " + markdownCell(strings.Join(h.same, ", ")) + "\n")
	}
	return bw.Flush()
}

// markdownCell escapes what would break a Markdown table cell.
func markdownCell(s string) string {
	s = strings.ReplaceAll(s, `\`, `\\`)
	s = strings.ReplaceAll(s, "|", `\|`)
	return strings.NewReplacer("\r\n", " ", "\n", " ", "\r", " ").Replace(s)
}

// maxCell bounds a cell of the text table, in characters.
const maxCell = 40

// text prints the human table in aligned columns, as many as fit width
// (0: all), the run always; it names the others on stderr.
func (h *humanTable) text(w, stderr io.Writer, width int) error {
	cell := func(s string) string {
		return shorten(strings.NewReplacer("\r\n", " ", "\n", " ", "\r", " ", "\t", " ").Replace(s), maxCell)
	}
	cols := len(h.head)
	widths := make([]int, cols)
	cells := make([][]string, len(h.rows)+1)
	for r, row := range append([][]string{h.head}, h.rows...) {
		cells[r] = make([]string, cols)
		for i, c := range row {
			cells[r][i] = cell(c)
			widths[i] = max(widths[i], utf8.RuneCountInString(cells[r][i]))
		}
	}
	var shown, left []int
	used := 0
	for i := range cols {
		need := widths[i]
		if len(shown) > 0 {
			need += 2
		}
		if i > 0 && width > 0 && used+need > width {
			left = append(left, i)
			continue
		}
		shown = append(shown, i)
		used += need
	}
	bw := bufio.NewWriter(w)
	for _, row := range cells {
		var line strings.Builder
		for j, i := range shown {
			if j > 0 {
				line.WriteString("  ")
			}
			pad := strings.Repeat(" ", widths[i]-utf8.RuneCountInString(row[i]))
			if h.right[i] {
				line.WriteString(pad + row[i])
			} else if j < len(shown)-1 {
				line.WriteString(row[i] + pad)
			} else {
				line.WriteString(row[i])
			}
		}
		bw.WriteString(strings.TrimRight(line.String(), " ") + "\n")
	}
	if len(h.same) > 0 {
		bw.WriteString("every run: " + strings.Join(h.same, ", ") + "\n")
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	if len(left) > 0 {
		names := make([]string, len(left))
		for j, i := range left {
			names[j] = h.head[i]
		}
		fmt.Fprintf(stderr, "tbgo: compare: %d column(s) do not fit in %d characters: %s (-format csv shows every column; -tag and -stats select fewer)\n",
			len(left), width, strings.Join(names, ", "))
	}
	return nil
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
