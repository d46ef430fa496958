//go:build compat

package compat

import (
	"path/filepath"
	"regexp"
	"slices"
	"testing"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/tbgo/tbgo/proto/tbpb"
	"github.com/tbgo/tbgo/summary"
)

// customScalarRuns are two runs of custom scalars: the layout TensorBoard
// must make of both and, per run, every scalar written.
type customScalarRuns struct {
	runs    []string
	layout  *tbpb.Layout
	scalars map[string]map[string][]scalarAt // run → tag → points
}

type scalarAt struct {
	step  int64
	value float32
}

func writeCustomScalarRuns(logdir string) (customScalarRuns, error) {
	r := customScalarRuns{runs: []string{"custom", "custom2"}, scalars: map[string]map[string][]scalarAt{}}
	for _, run := range r.runs {
		r.scalars[run] = map[string][]scalarAt{}
	}
	record := func(run, tag string, step int64, v float64) {
		r.scalars[run][tag] = append(r.scalars[run][tag], scalarAt{step, float32(v)})
	}
	scalars := func(w *summary.Writer, run, main string, step int64, values map[string]float64) error {
		for k, v := range values {
			record(run, main+"/"+k, step, v)
		}
		return w.Scalars(main, step, values)
	}

	// Run "custom": a layout of its own (a multiline chart and a margin
	// chart), then Scalars of two main tags, which join the layout.
	w, err := summary.NewWriter(filepath.Join(logdir, "custom"), nil)
	if err != nil {
		return r, err
	}
	defer w.Close()
	user := summary.CustomLayout{Categories: []summary.CustomCategory{{
		Title: "compare",
		Charts: []summary.CustomChart{
			{Title: "train and val", Multiline: []string{`^loss/(train|val)$`}},
			{Title: "band", Margin: []summary.MarginSeries{{Value: "m/mean", Lower: "m/lo", Upper: "m/hi"}}},
		},
	}}}
	if err := w.CustomScalarsLayout(user); err != nil {
		return r, err
	}
	for step := range int64(5) {
		x := float64(step)
		if err := scalars(w, "custom", "loss", step, map[string]float64{"train": 1 / (x + 1), "val": 1.2 / (x + 1)}); err != nil {
			return r, err
		}
		if err := scalars(w, "custom", "lr", step, map[string]float64{"base": 0.1 * (5 - x), "warm": 0.01 * x}); err != nil {
			return r, err
		}
		for tag, v := range map[string]float64{"m/mean": x, "m/lo": x - 0.5, "m/hi": x + 0.5} {
			record("custom", tag, step, v)
			if err := w.Scalar(tag, step, v); err != nil {
				return r, err
			}
		}
	}
	if err := closeWithSentinel(w); err != nil {
		return r, err
	}

	// Run "custom2": Scalars alone; its "loss" chart equals the first
	// run's, its "acc.top1" chart is new. "accXtop1/train" must not match
	// the chart of "acc.top1", whose regex quotes the dot.
	w2, err := summary.NewWriter(filepath.Join(logdir, "custom2"), nil)
	if err != nil {
		return r, err
	}
	defer w2.Close()
	for step := range int64(3) {
		x := float64(step)
		if err := scalars(w2, "custom2", "loss", step, map[string]float64{"train": 2 - x, "test": 3 - x}); err != nil {
			return r, err
		}
		if err := scalars(w2, "custom2", "acc.top1", step, map[string]float64{"train": 0.5 + x/10}); err != nil {
			return r, err
		}
		record("custom2", "accXtop1/train", step, x)
		if err := w2.Scalar("accXtop1/train", step, x); err != nil {
			return r, err
		}
	}
	if err := closeWithSentinel(w2); err != nil {
		return r, err
	}

	chart := func(main string) *tbpb.Chart {
		return &tbpb.Chart{Title: main, Content: &tbpb.Chart_Multiline{Multiline: &tbpb.MultilineChartContent{
			Tag: []string{"^" + regexp.QuoteMeta(main) + "/"},
		}}}
	}
	// TensorBoard merges the runs' layouts in run order by category title,
	// adding the charts the first run lacks.
	r.layout = &tbpb.Layout{Category: []*tbpb.Category{
		{Title: "compare", Chart: []*tbpb.Chart{
			{Title: "train and val", Content: &tbpb.Chart_Multiline{Multiline: &tbpb.MultilineChartContent{Tag: []string{`^loss/(train|val)$`}}}},
			{Title: "band", Content: &tbpb.Chart_Margin{Margin: &tbpb.MarginChartContent{
				Series: []*tbpb.MarginChartContent_Series{{Value: "m/mean", Lower: "m/lo", Upper: "m/hi"}},
			}}},
		}},
		{Title: summary.ScalarsCategory, Chart: []*tbpb.Chart{chart("loss"), chart("lr"), chart("acc.top1")}},
	}}
	return r, nil
}

// customScalarsResponse is the body of /data/plugin/custom_scalars/scalars.
type customScalarsResponse struct {
	RegexValid  bool                  `json:"regex_valid"`
	TagToEvents map[string][][3]Float `json:"tag_to_events"`
}

// checkCustomScalars asserts that the custom scalars plugin serves the
// merged layout of both runs, and for each chart's regex the lines it
// draws with every value written.
func checkCustomScalars(t *testing.T, s *Server, r customScalarRuns) {
	body, err := s.Get("data/plugin/custom_scalars/layout", nil)
	if err != nil {
		t.Fatal(err)
	}
	got := new(tbpb.Layout)
	if err := protojson.Unmarshal(body, got); err != nil {
		t.Fatalf("layout %s: %v", body, err)
	}
	if !proto.Equal(got, r.layout) {
		t.Errorf("layout %s\nwant %s", body, protojson.Format(r.layout))
	}

	tests := []struct {
		run, regex string
		tags       []string // the tags the regex matches, sorted
	}{
		{"custom", `^loss/`, []string{"loss/train", "loss/val"}},
		{"custom", `^lr/`, []string{"lr/base", "lr/warm"}},
		{"custom", `^loss/(train|val)$`, []string{"loss/train", "loss/val"}},
		{"custom", `m/mean|m/lo|m/hi`, []string{"m/hi", "m/lo", "m/mean"}},
		{"custom2", `^loss/`, []string{"loss/test", "loss/train"}},
		{"custom2", `^loss/(train|val)$`, []string{"loss/train"}},
		{"custom2", `^` + regexp.QuoteMeta("acc.top1") + `/`, []string{"acc.top1/train"}},
		{"custom2", `^lr/`, nil},
	}
	for _, tt := range tests {
		var resp customScalarsResponse
		if err := s.GetJSON("data/plugin/custom_scalars/scalars", query("run", tt.run, "tag", tt.regex), &resp); err != nil {
			t.Error(err)
			continue
		}
		if !resp.RegexValid {
			t.Errorf("run %q regex %q: regex_valid false", tt.run, tt.regex)
		}
		if tags := sortedKeys(resp.TagToEvents); !slices.Equal(tags, tt.tags) {
			t.Errorf("run %q regex %q: tags %q, want %q", tt.run, tt.regex, tags, tt.tags)
			continue
		}
		for _, tag := range tt.tags {
			got, want := resp.TagToEvents[tag], r.scalars[tt.run][tag]
			if len(got) != len(want) {
				t.Errorf("run %q tag %q: %d points, want %d", tt.run, tag, len(got), len(want))
				continue
			}
			for i, p := range got {
				if int64(p[1]) != want[i].step || float64(p[2]) != float64(want[i].value) {
					t.Errorf("run %q tag %q point %d: step %v value %v, want step %d value %v",
						tt.run, tag, i, p[1], p[2], want[i].step, want[i].value)
				}
			}
		}
	}
}
