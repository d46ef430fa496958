package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"math"
	"os"
	"os/signal"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/tbgo/tbgo/history"
	"github.com/tbgo/tbgo/history/table"
	"github.com/tbgo/tbgo/tfevents"
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
	source string
	read   history.Options
	stats  []string
	sorts  []string
	wheres []string
	format string
	width  int // of the table format; 0: unbounded
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
	cfg := compareConfig{source: fs.Arg(0), sorts: sorts, wheres: wheres, format: *format, width: *width}
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
		s = strings.TrimSpace(s)
		if s != "last" && s != "min" && s != "max" {
			return fmt.Errorf("%w: unknown statistic %q in -stats (want last, min or max)", errUsage, s)
		}
		if !slices.Contains(cfg.stats, s) {
			cfg.stats = append(cfg.stats, s)
		}
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
	tab, err := compare(ctx, &cfg, stderr)
	if err != nil {
		return err
	}
	return tab.write(stdout, stderr, &cfg)
}

// A compareTable is compare's result: typed columns, as csv writes them.
type compareTable struct {
	cols []table.Column
	rows [][]table.Value
}

// The columns before the hyper-parameters.
var compareFixed = []table.Column{
	{Name: "run"}, {Name: "status", Nullable: true}, {Name: "start_time", Nullable: true},
	{Name: "duration", Type: table.TypeFloat, Nullable: true},
}

func compare(ctx context.Context, cfg *compareConfig, stderr io.Writer) (*compareTable, error) {
	src, err := history.Open(cfg.source)
	if err != nil {
		return nil, err
	}
	defer src.Close()
	warnSkipped(stderr, src)
	warnUnmatched(stderr, "-run", cfg.read.Runs, runNames(src))
	o := cfg.read
	o.Damaged = func(d *tfevents.Damage) error {
		fmt.Fprintf(stderr, "tbgo: warning: %v\n", d)
		return nil
	}
	sums, err := history.Summarize(ctx, src, &o)
	if err != nil {
		return nil, err
	}
	if len(sums) == 0 {
		return nil, fmt.Errorf("no run of %s matches -run %s", src.Path(), cfg.read.Runs)
	}
	var tags []string
	var sessions []map[string]any
	kept := sums[:0]
	for _, s := range sums {
		if len(s.Scalars) == 0 && s.SessionRun != s.Run {
			continue // nothing to compare: a sweep's root, a run of images
		}
		kept = append(kept, s)
		for _, sc := range s.Scalars {
			tags = append(tags, sc.Tag)
		}
		if s.Session.Started {
			sessions = append(sessions, s.Session.HParams)
		}
	}
	slices.Sort(tags)
	tags = slices.Compact(tags)
	warnUnmatched(stderr, "-tag", cfg.read.Tags, tags)

	tab := &compareTable{}
	var hps []string
	tab.cols, hps = table.HParamColumns(compareFixed, sessions)
	for _, tag := range tags {
		for _, s := range cfg.stats {
			tab.cols = append(tab.cols,
				table.Column{Name: tag + ":" + s, Type: table.TypeFloat, Nullable: true},
				table.Column{Name: tag + ":" + s + "_step", Type: table.TypeInt, Nullable: true})
		}
	}
	for _, s := range kept {
		row := []table.Value{table.StringValue(s.Run), {}, {}, {}}
		if s.Session.Started {
			row[1] = table.StringValue(s.Session.Status.String())
		}
		if s.Values > 0 {
			row[2] = table.StringValue(wallClock(s.Start).UTC().Format(rfc3339Micro))
			row[3] = table.FloatValue(s.End - s.Start)
		}
		for i, k := range hps {
			var v any
			if s.Session.Started {
				v = s.Session.HParams[k]
			}
			row = append(row, table.HParamValue(v, tab.cols[len(compareFixed)+i].Type))
		}
		for _, tag := range tags {
			sc := s.Scalar(tag)
			for _, stat := range cfg.stats {
				if sc == nil || stat != "last" && sc.NaNs == sc.Count {
					row = append(row, table.Value{}, table.Value{})
					continue
				}
				p := sc.Last
				switch stat {
				case "min":
					p = sc.Min
				case "max":
					p = sc.Max
				}
				row = append(row, table.ScalarValue(p.Value), table.IntValue(p.Step))
			}
		}
		tab.rows = append(tab.rows, row)
	}
	for _, w := range cfg.wheres {
		if err := tab.filter(w); err != nil {
			return nil, err
		}
	}
	sorts := cfg.sorts
	if len(sorts) == 0 {
		sorts = []string{"run"}
	}
	if err := tab.sort(sorts); err != nil {
		return nil, err
	}
	return tab, nil
}

// rfc3339Micro is RFC 3339 with microseconds, the precision of wall times
// in csv.
const rfc3339Micro = "2006-01-02T15:04:05.000000Z07:00"

// wallClock returns a wall time in seconds since the epoch as a time, to
// the microsecond.
func wallClock(secs float64) time.Time {
	return time.UnixMicro(int64(math.Round(secs * 1e6)))
}

// column returns the index of the named column.
func (t *compareTable) column(name string) (int, error) {
	for i, c := range t.cols {
		if c.Name == name {
			return i, nil
		}
	}
	names := make([]string, len(t.cols))
	for i, c := range t.cols {
		names[i] = c.Name
	}
	return 0, fmt.Errorf("no column %q (columns: %s)", name, strings.Join(names, ", "))
}

// compareValues orders two values of one column: nulls last, numbers by
// value (NaN after numbers), text by bytes, false before true.
func compareValues(a, b table.Value) int {
	switch {
	case a.IsNull() || b.IsNull():
		return boolCmp(a.IsNull(), b.IsNull())
	case a.Type() == table.TypeString:
		return strings.Compare(a.String(), b.String())
	case a.Type() == table.TypeInt:
		return cmpOrdered(a.Int(), b.Int())
	case a.Type() == table.TypeBool:
		return boolCmp(a.Bool(), b.Bool())
	}
	an, bn := math.IsNaN(a.Float()), math.IsNaN(b.Float())
	if an || bn {
		return boolCmp(an, bn)
	}
	return cmpOrdered(a.Float(), b.Float())
}

func boolCmp(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return 1
	}
	return -1
}

func cmpOrdered[T int64 | float64](a, b T) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// sort sorts the rows by the columns named, each prefixed with "-" for
// descending order; nulls stay last either way.
func (t *compareTable) sort(keys []string) error {
	type key struct {
		col  int
		desc bool
	}
	var ks []key
	for _, k := range keys {
		name, desc := strings.CutPrefix(k, "-")
		i, err := t.column(name)
		if err != nil {
			return fmt.Errorf("%w: -sort: %v", errUsage, err)
		}
		ks = append(ks, key{i, desc})
	}
	slices.SortStableFunc(t.rows, func(a, b []table.Value) int {
		for _, k := range ks {
			c := compareValues(a[k.col], b[k.col])
			if c == 0 {
				continue
			}
			if k.desc && !a[k.col].IsNull() && !b[k.col].IsNull() {
				c = -c
			}
			return c
		}
		return 0
	})
	return nil
}

// whereOps are the operators of -where, longest first so that "<="
// is not read as "<".
var whereOps = []string{"!=", "<=", ">=", "=", "<", ">", "~"}

// A whereExpr is a parsed -where expression.
type whereExpr struct {
	col, op, value string
}

// parseWhere splits COLUMN OP VALUE at the first operator.
func parseWhere(s string) (whereExpr, error) {
	best, bestOp := -1, ""
	for _, op := range whereOps {
		if i := strings.Index(s, op); i >= 0 && (best < 0 || i < best || i == best && len(op) > len(bestOp)) {
			best, bestOp = i, op
		}
	}
	if best <= 0 {
		return whereExpr{}, fmt.Errorf("%w: -where %q: want COLUMN OP VALUE with OP one of %s", errUsage, s, strings.Join(whereOps, " "))
	}
	e := whereExpr{col: strings.TrimSpace(s[:best]), op: bestOp, value: strings.TrimSpace(s[best+len(bestOp):])}
	if e.col == "" {
		return whereExpr{}, fmt.Errorf("%w: -where %q: no column before %q", errUsage, s, bestOp)
	}
	if e.op == "~" {
		if _, err := path.Match(e.value, ""); err != nil {
			return whereExpr{}, fmt.Errorf("%w: -where %q: bad pattern %q", errUsage, s, e.value)
		}
	}
	return e, nil
}

// filter keeps the rows that satisfy the -where expression s.
func (t *compareTable) filter(s string) error {
	e, err := parseWhere(s)
	if err != nil {
		return err
	}
	i, err := t.column(e.col)
	if err != nil {
		return fmt.Errorf("%w: -where: %v", errUsage, err)
	}
	typ := t.cols[i].Type
	var want table.Value
	numeric := false
	switch typ {
	case table.TypeInt, table.TypeFloat:
		f, err := strconv.ParseFloat(e.value, 64)
		if err == nil {
			want, numeric = table.FloatValue(f), true
		}
	case table.TypeBool:
		b, err := strconv.ParseBool(e.value)
		if err != nil && e.op != "~" {
			return fmt.Errorf("%w: -where %q: column %q holds true or false", errUsage, s, e.col)
		}
		want = table.BoolValue(b)
	}
	t.rows = slices.DeleteFunc(t.rows, func(row []table.Value) bool {
		c := row[i]
		if c.IsNull() {
			return e.op != "!="
		}
		if e.op == "~" {
			ok, _ := path.Match(e.value, c.String())
			return !ok
		}
		var cmp int
		switch {
		case numeric && typ == table.TypeInt:
			cmp = compareValues(table.FloatValue(float64(c.Int())), want)
		case numeric:
			if math.IsNaN(c.Float()) {
				return e.op != "!="
			}
			cmp = compareValues(c, want)
		case typ == table.TypeBool:
			cmp = compareValues(c, want)
		default:
			cmp = strings.Compare(c.String(), e.value)
		}
		ok := false
		switch e.op {
		case "=":
			ok = cmp == 0
		case "!=":
			ok = cmp != 0
		case "<":
			ok = cmp < 0
		case "<=":
			ok = cmp <= 0
		case ">":
			ok = cmp > 0
		case ">=":
			ok = cmp >= 0
		}
		return !ok
	})
	return nil
}

// write prints the table in cfg's format; the table format says on
// stderr which columns did not fit.
func (t *compareTable) write(w, stderr io.Writer, cfg *compareConfig) error {
	switch cfg.format {
	case "csv":
		tw, err := table.NewWriter(w, table.CSV, t.cols)
		if err != nil {
			return err
		}
		for _, row := range t.rows {
			if err := tw.Write(row); err != nil {
				return err
			}
		}
		return tw.Close()
	case "json":
		bw := bufio.NewWriter(w)
		var b []byte
		b = append(b, '[')
		for r, row := range t.rows {
			if r > 0 {
				b = append(b, ',')
			}
			b = append(b, "\n  {"...)
			for i, v := range row {
				if i > 0 {
					b = append(b, ", "...)
				}
				b = table.StringValue(t.cols[i].Name).AppendJSON(b)
				b = append(b, ": "...)
				b = v.AppendJSON(b)
			}
			b = append(b, '}')
		}
		b = append(b, "\n]\n"...)
		bw.Write(b)
		return bw.Flush()
	}
	h := t.human(len(cfg.stats) == 1)
	if cfg.format == "markdown" {
		return h.markdown(w)
	}
	return h.text(w, stderr, cfg.width)
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

func (t *compareTable) human(oneStat bool) *humanTable {
	h := &humanTable{}
	var keep []int
	for i, c := range t.cols {
		if c.Type == table.TypeInt && strings.HasSuffix(c.Name, "_step") && strings.Contains(c.Name, ":") {
			continue
		}
		if i > 0 && !slices.ContainsFunc(t.rows, func(r []table.Value) bool { return !r[i].IsNull() }) {
			continue // empty: runs without sessions have no status
		}
		hparam := i >= len(compareFixed) && !strings.Contains(c.Name, ":") || strings.HasPrefix(c.Name, "hparam:")
		if hparam && len(t.rows) > 1 && !t.rows[0][i].IsNull() && slices.IndexFunc(t.rows, func(r []table.Value) bool {
			return compareValues(r[i], t.rows[0][i]) != 0
		}) < 0 {
			h.same = append(h.same, c.Name+"="+humanValue(c, t.rows[0][i], true))
			continue
		}
		keep = append(keep, i)
		name := c.Name
		if name == "start_time" {
			name = "start"
		} else if tag, _, ok := cutStat(name); ok && oneStat {
			name = tag // the statistic is the same for every tag
		}
		h.head = append(h.head, name)
		h.right = append(h.right, c.Type != table.TypeString)
	}
	for _, row := range t.rows {
		cells := make([]string, len(keep))
		for j, i := range keep {
			cells[j] = humanValue(t.cols[i], row[i], i >= len(compareFixed) && !strings.Contains(t.cols[i].Name, ":"))
		}
		h.rows = append(h.rows, cells)
	}
	return h
}

// cutStat splits a TAG:STAT column's name.
func cutStat(name string) (tag, stat string, ok bool) {
	i := strings.LastIndexByte(name, ':')
	if i < 0 || !slices.Contains([]string{"last", "min", "max"}, name[i+1:]) {
		return "", "", false
	}
	return name[:i], name[i+1:], true
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
		t, err := time.Parse(rfc3339Micro, v.String())
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
		s = strings.NewReplacer("\r\n", " ", "\n", " ", "\r", " ", "\t", " ").Replace(s)
		if utf8.RuneCountInString(s) > maxCell {
			r := []rune(s)
			s = string(r[:maxCell-1]) + "…"
		}
		return s
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
