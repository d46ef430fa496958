package summary

import (
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/tbgo/tbgo/proto/hparamspb"
)

// Discrete takes the values of a slice of any element type.
func TestDiscreteOfSlices(t *testing.T) {
	lrs := []float64{0.1, 0.01}
	names := []optimizerName{"adam", "sgd"}
	for _, tt := range []struct {
		d    Domain
		want []any
		typ  HParamType
	}{
		{Discrete(lrs...), []any{0.1, 0.01}, HParamFloat64},
		{Discrete(names...), []any{optimizerName("adam"), optimizerName("sgd")}, HParamString},
		{Discrete([]bool{true}...), []any{true}, HParamBool},
		{Discrete[any](1, 0.5), []any{1, 0.5}, HParamFloat64},
	} {
		if got := tt.d.Values(); !reflect.DeepEqual(got, tt.want) || tt.d.Type() != tt.typ {
			t.Errorf("domain %v: values %v of %v, want %v of %v", tt.d, got, tt.d.Type(), tt.want, tt.typ)
		}
	}
}

func TestNewSweep(t *testing.T) {
	logdir := t.TempDir()
	space := map[string]any{
		"lr":        []float64{0.1, 0.01, 0.001},
		"optimizer": [2]string{"adam", "sgd"},
		"bn":        true,
		"momentum":  Interval(0, 0.99),
	}
	s, err := NewSweep(logdir, space, Metric{Tag: "loss"}, Metric{Tag: "accuracy", Group: "validation"})
	if err != nil {
		t.Fatal(err)
	}
	got, err := ReadExperiment(logdir)
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		name string
		d    string
	}{{"bn", "{true}"}, {"lr", "{0.1, 0.01, 0.001}"}, {"momentum", "[0, 0.99]"}, {"optimizer", "{adam, sgd}"}}
	if len(got.HParams) != len(want) || len(got.Metrics) != 2 {
		t.Fatalf("experiment %+v, want 4 hparams and 2 metrics", got)
	}
	for i, w := range want {
		if h := got.HParams[i]; h.Name != w.name || h.Domain.String() != w.d {
			t.Errorf("hparam %d = %s %v, want %s %s", i, h.Name, h.Domain, w.name, w.d)
		}
	}
	if s.Logdir() != logdir || len(s.Experiment().HParams) != 4 {
		t.Errorf("Logdir() = %q, Experiment() = %+v", s.Logdir(), s.Experiment())
	}

	for _, tt := range []struct {
		desc    string
		space   map[string]any
		metrics []Metric
		msg     string
	}{
		{"no metrics", map[string]any{"lr": 0.1}, nil, "at least one metric"},
		{"no values", map[string]any{"lr": []float64{}}, []Metric{{Tag: "loss"}}, `hparam "lr": no values`},
		{"a value of no hparam type", map[string]any{"f": []any{1, struct{}{}}}, []Metric{{Tag: "loss"}}, `hparam "f": value 1: value {} has type struct {}`},
		{"a map", map[string]any{"m": map[string]int{}}, []Metric{{Tag: "loss"}}, "has type map[string]int"},
		{"mixed types", map[string]any{"x": []any{"a", 1}}, []Metric{{Tag: "loss"}}, "is a float64, value 0 a string"},
	} {
		t.Run(tt.desc, func(t *testing.T) {
			dir := t.TempDir()
			if _, err := NewSweep(dir, tt.space, tt.metrics...); err == nil || !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("NewSweep = %v, want an error saying %q", err, tt.msg)
			}
			if entries, _ := os.ReadDir(dir); len(entries) != 0 {
				t.Errorf("a refused sweep wrote %d files", len(entries))
			}
		})
	}
}

// sessionOf returns the session start and the statuses of the session
// ends of the run in dir.
func sessionOf(t *testing.T, dir string) (*hparamspb.SessionStartInfo, []hparamspb.Status) {
	t.Helper()
	got := hparamsValues(t, readEvents(t, dir))
	if len(got[SessionStartTag]) != 1 {
		t.Fatalf("%s: %d session starts, want 1", dir, len(got[SessionStartTag]))
	}
	start := hparamsPluginData(t, got[SessionStartTag][0]).GetSessionStartInfo()
	var ends []hparamspb.Status
	for _, v := range got[SessionEndTag] {
		ends = append(ends, hparamsPluginData(t, v).GetSessionEndInfo().GetStatus())
	}
	return start, ends
}

// TestSweepTrial runs trials: each in a run named after its values (a
// second run of the same values in a run of its own), its session started
// with them and ended by Close, with success unless the trial said
// otherwise; values outside the space are refused before any run is made.
func TestSweepTrial(t *testing.T) {
	logdir := t.TempDir()
	s, err := NewSweep(logdir, map[string]any{"lr": []float64{0.1, 0.01}, "opt": []string{"adam", "s/gd"}}, Metric{Tag: "loss"})
	if err != nil {
		t.Fatal(err)
	}
	trials := []struct {
		hparams map[string]any
		opts    *TrialOptions
		fail    bool
		run     string
	}{
		{map[string]any{"lr": 0.1, "opt": "adam"}, nil, false, "lr=0.1,opt=adam"},
		{map[string]any{"lr": 0.01, "opt": "s/gd"}, nil, true, "lr=0.01,opt=s_gd"},
		{map[string]any{"lr": 0.1, "opt": "adam"}, nil, false, "lr=0.1,opt=adam_2"},
		{map[string]any{"lr": 0.01}, &TrialOptions{Name: "seeds/1", Session: SessionOptions{Group: "g"}}, false, "seeds/1"},
	}
	for _, tr := range trials {
		w, err := s.Trial(tr.hparams, tr.opts)
		if err != nil {
			t.Fatal(err)
		}
		if rel, _ := filepath.Rel(logdir, w.Dir()); filepath.ToSlash(rel) != tr.run {
			t.Errorf("trial %v in run %q, want %q", tr.hparams, rel, tr.run)
		}
		if err := w.Scalar("loss", 1, 0.5); err != nil {
			t.Fatal(err)
		}
		if tr.fail {
			if err := w.EndSession(StatusFailure); err != nil {
				t.Fatal(err)
			}
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		start, ends := sessionOf(t, w.Dir())
		want := hparamspb.Status_STATUS_SUCCESS
		if tr.fail {
			want = hparamspb.Status_STATUS_FAILURE
		}
		if !slices.Equal(ends, []hparamspb.Status{want}) {
			t.Errorf("run %s: session ends %v, want one %v", tr.run, ends, want)
		}
		if got := start.GetHparams()["lr"].GetNumberValue(); got != tr.hparams["lr"] {
			t.Errorf("run %s: lr %v, want %v", tr.run, got, tr.hparams["lr"])
		}
		if tr.opts != nil && start.GetGroupName() != tr.opts.Session.Group {
			t.Errorf("run %s: group %q, want %q", tr.run, start.GetGroupName(), tr.opts.Session.Group)
		}
	}

	before, _ := filepath.Glob(filepath.Join(logdir, "*"))
	for _, tt := range []struct {
		desc    string
		hparams map[string]any
		opts    *TrialOptions
		msg     string
	}{
		{"a value outside the space", map[string]any{"lr": 0.5}, nil, "outside its domain"},
		{"an undeclared hparam", map[string]any{"seed": 1}, nil, `"seed" is not declared`},
		{"a run outside the logdir", map[string]any{"lr": 0.1}, &TrialOptions{Name: "../x"}, "not a path below the logdir"},
	} {
		if _, err := s.Trial(tt.hparams, tt.opts); err == nil || !strings.Contains(err.Error(), tt.msg) {
			t.Errorf("%s: Trial = %v, want an error saying %q", tt.desc, err, tt.msg)
		}
	}
	if after, _ := filepath.Glob(filepath.Join(logdir, "*")); len(after) != len(before) {
		t.Errorf("refused trials made runs: %v, before %v", after, before)
	}
}
