package history_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tbgo/tbgo/archive"
	"github.com/tbgo/tbgo/history"
	"github.com/tbgo/tbgo/proto/tbpb"
	"github.com/tbgo/tbgo/summary"
	"github.com/tbgo/tbgo/tfevents"
)

// base is the wall-clock time of the test writers' first event.
var base = time.Unix(1700000000, 0)

// writeFile writes one event file into dir with a writer whose clock
// starts at base+offset seconds and advances one second per call of fn's
// writes; it returns the file's path.
func writeFile(t testing.TB, dir string, offset int, fn func(w *summary.Writer) error) string {
	t.Helper()
	tick := 0
	w, err := summary.NewWriter(dir, &summary.Options{
		FlushInterval: -1,
		Now: func() time.Time {
			tick++
			return base.Add(time.Duration(offset+tick) * time.Second)
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := fn(w); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return w.FileName()
}

// scalars returns a writer function logging tag at the given steps with
// value step/10.
func scalars(tag string, steps ...int64) func(w *summary.Writer) error {
	return func(w *summary.Writer) error {
		for _, s := range steps {
			if err := w.Scalar(tag, s, float64(s)/10); err != nil {
				return err
			}
		}
		return nil
	}
}

func steps(from, to int64) []int64 {
	var s []int64
	for i := from; i <= to; i++ {
		s = append(s, i)
	}
	return s
}

func open(t testing.TB, path string) *history.Source {
	t.Helper()
	src, err := history.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { src.Close() })
	return src
}

// point is what the tests compare of a value.
type point struct {
	Run, Tag string
	Step     int64
	Value    float64
}

func (p point) String() string { return fmt.Sprintf("%s|%s@%d=%v", p.Run, p.Tag, p.Step, p.Value) }

// scalarValues reads the KindScalar values of src through Values.
func scalarValues(t *testing.T, src *history.Source, o *history.Options) []point {
	t.Helper()
	var got []point
	err := src.Values(context.Background(), o, func(v *history.Value) error {
		if v.Kind == summary.KindScalar {
			got = append(got, point{v.Run, v.Tag, v.Step, v.Scalar})
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// fastScalars reads src through Scalars.
func fastScalars(t *testing.T, src *history.Source, o *history.Options) []point {
	t.Helper()
	var got []point
	err := src.Scalars(context.Background(), o, func(s *history.Scalar) error {
		got = append(got, point{s.Run, s.Tag, s.Step, s.Value})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func TestOpen(t *testing.T) {
	t.Parallel()
	logdir := t.TempDir()
	file := writeFile(t, filepath.Join(logdir, "train"), 0, scalars("loss", 0, 1))
	writeFile(t, filepath.Join(logdir, "eval", "a"), 5, scalars("acc", 0))
	notes := filepath.Join(logdir, "notes.txt")
	if err := os.WriteFile(notes, []byte("hello"), 0o644); err != nil {
		t.Fatal(err)
	}
	empty := t.TempDir()

	tests := []struct {
		desc  string
		path  string
		runs  []string
		files int
		name  string // Source.Path
		err   error  // want an error wrapping this
	}{
		{desc: "logdir", path: logdir, runs: []string{"eval/a", "train"}, files: 2, name: logdir},
		{desc: "run directory", path: filepath.Join(logdir, "train"), runs: []string{"."}, files: 1, name: filepath.Join(logdir, "train")},
		{desc: "event file", path: file, runs: []string{"."}, files: 1, name: file},
		{desc: "no event files", path: empty, err: tfevents.ErrNoEventFiles},
		{desc: "unknown format", path: notes, err: history.ErrUnknownFormat},
		{desc: "missing", path: filepath.Join(logdir, "missing"), err: os.ErrNotExist},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			t.Parallel()
			src, err := history.Open(tc.path)
			if tc.err != nil {
				if !errors.Is(err, tc.err) {
					t.Fatalf("Open(%s) = %v, want %v", tc.path, err, tc.err)
				}
				if !strings.Contains(err.Error(), tc.path) {
					t.Errorf("error %q does not name %s", err, tc.path)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer src.Close()
			var runs []string
			files := 0
			for _, r := range src.Runs() {
				runs = append(runs, r.Name)
				files += len(r.Files)
				for _, f := range r.Files {
					if _, err := os.Stat(src.FileName(f)); err != nil {
						t.Errorf("FileName(%q) = %q: %v", f, src.FileName(f), err)
					}
				}
			}
			if !slices.Equal(runs, tc.runs) || files != tc.files {
				t.Errorf("runs %q with %d files, want %q with %d", runs, files, tc.runs, tc.files)
			}
			if src.Path() != tc.name {
				t.Errorf("Path() = %q, want %q", src.Path(), tc.name)
			}
			if got := len(scalarValues(t, src, nil)); got == 0 {
				t.Error("no values read")
			}
		})
	}
}

// TestArchive reads a logdir and its archive: the same runs and values,
// with archive paths naming the files.
func TestArchive(t *testing.T) {
	t.Parallel()
	logdir := t.TempDir()
	writeFile(t, filepath.Join(logdir, "train"), 0, scalars("loss", steps(0, 20)...))
	writeFile(t, filepath.Join(logdir, "a", "b"), 50, scalars("acc", 1, 2))
	writeFile(t, filepath.Join(logdir, "a", "b"), 90, scalars("acc", 3))
	name := filepath.Join(t.TempDir(), "logs.tbgo") // any name: the magic decides
	if _, err := archive.CreateFile(name, logdir, archive.Options{}); err != nil {
		t.Fatal(err)
	}
	dir, arc := open(t, logdir), open(t, name)
	if !arc.IsArchive() || dir.IsArchive() {
		t.Errorf("IsArchive: archive %v, directory %v", arc.IsArchive(), dir.IsArchive())
	}
	var dirRuns, arcRuns []string
	for i, r := range arc.Runs() {
		arcRuns = append(arcRuns, r.Name)
		dirRuns = append(dirRuns, dir.Runs()[i].Name)
		if !slices.Equal(r.Files, dir.Runs()[i].Files) {
			t.Errorf("run %q files %q, directory %q", r.Name, r.Files, dir.Runs()[i].Files)
		}
		if f := arc.FileName(r.Files[0]); !strings.HasPrefix(f, name+":") {
			t.Errorf("FileName = %q, want %s:...", f, name)
		}
	}
	if !slices.Equal(arcRuns, []string{"a/b", "train"}) || !slices.Equal(arcRuns, dirRuns) {
		t.Errorf("archive runs %q, directory runs %q", arcRuns, dirRuns)
	}
	for _, view := range []history.View{history.Raw, history.TensorBoard} {
		o := &history.Options{View: view}
		if a, d := fastScalars(t, arc, o), fastScalars(t, dir, o); !slices.Equal(a, d) || len(a) != 24 {
			t.Errorf("view %v: archive %v, directory %v", view, a, d)
		}
	}
	if err := arc.Close(); err != nil {
		t.Error(err)
	}
}

func TestFilterAndOrder(t *testing.T) {
	t.Parallel()
	logdir := t.TempDir()
	writeFile(t, filepath.Join(logdir, "train"), 0, func(w *summary.Writer) error {
		for s := range int64(2) {
			for _, tag := range []string{"loss", "loss/ema", "acc"} {
				if err := w.Scalar(tag, s, float64(s)); err != nil {
					return err
				}
			}
		}
		return w.Text("notes", 0, "hi")
	})
	writeFile(t, filepath.Join(logdir, "eval"), 10, scalars("loss", 7))
	writeFile(t, filepath.Join(logdir, "sweep", "lr=0.1"), 20, scalars("loss", 3))
	src := open(t, logdir)

	tests := []struct {
		desc       string
		runs, tags []string
		want       []string // run|tag@step
	}{
		{desc: "everything, runs in name order, values in file order", want: []string{
			"eval|loss@7", "sweep/lr=0.1|loss@3",
			"train|loss@0", "train|loss/ema@0", "train|acc@0", "train|loss@1", "train|loss/ema@1", "train|acc@1"}},
		{desc: "a glob crosses /", tags: []string{"loss*"}, want: []string{
			"eval|loss@7", "sweep/lr=0.1|loss@3", "train|loss@0", "train|loss/ema@0", "train|loss@1", "train|loss/ema@1"}},
		{desc: "an exact name", runs: []string{"train"}, tags: []string{"loss/ema"}, want: []string{"train|loss/ema@0", "train|loss/ema@1"}},
		{desc: "several patterns", runs: []string{"eval", "sweep/*"}, want: []string{"eval|loss@7", "sweep/lr=0.1|loss@3"}},
		{desc: "a regular expression matches anywhere", runs: []string{`re:=0\.1`}, want: []string{"sweep/lr=0.1|loss@3"}},
		{desc: "an anchored regular expression", runs: []string{"train"}, tags: []string{"re:^loss(/|$)"}, want: []string{
			"train|loss@0", "train|loss/ema@0", "train|loss@1", "train|loss/ema@1"}},
		{desc: "nothing selected", tags: []string{"nope"}},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			t.Parallel()
			runs, err := history.Compile(tc.runs...)
			if err != nil {
				t.Fatal(err)
			}
			tags, err := history.Compile(tc.tags...)
			if err != nil {
				t.Fatal(err)
			}
			o := &history.Options{Runs: runs, Tags: tags}
			var got []string
			for _, p := range scalarValues(t, src, o) {
				got = append(got, fmt.Sprintf("%s|%s@%d", p.Run, p.Tag, p.Step))
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("Values: %q, want %q", got, tc.want)
			}
			got = got[:0]
			for _, p := range fastScalars(t, src, o) {
				got = append(got, fmt.Sprintf("%s|%s@%d", p.Run, p.Tag, p.Step))
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("Scalars: %q, want %q", got, tc.want)
			}
		})
	}
}

func TestCompileErrors(t *testing.T) {
	t.Parallel()
	for _, p := range []string{"", "[", "a[", `re:(`, "re:a**"} {
		if m, err := history.Compile("ok", p); err == nil {
			t.Errorf("Compile(%q) = %v, want an error", p, m)
		} else if p != "" && !strings.Contains(err.Error(), p) {
			t.Errorf("Compile(%q): error %q does not name the pattern", p, err)
		}
	}
}

func TestMatcher(t *testing.T) {
	t.Parallel()
	tests := []struct {
		desc     string
		patterns []string
		name     string
		want     bool
	}{
		{desc: "no patterns select all", name: "anything", want: true},
		{desc: "star", patterns: []string{"*"}, name: "loss", want: true},
		{desc: "star crosses slash", patterns: []string{"*"}, name: "loss/train", want: true},
		{desc: "two levels", patterns: []string{"*/*"}, name: "loss/train", want: true},
		{desc: "two levels need a slash", patterns: []string{"*/*"}, name: "loss", want: false},
		{desc: "a suffix under any prefix", patterns: []string{"*/eval"}, name: "sweep/lr=0.1/eval", want: true},
		{desc: "question mark matches slash", patterns: []string{"a?b"}, name: "a/b", want: true},
		{desc: "negated class", patterns: []string{"run[^0-3]"}, name: "run7", want: true},
		{desc: "escaped class bracket", patterns: []string{`[\]]`}, name: "]", want: true},
		{desc: "regexp metacharacters are literal in a glob", patterns: []string{"lr=0.1*"}, name: "lr=0x1", want: false},
		{desc: "invalid UTF-8 literal", patterns: []string{"a\xff"}, name: "a\xff", want: true},
		{desc: "question mark", patterns: []string{"run?"}, name: "run7", want: true},
		{desc: "class", patterns: []string{"run[0-3]"}, name: "run7", want: false},
		{desc: "escaped star is literal", patterns: []string{`a\*`}, name: "a*", want: true},
		{desc: "escaped star no wildcard", patterns: []string{`a\*`}, name: "ab", want: false},
		{desc: "glob is whole-name", patterns: []string{"loss"}, name: "loss_ema", want: false},
		{desc: "regexp searches", patterns: []string{"re:ema"}, name: "loss_ema", want: true},
		{desc: "anchored regexp", patterns: []string{"re:^ema"}, name: "loss_ema", want: false},
		{desc: "any of several", patterns: []string{"x", "re:^l"}, name: "loss", want: true},
		{desc: "non-ASCII", patterns: []string{"損失/*"}, name: "損失/η", want: true},
		{desc: "root run", patterns: []string{"."}, name: ".", want: true},
	}
	for _, tc := range tests {
		m, err := history.Compile(tc.patterns...)
		if err != nil {
			t.Fatalf("%s: %v", tc.desc, err)
		}
		if got := m.Match(tc.name); got != tc.want {
			t.Errorf("%s: %q matches %q = %v, want %v", tc.desc, tc.patterns, tc.name, got, tc.want)
		}
	}
}

// TestViews writes a run that restarted from a checkpoint (a second file
// re-logging steps 5..8 after steps 0..9), a tag logged twice at one step
// and a tag logged only before the restart.
func TestViews(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	writeFile(t, dir, 0, func(w *summary.Writer) error {
		for s := range int64(10) {
			if err := w.Scalar("loss", s, float64(s)); err != nil {
				return err
			}
		}
		if err := w.Scalar("twice", 3, 1); err != nil {
			return err
		}
		if err := w.Scalar("twice", 3, 2); err != nil {
			return err
		}
		return w.Scalar("before", 9, 9)
	})
	writeFile(t, dir, 100, func(w *summary.Writer) error {
		for s := int64(5); s < 9; s++ {
			if err := w.Scalar("loss", s, float64(s)+0.5); err != nil {
				return err
			}
		}
		return nil
	})
	src := open(t, dir)
	tests := []struct {
		view history.View
		want []string
	}{
		{history.Raw, []string{
			"loss@0=0", "loss@1=1", "loss@2=2", "loss@3=3", "loss@4=4", "loss@5=5", "loss@6=6", "loss@7=7", "loss@8=8", "loss@9=9",
			"twice@3=1", "twice@3=2", "before@9=9",
			"loss@5=5.5", "loss@6=6.5", "loss@7=7.5", "loss@8=8.5"}},
		{history.TensorBoard, []string{
			"loss@0=0", "loss@1=1", "loss@2=2", "loss@3=3", "loss@4=4",
			"twice@3=2", "before@9=9",
			"loss@5=5.5", "loss@6=6.5", "loss@7=7.5", "loss@8=8.5"}},
	}
	for _, tc := range tests {
		o := &history.Options{View: tc.view}
		for name, read := range map[string]func(*testing.T, *history.Source, *history.Options) []point{
			"Values": scalarValues, "Scalars": fastScalars,
		} {
			var got []string
			for _, p := range read(t, src, o) {
				got = append(got, fmt.Sprintf("%s@%d=%v", p.Tag, p.Step, p.Value))
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("%s, view %v:\n got %q\nwant %q", name, tc.view, got, tc.want)
			}
		}
	}
	for _, s := range []string{"raw", "tensorboard"} {
		if v, err := history.ParseView(s); err != nil || v.String() != s {
			t.Errorf("ParseView(%q) = %v, %v", s, v, err)
		}
	}
	if _, err := history.ParseView("python"); err == nil {
		t.Error("ParseView(python) succeeded")
	}
}

// TestViewMatchesDefinition checks the TensorBoard view against its
// definition, computed the slow way, on random step sequences: value i
// survives when no later value has a step <= its own.
func TestViewMatchesDefinition(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(5, 7))
	for trial := range 40 {
		dir := t.TempDir()
		n := 1 + rng.IntN(60)
		seq := make([]int64, n)
		for i := range seq {
			switch rng.IntN(4) {
			case 0:
				seq[i] = int64(rng.IntN(5)) // many repeats
			default:
				seq[i] = int64(rng.IntN(40))
			}
		}
		if trial%5 == 0 { // a run restarted twice
			seq = slices.Concat(steps(0, 20), steps(10, 30), steps(5, 12))
		}
		writeFile(t, dir, 0, func(w *summary.Writer) error {
			for i, s := range seq {
				if err := w.Scalar("x", s, float64(i)); err != nil {
					return err
				}
			}
			return nil
		})
		var want []string
		for i, s := range seq {
			kept := true
			for _, later := range seq[i+1:] {
				if later <= s {
					kept = false
				}
			}
			if kept {
				want = append(want, fmt.Sprintf("%d=%d", s, i))
			}
		}
		src := open(t, dir)
		var got []string
		for _, p := range fastScalars(t, src, &history.Options{View: history.TensorBoard}) {
			got = append(got, fmt.Sprintf("%d=%v", p.Step, p.Value))
		}
		if !slices.Equal(got, want) {
			t.Fatalf("steps %v:\n got %q\nwant %q", seq, got, want)
		}
	}
}

// TestViewSnapshot appends to a file while the second pass of a
// TensorBoard view reads it: the values appended are not returned, since
// the first pass did not see them.
func TestViewSnapshot(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	file := writeFile(t, dir, 0, scalars("x", 0, 1, 2))
	src := open(t, dir)
	appended := false
	var got []int64
	err := src.Scalars(context.Background(), &history.Options{View: history.TensorBoard}, func(s *history.Scalar) error {
		got = append(got, s.Step)
		if !appended {
			appended = true
			appendScalars(t, file, "x", 3, 4, 1) // 1 would preempt 1 and 2
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, []int64{0, 1, 2}) {
		t.Errorf("steps %v, want [0 1 2]: the second pass read past the first", got)
	}
	// Read again, the appended step 1 preempts steps 1 to 4.
	if got := fastScalars(t, src, &history.Options{View: history.TensorBoard}); len(got) != 2 || got[1].Step != 1 ||
		got[1].Value != float64(float32(0.1)) {
		t.Errorf("after the append: %v, want step 0 and the appended step 1", got)
	}
}

// scalarEvent returns a legacy simple_value event.
func scalarEvent(tag string, step int64, v float32) *tbpb.Event {
	return &tbpb.Event{
		WallTime: float64(base.Unix() + step),
		Step:     step,
		What: &tbpb.Event_Summary{Summary: &tbpb.Summary{Value: []*tbpb.Summary_Value{{
			Tag:   tag,
			Value: &tbpb.Summary_Value_SimpleValue{SimpleValue: v},
		}}}},
	}
}

// appendScalars appends simple_value events to an event file.
func appendScalars(t testing.TB, file, tag string, steps ...int64) {
	t.Helper()
	f, err := os.OpenFile(file, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	w := tfevents.NewWriter(f)
	for _, s := range steps {
		ev := scalarEvent(tag, s, float32(s)/10)
		if err := w.WriteEvent(ev); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestDamage: every kind of damage is skipped, the read goes on past it
// (after a bad length checksum too, to the next valid record), and it is
// reported once, naming the file.
func TestDamage(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	file := writeFile(t, dir, 0, scalars("x", 0, 1, 2, 3))
	good, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	offsets := recordOffsets(t, good)
	// offsets[0] is the file_version event; scalars 0..3 follow.
	dataByte := func(rec int) int { return int(offsets[rec+1]) - 5 } // the last data byte of record rec
	lenByte := func(rec int) int { return int(offsets[rec]) + 1 }

	tests := []struct {
		desc    string
		damage  func(b []byte) []byte
		steps   []int64 // read with a Damaged function that goes on
		kind    tfevents.DamageKind
		failNil bool // a read without a Damaged function fails at its end
	}{
		{desc: "data checksum", damage: func(b []byte) []byte { b[dataByte(2)] ^= 1; return b },
			steps: []int64{0, 2, 3}, kind: tfevents.BadDataChecksum, failNil: true},
		{desc: "length checksum", damage: func(b []byte) []byte { b[lenByte(3)] ^= 1; return b },
			steps: []int64{0, 1, 3}, kind: tfevents.BadLengthChecksum, failNil: true},
		{desc: "torn tail", damage: func(b []byte) []byte { return b[:len(b)-3] },
			steps: []int64{0, 1, 2}, kind: tfevents.TornTail},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			name := filepath.Join(dir, "events.out.tfevents.1.damaged")
			if err := os.WriteFile(name, tc.damage(bytes.Clone(good)), 0o644); err != nil {
				t.Fatal(err)
			}
			src := open(t, dir)
			for _, view := range []history.View{history.Raw, history.TensorBoard} {
				var probs []*tfevents.Damage
				o := &history.Options{View: view, Damaged: func(d *tfevents.Damage) error {
					probs = append(probs, d)
					return nil
				}}
				var got []int64
				for _, p := range fastScalars(t, src, o) {
					got = append(got, p.Step)
				}
				if !slices.Equal(got, tc.steps) {
					t.Errorf("view %v: steps %v, want %v", view, got, tc.steps)
				}
				if len(probs) != 1 || probs[0].Kind != tc.kind ||
					probs[0].File != name || !strings.Contains(probs[0].Error(), name) {
					t.Fatalf("view %v: damage %v, want one %v naming %s", view, probs, tc.kind, name)
				}
				var got2 []int64
				err := src.Values(context.Background(), &history.Options{View: view}, func(v *history.Value) error {
					got2 = append(got2, v.Step)
					return nil
				})
				if !slices.Equal(got2, tc.steps) {
					t.Errorf("view %v without a Damaged function: steps %v, want %v", view, got2, tc.steps)
				}
				if tc.failNil {
					var de *history.DamageError
					var d *tfevents.Damage
					if !errors.As(err, &de) || de.Count != 1 || !errors.As(err, &d) || d.Offset != probs[0].Offset {
						t.Errorf("view %v without a Damaged function: %v, want a DamageError for the damage at offset %d", view, err, probs[0].Offset)
					}
				} else if err != nil {
					t.Errorf("view %v without a Damaged function: %v, want the torn tail skipped", view, err)
				}
				// Strict: the damage is the error, and nothing after it is read.
				err = src.Values(context.Background(), &history.Options{View: view, Strict: true}, func(*history.Value) error { return nil })
				var d *tfevents.Damage
				if tc.failNil != (errors.As(err, &d) && d.Kind == tc.kind) {
					t.Errorf("view %v, strict: %v", view, err)
				}
			}
		})
	}
}

// recordOffsets returns the offset of every record of an event file and,
// last, the file's length.
func recordOffsets(t *testing.T, b []byte) []int64 {
	t.Helper()
	sc := tfevents.NewScanner(bytes.NewReader(b))
	var offs []int64
	for sc.Scan() {
		offs = append(offs, sc.Offset())
	}
	if sc.Err() != nil || sc.Damages() > 0 {
		t.Fatalf("scanning a good file: %v", sc.Err())
	}
	return append(offs, sc.End())
}

// damageRecord flips a data byte of the record before record rec (counting
// the file_version record as 0, so of scalar rec-2) in the first event
// file of dir.
func damageRecord(t *testing.T, dir string, rec int) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, entries[0].Name())
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	b[recordOffsets(t, b)[rec]-5] ^= 1
	if err := os.WriteFile(file, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestStopEarly(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	writeFile(t, dir, 0, scalars("x", steps(0, 9)...))
	src := open(t, dir)
	stop := errors.New("enough")
	n := 0
	err := src.Scalars(context.Background(), nil, func(*history.Scalar) error {
		if n++; n == 3 {
			return stop
		}
		return nil
	})
	if err != stop || n != 3 {
		t.Errorf("err %v after %d values, want %v after 3", err, n, stop)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	big := t.TempDir()
	writeFile(t, big, 0, scalars("x", steps(0, 20000)...))
	if err := open(t, big).Scalars(ctx, nil, func(*history.Scalar) error { return nil }); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled read: %v, want context.Canceled", err)
	}
}

// TestScalarsParallel reads many runs, each longer than a chunk, through
// the parallel path: the same values in the same order as Values, and an
// early stop or a problem ends the read cleanly.
func TestScalarsParallel(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(4))
	logdir := t.TempDir()
	for r := range 7 {
		writeFile(t, filepath.Join(logdir, fmt.Sprintf("run%d", r)), 10*r, scalars("x", steps(0, int64(3000+1000*r))...))
	}
	src := open(t, logdir)
	for _, view := range []history.View{history.Raw, history.TensorBoard} {
		o := &history.Options{View: view}
		if a, b := fastScalars(t, src, o), scalarValues(t, src, o); !slices.Equal(a, b) || len(a) != 7*3001+21000 {
			t.Errorf("view %v: Scalars gives %d values, Values %d (or they differ)", view, len(a), len(b))
		}
	}
	stop := errors.New("stop")
	for _, at := range []int{1, 5000, 20000} {
		n := 0
		err := src.Scalars(context.Background(), nil, func(*history.Scalar) error {
			if n++; n == at {
				return stop
			}
			return nil
		})
		if err != stop || n != at {
			t.Errorf("stop at %d: %v after %d", at, err, n)
		}
	}
	// A damaged record in the third run: reported in its place.
	damageRecord(t, filepath.Join(logdir, "run2"), 100)
	var seen int
	var probAt int = -1
	err := src.Scalars(context.Background(), &history.Options{Damaged: func(*tfevents.Damage) error {
		probAt = seen
		return nil
	}}, func(*history.Scalar) error { seen++; return nil })
	if err != nil || probAt != 3001+4001+98 || seen != 7*3001+21000-1 {
		t.Errorf("damaged record: err %v, problem after %d values (want %d), %d values", err, probAt, 3001+4001+98, seen)
	}
	if err := src.Scalars(context.Background(), nil, func(*history.Scalar) error { return nil }); !errors.Is(err, tfevents.ErrCorrupt) {
		t.Errorf("damaged record without a Damaged function: %v", err)
	}
}

// TestMapScalars: with one CPU and with several, MapScalars hands over
// the values of Scalars in order, in batches of one run each, reusing the
// Ts fn is done with, with a problem in its place between batches.
func TestMapScalars(t *testing.T) {
	logdir := t.TempDir()
	for r := range 6 {
		writeFile(t, filepath.Join(logdir, fmt.Sprintf("run%d", r)), 10*r, scalars("x", steps(0, int64(30000+1000*r))...))
	}
	src := open(t, logdir)
	want := fastScalars(t, src, nil)
	type batch struct {
		pts []point
		id  int // which T this is, counting from 1
	}
	for _, procs := range []int{1, 2} {
		t.Run(fmt.Sprint("GOMAXPROCS=", procs), func(t *testing.T) {
			defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
			var mu sync.Mutex
			ids := 0
			encode := func(dst *batch, b []history.Scalar) *batch {
				if dst == nil {
					mu.Lock()
					ids++
					dst = &batch{id: ids}
					mu.Unlock()
				}
				dst.pts = dst.pts[:0]
				for _, s := range b {
					dst.pts = append(dst.pts, point{s.Run, s.Tag, s.Step, s.Value})
				}
				return dst
			}
			var got []point
			batches := 0
			err := history.MapScalars(context.Background(), src, nil, encode, func(b *batch) error {
				batches++
				if len(b.pts) == 0 || len(b.pts) > 4096 || b.pts[0].Run != b.pts[len(b.pts)-1].Run {
					t.Errorf("batch of %d values, from run %s to %s", len(b.pts), b.pts[0].Run, b.pts[len(b.pts)-1].Run)
				}
				got = append(got, b.pts...)
				return nil
			})
			if err != nil || !slices.Equal(got, want) {
				t.Fatalf("err %v; %d values, want the %d of Scalars", err, len(got), len(want))
			}
			// One T; or the batches that the runs after the one being
			// read may hold (8 per CPU), those of the run being read (as
			// many), one being encoded per CPU and fn's.
			maxIDs := 1
			if procs > 1 {
				maxIDs = 2*8*procs + procs + 1
			}
			if batches <= maxIDs || ids > maxIDs {
				t.Errorf("%d batches in %d Ts, want at most %d: storage not reused", batches, ids, maxIDs)
			}

			stop := errors.New("stop")
			n := 0
			err = history.MapScalars(context.Background(), src, nil, encode, func(*batch) error {
				if n++; n == 3 {
					return stop
				}
				return nil
			})
			if err != stop || n != 3 {
				t.Errorf("stop at the third batch: %v after %d", err, n)
			}
		})
	}

	// A damaged record in run3: everything before it comes first.
	damageRecord(t, filepath.Join(logdir, "run3"), 5000)
	for _, procs := range []int{1, 2} {
		prev := runtime.GOMAXPROCS(procs)
		seen, probAt := 0, -1
		o := &history.Options{Damaged: func(*tfevents.Damage) error { probAt = seen; return nil }}
		err := history.MapScalars(context.Background(), src, o,
			func(_ int, b []history.Scalar) int { return len(b) },
			func(n int) error { seen += n; return nil })
		wantAt := 30001 + 31001 + 32001 + 4998
		if err != nil || probAt != wantAt || seen != len(want)-1 {
			t.Errorf("GOMAXPROCS=%d: err %v, problem after %d values (want %d), %d values (want %d)",
				procs, err, probAt, wantAt, seen, len(want)-1)
		}
		err = history.MapScalars(context.Background(), src, nil,
			func(_ int, b []history.Scalar) int { return len(b) }, func(int) error { return nil })
		if !errors.Is(err, tfevents.ErrCorrupt) {
			t.Errorf("GOMAXPROCS=%d: damaged record without a Damaged function: %v", procs, err)
		}
		runtime.GOMAXPROCS(prev)
	}
}

func TestSession(t *testing.T) {
	t.Parallel()
	logdir := t.TempDir()
	writeFile(t, filepath.Join(logdir, "trial"), 0, func(w *summary.Writer) error {
		if err := w.StartSession(map[string]any{"lr": 0.1, "opt": "adam", "bn": true, "layers": 3}, &summary.SessionOptions{
			Group: "g1", Start: time.Unix(1700000000, 500_000_000),
		}); err != nil {
			return err
		}
		if err := w.Scalar("loss", 0, 1); err != nil {
			return err
		}
		return w.EndSession(summary.StatusSuccess)
	})
	writeFile(t, filepath.Join(logdir, "plain"), 0, scalars("loss", 0))
	src := open(t, logdir)
	sessions := map[string]*history.Session{}
	err := src.Values(context.Background(), nil, func(v *history.Value) error {
		s := sessions[v.Run]
		if s == nil {
			s = &history.Session{}
			sessions[v.Run] = s
		}
		_, err := s.Add(&v.Value)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	s := sessions["trial"]
	want := map[string]any{"lr": 0.1, "opt": "adam", "bn": true, "layers": 3.0}
	if !s.Started || !s.Ended || s.Status != summary.StatusSuccess || s.Group != "g1" || s.StartTime != 1700000000.5 ||
		fmt.Sprint(s.HParams) != fmt.Sprint(want) || !slices.Equal(s.Names(), []string{"bn", "layers", "lr", "opt"}) {
		t.Errorf("trial session %+v, want hparams %v, group g1, start 1700000000.5, status success", s, want)
	}
	if p := sessions["plain"]; p.Started || p.Ended || p.Status != summary.StatusUnknown {
		t.Errorf("plain run session %+v, want none", p)
	}
}

func TestSmooth(t *testing.T) {
	t.Parallel()
	nan, inf := math.NaN(), math.Inf(1)
	tests := []struct {
		desc   string
		ys     []float64
		weight float64
		want   []float64
	}{
		{desc: "empty", weight: 0.6},
		{desc: "weight 0 is the identity", ys: []float64{1, 5, 2}, weight: 0, want: []float64{1, 5, 2}},
		// last: 0.5*0+0.5*1 = 0.5, /(1-0.5) = 1; 0.5*0.5+0.5*3 = 1.75, /(1-0.25) = 7/3;
		// 0.5*1.75+0.5*0 = 0.875, /(1-0.125) = 1.
		{desc: "debiased, weight 0.5", ys: []float64{1, 3, 0}, weight: 0.5, want: []float64{1, 7.0 / 3, 1}},
		// 0.4*2 = 0.8, /0.4 = 2; 0.6*0.8+0.4*4 = 2.08, /(1-0.36) = 3.25.
		{desc: "dashboard default 0.6", ys: []float64{2, 4}, weight: 0.6, want: []float64{2, 3.25}},
		{desc: "non-finite values pass through and do not count", ys: []float64{1, nan, inf, 3}, weight: 0.5,
			want: []float64{1, nan, inf, 7.0 / 3}},
		{desc: "a constant series is unchanged", ys: []float64{4, 4, 4}, weight: 0.9, want: []float64{4, 4, 4}},
		{desc: "NaN never makes a series constant", ys: []float64{nan, nan}, weight: 0.5, want: []float64{nan, nan}},
	}
	for _, tc := range tests {
		got := history.Smooth(nil, tc.ys, tc.weight)
		if len(got) != len(tc.want) {
			t.Fatalf("%s: %v, want %v", tc.desc, got, tc.want)
		}
		for i := range got {
			if !(got[i] == tc.want[i] || math.IsNaN(got[i]) && math.IsNaN(tc.want[i])) && math.Abs(got[i]-tc.want[i]) > 1e-12 {
				t.Errorf("%s: %v, want %v", tc.desc, got, tc.want)
				break
			}
		}
	}
}

func TestDistribution(t *testing.T) {
	t.Parallel()
	tests := []struct {
		desc    string
		buckets []summary.Bucket
		want    [9]float64
	}{
		{desc: "no buckets", want: [9]float64{}},
		// One bucket [0, 10] of weight 10000: value at b is b/1000.
		{desc: "one bucket is linear", buckets: []summary.Bucket{{Left: 0, Right: 10, Count: 4}},
			want: [9]float64{0, 0.668, 1.587, 3.085, 5, 6.915, 8.413, 9.332, 10}},
		// Two equal buckets [0,1], [1,3]: W = 5000, 10000. b < 5000 in the
		// first (0 + b/5000); 5000 and up in the second: 1 + (b-5000)*2/5000.
		{desc: "two buckets", buckets: []summary.Bucket{{Left: 0, Right: 1, Count: 2}, {Left: 1, Right: 3, Count: 2}},
			want: [9]float64{0, 0.1336, 0.3174, 0.617, 1, 1.766, 2.3652, 2.7328, 3}},
		// An empty first bucket is skipped, and the first bucket with
		// weight then spans from the smallest edge: -5 + b*15/10000.
		{desc: "empty leading bucket", buckets: []summary.Bucket{{Left: -5, Right: 0, Count: 0}, {Left: 0, Right: 10, Count: 1}},
			want: [9]float64{-5, -3.998, -2.6195, -0.3725, 2.5, 5.3725, 7.6195, 8.998, 10}},
		{desc: "all counts zero", buckets: []summary.Bucket{{Left: 1, Right: 2, Count: 0}},
			want: [9]float64{2, 2, 2, 2, 2, 2, 2, 2, 2}},
	}
	for _, tc := range tests {
		got := history.Distribution(tc.buckets)
		for i := range got {
			if math.Abs(got[i]-tc.want[i]) > 1e-9 {
				t.Errorf("%s: %v, want %v", tc.desc, got, tc.want)
				break
			}
		}
	}
}

func BenchmarkScalars(b *testing.B) {
	for _, n := range []int{1000, 100000} {
		dir := b.TempDir()
		file := writeFile(b, dir, 0, func(w *summary.Writer) error {
			for i := range n {
				if err := w.Scalar("loss", int64(i), 1/float64(i+1)); err != nil {
					return err
				}
			}
			return nil
		})
		info, err := os.Stat(file)
		if err != nil {
			b.Fatal(err)
		}
		src := open(b, dir)
		for _, view := range []history.View{history.Raw, history.TensorBoard} {
			b.Run(fmt.Sprintf("view=%v/size=%d", view, n), func(b *testing.B) {
				b.ReportAllocs()
				b.SetBytes(info.Size())
				o := &history.Options{View: view}
				for b.Loop() {
					got := 0
					if err := src.Scalars(context.Background(), o, func(*history.Scalar) error { got++; return nil }); err != nil {
						b.Fatal(err)
					}
					if got != n {
						b.Fatalf("%d scalars, want %d", got, n)
					}
				}
			})
		}
	}
}

// TestSessionReusedRun: a run directory written twice holds two sessions;
// TensorBoard shows the first start and the first end (both loaders read
// them from the first value's metadata), and so does Session, in either
// view. compat's TestReusedRunDir checks this against both loaders.
func TestSessionReusedRun(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	session := func(lr float64, status summary.Status) func(w *summary.Writer) error {
		return func(w *summary.Writer) error {
			if err := w.StartSession(map[string]any{"lr": lr}, nil); err != nil {
				return err
			}
			if err := w.Scalar("loss", 0, lr); err != nil {
				return err
			}
			return w.EndSession(status)
		}
	}
	writeFile(t, dir, 0, session(0.1, summary.StatusFailure))
	writeFile(t, dir, 100, session(0.2, summary.StatusSuccess))
	src := open(t, dir)
	for _, view := range []history.View{history.Raw, history.TensorBoard} {
		var s history.Session
		if err := src.Values(context.Background(), &history.Options{View: view}, func(v *history.Value) error {
			_, err := s.Add(&v.Value)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if s.HParams["lr"] != 0.1 || s.Status != summary.StatusFailure {
			t.Errorf("view %v: lr %v, status %v; want the first session's 0.1, STATUS_FAILURE", view, s.HParams["lr"], s.Status)
		}
	}
}

// TestOpenNonUTF8: a directory whose name is not UTF-8 does not make the
// logdir unreadable (issue 11, item 6): it is skipped, and Skipped says so.
func TestOpenNonUTF8(t *testing.T) {
	t.Parallel()
	logdir := t.TempDir()
	writeFile(t, filepath.Join(logdir, "run"), 0, scalars("x", 0, 1))
	if err := os.Mkdir(filepath.Join(logdir, "junk\xff"), 0o755); err != nil {
		t.Skipf("this file system refuses non-UTF-8 names: %v", err)
	}
	writeFile(t, filepath.Join(logdir, "junk\xff"), 0, scalars("x", 0))
	src := open(t, logdir)
	if runs := src.Runs(); len(runs) != 1 || runs[0].Name != "run" {
		t.Errorf("runs %+v, want just run", runs)
	}
	if sk := src.Skipped(); len(sk) != 1 || !strings.Contains(sk[0].String(), "junk") {
		t.Errorf("Skipped() = %v, want the non-UTF-8 directory", sk)
	}
	n := 0
	if err := src.Values(context.Background(), nil, func(*history.Value) error { n++; return nil }); err != nil || n != 2 {
		t.Errorf("read %d values, %v", n, err)
	}
}
