package main

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"image"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tbgo/tbgo/archive"
	"github.com/tbgo/tbgo/history"
	"github.com/tbgo/tbgo/summary"
	"github.com/tbgo/tbgo/tfevents"
)

// The export library, its formats and layouts are tested in history/table;
// these tests check the command: its flags, its defaults, its messages.

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

func readCSV(t testing.TB, b []byte) [][]string {
	t.Helper()
	rows, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
	if err != nil {
		t.Fatalf("not CSV: %v\n%s", err, b)
	}
	return rows
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

// scalarLogdir writes runs a/b and train, with tags that need quoting.
func scalarLogdir(t testing.TB) string {
	t.Helper()
	logdir := t.TempDir()
	writeScalars(t, filepath.Join(logdir, "a", "b"), 0, "x", 0, 1)
	writeScalars(t, filepath.Join(logdir, "train"), 100, `tag, with "quotes"`, 0, 1, 2)
	writeScalars(t, filepath.Join(logdir, "train"), 200, "loss/train", 0, 1, 2)
	return logdir
}

// TestExportFormats: the format comes from -format, else from -o's
// extension, else CSV; a successful export says nothing on stderr.
func TestExportFormats(t *testing.T) {
	t.Parallel()
	logdir := scalarLogdir(t)
	dir := t.TempDir()
	for _, tc := range []struct {
		args  []string
		file  string // "" : standard output
		magic string // the output's first bytes
	}{
		{args: nil, magic: "run,tag,step,wall_time,value\n"},
		{args: []string{"-format", "jsonl"}, magic: `{"run":"a/b","tag":"x","step":0,"wall_time":1700000002.000000,"value":0}`},
		{args: []string{"-format", "parquet"}, magic: "PAR1"},
		{args: []string{"-o", "-"}, magic: "run,tag"},
		{file: "s.csv", magic: "run,tag"},
		{file: "s.ndjson", magic: `{"run":"a/b"`},
		{file: "s.pq", magic: "PAR1"},
		{file: "s.txt", args: []string{"-format", "parquet"}, magic: "PAR1"},
	} {
		args := append([]string{"export"}, tc.args...)
		if tc.file != "" {
			args = append(args, "-o", filepath.Join(dir, tc.file))
		}
		stdout, stderr, err := runTool(t, append(args, logdir)...)
		if err != nil || stderr != "" {
			t.Fatalf("%q: %v\n%s", args, err, stderr)
		}
		out := []byte(stdout)
		if tc.file != "" {
			if out, err = os.ReadFile(filepath.Join(dir, tc.file)); err != nil {
				t.Fatal(err)
			}
		}
		if !bytes.HasPrefix(out, []byte(tc.magic)) {
			t.Errorf("%q: output starts %q, want %q", args, out[:min(len(out), 80)], tc.magic)
		}
	}
}

// TestExportDefaultView (issue 14, item 5): export shows what TensorBoard,
// compare and plot show, a re-used run directory's restart preempting the
// steps it logs again; -view raw gives every value.
func TestExportDefaultView(t *testing.T) {
	t.Parallel()
	logdir := t.TempDir()
	dir := filepath.Join(logdir, "run")
	writeScalars(t, dir, 0, "x", 0, 1, 2, 3)
	writeScalars(t, dir, 10, "x", 2, 3) // the program run again, from step 2
	writeScalars(t, filepath.Join(logdir, "other"), 0, "y/z", 5)
	tests := []struct {
		desc string
		args []string
		want []string // run|tag@step
	}{
		{desc: "default: as TensorBoard shows it", want: []string{"other|y/z@5", "run|x@0", "run|x@1", "run|x@2", "run|x@3"}},
		{desc: "raw", args: []string{"-view", "raw"}, want: []string{"other|y/z@5", "run|x@0", "run|x@1", "run|x@2", "run|x@3", "run|x@2", "run|x@3"}},
		{desc: "run glob", args: []string{"-run", "o*"}, want: []string{"other|y/z@5"}},
		{desc: "star selects tags with a slash (issue 11, item 10)", args: []string{"-tag", "*"}, want: []string{"other|y/z@5", "run|x@0", "run|x@1", "run|x@2", "run|x@3"}},
		{desc: "tag regexp", args: []string{"-tag", "re:^x$"}, want: []string{"run|x@0", "run|x@1", "run|x@2", "run|x@3"}},
	}
	for _, tc := range tests {
		out, stderr, err := runTool(t, append(append([]string{"export"}, tc.args...), logdir)...)
		if err != nil || stderr != "" {
			t.Fatalf("%s: %v\n%s", tc.desc, err, stderr)
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

// TestExportWarnsUnmatched (issue 14, item 7): a -run or -tag pattern
// that selects nothing is warned of, not passed over in silence.
func TestExportWarnsUnmatched(t *testing.T) {
	t.Parallel()
	logdir := scalarLogdir(t)
	for _, tc := range []struct {
		args []string
		warn []string
	}{
		{args: []string{"-tag", "loss*", "-tag", "acc"}, warn: []string{`-tag "acc" selects nothing`}},
		{args: []string{"-run", "nope", "-run", "train"}, warn: []string{`-run "nope" selects nothing`}},
		{args: []string{"-run", "a/*", "-tag", "loss/*"}, warn: []string{`-tag "loss/*" selects nothing`}}, // not in a/b
		{args: []string{"-tag", "*", "-run", "*"}},
	} {
		_, stderr, err := runTool(t, append(append([]string{"export"}, tc.args...), logdir)...)
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(strings.TrimSpace(stderr), "\n")
		if stderr == "" {
			lines = nil
		}
		if len(lines) != len(tc.warn) {
			t.Errorf("%q: stderr %q, want %q", tc.args, stderr, tc.warn)
			continue
		}
		for i, w := range tc.warn {
			if !strings.Contains(lines[i], w) || !strings.HasPrefix(lines[i], "tbgo: warning: ") {
				t.Errorf("%q: %q, want a warning saying %s", tc.args, lines[i], w)
			}
		}
	}
}

// TestExportWarnsSkipped: what discovery leaves out (here a directory
// whose name is not UTF-8) is warned of, and the rest exported.
func TestExportWarnsSkipped(t *testing.T) {
	t.Parallel()
	logdir := scalarLogdir(t)
	if err := os.Mkdir(filepath.Join(logdir, "junk\xff"), 0o755); err != nil {
		t.Skipf("this file system refuses a name that is not UTF-8: %v", err)
	}
	for _, cmd := range []string{"export", "compare"} {
		out, stderr, err := runTool(t, cmd, logdir)
		if err != nil || !strings.Contains(stderr, `tbgo: warning: skipped "junk\xff"`) || !strings.Contains(out, "train") {
			t.Errorf("%s: %v, stderr %q, output %q", cmd, err, stderr, out)
		}
	}
}

func TestExportWideAndKinds(t *testing.T) {
	t.Parallel()
	logdir := scalarLogdir(t)
	out, _, err := runTool(t, "export", "-layout", "wide", "-spill-after", "1", "-run", "train", logdir)
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{
		{"run", "step", "wall_time", "loss/train", `tag, with "quotes"`},
		{"train", "0", "1700000102.000000", "0", "0"},
		{"train", "1", "1700000103.000000", "1", "1"},
		{"train", "2", "1700000104.000000", "2", "2"},
	}
	if got := readCSV(t, []byte(out)); !slices.EqualFunc(got, want, slices.Equal) {
		t.Errorf("wide:\n got %q\nwant %q", got, want)
	}
	dir := filepath.Join(t.TempDir(), "all")
	if _, _, err := runTool(t, "export", "-what", "all", "-format", "jsonl", "-o", dir, logdir); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"scalars.jsonl", "histograms.jsonl", "text.jsonl", "hparams.jsonl", "images/index.jsonl", "audio/index.jsonl"} {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			t.Error(err)
		}
	}
	// A second export into the same directory replaces the tables.
	if _, _, err := runTool(t, "export", "-what", "scalars,text", "-o", dir, "-format", "jsonl", logdir); err != nil {
		t.Errorf("export into an existing directory: %v", err)
	}
}

// TestExportMediaCollision (issue 11, item 8): tags "img" and
// "img/step1_0.png" gave "mkdir ...: not a directory" and no output.
func TestExportMediaCollision(t *testing.T) {
	t.Parallel()
	logdir := t.TempDir()
	now := unix(1700000000)
	w := clockWriter(t, filepath.Join(logdir, "lr=0.1"), &now)
	img := image.NewGray(image.Rect(0, 0, 2, 2))
	for _, tag := range []string{"img", "img/step1_0.png"} {
		if err := w.Images(tag, 1, []image.Image{img}); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "out")
	if _, stderr, err := runTool(t, "export", "-what", "images", "-o", out, logdir); err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	b, err := os.ReadFile(filepath.Join(out, "images", "index.csv"))
	if err != nil {
		t.Fatal(err)
	}
	var files []string
	for _, row := range readCSV(t, b)[1:] {
		files = append(files, row[7])
		if _, err := os.Stat(filepath.Join(out, "images", filepath.FromSlash(row[7]))); err != nil {
			t.Error(err)
		}
	}
	// Run names with "=" stay readable (issue 14, item 9).
	if want := []string{"lr=0.1/img/step1_0.png", "lr=0.1/img%2Fstep1_0.png/step1_0.png"}; !slices.Equal(files, want) {
		t.Errorf("files %q, want %q", files, want)
	}
}

// TestExportBadInput: every refusal is an error that says what is wrong,
// and leaves nothing behind.
func TestExportBadInput(t *testing.T) {
	t.Parallel()
	logdir := scalarLogdir(t)
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
		{desc: "bad spill", args: []string{"-spill-after", "0", logdir}, usage: true, want: "spill"},
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
			// root writes anywhere; TestExportUnwritable checks with a
			// file in the way instead.
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
	logdir := scalarLogdir(t)
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
	// Without -strict the damaged record is skipped with a warning and a
	// count.
	stdout, stderr, err := runTool(t, "export", damaged)
	if err != nil || !strings.Contains(stderr, "data crc") || !strings.Contains(stderr, "1 damaged") || len(readCSV(t, []byte(stdout))) != 3 {
		t.Errorf("damaged file: %v, stderr %q, output %q", err, stderr, stdout)
	}
}

// TestReadArchive: inspect, export, compare and plot read an archive as
// they read the logdir it was made from.
func TestReadArchive(t *testing.T) {
	t.Parallel()
	logdir := scalarLogdir(t)
	arc := filepath.Join(t.TempDir(), "logs.tbgoa")
	if _, err := archive.CreateFile(arc, logdir, archive.Options{}); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"export"},
		{"export", "-format", "jsonl", "-view", "raw"},
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
