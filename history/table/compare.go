package table

import (
	"fmt"
	"io"
	"math"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tbgo/tbgo/history"
)

// A Stat is a statistic of a scalar series that Compare tabulates.
type Stat string

// The statistics, each a field of history.ScalarSummary.
const (
	// Last is the value at the series' greatest step: the one
	// TensorBoard's HParams dashboard reports as a session's metric.
	Last Stat = "last"
	// Min is the smallest value that is not NaN.
	Min Stat = "min"
	// Max is the largest value that is not NaN.
	Max Stat = "max"
)

// ParseStat returns the Stat named s: "last", "min" or "max". Another
// name is a *QueryError.
func ParseStat(s string) (Stat, error) {
	switch st := Stat(s); st {
	case Last, Min, Max:
		return st, nil
	}
	return "", &QueryError{Option: "Stats", Query: s, Err: fmt.Errorf("unknown statistic (want %s, %s or %s)", Last, Min, Max)}
}

// CompareOptions say what Compare tabulates. The zero CompareOptions
// tabulate the Last value of every tag, keep every row and sort by run.
type CompareOptions struct {
	// Stats are the statistics of each tag, in the order given, each a
	// column pair TAG:STAT and TAG:STAT_step; a statistic named twice
	// counts once. Nil means Last alone, as TensorBoard's HParams table
	// shows.
	Stats []Stat
	// Where keeps the rows that satisfy every expression, each COLUMN OP
	// VALUE with OP one of = != < <= > >= (numbers compared as numbers,
	// text as text, false before true) or ~ (a path.Match glob the
	// cell's text must match), split at the first operator: "lr<0.01",
	// "loss:min <= 0.3", "run~trial-*". A null cell satisfies only !=,
	// and so does a NaN compared with a number.
	Where []string
	// Sort orders the rows by the columns named, the first the primary
	// key, each prefixed with "-" for descending order; nulls come last
	// either way, NaN after the numbers. Rows that tie keep the order of
	// the summaries. Nil sorts by run.
	Sort []string
}

// A QueryError reports a CompareOptions field that Compare cannot use: a
// statistic it does not know, a Where expression it cannot parse or whose
// column does not exist or cannot hold its value, a Sort key that names
// no column.
type QueryError struct {
	// Option is the CompareOptions field at fault: "Stats", "Where" or
	// "Sort".
	Option string
	// Query is the element of that field at fault, as given.
	Query string
	// Err says what is wrong with it.
	Err error
}

// Error says which option, which query and what is wrong with it.
func (e *QueryError) Error() string {
	return fmt.Sprintf("table: %s %q: %v", e.Option, e.Query, e.Err)
}

// Unwrap returns e.Err.
func (e *QueryError) Unwrap() error { return e.Err }

// A Comparison is a table of runs, one row per run, as Compare builds
// it. Its columns, in this order:
//
//	run            the run's name
//	status         its HParams session's status (STATUS_SUCCESS, ...;
//	               STATUS_UNKNOWN for a session without an end); null for a
//	               run without a session
//	start_time     its first value's wall time, RFC 3339 in UTC to the
//	               microsecond; null for a run without values
//	duration       seconds from its first value to its last; null likewise
//	HPARAM...      a column per hyper-parameter of any session, in name
//	               order, named "hparam:NAME" if NAME is one of the above
//	               (HParamColumns); null where the run's session has none
//	TAG:STAT       for each tag in Tags and each statistic in Stats, the
//	               statistic's value as stored (ScalarValue); null for a run
//	               without the tag, and for Min and Max when every value is
//	               NaN
//	TAG:STAT_step  after each TAG:STAT, the step at which it was reached
type Comparison struct {
	// Columns and Rows are the table: a row holds one Value per column,
	// of the column's Type or null. NewWriter writes them as they are.
	Columns []Column
	Rows    [][]Value
	// HParams names the hyper-parameter each hyper-parameter column
	// holds, in column order (HParamColumns' names). Tags are the scalar
	// tags tabulated, in name order, and Stats the statistics of each.
	// HParam and Metric say which of them a column holds.
	HParams []string
	Tags    []string
	Stats   []Stat
}

// fixedColumns returns the columns of a Comparison before the
// hyper-parameters.
func fixedColumns() []Column {
	return []Column{
		{Name: "run"}, {Name: "status", Nullable: true}, {Name: "start_time", Nullable: true},
		{Name: "duration", Type: TypeFloat, Nullable: true},
	}
}

// nfixed is the number of fixedColumns.
const nfixed = 4

// startTimeLayout is RFC 3339 with microseconds, the precision of wall
// times in a table.
const startTimeLayout = "2006-01-02T15:04:05.000000Z07:00"

// Compare tabulates run summaries (history.Summarize's) as a Comparison:
// a row per run, its status, start time, duration and hyper-parameters,
// then o.Stats of each scalar tag. A run with neither a scalar nor a
// session of its own (a sweep's root, a run of images) has no row; a run
// that inherits its session from an ancestor has its hyper-parameters.
// The rows that satisfy o.Where are kept, sorted by o.Sort. A nil o
// means the zero CompareOptions. A field of o that Compare cannot use is
// a *QueryError; there is no other error. Compare does not modify sums.
func Compare(sums []history.RunSummary, o *CompareOptions) (*Comparison, error) {
	if o == nil {
		o = &CompareOptions{}
	}
	c := &Comparison{}
	for _, s := range o.Stats {
		if _, err := ParseStat(string(s)); err != nil {
			return nil, err
		}
		if !slices.Contains(c.Stats, s) {
			c.Stats = append(c.Stats, s)
		}
	}
	if len(c.Stats) == 0 {
		c.Stats = []Stat{Last}
	}
	var kept []*history.RunSummary
	var sessions []map[string]any
	for i := range sums {
		s := &sums[i]
		if len(s.Scalars) == 0 && s.SessionRun != s.Run {
			continue
		}
		kept = append(kept, s)
		for _, sc := range s.Scalars {
			c.Tags = append(c.Tags, sc.Tag)
		}
		if s.Session.Started {
			sessions = append(sessions, s.Session.HParams)
		}
	}
	slices.Sort(c.Tags)
	c.Tags = slices.Compact(c.Tags)

	c.Columns, c.HParams = HParamColumns(fixedColumns(), sessions)
	for _, tag := range c.Tags {
		for _, st := range c.Stats {
			name := tag + ":" + string(st)
			c.Columns = append(c.Columns,
				Column{Name: name, Type: TypeFloat, Nullable: true},
				Column{Name: name + "_step", Type: TypeInt, Nullable: true})
		}
	}
	for _, s := range kept {
		c.Rows = append(c.Rows, c.row(s))
	}
	for _, w := range o.Where {
		if err := c.where(w); err != nil {
			return nil, err
		}
	}
	keys := o.Sort
	if len(keys) == 0 {
		keys = []string{"run"}
	}
	if err := c.sort(keys); err != nil {
		return nil, err
	}
	return c, nil
}

// row returns s's row of c.
func (c *Comparison) row(s *history.RunSummary) []Value {
	row := make([]Value, nfixed, len(c.Columns))
	row[0] = StringValue(s.Run)
	if s.Session.Started {
		row[1] = StringValue(s.Session.Status.String())
	}
	if s.Values > 0 {
		start := time.UnixMicro(int64(math.Round(s.Start * 1e6)))
		row[2] = StringValue(start.UTC().Format(startTimeLayout))
		row[3] = FloatValue(s.End - s.Start)
	}
	for i, name := range c.HParams {
		var v any
		if s.Session.Started {
			v = s.Session.HParams[name]
		}
		row = append(row, HParamValue(v, c.Columns[nfixed+i].Type))
	}
	for _, tag := range c.Tags {
		sc := s.Scalar(tag)
		for _, st := range c.Stats {
			if sc == nil || st != Last && sc.NaNs == sc.Count {
				row = append(row, Value{}, Value{})
				continue
			}
			p := sc.Last
			switch st {
			case Min:
				p = sc.Min
			case Max:
				p = sc.Max
			}
			row = append(row, ScalarValue(p.Value), IntValue(p.Step))
		}
	}
	return row
}

// Column returns the index of the column named name, or -1 if there is
// none.
func (c *Comparison) Column(name string) int {
	return slices.IndexFunc(c.Columns, func(col Column) bool { return col.Name == name })
}

// HParam returns the name of the hyper-parameter column i holds, and
// false if column i holds none.
func (c *Comparison) HParam(i int) (name string, ok bool) {
	if i < nfixed || i >= nfixed+len(c.HParams) {
		return "", false
	}
	return c.HParams[i-nfixed], true
}

// Metric returns the tag and statistic column i holds, with step true if
// it is the TAG:STAT_step column; ok is false if column i holds no
// statistic.
func (c *Comparison) Metric(i int) (tag string, stat Stat, step, ok bool) {
	j := i - nfixed - len(c.HParams)
	if j < 0 || j >= 2*len(c.Tags)*len(c.Stats) {
		return "", "", false, false
	}
	return c.Tags[j/2/len(c.Stats)], c.Stats[j/2%len(c.Stats)], j%2 == 1, true
}

// Write writes c to w as a table in format f with NewWriter: CSV,
// JSONLines or Parquet.
func (c *Comparison) Write(w io.Writer, f Format) error {
	tw, err := NewWriter(w, f, c.Columns)
	if err != nil {
		return err
	}
	for _, row := range c.Rows {
		if err := tw.Write(row); err != nil {
			return err
		}
	}
	return tw.Close()
}

// WriteJSON writes c to w as one JSON array of objects, a row per object
// and line, its keys the column names in column order and its values as
// JSON Lines writes them (Value.AppendJSON).
func (c *Comparison) WriteJSON(w io.Writer) error {
	b := []byte{'['}
	for r, row := range c.Rows {
		if r > 0 {
			b = append(b, ',')
		}
		b = append(b, "\n  {"...)
		for i, v := range row {
			if i > 0 {
				b = append(b, ", "...)
			}
			b = appendJSONString(b, c.Columns[i].Name)
			b = append(b, ": "...)
			b = v.AppendJSON(b)
		}
		b = append(b, '}')
		if len(b) >= rowChunkSize {
			if _, err := w.Write(b); err != nil {
				return err
			}
			b = b[:0]
		}
	}
	_, err := w.Write(append(b, "\n]\n"...))
	return err
}

// Compare orders v and w, two values of one column, as a Comparison's
// Sort does: nulls last, numbers by value with NaN after them, text by
// bytes, false before true. It returns -1, 0 or +1 as v sorts before,
// with or after w.
func (v Value) Compare(w Value) int {
	switch {
	case v.IsNull() || w.IsNull():
		return boolCompare(v.IsNull(), w.IsNull())
	case v.typ == TypeString:
		return strings.Compare(v.s, w.s)
	case v.typ == TypeInt:
		return orderedCompare(v.Int(), w.Int())
	case v.typ == TypeBool:
		return boolCompare(v.Bool(), w.Bool())
	}
	vn, wn := math.IsNaN(v.Float()), math.IsNaN(w.Float())
	if vn || wn {
		return boolCompare(vn, wn)
	}
	return orderedCompare(v.Float(), w.Float())
}

// boolCompare orders false before true.
func boolCompare(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return 1
	}
	return -1
}

// orderedCompare is cmp.Compare without its NaN rule, which Compare
// handles first.
func orderedCompare[T int64 | float64](a, b T) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// column returns the index of the column named name, or says which
// columns there are.
func (c *Comparison) column(name string) (int, error) {
	if i := c.Column(name); i >= 0 {
		return i, nil
	}
	names := make([]string, len(c.Columns))
	for i, col := range c.Columns {
		names[i] = col.Name
	}
	return 0, fmt.Errorf("no column %q (columns: %s)", name, strings.Join(names, ", "))
}

// sort sorts the rows by the columns keys name, each prefixed with "-"
// for descending order; nulls stay last either way.
func (c *Comparison) sort(keys []string) error {
	type key struct {
		col  int
		desc bool
	}
	ks := make([]key, 0, len(keys))
	for _, k := range keys {
		name, desc := strings.CutPrefix(k, "-")
		i, err := c.column(name)
		if err != nil {
			return &QueryError{Option: "Sort", Query: k, Err: err}
		}
		ks = append(ks, key{i, desc})
	}
	slices.SortStableFunc(c.Rows, func(a, b []Value) int {
		for _, k := range ks {
			x := a[k.col].Compare(b[k.col])
			if x == 0 {
				continue
			}
			if k.desc && !a[k.col].IsNull() && !b[k.col].IsNull() {
				x = -x
			}
			return x
		}
		return 0
	})
	return nil
}

// whereOps are the operators of a Where expression; the longest of those
// at the first operator's index is taken, so that "<=" is not read as
// "<".
var whereOps = [...]string{"!=", "<=", ">=", "=", "<", ">", "~"}

// A whereExpr is a parsed Where expression.
type whereExpr struct {
	col, op, value string
}

// parseWhere splits s, COLUMN OP VALUE, at its first operator.
func parseWhere(s string) (whereExpr, error) {
	best, bestOp := -1, ""
	for _, op := range whereOps {
		if i := strings.Index(s, op); i >= 0 && (best < 0 || i < best || i == best && len(op) > len(bestOp)) {
			best, bestOp = i, op
		}
	}
	if best < 0 {
		return whereExpr{}, &QueryError{Option: "Where", Query: s,
			Err: fmt.Errorf("want COLUMN OP VALUE with OP one of %s", strings.Join(whereOps[:], " "))}
	}
	e := whereExpr{col: strings.TrimSpace(s[:best]), op: bestOp, value: strings.TrimSpace(s[best+len(bestOp):])}
	if e.col == "" {
		return whereExpr{}, &QueryError{Option: "Where", Query: s, Err: fmt.Errorf("no column before %q", bestOp)}
	}
	if e.op == "~" {
		if _, err := path.Match(e.value, ""); err != nil {
			return whereExpr{}, &QueryError{Option: "Where", Query: s, Err: fmt.Errorf("bad pattern %q", e.value)}
		}
	}
	return e, nil
}

// where keeps the rows that satisfy the Where expression s.
func (c *Comparison) where(s string) error {
	e, err := parseWhere(s)
	if err != nil {
		return err
	}
	keep, err := c.predicate(e)
	if err != nil {
		return &QueryError{Option: "Where", Query: s, Err: err}
	}
	c.Rows = slices.DeleteFunc(c.Rows, func(row []Value) bool { return !keep(row) })
	return nil
}

// predicate returns the test of a row that e makes.
func (c *Comparison) predicate(e whereExpr) (func(row []Value) bool, error) {
	i, err := c.column(e.col)
	if err != nil {
		return nil, err
	}
	typ := c.Columns[i].Type
	var want Value
	numeric := false
	switch typ {
	case TypeInt, TypeFloat:
		if f, err := strconv.ParseFloat(e.value, 64); err == nil {
			want, numeric = FloatValue(f), true
		}
	case TypeBool:
		b, err := strconv.ParseBool(e.value)
		if err != nil && e.op != "~" {
			return nil, fmt.Errorf("column %q holds true or false", e.col)
		}
		want = BoolValue(b)
	}
	return func(row []Value) bool {
		v := row[i]
		if v.IsNull() {
			return e.op == "!="
		}
		if e.op == "~" {
			ok, _ := path.Match(e.value, v.String())
			return ok
		}
		var x int
		switch {
		case numeric && typ == TypeInt:
			x = FloatValue(float64(v.Int())).Compare(want)
		case numeric:
			if math.IsNaN(v.Float()) {
				return e.op == "!="
			}
			x = v.Compare(want)
		case typ == TypeBool:
			x = v.Compare(want)
		default:
			x = strings.Compare(v.String(), e.value)
		}
		switch e.op {
		case "=":
			return x == 0
		case "!=":
			return x != 0
		case "<":
			return x < 0
		case "<=":
			return x <= 0
		case ">":
			return x > 0
		}
		return x >= 0
	}, nil
}
