package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tbgo/tbgo/history"
	"github.com/tbgo/tbgo/summary"
	"github.com/tbgo/tbgo/trainer/job"
)

func runTrainTest(t *testing.T, ctx context.Context, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	var out, errOut bytes.Buffer
	err = trainMain(ctx, args, &out, &errOut)
	return out.String(), errOut.String(), err
}

// A short run through the command writes a run directory with the
// diagnostics' tags and prints the alerts and the tensorboard command.
func TestTrainWritesRun(t *testing.T) {
	t.Parallel()
	logdir := filepath.Join(t.TempDir(), "my runs")
	out, _, err := runTool(t, "train", "-logdir", logdir, "-steps", "30", "-eval_every", "10",
		"-model.output_init", "normal:1", "-progress", "lines", "-name", "short")
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{"step 30/30", "rule 1 loss_at_init", "alert(s), the most specific cause first; each is a row of diag/alerts", "tensorboard --logdir '" + logdir + "'"} {
		if !strings.Contains(out, w) {
			t.Errorf("output lacks %q:\n%s", w, out)
		}
	}
	src, err := history.Open(logdir)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	if runs := src.Runs(); len(runs) != 1 || !strings.HasSuffix(runs[0].Name, "-short") {
		t.Fatalf("runs %v, want one named <timestamp>-short", runs)
	}
	tags := map[string]summary.Kind{}
	var sess history.Session
	err = src.Values(context.Background(), nil, func(v *history.Value) error {
		tags[v.Tag] = v.Kind
		_, err := sess.Add(&v.Value)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	for tag, kind := range map[string]summary.Kind{
		"loss/train": summary.KindScalar, "accuracy/val": summary.KindScalar, "grad_norm/total": summary.KindScalar,
		"update_ratio_log10/dense1/weights": summary.KindScalar, "act/dead_fraction/relu1": summary.KindScalar,
		"diag/flag/01_loss_at_init": summary.KindScalar, "weights/dense1/weights": summary.KindHistogram,
		"filters/dense1": summary.KindImage, "confusion/val": summary.KindImage, "inputs/batch": summary.KindImage,
		"diag/alerts": summary.KindText, "diag/checklist": summary.KindText,
	} {
		if got, ok := tags[tag]; !ok || got != kind {
			t.Errorf("%s: %v, %v; want a %v", tag, got, ok, kind)
		}
	}
	if !sess.Ended || sess.Status != summary.StatusSuccess || sess.HParams["steps"] != 30.0 {
		t.Errorf("session %+v", sess)
	}
}

// Ctrl-C cancels the context: the run stops, is saved and ended as
// failed, and the command says so.
func TestTrainInterrupted(t *testing.T) {
	t.Parallel()
	logdir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	out, _, err := runTrainTest(t, ctx, "-logdir", logdir, "-progress", "quiet")
	if err == nil || !strings.Contains(err.Error(), "interrupted after 0 steps") || errors.Is(err, errUsage) {
		t.Fatalf("err = %v, want an interruption", err)
	}
	if !strings.Contains(out, "tensorboard --logdir "+logdir) {
		t.Errorf("output lacks the tensorboard command:\n%s", out)
	}
	src, err := history.Open(logdir)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	var sess history.Session
	if err := src.Values(context.Background(), nil, func(v *history.Value) error { _, err := sess.Add(&v.Value); return err }); err != nil {
		t.Fatal(err)
	}
	if !sess.Ended || sess.Status != summary.StatusFailure {
		t.Errorf("session %+v, want ended as failed", sess)
	}
}

// Flags override the configuration file, which overrides the scenario.
func TestTrainConfigAndFlags(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cfgFile := filepath.Join(dir, "train.yaml")
	if err := os.WriteFile(cfgFile, []byte("schedule: {lr: 0.01}\nepochs: 5\nmodel: {hidden: [32]}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out, _, err := runTrainTest(t, context.Background(), "-scenario", "class_imbalance", "-config", cfgFile, "-lr", "0.02", "-print-config")
	if err != nil {
		t.Fatal(err)
	}
	c := job.Default()
	if err := c.Parse([]byte(out), "printed"); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if c.Schedule.LR != 0.02 || c.Epochs != 5 || len(c.Model.Hidden) != 1 || c.Data.Name != "spirals" || c.Data.Imbalance != 20 {
		t.Errorf("resolved configuration:\n%s", out)
	}
}

func TestTrainErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write := func(name, content string) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	unknownKey := write("unknown.yaml", "seed: 1\nschedule:\n  lerning_rate: 0.1\n")
	shape := write("shape.yaml", "model:\n  spec:\n    layers:\n      - {type: conv, filters: 4, kernel: 9}\n      - {type: dense, units: 10}\n")
	badCSV := write("bad.csv", "a,b,label\n1,2,0\n3,oops,1\n")
	ragged := write("ragged.csv", "a,b,label\n1,2,0\n3,4\n")
	for _, tt := range []struct {
		desc  string
		args  []string
		usage bool
		want  string
	}{
		{"unknown flag", []string{"-epoch", "3"}, true, "flag provided but not defined: -epoch"},
		{"an argument", []string{"digits"}, true, "train takes no arguments"},
		{"unknown scenario", []string{"-scenario", "nope"}, true, `unknown scenario "nope"`},
		{"bad value", []string{"-batch", "big"}, true, `batch_size: "big" is not an integer`},
		{"bad progress", []string{"-progress", "fancy"}, true, "-progress"},
		{"invalid combination", []string{"-data", "sine"}, true, "loss:"},
		{"unknown key in the file", []string{"-config", unknownKey}, true, "unknown.yaml:3: unknown key \"lerning_rate\" in schedule"},
		{"impossible shape", []string{"-config", shape}, true, "shape.yaml:4: model.spec: layers[0] (conv1): impossible shape"},
		{"missing file", []string{"-config", filepath.Join(dir, "none.yaml")}, false, "none.yaml"},
		{"CSV cell", []string{"-csv", badCSV, "-model.hidden", "[4]"}, false, "bad.csv:3:2 (column \"b\"): not a number"},
		{"ragged CSV", []string{"-csv", ragged, "-model.hidden", "[4]"}, false, "ragged.csv:3: ragged row"},
	} {
		t.Run(tt.desc, func(t *testing.T) {
			_, _, err := runTool(t, append([]string{"train"}, append(tt.args, "-logdir", filepath.Join(dir, "runs"))...)...)
			if err == nil {
				t.Fatal("no error")
			}
			if errors.Is(err, errUsage) != tt.usage {
				t.Errorf("usage error %v, want %v: %v", errors.Is(err, errUsage), tt.usage, err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q lacks %q", err, tt.want)
			}
		})
	}
	if _, err := os.Stat(filepath.Join(dir, "runs")); !os.IsNotExist(err) {
		t.Errorf("a failed command made a run directory: %v", err)
	}
}

func TestTrainListAndHelp(t *testing.T) {
	t.Parallel()
	out, _, err := runTool(t, "train", "-list")
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range job.Scenarios() {
		n := 0
		for _, line := range strings.Split(out, "\n") {
			if strings.HasPrefix(strings.TrimSpace(line), s.Name+" ") {
				n++
			}
		}
		if n != 1 {
			t.Errorf("scenario %s on %d lines of -list", s.Name, n)
		}
	}
	if !strings.Contains(out, "cnn ") {
		t.Error("-list lacks the presets")
	}
	_, help, err := runTool(t, "train", "-h")
	if !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("-h: %v", err)
	}
	for _, k := range job.Knobs() {
		if !strings.Contains(help, "-"+k.Key+" ") {
			t.Errorf("-h does not explain -%s", k.Key)
		}
	}
	for _, w := range []string{"-config file", "-scenario", "Ctrl-C", "-preset"} {
		if !strings.Contains(help, w) {
			t.Errorf("-h lacks %q", w)
		}
	}
}
