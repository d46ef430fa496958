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

	"github.com/tbgo/tbgo/history"
	"github.com/tbgo/tbgo/summary"
	"github.com/tbgo/tbgo/tfevents"
)

// compareColumns documents compare's table; -h prints it.
const compareColumns = `Columns, in this order:
  run          the run's name
  status       the HParams session's status (STATUS_SUCCESS, ...; STATUS_UNKNOWN for a
               session without an end; empty for a run without a session)
  start_time   the run's first event, RFC 3339 in UTC
  duration     seconds from the run's first event to its last
  HPARAM...    each hyper-parameter of any session, in name order ("hparam:NAME" if NAME
               is one of the columns above); a run without a session of its own takes its
               nearest ancestor run's, as TensorBoard's HParams dashboard joins a session
               with the runs below it; run information written by tbgo (run/version,
               run/revision, run/host, ...) is among them
  TAG:STAT     for each selected scalar tag in name order and each of -stats:
               TAG:last, TAG:last_step (the last value and its step),
               TAG:min, TAG:min_step, TAG:max, TAG:max_step (NaN values are left
               out; the step is the first at which the extreme was reached)
-sort and -where name these columns. A -where EXPR is COLUMN OP VALUE with OP one of
= != < <= > >= (numbers compared as numbers, text as text) or ~ (a glob the
value's text must match); an empty cell satisfies only !=.
`

type compareConfig struct {
	source string
	read   history.Options
	tags   *history.Matcher
	stats  []string
	sorts  []string
	wheres []string
	format string
}

func runCompare(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("compare", "[flags] LOGDIR|ARCHIVE", stderr)
	var runs, tags, sorts, wheres patternList
	fs.Var(&runs, "run", "select runs by `pattern` (glob, or re:REGEXP); repeatable")
	fs.Var(&tags, "tag", "scalar tags to tabulate, by `pattern` (glob, or re:REGEXP); repeatable (default every scalar tag)")
	stats := fs.String("stats", "last,min,max", "statistics per tag, comma-separated: last, min, max")
	fs.Var(&sorts, "sort", "sort by `column` (prefix - for descending); repeatable, first is primary (default run)")
	fs.Var(&wheres, "where", "keep rows where `EXPR` holds, e.g. 'lr<0.01' or 'loss:min<=0.3'; repeatable")
	format := fs.String("format", "markdown", "markdown, csv or json")
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
	cfg := compareConfig{source: fs.Arg(0), sorts: sorts, wheres: wheres, format: *format}
	var err error
	if cfg.read.View, err = history.ParseView(*view); err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	if cfg.read.Runs, cfg.tags, err = compileSelection(runs, tags); err != nil {
		return err
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
	if cfg.format != "markdown" && cfg.format != "csv" && cfg.format != "json" {
		return fmt.Errorf("%w: unknown format %q (want markdown, csv or json)", errUsage, cfg.format)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	tab, err := compare(ctx, &cfg, stderr)
	if err != nil {
		return err
	}
	return tab.write(stdout, cfg.format)
}

// runStats is what compare gathers of one run.
type runStats struct {
	name        string
	session     history.Session
	first, last float64 // wall times
	seen        bool
	tags        map[string]*tagStats
}

// tagStats summarises a scalar series.
type tagStats struct {
	last, min, max             float64
	lastStep, minStep, maxStep int64
	n, finite                  int
}

func (t *tagStats) add(step int64, v float64) {
	if t.n == 0 {
		t.min, t.max = math.NaN(), math.NaN()
	}
	t.n++
	t.last, t.lastStep = v, step
	if math.IsNaN(v) {
		return
	}
	if t.finite == 0 || v < t.min {
		t.min, t.minStep = v, step
	}
	if t.finite == 0 || v > t.max {
		t.max, t.maxStep = v, step
	}
	t.finite++
}

// A compareTable is compare's result.
type compareTable struct {
	cols []column
	rows [][]cell
}

func compare(ctx context.Context, cfg *compareConfig, stderr io.Writer) (*compareTable, error) {
	src, err := history.Open(cfg.source)
	if err != nil {
		return nil, err
	}
	defer src.Close()
	// Runs are read with their ancestors, whose sessions they inherit.
	runs := map[string]*runStats{}
	var order, read []string
	for _, r := range src.Runs() {
		if cfg.read.Runs.Match(r.Name) {
			order = append(order, r.Name)
		}
	}
	for _, r := range src.Runs() {
		for _, o := range order {
			if r.Name == o || r.Name == "." || strings.HasPrefix(o, r.Name+"/") {
				runs[r.Name] = &runStats{name: r.Name, tags: map[string]*tagStats{}}
				read = append(read, globEscape(r.Name))
				break
			}
		}
	}
	if len(order) == 0 {
		return nil, fmt.Errorf("no run of %s matches -run %s", src.Path(), cfg.read.Runs)
	}
	opts := cfg.read
	if opts.Runs, err = history.Compile(read...); err != nil {
		return nil, err
	}
	opts.Damaged = func(d *tfevents.Damage) error {
		fmt.Fprintf(stderr, "tbgo: warning: %v\n", d)
		return nil
	}
	tagSet := map[string]bool{}
	err = src.Values(ctx, &opts, func(v *history.Value) error {
		rs := runs[v.Run]
		if !rs.seen || v.WallTime < rs.first {
			rs.first = v.WallTime
		}
		if !rs.seen || v.WallTime > rs.last {
			rs.last = v.WallTime
		}
		rs.seen = true
		if _, err := rs.session.Add(&v.Value); err != nil {
			return fmt.Errorf("%s offset %d: %w", v.File, v.Offset, err)
		}
		if v.Kind != summary.KindScalar || !cfg.tags.Match(v.Tag) || !cfg.read.Runs.Match(v.Run) {
			return nil
		}
		ts := rs.tags[v.Tag]
		if ts == nil {
			ts = &tagStats{}
			rs.tags[v.Tag] = ts
			tagSet[v.Tag] = true
		}
		ts.add(v.Step, v.Scalar)
		return nil
	})
	if err != nil {
		return nil, err
	}

	// Runs without a session take their nearest ancestor's.
	sessionOf := func(run string) *history.Session {
		for r := run; ; r = path.Dir(r) {
			if rs := runs[r]; rs != nil && rs.session.Started {
				return &rs.session
			}
			if r == "." {
				return nil
			}
		}
	}
	hpTypes := map[string]map[colType]bool{}
	for _, name := range order {
		sess := sessionOf(name)
		if sess == nil {
			continue
		}
		for k, v := range sess.HParams {
			if hpTypes[k] == nil {
				hpTypes[k] = map[colType]bool{}
			}
			hpTypes[k][hparamColType(v)] = true
		}
	}
	hps := make([]string, 0, len(hpTypes))
	for k := range hpTypes {
		hps = append(hps, k)
	}
	slices.Sort(hps)
	tags := make([]string, 0, len(tagSet))
	for t := range tagSet {
		tags = append(tags, t)
	}
	slices.Sort(tags)

	tab := &compareTable{cols: []column{
		{name: "run"}, {name: "status", optional: true}, {name: "start_time", optional: true},
		{name: "duration", typ: colFloat, optional: true},
	}}
	fixed := []string{"run", "status", "start_time", "duration"}
	hpType := map[string]colType{}
	for _, k := range hps {
		typ := colString
		if len(hpTypes[k]) == 1 {
			for t := range hpTypes[k] {
				typ = t
			}
		}
		hpType[k] = typ
		name := k
		if slices.Contains(fixed, k) {
			name = "hparam:" + k
		}
		tab.cols = append(tab.cols, column{name: name, typ: typ, optional: true})
	}
	for _, tag := range tags {
		for _, s := range cfg.stats {
			tab.cols = append(tab.cols,
				column{name: tag + ":" + s, typ: colFloat, optional: true},
				column{name: tag + ":" + s + "_step", typ: colInt, optional: true})
		}
	}
	for _, name := range order {
		rs := runs[name]
		row := []cell{str(name), null(), null(), null()}
		sess := sessionOf(name)
		if sess != nil {
			row[1] = str(sess.Status.String())
		}
		if rs.seen {
			row[2] = str(wallTime(rs.first).Format(time.RFC3339Nano))
			row[3] = num(rs.last - rs.first)
		}
		for _, k := range hps {
			v, ok := any(nil), false
			if sess != nil {
				v, ok = sess.HParams[k]
			}
			switch {
			case !ok:
				row = append(row, null())
			case hpType[k] == colFloat:
				row = append(row, num(v.(float64)))
			case hpType[k] == colBool:
				row = append(row, boolean(v.(bool)))
			default:
				row = append(row, str(hparamString(v)))
			}
		}
		for _, tag := range tags {
			ts := rs.tags[tag]
			for _, s := range cfg.stats {
				if ts == nil || s != "last" && ts.finite == 0 {
					row = append(row, null(), null())
					continue
				}
				switch s {
				case "last":
					row = append(row, num(ts.last), integer(ts.lastStep))
				case "min":
					row = append(row, num(ts.min), integer(ts.minStep))
				case "max":
					row = append(row, num(ts.max), integer(ts.maxStep))
				}
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

// column returns the index of the named column.
func (t *compareTable) column(name string) (int, error) {
	for i, c := range t.cols {
		if c.name == name {
			return i, nil
		}
	}
	names := make([]string, len(t.cols))
	for i, c := range t.cols {
		names[i] = c.name
	}
	return 0, fmt.Errorf("no column %q (columns: %s)", name, strings.Join(names, ", "))
}

// compareCells orders two cells of one column: nulls last, numbers by
// value (NaN after numbers), text by bytes, false before true.
func compareCells(typ colType, a, b cell) int {
	switch {
	case a.null || b.null:
		return boolCmp(a.null, b.null)
	case typ == colString:
		return strings.Compare(a.s, b.s)
	case typ == colInt:
		return cmpOrdered(a.i, b.i)
	case typ == colBool:
		return boolCmp(a.b, b.b)
	}
	an, bn := math.IsNaN(a.f), math.IsNaN(b.f)
	if an || bn {
		return boolCmp(an, bn)
	}
	return cmpOrdered(a.f, b.f)
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
	slices.SortStableFunc(t.rows, func(a, b []cell) int {
		for _, k := range ks {
			c := compareCells(t.cols[k.col].typ, a[k.col], b[k.col])
			if c == 0 {
				continue
			}
			if k.desc && !a[k.col].null && !b[k.col].null {
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
	typ := t.cols[i].typ
	var want cell
	numeric := false
	switch typ {
	case colInt, colFloat:
		f, err := strconv.ParseFloat(e.value, 64)
		if err == nil {
			want, numeric = num(f), true
		}
	case colBool:
		b, err := strconv.ParseBool(e.value)
		if err != nil && e.op != "~" {
			return fmt.Errorf("%w: -where %q: column %q holds true or false", errUsage, s, e.col)
		}
		want = boolean(b)
	}
	t.rows = slices.DeleteFunc(t.rows, func(row []cell) bool {
		c := row[i]
		if c.null {
			return e.op != "!="
		}
		text := cellText(typ, c, false)
		if e.op == "~" {
			ok, _ := path.Match(e.value, text)
			return !ok
		}
		var cmp int
		switch {
		case numeric && typ == colInt:
			cmp = compareCells(colFloat, num(float64(c.i)), want)
		case numeric:
			if math.IsNaN(c.f) {
				return e.op != "!="
			}
			cmp = compareCells(colFloat, c, want)
		case typ == colBool:
			cmp = compareCells(colBool, c, want)
		default:
			cmp = strings.Compare(text, e.value)
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

// cellText formats a cell for Markdown (human: float32-exact values in
// their shortest float32 form) or for matching.
func cellText(typ colType, c cell, human bool) string {
	if c.null {
		return ""
	}
	switch typ {
	case colString:
		return c.s
	case colInt:
		return strconv.FormatInt(c.i, 10)
	case colBool:
		return strconv.FormatBool(c.b)
	}
	if human && !math.IsInf(c.f, 0) && !math.IsNaN(c.f) && float64(float32(c.f)) == c.f {
		return strconv.FormatFloat(c.f, 'g', -1, 32)
	}
	return string(appendFloat(nil, c.f))
}

func (t *compareTable) write(w io.Writer, format string) error {
	switch format {
	case "csv":
		tw, err := newTableWriter(w, formatCSV, t.cols)
		if err != nil {
			return err
		}
		for _, row := range t.rows {
			if err := tw.Row(row); err != nil {
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
			for i, c := range row {
				if i > 0 {
					b = append(b, ", "...)
				}
				b = appendJSONString(b, t.cols[i].name)
				b = append(b, ": "...)
				switch {
				case c.null:
					b = append(b, "null"...)
				case t.cols[i].typ == colString:
					b = appendJSONString(b, c.s)
				case t.cols[i].typ == colFloat:
					b = appendJSONFloat(b, c.f)
				default:
					b = append(b, cellText(t.cols[i].typ, c, false)...)
				}
			}
			b = append(b, '}')
		}
		b = append(b, "\n]\n"...)
		bw.Write(b)
		return bw.Flush()
	}
	bw := bufio.NewWriter(w)
	line := func(cells []string) {
		bw.WriteString("|")
		for _, c := range cells {
			bw.WriteString(" " + markdownCell(c) + " |")
		}
		bw.WriteString("\n")
	}
	head := make([]string, len(t.cols))
	sep := make([]string, len(t.cols))
	for i, c := range t.cols {
		head[i] = c.name
		sep[i] = "---"
		if c.typ != colString {
			sep[i] = "--:"
		}
	}
	line(head)
	bw.WriteString("|")
	for _, s := range sep {
		bw.WriteString(s + "|")
	}
	bw.WriteString("\n")
	for _, row := range t.rows {
		cells := make([]string, len(row))
		for i, c := range row {
			cells[i] = cellText(t.cols[i].typ, c, true)
		}
		line(cells)
	}
	return bw.Flush()
}

// markdownCell escapes what would break a Markdown table cell.
func markdownCell(s string) string {
	s = strings.ReplaceAll(s, `\`, `\\`)
	s = strings.ReplaceAll(s, "|", `\|`)
	return strings.NewReplacer("\r\n", " ", "\n", " ", "\r", " ").Replace(s)
}

// globEscape quotes the glob metacharacters of name, so that the pattern
// matches name alone.
func globEscape(name string) string {
	var b strings.Builder
	for _, r := range name {
		if strings.ContainsRune(`*?[]\`, r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}
