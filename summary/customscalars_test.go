package summary

import (
	"errors"
	"math"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/tbgo/tbgo/proto/tbpb"
)

func multilineChart(title string, tags ...string) *tbpb.Chart {
	return &tbpb.Chart{Title: title, Content: &tbpb.Chart_Multiline{Multiline: &tbpb.MultilineChartContent{Tag: tags}}}
}

// layoutOf decodes the layout of a custom scalars config value, checking
// its form.
func layoutOf(t *testing.T, v *tbpb.Summary_Value) *tbpb.Layout {
	t.Helper()
	md := v.GetMetadata()
	tensor := v.GetTensor()
	if v.Tag != "custom_scalars__config__" || md.GetPluginData().GetPluginName() != "custom_scalars" ||
		len(md.GetPluginData().GetContent()) != 0 || md.DataClass != tbpb.DataClass_DATA_CLASS_TENSOR ||
		tensor.GetDtype() != tbpb.DataType_DT_STRING || tensor.GetTensorShape() == nil ||
		len(tensor.GetTensorShape().GetDim()) != 0 || len(tensor.GetStringVal()) != 1 {
		t.Fatalf("custom scalars config value %v", v)
	}
	l := new(tbpb.Layout)
	if err := proto.Unmarshal(tensor.StringVal[0], l); err != nil {
		t.Fatal(err)
	}
	return l
}

func TestCustomScalarsValue(t *testing.T) {
	v, err := CustomScalarsValue(CustomLayout{Categories: []CustomCategory{
		{Title: "losses", Charts: []CustomChart{
			{Title: "all", Multiline: []string{`loss/.*`, `^val_loss$`}},
			{Multiline: []string{`acc`}},
		}},
		{Title: "bounds", Closed: true, Charts: []CustomChart{
			{Title: "mean ± sd", Margin: []MarginSeries{{Value: "m", Lower: "m-sd", Upper: "m+sd"}}},
		}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	want := &tbpb.Layout{Category: []*tbpb.Category{
		{Title: "losses", Chart: []*tbpb.Chart{multilineChart("all", `loss/.*`, `^val_loss$`), multilineChart("", "acc")}},
		{Title: "bounds", Closed: true, Chart: []*tbpb.Chart{{Title: "mean ± sd", Content: &tbpb.Chart_Margin{Margin: &tbpb.MarginChartContent{
			Series: []*tbpb.MarginChartContent_Series{{Value: "m", Lower: "m-sd", Upper: "m+sd"}},
		}}}}},
	}}
	if got := layoutOf(t, v); !proto.Equal(got, want) {
		t.Errorf("layout\n%v\nwant\n%v", got, want)
	}
}

func TestCustomScalarsLayoutErrors(t *testing.T) {
	chart := CustomChart{Multiline: []string{"a"}}
	cat := func(title string, charts ...CustomChart) CustomCategory {
		return CustomCategory{Title: title, Charts: charts}
	}
	tests := []struct {
		desc   string
		layout CustomLayout
		want   string
	}{
		{"no categories", CustomLayout{}, "no categories"},
		{"empty title", CustomLayout{Categories: []CustomCategory{cat("", chart)}}, `category "": title is empty`},
		{"repeated title", CustomLayout{Categories: []CustomCategory{cat("a", chart), cat("a", chart)}}, "title used by an earlier category"},
		{"no charts", CustomLayout{Categories: []CustomCategory{cat("a")}}, "no charts"},
		{"empty chart", CustomLayout{Categories: []CustomCategory{cat("a", CustomChart{Title: "c"})}}, `chart 0 "c": neither multiline nor margin`},
		{"both kinds", CustomLayout{Categories: []CustomCategory{cat("a", CustomChart{Multiline: []string{"x"}, Margin: []MarginSeries{{"v", "l", "u"}}})}}, "both multiline and margin"},
		{"bad regex", CustomLayout{Categories: []CustomCategory{cat("a", CustomChart{Multiline: []string{"loss/(train"}})}}, "missing closing )"},
		{"empty regex", CustomLayout{Categories: []CustomCategory{cat("a", CustomChart{Multiline: []string{""}})}}, "empty tag regular expression"},
		{"empty margin tag", CustomLayout{Categories: []CustomCategory{cat("a", CustomChart{Margin: []MarginSeries{{"v", "", "u"}}})}}, "margin series 0"},
		{"invalid UTF-8 chart title", CustomLayout{Categories: []CustomCategory{cat("a", CustomChart{Title: "\xff", Multiline: []string{"x"}})}}, "not valid UTF-8"},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			_, err := CustomScalarsValue(tt.layout)
			if err == nil || !strings.HasPrefix(err.Error(), "summary: ") || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("CustomScalarsValue error %v, want one containing %q", err, tt.want)
			}
			w, dir := newTestWriter(t)
			if err := w.CustomScalarsLayout(tt.layout); err == nil {
				t.Error("Writer.CustomScalarsLayout: no error")
			}
			w.Close()
			if n := len(readEvents(t, dir)); n != 1 {
				t.Errorf("refused layout: file holds %d events, want only the file version", n)
			}
		})
	}
}

func TestWriterScalars(t *testing.T) {
	w, dir := newTestWriter(t)
	user := CustomLayout{Categories: []CustomCategory{
		{Title: "mine", Charts: []CustomChart{{Title: "both", Multiline: []string{"a", "b"}}}},
		{Title: ScalarsCategory, Charts: []CustomChart{{Title: "my loss", Multiline: []string{"^loss/"}}}},
	}}
	calls := []func() error{
		func() error { return w.Scalars("loss", 1, map[string]float64{"val": 0.5, "train": 0.25}) },
		func() error { return w.Scalars("loss", 2, map[string]float64{"val": 0.4, "train": 0.2}) },
		func() error { return w.Scalars("acc.top1", 2, map[string]float64{"train": 0.9}) },
		func() error { return w.CustomScalarsLayout(user) },
		func() error { return w.CustomScalarsLayout(user) }, // unchanged: nothing written
		func() error { return w.Scalars("acc.top1", 3, map[string]float64{"train": 0.95, "val": 1e-40}) },
	}
	for i, call := range calls {
		if err := call(); err != nil {
			t.Fatalf("call %d: %v", i, err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	lossChart := multilineChart("loss", `^loss/`)
	accChart := multilineChart("acc.top1", `^acc\.top1/`)
	layout1 := &tbpb.Layout{Category: []*tbpb.Category{{Title: "Scalars", Chart: []*tbpb.Chart{lossChart}}}}
	layout2 := &tbpb.Layout{Category: []*tbpb.Category{{Title: "Scalars", Chart: []*tbpb.Chart{accChart, lossChart}}}}
	// The user's chart draws ^loss/ already, so Scalars adds only acc.top1,
	// to the user's category of that title.
	layout3 := &tbpb.Layout{Category: []*tbpb.Category{
		{Title: "mine", Chart: []*tbpb.Chart{multilineChart("both", "a", "b")}},
		{Title: "Scalars", Chart: []*tbpb.Chart{multilineChart("my loss", "^loss/"), accChart}},
	}}
	type point struct {
		step   int64
		tag    string
		value  float32
		layout *tbpb.Layout
	}
	want := []point{
		{0, CustomScalarsTag, 0, layout1},
		{1, "loss/train", 0.25, nil},
		{1, "loss/val", 0.5, nil},
		{2, "loss/train", 0.2, nil},
		{2, "loss/val", 0.4, nil},
		{0, CustomScalarsTag, 0, layout2},
		{2, "acc.top1/train", 0.9, nil},
		{0, CustomScalarsTag, 0, layout3},
		{3, "acc.top1/train", 0.95, nil},
		{3, "acc.top1/val", 1e-40, nil},
	}
	events := readEvents(t, dir)[1:]
	if len(events) != len(want) {
		t.Fatalf("%d events, want %d", len(events), len(want))
	}
	for i, ev := range events {
		wt := want[i]
		vals := ev.GetSummary().GetValue()
		if len(vals) != 1 || vals[0].Tag != wt.tag || ev.Step != wt.step {
			t.Errorf("event %d: step %d %v; want %q at step %d", i, ev.Step, vals, wt.tag, wt.step)
			continue
		}
		if wt.layout != nil {
			if got := layoutOf(t, vals[0]); !proto.Equal(got, wt.layout) {
				t.Errorf("event %d: layout\n%v\nwant\n%v", i, got, wt.layout)
			}
			continue
		}
		md := vals[0].GetMetadata()
		f := vals[0].GetTensor().GetFloatVal()
		if md.GetPluginData().GetPluginName() != "scalars" || md.DataClass != tbpb.DataClass_DATA_CLASS_SCALAR ||
			len(f) != 1 || math.Float32bits(f[0]) != math.Float32bits(wt.value) {
			t.Errorf("event %d (%s): %v, want scalar %v", i, wt.tag, vals[0], wt.value)
		}
	}
}

func TestWriterScalarsBadInput(t *testing.T) {
	w, dir := newTestWriter(t)
	if err := w.Histogram("h/b", 1, []float64{1}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		desc string
		call func() error
		want string
	}{
		{"empty main tag", func() error { return w.Scalars("", 1, map[string]float64{"a": 1}) }, "empty tag"},
		{"no values", func() error { return w.Scalars("m", 1, nil) }, "no values"},
		{"empty key", func() error { return w.Scalars("m", 1, map[string]float64{"a": 1, "": 2}) }, `key ""`},
		{"float32 overflow", func() error { return w.Scalars("m", 1, map[string]float64{"a": 1, "b": -1e300}) }, "overflows float32"},
		{"a tag holds a histogram", func() error { return w.Scalars("h", 1, map[string]float64{"a": 1, "b": 2}) }, `"h/b" holds histograms`},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			err := tt.call()
			if err == nil || !strings.HasPrefix(err.Error(), "summary: ") || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want one containing %q", err, tt.want)
			}
		})
	}
	// A layout tag taken by another kind of data refuses the first
	// Scalars of a new main tag, before any value is written.
	if err := w.Text(CustomScalarsTag, 1, "not a layout"); err != nil {
		t.Fatal(err)
	}
	if err := w.Scalars("m", 1, map[string]float64{"a": 1}); !errors.Is(err, ErrTagKind) {
		t.Errorf("layout tag holds text: error %v, want ErrTagKind", err)
	}
	closeChecked(t, w)
	// The file version, the histogram and the text.
	if n := len(readEvents(t, dir)); n != 3 {
		t.Errorf("file holds %d events, want 3", n)
	}
}

func TestScalarsAllocs(t *testing.T) {
	w, _ := newTestWriter(t)
	defer w.Close()
	values := map[string]float64{"train": 1, "val": 2, "test": 3}
	if err := w.Scalars("loss", 0, values); err != nil {
		t.Fatal(err)
	}
	step := int64(1)
	allocs := testing.AllocsPerRun(100, func() {
		if err := w.Scalars("loss", step, values); err != nil {
			t.Fatal(err)
		}
		step++
	})
	if allocs != 0 {
		t.Errorf("Scalars allocates %v times per call once warm, want 0", allocs)
	}
}
