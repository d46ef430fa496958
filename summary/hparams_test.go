package summary

import (
	"bytes"
	"math"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/encoding/prototext"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/tbgo/tbgo/proto/hparamspb"
	"github.com/tbgo/tbgo/proto/tbpb"
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
					{Name: "layers", Domain: Discrete[any](2, layerCount(4), int64(8), 0.5)},
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
		{"empty discrete", Experiment{HParams: []HParam{{Name: "x", Domain: Discrete[float64]()}}}, "empty discrete domain"},
		{"mixed types", Experiment{HParams: []HParam{{Name: "x", Domain: Discrete[any]("a", 1)}}}, `domain value 1, 1, is a float64, value 0 a string`},
		{"NaN value", Experiment{HParams: []HParam{{Name: "x", Domain: Discrete(1.0, math.NaN())}}}, "not finite"},
		{"Inf value", Experiment{HParams: []HParam{{Name: "x", Domain: Discrete(math.Inf(-1))}}}, "not finite"},
		{"duplicate value", Experiment{HParams: []HParam{{Name: "x", Domain: Discrete(2, 2.0)}}}, "domain value 2 is listed twice"},
		{"unsupported value", Experiment{HParams: []HParam{{Name: "x", Domain: Discrete([]int{1})}}}, "has type []int; want a string, bool or number"},
		{"nil value", Experiment{HParams: []HParam{{Name: "x", Domain: Discrete[any](nil)}}}, "value is nil"},
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
		{"discrete numbers", Discrete[any](layerCount(2), 0.5), HParamFloat64, []any{layerCount(2), 0.5}, nil, "{2, 0.5}"},
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
