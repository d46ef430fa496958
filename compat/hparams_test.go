//go:build compat

package compat

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tbgo/tbgo/summary"
	"github.com/tbgo/tbgo/summary/runinfo"
	"github.com/tbgo/tbgo/tfevents"
)

// The HParams test writes two logdirs, has each read by two TensorBoards
// (the Rust data server with --checksum and the Python loader) and checks
// the hparams plugin's three endpoints against what was written:
//
//   - declared: an experiment at the root, declared when the sweep has two
//     trials and declared again, wider, before the third (the root keeps
//     one experiment, the union); trials with string, bool, integer and
//     float hyper-parameters, metrics in the trial's run and in a
//     "validation" run below it; one trial succeeds, one fails, one never
//     ends; the third also carries run information, declared with
//     runinfo.ExperimentHParams.
//   - inferred: no experiment, so TensorBoard infers one from the
//     sessions; two sessions share a group; one run holds nothing but run
//     information (hyper-parameters and the run/info text).

// hpMetric names a metric: a scalar tag in the run <session>/<group>.
type hpMetric struct{ group, tag string }

// hpPoint is a scalar written for a metric.
type hpPoint struct {
	step  int64
	value float64
}

// hpTrial is a session of a test logdir and what it wrote.
type hpTrial struct {
	run     string
	hparams map[string]any         // passed to StartSession
	opts    summary.SessionOptions // passed to StartSession
	end     *summary.Status        // passed to EndSession; nil: never ends
	clock   time.Time              // the wall time of everything the trial writes
	points  map[hpMetric][]hpPoint // every scalar written, the sentinels included
}

// values returns the trial's hyper-parameters as TensorBoard's JSON
// decodes them: the run information's too, numbers as float64.
func (tr *hpTrial) values(t *testing.T) map[string]any {
	t.Helper()
	all := map[string]any{}
	if tr.opts.RunInfo != nil {
		extra, err := tr.opts.RunInfo.HParams()
		if err != nil {
			t.Fatal(err)
		}
		for k, v := range extra {
			all[k] = jsonValue(v)
		}
	}
	for k, v := range tr.hparams {
		all[k] = jsonValue(v)
	}
	return all
}

// jsonValue converts a hyper-parameter value as it goes through JSON.
func jsonValue(v any) any {
	rv := reflect.ValueOf(v)
	switch {
	case rv.CanInt():
		return float64(rv.Int())
	case rv.CanUint():
		return float64(rv.Uint())
	case rv.CanFloat():
		return rv.Float()
	case rv.Kind() == reflect.String:
		return rv.String()
	}
	return v
}

// status is the session's status as TensorBoard's JSON names it.
func (tr *hpTrial) status() string {
	if tr.end == nil {
		return summary.StatusUnknown.String()
	}
	return tr.end.String()
}

// metricValue is what TensorBoard shows for metric m of the trial: its last
// point, or ok false if the trial wrote none.
func (tr *hpTrial) metricValue(m hpMetric) (v hpMetricValue, ok bool) {
	points := tr.points[m]
	if len(points) == 0 {
		return v, false
	}
	last := points[len(points)-1]
	return hpMetricValue{
		Name:         hpMetricName{Group: m.group, Tag: m.tag},
		Value:        Float(float32(last.value)),
		TrainingStep: last.step,
		WallTimeSecs: tfevents.WallTime(tr.clock),
	}, true
}

func statusPtr(s summary.Status) *summary.Status { return &s }

// write writes the trial's run (and its metric groups' runs), ending each
// with the sentinel.
func (tr *hpTrial) write(logdir string, metrics map[hpMetric][]hpPoint) error {
	opts := &summary.Options{Now: func() time.Time { return tr.clock }}
	writers := map[string]*summary.Writer{}
	writer := func(group string) (*summary.Writer, error) {
		if w := writers[group]; w != nil {
			return w, nil
		}
		w, err := summary.NewWriter(filepath.Join(logdir, tr.run, filepath.FromSlash(group)), opts)
		writers[group] = w
		return w, err
	}
	main, err := writer("")
	if err != nil {
		return err
	}
	if err := main.StartSession(tr.hparams, &tr.opts); err != nil {
		return fmt.Errorf("trial %s: %w", tr.run, err)
	}
	tr.points = map[hpMetric][]hpPoint{}
	for m, points := range metrics {
		w, err := writer(m.group)
		if err != nil {
			return err
		}
		for _, p := range points {
			if err := w.Scalar(m.tag, p.step, p.value); err != nil {
				return err
			}
		}
		tr.points[m] = points
	}
	if tr.end != nil {
		if err := main.EndSession(*tr.end); err != nil {
			return err
		}
	}
	for group, w := range writers {
		if err := w.Scalar(SentinelTag, 0, 1); err != nil {
			return err
		}
		tr.points[hpMetric{group, SentinelTag}] = []hpPoint{{0, 1}}
		if err := w.Close(); err != nil {
			return err
		}
	}
	return nil
}

// hpLogdir is a written test logdir.
type hpLogdir struct {
	dir        string
	experiment *summary.Experiment // the union of the declarations; nil if none
	trials     []*hpTrial
	runs       []string // every run, sorted
}

func (d *hpLogdir) trial(run string) *hpTrial {
	for _, tr := range d.trials {
		if tr.run == run {
			return tr
		}
	}
	return nil
}

// lossCurve returns n points of a falling loss, one every 10 steps.
func lossCurve(n int, scale float64) []hpPoint {
	points := make([]hpPoint, n)
	for i := range points {
		points[i] = hpPoint{int64(i * 10), scale / float64(i+1)}
	}
	return points
}

var (
	hpLoss     = hpMetric{"", "loss"}
	hpAccuracy = hpMetric{"validation", "accuracy"}
	hpF1       = hpMetric{"validation", "f1"}
)

// writeDeclaredSweep writes the logdir with an experiment.
func writeDeclaredSweep(t *testing.T, dir string, info *runinfo.RunInfo) *hpLogdir {
	t.Helper()
	exp := summary.Experiment{
		Name:        "hparams sweep",
		Description: "A *growing* sweep.",
		User:        "tbgo",
		HParams: []summary.HParam{
			{Name: "optimizer", DisplayName: "Optimizer", Description: "The update rule.", Domain: summary.Discrete("adam", "sgd")},
			{Name: "batch_norm", Domain: summary.Discrete(true, false)},
			{Name: "layers", Domain: summary.Discrete(2, 4)},
			{Name: "lr", DisplayName: "learning rate", Domain: summary.Interval(0.001, 0.01)},
		},
		Metrics: []summary.Metric{
			{Tag: "loss", DisplayName: "training loss", Dataset: summary.DatasetTraining},
			{Tag: "accuracy", Group: "validation", DisplayName: "validation accuracy", Description: "Top-1.", Dataset: summary.DatasetValidation},
		},
	}
	if err := summary.WriteExperiment(dir, exp); err != nil {
		t.Fatal(err)
	}
	d := &hpLogdir{dir: dir}
	base := time.Date(2026, 7, 1, 12, 0, 0, 0, time.UTC)
	add := func(tr *hpTrial, metrics map[hpMetric][]hpPoint) {
		tr.opts.Experiment = &exp
		tr.opts.Start = tr.clock.Add(-time.Minute)
		if err := tr.write(dir, metrics); err != nil {
			t.Fatal(err)
		}
		d.trials = append(d.trials, tr)
	}
	add(&hpTrial{
		run: "trial-a", clock: base,
		hparams: map[string]any{"optimizer": "adam", "batch_norm": true, "layers": 2, "lr": 0.001},
		opts:    summary.SessionOptions{ModelURI: "file:///models/a", MonitorURL: "http://monitor/a"},
		end:     statusPtr(summary.StatusSuccess),
	}, map[hpMetric][]hpPoint{hpLoss: lossCurve(3, 2), hpAccuracy: {{0, 0.5}, {10, 0.7}, {20, 0.8}}})
	add(&hpTrial{
		run: "trial-b", clock: base.Add(time.Hour),
		hparams: map[string]any{"optimizer": "sgd", "batch_norm": false, "layers": int64(4), "lr": float32(0.0078125)},
		end:     statusPtr(summary.StatusFailure),
	}, map[hpMetric][]hpPoint{hpLoss: lossCurve(2, 3), hpAccuracy: {{0, 0.25}, {7, 0.3}}})

	// The sweep grows: new values, a new hyper-parameter, a new metric
	// and the run information's keys. A second declaration of just these
	// widens the experiment at the root, and the third trial is checked
	// against the union read back.
	more := summary.Experiment{
		HParams: slices.Concat([]summary.HParam{
			{Name: "optimizer", Domain: summary.Discrete("rmsprop")},
			{Name: "layers", Domain: summary.Discrete(8)},
			{Name: "lr", Domain: summary.Interval(0.001, 0.1)},
			{Name: "dropout", Description: "Of every layer.", Domain: summary.Interval(0, 0.5)},
		}, runinfo.ExperimentHParams()),
		Metrics: []summary.Metric{{Tag: "f1", Group: "validation"}},
	}
	if err := summary.WriteExperiment(dir, more); err != nil {
		t.Fatal(err)
	}
	read, err := summary.ReadExperiment(dir)
	if err != nil {
		t.Fatal(err)
	}
	exp = *read
	// What TensorBoard must show: the union, written out by hand.
	d.experiment = &summary.Experiment{
		Name: "hparams sweep", Description: "A *growing* sweep.", User: "tbgo",
		Created: read.Created, // when the first declaration was written
		HParams: slices.Concat([]summary.HParam{
			{Name: "optimizer", DisplayName: "Optimizer", Description: "The update rule.", Domain: summary.Discrete("adam", "sgd", "rmsprop")},
			{Name: "batch_norm", Domain: summary.Discrete(true, false)},
			{Name: "layers", Domain: summary.Discrete(2, 4, 8)},
			{Name: "lr", DisplayName: "learning rate", Domain: summary.Interval(0.001, 0.1)},
			{Name: "dropout", Description: "Of every layer.", Domain: summary.Interval(0, 0.5)},
		}, runinfo.ExperimentHParams()),
		Metrics: []summary.Metric{
			{Tag: "loss", DisplayName: "training loss", Dataset: summary.DatasetTraining},
			{Tag: "accuracy", Group: "validation", DisplayName: "validation accuracy", Description: "Top-1.", Dataset: summary.DatasetValidation},
			{Tag: "f1", Group: "validation"},
		},
	}
	add(&hpTrial{
		run: "trial-c", clock: base.Add(2 * time.Hour),
		hparams: map[string]any{"optimizer": "rmsprop", "batch_norm": true, "layers": uint8(8), "lr": 0.1, "dropout": 0.25},
		opts:    summary.SessionOptions{RunInfo: info},
	}, map[hpMetric][]hpPoint{hpLoss: lossCurve(4, 1), hpAccuracy: {{5, 0.9}}, hpF1: {{5, 0.75}, {15, 0.875}}})

	d.runs = []string{"."}
	for _, tr := range d.trials {
		d.runs = append(d.runs, tr.run, tr.run+"/validation")
	}
	slices.Sort(d.runs)
	return d
}

// writeInferredSweep writes the logdir without an experiment.
func writeInferredSweep(t *testing.T, dir string, info *runinfo.RunInfo) *hpLogdir {
	t.Helper()
	d := &hpLogdir{dir: dir}
	base := time.Date(2026, 7, 2, 12, 0, 0, 0, time.UTC)
	add := func(tr *hpTrial, metrics map[hpMetric][]hpPoint) {
		tr.opts.Start = tr.clock.Add(-time.Second)
		if err := tr.write(dir, metrics); err != nil {
			t.Fatal(err)
		}
		d.trials = append(d.trials, tr)
	}
	add(&hpTrial{
		run: "x", clock: base,
		hparams: map[string]any{"optimizer": "adam", "layers": 2, "lr": 0.01, "augment": true},
		end:     statusPtr(summary.StatusSuccess),
	}, map[hpMetric][]hpPoint{hpLoss: lossCurve(3, 1), hpAccuracy: {{0, 0.5}, {20, 0.625}}})
	for i, seed := range []string{"y/seed-1", "y/seed-2"} {
		add(&hpTrial{
			run: seed, clock: base.Add(time.Duration(i+1) * time.Hour),
			hparams: map[string]any{"optimizer": "sgd", "layers": 3, "lr": 0.02, "augment": true, "warmup": "linear"},
			opts:    summary.SessionOptions{Group: "y"},
			end:     statusPtr(summary.StatusRunning),
		}, map[hpMetric][]hpPoint{hpLoss: lossCurve(2+i, 4), hpAccuracy: {{0, 0.25 * float64(i+1)}}})
	}
	// A run with nothing but its run information.
	add(&hpTrial{run: "info", clock: base.Add(3 * time.Hour), opts: summary.SessionOptions{RunInfo: info}},
		map[hpMetric][]hpPoint{hpLoss: {{1, 0.125}}})

	for _, tr := range d.trials {
		d.runs = append(d.runs, tr.run)
		for m := range tr.points {
			if m.group != "" && !slices.Contains(d.runs, tr.run+"/"+m.group) {
				d.runs = append(d.runs, tr.run+"/"+m.group)
			}
		}
	}
	slices.Sort(d.runs)
	return d
}

func TestHParams(t *testing.T) {
	info, err := runinfo.Collect(map[string]any{"batch": 32, "data": map[string]any{"shuffle": true, "path": "/data/train"}})
	if err != nil {
		t.Fatal(err)
	}
	declared := writeDeclaredSweep(t, t.TempDir(), info)
	inferred := writeInferredSweep(t, t.TempDir(), info)

	type config struct {
		loader string
		logdir *hpLogdir
	}
	var configs []config
	var specs []serverSpec
	for _, d := range []*hpLogdir{declared, inferred} {
		for _, spec := range bothLoaders(d.dir, hparamsLoaded(d)) {
			configs = append(configs, config{spec.name, d})
			specs = append(specs, spec)
		}
	}
	servers := startServers(t, specs)
	for i, c := range configs {
		s, d := servers[i], c.logdir
		name := c.loader + "/declared"
		if d == inferred {
			name = c.loader + "/inferred"
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			t.Run("runs", func(t *testing.T) {
				var runs []string
				if err := s.GetJSON("data/runs", nil, &runs); err != nil {
					t.Fatal(err)
				}
				slices.Sort(runs)
				if !slices.Equal(runs, d.runs) {
					t.Errorf("runs %q, want %q: sessions add no runs", runs, d.runs)
				}
			})
			t.Run("experiment", func(t *testing.T) { checkHPExperiment(t, s, d) })
			t.Run("session_groups", func(t *testing.T) { checkHPSessionGroups(t, s, d) })
			t.Run("metric_evals", func(t *testing.T) { checkHPMetricEvals(t, s, d) })
			if tr := d.trial("info"); tr != nil {
				t.Run("run_info_text", func(t *testing.T) { checkHPRunInfoText(t, s, tr) })
			}
		})
	}
}

// hparamsLoaded is a ready function: it holds once every run but the root
// lists its sentinel and the root's experiment, if any, is served.
func hparamsLoaded(d *hpLogdir) func(*Server) (bool, error) {
	var runs []string
	for _, run := range d.runs {
		if run != "." {
			runs = append(runs, run)
		}
	}
	sentinels := sentinelsLoaded(runs)
	return func(s *Server) (bool, error) {
		if ok, err := sentinels(s); !ok {
			return false, err
		}
		if d.experiment != nil {
			var exp hpExperiment
			if err := s.hparamsPost("experiment", `{"experimentName":""}`, &exp); err != nil {
				return false, err
			}
			if exp.Name != d.experiment.Name {
				return false, fmt.Errorf("experiment %q, not yet %q", exp.Name, d.experiment.Name)
			}
		}
		return true, nil
	}
}

// hparamsPost posts a JSON request to an endpoint of the hparams plugin and
// decodes the JSON answer into v. The plugin reads the request from the
// raw body, so it must not be sent as a form.
func (s *Server) hparamsPost(endpoint, body string, v any) error {
	u := s.URL + "data/plugin/hparams/" + endpoint
	resp, err := httpClient.Post(u, "application/json", strings.NewReader(body))
	if err != nil {
		return fmt.Errorf("compat: POST %s: %w", u, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return fmt.Errorf("compat: POST %s: %w", u, err)
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("compat: POST %s %s: %s: %.500s", u, body, resp.Status, b)
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("compat: POST %s %s: %w in %.500s", u, body, err, b)
	}
	return nil
}

// The JSON of the hparams plugin's answers (proto3 JSON of api.proto).
type hpExperiment struct {
	Name            string         `json:"name"`
	Description     string         `json:"description"`
	User            string         `json:"user"`
	TimeCreatedSecs float64        `json:"timeCreatedSecs"`
	HParamInfos     []hpInfo       `json:"hparamInfos"`
	MetricInfos     []hpMetricInfo `json:"metricInfos"`
}

type hpInfo struct {
	Name           string      `json:"name"`
	DisplayName    string      `json:"displayName"`
	Description    string      `json:"description"`
	Type           string      `json:"type"`
	DomainDiscrete []any       `json:"domainDiscrete"`
	DomainInterval *hpInterval `json:"domainInterval"`
	Differs        bool        `json:"differs"`
}

type hpInterval struct {
	MinValue float64 `json:"minValue"`
	MaxValue float64 `json:"maxValue"`
}

type hpMetricName struct {
	Group string `json:"group"`
	Tag   string `json:"tag"`
}

type hpMetricInfo struct {
	Name        hpMetricName `json:"name"`
	DisplayName string       `json:"displayName"`
	Description string       `json:"description"`
	DatasetType string       `json:"datasetType"`
}

type hpSessionGroups struct {
	SessionGroups []hpGroup `json:"sessionGroups"`
	TotalSize     int       `json:"totalSize"`
}

type hpGroup struct {
	Name         string          `json:"name"`
	HParams      map[string]any  `json:"hparams"`
	MetricValues []hpMetricValue `json:"metricValues"`
	Sessions     []hpSession     `json:"sessions"`
	MonitorURL   string          `json:"monitorUrl"`
}

type hpMetricValue struct {
	Name         hpMetricName `json:"name"`
	Value        Float        `json:"value"`
	TrainingStep int64        `json:"trainingStep"`
	WallTimeSecs float64      `json:"wallTimeSecs"`
}

type hpSession struct {
	Name          string          `json:"name"`
	StartTimeSecs float64         `json:"startTimeSecs"`
	EndTimeSecs   float64         `json:"endTimeSecs"`
	Status        string          `json:"status"`
	ModelURI      string          `json:"modelUri"`
	MonitorURL    string          `json:"monitorUrl"`
	MetricValues  []hpMetricValue `json:"metricValues"`
}

var hpTypeNames = map[summary.HParamType]string{
	summary.HParamString: "DATA_TYPE_STRING", summary.HParamBool: "DATA_TYPE_BOOL", summary.HParamFloat64: "DATA_TYPE_FLOAT64",
}

var hpDatasetNames = map[summary.Dataset]string{
	summary.DatasetUnknown: "DATASET_UNKNOWN", summary.DatasetTraining: "DATASET_TRAINING", summary.DatasetValidation: "DATASET_VALIDATION",
}

// wantExperiment is the experiment TensorBoard must serve for d: the
// declared one, or the one it infers from the sessions.
func (d *hpLogdir) wantExperiment(t *testing.T) hpExperiment {
	t.Helper()
	var want hpExperiment
	if e := d.experiment; e != nil {
		want = hpExperiment{Name: e.Name, Description: e.Description, User: e.User, TimeCreatedSecs: tfevents.WallTime(e.Created)}
		for _, h := range e.HParams {
			info := hpInfo{Name: h.Name, DisplayName: h.DisplayName, Description: h.Description, Type: hpTypeNames[h.Domain.Type()]}
			if lo, hi, ok := h.Domain.Bounds(); ok {
				info.DomainInterval = &hpInterval{lo, hi}
				info.Differs = lo < hi
			}
			for _, v := range h.Domain.Values() {
				info.DomainDiscrete = append(info.DomainDiscrete, jsonValue(v))
			}
			info.Differs = info.Differs || len(info.DomainDiscrete) > 1
			want.HParamInfos = append(want.HParamInfos, info)
		}
		for _, m := range e.Metrics {
			want.MetricInfos = append(want.MetricInfos, hpMetricInfo{
				Name: hpMetricName{m.Group, m.Tag}, DisplayName: m.DisplayName, Description: m.Description, DatasetType: hpDatasetNames[m.Dataset],
			})
		}
	} else {
		// TensorBoard's inference: each hyper-parameter's type from its
		// values, numbers as an interval, the rest as the values seen;
		// every scalar tag of a session's run or of a run below it.
		values := map[string][]any{}
		metrics := map[hpMetricName]bool{}
		for _, tr := range d.trials {
			for k, v := range tr.values(t) {
				if !slices.Contains(values[k], v) {
					values[k] = append(values[k], v)
				}
			}
			for m := range tr.points {
				metrics[hpMetricName{m.group, m.tag}] = true
			}
		}
		for name, vs := range values {
			info := hpInfo{Name: name, Differs: len(vs) > 1}
			switch vs[0].(type) {
			case float64:
				info.Type = "DATA_TYPE_FLOAT64"
				lo, hi := math.Inf(1), math.Inf(-1)
				for _, v := range vs {
					lo, hi = min(lo, v.(float64)), max(hi, v.(float64))
				}
				info.DomainInterval = &hpInterval{lo, hi}
			case bool:
				info.Type, info.DomainDiscrete = "DATA_TYPE_BOOL", vs
			case string:
				info.Type, info.DomainDiscrete = "DATA_TYPE_STRING", vs
			}
			want.HParamInfos = append(want.HParamInfos, info)
		}
		for m := range metrics {
			want.MetricInfos = append(want.MetricInfos, hpMetricInfo{Name: m, DatasetType: "DATASET_UNKNOWN"})
		}
		slices.SortFunc(want.MetricInfos, func(a, b hpMetricInfo) int {
			return strings.Compare(a.Name.Tag+"\x00"+a.Name.Group, b.Name.Tag+"\x00"+b.Name.Group)
		})
	}
	// TensorBoard lists the hyper-parameters that differ first, each part
	// by name.
	slices.SortStableFunc(want.HParamInfos, func(a, b hpInfo) int {
		if a.Differs != b.Differs {
			if a.Differs {
				return -1
			}
			return 1
		}
		return strings.Compare(a.Name, b.Name)
	})
	return want
}

// sameDiscrete reports whether two discrete domains hold the same values;
// TensorBoard infers them in no particular order.
func sameDiscrete(a, b []any) bool {
	key := func(v any) string { return fmt.Sprintf("%T %v", v, v) }
	x, y := make([]string, len(a)), make([]string, len(b))
	for i, v := range a {
		x[i] = key(v)
	}
	for i, v := range b {
		y[i] = key(v)
	}
	slices.Sort(x)
	slices.Sort(y)
	return slices.Equal(x, y)
}

func checkHPExperiment(t *testing.T, s *Server, d *hpLogdir) {
	want := d.wantExperiment(t)
	var post, get hpExperiment
	if err := s.hparamsPost("experiment", `{"experimentName":""}`, &post); err != nil {
		t.Fatal(err)
	}
	if err := s.GetJSON("data/plugin/hparams/experiment", query("request", `{"experimentName":""}`), &get); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(get, post) {
		t.Errorf("GET and POST disagree:\nGET  %+v\nPOST %+v", get, post)
	}
	got := post
	if got.Name != want.Name || got.Description != want.Description || got.User != want.User || math.Abs(got.TimeCreatedSecs-want.TimeCreatedSecs) > 1e-6 {
		t.Errorf("experiment %q %q %q created %f, want %q %q %q created %f",
			got.Name, got.Description, got.User, got.TimeCreatedSecs, want.Name, want.Description, want.User, want.TimeCreatedSecs)
	}
	if len(got.HParamInfos) != len(want.HParamInfos) {
		gj, _ := json.Marshal(got.HParamInfos)
		wj, _ := json.Marshal(want.HParamInfos)
		t.Errorf("%d hparams, want %d:\n got %s\nwant %s", len(got.HParamInfos), len(want.HParamInfos), gj, wj)
	}
	for i := range min(len(got.HParamInfos), len(want.HParamInfos)) {
		g, w := got.HParamInfos[i], want.HParamInfos[i]
		gd, wd := g.DomainDiscrete, w.DomainDiscrete
		g.DomainDiscrete, w.DomainDiscrete = nil, nil
		if !reflect.DeepEqual(g, w) || !sameDiscrete(gd, wd) || (d.experiment != nil && !reflect.DeepEqual(gd, wd)) {
			g.DomainDiscrete, w.DomainDiscrete = gd, wd
			gj, _ := json.Marshal(g)
			wj, _ := json.Marshal(w)
			t.Errorf("hparam %d\n got %s\nwant %s", i, gj, wj)
		}
	}
	if !reflect.DeepEqual(got.MetricInfos, want.MetricInfos) {
		t.Errorf("metrics\n got %+v\nwant %+v", got.MetricInfos, want.MetricInfos)
	}
}

// allStatuses lists every status, as a ListSessionGroups request must.
const allStatuses = `["STATUS_UNKNOWN","STATUS_SUCCESS","STATUS_FAILURE","STATUS_RUNNING"]`

func checkHPSessionGroups(t *testing.T, s *Server, d *hpLogdir) {
	var got hpSessionGroups
	body := `{"experimentName":"","allowedStatuses":` + allStatuses + `,"colParams":[],"startIndex":0,"sliceSize":100}`
	if err := s.hparamsPost("session_groups", body, &got); err != nil {
		t.Fatal(err)
	}
	exp := d.wantExperiment(t)

	// The groups, by name: a session's group, or its run.
	groups := map[string][]*hpTrial{}
	for _, tr := range d.trials {
		name := tr.opts.Group
		if name == "" {
			name = tr.run
		}
		groups[name] = append(groups[name], tr)
	}
	names := make([]string, 0, len(groups))
	for name := range groups {
		names = append(names, name)
	}
	slices.Sort(names)
	var gotNames []string
	for _, g := range got.SessionGroups {
		gotNames = append(gotNames, g.Name)
	}
	if got.TotalSize != len(names) || !slices.Equal(gotNames, names) {
		t.Fatalf("session groups %q (total %d), want %q", gotNames, got.TotalSize, names)
	}

	for i, g := range got.SessionGroups {
		trials := groups[names[i]]
		first := trials[0]
		if want := first.values(t); !reflect.DeepEqual(g.HParams, want) {
			t.Errorf("group %q hparams\n got %v\nwant %v", g.Name, g.HParams, want)
		}
		if g.MonitorURL != first.opts.MonitorURL {
			t.Errorf("group %q monitor URL %q, want %q", g.Name, g.MonitorURL, first.opts.MonitorURL)
		}
		// Each session's metrics: the last value of each metric of the
		// experiment, in its order; the group's: their averages.
		type sum struct {
			value, wall float64
			step, n     int64
		}
		sums := map[hpMetricName]*sum{}
		var order []hpMetricName
		if len(g.Sessions) != len(trials) {
			t.Errorf("group %q has %d sessions, want %d", g.Name, len(g.Sessions), len(trials))
			continue
		}
		for j, sess := range g.Sessions {
			tr := trials[j]
			var wantValues []hpMetricValue
			for _, m := range exp.MetricInfos {
				v, ok := tr.metricValue(hpMetric{m.Name.Group, m.Name.Tag})
				if !ok {
					continue
				}
				wantValues = append(wantValues, v)
				s := sums[v.Name]
				if s == nil {
					s = &sum{}
					sums[v.Name] = s
					order = append(order, v.Name)
				}
				s.value += float64(v.Value)
				s.wall += v.WallTimeSecs
				s.step += v.TrainingStep
				s.n++
			}
			want := hpSession{
				Name:          tr.run,
				StartTimeSecs: tfevents.WallTime(tr.opts.Start),
				Status:        tr.status(),
				ModelURI:      tr.opts.ModelURI,
				MonitorURL:    tr.opts.MonitorURL,
				MetricValues:  wantValues,
			}
			if tr.end != nil {
				want.EndTimeSecs = tfevents.WallTime(tr.clock)
			}
			if !reflect.DeepEqual(sess, want) {
				t.Errorf("group %q session %d\n got %+v\nwant %+v", g.Name, j, sess, want)
			}
		}
		var wantGroup []hpMetricValue
		for _, name := range order {
			s := sums[name]
			wantGroup = append(wantGroup, hpMetricValue{
				Name: name, Value: Float(s.value / float64(s.n)), TrainingStep: s.step / s.n, WallTimeSecs: s.wall / float64(s.n),
			})
		}
		if !reflect.DeepEqual(g.MetricValues, wantGroup) {
			t.Errorf("group %q metric values\n got %+v\nwant %+v", g.Name, g.MetricValues, wantGroup)
		}
	}

	// Sessions whose status is not allowed are left out.
	for _, status := range []summary.Status{summary.StatusUnknown, summary.StatusSuccess, summary.StatusFailure, summary.StatusRunning} {
		var want []string
		for _, name := range names {
			if groups[name][0].status() == status.String() {
				want = append(want, name)
			}
		}
		var only hpSessionGroups
		body := fmt.Sprintf(`{"experimentName":"","allowedStatuses":["%s"],"startIndex":0,"sliceSize":100}`, status)
		if err := s.hparamsPost("session_groups", body, &only); err != nil {
			t.Fatal(err)
		}
		var gotNames []string
		for _, g := range only.SessionGroups {
			gotNames = append(gotNames, g.Name)
		}
		if !slices.Equal(gotNames, want) {
			t.Errorf("session groups with status %s: %q, want %q", status, gotNames, want)
		}
	}
}

func checkHPMetricEvals(t *testing.T, s *Server, d *hpLogdir) {
	for _, tr := range d.trials {
		for m, points := range tr.points {
			if m.tag == SentinelTag {
				continue
			}
			body := fmt.Sprintf(`{"experimentName":"","sessionName":%q,"metricName":{"group":%q,"tag":%q}}`, tr.run, m.group, m.tag)
			var got [][3]Float
			if err := s.hparamsPost("metric_evals", body, &got); err != nil {
				t.Fatal(err)
			}
			var want [][3]Float
			for _, p := range points {
				want = append(want, [3]Float{Float(tfevents.WallTime(tr.clock)), Float(p.step), Float(float32(p.value))})
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("metric evals of %s %v: %v, want %v", tr.run, m, got, want)
			}
		}
	}
}

func checkHPRunInfoText(t *testing.T, s *Server, tr *hpTrial) {
	var entries []struct {
		Step int64  `json:"step"`
		Text string `json:"text"`
	}
	if err := s.GetJSON("data/plugin/text/text", query("run", tr.run, "tag", summary.RunInfoTag), &entries); err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 || entries[0].Step != 0 {
		t.Fatalf("%s: %d entries, want one at step 0: %+v", summary.RunInfoTag, len(entries), entries)
	}
	info, ok := tr.opts.RunInfo.(*runinfo.RunInfo)
	if !ok {
		t.Fatalf("the trial's run description is a %T, not a *runinfo.RunInfo", tr.opts.RunInfo)
	}
	html := entries[0].Text
	want := []string{"<table>", "<td>Go version</td>", "<td>" + info.GoVersion + "</td>", "<td>data.path</td>", "<td>/data/train</td>"}
	if info.Revision != "" {
		want = append(want, "<code>"+info.Revision+"</code>")
	}
	for _, w := range want {
		if !strings.Contains(html, w) {
			t.Errorf("%s HTML lacks %q:\n%s", summary.RunInfoTag, w, html)
		}
	}
	// A table of the run, of its config and, when the binary lists them
	// (test binaries do not), of its dependencies.
	tables := 2
	if len(info.Deps) > 0 {
		tables++
	}
	if n := bytes.Count([]byte(html), []byte("<table>")); n != tables {
		t.Errorf("%s HTML has %d tables, want %d:\n%s", summary.RunInfoTag, n, tables, html)
	}
}
