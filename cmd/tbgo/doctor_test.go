package main

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tbgo/tbgo/history"
)

// The default run passes the checklist; the report goes to the logdir as
// a run holding diag/checklist.
func TestDoctorDefault(t *testing.T) {
	logdir := t.TempDir()
	out, _, err := runTool(t, "doctor", "-logdir", logdir)
	if err != nil {
		t.Fatalf("doctor: %v\n%s", err, out)
	}
	for _, want := range []string{"tbgo doctor: digits-mlp", "pass  loss at initialisation", "9 passed, 0 warnings, 0 failed", "tensorboard --logdir " + logdir} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	src, err := history.Open(logdir)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	runs := src.Runs()
	if len(runs) != 1 || !strings.HasSuffix(runs[0].Name, "-doctor-digits-mlp") {
		t.Fatalf("runs %v", runs)
	}
	tags, _ := history.Compile("diag/checklist")
	n := 0
	err = src.Values(t.Context(), &history.Options{Tags: tags}, func(v *history.Value) error {
		n++
		if !strings.Contains(v.Text[0], "| input statistics | 11 | **pass** |") {
			t.Errorf("checklist:\n%s", v.Text[0])
		}
		return nil
	})
	if err != nil || n != 1 {
		t.Errorf("%d checklists, %v", n, err)
	}
}

// A broken setup fails its check and the command: exit status 1.
func TestDoctorFails(t *testing.T) {
	for _, tt := range []struct {
		desc string
		args []string
		want string
	}{
		{"raw pixels", []string{"-data.preprocess", "none", "-checks", "inputs"}, "FAIL  input statistics"},
		{"last layer at std 10", []string{"-model.output_init", "normal:10", "-checks", "init_loss"}, "FAIL  loss at initialisation"},
		{"symmetric init", []string{"-model.hidden", "[32]", "-model.init", "constant:0.1", "-checks", "init"}, "FAIL  initialisation"},
		{"imbalanced spirals", []string{"-data", "spirals", "-data.imbalance", "20", "-checks", "balance"}, "FAIL  class balance"},
		{"a scenario diverging at its learning rate", []string{"-scenario", "divergence", "-checks", "lr_range"}, "FAIL  learning-rate range"},
	} {
		t.Run(tt.desc, func(t *testing.T) {
			out, _, err := runTool(t, append([]string{"doctor", "-write=false"}, tt.args...)...)
			if err == nil || errors.Is(err, errUsage) || !strings.Contains(err.Error(), "checks failed") {
				t.Fatalf("doctor: %v, want a failure", err)
			}
			if !strings.Contains(out, tt.want) || !strings.Contains(out, "fix: ") {
				t.Errorf("output lacks %q and a fix:\n%s", tt.want, out)
			}
		})
	}
}

// Bad input is an error naming the problem before any check runs.
func TestDoctorBadInput(t *testing.T) {
	dir := t.TempDir()
	csv := filepath.Join(dir, "bad.csv")
	if err := os.WriteFile(csv, []byte("a,b,label\n1,2,0\n3,x,1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(dir, "run.yaml")
	if err := os.WriteFile(cfg, []byte("epochs: 3\nlayers: 2\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		desc  string
		args  []string
		want  string
		usage bool
	}{
		{"a CSV with a bad cell", []string{"-csv", csv}, "bad.csv:3:2", false},
		{"an unknown knob", []string{"-schedule.learning_rate", "0.1"}, "-schedule.learning_rate", true},
		{"a knob of the wrong type", []string{"-epochs", "many"}, "-epochs:", true},
		{"a config with an unknown key", []string{"-config", cfg}, `run.yaml:2: unknown key "layers"`, true},
		{"an impossible configuration", []string{"-data.val", "1.5"}, "data.val", true},
		{"an unknown check", []string{"-checks", "vibes"}, `unknown check "vibes"`, true},
		{"an unknown scenario", []string{"-scenario", "vibes"}, "vibes", true},
		{"an argument", []string{"extra"}, "no arguments", true},
	} {
		t.Run(tt.desc, func(t *testing.T) {
			out, _, err := runTool(t, append([]string{"doctor", "-write=false"}, tt.args...)...)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("doctor: %v, want an error containing %q", err, tt.want)
			}
			if errors.Is(err, errUsage) != tt.usage {
				t.Errorf("usage error: %v, want %v", errors.Is(err, errUsage), tt.usage)
			}
			if strings.Contains(out, "pass ") || strings.Contains(out, "FAIL ") {
				t.Errorf("checks ran:\n%s", out)
			}
		})
	}
}
