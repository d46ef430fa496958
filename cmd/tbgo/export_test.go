package main

import (
	"bytes"
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

	"github.com/tbgo/tbgo/archive"
	"github.com/tbgo/tbgo/history"
	"github.com/tbgo/tbgo/summary"
	"github.com/tbgo/tbgo/tfevents"
)

// runCmd runs tbgo with args, for tests and benchmarks.
func runCmd(tb testing.TB, args ...string) (stdout, stderr string, err error) {
	tb.Helper()
	var out, errOut bytes.Buffer
	err = run(args, &out, &errOut)
	return out.String(), errOut.String(), err
}

// clockWriter returns a Writer on dir whose clock reads *now.
func clockWriter(tb testing.TB, dir string, now *time.Time) *summary.Writer {
	tb.Helper()
	w, err := summary.NewWriter(dir, &summary.Options{FlushInterval: -1, Now: func() time.Time { return *now }})
	if err != nil {
		tb.Fatal(err)
	}
	return w
}

// unix returns the time of secs seconds since the epoch.
func unix(secs float64) time.Time {
	return time.Unix(0, int64(math.Round(secs*1e9)))
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
			wall := 1700000000 + float64(100*i+j)
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

// parseFloat reads a number as export writes it in CSV or JSON.
func parseFloat(t testing.TB, s string) float64 {
	t.Helper()
	switch s {
	case "NaN":
		return math.NaN()
	case "Inf", "Infinity":
		return math.Inf(1)
	case "-Inf", "-Infinity":
		return math.Inf(-1)
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		t.Fatalf("bad number %q: %v", s, err)
	}
	return f
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

func jsonFloat(t testing.TB, v any) float64 {
	t.Helper()
	switch x := v.(type) {
	case json.Number:
		return parseFloat(t, string(x))
	case string:
		return parseFloat(t, x)
	}
	t.Fatalf("%v (%T) is not a number", v, v)
	return 0
}

type scalarParquetRow struct {
	Run      string  `parquet:"run"`
	Tag      string  `parquet:"tag"`
	Step     int64   `parquet:"step"`
	WallTime float64 `parquet:"wall_time"`
	Value    float64 `parquet:"value"`
}

// readExported reads a long scalar table back in any format.
func readExported(t *testing.T, format string, b []byte) []exported {
	t.Helper()
	var got []exported
	switch format {
	case formatCSV:
		rows := readCSV(t, b)
		if !slices.Equal(rows[0], []string{"run", "tag", "step", "wall_time", "value"}) {
			t.Fatalf("header %q", rows[0])
		}
		for _, r := range rows[1:] {
			step, err := strconv.ParseInt(r[2], 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, exported{r[0], r[1], step, parseFloat(t, r[3]), parseFloat(t, r[4])})
		}
	case formatJSONL:
		for _, m := range readJSONL(t, b) {
			step, err := m["step"].(json.Number).Int64()
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, exported{m["run"].(string), m["tag"].(string), step, jsonFloat(t, m["wall_time"]), jsonFloat(t, m["value"])})
		}
	case formatParquet:
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

func TestExportScalars(t *testing.T) {
	t.Parallel()
	logdir, want := scalarLogdir(t)
	for _, format := range []string{formatCSV, formatJSONL, formatParquet} {
		t.Run(format, func(t *testing.T) {
			t.Parallel()
			out := filepath.Join(t.TempDir(), "scalars."+format)
			if _, stderr, err := runTool(t, "export", "-o", out, logdir); err != nil || stderr != "" {
				t.Fatalf("export: %v\n%s", err, stderr)
			}
			b, err := os.ReadFile(out)
			if err != nil {
				t.Fatal(err)
			}
			sameExports(t, format+" file", readExported(t, format, b), want)
			// Standard output, with the format named.
			stdout, _, err := runTool(t, "export", "-format", format, logdir)
			if err != nil {
				t.Fatal(err)
			}
			sameExports(t, format+" on standard output", readExported(t, format, []byte(stdout)), want)
			// The slow path (several kinds at once) writes the same table.
			dir := filepath.Join(t.TempDir(), "all")
			if _, _, err := runTool(t, "export", "-what", "scalars,text", "-format", format, "-o", dir, logdir); err != nil {
				t.Fatal(err)
			}
			b, err = os.ReadFile(filepath.Join(dir, "scalars."+format))
			if err != nil {
				t.Fatal(err)
			}
			sameExports(t, format+" through Values", readExported(t, format, b), want)
		})
	}
}

// TestExportParallel: runs long enough for several batches, exported with
// one CPU and with several (runs formatted in parallel), give the same
// files: byte for byte in CSV and JSON Lines, row for row in Parquet.
func TestExportParallel(t *testing.T) {
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
	for _, format := range []string{formatCSV, formatJSONL, formatParquet} {
		var outs [][]byte
		for _, procs := range []int{1, 2, 4} {
			prev := runtime.GOMAXPROCS(procs)
			out := filepath.Join(t.TempDir(), "s."+format)
			_, _, err := runTool(t, "export", "-o", out, logdir)
			runtime.GOMAXPROCS(prev)
			if err != nil {
				t.Fatal(err)
			}
			b, err := os.ReadFile(out)
			if err != nil {
				t.Fatal(err)
			}
			outs = append(outs, b)
		}
		want := readExported(t, format, outs[0])
		if len(want) != 4*3000+2000*6 {
			t.Fatalf("%s: %d rows", format, len(want))
		}
		for i, b := range outs[1:] {
			if format != formatParquet && !bytes.Equal(b, outs[0]) {
				t.Errorf("%s: the export with %d CPUs differs from the one with 1", format, []int{2, 4}[i])
			}
			sameExports(t, fmt.Sprintf("%s with %d CPUs", format, []int{2, 4}[i]), readExported(t, format, b), want)
		}
	}
}

func TestExportFilterAndView(t *testing.T) {
	t.Parallel()
	logdir := t.TempDir()
	dir := filepath.Join(logdir, "run")
	writeScalars(t, dir, 0, "x", 0, 1, 2, 3)
	writeScalars(t, dir, 10, "x", 2, 3) // a restart from step 2
	writeScalars(t, filepath.Join(logdir, "other"), 0, "y", 5)
	tests := []struct {
		desc string
		args []string
		want []string // run|tag@step
	}{
		{desc: "raw", want: []string{"other|y@5", "run|x@0", "run|x@1", "run|x@2", "run|x@3", "run|x@2", "run|x@3"}},
		{desc: "tensorboard", args: []string{"-view", "tensorboard"}, want: []string{"other|y@5", "run|x@0", "run|x@1", "run|x@2", "run|x@3"}},
		{desc: "run glob", args: []string{"-run", "o*"}, want: []string{"other|y@5"}},
		{desc: "tag regexp", args: []string{"-tag", "re:^x$", "-view", "tensorboard"}, want: []string{"run|x@0", "run|x@1", "run|x@2", "run|x@3"}},
	}
	for _, tc := range tests {
		out, _, err := runTool(t, append(append([]string{"export"}, tc.args...), logdir)...)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, r := range readCSV(t, []byte(out))[1:] {
			got = append(got, r[0]+"|"+r[1]+"@"+r[2])
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("%s: %q, want %q", tc.desc, got, tc.want)
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

// TestExportWide checks the wide layout on steps that interleave across
// tags and go back, with and without spilling to temporary files.
func TestExportWide(t *testing.T) {
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
		{"loss", 1, 20}, // logged again at step 1: the later value wins
		{"acc", -5, 9},  // a step that goes back
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

	// A row's wall time is the earliest of its values'.
	wall := func(secs float64) string { return strconv.FormatFloat(secs, 'g', -1, 64) }
	want := [][]string{
		{"run", "step", "wall_time", "acc", "loss"},
		{"r", "-5", wall(1700000060), "9", ""},
		{"r", "0", wall(1700000000), "0.5", "1"},
		{"r", "1", wall(1700000010), "", "20"},
		{"r", "2", wall(1700000030), "0.75", "3"},
		{"s", "7", wall(1800000000), "7", ""},
	}
	for _, spill := range []string{"1000", "2", "1"} {
		out, _, err := runTool(t, "export", "-layout", "wide", "-spill-after", spill, logdir)
		if err != nil {
			t.Fatal(err)
		}
		if got := readCSV(t, []byte(out)); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("spill after %s:\n got %q\nwant %q", spill, got, want)
		}
	}
	// JSON Lines and Parquet carry nulls for the missing cells.
	out, _, err := runTool(t, "export", "-layout", "wide", "-format", "jsonl", "-run", "r", logdir)
	if err != nil {
		t.Fatal(err)
	}
	rows := readJSONL(t, []byte(out))
	if len(rows) != 4 || rows[0]["loss"] != nil || rows[2]["acc"] != nil || fmt.Sprint(rows[2]["loss"]) != "20" {
		t.Errorf("wide JSON Lines: %v", rows)
	}
	pq := filepath.Join(t.TempDir(), "w.parquet")
	if _, _, err := runTool(t, "export", "-layout", "wide", "-o", pq, logdir); err != nil {
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
	if len(prs) != 5 || prs[0].Loss != nil || *prs[0].Acc != 9 || prs[2].Acc != nil || *prs[2].Loss != 20 {
		t.Errorf("wide Parquet: %+v", prs)
	}
}

func TestExportKinds(t *testing.T) {
	t.Parallel()
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
	wall := func(secs float64) string { return strconv.FormatFloat(1700000000+secs, 'g', -1, 64) }

	for _, format := range []string{formatCSV, formatJSONL, formatParquet} {
		out := filepath.Join(t.TempDir(), "out")
		if _, stderr, err := runTool(t, "export", "-what", "all", "-format", format, "-o", out, logdir); err != nil {
			t.Fatalf("%s: %v\n%s", format, err, stderr)
		}
		if format != formatCSV {
			for _, name := range []string{"scalars", "histograms", "text", "hparams", "images/index", "audio/index"} {
				if _, err := os.Stat(filepath.Join(out, name+"."+format)); err != nil {
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
		idx := read("images/index.csv")
		if len(idx) != 3 || idx[1][4] != "0" || idx[2][4] != "1" || idx[1][5] != "3" || idx[1][6] != "2" {
			t.Fatalf("images index %q", idx)
		}
		for _, row := range idx[1:] {
			f, err := os.Open(filepath.Join(out, "images", filepath.FromSlash(row[7])))
			if err != nil {
				t.Fatal(err)
			}
			got, err := png.Decode(f)
			f.Close()
			if err != nil || color.NRGBAModel.Convert(got.At(1, 1)) != (color.NRGBA{255, 0, 0, 255}) {
				t.Errorf("image %s: %v", row[7], err)
			}
			if !strings.HasPrefix(row[7], "trial/pics/a_b~") || !strings.HasSuffix(row[7], ".png") {
				t.Errorf("image file %q, want trial/pics/a_b~HASH/step5_N.png", row[7])
			}
		}
		audio := read("audio/index.csv")
		if len(audio) != 2 || audio[1][5] != "audio/wav" || audio[1][6] != "8000" || audio[1][7] != "hi" || audio[1][8] != "trial/sound/step6_0.wav" {
			t.Fatalf("audio index %q", audio)
		}
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

// TestExportBadInput: every refusal is an error that says what is wrong,
// and leaves nothing behind.
func TestExportBadInput(t *testing.T) {
	t.Parallel()
	logdir, _ := scalarLogdir(t)
	empty := t.TempDir()
	notes := filepath.Join(t.TempDir(), "notes.txt")
	os.WriteFile(notes, []byte("not events"), 0o644)
	readOnly := filepath.Join(t.TempDir(), "ro")
	if err := os.Mkdir(readOnly, 0o555); err != nil {
		t.Fatal(err)
	}
	occupied := t.TempDir()
	os.Mkdir(filepath.Join(occupied, "images"), 0o755)
	tests := []struct {
		desc  string
		args  []string
		usage bool
		want  string // in the error
		is    error
		skip  bool // root ignores permissions
	}{
		{desc: "unknown format", args: []string{"-format", "xml", logdir}, usage: true, want: `"xml"`},
		{desc: "unknown kind", args: []string{"-what", "scalars,pictures", logdir}, usage: true, want: `"pictures"`},
		{desc: "wide without scalars", args: []string{"-what", "text", "-layout", "wide", logdir}, usage: true, want: "wide"},
		{desc: "bad layout", args: []string{"-layout", "tall", logdir}, usage: true, want: "tall"},
		{desc: "bad pattern", args: []string{"-tag", "[", logdir}, usage: true, want: `"["`},
		{desc: "bad view", args: []string{"-view", "python", logdir}, usage: true, want: "python"},
		{desc: "images need a directory", args: []string{"-what", "images", logdir}, usage: true, want: "-o DIR"},
		{desc: "no event files", args: []string{empty}, is: tfevents.ErrNoEventFiles, want: empty},
		{desc: "unknown file", args: []string{notes}, is: history.ErrUnknownFormat, want: notes},
		{desc: "missing", args: []string{filepath.Join(empty, "missing")}, is: os.ErrNotExist},
		{desc: "read-only directory, parquet", args: []string{"-o", filepath.Join(readOnly, "s.parquet"), logdir}, want: "cannot write " + filepath.Join(readOnly, "s.parquet"), skip: true},
		{desc: "read-only directory, all", args: []string{"-what", "all", "-o", filepath.Join(readOnly, "out"), logdir}, want: "cannot write", skip: true},
		{desc: "media directory already there", args: []string{"-what", "images", "-o", occupied, logdir}, want: "already exists"},
		{desc: "wide layout with a tag named run", args: []string{"-layout", "wide", "-o", filepath.Join(empty, "w.csv"), writeTagRun(t)}, want: `"run"`},
	}
	for _, tc := range tests {
		if tc.skip && os.Geteuid() == 0 {
			// root writes anywhere; check with a file in the way instead.
			continue
		}
		_, _, err := runTool(t, append([]string{"export"}, tc.args...)...)
		if err == nil {
			t.Errorf("%s: no error", tc.desc)
			continue
		}
		if errors.Is(err, errUsage) != tc.usage {
			t.Errorf("%s: %v, usage error %v, want %v", tc.desc, err, errors.Is(err, errUsage), tc.usage)
		}
		if !strings.Contains(err.Error(), tc.want) || tc.is != nil && !errors.Is(err, tc.is) {
			t.Errorf("%s: %v, want it to say %q (and wrap %v)", tc.desc, err, tc.want, tc.is)
		}
	}
	for _, dir := range []string{readOnly, occupied, empty} {
		entries, _ := os.ReadDir(dir)
		for _, e := range entries {
			if dir == occupied && e.Name() == "images" {
				continue
			}
			t.Errorf("left behind in %s: %s", dir, e.Name())
		}
	}
}

// writeTagRun writes a logdir with a scalar tag named "run".
func writeTagRun(t *testing.T) string {
	dir := t.TempDir()
	writeScalars(t, dir, 0, "run", 1)
	return dir
}

// TestExportUnwritable makes the output's directory unwritable in a way
// that stops root too: a regular file where the directory should be.
func TestExportUnwritable(t *testing.T) {
	t.Parallel()
	logdir, _ := scalarLogdir(t)
	tmp := t.TempDir()
	blocker := filepath.Join(tmp, "notadir")
	if err := os.WriteFile(blocker, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"-o", filepath.Join(blocker, "s.parquet")},
		{"-what", "all", "-o", filepath.Join(blocker, "out")},
		{"-what", "images", "-o", blocker},
	} {
		_, _, err := runTool(t, append(append([]string{"export"}, args...), logdir)...)
		if err == nil || errors.Is(err, errUsage) || !strings.Contains(err.Error(), "notadir") {
			t.Errorf("export %q: %v, want an error naming the blocked path", args, err)
		}
	}
	entries, _ := os.ReadDir(tmp)
	if len(entries) != 1 {
		t.Errorf("left behind: %v", entries)
	}
	// An export that fails half-way leaves nothing either: a damaged
	// record with -strict.
	damaged := filepath.Join(t.TempDir(), "events.out.tfevents.1.x")
	good := writeScalars(t, t.TempDir(), 0, "x", 1, 2, 3)
	b, _ := os.ReadFile(good)
	b[len(b)-5] ^= 1
	os.WriteFile(damaged, b, 0o644)
	out := filepath.Join(tmp, "out.parquet")
	if _, _, err := runTool(t, "export", "-strict", "-o", out, damaged); !errors.Is(err, tfevents.ErrCorrupt) {
		t.Errorf("-strict on a damaged file: %v, want ErrCorrupt", err)
	}
	if entries, _ := os.ReadDir(tmp); len(entries) != 1 {
		t.Errorf("a failed export left %v", entries)
	}
	// Without -strict the damaged record is skipped with a warning.
	stdout, stderr, err := runTool(t, "export", damaged)
	if err != nil || !strings.Contains(stderr, "data crc") || len(readCSV(t, []byte(stdout))) != 3 {
		t.Errorf("damaged file: %v, stderr %q, output %q", err, stderr, stdout)
	}
}

func TestSanitize(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		want string // "" : must differ from name, be a safe path and keep a hash
	}{
		{name: "train", want: "train"},
		{name: "a/b-c_d.e", want: "a/b-c_d.e"},
		{name: "損失/η", want: "損失/η"},
		{name: "."},
		{name: ".."},
		{name: "a/../b"},
		{name: "a b"},
		{name: "a_b", want: "a_b"},
		{name: ".hidden"},
		{name: "x\x00y"},
		{name: strings.Repeat("long", 40)},
	}
	seen := map[string]string{}
	for _, tc := range tests {
		got := filepath.ToSlash(sanitize(tc.name))
		if tc.want != "" && got != tc.want {
			t.Errorf("sanitize(%q) = %q, want %q", tc.name, got, tc.want)
		}
		if tc.want == "" && (got == tc.name || !strings.Contains(got, "~")) {
			t.Errorf("sanitize(%q) = %q, want a changed name with a hash", tc.name, got)
		}
		for _, part := range strings.Split(got, "/") {
			if part == "" || part == "." || part == ".." || strings.HasPrefix(part, ".") || len(part) > maxPartLen+9 {
				t.Errorf("sanitize(%q) = %q: unsafe part %q", tc.name, got, part)
			}
		}
		if other, ok := seen[got]; ok {
			t.Errorf("sanitize(%q) = sanitize(%q) = %q", tc.name, other, got)
		}
		seen[got] = tc.name
	}
}

func FuzzSanitize(f *testing.F) {
	for _, s := range []string{"train", ".", "a/b", "a b", "損失", "..", "a/../b"} {
		f.Add(s, s+"x")
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		sa, sb := filepath.ToSlash(sanitize(a)), filepath.ToSlash(sanitize(b))
		if a != b && sa == sb {
			t.Errorf("sanitize(%q) = sanitize(%q) = %q", a, b, sa)
		}
		for _, part := range strings.Split(sa, "/") {
			if part == "" || part == "." || part == ".." || strings.HasPrefix(part, ".") || strings.ContainsAny(part, "\\:\x00") {
				t.Errorf("sanitize(%q) = %q: unsafe part %q", a, sa, part)
			}
		}
	})
}

// FuzzCSVAndJSON checks the hand-written encoders against the standard
// library's decoders: any string survives a round trip.
func FuzzCSVAndJSON(f *testing.F) {
	for _, s := range []string{"", "plain", "a,b", `"q"`, "line\nbreak", " lead", `\.`, "\r", "\x00\x1f", "\xff", "\u2028", "損失"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		line := append(appendCSVField(nil, s), ',', 'x', '\n')
		rec, err := csv.NewReader(bytes.NewReader(line)).Read()
		// encoding/csv turns \r\n into \n inside quoted fields; a lone
		// field that is empty after trimming nothing is "".
		want := strings.ReplaceAll(s, "\r\n", "\n")
		if err != nil || len(rec) != 2 || rec[0] != want && !strings.Contains(s, "\r") {
			t.Errorf("CSV %q: read back %q, %v", s, rec, err)
		}
		var got string
		if err := json.Unmarshal(appendJSONString(nil, s), &got); err != nil {
			t.Fatalf("JSON %q: %v", s, err)
		}
		if want := strings.ToValidUTF8(s, "\ufffd"); got != want && !strings.ContainsRune(s, utf8RuneError) {
			t.Errorf("JSON %q: read back %q", s, got)
		}
		if std, _ := json.Marshal(s); !bytes.Equal(std, appendJSONString(nil, s)) && !bytes.ContainsAny(std, "<>&") {
			var a, b string
			json.Unmarshal(std, &a)
			json.Unmarshal(appendJSONString(nil, s), &b)
			if a != b {
				t.Errorf("JSON %q: %s, encoding/json %s", s, appendJSONString(nil, s), std)
			}
		}
	})
}

const utf8RuneError = '\uFFFD'

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
		for _, format := range []string{formatCSV, formatJSONL, formatParquet} {
			b.Run(fmt.Sprintf("format=%s/runs=%d/size=%d", format, runs, n), func(b *testing.B) {
				b.ReportAllocs()
				b.SetBytes(size)
				out := filepath.Join(b.TempDir(), "s."+format)
				for b.Loop() {
					if _, _, err := runCmd(b, "export", "-o", out, dir); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// TestReadArchive: inspect, export, compare and plot read an archive as
// they read the logdir it was made from.
func TestReadArchive(t *testing.T) {
	t.Parallel()
	logdir, _ := scalarLogdir(t)
	arc := filepath.Join(t.TempDir(), "logs.tbgoa")
	if _, err := archive.CreateFile(arc, logdir, archive.Options{}); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"export"},
		{"export", "-format", "jsonl", "-view", "tensorboard"},
		{"compare", "-format", "csv"},
	} {
		fromDir, _, err := runTool(t, append(slices.Clone(args), logdir)...)
		if err != nil {
			t.Fatal(err)
		}
		fromArc, _, err := runTool(t, append(slices.Clone(args), arc)...)
		if err != nil {
			t.Fatal(err)
		}
		if fromDir != fromArc || len(fromDir) < 100 {
			t.Errorf("%q: the archive gives\n%s\nthe logdir\n%s", args, fromArc, fromDir)
		}
	}
	var dirRep, arcRep inspectReport
	for path, rep := range map[string]*inspectReport{logdir: &dirRep, arc: &arcRep} {
		out, _, err := runTool(t, "inspect", "-json", path)
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal([]byte(out), rep); err != nil {
			t.Fatal(err)
		}
	}
	if len(arcRep.Runs) != 2 || len(arcRep.Runs) != len(dirRep.Runs) {
		t.Fatalf("inspect: archive runs %+v, logdir runs %+v", arcRep.Runs, dirRep.Runs)
	}
	for i := range arcRep.Runs {
		a, d := arcRep.Runs[i], dirRep.Runs[i]
		ap, _ := json.Marshal(a.Plugins)
		dp, _ := json.Marshal(d.Plugins)
		if a.Name != d.Name || string(ap) != string(dp) || a.Files[0].Size != d.Files[0].Size ||
			!strings.HasPrefix(a.Files[0].Path, arc+":") {
			t.Errorf("inspect run %d: archive %+v, logdir %+v", i, a, d)
		}
	}
	out := filepath.Join(t.TempDir(), "p.png")
	if _, _, err := runTool(t, "plot", "-o", out, arc); err != nil {
		t.Errorf("plot of an archive: %v", err)
	}
}
