package job

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tbgo/tbgo/history"
	"github.com/tbgo/tbgo/summary"
	"github.com/tbgo/tbgo/trainer"
)

// read returns the values of the run in dir, by tag, and its session.
func read(t *testing.T, dir string) (map[string][]summary.Value, history.Session) {
	t.Helper()
	src, err := history.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	got := map[string][]summary.Value{}
	var sess history.Session
	err = src.Values(context.Background(), nil, func(v *history.Value) error {
		if _, err := sess.Add(&v.Value); err != nil {
			return err
		}
		val := v.Value
		val.Blobs = nil // do not keep memory the read reuses
		val.Text = append([]string(nil), v.Text...)
		got[v.Tag] = append(got[v.Tag], val)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return got, sess
}

// A run writes every tag of docs/DIAGNOSTICS.md, under its exact name, with the
// kind of data docs/DIAGNOSTICS.md says, plus the graph and the session.
func TestRunLogsEveryTag(t *testing.T) {
	t.Parallel()
	cfg := configure(t, "logdir="+t.TempDir(), "name=tags", "epochs=0", "steps=40", "eval_every=10",
		"diagnostics.diag_every=5", "model.output_init=normal:3",
		"model.spec={layers: [{type: dense, units: 16, init: he_normal}, {type: relu}, {type: dense, units: 16}, {type: tanh}, {type: dense, units: 10}]}")
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	var out strings.Builder
	res, err := (&Runner{Out: &out, Now: func() time.Time { return now }}).Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(cfg.Logdir, "20260102-030405-tags"); res.Dir != want {
		t.Errorf("run directory %s, want %s", res.Dir, want)
	}
	if res.Steps != 40 || res.Stop != trainer.StopDone || !res.Fired(1) || res.Status != summary.StatusSuccess {
		t.Errorf("result %+v: want 40 steps, done, rule 1 fired, success", res)
	}
	for _, w := range []string{"dense1", "logging to " + res.Dir, "step 40/40", "rule 1 loss_at_init", "fix: shrink the last layer", "done after 40 steps"} {
		if !strings.Contains(out.String(), w) {
			t.Errorf("output lacks %q:\n%s", w, out.String())
		}
	}

	got, sess := read(t, res.Dir)
	want := map[string]summary.Kind{
		"loss/train": summary.KindScalar, "loss/val": summary.KindScalar,
		"accuracy/train": summary.KindScalar, "accuracy/val": summary.KindScalar,
		"train/learning_rate":               summary.KindScalar,
		"grad_norm/dense1/weights":          summary.KindScalar,
		"grad_norm/dense3/bias":             summary.KindScalar,
		"grad_norm/total":                   summary.KindScalar,
		"update_ratio_log10/dense1/weights": summary.KindScalar,
		"act/dead_fraction/relu1":           summary.KindScalar,
		"act/saturated_fraction/tanh1":      summary.KindScalar,
		"diag/flag/01_loss_at_init":         summary.KindScalar,
		"diag/flag/05_nan_inf":              summary.KindScalar,
		"diag/flag/13_never_trains":         summary.KindScalar,
		"weights/dense1/weights":            summary.KindHistogram,
		"grads/dense1/weights":              summary.KindHistogram,
		"weights/dense3/bias":               summary.KindHistogram,
		"act/relu1":                         summary.KindHistogram,
		"preact/relu1":                      summary.KindHistogram,
		"act/tanh1":                         summary.KindHistogram,
		"preact/tanh1":                      summary.KindHistogram,
		"filters/dense1":                    summary.KindImage,
		"confusion/val":                     summary.KindImage,
		"inputs/batch":                      summary.KindImage,
		"diag/alerts":                       summary.KindText,
		"diag/checklist":                    summary.KindText,
		summary.RunInfoTag:                  summary.KindText,
	}
	for tag, kind := range want {
		vs := got[tag]
		if len(vs) == 0 {
			t.Errorf("no %s", tag)
			continue
		}
		if vs[0].Kind != kind {
			t.Errorf("%s is a %v, want %v", tag, vs[0].Kind, kind)
		}
	}
	if n := len(got["loss/train"]); n != 40 {
		t.Errorf("%d training losses, want one per step", n)
	}
	if n := len(got["loss/val"]); n != 4 {
		t.Errorf("%d validation losses, want 4", n)
	}
	if alerts := got["diag/alerts"][0].Text[0]; !strings.Contains(alerts, "| step | rule | layer | value | threshold | suggested fix |") || !strings.Contains(alerts, "1 loss_at_init") {
		t.Errorf("diag/alerts:\n%s", alerts)
	}
	checklists := got["diag/checklist"]
	if final := checklists[len(checklists)-1].Text[0]; !strings.Contains(final, "**fired**: step 0") || !strings.Contains(final, "left to `tbgo doctor`") || !strings.Contains(final, "left to `tbgo sweep`") {
		t.Errorf("final checklist:\n%s", final)
	}
	if !strings.Contains(strings.Join(got[summary.RunInfoTag][0].Text, " "), "Alpaydin") {
		t.Error("the run information lacks the dataset's attribution")
	}
	var graph bool
	for tag, vs := range got {
		if vs[0].Kind == summary.KindGraph {
			graph = true
			_ = tag
		}
	}
	if !graph {
		t.Error("no graph")
	}
	if !sess.Started || !sess.Ended || sess.Status != summary.StatusSuccess {
		t.Errorf("session %+v, want started and ended with success", sess)
	}
	if sess.HParams["schedule.lr"] != 0.003 || sess.HParams["model.output_init"] != "normal:3" || sess.HParams["data.name"] != "digits" {
		t.Errorf("hparams %v", sess.HParams)
	}
}

// Cancelling stops training cleanly: the run is evaluated, flushed and its
// session ended as failed, and Run returns what it did with ctx.Err().
func TestRunCancel(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stopAt := trainer.HookFuncs{OnStep: func(s *trainer.State) error {
		if s.Step == 9 {
			cancel()
		}
		return nil
	}}
	cfg := configure(t, "logdir="+t.TempDir())
	res, err := (&Runner{Hooks: []trainer.Hook{stopAt}}).Run(ctx, cfg)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Run = %v, want context.Canceled", err)
	}
	if res == nil || res.Stop != trainer.StopCancelled || res.Steps != 10 || res.Status != summary.StatusFailure {
		t.Fatalf("result %+v, want cancelled after 10 steps, failure", res)
	}
	got, sess := read(t, res.Dir)
	if !sess.Ended || sess.Status != summary.StatusFailure {
		t.Errorf("session %+v, want ended with failure", sess)
	}
	if n := len(got["loss/val"]); n != 1 {
		t.Errorf("%d evaluations, want the one after cancelling", n)
	}
	if len(got["diag/checklist"]) != 2 {
		t.Error("the final checklist was not written")
	}
}

// Configuration and data errors come before any directory is made.
func TestRunErrorBeforeTraining(t *testing.T) {
	t.Parallel()
	logdir := filepath.Join(t.TempDir(), "runs")
	cfg := configure(t, "logdir="+logdir, "model.preset=cnn", "data.name=spirals")
	res, err := Run(context.Background(), cfg, nil)
	if err == nil || res != nil {
		t.Fatalf("Run = %v, %v; want an error and no result", res, err)
	}
	if _, err := os.Stat(logdir); !os.IsNotExist(err) {
		t.Errorf("the logdir was created: %v", err)
	}
}

// Runs started in the same second get directories of their own; an
// exact directory is used as it is.
func TestRunDirectories(t *testing.T) {
	t.Parallel()
	logdir := t.TempDir()
	now := func() time.Time { return time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC) }
	cfg := configure(t, "logdir="+logdir, "name=same", "epochs=0", "steps=2", "diagnostics.images=false", "diagnostics.histograms=false")
	var dirs []string
	for range 2 {
		res, err := (&Runner{Now: now}).Run(context.Background(), cfg)
		if err != nil {
			t.Fatal(err)
		}
		dirs = append(dirs, filepath.Base(res.Dir))
	}
	if dirs[0] != "20260102-030405-same" || dirs[1] != "20260102-030405-same-2" {
		t.Errorf("directories %v", dirs)
	}
	exact := filepath.Join(logdir, "sweep", "trial-007")
	if err := cfg.Set("dir", exact); err != nil {
		t.Fatal(err)
	}
	res, err := Run(context.Background(), cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Dir != exact {
		t.Errorf("directory %s, want %s", res.Dir, exact)
	}
}

// A Runner shows a bar on terminals: redrawn in place, cleared before any
// other line.
func TestRunBar(t *testing.T) {
	t.Parallel()
	cfg := configure(t, "logdir="+t.TempDir(), "epochs=0", "steps=30", "eval_every=10", "model.output_init=normal:1")
	var out strings.Builder
	if _, err := (&Runner{Out: &out, Progress: Bar}).Run(context.Background(), cfg); err != nil {
		t.Fatal(err)
	}
	s := out.String()
	if !strings.Contains(s, "\r\033[K[") || !strings.Contains(s, "step 30/30") {
		t.Errorf("no bar in:\n%q", s)
	}
	alerted := false
	for _, line := range strings.Split(s, "\n") {
		// What a terminal shows: the text after the last carriage return.
		shown := line[strings.LastIndex(line, "\r")+1:]
		if strings.Contains(shown, ": rule ") {
			alerted = true
			if shown = strings.TrimPrefix(shown, "\033[K"); !strings.HasPrefix(shown, "warning: ") && !strings.HasPrefix(shown, "alert: ") {
				t.Errorf("the alert was not written on a cleared line: %q", shown)
			}
		}
	}
	if !alerted {
		t.Errorf("no alert in:\n%q", s)
	}
}

// A run the diagnostics stop at a non-finite value returns a StopError
// naming the rule, the step, the tensor and the value, with its Result;
// the session ends as failed and the summary line says what stopped it.
func TestRunStoppedByDiagnostics(t *testing.T) {
	t.Parallel()
	cfg, err := ScenarioConfig("divergence")
	if err != nil {
		t.Fatal(err)
	}
	cfg.Logdir = t.TempDir()
	var out strings.Builder
	res, err := (&Runner{Out: &out, Progress: Quiet}).Run(context.Background(), cfg)
	var se *StopError
	if !errors.As(err, &se) || res == nil {
		t.Fatalf("err = %v, want a *StopError with a Result", err)
	}
	a := se.Alert
	if a.Rule != 5 || a.Step != res.Steps || res.StoppedBy == nil || *res.StoppedBy != a || a.Layer == "" {
		t.Errorf("alert %+v, result stopped by %v after %d steps", a, res.StoppedBy, res.Steps)
	}
	if !strings.Contains(se.Error(), "job: training stopped at step") || !strings.Contains(se.Error(), "rule 5 nan_inf at "+a.Layer) {
		t.Errorf("error %q", se)
	}
	if res.Status != summary.StatusFailure {
		t.Errorf("status %v, want failure", res.Status)
	}
	if line := out.String(); !strings.Contains(line, "stopped by rule 5 nan_inf at step") || strings.Contains(line, ":,") {
		t.Errorf("summary:\n%s", line)
	}
}
