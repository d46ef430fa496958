package summary

import (
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/structpb"

	"github.com/tbgo/tbgo/proto/hparamspb"
	"github.com/tbgo/tbgo/tfevents"
)

func TestStartSession(t *testing.T) {
	w, dir := newTestWriter(t)
	start := time.Unix(1600000000, 0)
	hparams := map[string]any{
		"optimizer":  optimizerName("adam"),
		"name":       "run 1",
		"batch_norm": true,
		"layers":     layerCount(4),
		"units":      -128,
		"big":        int64(1 << 53),
		"unsigned":   uint64(1 << 60),
		"dropout":    float32(0.25),
		"lr":         1e-3,
		"zero":       0,
	}
	opts := &SessionOptions{Group: "g", ModelURI: "file:///m", MonitorURL: "http://m", Start: start}
	if err := w.StartSession(hparams, opts); err != nil {
		t.Fatal(err)
	}
	if err := w.Scalar("loss", 1, 0.5); err != nil {
		t.Fatal(err)
	}
	if err := w.EndSession(StatusFailure); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	got := hparamsValues(t, readEvents(t, dir)[1:])
	want := &hparamspb.SessionStartInfo{
		Hparams: map[string]*structpb.Value{
			"optimizer": hpStr("adam"), "name": hpStr("run 1"), "batch_norm": hpBool(true), "layers": hpNum(4), "units": hpNum(-128),
			"big": hpNum(1 << 53), "unsigned": hpNum(1 << 60), "dropout": hpNum(0.25), "lr": hpNum(1e-3), "zero": hpNum(0),
		},
		GroupName: "g", ModelUri: "file:///m", MonitorUrl: "http://m", StartTimeSecs: 1600000000,
	}
	if len(got[SessionStartTag]) != 1 || len(got[SessionEndTag]) != 1 || len(got["loss"]) != 1 || len(got) != 3 {
		t.Fatalf("tags written = %v, want one session start, one end and the scalar", got)
	}
	protoDiff(t, "session start", hparamsPluginData(t, got[SessionStartTag][0]).GetSessionStartInfo(), want)
	protoDiff(t, "session end", hparamsPluginData(t, got[SessionEndTag][0]).GetSessionEndInfo(),
		&hparamspb.SessionEndInfo{Status: hparamspb.Status_STATUS_FAILURE, EndTimeSecs: tfevents.WallTime(fixedTime)})
}

func TestStartSessionNowAndNoValues(t *testing.T) {
	w, dir := newTestWriter(t)
	if err := w.StartSession(nil, nil); err != nil {
		t.Fatal(err)
	}
	w.Close()
	got := hparamsValues(t, readEvents(t, dir)[1:])
	protoDiff(t, "session start", hparamsPluginData(t, got[SessionStartTag][0]).GetSessionStartInfo(),
		&hparamspb.SessionStartInfo{Hparams: map[string]*structpb.Value{}, StartTimeSecs: tfevents.WallTime(fixedTime)})
}

// fakeRun is a RunDescription of fixed parts.
type fakeRun struct {
	md      string
	hparams map[string]any
	err     error
}

func (f fakeRun) Markdown() string { return f.md }

func (f fakeRun) HParams() (map[string]any, error) { return f.hparams, f.err }

// TestStartSessionRunInfo writes a session start with a run description:
// its hyper-parameters join the session's, unchecked by the experiment,
// and its Markdown goes under RunInfoTag at step 0.
func TestStartSessionRunInfo(t *testing.T) {
	w, dir := newTestWriter(t)
	info := fakeRun{md: "| run | |\n|:--|:--|\n| host | h |\n", hparams: map[string]any{"run/host": "h", "lr": 0.1}}
	hparams := map[string]any{"lr": 0.1, "seed": 7}
	exp := &Experiment{HParams: []HParam{{Name: "lr", Domain: Interval(0, 1)}, {Name: "seed", Domain: AnyOf(HParamFloat64)}}}
	if err := w.StartSession(hparams, &SessionOptions{RunInfo: info, Experiment: exp}); err != nil {
		t.Fatal(err)
	}
	w.Close()
	got := hparamsValues(t, readEvents(t, dir)[1:])
	if len(got) != 2 || len(got[SessionStartTag]) != 1 || len(got[RunInfoTag]) != 1 {
		t.Fatalf("tags written = %v, want one session start and one run info text", got)
	}
	start := hparamsPluginData(t, got[SessionStartTag][0]).GetSessionStartInfo()
	protoDiff(t, "session start", start, &hparamspb.SessionStartInfo{
		Hparams:       map[string]*structpb.Value{"lr": hpNum(0.1), "seed": hpNum(7), "run/host": hpStr("h")},
		StartTimeSecs: start.StartTimeSecs,
	})
	text := got[RunInfoTag][0]
	if md := text.GetMetadata().GetPluginData().GetPluginName(); md != PluginText {
		t.Errorf("%s plugin = %q, want text", RunInfoTag, md)
	}
	if cells := text.GetTensor().GetStringVal(); len(cells) != 1 || string(cells[0]) != info.md {
		t.Errorf("%s = %q, want the run info's Markdown", RunInfoTag, cells)
	}
}

func TestStartSessionBadInput(t *testing.T) {
	exp := &Experiment{HParams: []HParam{
		{Name: "optimizer", Domain: Discrete("adam", "sgd")},
		{Name: "lr", Domain: Interval(1e-4, 1e-2)},
		{Name: "layers", Domain: Discrete(2, 4)},
		{Name: "bn", Domain: Discrete(true)},
		{Name: "note", Domain: AnyOf(HParamString)},
	}}
	runInfo := fakeRun{hparams: map[string]any{"lr": 0.5}}
	tests := []struct {
		desc    string
		hparams map[string]any
		opts    *SessionOptions
		want    string
	}{
		{"NaN", map[string]any{"lr": math.NaN()}, nil, `hparam "lr": value NaN is not finite`},
		{"float32 Inf", map[string]any{"lr": float32(math.Inf(1))}, nil, "value +Inf is not finite"},
		{"nil", map[string]any{"x": nil}, nil, `hparam "x": value is nil`},
		{"slice", map[string]any{"x": []string{"a"}}, nil, "has type []string"},
		{"struct", map[string]any{"x": struct{}{}}, nil, "has type struct {}"},
		{"empty key", map[string]any{"": 1}, nil, "empty hparam name"},
		{"string not UTF-8", map[string]any{"x": "\xff"}, nil, "not valid UTF-8"},
		{"inexact integer", map[string]any{"x": uint64(1<<63 + 1)}, nil, "not exactly a float64"},
		{"max int64", map[string]any{"x": int64(math.MaxInt64)}, nil, "not exactly a float64"},
		{"undeclared", map[string]any{"momentum": 0.9}, &SessionOptions{Experiment: exp}, `hparam "momentum" is not declared`},
		{"outside discrete domain", map[string]any{"optimizer": "rmsprop"}, &SessionOptions{Experiment: exp}, `value "rmsprop" is outside its domain {adam, sgd}`},
		{"outside interval", map[string]any{"lr": 0.1}, &SessionOptions{Experiment: exp}, "value 0.1 is outside its domain [0.0001, 0.01]"},
		{"number not in discrete numbers", map[string]any{"layers": 3}, &SessionOptions{Experiment: exp}, "value 3 is outside its domain {2, 4}"},
		{"bool outside", map[string]any{"bn": false}, &SessionOptions{Experiment: exp}, "value false is outside its domain {true}"},
		{"wrong type", map[string]any{"lr": "0.001"}, &SessionOptions{Experiment: exp}, `value "0.001" is a string, the experiment declares float64 values`},
		{"wrong type for AnyOf", map[string]any{"note": 1}, &SessionOptions{Experiment: exp}, "is a float64, the experiment declares string values"},
		{"invalid experiment", map[string]any{"x": 1}, &SessionOptions{Experiment: &Experiment{}}, "declares no hparams"},
		{"group not UTF-8", nil, &SessionOptions{Group: "\xff"}, "session group"},
		{"run info disagrees", map[string]any{"lr": 0.25}, &SessionOptions{RunInfo: runInfo}, `hparam "lr" is 0.25, and 0.5 in the run info`},
		{"run info fails", nil, &SessionOptions{RunInfo: fakeRun{err: errors.New("runinfo: key reserved")}}, "run info: runinfo: key reserved"},
		{"run info bad value", nil, &SessionOptions{RunInfo: fakeRun{hparams: map[string]any{"x": math.NaN()}}}, `run info "x": value NaN is not finite`},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			w, dir := newTestWriter(t)
			err := w.StartSession(tt.hparams, tt.opts)
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.HasPrefix(err.Error(), "summary: ") {
				t.Errorf("StartSession error = %v, want one containing %q", err, tt.want)
			}
			if _, err := SessionStartValue(tt.hparams, tt.opts); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("SessionStartValue error = %v, want one containing %q", err, tt.want)
			}
			// The refused session start left no trace: a valid one
			// follows, and it is the only value.
			if err := w.StartSession(map[string]any{"optimizer": "adam"}, nil); err != nil {
				t.Fatalf("StartSession after a refused one: %v", err)
			}
			w.Close()
			if events := readEvents(t, dir); len(events) != 2 {
				t.Errorf("%d events written, want the file version and the valid session start", len(events))
			}
		})
	}
}

func TestSessionOrder(t *testing.T) {
	tests := []struct {
		desc  string
		calls func(w *Writer) error
		want  string
	}{
		{"end before start", func(w *Writer) error { return w.EndSession(StatusSuccess) }, "EndSession before StartSession"},
		{"start twice", func(w *Writer) error {
			if err := w.StartSession(nil, nil); err != nil {
				return err
			}
			return w.StartSession(map[string]any{"x": 1}, nil)
		}, "already started"},
		{"end twice", func(w *Writer) error {
			if err := w.StartSession(nil, nil); err != nil {
				return err
			}
			if err := w.EndSession(StatusRunning); err != nil {
				return err
			}
			return w.EndSession(StatusSuccess)
		}, "already ended"},
		{"bad status", func(w *Writer) error {
			if err := w.StartSession(nil, nil); err != nil {
				return err
			}
			return w.EndSession(Status(4))
		}, "session status Status(4) is not one of TensorBoard's"},
		{"start tag used by a scalar", func(w *Writer) error {
			if err := w.Scalar(SessionStartTag, 0, 1); err != nil {
				return err
			}
			return w.StartSession(nil, nil)
		}, "tag used for another kind of data"},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			w, _ := newTestWriter(t)
			defer w.Close()
			if err := tt.calls(w); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error = %v, want one containing %q", err, tt.want)
			}
		})
	}
}

func TestSessionEndValue(t *testing.T) {
	for _, s := range []Status{StatusUnknown, StatusSuccess, StatusFailure, StatusRunning} {
		t.Run(s.String(), func(t *testing.T) {
			v, err := SessionEndValue(s, time.Unix(10, 0))
			if err != nil {
				t.Fatal(err)
			}
			got := hparamsPluginData(t, v).GetSessionEndInfo()
			if got.Status.String() != s.String() || got.EndTimeSecs != 10 || v.Tag != SessionEndTag {
				t.Errorf("%s = %v, want status %v at 10 s", v.Tag, got, s)
			}
		})
	}
	if _, err := SessionEndValue(-1, time.Now()); err == nil {
		t.Error("SessionEndValue(-1) succeeded")
	}
}
