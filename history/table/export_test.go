package table_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go"

	"github.com/tbgo/tbgo/history"
	"github.com/tbgo/tbgo/history/table"
	"github.com/tbgo/tbgo/proto/tbpb"
	"github.com/tbgo/tbgo/summary"
	"github.com/tbgo/tbgo/tfevents"
)

// clockWriter returns a Writer on dir whose clock reads *now.
func clockWriter(tb testing.TB, dir string, now *time.Time) *summary.Writer {
	tb.Helper()
	w, err := summary.NewWriter(dir, &summary.Options{FlushInterval: -1, Now: func() time.Time { return *now }})
	if err != nil {
		tb.Fatal(err)
	}
	return w
}

// unix returns the time of secs seconds since the epoch, to the
// nanosecond.
func unix(secs float64) time.Time {
	whole := math.Floor(secs)
	return time.Unix(int64(whole), int64(math.Round((secs-whole)*1e9)))
}

func open(tb testing.TB, path string) *history.Source {
	tb.Helper()
	src, err := history.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { src.Close() })
	return src
}

// exported is one scalar as the tests expect to read it back.
type exported struct {
	Run, Tag string
	Step     int64
	Wall     float64
	Value    float64
}

func (e exported) String() string {
	return fmt.Sprintf("%s|%s@%d(%v)=%v", e.Run, e.Tag, e.Step, e.Wall, e.Value)
}

// same compares two scalars, values by their bits (so -0 is not 0), any
// NaN equal to any NaN: text formats do not keep NaN payloads.
func (e exported) same(o exported) bool {
	return e.Run == o.Run && e.Tag == o.Tag && e.Step == o.Step && e.Wall == o.Wall &&
		(math.Float64bits(e.Value) == math.Float64bits(o.Value) || math.IsNaN(e.Value) && math.IsNaN(o.Value))
}

// scalarLogdir writes a logdir of scalars that are hard to export: NaN,
// infinities, signed zeros, extreme steps, tags with commas, quotes,
// newlines and non-ASCII characters, and runs in nested directories. It
// returns what it wrote, in the order export writes it.
func scalarLogdir(t testing.TB) (string, []exported) {
	t.Helper()
	logdir := t.TempDir()
	var want []exported
	type value struct {
		tag  string
		step int64
		v    float64
	}
	runs := []struct {
		name   string
		values []value
	}{
		// Runs in name order, as export reads them.
		{"a/b", []value{{"x", 0, 1}, {"x", 1, 2}}},
		{"train", []value{
			{"loss", -1 << 40, math.NaN()}, {"loss", 0, math.Inf(1)}, {"loss", 1, math.Inf(-1)},
			{"loss", 2, math.Copysign(0, -1)}, {"loss", 3, 0.1}, {"loss", math.MaxInt64, math.MaxFloat32},
			{`tag, with "quotes"`, 0, 1.5}, {"line\nbreak", 0, -2}, {"損失/η", 0, 1.0 / 3}, {" lead", 7, 1e-40},
		}},
	}
	for i, r := range runs {
		now := unix(1700000000)
		w := clockWriter(t, filepath.Join(logdir, filepath.FromSlash(r.name)), &now)
		for j, v := range r.values {
			wall := 1700000000 + float64(100*i+j) + 0.25
			now = unix(wall)
			if err := w.Scalar(v.tag, v.step, v.v); err != nil {
				t.Fatal(err)
			}
			want = append(want, exported{r.name, v.tag, v.step, wall, float64(float32(v.v))})
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
	}
	return logdir, want
}

// parseFloat reads a number as export writes it in CSV or JSON, as a
// float of the given bit size.
func parseFloat(t testing.TB, s string, bitSize int) float64 {
	t.Helper()
	switch s {
	case "NaN":
		return math.NaN()
	case "Inf", "Infinity":
		return math.Inf(1)
	case "-Inf", "-Infinity":
		return math.Inf(-1)
	}
	f, err := strconv.ParseFloat(s, bitSize)
	if err != nil {
		t.Fatalf("bad number %q: %v", s, err)
	}
	return f
}

// parseWall reads a wall time: seconds with six decimals.
func parseWall(t testing.TB, s string) float64 {
	t.Helper()
	if i := strings.IndexByte(s, '.'); i < 0 || len(s)-i-1 != 6 {
		t.Errorf("wall time %q does not have six decimals", s)
	}
	return parseFloat(t, s, 64)
}

func readCSV(t testing.TB, b []byte) [][]string {
	t.Helper()
	rows, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
	if err != nil {
		t.Fatalf("not CSV: %v\n%s", err, b)
	}
	return rows
}

// readJSONL reads JSON Lines objects, keeping numbers as text.
func readJSONL(t testing.TB, b []byte) []map[string]any {
	t.Helper()
	var rows []map[string]any
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	for dec.More() {
		var m map[string]any
		if err := dec.Decode(&m); err != nil {
			t.Fatalf("not JSON Lines: %v\n%s", err, b)
		}
		rows = append(rows, m)
	}
	if n := bytes.Count(b, []byte("\n")); n != len(rows) {
		t.Fatalf("%d lines for %d objects", n, len(rows))
	}
	return rows
}

func jsonText(t testing.TB, v any) string {
	t.Helper()
	switch x := v.(type) {
	case json.Number:
		return string(x)
	case string:
		return x
	}
	t.Fatalf("%v (%T) is not a number", v, v)
	return ""
}

type scalarParquetRow struct {
	Run      string  `parquet:"run"`
	Tag      string  `parquet:"tag"`
	Step     int64   `parquet:"step"`
	WallTime float64 `parquet:"wall_time"`
	Value    float64 `parquet:"value"`
}

// readExported reads a long scalar table of float32 values back in any
// format.
func readExported(t *testing.T, format table.Format, b []byte) []exported {
	t.Helper()
	var got []exported
	switch format {
	case table.CSV:
		rows := readCSV(t, b)
		if !slices.Equal(rows[0], []string{"run", "tag", "step", "wall_time", "value"}) {
			t.Fatalf("header %q", rows[0])
		}
		for _, r := range rows[1:] {
			step, err := strconv.ParseInt(r[2], 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, exported{r[0], r[1], step, parseWall(t, r[3]), parseFloat(t, r[4], 32)})
		}
	case table.JSONLines:
		for _, m := range readJSONL(t, b) {
			step, err := m["step"].(json.Number).Int64()
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, exported{m["run"].(string), m["tag"].(string), step,
				parseWall(t, jsonText(t, m["wall_time"])), parseFloat(t, jsonText(t, m["value"]), 32)})
		}
	case table.Parquet:
		f, err := parquet.OpenFile(bytes.NewReader(b), int64(len(b)))
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, c := range f.Schema().Fields() {
			names = append(names, c.Name())
		}
		if !slices.Equal(names, []string{"run", "tag", "step", "wall_time", "value"}) {
			t.Fatalf("Parquet columns %q", names)
		}
		rows, err := parquet.Read[scalarParquetRow](bytes.NewReader(b), int64(len(b)))
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rows {
			got = append(got, exported{r.Run, r.Tag, r.Step, r.WallTime, r.Value})
		}
	}
	return got
}

func sameExports(t *testing.T, what string, got, want []exported) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d rows %v, want %d %v", what, len(got), got, len(want), want)
	}
	for i := range want {
		if !got[i].same(want[i]) {
			t.Errorf("%s: row %d = %v, want %v", what, i, got[i], want[i])
		}
	}
}

var formats = []table.Format{table.CSV, table.JSONLines, table.Parquet}

func TestWriteScalars(t *testing.T) {
	t.Parallel()
	logdir, want := scalarLogdir(t)
	src := open(t, logdir)
	ctx := context.Background()
	for _, format := range formats {
		t.Run(string(format), func(t *testing.T) {
			t.Parallel()
			out := filepath.Join(t.TempDir(), "scalars."+string(format))
			res, err := table.WriteFile(ctx, out, src, &table.Options{Format: format})
			if err != nil {
				t.Fatal(err)
			}
			if res.Rows[table.Scalars] != int64(len(want)) || !slices.Equal(res.Runs, []string{"a/b", "train"}) || len(res.Tags) != 6 {
				t.Errorf("result %+v", res)
			}
			b, err := os.ReadFile(out)
			if err != nil {
				t.Fatal(err)
			}
			sameExports(t, "file", readExported(t, format, b), want)
			var buf bytes.Buffer
			if _, err := table.Write(ctx, &buf, src, &table.Options{Format: format}); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(buf.Bytes(), b) && format != table.Parquet {
				t.Errorf("Write and WriteFile differ")
			}
			sameExports(t, "Write", readExported(t, format, buf.Bytes()), want)
			// The slow path (several kinds at once) writes the same table.
			dir := filepath.Join(t.TempDir(), "all")
			if _, err := table.WriteDir(ctx, dir, src, &table.Options{Kinds: []table.Kind{table.Scalars, table.Text}, Format: format}); err != nil {
				t.Fatal(err)
			}
			b, err = os.ReadFile(filepath.Join(dir, "scalars."+string(format)))
			if err != nil {
				t.Fatal(err)
			}
			sameExports(t, "through Values", readExported(t, format, b), want)
		})
	}
}

// TestWriteStoredPrecision: a float32 is written in its shortest float32
// form, a float64 in its shortest float64 form, a wall time with six
// decimals.
func TestWriteStoredPrecision(t *testing.T) {
	t.Parallel()
	logdir := t.TempDir()
	now := unix(1700000000.1234567)
	w := clockWriter(t, logdir, &now)
	if err := w.Scalar("f32", 1, 0.1); err != nil {
		t.Fatal(err)
	}
	v, err := summary.ScalarValue("f64", 0.1, summary.Meta{})
	if err != nil {
		t.Fatal(err)
	}
	tensor := v.GetTensor()
	tensor.Dtype, tensor.DoubleVal, tensor.FloatVal = tbpb.DataType_DT_DOUBLE, []float64{0.1}, nil
	if err := w.WriteValue(2, v); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if _, err := table.Write(context.Background(), &buf, open(t, logdir), nil); err != nil {
		t.Fatal(err)
	}
	want := "run,tag,step,wall_time,value\n" +
		".,f32,1,1700000000.123457,0.1\n" +
		".,f64,2,1700000000.123457,0.1\n"
	if buf.String() != want {
		t.Errorf("got\n%s\nwant\n%s", buf.String(), want)
	}
}

// TestWriteParallel: runs long enough for several batches, exported with
// one CPU and with several (runs formatted in parallel), give the same
// files: byte for byte in CSV and JSON Lines, row for row in Parquet.
func TestWriteParallel(t *testing.T) {
	logdir := t.TempDir()
	now := unix(1700000000)
	for r := range 4 {
		w := clockWriter(t, filepath.Join(logdir, fmt.Sprintf("run%d", r)), &now)
		for i := range 3000 + 2000*r {
			now = unix(1700000000 + float64(i)/7)
			tag := []string{"loss", "acc", "a,b"}[i%3]
			if err := w.Scalar(tag, int64(i/3), math.Sin(float64(i))); err != nil {
				t.Fatal(err)
			}
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
	}
	src := open(t, logdir)
	for _, format := range formats {
		var outs [][]byte
		for _, procs := range []int{1, 2, 4} {
			prev := runtime.GOMAXPROCS(procs)
			var buf bytes.Buffer
			_, err := table.Write(context.Background(), &buf, src, &table.Options{Format: format})
			runtime.GOMAXPROCS(prev)
			if err != nil {
				t.Fatal(err)
			}
			outs = append(outs, buf.Bytes())
		}
		rows := len(readExported(t, format, outs[0]))
		if rows != 4*3000+2000*6 {
			t.Fatalf("%s: %d rows", format, rows)
		}
		for i, b := range outs[1:] {
			if format != table.Parquet && !bytes.Equal(b, outs[0]) {
				t.Errorf("%s: the export with %d CPUs differs from the one with 1", format, []int{2, 4}[i])
			}
			if format == table.Parquet {
				sameExports(t, fmt.Sprintf("%s with %d CPUs", format, []int{2, 4}[i]),
					readExported(t, format, b), readExported(t, format, outs[0]))
			}
		}
	}
}

// writeScalars writes one event file of tag at the given steps (value =
// step) into dir, its clock starting at base+offset seconds.
func writeScalars(t testing.TB, dir string, offset int64, tag string, steps ...int64) string {
	t.Helper()
	tick := offset
	w, err := summary.NewWriter(dir, &summary.Options{FlushInterval: -1, Now: func() time.Time {
		tick++
		return time.Unix(1700000000+tick, 0)
	}})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range steps {
		if err := w.Scalar(tag, s, float64(s)); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return w.FileName()
}

func TestWriteSelectionAndView(t *testing.T) {
	t.Parallel()
	logdir := t.TempDir()
	dir := filepath.Join(logdir, "run")
	writeScalars(t, dir, 0, "x", 0, 1, 2, 3)
	writeScalars(t, dir, 10, "x", 2, 3) // a restart from step 2
	writeScalars(t, filepath.Join(logdir, "other"), 0, "y/z", 5)
	src := open(t, logdir)
	tests := []struct {
		desc       string
		view       history.View
		runs, tags []string
		want       []string // run|tag@step
	}{
		{desc: "raw", want: []string{"other|y/z@5", "run|x@0", "run|x@1", "run|x@2", "run|x@3", "run|x@2", "run|x@3"}},
		{desc: "tensorboard", view: history.TensorBoard, want: []string{"other|y/z@5", "run|x@0", "run|x@1", "run|x@2", "run|x@3"}},
		{desc: "run glob", runs: []string{"o*"}, want: []string{"other|y/z@5"}},
		{desc: "a star selects tags with a slash", tags: []string{"*"}, runs: []string{"other"}, want: []string{"other|y/z@5"}},
		{desc: "tag regexp", tags: []string{"re:^x$"}, view: history.TensorBoard, want: []string{"run|x@0", "run|x@1", "run|x@2", "run|x@3"}},
	}
	for _, tc := range tests {
		runs, err := history.Compile(tc.runs...)
		if err != nil {
			t.Fatal(err)
		}
		tags, err := history.Compile(tc.tags...)
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		if _, err := table.Write(context.Background(), &buf, src, &table.Options{Read: history.Options{Runs: runs, Tags: tags, View: tc.view}}); err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, r := range readCSV(t, buf.Bytes())[1:] {
			got = append(got, r[0]+"|"+r[1]+"@"+r[2])
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("%s: %q, want %q", tc.desc, got, tc.want)
		}
	}
}

// TestWriteWide checks the wide layout on steps that interleave across
// tags and go back, with and without spilling to temporary files.
func TestWriteWide(t *testing.T) {
	t.Parallel()
	logdir := t.TempDir()
	now := unix(1700000000)
	w := clockWriter(t, filepath.Join(logdir, "r"), &now)
	for i, v := range []struct {
		tag  string
		step int64
		v    float64
	}{
		{"loss", 0, 1}, {"loss", 1, 2}, {"acc", 0, 0.5}, {"loss", 2, 3}, {"acc", 2, 0.75},
		{"loss", 1, 20},  // logged again at step 1: the later value wins
		{"acc", -5, 0.1}, // a step that goes back
	} {
		now = unix(1700000000 + 10*float64(i))
		if err := w.Scalar(v.tag, v.step, v.v); err != nil {
			t.Fatal(err)
		}
	}
	w.Close()
	now = unix(1800000000)
	w = clockWriter(t, filepath.Join(logdir, "s"), &now)
	w.Scalar("acc", 7, 7)
	w.Close()
	src := open(t, logdir)
	ctx := context.Background()

	// A row's wall time is the earliest of its values'.
	want := [][]string{
		{"run", "step", "wall_time", "acc", "loss"},
		{"r", "-5", "1700000060.000000", "0.1", ""},
		{"r", "0", "1700000000.000000", "0.5", "1"},
		{"r", "1", "1700000010.000000", "", "20"},
		{"r", "2", "1700000030.000000", "0.75", "3"},
		{"s", "7", "1800000000.000000", "7", ""},
	}
	for _, spill := range []int{1000, 2, 1} {
		for _, kinds := range [][]table.Kind{{table.Scalars}, {table.Scalars, table.Text}} {
			dir := filepath.Join(t.TempDir(), "out")
			res, err := table.WriteDir(ctx, dir, src, &table.Options{Kinds: kinds, Wide: true, SpillAfter: spill, TempDir: t.TempDir()})
			if err != nil {
				t.Fatal(err)
			}
			b, err := os.ReadFile(filepath.Join(dir, "scalars.csv"))
			if err != nil {
				t.Fatal(err)
			}
			if got := readCSV(t, b); fmt.Sprint(got) != fmt.Sprint(want) || res.Rows[table.Scalars] != 5 {
				t.Errorf("spill after %d, %v:\n got %q (%d rows)\nwant %q", spill, kinds, got, res.Rows[table.Scalars], want)
			}
		}
	}
	// JSON Lines and Parquet carry nulls for the missing cells.
	r, _ := history.Compile("r")
	var buf bytes.Buffer
	if _, err := table.Write(ctx, &buf, src, &table.Options{Wide: true, Format: table.JSONLines, Read: history.Options{Runs: r}}); err != nil {
		t.Fatal(err)
	}
	rows := readJSONL(t, buf.Bytes())
	if len(rows) != 4 || rows[0]["loss"] != nil || rows[2]["acc"] != nil || fmt.Sprint(rows[2]["loss"]) != "20" {
		t.Errorf("wide JSON Lines: %v", rows)
	}
	pq := filepath.Join(t.TempDir(), "w.parquet")
	if _, err := table.WriteFile(ctx, pq, src, &table.Options{Wide: true, Format: table.Parquet}); err != nil {
		t.Fatal(err)
	}
	type wideRow struct {
		Run  string   `parquet:"run"`
		Step int64    `parquet:"step"`
		Acc  *float64 `parquet:"acc,optional"`
		Loss *float64 `parquet:"loss,optional"`
	}
	prs, err := parquet.ReadFile[wideRow](pq)
	if err != nil {
		t.Fatal(err)
	}
	if len(prs) != 5 || prs[0].Loss != nil || *prs[0].Acc != float64(float32(0.1)) || prs[2].Acc != nil || *prs[2].Loss != 20 {
		t.Errorf("wide Parquet: %+v", prs)
	}
	// A tag named like a column of the layout.
	clash := t.TempDir()
	writeScalars(t, clash, 0, "run", 1)
	if _, err := table.Write(ctx, &buf, open(t, clash), &table.Options{Wide: true}); err == nil || !strings.Contains(err.Error(), `"run"`) {
		t.Errorf("a tag named run: %v", err)
	}
}

// kindsLogdir writes a run of every kind, with a session, and a run of
// scalars.
func kindsLogdir(t *testing.T) string {
	logdir := t.TempDir()
	trial := filepath.Join(logdir, "trial")
	now := unix(1700000000)
	w := clockWriter(t, trial, &now)
	at := func(secs float64) { now = unix(1700000000 + secs) }
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(w.StartSession(map[string]any{"lr": 0.01, "opt": "adam", "run": "clash"}, &summary.SessionOptions{Group: "g", Start: unix(1700000000.5)}))
	buckets := []summary.Bucket{{Left: -1, Right: 0, Count: 2}, {Left: 0, Right: 2.5, Count: 3}}
	at(3)
	must(w.HistogramBuckets("h", 3, buckets))
	at(4)
	must(w.HistogramBuckets("empty", 4, nil))
	at(5)
	must(w.Text("doc", 1, "# hi, \"there\""))
	at(6)
	must(w.Table("tbl", 2, [][]string{{"a", "b"}, {"c", "d"}, {"e", "f"}}))
	img := image.NewNRGBA(image.Rect(0, 0, 3, 2))
	img.Set(1, 1, color.NRGBA{255, 0, 0, 255})
	at(7)
	must(w.Images("pics/a b", 5, []image.Image{img, img}))
	at(8)
	must(w.Audio("sound", 6, 8000, summary.Clip{Samples: []float32{0, 0.5, -0.5}, Label: "hi"}))
	at(9)
	must(w.EndSession(summary.StatusFailure))
	must(w.Close())
	now = unix(1700000101)
	w = clockWriter(t, filepath.Join(logdir, "plain"), &now)
	must(w.Scalar("x", 1, 1))
	must(w.Close())
	return logdir
}

func TestWriteDirKinds(t *testing.T) {
	t.Parallel()
	src := open(t, kindsLogdir(t))
	wall := func(secs float64) string { return strconv.FormatFloat(1700000000+secs, 'f', 6, 64) }

	for _, format := range formats {
		out := filepath.Join(t.TempDir(), "out")
		res, err := table.WriteDir(context.Background(), out, src, &table.Options{Kinds: table.Kinds(), Format: format})
		if err != nil {
			t.Fatalf("%s: %v", format, err)
		}
		wantRows := map[table.Kind]int64{table.Scalars: 1, table.Histograms: 3, table.Text: 7, table.HParams: 1, table.Images: 2, table.Audio: 1}
		if fmt.Sprint(res.Rows) != fmt.Sprint(wantRows) {
			t.Errorf("%s: rows %v, want %v", format, res.Rows, wantRows)
		}
		if format != table.CSV {
			for _, name := range []string{"scalars", "histograms", "text", "hparams", "images/index", "audio/index"} {
				if _, err := os.Stat(filepath.Join(out, name+"."+string(format))); err != nil {
					t.Errorf("%s: %v", format, err)
				}
			}
			continue
		}
		read := func(name string) [][]string {
			b, err := os.ReadFile(filepath.Join(out, name))
			if err != nil {
				t.Fatal(err)
			}
			return readCSV(t, b)
		}
		check := func(name string, want [][]string) {
			t.Helper()
			if got := read(name); fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("%s:\n got %q\nwant %q", name, got, want)
			}
		}
		check("histograms.csv", [][]string{
			{"run", "tag", "step", "wall_time", "bucket", "left", "right", "count"},
			{"trial", "h", "3", wall(3), "0", "-1", "0", "2"},
			{"trial", "h", "3", wall(3), "1", "0", "2.5", "3"},
			{"trial", "empty", "4", wall(4), "", "", "", ""},
		})
		check("text.csv", [][]string{
			{"run", "tag", "step", "wall_time", "row", "col", "text"},
			{"trial", "doc", "1", wall(5), "0", "0", `# hi, "there"`},
			{"trial", "tbl", "2", wall(6), "0", "0", "a"}, {"trial", "tbl", "2", wall(6), "0", "1", "b"},
			{"trial", "tbl", "2", wall(6), "1", "0", "c"}, {"trial", "tbl", "2", wall(6), "1", "1", "d"},
			{"trial", "tbl", "2", wall(6), "2", "0", "e"}, {"trial", "tbl", "2", wall(6), "2", "1", "f"},
		})
		check("hparams.csv", [][]string{
			{"run", "group", "status", "start_time", "end_time", "lr", "opt", "hparam:run"},
			{"trial", "g", "STATUS_FAILURE", wall(0.5), wall(9), "0.01", "adam", "clash"},
		})
		check("scalars.csv", [][]string{{"run", "tag", "step", "wall_time", "value"}, {"plain", "x", "1", wall(101), "1"}})
		check("images/index.csv", [][]string{
			{"run", "tag", "step", "wall_time", "sample", "width", "height", "file"},
			{"trial", "pics/a b", "5", wall(7), "0", "3", "2", "trial/pics%2Fa%20b/step5_0.png"},
			{"trial", "pics/a b", "5", wall(7), "1", "3", "2", "trial/pics%2Fa%20b/step5_1.png"},
		})
		for _, row := range read("images/index.csv")[1:] {
			f, err := os.Open(filepath.Join(out, "images", filepath.FromSlash(row[7])))
			if err != nil {
				t.Fatal(err)
			}
			got, err := png.Decode(f)
			f.Close()
			if err != nil || color.NRGBAModel.Convert(got.At(1, 1)) != (color.NRGBA{255, 0, 0, 255}) {
				t.Errorf("image %s: %v", row[7], err)
			}
		}
		check("audio/index.csv", [][]string{
			{"run", "tag", "step", "wall_time", "sample", "content_type", "sample_rate", "label", "file"},
			{"trial", "sound", "6", wall(8), "0", "audio/wav", "8000", "hi", "trial/sound/step6_0.wav"},
		})
		wav, err := os.ReadFile(filepath.Join(out, "audio", "trial", "sound", "step6_0.wav"))
		if err != nil {
			t.Fatal(err)
		}
		clip, rate, err := summary.DecodeWAV(wav)
		if err != nil || rate != 8000 || len(clip.Samples) != 3 {
			t.Errorf("WAV: %v rate %v clip %v", err, rate, clip)
		}
	}
}

// TestMediaNamesNeverCollide (issue 11, item 8): a tag "img" and a tag
// "img/step1_0.png" aborted an image export with "not a directory"; so
// could a run "a" with a tag "b/c" and a run "a/b" with a tag "c", and
// tags that differ only in case on a file system that ignores it. Every
// image is extracted to its own file, which the index names.
func TestMediaNamesNeverCollide(t *testing.T) {
	t.Parallel()
	logdir := t.TempDir()
	img := func(shade uint8) image.Image {
		m := image.NewGray(image.Rect(0, 0, 2, 2))
		m.Set(0, 0, color.Gray{Y: shade})
		return m
	}
	type image1 struct {
		run, tag string
		step     int64
	}
	images := []image1{
		{".", "img", 1}, {".", "img/step1_0.png", 1}, {".", "img/step1_0.png/step1_0.png", 1},
		{"a", "b/c", 1}, {"a/b", "c", 1}, {"a", "Loss", 1}, {"a", "loss", 1}, {"a", "\x00loss", 1},
		{"sweep/lr=0.1", "filters", 2}, {"sweep/lr=0.1", "filters", 2}, // the same step twice
	}
	for i, im := range images {
		now := unix(1700000000 + float64(i))
		w := clockWriter(t, filepath.Join(logdir, filepath.FromSlash(im.run)), &now)
		if err := w.Images(im.tag, im.step, []image.Image{img(uint8(10 * (i + 1)))}); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
	}
	out := filepath.Join(t.TempDir(), "out")
	if _, err := table.WriteDir(context.Background(), out, open(t, logdir), &table.Options{Kinds: []table.Kind{table.Images}}); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(out, "images", "index.csv"))
	if err != nil {
		t.Fatal(err)
	}
	rows := readCSV(t, b)[1:]
	if len(rows) != len(images) {
		t.Fatalf("%d images indexed, want %d:\n%s", len(rows), len(images), b)
	}
	files := map[string]bool{}
	folded := map[string]bool{}
	for _, row := range rows {
		file := row[7]
		if files[file] || folded[strings.ToLower(file)] {
			t.Errorf("%s indexed twice (or twice but for case)", file)
		}
		files[file], folded[strings.ToLower(file)] = true, true
		if parts := strings.Split(file, "/"); len(parts) != 3 {
			t.Errorf("%s: want RUN/TAG/FILE", file)
		}
		f, err := os.Open(filepath.Join(out, "images", filepath.FromSlash(file)))
		if err != nil {
			t.Fatal(err)
		}
		m, err := png.Decode(f)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		// Each image has its own shade: the file is the one indexed.
		want := -1
		for i, im := range images {
			step, _ := strconv.ParseInt(row[2], 10, 64)
			if im.run == row[0] && im.tag == row[1] && im.step == step && color.GrayModel.Convert(m.At(0, 0)).(color.Gray).Y == uint8(10*(i+1)) {
				want = i
			}
		}
		if want < 0 {
			t.Errorf("%s holds none of the images of %s %s", file, row[0], row[1])
		}
	}
	for _, file := range []string{"sweep%2Flr=0.1/filters/step2_0.png", "sweep%2Flr=0.1/filters/step2_0-2.png", "%2E/img/step1_0.png"} {
		if !files[file] {
			t.Errorf("no file %s in %q", file, slices.Sorted(func(yield func(string) bool) {
				for f := range files {
					if !yield(f) {
						return
					}
				}
			}))
		}
	}
}

func TestComponent(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		want string // "" : must differ from name and keep a hash
	}{
		{name: "train", want: "train"},
		{name: "lr=0.1", want: "lr=0.1"},
		{name: "a/b-c_d.e", want: "a%2Fb-c_d.e"},
		{name: "損失/η", want: "損失%2Fη"},
		{name: ".", want: "%2E"},
		{name: "..", want: "%2E%2E"},
		{name: "a.", want: "a%2E"},
		{name: "a b", want: "a%20b"},
		{name: "100%", want: "100%25"},
		{name: "~", want: "%7E"},
		{name: ".hidden", want: "%2Ehidden"},
		{name: "x\x00y", want: "x%00y"},
		{name: "\xff", want: "%FF"},
		{name: "con", want: "%63on"},
		{name: "NUL.txt", want: "%4EUL.txt"},
		{name: "console", want: "console"},
		{name: ""},
		{name: strings.Repeat("long", 40)},
		{name: strings.Repeat("/", 100)},
	}
	seen := map[string]string{}
	for _, tc := range tests {
		got := table.Component(tc.name)
		if tc.want != "" && got != tc.want {
			t.Errorf("Component(%q) = %q, want %q", tc.name, got, tc.want)
		}
		if tc.want == "" && (got == tc.name || !strings.Contains(got, "~")) {
			t.Errorf("Component(%q) = %q, want a changed name with a hash", tc.name, got)
		}
		if !safeComponent(got) {
			t.Errorf("Component(%q) = %q: unsafe", tc.name, got)
		}
		if other, ok := seen[got]; ok {
			t.Errorf("Component(%q) = Component(%q) = %q", tc.name, other, got)
		}
		seen[got] = tc.name
	}
}

// safeComponent reports whether c is a safe file name everywhere.
func safeComponent(c string) bool {
	return c != "" && c != "." && c != ".." && !strings.HasPrefix(c, ".") && !strings.HasSuffix(c, ".") &&
		len(c) <= 120 && !strings.ContainsAny(c, "/\\:*?\"<>| \x00")
}

func FuzzComponent(f *testing.F) {
	for _, s := range []string{"train", ".", "a/b", "a b", "損失", "..", "a/../b", "%2F", "con", "~x"} {
		f.Add(s, s+"x")
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		ca, cb := table.Component(a), table.Component(b)
		if a != b && ca == cb {
			t.Errorf("Component(%q) = Component(%q) = %q", a, b, ca)
		}
		if !safeComponent(ca) {
			t.Errorf("Component(%q) = %q: unsafe", a, ca)
		}
	})
}

func BenchmarkExportScalars(b *testing.B) {
	const n = 100000
	for _, runs := range []int{1, 8} {
		dir := b.TempDir()
		now := unix(1700000000)
		var size int64
		for r := range runs {
			w := clockWriter(b, filepath.Join(dir, fmt.Sprintf("run%d", r)), &now)
			for i := range n / runs {
				now = unix(1700000000 + float64(i)/3)
				w.Scalar("loss", int64(i), 1/float64(i+1))
			}
			w.Close()
			info, _ := os.Stat(w.FileName())
			size += info.Size()
		}
		src := open(b, dir)
		for _, view := range []history.View{history.Raw, history.TensorBoard} {
			for _, format := range formats {
				name := fmt.Sprintf("format=%s/runs=%d/size=%d", format, runs, n)
				if view != history.Raw {
					name = fmt.Sprintf("view=%v/%s", view, name)
				}
				b.Run(name, func(b *testing.B) {
					b.ReportAllocs()
					b.SetBytes(size)
					out := filepath.Join(b.TempDir(), "s."+string(format))
					for b.Loop() {
						if _, err := table.WriteFile(context.Background(), out, src, &table.Options{Format: format, Read: history.Options{View: view}}); err != nil {
							b.Fatal(err)
						}
					}
				})
			}
		}
	}
}

// TestWriteOptionsAndOutputs: Options that cannot be written where asked
// are ErrOptions; a failed export leaves nothing behind.
func TestWriteOptionsAndOutputs(t *testing.T) {
	t.Parallel()
	logdir, _ := scalarLogdir(t)
	src := open(t, logdir)
	ctx := context.Background()
	var buf bytes.Buffer
	for _, o := range []table.Options{
		{Kinds: []table.Kind{table.Images}},
		{Kinds: []table.Kind{table.Scalars, table.Text}},
		{Kinds: []table.Kind{"pictures"}},
		{Kinds: []table.Kind{table.Text}, Wide: true},
		{Format: "xml"},
		{SpillAfter: -1},
	} {
		if _, err := table.Write(ctx, &buf, src, &o); !errors.Is(err, table.ErrOptions) {
			t.Errorf("Write %+v: %v, want ErrOptions", o, err)
		}
	}
	tmp := t.TempDir()
	blocker := filepath.Join(tmp, "notadir")
	if err := os.WriteFile(blocker, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := table.WriteFile(ctx, filepath.Join(blocker, "s.csv"), src, nil); err == nil || !strings.Contains(err.Error(), "cannot write") {
		t.Errorf("WriteFile below a file: %v", err)
	}
	if _, err := table.WriteDir(ctx, filepath.Join(blocker, "out"), src, nil); err == nil || !strings.Contains(err.Error(), "notadir") {
		t.Errorf("WriteDir below a file: %v", err)
	}
	if _, err := table.WriteDir(ctx, blocker, src, nil); err == nil || !strings.Contains(err.Error(), "not a directory") {
		t.Errorf("WriteDir onto a file: %v", err)
	}
	// A damaged record with Strict fails the export half-way.
	damaged := filepath.Join(t.TempDir(), "events.out.tfevents.1.x")
	good := writeScalars(t, t.TempDir(), 0, "x", 1, 2, 3)
	b, _ := os.ReadFile(good)
	b[len(b)-5] ^= 1
	os.WriteFile(damaged, b, 0o644)
	bad := open(t, damaged)
	strict := &table.Options{Read: history.Options{Strict: true}}
	if _, err := table.WriteFile(ctx, filepath.Join(tmp, "out.parquet"), bad, strict); !errors.Is(err, tfevents.ErrCorrupt) {
		t.Errorf("Strict on a damaged file: %v, want ErrCorrupt", err)
	}
	strict.Kinds = []table.Kind{table.Scalars, table.Images}
	if _, err := table.WriteDir(ctx, filepath.Join(tmp, "out"), bad, strict); !errors.Is(err, tfevents.ErrCorrupt) {
		t.Errorf("Strict on a damaged file: %v, want ErrCorrupt", err)
	}
	if entries, _ := os.ReadDir(tmp); len(entries) != 1 {
		t.Errorf("failed exports left %v", entries)
	}
	// Without Strict the damaged record is skipped and reported.
	var damage []*tfevents.Damage
	res, err := table.Write(ctx, &buf, bad, &table.Options{Read: history.Options{Damaged: func(d *tfevents.Damage) error {
		damage = append(damage, d)
		return nil
	}}})
	if err != nil || len(damage) != 1 || res.Rows[table.Scalars] != 2 {
		t.Errorf("damaged file: %v, %v, %+v", err, damage, res)
	}
	// An export into a directory with an images/ directory refuses.
	occupied := t.TempDir()
	os.Mkdir(filepath.Join(occupied, "images"), 0o755)
	if _, err := table.WriteDir(ctx, occupied, src, &table.Options{Kinds: []table.Kind{table.Images}}); err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Errorf("images/ already there: %v", err)
	}
	if entries, _ := os.ReadDir(occupied); len(entries) != 1 {
		t.Errorf("a refused export left %v", entries)
	}
}

func TestProgress(t *testing.T) {
	t.Parallel()
	logdir := t.TempDir()
	for _, run := range []string{"a", "b"} {
		writeScalars(t, filepath.Join(logdir, run), 0, "x", steps(70000)...)
	}
	src := open(t, logdir)
	for _, kinds := range [][]table.Kind{{table.Scalars}, {table.Scalars, table.Text}} {
		var got []table.Progress
		_, err := table.WriteDir(context.Background(), filepath.Join(t.TempDir(), "out"), src, &table.Options{Kinds: kinds,
			Progress: func(p table.Progress) { got = append(got, p) }})
		if err != nil {
			t.Fatal(err)
		}
		if len(got) < 3 || got[0].Run != "a" || got[0].Done != 0 || got[0].Runs != 2 || got[len(got)-1].Run != "b" || got[len(got)-1].Done != 1 {
			t.Errorf("%v: progress %+v", kinds, got)
		}
		for i := 1; i < len(got); i++ {
			if got[i].Values <= got[i-1].Values || got[i].Values > 140000 {
				t.Errorf("%v: progress %+v after %+v", kinds, got[i], got[i-1])
			}
		}
	}
}

func steps(n int64) []int64 {
	s := make([]int64, n)
	for i := range s {
		s[i] = int64(i)
	}
	return s
}
