package sweep

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tbgo/tbgo/history"
	"github.com/tbgo/tbgo/summary"
	"github.com/tbgo/tbgo/trainer"
)

// tinyRun is a set: block that makes trials take a few milliseconds: a
// few steps of the default MLP on a small XOR set, no diagnostics.
const tinyRun = `set:
  data.name: xor
  data.per_class: 40
  steps: 6
  eval_every: 3
  diagnostics.enabled: false
  diagnostics.histograms: false
  diagnostics.images: false
  diagnostics.graph: false
`

// load parses a sweep configuration with the tiny run and logdir dir.
func load(t *testing.T, dir, body string) *Config {
	t.Helper()
	path := filepath.Join(dir, "sweep.yaml")
	if err := os.WriteFile(path, []byte("name: s\nlogdir: "+strconv.Quote(filepath.Join(dir, "runs"))+"\n"+tinyRun+body), 0o644); err != nil {
		t.Fatal(err)
	}
	c, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// A grid search enumerates the product of the grid points, the first
// parameter varying slowest, log-spaced for a log-uniform range.
func TestGridEnumeratesProduct(t *testing.T) {
	t.Parallel()
	c := load(t, t.TempDir(), `method: grid
params:
  schedule.lr: {type: log_uniform, low: 1e-4, high: 1e-2}
  optimizer.name: {type: choice, values: [adam, sgd]}
  batch_size: {type: int_uniform, low: 8, high: 10, points: 5}
`)
	trials, err := c.Plan()
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, tr := range trials {
		got = append(got, strings.Join(tr.Texts, " "))
	}
	var want []string
	for _, lr := range []string{"0.0001", "0.001", "0.01"} {
		for _, opt := range []string{"adam", "sgd"} {
			for _, b := range []string{"8", "9", "10"} { // 5 points on 8..10 round to 3
				want = append(want, lr+" "+opt+" "+b)
			}
		}
	}
	if !slices.Equal(got, want) {
		t.Errorf("grid:\n got %q\nwant %q", got, want)
	}
	ids := map[string]bool{}
	for _, tr := range trials {
		ids[tr.ID] = true
		if tr.Values["batch_size"] == nil || tr.Values["optimizer.name"] == nil || tr.Values["schedule.lr"] == nil {
			t.Errorf("trial %s lacks values: %v", tr.ID, tr.Values)
		}
	}
	if len(ids) != len(want) {
		t.Errorf("%d distinct IDs for %d trials", len(ids), len(want))
	}
}

// Random search is seeded: the same seed gives the same trials, another
// seed others, every value within its range.
func TestRandomSeededWithinBounds(t *testing.T) {
	t.Parallel()
	body := func(seed int) string {
		return fmt.Sprintf(`trials: 40
seed: %d
params:
  schedule.lr: {type: log_uniform, low: 1e-4, high: 1e-1}
  model.output_init: {type: choice, values: ["normal:0.01", glorot_uniform]}
  batch_size: {type: int_uniform, low: 16, high: 20}
  data.noise: {type: uniform, low: 0.1, high: 0.3}
`, seed)
	}
	dir := t.TempDir()
	plan := func(seed int) [][]string {
		trials, err := load(t, dir, body(seed)).Plan()
		if err != nil {
			t.Fatal(err)
		}
		var out [][]string
		for _, tr := range trials {
			out = append(out, tr.Texts)
		}
		return out
	}
	a, b, other := plan(1), plan(1), plan(2)
	if !slices.EqualFunc(a, b, slices.Equal) {
		t.Error("the same seed gives other trials")
	}
	if slices.EqualFunc(a, other, slices.Equal) {
		t.Error("another seed gives the same trials")
	}
	for _, pt := range a {
		lr, _ := strconv.ParseFloat(pt[0], 64)
		bs, _ := strconv.Atoi(pt[2])
		noise, _ := strconv.ParseFloat(pt[3], 64)
		if lr < 1e-4 || lr > 0.1 || bs < 16 || bs > 20 || noise < 0.1 || noise > 0.3 || pt[1] != "normal:0.01" && pt[1] != "glorot_uniform" {
			t.Errorf("trial %q out of bounds", pt)
		}
	}
}

// Log-uniform draws are uniform in log space: half fall below the
// geometric midpoint, where a uniform draw would put 1%.
func TestSampleDistributions(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(1, 2))
	const n = 4000
	for _, tt := range []struct {
		desc      string
		p         Param
		below     float64 // threshold
		wantBelow float64 // expected fraction below it
	}{
		{"log-uniform [1e-4, 1]: half below 1e-2", Param{Type: LogUniform, Low: 1e-4, High: 1}, 1e-2, 0.5},
		{"log-uniform [1e-4, 1]: a quarter below 1e-3", Param{Type: LogUniform, Low: 1e-4, High: 1}, 1e-3, 0.25},
		{"uniform [0, 1]: a tenth below 0.1", Param{Type: Uniform, Low: 0, High: 1}, 0.1, 0.1},
		{"int-uniform [1, 4]: a quarter are 1", Param{Type: IntUniform, Low: 1, High: 4}, 1.5, 0.25},
	} {
		s := span{lo: tt.p.Low, hi: tt.p.High}
		seen := map[string]bool{}
		below := 0
		for range n {
			v, err := strconv.ParseFloat(tt.p.sample(s, r), 64)
			if err != nil || v < tt.p.Low || v > tt.p.High {
				t.Fatalf("%s: draw %v (%v)", tt.desc, v, err)
			}
			if v < tt.below {
				below++
			}
			seen[fmt.Sprint(v)] = true
		}
		if f := float64(below) / n; math.Abs(f-tt.wantBelow) > 0.03 {
			t.Errorf("%s: %.3f below %g, want %.2f", tt.desc, f, tt.below, tt.wantBelow)
		}
		if tt.p.Type == IntUniform && len(seen) != 4 {
			t.Errorf("%s: drew %v, want every integer of [1, 4]", tt.desc, seen)
		}
	}
}

// Coarse-to-fine narrows each range around the best values with a margin
// of a tenth of the current span, in log space for log-uniform ranges.
func TestNarrow(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		desc   string
		p      Param
		s      span
		top    []string
		lo, hi float64
		values []string
	}{
		{"log-uniform around 1e-3 and 1e-2, 0.4 decades of margin",
			Param{Type: LogUniform}, span{lo: 1e-5, hi: 1e-1}, []string{"0.001", "0.01"}, math.Pow(10, -3.4), math.Pow(10, -1.6), nil},
		{"uniform, one best value, clipped at the low end",
			Param{Type: Uniform}, span{lo: 0, hi: 1}, []string{"0.05"}, 0, 0.15, nil},
		{"int-uniform rounded outwards", Param{Type: IntUniform}, span{lo: 0, hi: 100}, []string{"40", "45"}, 30, 55, nil},
		{"int-uniform kept two wide", Param{Type: IntUniform}, span{lo: 1, hi: 3}, []string{"2"}, 1, 3, nil},
		{"choice keeps the values of the best", Param{Type: Choice}, span{values: []string{"a", "b", "c"}}, []string{"c", "a"}, 0, 0, []string{"a", "c"}},
	} {
		n := tt.p.narrow(tt.s, tt.top)
		if tt.values != nil {
			if !slices.Equal(n.values, tt.values) {
				t.Errorf("%s: %v, want %v", tt.desc, n.values, tt.values)
			}
			continue
		}
		if math.Abs(n.lo-tt.lo) > 1e-9*math.Abs(tt.lo)+1e-12 || math.Abs(n.hi-tt.hi) > 1e-9*math.Abs(tt.hi)+1e-12 {
			t.Errorf("%s: [%g, %g], want [%g, %g]", tt.desc, n.lo, n.hi, tt.lo, tt.hi)
		}
	}
}

// The identity of a trial is its values and seed, in any order.
func TestTrialID(t *testing.T) {
	t.Parallel()
	a := TrialID(map[string]string{"schedule.lr": "0.01", "optimizer.name": "adam"}, 1)
	if b := TrialID(map[string]string{"optimizer.name": "adam", "schedule.lr": "0.01"}, 1); a != b {
		t.Errorf("order changes the ID: %s, %s", a, b)
	}
	if b := TrialID(map[string]string{"schedule.lr": "0.01", "optimizer.name": "adam"}, 2); a == b {
		t.Error("the seed does not change the ID")
	}
	if b := TrialID(map[string]string{"schedule.lr": "0.02", "optimizer.name": "adam"}, 1); a == b {
		t.Error("a value does not change the ID")
	}
	if len(a) != 12 {
		t.Errorf("ID %q, want 12 hex digits", a)
	}
}

// counter is a hook counting trials in training, at once and in all.
type counter struct {
	trainer.NopHook
	now, peak, started atomic.Int64
}

func (c *counter) Start(*trainer.State) error {
	c.started.Add(1)
	n := c.now.Add(1)
	for {
		p := c.peak.Load()
		if n <= p || c.peak.CompareAndSwap(p, n) {
			return nil
		}
	}
}

func (c *counter) End(*trainer.State) error {
	c.now.Add(-1)
	return nil
}

// A sweep run a second time trains nothing: every trial is read back
// from its run. A trial whose run is gone is trained again, alone.
func TestResumeSkipsFinishedTrials(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	c := load(t, dir, `trials: 4
params:
  schedule.lr: {type: log_uniform, low: 1e-3, high: 1e-1}
  optimizer.name: {type: choice, values: [adam, sgd]}
`)
	var first counter
	r1, err := RunJobs(context.Background(), c, &Options{Hooks: []trainer.Hook{&first}})
	if err != nil {
		t.Fatal(err)
	}
	if r1.Trained != len(r1.Trials) || first.started.Load() != int64(len(r1.Trials)) {
		t.Fatalf("first run: trained %d of %d trials, %d started", r1.Trained, len(r1.Trials), first.started.Load())
	}
	for _, tr := range r1.Trials {
		if tr.Status != summary.StatusSuccess || tr.Err != nil || math.IsNaN(tr.Metric) || tr.Resumed {
			t.Fatalf("trial %s: %s, metric %v, err %v, resumed %v", tr.ID, tr.Status, tr.Metric, tr.Err, tr.Resumed)
		}
	}
	var second counter
	c2 := load(t, dir, `trials: 4
params:
  schedule.lr: {type: log_uniform, low: 1e-3, high: 1e-1}
  optimizer.name: {type: choice, values: [adam, sgd]}
`)
	r2, err := RunJobs(context.Background(), c2, &Options{Hooks: []trainer.Hook{&second}})
	if err != nil {
		t.Fatal(err)
	}
	if r2.Trained != 0 || second.started.Load() != 0 {
		t.Errorf("second run trained %d trials (%d started), want 0", r2.Trained, second.started.Load())
	}
	for i, tr := range r2.Trials {
		if !tr.Resumed || tr.ID != r1.Trials[i].ID || tr.Metric != r1.Trials[i].Metric || tr.Status != summary.StatusSuccess {
			t.Errorf("trial %d: resumed %v, %s metric %v; first run %s metric %v", i, tr.Resumed, tr.ID, tr.Metric, r1.Trials[i].ID, r1.Trials[i].Metric)
		}
	}
	if r2.Best == nil || r1.Best == nil || r2.Best.ID != r1.Best.ID {
		t.Errorf("best trial changed on resume")
	}

	if err := os.RemoveAll(r1.Trials[2].Dir); err != nil {
		t.Fatal(err)
	}
	var third counter
	r3, err := RunJobs(context.Background(), c2, &Options{Hooks: []trainer.Hook{&third}})
	if err != nil {
		t.Fatal(err)
	}
	if r3.Trained != 1 || third.started.Load() != 1 || r3.Trials[2].Resumed || r3.Trials[2].Metric != r1.Trials[2].Metric {
		t.Errorf("after removing one trial: trained %d, %d started, metric %v (was %v)", r3.Trained, third.started.Load(), r3.Trials[2].Metric, r1.Trials[2].Metric)
	}
}

// No more trials train at once than Parallel allows.
func TestParallelismBounded(t *testing.T) {
	t.Parallel()
	for _, p := range []int{1, 2} {
		t.Run(fmt.Sprintf("parallel=%d", p), func(t *testing.T) {
			t.Parallel()
			c := load(t, t.TempDir(), `trials: 6
params:
  schedule.lr: {type: log_uniform, low: 1e-3, high: 1e-1}
`)
			var n counter
			res, err := RunJobs(context.Background(), c, &Options{Parallel: p, Hooks: []trainer.Hook{&n}})
			if err != nil {
				t.Fatal(err)
			}
			if n.started.Load() != int64(len(res.Trials)) || len(res.Trials) != 6 {
				t.Fatalf("%d trials, %d started", len(res.Trials), n.started.Load())
			}
			if peak := n.peak.Load(); peak > int64(p) || peak < 1 {
				t.Errorf("%d trials at once, want at most %d", peak, p)
			}
		})
	}
}

// rendezvous is a hook whose first two trials wait for each other in
// Start: with Parallel 2 both are in training at once.
type rendezvous struct {
	trainer.NopHook
	n    atomic.Int64
	both chan struct{}
}

func (r *rendezvous) Start(*trainer.State) error {
	switch r.n.Add(1) {
	case 1:
		select {
		case <-r.both:
		case <-time.After(30 * time.Second):
			return fmt.Errorf("the second trial never started while the first was training")
		}
	case 2:
		close(r.both)
	}
	return nil
}

// With Parallel 2, two trials do train at the same time.
func TestParallelTrialsOverlap(t *testing.T) {
	t.Parallel()
	c := load(t, t.TempDir(), `trials: 2
params:
  schedule.lr: {type: log_uniform, low: 1e-3, high: 1e-1}
`)
	h := &rendezvous{both: make(chan struct{})}
	res, err := RunJobs(context.Background(), c, &Options{Parallel: 2, Hooks: []trainer.Hook{h}})
	if err != nil {
		t.Fatal(err)
	}
	for _, tr := range res.Trials {
		if tr.Err != nil {
			t.Error(tr.Err)
		}
	}
}

// The experiment is declared once at the sweep's root, with a discrete
// domain per choice and an interval per range; every trial is a run with
// a session holding its values, ended with success.
func TestExperimentAndSessions(t *testing.T) {
	t.Parallel()
	c := load(t, t.TempDir(), `trials: 3
params:
  schedule.lr: {type: log_uniform, low: 1e-3, high: 1e-1}
  optimizer.name: {type: choice, values: [adam, sgd]}
  batch_size: {type: int_uniform, low: 8, high: 16}
`)
	res, err := RunJobs(context.Background(), c, nil)
	if err != nil {
		t.Fatal(err)
	}
	exp, err := summary.ReadExperiment(res.Dir)
	if err != nil {
		t.Fatal(err)
	}
	domains := map[string]summary.Domain{}
	for _, hp := range exp.HParams {
		domains[hp.Name] = hp.Domain
	}
	if lo, hi, ok := domains["schedule.lr"].Bounds(); !ok || lo != 1e-3 || hi != 0.1 {
		t.Errorf("schedule.lr domain %v", domains["schedule.lr"])
	}
	if lo, hi, ok := domains["batch_size"].Bounds(); !ok || lo != 8 || hi != 16 {
		t.Errorf("batch_size domain %v", domains["batch_size"])
	}
	if d := domains["optimizer.name"]; !slices.Equal(d.Values(), []any{"adam", "sgd"}) {
		t.Errorf("optimizer.name domain %v", d)
	}
	var tags []string
	for _, m := range exp.Metrics {
		tags = append(tags, m.Tag)
	}
	if !slices.Contains(tags, "accuracy/val") || !slices.Contains(tags, "loss/val") {
		t.Errorf("metrics %v", tags)
	}

	src, err := history.Open(res.Dir)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	sessions := map[string]*history.Session{}
	err = src.Values(context.Background(), nil, func(v *history.Value) error {
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
	for _, tr := range res.Trials {
		s := sessions["trial-"+tr.ID]
		if s == nil || !s.Started || !s.Ended || s.Status != summary.StatusSuccess {
			t.Fatalf("trial %s: session %+v", tr.ID, s)
		}
		lr, _ := strconv.ParseFloat(tr.Texts[0], 64)
		bs, _ := strconv.ParseFloat(tr.Texts[2], 64)
		if s.HParams["schedule.lr"] != lr || s.HParams["optimizer.name"] != tr.Texts[1] || s.HParams["batch_size"] != bs {
			t.Errorf("trial %s: session values %v, want %v", tr.ID, s.HParams, tr.Texts)
		}
	}
	if s := sessions["."]; s != nil && s.Started {
		t.Error("the root holds a session")
	}
	if len(sessions) != len(res.Trials)+1 {
		t.Errorf("%d runs for %d trials and the root", len(sessions), len(res.Trials))
	}
}

// Rule 20: a best value within 10% of the span from an end of its range
// is a warning, in log space for a log-uniform range.
func TestBorderWarning(t *testing.T) {
	t.Parallel()
	c := &Config{Goal: "max", Params: []Param{
		{Key: "schedule.lr", Type: LogUniform, Low: 1e-4, High: 1},
		{Key: "model.dropout", Type: Uniform, Low: 0, High: 0.5},
		{Key: "optimizer.name", Type: Choice, Values: []string{"adam", "sgd"}},
	}}
	for _, tt := range []struct {
		desc string
		best []string
		want []string
	}{
		{"inside both ranges", []string{"0.01", "0.25", "adam"}, nil},
		{"1.5e-4 is 4% of the log span above 1e-4", []string{"0.00015", "0.25", "adam"}, []string{"schedule.lr: the best value 0.00015 sits on the low border"}},
		{"0.002 is 8% of the linear span above 0 ... but 1e-4 in log space is 33%", []string{"0.001", "0.04", "sgd"}, []string{"model.dropout: the best value 0.04 sits on the low border"}},
		{"at the top of both", []string{"0.9", "0.5", "sgd"}, []string{"schedule.lr: the best value 0.9 sits on the high border", "model.dropout: the best value 0.5 sits on the high border"}},
	} {
		res := &Result{goal: "max", Trials: []*Trial{
			{ID: "a", Texts: tt.best, Metric: 0.9, Status: summary.StatusSuccess},
			{ID: "b", Texts: []string{"0.01", "0.25", "adam"}, Metric: 0.5, Status: summary.StatusSuccess},
		}}
		res.finish(c, true)
		if res.Best == nil || res.Best.ID != "a" {
			t.Fatalf("%s: best %v", tt.desc, res.Best)
		}
		if len(res.Warnings) != len(tt.want) {
			t.Errorf("%s: warnings %q, want %d", tt.desc, res.Warnings, len(tt.want))
			continue
		}
		for i, w := range tt.want {
			if !strings.HasPrefix(res.Warnings[i], w) {
				t.Errorf("%s: warning %q, want %q", tt.desc, res.Warnings[i], w)
			}
		}
	}
}

// In a real sweep where a larger learning rate is plainly better (a few
// steps of SGD), the best trial sits at the top of the range and the
// warning fires.
func TestBorderWarningFires(t *testing.T) {
	t.Parallel()
	c := load(t, t.TempDir(), `method: grid
metric: loss/train
params:
  schedule.lr: {type: log_uniform, low: 1e-5, high: 1e-2, points: 4}
  optimizer.name: {type: choice, values: [sgd]}
`)
	res, err := RunJobs(context.Background(), c, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Best == nil || res.Best.Texts[0] != "0.01" {
		t.Fatalf("best %+v, want the largest rate", res.Best)
	}
	if len(res.Warnings) != 1 || !strings.Contains(res.Warnings[0], "high border") {
		t.Errorf("warnings %q", res.Warnings)
	}
	var b strings.Builder
	if err := res.WriteTable(&b, c); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"| 1 | trial-" + res.Best.ID, "best: trial-" + res.Best.ID, "warning (rule 20): schedule.lr"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, b.String())
		}
	}
}

// Coarse-to-fine: the second stage's trials lie in the range narrowed
// around the first stage's best.
func TestStages(t *testing.T) {
	t.Parallel()
	c := load(t, t.TempDir(), `trials: 4
stages: 2
top: 1
params:
  schedule.lr: {type: log_uniform, low: 1e-4, high: 1e-1}
  optimizer.name: {type: choice, values: [adam, sgd]}
`)
	res, err := RunJobs(context.Background(), c, nil)
	if err != nil {
		t.Fatal(err)
	}
	var best *Trial
	for _, tr := range res.Trials {
		if tr.Stage == 1 && (best == nil || better("max", tr.Metric, best.Metric)) {
			best = tr
		}
	}
	bestLR, _ := strconv.ParseFloat(best.Texts[0], 64)
	margin := 0.1 * 3 // a tenth of the three decades
	n2 := 0
	for _, tr := range res.Trials {
		if tr.Stage != 2 {
			continue
		}
		n2++
		lr, _ := strconv.ParseFloat(tr.Texts[0], 64)
		if math.Abs(math.Log10(lr)-math.Log10(bestLR)) > margin+1e-9 || tr.Texts[1] != best.Texts[1] {
			t.Errorf("stage 2 trial %q outside the narrowed space around %q", tr.Texts, best.Texts)
		}
	}
	if n2 == 0 {
		t.Error("no stage 2 trials")
	}
}

// A trial whose configuration cannot run fails alone; the sweep goes on.
func TestFailedTrial(t *testing.T) {
	t.Parallel()
	c := load(t, t.TempDir(), `method: grid
params:
  balance: {type: choice, values: [none, weights]}
  loss: {type: choice, values: [cross_entropy, mse]}
`)
	res, err := RunJobs(context.Background(), c, nil)
	if err != nil {
		t.Fatal(err)
	}
	failed := 0
	for _, tr := range res.Trials {
		if tr.Err != nil {
			failed++
			if tr.Status == summary.StatusSuccess || !strings.Contains(tr.Err.Error(), "balance") {
				t.Errorf("trial %q: %s, %v", tr.Texts, tr.Status, tr.Err)
			}
		}
	}
	if failed != 1 || res.Best == nil {
		t.Errorf("%d failed trials, best %v; want 1 (weights with mse)", failed, res.Best)
	}
}

// BenchmarkPlan measures proposing a random stage of 100 trials.
func BenchmarkPlan(b *testing.B) {
	dir := b.TempDir()
	path := filepath.Join(dir, "s.yaml")
	if err := os.WriteFile(path, []byte("trials: 100\nparams:\n  schedule.lr: {type: log_uniform, low: 1e-4, high: 0.1}\n  optimizer.name: {type: choice, values: [adam, sgd]}\n"), 0o644); err != nil {
		b.Fatal(err)
	}
	c, err := Load(path)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Plan(); err != nil {
			b.Fatal(err)
		}
	}
}

// A cancelled sweep trains nothing more and says so; the experiment is
// declared all the same, and running it again resumes.
func TestCancelled(t *testing.T) {
	t.Parallel()
	c := load(t, t.TempDir(), "trials: 3\nparams:\n  schedule.lr: {type: log_uniform, low: 1e-3, high: 1e-1}\n")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var n counter
	res, err := RunJobs(ctx, c, &Options{Hooks: []trainer.Hook{&n}})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Run: %v, want context.Canceled", err)
	}
	if res == nil || res.Trained != 0 || n.started.Load() != 0 || res.Best != nil {
		t.Fatalf("a cancelled sweep trained: %+v, %d started", res, n.started.Load())
	}
	if _, err := summary.ReadExperiment(res.Dir); err != nil {
		t.Errorf("no experiment: %v", err)
	}
	res, err = RunJobs(context.Background(), c, nil)
	if err != nil || res.Trained != 3 {
		t.Errorf("resumed: %v, trained %d", err, res.Trained)
	}
}

// Run drives a training function of the user's own with the same search,
// parallelism and resuming as tbgo sweep: a second run trains only the
// trials that failed.
func TestRunFunc(t *testing.T) {
	t.Parallel()
	c, err := Parse([]byte("name: f\nmethod: grid\nmetric: score\ngoal: max\nparams:\n  x: {type: uniform, low: 0, high: 1, points: 5}\n  kind: {type: choice, values: [a, b]}\n"), "f.yaml")
	if err != nil {
		t.Fatal(err)
	}
	c.Logdir = t.TempDir()
	var calls atomic.Int32
	failOnce := true
	var mu sync.Mutex
	train := func(ctx context.Context, tr *Trial) (Metrics, error) {
		calls.Add(1)
		mu.Lock()
		defer mu.Unlock()
		if tr.String("kind") == "b" && tr.Float("x") == 1 && failOnce {
			failOnce = false
			return nil, errors.New("out of memory")
		}
		score := tr.Float("x")
		if tr.String("kind") == "b" {
			score += 10
		}
		return Metrics{"score": score, "other": 1}, nil
	}
	res, err := Run(context.Background(), c, train, &Options{Parallel: 3})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Trials) != 10 || res.Trained != 10 || calls.Load() != 10 {
		t.Fatalf("%d trials, %d trained, %d calls; want 10", len(res.Trials), res.Trained, calls.Load())
	}
	if res.Best == nil || res.Best.String("kind") != "b" || res.Best.Float("x") != 0.75 || res.Best.Metric != 10.75 {
		t.Fatalf("best %v, want x=0.75 kind=b (kind=b x=1 failed)", res.Best.Texts)
	}
	failed := 0
	for _, tr := range res.Trials {
		if tr.Status == summary.StatusFailure {
			failed++
			if tr.Err == nil || !strings.Contains(tr.Err.Error(), "out of memory") {
				t.Errorf("failed trial's error %v", tr.Err)
			}
		}
	}
	if failed != 1 {
		t.Errorf("%d failed trials, want 1", failed)
	}
	c2, err := Parse([]byte("name: f\nmethod: grid\nmetric: score\ngoal: max\nparams:\n  x: {type: uniform, low: 0, high: 1, points: 5}\n  kind: {type: choice, values: [a, b]}\n"), "f.yaml")
	if err != nil {
		t.Fatal(err)
	}
	c2.Logdir = c.Logdir
	res, err = Run(context.Background(), c2, train, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Trained != 1 || calls.Load() != 11 {
		t.Errorf("second run trained %d (%d calls), want only the failed trial", res.Trained, calls.Load())
	}
	if res.Best == nil || res.Best.Metric != 11 {
		t.Errorf("best after the retry %+v, want the metric 11 of kind=b x=1", res.Best)
	}
	if _, err := Run(context.Background(), &Config{Base: "b.yaml", Params: c.Params}, train, nil); !errors.Is(err, ErrConfig) {
		t.Errorf("Run with a base: %v, want ErrConfig", err)
	}
}

// Options.Only runs the chosen trials of the expansion, as one process
// of a job array would: the union of the processes is the whole sweep.
func TestOnly(t *testing.T) {
	t.Parallel()
	text := []byte("name: only\ntrials: 6\nseed: 3\nmetric: m\nparams:\n  lr: {type: log_uniform, low: 1e-4, high: 1}\n")
	dir := t.TempDir()
	var seen sync.Map
	train := func(ctx context.Context, tr *Trial) (Metrics, error) {
		seen.Store(tr.ID, tr.Index)
		return Metrics{"m": tr.Float("lr")}, nil
	}
	var ids []string
	for i := range 6 {
		c, err := Parse(text, "only.yaml")
		if err != nil {
			t.Fatal(err)
		}
		c.Logdir = dir
		res, err := Run(context.Background(), c, train, &Options{Only: []int{i}})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Trials) != 1 || res.Trials[0].Index != i || res.Trained != 1 {
			t.Fatalf("trial %d: %d trials, index %d, %d trained", i, len(res.Trials), res.Trials[0].Index, res.Trained)
		}
		ids = append(ids, res.Trials[0].ID)
	}
	c, err := Parse(text, "only.yaml")
	if err != nil {
		t.Fatal(err)
	}
	c.Logdir = dir
	c.free = true
	plan, err := c.Plan()
	if err != nil {
		t.Fatal(err)
	}
	for i, tr := range plan {
		if tr.ID != ids[i] {
			t.Errorf("trial %d: %s alone, %s in the plan", i, ids[i], tr.ID)
		}
	}
	res, err := Run(context.Background(), c, train, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Trained != 0 || len(res.Trials) != 6 {
		t.Errorf("the whole sweep after its 6 single trials trained %d of %d", res.Trained, len(res.Trials))
	}
	if _, err := Run(context.Background(), c, train, &Options{Only: []int{6}}); !errors.Is(err, ErrConfig) {
		t.Errorf("trial 6 of 6: %v, want ErrConfig", err)
	}
	c.Stages = 2
	if _, err := Run(context.Background(), c, train, &Options{Only: []int{0}}); !errors.Is(err, ErrConfig) {
		t.Errorf("a trial of a 2-stage sweep: %v, want ErrConfig", err)
	}
}

// Rule 20 on a held-out case, a training function of one's own rather
// than tbgo train: the best value on the border of a log-uniform range
// is reported, and a best value inside it is not.
func TestBorderWarningOwnFunction(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		best float64 // where the metric peaks
		warn bool
	}{{10, true}, {0.03, false}} {
		c, err := Parse([]byte("name: own\ntrials: 16\nmetric: score\ngoal: max\nparams:\n  lr: {type: log_uniform, low: 1e-4, high: 1}\n"), "own.yaml")
		if err != nil {
			t.Fatal(err)
		}
		c.Logdir = t.TempDir()
		res, err := Run(context.Background(), c, func(ctx context.Context, tr *Trial) (Metrics, error) {
			d := math.Log10(tr.Float("lr")) - math.Log10(tt.best)
			return Metrics{"score": -d * d}, nil
		}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if got := len(res.Warnings) > 0; got != tt.warn {
			t.Errorf("peak at %g: warnings %q, want a border warning: %v", tt.best, res.Warnings, tt.warn)
		}
	}
}

// A Config built in Go, without Parse, gets Parse's defaults (a random
// search of 10 trials, 3 grid points) and its checks.
func TestRunConfigBuiltInGo(t *testing.T) {
	t.Parallel()
	c := &Config{Name: "go", Logdir: t.TempDir(), Metric: "loss", Params: []Param{
		{Key: "lr", Type: LogUniform, Low: 1e-3, High: 1},
		{Key: "width", Type: IntUniform, Low: 8, High: 64},
	}}
	train := func(ctx context.Context, tr *Trial) (Metrics, error) {
		return Metrics{"loss": tr.Float("lr") / float64(tr.Int("width"))}, nil
	}
	res, err := Run(context.Background(), c, train, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Trials) != 10 || c.Method != Random || c.Goal != "min" || res.Best == nil {
		t.Errorf("%d trials, method %q, goal %q, best %v", len(res.Trials), c.Method, c.Goal, res.Best)
	}
	bad := &Config{Logdir: t.TempDir(), Params: []Param{{Key: "lr", Type: LogUniform, Low: 0, High: 1}}}
	if _, err := Run(context.Background(), bad, train, nil); !errors.Is(err, ErrConfig) {
		t.Errorf("a log-uniform range from 0: %v, want ErrConfig", err)
	}
}
