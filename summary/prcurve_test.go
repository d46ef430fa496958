package summary

import (
	"encoding/binary"
	"errors"
	"math"
	"slices"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"
	"google.golang.org/protobuf/proto"

	"github.com/tbgo/tbgo/proto/tbpb"
)

func TestComputePRCurve(t *testing.T) {
	tests := []struct {
		desc        string
		labels      []bool
		predictions []float64
		opts        *PROptions
		want        PRCurveData
	}{
		{
			// buckets floor(p*2): 0.9→1, 0.6→1, 0.3→0, 0.1→0
			desc:        "three thresholds",
			labels:      []bool{true, false, true, false},
			predictions: []float64{0.9, 0.6, 0.3, 0.1},
			opts:        &PROptions{Thresholds: 3},
			want: PRCurveData{
				TruePositives:  []float64{2, 1, 0},
				FalsePositives: []float64{2, 1, 0},
				TrueNegatives:  []float64{0, 1, 2},
				FalseNegatives: []float64{0, 1, 2},
				Precision:      []float64{0.5, 0.5, 0},
				Recall:         []float64{1, 0.5, 0},
			},
		},
		{
			desc:        "prediction 1 falls in the last bucket",
			labels:      []bool{true},
			predictions: []float64{1},
			opts:        &PROptions{Thresholds: 2},
			want: PRCurveData{
				TruePositives:  []float64{1, 1},
				FalsePositives: []float64{0, 0},
				TrueNegatives:  []float64{0, 0},
				FalseNegatives: []float64{0, 0},
				Precision:      []float64{1, 1},
				Recall:         []float64{1, 1},
			},
		},
		{
			desc:        "prediction on a threshold counts at it",
			labels:      []bool{false},
			predictions: []float64{0.5},
			opts:        &PROptions{Thresholds: 3},
			want: PRCurveData{
				TruePositives:  []float64{0, 0, 0},
				FalsePositives: []float64{1, 1, 0},
				TrueNegatives:  []float64{0, 0, 1},
				FalseNegatives: []float64{0, 0, 0},
				Precision:      []float64{0, 0, 0},
				Recall:         []float64{0, 0, 0},
			},
		},
		{
			// All three predictions are below 1, in bucket 0; weight 0
			// masks the third example out.
			desc:        "weights",
			labels:      []bool{true, false, true},
			predictions: []float64{0.2, 0.7, 0.8},
			opts:        &PROptions{Thresholds: 2, Weights: []float64{2, 0.5, 0}},
			want: PRCurveData{
				TruePositives:  []float64{2, 0},
				FalsePositives: []float64{0.5, 0},
				TrueNegatives:  []float64{0, 0.5},
				FalseNegatives: []float64{0, 2},
				Precision:      []float64{0.8, 0},
				Recall:         []float64{1, 0},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			got, err := ComputePRCurve(tt.labels, tt.predictions, tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			gotRows, wantRows := got.rows(), tt.want.rows()
			for r := range gotRows {
				if !slices.Equal(gotRows[r], wantRows[r]) {
					t.Errorf("%s = %v, want %v", prRowNames[r], gotRows[r], wantRows[r])
				}
			}
			if got.Thresholds() != len(tt.want.TruePositives) {
				t.Errorf("Thresholds() = %d", got.Thresholds())
			}
		})
	}
}

func TestComputePRCurveBuckets(t *testing.T) {
	// 0.29*100 is 28.999999999999996 in float64, so TensorBoard's
	// floor puts 0.29 in bucket 28, below threshold 0.29.
	d, err := ComputePRCurve([]bool{true}, []float64{0.29}, &PROptions{Thresholds: 101})
	if err != nil {
		t.Fatal(err)
	}
	if d.TruePositives[28] != 1 || d.TruePositives[29] != 0 {
		t.Errorf("TP[28], TP[29] = %v, %v; want 1, 0", d.TruePositives[28], d.TruePositives[29])
	}
	d, err = ComputePRCurve([]bool{true, false}, []float64{0, 0}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if d.Thresholds() != DefaultPRThresholds || d.Precision[0] != 0.5 || d.Precision[1] != 0 {
		t.Errorf("default: %d thresholds, precision %v...", d.Thresholds(), d.Precision[:2])
	}
}

func TestPRCurveFromCounts(t *testing.T) {
	d, err := PRCurveFromCounts([]float64{3, 1, 0}, []float64{2, 0, 0}, []float64{0, 2, 2}, []float64{0, 2, 3})
	if err != nil {
		t.Fatal(err)
	}
	if want := []float64{0.6, 1, 0}; !slices.Equal(d.Precision, want) {
		t.Errorf("precision %v, want %v", d.Precision, want)
	}
	if want := []float64{1, 1.0 / 3, 0}; !slices.Equal(d.Recall, want) {
		t.Errorf("recall %v, want %v", d.Recall, want)
	}
}

// prTensor decodes the [6, T] tensor of a PR curve value into rows.
func prTensor(t *testing.T, v *tbpb.Summary_Value) [6][]float32 {
	t.Helper()
	md := v.GetMetadata()
	var pd tbpb.PrCurvePluginData
	if err := proto.Unmarshal(md.GetPluginData().GetContent(), &pd); err != nil {
		t.Fatal(err)
	}
	tensor := v.GetTensor()
	dims := tensor.GetTensorShape().GetDim()
	if md.GetPluginData().GetPluginName() != "pr_curves" || md.DataClass != tbpb.DataClass_DATA_CLASS_TENSOR ||
		tensor.Dtype != tbpb.DataType_DT_FLOAT || len(dims) != 2 || dims[0].Size != 6 || int64(pd.NumThresholds) != dims[1].Size ||
		pd.Version != 0 || len(tensor.TensorContent) != int(24*dims[1].Size) {
		t.Fatalf("PR curve value %v", v)
	}
	var rows [6][]float32
	n := int(pd.NumThresholds)
	for i := range 6 * n {
		rows[i/n] = append(rows[i/n], math.Float32frombits(binary.LittleEndian.Uint32(tensor.TensorContent[4*i:])))
	}
	return rows
}

func TestPRCurveValue(t *testing.T) {
	d, err := ComputePRCurve([]bool{true, false, true}, []float64{0.8, 0.4, 0.1}, &PROptions{Thresholds: 5})
	if err != nil {
		t.Fatal(err)
	}
	v, err := PRCurveValue("pr", d, Meta{DisplayName: "PR", Description: "d"})
	if err != nil {
		t.Fatal(err)
	}
	if v.Tag != "pr" || v.Metadata.DisplayName != "PR" || v.Metadata.SummaryDescription != "d" {
		t.Errorf("value %v", v)
	}
	// TensorBoard's metadata content: PrCurvePluginData{num_thresholds: 5}.
	if c := v.Metadata.PluginData.Content; string(c) != "\x10\x05" {
		t.Errorf("content %x, want 1005", c)
	}
	got := prTensor(t, v)
	for r, row := range d.rows() {
		for i, x := range row {
			if got[r][i] != float32(x) {
				t.Errorf("%s[%d] = %v, want %v", prRowNames[r], i, got[r][i], float32(x))
			}
		}
	}
	bad := *d
	bad.Recall = bad.Recall[:4]
	if _, err := PRCurveValue("pr", &bad, Meta{}); err == nil || !strings.Contains(err.Error(), "recall has 4 values") {
		t.Errorf("ragged data: error %v", err)
	}
	bad = *d
	bad.Precision = []float64{0, 0, math.NaN(), 0, 0}
	if _, err := PRCurveValue("pr", &bad, Meta{}); err == nil || !strings.Contains(err.Error(), "precision[2] = NaN") {
		t.Errorf("NaN data: error %v", err)
	}
	if _, err := PRCurveValue("pr", nil, Meta{}); err == nil {
		t.Error("nil data: no error")
	}
	if _, err := PRCurveValue("", d, Meta{}); !errors.Is(err, ErrEmptyTag) {
		t.Errorf("empty tag: error %v", err)
	}
}

func TestWriterPRCurve(t *testing.T) {
	w, dir := newTestWriter(t)
	labels := []int{0, 1, 2, 1, 0}
	probs := [][]float64{{0.7, 0.2, 0.1}, {0.1, 0.8, 0.1}, {0.3, 0.3, 0.4}, {0.5, 0.4, 0.1}, {0.2, 0.2, 0.6}}
	opts := &PROptions{Thresholds: 4, ClassNames: []string{"cat", "dog", "eel"}}
	if err := w.PRCurve("binary", 1, []bool{true, false}, []float64{0.9, 0.2}, &PROptions{Thresholds: 3}); err != nil {
		t.Fatal(err)
	}
	if err := w.PRCurveCounts("counts", 2, []float64{2, 1}, []float64{1, 0}, []float64{0, 1}, []float64{0, 1}); err != nil {
		t.Fatal(err)
	}
	if err := w.PRCurveClasses("ovr", 3, labels, probs, opts); err != nil {
		t.Fatal(err)
	}
	m := mat.NewDense(5, 3, slices.Concat(probs...))
	if err := w.PRCurveMatrix("mat", 4, labels, m, &PROptions{Thresholds: 4}); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}

	type want struct {
		tag  string
		step int64
		data *PRCurveData
	}
	var wants []want
	add := func(tag string, step int64, d *PRCurveData, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		wants = append(wants, want{tag, step, d})
	}
	d, err := ComputePRCurve([]bool{true, false}, []float64{0.9, 0.2}, &PROptions{Thresholds: 3})
	add("binary", 1, d, err)
	d, err = PRCurveFromCounts([]float64{2, 1}, []float64{1, 0}, []float64{0, 1}, []float64{0, 1})
	add("counts", 2, d, err)
	for _, prefix := range []string{"ovr/", "mat/class_"} {
		for c, name := range []string{"cat", "dog", "eel"} {
			var ls []bool
			var ps []float64
			for i, l := range labels {
				ls = append(ls, l == c)
				ps = append(ps, probs[i][c])
			}
			d, err := ComputePRCurve(ls, ps, &PROptions{Thresholds: 4})
			tag := prefix + name
			step := int64(3)
			if prefix == "mat/class_" {
				tag, step = prefix+string(rune('0'+c)), 4
			}
			add(tag, step, d, err)
		}
	}
	events := readEvents(t, dir)[1:]
	if len(events) != len(wants) {
		t.Fatalf("%d events, want %d", len(events), len(wants))
	}
	for i, ev := range events {
		wt := wants[i]
		vals := ev.GetSummary().GetValue()
		if len(vals) != 1 || vals[0].Tag != wt.tag || ev.Step != wt.step {
			t.Errorf("event %d: step %d, %v; want tag %q at step %d", i, ev.Step, vals, wt.tag, wt.step)
			continue
		}
		got := prTensor(t, vals[0])
		for r, row := range wt.data.rows() {
			for j, x := range row {
				if got[r][j] != float32(x) {
					t.Errorf("%s step %d: %s[%d] = %v, want %v", wt.tag, wt.step, prRowNames[r], j, got[r][j], float32(x))
				}
			}
		}
	}
}

func TestWriterPRCurveBadInput(t *testing.T) {
	w, dir := newTestWriter(t)
	if err := w.Scalar("taken", 1, 1); err != nil {
		t.Fatal(err)
	}
	if err := w.Scalar("ovr/class_2", 1, 1); err != nil {
		t.Fatal(err)
	}
	ok2 := [][]float64{{0.5, 0.5}, {0.5, 0.5}}
	ok3 := [][]float64{{0.5, 0.5, 0}, {0.5, 0.5, 0}}
	tests := []struct {
		desc string
		call func() error
		want string
	}{
		{"more labels than predictions", func() error { return w.PRCurve("pr", 1, []bool{true, false}, []float64{0.5}, nil) }, "2 labels but 1 predictions"},
		{"more predictions than labels", func() error { return w.PRCurve("pr", 1, []bool{true}, []float64{0.5, 1}, nil) }, "1 labels but 2 predictions"},
		{"no examples", func() error { return w.PRCurve("pr", 1, nil, nil, nil) }, "no examples"},
		{"NaN prediction", func() error { return w.PRCurve("pr", 1, []bool{true, true}, []float64{0.5, math.NaN()}, nil) }, "prediction 1 is NaN"},
		{"prediction below 0", func() error { return w.PRCurve("pr", 1, []bool{true}, []float64{-0.25}, nil) }, "prediction 0 = -0.25 is outside [0, 1]"},
		{"prediction above 1", func() error { return w.PRCurve("pr", 1, []bool{true}, []float64{1.5}, nil) }, "outside [0, 1]"},
		{"infinite prediction", func() error { return w.PRCurve("pr", 1, []bool{true}, []float64{math.Inf(1)}, nil) }, "outside [0, 1]"},
		{"one threshold", func() error { return w.PRCurve("pr", 1, []bool{true}, []float64{1}, &PROptions{Thresholds: 1}) }, "1 thresholds"},
		{"negative thresholds", func() error { return w.PRCurve("pr", 1, []bool{true}, []float64{1}, &PROptions{Thresholds: -3}) }, "-3 thresholds"},
		{"too few weights", func() error {
			return w.PRCurve("pr", 1, []bool{true, true}, []float64{1, 1}, &PROptions{Weights: []float64{1}})
		}, "1 weights for 2 examples"},
		{"negative weight", func() error {
			return w.PRCurve("pr", 1, []bool{true}, []float64{1}, &PROptions{Weights: []float64{-1}})
		}, "weight 0 = -1"},
		{"NaN weight", func() error {
			return w.PRCurve("pr", 1, []bool{true}, []float64{1}, &PROptions{Weights: []float64{math.NaN()}})
		}, "weight 0 = NaN"},
		{"class names on a binary curve", func() error {
			return w.PRCurve("pr", 1, []bool{true}, []float64{1}, &PROptions{ClassNames: []string{"a"}})
		}, "ClassNames is for one-vs-rest"},
		{"tag holds scalars", func() error { return w.PRCurve("taken", 1, []bool{true}, []float64{1}, nil) }, "tag used for another kind"},
		{"counts of different lengths", func() error {
			return w.PRCurveCounts("pr", 1, []float64{1, 0}, []float64{1, 0}, []float64{1}, []float64{1, 0})
		}, "lengths 2, 2, 1 and 2"},
		{"one count", func() error { return w.PRCurveCounts("pr", 1, []float64{1}, []float64{1}, []float64{1}, []float64{1}) }, "1 thresholds"},
		{"negative count", func() error {
			return w.PRCurveCounts("pr", 1, []float64{1, 0}, []float64{1, -1}, []float64{0, 0}, []float64{0, 0})
		}, "FP[1] = -1"},
		{"NaN count", func() error {
			return w.PRCurveCounts("pr", 1, []float64{1, 0}, []float64{1, 0}, []float64{0, math.NaN()}, []float64{0, 0})
		}, "TN[1] = NaN"},
		{"labels and rows differ", func() error { return w.PRCurveClasses("ovr", 1, []int{0}, ok2, nil) }, "1 labels but 2 rows"},
		{"ragged rows", func() error { return w.PRCurveClasses("ovr", 1, []int{0, 1}, [][]float64{{0.5, 0.5}, {1}}, nil) }, "row 1 has 1 classes"},
		{"one class", func() error { return w.PRCurveClasses("ovr", 1, []int{0}, [][]float64{{1}}, nil) }, "1 classes"},
		{"label out of range", func() error { return w.PRCurveClasses("ovr", 1, []int{0, 2}, ok2, nil) }, "label 1 is 2, outside [0, 2)"},
		{"negative label", func() error { return w.PRCurveClasses("ovr", 1, []int{-1, 0}, ok2, nil) }, "label 0 is -1"},
		{"NaN probability", func() error {
			return w.PRCurveClasses("ovr", 1, []int{0, 1}, [][]float64{{0.5, 0.5}, {math.NaN(), 1}}, nil)
		}, "probability (1, 0) is NaN"},
		{"too few class names", func() error {
			return w.PRCurveClasses("ovr", 1, []int{0, 1}, ok2, &PROptions{ClassNames: []string{"a"}})
		}, "1 class names for 2 classes"},
		{"repeated class name", func() error {
			return w.PRCurveClasses("ovr", 1, []int{0, 1}, ok2, &PROptions{ClassNames: []string{"a", "a"}})
		}, `class name 1 "a"`},
		{"empty class name", func() error {
			return w.PRCurveClasses("ovr", 1, []int{0, 1}, ok2, &PROptions{ClassNames: []string{"a", ""}})
		}, `class name 1 ""`},
		{"one class tag holds scalars", func() error { return w.PRCurveClasses("ovr", 1, []int{0, 1}, ok3, nil) }, `"ovr/class_2" holds scalars`},
		{"nil matrix", func() error { return w.PRCurveMatrix("mat", 1, []int{0}, nil, nil) }, "nil matrix"},
		{"matrix value out of range", func() error {
			return w.PRCurveMatrix("mat", 1, []int{0, 1}, mat.NewDense(2, 2, []float64{0, 1, 2, 0}), nil)
		}, "probability (1, 0) = 2"},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			err := tt.call()
			if err == nil {
				t.Fatal("no error")
			}
			if !strings.HasPrefix(err.Error(), "summary: ") || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q, want one containing %q", err, tt.want)
			}
		})
	}
	closeChecked(t, w)
	// Nothing but the file version and the two scalars.
	if n := len(readEvents(t, dir)); n != 3 {
		t.Errorf("file holds %d events, want 3", n)
	}
}
