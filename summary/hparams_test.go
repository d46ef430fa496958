package summary

import (
	"bytes"
	"errors"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/encoding/prototext"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/tbgo/tbgo/proto/hparamspb"
	"github.com/tbgo/tbgo/proto/tbpb"
	"github.com/tbgo/tbgo/tfevents"
)

// hpNullTensor is TensorBoard's NULL_TENSOR serialized: dtype DT_FLOAT,
// shape {dim {size 0}}.
var hpNullTensor = []byte{0x08, 0x01, 0x12, 0x02, 0x12, 0x00}

// pluginData checks that v is an hparams value as TensorBoard writes one
// and returns its plugin data.
func hparamsPluginData(t *testing.T, v *tbpb.Summary_Value) *hparamspb.HParamsPluginData {
	t.Helper()
	md := v.GetMetadata()
	if md.GetPluginData().GetPluginName() != PluginHParams || md.GetDataClass() != tbpb.DataClass_DATA_CLASS_TENSOR {
		t.Fatalf("value %q metadata = %v, want plugin hparams, data class TENSOR", v.Tag, md)
	}
	tensor, err := proto.MarshalOptions{Deterministic: true}.Marshal(v.GetTensor())
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(tensor, hpNullTensor) {
		t.Errorf("value %q tensor = % x, want the null tensor % x", v.Tag, tensor, hpNullTensor)
	}
	var pd hparamspb.HParamsPluginData
	if err := proto.Unmarshal(md.PluginData.Content, &pd); err != nil {
		t.Fatal(err)
	}
	if pd.Version != 0 {
		t.Errorf("value %q plugin data version = %d, want 0", v.Tag, pd.Version)
	}
	return &pd
}

// hparamsValues returns the values of the hparams tags in events, by tag.
func hparamsValues(t *testing.T, events []*tbpb.Event) map[string][]*tbpb.Summary_Value {
	t.Helper()
	got := map[string][]*tbpb.Summary_Value{}
	for _, ev := range events {
		for _, v := range ev.GetSummary().GetValue() {
			got[v.Tag] = append(got[v.Tag], v)
			if strings.HasPrefix(v.Tag, "_hparams_/") && ev.Step != 0 {
				t.Errorf("%q written at step %d, want 0", v.Tag, ev.Step)
			}
		}
	}
	return got
}

func protoDiff(t *testing.T, what string, got, want proto.Message) {
	t.Helper()
	if !proto.Equal(got, want) {
		t.Errorf("%s =\n%v\nwant\n%v", what, prototext.Format(got), prototext.Format(want))
	}
}

func hpNum(f float64) *structpb.Value { return structpb.NewNumberValue(f) }
func hpStr(s string) *structpb.Value  { return structpb.NewStringValue(s) }
func hpBool(b bool) *structpb.Value   { return structpb.NewBoolValue(b) }

func hpDiscrete(vs ...*structpb.Value) *hparamspb.HParamInfo_DomainDiscrete {
	return &hparamspb.HParamInfo_DomainDiscrete{DomainDiscrete: &structpb.ListValue{Values: vs}}
}

func hpInterval(lo, hi float64) *hparamspb.HParamInfo_DomainInterval {
	return &hparamspb.HParamInfo_DomainInterval{DomainInterval: &hparamspb.Interval{MinValue: lo, MaxValue: hi}}
}

type optimizerName string

type layerCount uint8

func TestExperimentValue(t *testing.T) {
	created := time.Unix(1700000000, 500_000_000)
	tests := []struct {
		desc string
		exp  Experiment
		want *hparamspb.Experiment
	}{
		{
			desc: "every kind of domain, metrics",
			exp: Experiment{
				Name: "sweep", Description: "A *sweep*.", User: "ada", Created: created,
				HParams: []HParam{
					{Name: "optimizer", DisplayName: "Optimizer", Description: "Which one.", Domain: Discrete(optimizerName("adam"), "sgd")},
					{Name: "batch_norm", Domain: Discrete(true, false)},
					{Name: "layers", Domain: Discrete(2, layerCount(4), int64(8), 0.5)},
					{Name: "lr", Domain: Interval(1e-4, 0.1)},
					{Name: "seed", Domain: Interval(7, 7)},
					{Name: "revision", Domain: AnyOf(HParamString)},
					{Name: "only", Domain: Discrete("x")},
				},
				Metrics: []Metric{
					{Tag: "loss"},
					{Tag: "accuracy", Group: "validation", DisplayName: "val acc", Description: "Top-1.", Dataset: DatasetValidation},
					{Tag: "loss", Group: "eval/deep", Dataset: DatasetTraining},
				},
			},
			want: &hparamspb.Experiment{
				Name: "sweep", Description: "A *sweep*.", User: "ada", TimeCreatedSecs: 1700000000.5,
				HparamInfos: []*hparamspb.HParamInfo{
					{Name: "optimizer", DisplayName: "Optimizer", Description: "Which one.", Type: hparamspb.DataType_DATA_TYPE_STRING,
						Domain: hpDiscrete(hpStr("adam"), hpStr("sgd")), Differs: true},
					{Name: "batch_norm", Type: hparamspb.DataType_DATA_TYPE_BOOL, Domain: hpDiscrete(hpBool(true), hpBool(false)), Differs: true},
					{Name: "layers", Type: hparamspb.DataType_DATA_TYPE_FLOAT64, Domain: hpDiscrete(hpNum(2), hpNum(4), hpNum(8), hpNum(0.5)), Differs: true},
					{Name: "lr", Type: hparamspb.DataType_DATA_TYPE_FLOAT64, Domain: hpInterval(1e-4, 0.1), Differs: true},
					{Name: "seed", Type: hparamspb.DataType_DATA_TYPE_FLOAT64, Domain: hpInterval(7, 7)},
					{Name: "revision", Type: hparamspb.DataType_DATA_TYPE_STRING},
					{Name: "only", Type: hparamspb.DataType_DATA_TYPE_STRING, Domain: hpDiscrete(hpStr("x"))},
				},
				MetricInfos: []*hparamspb.MetricInfo{
					{Name: &hparamspb.MetricName{Tag: "loss"}},
					{Name: &hparamspb.MetricName{Group: "validation", Tag: "accuracy"}, DisplayName: "val acc", Description: "Top-1.",
						DatasetType: hparamspb.DatasetType_DATASET_VALIDATION},
					{Name: &hparamspb.MetricName{Group: "eval/deep", Tag: "loss"}, DatasetType: hparamspb.DatasetType_DATASET_TRAINING},
				},
			},
		},
		{
			desc: "one hparam, no metrics",
			exp:  Experiment{Created: created, HParams: []HParam{{Name: "x", Domain: AnyOf(HParamBool)}}},
			want: &hparamspb.Experiment{TimeCreatedSecs: 1700000000.5, HparamInfos: []*hparamspb.HParamInfo{
				{Name: "x", Type: hparamspb.DataType_DATA_TYPE_BOOL},
			}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			v, err := ExperimentValue(tt.exp)
			if err != nil {
				t.Fatal(err)
			}
			if v.Tag != ExperimentTag {
				t.Errorf("tag = %q, want %q", v.Tag, ExperimentTag)
			}
			protoDiff(t, "experiment", hparamsPluginData(t, v).GetExperiment(), tt.want)
		})
	}
}

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

func TestExperimentBadInput(t *testing.T) {
	ok := HParam{Name: "ok", Domain: Interval(0, 1)}
	tests := []struct {
		desc string
		exp  Experiment
		want string
	}{
		{"no hparams", Experiment{Metrics: []Metric{{Tag: "loss"}}}, "declares no hparams"},
		{"empty name", Experiment{HParams: []HParam{{Domain: Interval(0, 1)}}}, "empty hparam name"},
		{"name not UTF-8", Experiment{HParams: []HParam{{Name: "\xff", Domain: Interval(0, 1)}}}, "not valid UTF-8"},
		{"duplicate name", Experiment{HParams: []HParam{ok, ok}}, `hparam "ok" is declared twice`},
		{"no domain", Experiment{HParams: []HParam{{Name: "x"}}}, `hparam "x": no domain`},
		{"empty discrete", Experiment{HParams: []HParam{{Name: "x", Domain: Discrete()}}}, "empty discrete domain"},
		{"mixed types", Experiment{HParams: []HParam{{Name: "x", Domain: Discrete("a", 1)}}}, `domain value 1, 1, is a float64, value 0 a string`},
		{"NaN value", Experiment{HParams: []HParam{{Name: "x", Domain: Discrete(1.0, math.NaN())}}}, "not finite"},
		{"Inf value", Experiment{HParams: []HParam{{Name: "x", Domain: Discrete(math.Inf(-1))}}}, "not finite"},
		{"duplicate value", Experiment{HParams: []HParam{{Name: "x", Domain: Discrete(2, 2.0)}}}, "domain value 2 is listed twice"},
		{"unsupported value", Experiment{HParams: []HParam{{Name: "x", Domain: Discrete([]int{1})}}}, "has type []int; want a string, bool or number"},
		{"nil value", Experiment{HParams: []HParam{{Name: "x", Domain: Discrete(nil)}}}, "value is nil"},
		{"inexact integer", Experiment{HParams: []HParam{{Name: "x", Domain: Discrete(int64(1<<53 + 1))}}}, "not exactly a float64"},
		{"interval upside down", Experiment{HParams: []HParam{{Name: "x", Domain: Interval(1, 0)}}}, "minimum above its maximum"},
		{"interval NaN", Experiment{HParams: []HParam{{Name: "x", Domain: Interval(math.NaN(), 1)}}}, "not finite"},
		{"interval Inf", Experiment{HParams: []HParam{{Name: "x", Domain: Interval(0, math.Inf(1))}}}, "not finite"},
		{"AnyOf unset", Experiment{HParams: []HParam{{Name: "x", Domain: AnyOf(HParamUnset)}}}, "AnyOf(unset)"},
		{"metric empty tag", Experiment{HParams: []HParam{ok}, Metrics: []Metric{{Group: "g"}}}, "metric with an empty tag"},
		{"metric twice", Experiment{HParams: []HParam{ok}, Metrics: []Metric{{Tag: "a", Group: "g"}, {Tag: "a", Group: "g"}}}, `metric "a" of group "g" is declared twice`},
		{"metric absolute group", Experiment{HParams: []HParam{ok}, Metrics: []Metric{{Tag: "a", Group: "/g"}}}, "must be a relative path"},
		{"metric group trailing slash", Experiment{HParams: []HParam{ok}, Metrics: []Metric{{Tag: "a", Group: "g/"}}}, "must be a relative path"},
		{"metric group dot-dot", Experiment{HParams: []HParam{ok}, Metrics: []Metric{{Tag: "a", Group: "../g"}}}, "must be a relative path"},
		{"metric dataset", Experiment{HParams: []HParam{ok}, Metrics: []Metric{{Tag: "a", Dataset: 3}}}, "dataset 3"},
		{"description not UTF-8", Experiment{Description: "\xc3", HParams: []HParam{ok}}, "experiment description"},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			if _, err := ExperimentValue(tt.exp); err == nil || !strings.Contains(err.Error(), tt.want) || !strings.HasPrefix(err.Error(), "summary: ") {
				t.Errorf("ExperimentValue error = %v, want one containing %q", err, tt.want)
			}
			logdir := t.TempDir()
			if err := WriteExperiment(logdir, tt.exp); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("WriteExperiment error = %v, want one containing %q", err, tt.want)
			}
			if entries, _ := os.ReadDir(logdir); len(entries) != 0 {
				t.Errorf("WriteExperiment left %d files in the logdir after an error", len(entries))
			}
		})
	}
}

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

func (f fakeRun) Markdown() string                 { return f.md }
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

func TestCheck(t *testing.T) {
	exp := &Experiment{HParams: []HParam{
		{Name: "optimizer", Domain: Discrete("adam", "sgd")},
		{Name: "lr", Domain: Interval(1e-4, 1e-2)},
		{Name: "layers", Domain: Discrete(2, 4)},
		{Name: "note", Domain: AnyOf(HParamString)},
	}}
	for _, tt := range []struct {
		desc    string
		hparams map[string]any
	}{
		{"none", nil},
		{"some declared left out", map[string]any{"lr": 1e-3}},
		{"bounds included", map[string]any{"lr": 1e-4}},
		{"int matches a float64 domain value", map[string]any{"layers": uint8(4), "optimizer": optimizerName("sgd")}},
		{"any string", map[string]any{"note": "anything at all"}},
	} {
		t.Run(tt.desc, func(t *testing.T) {
			if err := exp.Check(tt.hparams); err != nil {
				t.Errorf("Check(%v) = %v, want nil", tt.hparams, err)
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

func TestDomainAccessors(t *testing.T) {
	tests := []struct {
		desc   string
		d      Domain
		typ    HParamType
		values []any
		bounds []float64
		str    string
	}{
		{"discrete", Discrete("adam", "sgd"), HParamString, []any{"adam", "sgd"}, nil, "{adam, sgd}"},
		{"discrete numbers", Discrete(layerCount(2), 0.5), HParamFloat64, []any{layerCount(2), 0.5}, nil, "{2, 0.5}"},
		{"discrete bad", Discrete(struct{}{}), HParamUnset, []any{struct{}{}}, nil, "{{}}"},
		{"interval", Interval(0, 1), HParamFloat64, nil, []float64{0, 1}, "[0, 1]"},
		{"any", AnyOf(HParamBool), HParamBool, nil, nil, "any bool"},
		{"zero", Domain{}, HParamUnset, nil, nil, "no domain"},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			lo, hi, ok := tt.d.Bounds()
			var bounds []float64
			if ok {
				bounds = []float64{lo, hi}
			}
			if tt.d.Type() != tt.typ || !reflect.DeepEqual(tt.d.Values(), tt.values) || !reflect.DeepEqual(bounds, tt.bounds) || tt.d.String() != tt.str {
				t.Errorf("Type, Values, Bounds, String = %v, %v, %v, %q; want %v, %v, %v, %q",
					tt.d.Type(), tt.d.Values(), bounds, tt.d.String(), tt.typ, tt.values, tt.bounds, tt.str)
			}
		})
	}
}

func TestEnumStrings(t *testing.T) {
	for _, tt := range []struct {
		desc string
		got  string
		want string
	}{
		{"string type", HParamString.String(), "string"},
		{"float64 type", HParamFloat64.String(), "float64"},
		{"bad type", HParamType(9).String(), "HParamType(9)"},
		{"success", StatusSuccess.String(), "STATUS_SUCCESS"},
		{"running", StatusRunning.String(), "STATUS_RUNNING"},
		{"bad status", Status(-1).String(), "Status(-1)"},
	} {
		if tt.got != tt.want {
			t.Errorf("%s: %q, want %q", tt.desc, tt.got, tt.want)
		}
	}
}
