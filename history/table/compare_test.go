package table_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"

	"github.com/tbgo/tbgo/history"
	"github.com/tbgo/tbgo/history/table"
	"github.com/tbgo/tbgo/summary"
)

// series summarises a scalar series of the given values at steps 0, 1,
// ..., as history.Summarize does.
func series(tag string, values ...float64) history.ScalarSummary {
	s := history.ScalarSummary{Tag: tag, Count: len(values)}
	seen := false // a value that is not NaN
	for i, v := range values {
		p := history.Point{Step: int64(i), WallTime: float64(i), Value: v}
		s.Last = p
		switch {
		case math.IsNaN(v):
			s.NaNs++
		case !seen:
			s.Min, s.Max, seen = p, p, true
		case v < s.Min.Value:
			s.Min = p
		case v > s.Max.Value:
			s.Max = p
		}
	}
	if !seen {
		s.Min, s.Max = history.Point{Value: math.NaN()}, history.Point{Value: math.NaN()}
	}
	return s
}

// session returns a started session of hparams that ended with status.
func session(status summary.Status, hparams map[string]any) history.Session {
	return history.Session{Started: true, HParams: hparams, Ended: true, Status: status}
}

// compareSums are the summaries of a logdir of two trials, one with an
// eval sub-run that inherits its session, a run without a session, the
// root of them all (a sweep's experiment: no row) and a run with a
// session but no scalar (a row).
func compareSums() []history.RunSummary {
	trial1 := session(summary.StatusSuccess, map[string]any{"lr": 0.1, "opt": "adam"})
	return []history.RunSummary{
		{Run: ".", Values: 1, Start: 1700000000, End: 1700000000},
		{Run: "plain", Values: 1, Start: 1700000010, End: 1700000010, Scalars: []history.ScalarSummary{series("loss", 9)}},
		{Run: "setup", Session: session(summary.StatusRunning, map[string]any{"lr": 1.0, "opt": "none"}), SessionRun: "setup"},
		{Run: "trial1", Session: trial1, SessionRun: "trial1", Values: 9, Start: 1700000000.25, End: 1700000004.25,
			Scalars: []history.ScalarSummary{series("acc", 0.5, 0.75), series("loss", 2, 0.5, math.NaN(), 0.75)}},
		{Run: "trial1/eval", Session: trial1, SessionRun: "trial1", Values: 2, Start: 1700000001, End: 1700000002,
			Scalars: []history.ScalarSummary{series("loss", 3, 1)}},
		{Run: "trial2", Session: session(summary.StatusFailure, map[string]any{"lr": 0.01, "opt": "sgd"}), SessionRun: "trial2",
			Values: 3, Start: 1700000020, End: 1700000022, Scalars: []history.ScalarSummary{series("loss", 4, 0.25, 0.25)}},
		{Run: "trial3", Session: session(summary.StatusFailure, map[string]any{"lr": 0.02, "opt": "sgd"}), SessionRun: "trial3",
			Values: 2, Start: 1700000030, End: 1700000031, Scalars: []history.ScalarSummary{series("loss", math.NaN(), math.NaN())}},
	}
}

// column returns the cells of column name of c as text.
func column(t *testing.T, c *table.Comparison, name string) []string {
	t.Helper()
	i := c.Column(name)
	if i < 0 {
		t.Fatalf("no column %q", name)
	}
	var col []string
	for _, r := range c.Rows {
		col = append(col, r[i].String())
	}
	return col
}

func TestCompareColumns(t *testing.T) {
	t.Parallel()
	sums := compareSums()
	before := fmt.Sprint(sums)
	c, err := table.Compare(sums, &table.CompareOptions{Stats: []table.Stat{table.Last, table.Min, table.Max, table.Min}})
	if err != nil {
		t.Fatal(err)
	}
	if after := fmt.Sprint(sums); after != before {
		t.Errorf("Compare modified its input:\n%s\nwas\n%s", after, before)
	}
	type col struct {
		name   string
		typ    table.Type
		hparam string
		tag    string
		stat   table.Stat
		step   bool
	}
	want := []col{{name: "run"}, {name: "status"}, {name: "start_time"}, {name: "duration", typ: table.TypeFloat},
		{name: "lr", typ: table.TypeFloat, hparam: "lr"}, {name: "opt", hparam: "opt"}}
	for _, tag := range []string{"acc", "loss"} {
		for _, stat := range []table.Stat{table.Last, table.Min, table.Max} {
			want = append(want,
				col{name: tag + ":" + string(stat), typ: table.TypeFloat, tag: tag, stat: stat},
				col{name: tag + ":" + string(stat) + "_step", typ: table.TypeInt, tag: tag, stat: stat, step: true})
		}
	}
	var got []col
	for i, c1 := range c.Columns {
		g := col{name: c1.Name, typ: c1.Type}
		g.hparam, _ = c.HParam(i)
		g.tag, g.stat, g.step, _ = c.Metric(i)
		got = append(got, g)
		if !c1.Nullable && i > 0 {
			t.Errorf("column %q is not nullable", c1.Name)
		}
	}
	if !slices.Equal(got, want) {
		t.Fatalf("columns\n%+v\nwant\n%+v", got, want)
	}
	if !slices.Equal(c.Tags, []string{"acc", "loss"}) || !slices.Equal(c.HParams, []string{"lr", "opt"}) ||
		!slices.Equal(c.Stats, []table.Stat{table.Last, table.Min, table.Max}) {
		t.Errorf("Tags %q, HParams %q, Stats %q", c.Tags, c.HParams, c.Stats)
	}

	tests := []struct {
		col  string
		want []string // by run: plain, setup, trial1, trial1/eval, trial2, trial3
	}{
		{"run", []string{"plain", "setup", "trial1", "trial1/eval", "trial2", "trial3"}},
		{"status", []string{"", "STATUS_RUNNING", "STATUS_SUCCESS", "STATUS_SUCCESS", "STATUS_FAILURE", "STATUS_FAILURE"}},
		{"start_time", []string{"2023-11-14T22:13:30.000000Z", "", "2023-11-14T22:13:20.250000Z", "2023-11-14T22:13:21.000000Z",
			"2023-11-14T22:13:40.000000Z", "2023-11-14T22:13:50.000000Z"}},
		{"duration", []string{"0", "", "4", "1", "2", "1"}},
		{"lr", []string{"", "1", "0.1", "0.1", "0.01", "0.02"}},
		{"opt", []string{"", "none", "adam", "adam", "sgd", "sgd"}},
		{"loss:last", []string{"9", "", "0.75", "1", "0.25", "NaN"}},
		{"loss:last_step", []string{"0", "", "3", "1", "2", "1"}},
		{"loss:min", []string{"9", "", "0.5", "1", "0.25", ""}}, // NaN left out; every value NaN: null
		{"loss:min_step", []string{"0", "", "1", "1", "1", ""}}, // the first step of the minimum
		{"loss:max", []string{"9", "", "2", "3", "4", ""}},
		{"loss:max_step", []string{"0", "", "0", "0", "0", ""}},
		{"acc:last", []string{"", "", "0.75", "", "", ""}},
	}
	for _, tc := range tests {
		if got := column(t, c, tc.col); !slices.Equal(got, tc.want) {
			t.Errorf("%s = %q, want %q", tc.col, got, tc.want)
		}
	}
}

func TestCompareNames(t *testing.T) {
	t.Parallel()
	sums := []history.RunSummary{{
		Run: "r", SessionRun: "r", Values: 1,
		Session: session(summary.StatusSuccess, map[string]any{"run": "x", "loss:last": 2.0, "fast": true}),
		Scalars: []history.ScalarSummary{series("loss", 1)},
	}}
	c, err := table.Compare(sums, nil)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, col := range c.Columns {
		names = append(names, col.Name)
	}
	// A hyper-parameter named like a fixed column is renamed; one named
	// like a metric is not, but HParam and Metric tell the two apart.
	want := []string{"run", "status", "start_time", "duration", "fast", "loss:last", "hparam:run", "loss:last", "loss:last_step"}
	if !slices.Equal(names, want) {
		t.Fatalf("columns %q, want %q", names, want)
	}
	for i, wantHP := range []string{"", "", "", "", "fast", "loss:last", "run", "", ""} {
		hp, ok := c.HParam(i)
		_, _, _, metric := c.Metric(i)
		if hp != wantHP || ok != (wantHP != "") || metric != (i >= 7) {
			t.Errorf("column %d (%s): HParam %q %v, Metric %v", i, names[i], hp, ok, metric)
		}
	}
	if c.Column("loss:last") != 5 || c.Column("nope") != -1 {
		t.Errorf("Column: %d, %d", c.Column("loss:last"), c.Column("nope"))
	}
	if c.Columns[4].Type != table.TypeBool || c.Rows[0][4] != table.BoolValue(true) {
		t.Errorf("fast: %v %v", c.Columns[4].Type, c.Rows[0][4])
	}
}

func TestCompareWhereSort(t *testing.T) {
	t.Parallel()
	sums := compareSums()
	tests := []struct {
		desc  string
		where []string
		sort  []string
		runs  []string
	}{
		{desc: "default: by run", runs: []string{"plain", "setup", "trial1", "trial1/eval", "trial2", "trial3"}},
		{desc: "descending, nulls last", sort: []string{"-lr"}, runs: []string{"setup", "trial1", "trial1/eval", "trial3", "trial2", "plain"}},
		{desc: "ascending, nulls last", sort: []string{"lr"}, runs: []string{"trial2", "trial3", "trial1", "trial1/eval", "setup", "plain"}},
		{desc: "two keys", sort: []string{"opt", "-loss:last"}, runs: []string{"trial1/eval", "trial1", "setup", "trial3", "trial2", "plain"}},
		{desc: "NaN after numbers", sort: []string{"loss:last"}, runs: []string{"trial2", "trial1", "trial1/eval", "plain", "trial3", "setup"}},
		{desc: "NaN after numbers, descending", sort: []string{"-loss:last"}, runs: []string{"trial3", "plain", "trial1/eval", "trial1", "trial2", "setup"}},
		{desc: "ties keep run order", sort: []string{"status"}, runs: []string{"trial2", "trial3", "setup", "trial1", "trial1/eval", "plain"}},
		{desc: "numeric where", where: []string{"lr<0.05"}, runs: []string{"trial2", "trial3"}},
		{desc: "numbers as numbers", where: []string{"lr>=1e-1"}, runs: []string{"setup", "trial1", "trial1/eval"}},
		{desc: "where on a metric", where: []string{"loss:last <= 0.75"}, runs: []string{"trial1", "trial2"}},
		{desc: "where on a step", where: []string{"loss:last_step>1.5"}, runs: []string{"trial1", "trial2"}},
		{desc: "NaN satisfies only !=", where: []string{"loss:last!=1"}, runs: []string{"plain", "setup", "trial1", "trial2", "trial3"}},
		{desc: "NaN is no number", where: []string{"loss:last>=0"}, runs: []string{"plain", "trial1", "trial1/eval", "trial2"}},
		{desc: "text where", where: []string{"opt=adam"}, runs: []string{"trial1", "trial1/eval"}},
		{desc: "text order", where: []string{"opt>b"}, runs: []string{"setup", "trial2", "trial3"}},
		{desc: "text on a number column", where: []string{"lr=x"}, runs: nil},
		{desc: "not equal keeps empty cells", where: []string{"opt!=adam"}, runs: []string{"plain", "setup", "trial2", "trial3"}},
		{desc: "glob where", where: []string{"run~trial?"}, runs: []string{"trial1", "trial2", "trial3"}},
		{desc: "glob on a number", where: []string{"lr~0.0*"}, runs: []string{"trial2", "trial3"}},
		{desc: "every where holds", where: []string{"opt=sgd", "lr>0.015"}, sort: []string{"-run"}, runs: []string{"trial3"}},
		{desc: "operator in the value", where: []string{"opt=a=b"}, runs: nil},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			t.Parallel()
			c, err := table.Compare(sums, &table.CompareOptions{Where: tc.where, Sort: tc.sort})
			if err != nil {
				t.Fatal(err)
			}
			if got := column(t, c, "run"); !slices.Equal(got, tc.runs) {
				t.Errorf("runs %q, want %q", got, tc.runs)
			}
		})
	}
}

func TestCompareBool(t *testing.T) {
	t.Parallel()
	var sums []history.RunSummary
	for i, fast := range []any{true, false, nil} {
		hps := map[string]any{}
		if fast != nil {
			hps["fast"] = fast
		}
		run := fmt.Sprint("r", i)
		sums = append(sums, history.RunSummary{Run: run, SessionRun: run, Session: session(summary.StatusSuccess, hps)})
	}
	for _, tc := range []struct {
		where, sort string
		runs        []string
	}{
		{where: "fast=true", runs: []string{"r0"}},
		{where: "fast!=true", runs: []string{"r1", "r2"}},
		{where: "fast<true", runs: []string{"r1"}},
		{where: "fast~t*", runs: []string{"r0"}},
		{sort: "fast", runs: []string{"r1", "r0", "r2"}},
		{sort: "-fast", runs: []string{"r0", "r1", "r2"}},
	} {
		o := &table.CompareOptions{}
		if tc.where != "" {
			o.Where = []string{tc.where}
		}
		if tc.sort != "" {
			o.Sort = []string{tc.sort}
		}
		c, err := table.Compare(sums, o)
		if err != nil {
			t.Fatal(err)
		}
		if got := column(t, c, "run"); !slices.Equal(got, tc.runs) {
			t.Errorf("where %q sort %q: runs %q, want %q", tc.where, tc.sort, got, tc.runs)
		}
	}
	_, err := table.Compare(sums, &table.CompareOptions{Where: []string{"fast=yes"}})
	var qe *table.QueryError
	if !errors.As(err, &qe) || qe.Option != "Where" || !strings.Contains(err.Error(), "true or false") {
		t.Errorf("fast=yes: %v, want a QueryError saying true or false", err)
	}
}

func TestCompareBadOptions(t *testing.T) {
	t.Parallel()
	sums := compareSums()
	for _, tc := range []struct {
		desc   string
		o      table.CompareOptions
		option string
		query  string
		says   string
	}{
		{"unknown statistic", table.CompareOptions{Stats: []table.Stat{"median"}}, "Stats", "median", "unknown statistic"},
		{"sort by no column", table.CompareOptions{Sort: []string{"-nope"}}, "Sort", "-nope", `no column "nope" (columns: run, status`},
		{"where without operator", table.CompareOptions{Where: []string{"lr"}}, "Where", "lr", "COLUMN OP VALUE"},
		{"where without column", table.CompareOptions{Where: []string{" <= 2"}}, "Where", " <= 2", `no column before "<="`},
		{"where on no column", table.CompareOptions{Where: []string{"nope=1"}}, "Where", "nope=1", `no column "nope"`},
		{"bad glob", table.CompareOptions{Where: []string{"run~["}}, "Where", "run~[", "bad pattern"},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			t.Parallel()
			c, err := table.Compare(sums, &tc.o)
			var qe *table.QueryError
			if !errors.As(err, &qe) {
				t.Fatalf("%v, %v: want a *QueryError", c, err)
			}
			if qe.Option != tc.option || qe.Query != tc.query || !strings.Contains(err.Error(), tc.says) || !strings.HasPrefix(err.Error(), "table: ") {
				t.Errorf("%+v (%v), want option %s, query %q, saying %s", qe, err, tc.option, tc.query, tc.says)
			}
		})
	}
	if _, err := table.ParseStat("Last"); err == nil {
		t.Error(`ParseStat("Last"): no error`)
	}
}

func TestCompareEmpty(t *testing.T) {
	t.Parallel()
	for _, sums := range [][]history.RunSummary{nil, {{Run: "."}}} {
		c, err := table.Compare(sums, nil)
		if err != nil {
			t.Fatal(err)
		}
		if len(c.Rows) != 0 || len(c.Columns) != 4 || len(c.Tags) != 0 {
			t.Errorf("Compare(%v): %d rows, %d columns, tags %q", sums, len(c.Rows), len(c.Columns), c.Tags)
		}
		var b bytes.Buffer
		if err := c.WriteJSON(&b); err != nil || b.String() != "[\n]\n" {
			t.Errorf("WriteJSON: %q, %v", b.String(), err)
		}
		b.Reset()
		if err := c.Write(&b, table.CSV); err != nil || b.String() != "run,status,start_time,duration\n" {
			t.Errorf("Write: %q, %v", b.String(), err)
		}
	}
}

func TestCompareWrite(t *testing.T) {
	t.Parallel()
	c, err := table.Compare(compareSums(), &table.CompareOptions{Stats: []table.Stat{table.Min}, Where: []string{"opt!=none"}})
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := c.WriteJSON(&b); err != nil {
		t.Fatal(err)
	}
	var objs []map[string]any
	if err := json.Unmarshal(b.Bytes(), &objs); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, b.String())
	}
	if len(objs) != len(c.Rows) || objs[1]["loss:min"] != 0.5 || objs[0]["lr"] != nil || objs[1]["status"] != "STATUS_SUCCESS" ||
		objs[4]["loss:last"] != nil || objs[4]["loss:min"] != nil {
		t.Errorf("JSON %v", objs)
	}
	lines := strings.Split(b.String(), "\n")
	if len(lines) != len(c.Rows)+3 || lines[0] != "[" || !strings.HasPrefix(lines[1], `  {"run": "plain", "status": null, `) {
		t.Errorf("JSON, a row per line in column order:\n%s", b.String())
	}

	b.Reset()
	if err := c.Write(&b, table.CSV); err != nil {
		t.Fatal(err)
	}
	if rows := readCSV(t, b.Bytes()); len(rows) != len(c.Rows)+1 || rows[2][c.Column("loss:min")] != "0.5" {
		t.Errorf("CSV:\n%s", b.String())
	}

	b.Reset()
	if err := c.Write(&b, table.Parquet); err != nil {
		t.Fatal(err)
	}
	f, err := parquet.OpenFile(bytes.NewReader(b.Bytes()), int64(b.Len()))
	if err != nil {
		t.Fatal(err)
	}
	if f.NumRows() != int64(len(c.Rows)) || len(f.Schema().Fields()) != len(c.Columns) {
		t.Errorf("Parquet: %d rows, %d columns", f.NumRows(), len(f.Schema().Fields()))
	}
}

func TestValueCompare(t *testing.T) {
	t.Parallel()
	nan := table.FloatValue(math.NaN())
	for _, tc := range []struct {
		a, b table.Value
		want int
	}{
		{table.Value{}, table.Value{}, 0},
		{table.Value{}, table.IntValue(0), 1},
		{table.StringValue(""), table.Value{}, -1},
		{table.StringValue("a"), table.StringValue("b"), -1},
		{table.StringValue("b"), table.StringValue("B"), 1},
		{table.IntValue(-3), table.IntValue(2), -1},
		{table.IntValue(2), table.IntValue(2), 0},
		{table.FloatValue(0.5), table.Float32Value(0.5), 0},
		{table.FloatValue(math.Inf(1)), nan, -1},
		{nan, nan, 0},
		{nan, table.Value{}, -1},
		{table.FloatValue(math.Copysign(0, -1)), table.FloatValue(0), 0},
		{table.BoolValue(false), table.BoolValue(true), -1},
		{table.TimeValue(2), table.TimeValue(1), 1},
	} {
		if got := tc.a.Compare(tc.b); got != tc.want {
			t.Errorf("%v.Compare(%v) = %d, want %d", tc.a, tc.b, got, tc.want)
		}
		if got := tc.b.Compare(tc.a); got != -tc.want {
			t.Errorf("%v.Compare(%v) = %d, want %d", tc.b, tc.a, got, -tc.want)
		}
	}
}
