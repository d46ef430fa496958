package summary

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tbgo/tbgo/internal/s3test"
	"github.com/tbgo/tbgo/internal/testenv"
	"github.com/tbgo/tbgo/proto/hparamspb"
	"github.com/tbgo/tbgo/storage"
	"github.com/tbgo/tbgo/tfevents"
)

func TestExperimentValueCreatedNow(t *testing.T) {
	before := tfevents.WallTime(time.Now())
	v, err := ExperimentValue(Experiment{HParams: []HParam{{Name: "x", Domain: Interval(0, 1)}}})
	if err != nil {
		t.Fatal(err)
	}
	got := hparamsPluginData(t, v).GetExperiment().TimeCreatedSecs
	if after := tfevents.WallTime(time.Now()); got < before || got > after {
		t.Errorf("time created = %f, want between %f and %f", got, before, after)
	}
}

// rootFiles returns the event files directly in logdir.
func rootFiles(t *testing.T, logdir string) []string {
	t.Helper()
	entries, err := os.ReadDir(logdir)
	if err != nil {
		t.Fatal(err)
	}
	var files []string
	for _, e := range entries {
		if !e.IsDir() && tfevents.IsEventFile(e.Name()) {
			files = append(files, e.Name())
		}
	}
	return files
}

func TestWriteExperimentGrows(t *testing.T) {
	logdir := t.TempDir()
	v1 := Experiment{
		Name: "sweep",
		HParams: []HParam{
			{Name: "optimizer", Domain: Discrete("adam", "sgd")},
			{Name: "lr", Domain: Interval(1e-3, 1e-2)},
		},
		Metrics: []Metric{{Tag: "loss"}},
	}
	if err := WriteExperiment(logdir, v1); err != nil {
		t.Fatal(err)
	}
	first := rootFiles(t, logdir)
	got, err := ReadExperiment(logdir)
	if err != nil {
		t.Fatal(err)
	}
	created := got.Created
	if created.IsZero() || time.Since(created) > time.Minute {
		t.Errorf("created = %v, want about now", created)
	}

	// The same declaration again writes nothing.
	if err := WriteExperiment(logdir, v1); err != nil {
		t.Fatal(err)
	}
	if files := rootFiles(t, logdir); !reflect.DeepEqual(files, first) {
		t.Errorf("declaring the same experiment again: root files %v, want %v unchanged", files, first)
	}

	v2 := Experiment{
		Description: "grown",
		HParams: []HParam{
			{Name: "optimizer", DisplayName: "Optimizer", Domain: Discrete("rmsprop", "adam")},
			{Name: "lr", Domain: Interval(1e-4, 5e-3)},
			{Name: "dropout", Domain: Interval(0, 0.5)},
		},
		Metrics: []Metric{{Tag: "loss", DisplayName: "Loss"}, {Tag: "accuracy", Group: "validation"}},
	}
	time.Sleep(10 * time.Millisecond)
	if err := WriteExperiment(logdir, v2); err != nil {
		t.Fatal(err)
	}
	files := rootFiles(t, logdir)
	if len(files) != 1 || files[0] == first[0] {
		t.Errorf("root files after growing = %v, want one new file replacing %v", files, first)
	}
	got, err = ReadExperiment(logdir)
	if err != nil {
		t.Fatal(err)
	}
	want := &Experiment{
		Name: "sweep", Description: "grown", Created: created,
		HParams: []HParam{
			{Name: "optimizer", DisplayName: "Optimizer", Domain: Discrete("adam", "sgd", "rmsprop")},
			{Name: "lr", Domain: Interval(1e-4, 1e-2)},
			{Name: "dropout", Domain: Interval(0, 0.5)},
		},
		Metrics: []Metric{{Tag: "loss", DisplayName: "Loss"}, {Tag: "accuracy", Group: "validation"}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("experiment after growing =\n%+v\nwant\n%+v", got, want)
	}

	// A type that changes is refused, and nothing changes.
	err = WriteExperiment(logdir, Experiment{HParams: []HParam{{Name: "lr", Domain: Discrete("fast")}}})
	if err == nil || !strings.Contains(err.Error(), `hparam "lr" was declared with float64 values, now with string values`) {
		t.Errorf("changing a type: error = %v", err)
	}
	if again := rootFiles(t, logdir); !reflect.DeepEqual(again, files) {
		t.Errorf("root files after a refused declaration = %v, want %v", again, files)
	}
}

func TestWriteExperimentRoot(t *testing.T) {
	exp := Experiment{HParams: []HParam{{Name: "x", Domain: Discrete(1, 2)}}}
	expValue, err := ExperimentValue(exp)
	if err != nil {
		t.Fatal(err)
	}
	grown := Experiment{HParams: []HParam{{Name: "x", Domain: Discrete(3)}}}
	t.Run("scalars at the root are kept", func(t *testing.T) {
		logdir := t.TempDir()
		w, err := NewWriter(logdir, nil)
		if err != nil {
			t.Fatal(err)
		}
		w.Scalar("sweep/best", 0, 1)
		w.Close()
		if err := WriteExperiment(logdir, exp); err != nil {
			t.Fatal(err)
		}
		if err := WriteExperiment(logdir, grown); err != nil {
			t.Fatal(err)
		}
		if files := rootFiles(t, logdir); len(files) != 2 || files[0] != filepath.Base(w.FileName()) {
			t.Errorf("root files = %v, want the scalars' %s and one experiment", files, filepath.Base(w.FileName()))
		}
		got, err := ReadExperiment(logdir)
		if err != nil {
			t.Fatal(err)
		}
		if d := got.HParams[0].Domain; !reflect.DeepEqual(d.Values(), []any{1.0, 2.0, 3.0}) {
			t.Errorf("domain = %v, want {1, 2, 3}", d)
		}
	})
	t.Run("experiment among other data", func(t *testing.T) {
		logdir := t.TempDir()
		w, err := NewWriter(logdir, nil)
		if err != nil {
			t.Fatal(err)
		}
		w.WriteValue(0, expValue)
		w.Scalar("sweep/best", 0, 1)
		w.Close()
		err = WriteExperiment(logdir, grown)
		if err == nil || !strings.Contains(err.Error(), "declares an experiment among other data") {
			t.Errorf("error = %v, want one saying the experiment cannot be replaced", err)
		}
		if files := rootFiles(t, logdir); len(files) != 1 {
			t.Errorf("root files = %v, want only the original", files)
		}
	})
	t.Run("leftovers of an interrupted write are joined", func(t *testing.T) {
		logdir := t.TempDir()
		for _, e := range []Experiment{exp, grown} {
			v, err := ExperimentValue(e)
			if err != nil {
				t.Fatal(err)
			}
			w, err := NewWriter(logdir, nil)
			if err != nil {
				t.Fatal(err)
			}
			w.WriteValue(0, v)
			w.Close()
		}
		got, err := ReadExperiment(logdir)
		if err != nil {
			t.Fatal(err)
		}
		if d := got.HParams[0].Domain; !reflect.DeepEqual(d.Values(), []any{1.0, 2.0}) {
			t.Errorf("before: domain = %v, want the first file's {1, 2}, as TensorBoard reads it", d)
		}
		if err := WriteExperiment(logdir, exp); err != nil {
			t.Fatal(err)
		}
		if files := rootFiles(t, logdir); len(files) != 1 {
			t.Errorf("root files = %v, want one", files)
		}
		if got, err = ReadExperiment(logdir); err != nil {
			t.Fatal(err)
		}
		if d := got.HParams[0].Domain; !reflect.DeepEqual(d.Values(), []any{1.0, 2.0, 3.0}) {
			t.Errorf("after: domain = %v, want {1, 2, 3}", d)
		}
	})
	t.Run("no experiment", func(t *testing.T) {
		if _, err := ReadExperiment(t.TempDir()); !errors.Is(err, ErrNoExperiment) {
			t.Errorf("empty logdir: error = %v, want ErrNoExperiment", err)
		}
		if _, err := ReadExperiment(filepath.Join(t.TempDir(), "missing")); !errors.Is(err, ErrNoExperiment) {
			t.Errorf("missing logdir: error = %v, want ErrNoExperiment", err)
		}
	})
	t.Run("sessions go below, not at the root", func(t *testing.T) {
		logdir := t.TempDir()
		if err := WriteExperiment(logdir, exp); err != nil {
			t.Fatal(err)
		}
		w, err := NewWriter(filepath.Join(logdir, "trial"), nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := w.StartSession(map[string]any{"x": 2}, &SessionOptions{Experiment: &exp}); err != nil {
			t.Fatal(err)
		}
		w.Close()
		runs, err := tfevents.DiscoverRuns(logdir)
		if err != nil {
			t.Fatal(err)
		}
		if len(runs) != 2 || runs[0].Name != "." || runs[1].Name != "trial" {
			t.Errorf("runs = %+v, want \".\" and \"trial\" only", runs)
		}
	})
}

func TestMergeHParam(t *testing.T) {
	info := func(h HParam) *hparamspb.HParamInfo {
		x := &hparamspb.HParamInfo{Name: h.Name}
		if err := h.Domain.fill(x); err != nil {
			t.Fatal(err)
		}
		return x
	}
	tests := []struct {
		desc string
		a, b Domain
		want Domain
	}{
		{"discrete strings", Discrete("a", "b"), Discrete("c", "a"), Discrete("a", "b", "c")},
		{"discrete bools", Discrete(true), Discrete(false), Discrete(true, false)},
		{"intervals", Interval(0, 1), Interval(-1, 0.5), Interval(-1, 1)},
		{"numbers and interval", Discrete(5, -3), Interval(0, 1), Interval(-3, 5)},
		{"interval and numbers", Interval(0, 1), Discrete(0.5), Interval(0, 1)},
		{"any absorbs discrete", AnyOf(HParamString), Discrete("x"), AnyOf(HParamString)},
		{"discrete into any", Discrete("x"), AnyOf(HParamString), AnyOf(HParamString)},
		{"unset takes the other", Domain{}, Discrete(1), Discrete(1.0)},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			a := &hparamspb.HParamInfo{Name: "h"}
			if tt.a.kind != noDomain {
				a = info(HParam{Name: "h", Domain: tt.a})
			}
			if err := mergeHParam(a, info(HParam{Name: "h", Domain: tt.b})); err != nil {
				t.Fatal(err)
			}
			protoDiff(t, "merged", a, info(HParam{Name: "h", Domain: tt.want}))
		})
	}
}

// testConcurrentExperiment has n goroutines declare an experiment at the
// logdir location at once, each with a hyper-parameter of its own: the
// root then holds one event file, ExperimentObject, declaring them all
// (no lost update), and declaring one again writes nothing.
func testConcurrentExperiment(t *testing.T, location string, n int) {
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = WriteExperiment(location, Experiment{
				HParams: []HParam{{Name: "lr", Domain: Interval(0.001, 0.1)}, {Name: fmt.Sprintf("h%02d", i), Domain: Discrete(i)}},
				Metrics: []Metric{{Tag: "loss"}},
			})
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	got, err := ReadExperiment(location)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, h := range got.HParams {
		names = append(names, h.Name)
	}
	slices.Sort(names)
	want := []string{"lr"}
	for i := range n {
		want = append(want, fmt.Sprintf("h%02d", i))
	}
	slices.Sort(want)
	if !slices.Equal(names, want) {
		t.Errorf("after %d concurrent declarations the experiment has %v, want %v", n, names, want)
	}

	st, err := storage.Open(ctx, location)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	entries, err := fs.ReadDir(st.FS(), ".")
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 || entries[0].Name() != ExperimentObject {
		t.Errorf("the root holds %v, want only %s", entries, ExperimentObject)
	}
	before, err := st.Bucket().Stat(ctx, st.Key(ExperimentObject))
	if err != nil {
		t.Fatal(err)
	}
	if err := WriteExperiment(location, Experiment{HParams: []HParam{{Name: "h00", Domain: Discrete(0)}}}); err != nil {
		t.Fatal(err)
	}
	after, err := st.Bucket().Stat(ctx, st.Key(ExperimentObject))
	if err != nil {
		t.Fatal(err)
	}
	if after.Version != before.Version {
		t.Errorf("declaring what the experiment holds already replaced it (version %s, then %s)", before.Version, after.Version)
	}
}

func TestWriteExperimentConcurrentMem(t *testing.T) {
	testConcurrentExperiment(t, testenv.MemBucket(t)+"/sweep", 8)
}

// TestWriteExperimentConcurrentS3 runs the concurrent declarations
// against a real S3 server, whose conditional writes (If-None-Match,
// If-Match) decide the races.
func TestWriteExperimentConcurrentS3(t *testing.T) {
	srv := s3test.Start(t)
	testConcurrentExperiment(t, srv.URL("tbgo", "sweep"), 8)
}

// TestWriteExperimentBucketMerges merges into experiment-only files that
// another program left at a bucket's root, and refuses a root file that
// declares an experiment among other data.
func TestWriteExperimentBucketMerges(t *testing.T) {
	loc := testenv.MemBucket(t) + "/sweep"
	w, err := NewWriter(loc, &Options{Sink: &storage.SinkOptions{MaxAge: time.Hour}})
	if err != nil {
		t.Fatal(err)
	}
	v, err := ExperimentValue(Experiment{HParams: []HParam{{Name: "old", Domain: Discrete("a")}}})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.WriteValue(0, v); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := WriteExperiment(loc, Experiment{HParams: []HParam{{Name: "new", Domain: Discrete("b")}}}); err != nil {
		t.Fatal(err)
	}
	got, err := ReadExperiment(loc)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.HParams) != 2 || got.HParams[0].Name != "old" || got.HParams[1].Name != "new" {
		t.Errorf("experiment %+v, want old and new merged", got.HParams)
	}

	mixed := testenv.MemBucket(t) + "/mixed"
	w, err = NewWriter(mixed, nil)
	if err != nil {
		t.Fatal(err)
	}
	w.WriteValue(0, v)
	w.Scalar("loss", 0, 1)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	err = WriteExperiment(mixed, Experiment{HParams: []HParam{{Name: "new", Domain: Discrete("b")}}})
	if err == nil || !strings.Contains(err.Error(), "among other data") {
		t.Errorf("WriteExperiment over a root with other data: %v, want a refusal", err)
	}
	if err != nil && !strings.Contains(err.Error(), mixed+"/events.out.tfevents.") {
		t.Errorf("the refusal does not name the file by its URL below %s: %v", mixed, err)
	}
}

// A Sweep in a bucket: each trial is a run of its own, a trial run again
// gets a new run, and the experiment at the root declares the space.
func TestSweepBucket(t *testing.T) {
	logdir := testenv.MemBucket(t) + "/lr"
	s, err := NewSweep(logdir, map[string]any{"lr": []float64{0.1, 0.01}}, Metric{Tag: "loss"})
	if err != nil {
		t.Fatal(err)
	}
	var dirs []string
	for _, lr := range []float64{0.1, 0.01, 0.1} {
		w, err := s.Trial(map[string]any{"lr": lr}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := w.Scalar("loss", 0, lr); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		dirs = append(dirs, w.Dir())
	}
	want := []string{logdir + "/lr=0.1", logdir + "/lr=0.01", logdir + "/lr=0.1_2"}
	if !slices.Equal(dirs, want) {
		t.Errorf("trial runs %q, want %q", dirs, want)
	}
	if exp, err := ReadExperiment(logdir); err != nil || len(exp.HParams) != 1 || exp.HParams[0].Name != "lr" {
		t.Errorf("experiment %+v, %v", exp, err)
	}
}
