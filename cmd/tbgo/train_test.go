package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
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
	write := func(name, content string) string { return writeTestFile(t, dir, name, content) }
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

// The own-data path: every knob takes "-KEY VALUE", booleans too; the
// separator is detected or given; CSV errors name the flag and the YAML
// key that fix them, never a Go name.
func TestTrainOwnCSV(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write := func(name, content string) string { return writeTestFile(t, dir, name, content) }
	var semi, tabs, stray strings.Builder
	semi.WriteString("a;b;kind\n")
	tabs.WriteString("a\tb\tkind\n")
	for i := range 60 {
		k := []string{"cat", "dog", "eel"}[i%3]
		fmt.Fprintf(&semi, "%d;%d;%s\n", i%3*10+i%5, i%3*10-i%4, k)
		fmt.Fprintf(&tabs, "%d\t%d\t%s\n", i%3*10+i%5, i%3*10-i%4, k)
		label := i % 3
		if i == 41 {
			label = 7
		}
		fmt.Fprintf(&stray, "%d,%d,%d\n", i%3*10+i%5, i%3*10-i%4, label)
	}
	semiPath, tabPath, strayPath := write("semi.csv", semi.String()), write("tabs.tsv", tabs.String()), write("stray.csv", stray.String())
	oneCol := write("one.csv", "a|b|label\n1|2|0\n3|4|1\n")
	logdir := filepath.Join(dir, "runs")
	for _, tt := range []struct {
		desc string
		args []string
		want []string // in the output, or the error when err is set
		err  bool
	}{
		{"semicolons detected, -data.string_labels true", []string{"-csv", semiPath, "-data.string_labels", "true"},
			[]string{"3 classes (cat, dog, eel); standardised"}, false},
		{"tabs detected, -data.string_labels=true", []string{"-csv", tabPath, "-data.string_labels=true", "-data.preprocess", "center"},
			[]string{"3 classes (cat, dog, eel); centred"}, false},
		{"-data.delimiter given", []string{"-csv", semiPath, "-data.delimiter", ";", "-data.string_labels", "true", "-data.preprocess", "none"},
			[]string{"no preprocessing (raw values)"}, false},
		{"a boolean set false explicitly", []string{"-csv", semiPath, "-data.string_labels", "false"},
			[]string{`"cat" is not an integer: read the labels as class names; set -data.string_labels true (data.string_labels in YAML)`}, true},
		{"one column: which separators were tried", []string{"-csv", oneCol},
			[]string{"1 field with any of the separators ',', ';' and tab", "set -data.delimiter"}, true},
		{"one column with the separator given", []string{"-csv", oneCol, "-data.delimiter", ","},
			[]string{`1 field separated by ','`, "-data.delimiter"}, true},
		{"a stray label", []string{"-csv", strayPath},
			[]string{"stray.csv:42:3", "label 7 makes 8 classes, but no sample has class 3 to 6", "set -data.classes K (data.classes in YAML)"}, true},
		{"a stray label declared", []string{"-csv", strayPath, "-data.classes", "8"}, []string{"8 classes"}, false},
	} {
		t.Run(tt.desc, func(t *testing.T) {
			t.Parallel()
			args := append([]string{"train", "-logdir", logdir, "-progress", "quiet", "-steps", "20"}, tt.args...)
			out, _, err := runTool(t, args...)
			if (err != nil) != tt.err {
				t.Fatalf("err = %v, want an error: %v\n%s", err, tt.err, out)
			}
			text := out
			if err != nil {
				text = err.Error()
				if strings.Contains(text, "CSVOptions") {
					t.Errorf("the error names a Go option: %v", err)
				}
			}
			for _, w := range tt.want {
				if !strings.Contains(text, w) {
					t.Errorf("%q lacks %q", text, w)
				}
			}
		})
	}
}

// A run the diagnostics stop at a NaN says which rule, step, tensor and
// value stopped it, and fails.
func TestTrainStoppedByNaN(t *testing.T) {
	t.Parallel()
	out, _, err := runTool(t, "train", "-scenario", "divergence", "-logdir", t.TempDir(), "-progress", "quiet")
	if err == nil || errors.Is(err, errUsage) {
		t.Fatalf("err = %v, want a failure\n%s", err, out)
	}
	for _, w := range []string{"train: stopped at step", "by rule 5 nan_inf at gradient norm", "the norm shown: +Inf", "the run was saved", "fix: lower the learning rate"} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q lacks %q", err, w)
		}
	}
	if !strings.Contains(out, "stopped by rule 5 nan_inf at step") || strings.Contains(out, ":,") || !strings.Contains(out, "val loss ") {
		t.Errorf("summary line:\n%s", out)
	}
}

// writeTestFile writes content to dir/name and returns the path.
func writeTestFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}
