//go:build compat

package compat

import (
	"math"
	"path/filepath"
	"slices"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/tbgo/tbgo/summary"
)

// A prCurveRun is a run of PR curves and the curves it holds, by tag, in
// step order.
type prCurveRun struct {
	run    string
	curves map[string][]prCurveStep
}

type prCurveStep struct {
	step int64
	data *summary.PRCurveData
}

func writePRCurveRun(logdir string) (prCurveRun, error) {
	r := prCurveRun{run: "pr", curves: map[string][]prCurveStep{}}
	w, err := summary.NewWriter(filepath.Join(logdir, r.run), nil)
	if err != nil {
		return r, err
	}
	defer w.Close()

	// A binary classifier over three steps, getting better; the last step
	// weighs its examples, one of them by 0.4 alone at the top thresholds,
	// where TensorBoard's int() makes TP+FP zero and cuts the curve.
	labels := []bool{true, false, true, true, false, false, true, false}
	preds := [][]float64{
		{0.6, 0.5, 0.4, 0.55, 0.45, 0.5, 0.3, 0.7},
		{0.7, 0.4, 0.6, 0.65, 0.35, 0.3, 0.5, 0.6},
		{0.95, 0.1, 0.8, 0.75, 0.2, 0.15, 0.6, 0.3},
	}
	for step, p := range preds {
		opts := &summary.PROptions{Thresholds: 11}
		if step == 2 {
			opts.Weights = []float64{0.4, 1, 2, 1, 1, 1, 1, 0}
		}
		if err := w.PRCurve("binary", int64(step), labels, p, opts); err != nil {
			return r, err
		}
		d, err := summary.ComputePRCurve(labels, p, opts)
		if err != nil {
			return r, err
		}
		r.curves["binary"] = append(r.curves["binary"], prCurveStep{int64(step), d})
	}

	// Precomputed counts whose last two thresholds have no positives.
	tp, fp, tn, fn := []float64{4, 3, 0, 0}, []float64{4, 1, 0, 0}, []float64{0, 3, 4, 4}, []float64{0, 1, 4, 4}
	if err := w.PRCurveCounts("counts", 7, tp, fp, tn, fn); err != nil {
		return r, err
	}
	d, err := summary.PRCurveFromCounts(tp, fp, tn, fn)
	if err != nil {
		return r, err
	}
	r.curves["counts"] = []prCurveStep{{7, d}}

	// One-vs-rest over three classes, with the default 201 thresholds.
	classLabels := []int{0, 1, 2, 2, 1, 0, 2}
	probs := mat.NewDense(7, 3, []float64{
		0.7, 0.2, 0.1,
		0.1, 0.6, 0.3,
		0.2, 0.2, 0.6,
		0.3, 0.3, 0.4,
		0.25, 0.5, 0.25,
		0.5, 0.1, 0.4,
		0.05, 0.15, 0.8,
	})
	names := []string{"cat", "dog", "eel"}
	if err := w.PRCurveMatrix("ovr", 3, classLabels, probs, &summary.PROptions{ClassNames: names}); err != nil {
		return r, err
	}
	for c, name := range names {
		var ls []bool
		for _, l := range classLabels {
			ls = append(ls, l == c)
		}
		d, err := summary.ComputePRCurve(ls, mat.Col(nil, c, probs), nil)
		if err != nil {
			return r, err
		}
		r.curves["ovr/"+name] = []prCurveStep{{3, d}}
	}
	return r, closeWithSentinel(w)
}

// prCurveEntry is one step of /data/plugin/pr_curves/pr_curves.
type prCurveEntry struct {
	Step           int64     `json:"step"`
	WallTime       float64   `json:"wall_time"`
	Precision      []Float   `json:"precision"`
	Recall         []Float   `json:"recall"`
	Thresholds     []float64 `json:"thresholds"`
	TruePositives  []int64   `json:"true_positives"`
	FalsePositives []int64   `json:"false_positives"`
	TrueNegatives  []int64   `json:"true_negatives"`
	FalseNegatives []int64   `json:"false_negatives"`
}

// checkPRCurves asserts that the PR curves plugin lists every tag of the
// run and serves every step of each with the counts, precision, recall and
// thresholds tbgo computed, stored as float32 and cut as the plugin cuts
// them.
func checkPRCurves(t *testing.T, s *Server, r prCurveRun) {
	var tags map[string]map[string]struct {
		DisplayName string `json:"displayName"`
	}
	if err := s.GetJSON("data/plugin/pr_curves/tags", nil, &tags); err != nil {
		t.Fatal(err)
	}
	for run, rt := range tags {
		if run != r.run && len(rt) > 0 {
			t.Errorf("pr_curves/tags: run %q has PR curves %v", run, sortedKeys(rt))
		}
	}
	if got, want := sortedKeys(tags[r.run]), sortedKeys(r.curves); !slices.Equal(got, want) {
		t.Errorf("pr_curves/tags of run %q: %q, want %q", r.run, got, want)
	}
	for _, tag := range sortedKeys(r.curves) {
		var resp map[string][]prCurveEntry
		if err := s.GetJSON("data/plugin/pr_curves/pr_curves", query("run", r.run, "tag", tag), &resp); err != nil {
			t.Error(err)
			continue
		}
		entries, want := resp[r.run], r.curves[tag]
		if len(entries) != len(want) {
			t.Errorf("tag %q: %d steps, want %d", tag, len(entries), len(want))
			continue
		}
		for i, e := range entries {
			checkPRCurveEntry(t, tag, e, want[i])
		}
	}
}

func checkPRCurveEntry(t *testing.T, tag string, e prCurveEntry, want prCurveStep) {
	t.Helper()
	d := want.data
	n := d.Thresholds()
	// The plugin drops the thresholds after the last one where
	// int(TP) + int(FP) > 0, keeping at least one.
	end := n
	for end > 1 && int64(float32(d.TruePositives[end-1]))+int64(float32(d.FalsePositives[end-1])) == 0 {
		end--
	}
	if e.Step != want.step {
		t.Errorf("tag %q: step %d, want %d", tag, e.Step, want.step)
	}
	counts := func(name string, got []int64, row []float64) {
		if len(got) != end {
			t.Errorf("tag %q step %d: %d %s, want %d", tag, want.step, len(got), name, end)
			return
		}
		for i, g := range got {
			if w := int64(float32(row[i])); g != w {
				t.Errorf("tag %q step %d: %s[%d] = %d, want %d", tag, want.step, name, i, g, w)
			}
		}
	}
	counts("true_positives", e.TruePositives, d.TruePositives)
	counts("false_positives", e.FalsePositives, d.FalsePositives)
	counts("true_negatives", e.TrueNegatives, d.TrueNegatives)
	counts("false_negatives", e.FalseNegatives, d.FalseNegatives)
	ratios := func(name string, got []Float, row []float64) {
		if len(got) != end {
			t.Errorf("tag %q step %d: %d %s, want %d", tag, want.step, len(got), name, end)
			return
		}
		for i, g := range got {
			if w := float32(row[i]); float64(g) != float64(w) {
				t.Errorf("tag %q step %d: %s[%d] = %v, want %v (float32 of %v)", tag, want.step, name, i, g, w, row[i])
			}
		}
	}
	ratios("precision", e.Precision, d.Precision)
	ratios("recall", e.Recall, d.Recall)
	if len(e.Thresholds) != end {
		t.Errorf("tag %q step %d: %d thresholds, want %d", tag, want.step, len(e.Thresholds), end)
		return
	}
	// numpy.linspace(0, 1, n): i * (1/(n-1)), and exactly 1 last.
	for i, g := range e.Thresholds {
		w := float64(i) * (1 / float64(n-1))
		if i == n-1 {
			w = 1
		}
		if g != w || math.IsNaN(g) {
			t.Errorf("tag %q step %d: threshold %d = %v, want %v", tag, want.step, i, g, w)
		}
	}
}
