package main

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// writeSweep writes a tiny sweep configuration into dir.
func writeSweep(t *testing.T, dir, body string) string {
	t.Helper()
	path := filepath.Join(dir, "sw.yaml")
	head := "logdir: " + strconv.Quote(filepath.Join(dir, "runs")) + `
set: {data.name: xor, steps: 6, diagnostics.enabled: false, diagnostics.histograms: false, diagnostics.images: false}
`
	if err := os.WriteFile(path, []byte(head+body), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// A sweep prints a line per trial, the table and the best trial; run
// again, it trains nothing.
func TestSweepRunsAndResumes(t *testing.T) {
	dir := t.TempDir()
	cfg := writeSweep(t, dir, "method: grid\nparams:\n  schedule.lr: {type: log_uniform, low: 1e-3, high: 1e-1}\n")
	out, _, err := runTool(t, "sweep", "-parallel", "2", cfg)
	if err != nil {
		t.Fatalf("sweep: %v\n%s", err, out)
	}
	for _, want := range []string{"tbgo sweep sw: grid search of schedule.lr", "[3/3] trial-", "| rank | trial | stage | schedule.lr | accuracy/val |", "best: trial-", "3 trials trained now, 0 finished earlier", "tensorboard --logdir " + filepath.Join(dir, "runs", "sw")} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	out, _, err = runTool(t, "sweep", cfg)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "0 trials trained now, 3 finished earlier") || strings.Count(out, "(finished earlier)") != 3 {
		t.Errorf("second run:\n%s", out)
	}
}

// -dry-run lists the trials and trains nothing.
func TestSweepDryRun(t *testing.T) {
	dir := t.TempDir()
	cfg := writeSweep(t, dir, "trials: 4\nparams:\n  optimizer.name: {type: choice, values: [adam, sgd]}\n  schedule.lr: {type: log_uniform, low: 1e-3, high: 1e-1}\n")
	out, _, err := runTool(t, "sweep", "-dry-run", cfg)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Count(out, "  trial-") != 4 || !strings.Contains(out, "optimizer.name=") {
		t.Errorf("dry run:\n%s", out)
	}
	if _, err := os.Stat(filepath.Join(dir, "runs")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a dry run wrote %s: %v", filepath.Join(dir, "runs"), err)
	}
}

// Bad configurations are errors naming file, line and field, before any
// trial trains.
func TestSweepBadInput(t *testing.T) {
	for _, tt := range []struct {
		desc, body, want string
		usage            bool
	}{
		{"unknown key", "trails: 3\nparams:\n  schedule.lr: {type: log_uniform, low: 1e-3, high: 1e-1}\n", `sw.yaml:3: unknown key "trails"`, false},
		{"impossible range", "params:\n  schedule.lr: {type: log_uniform, low: 1e-1, high: 1e-3}\n", "sw.yaml:4: params.schedule.lr.low: 0.1 is not below high 0.001", false},
		{"a knob that does not exist", "params:\n  schedule.lr_max: {type: log_uniform, low: 1e-3, high: 1e-1}\n", "sw.yaml:4: params.schedule.lr_max: not a knob", false},
		{"empty choice", "params:\n  optimizer.name: {type: choice, values: []}\n", "params.optimizer.name.values: a choice needs a non-empty list", false},
	} {
		t.Run(tt.desc, func(t *testing.T) {
			dir := t.TempDir()
			_, _, err := runTool(t, "sweep", writeSweep(t, dir, tt.body))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("sweep: %v, want an error containing %q", err, tt.want)
			}
			if _, err := os.Stat(filepath.Join(dir, "runs")); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("a bad sweep wrote runs: %v", err)
			}
		})
	}
	if _, _, err := runTool(t, "sweep"); !errors.Is(err, errUsage) {
		t.Errorf("sweep without a file: %v, want a usage error", err)
	}
	if _, _, err := runTool(t, "sweep", "/nonexistent/sw.yaml"); err == nil || !strings.Contains(err.Error(), "/nonexistent/sw.yaml") {
		t.Errorf("sweep of a missing file: %v", err)
	}
	// After "--" everything is an argument: a second one is an error even
	// if it looks like a flag.
	cfg := writeSweep(t, t.TempDir(), "method: grid\nparams:\n  schedule.lr: {type: log_uniform, low: 1e-3, high: 1e-1}\n")
	if out, _, err := runTool(t, "sweep", "--", cfg, "-dry-run"); !errors.Is(err, errUsage) {
		t.Errorf("sweep -- CONFIG -dry-run: %v, want a usage error (two arguments)\n%s", err, out)
	}
}

// -trial N, after the configuration as a job array's command line puts
// it, runs exactly trial N; the N processes of an array make the whole
// sweep, which then trains nothing.
func TestSweepTrial(t *testing.T) {
	dir := t.TempDir()
	cfg := writeSweep(t, dir, "method: grid\nparams:\n  schedule.lr: {type: log_uniform, low: 1e-3, high: 1e-1}\n")
	dry, _, err := runTool(t, "sweep", "-dry-run", cfg)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		out, _, err := runTool(t, "sweep", cfg, "-trial", strconv.Itoa(i))
		if err != nil {
			t.Fatalf("-trial %d: %v\n%s", i, err, out)
		}
		var id string
		for _, line := range strings.Split(dry, "\n") {
			if f := strings.Fields(line); len(f) > 1 && f[0] == strconv.Itoa(i) {
				id = f[1]
			}
		}
		if id == "" || !strings.Contains(out, "[1/1] "+id) || !strings.Contains(out, "1 trials trained now") {
			t.Errorf("-trial %d (%s in the dry run):\n%s", i, id, out)
		}
	}
	out, _, err := runTool(t, "sweep", cfg)
	if err != nil || !strings.Contains(out, "0 trials trained now, 3 finished earlier") {
		t.Errorf("the whole sweep after its trials: %v\n%s", err, out)
	}
	if _, _, err := runTool(t, "sweep", cfg, "-trial", "3"); !errors.Is(err, errUsage) || !strings.Contains(err.Error(), "trials 0 to 2") {
		t.Errorf("-trial 3 of 3: %v, want a usage error naming the range", err)
	}
}
