package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tbgo/tbgo/history"
	"github.com/tbgo/tbgo/summary"
	"github.com/tbgo/tbgo/tfevents"
)

// inspectReport is inspect -json's document, as the tests decode it.
type inspectReport = history.InspectReport

func runTool(t *testing.T, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	var out, errOut bytes.Buffer
	err = run(args, &out, &errOut)
	return out.String(), errOut.String(), err
}

func TestDemoThenInspect(t *testing.T) {
	logdir := filepath.Join(t.TempDir(), "demo")
	out, status, err := runTool(t, "demo", "-logdir", logdir, "-steps", "30")
	if err != nil {
		t.Fatal(err)
	}
	if out != "" || !strings.Contains(status, "tensorboard --logdir "+logdir) {
		t.Errorf("demo printed %q to stdout, and to stderr, which lacks the tensorboard command:\n%s", out, status)
	}
	out, _, err = runTool(t, "inspect", "-json", logdir)
	if err != nil {
		t.Fatal(err)
	}
	var rep inspectReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	counts := map[string]int{} // run/plugin/tag -> values
	for _, r := range rep.Runs {
		for _, p := range r.Plugins {
			for _, tag := range p.Tags {
				counts[r.Name+"/"+p.Name+"/"+tag.Tag] = tag.Count
			}
		}
	}
	want := map[string]int{
		"train/scalars/loss":                  30,
		"train/scalars/learning_rate":         30,
		"train/histograms/layer1/weights":     4, // steps 0, 10, 20, 29
		"train/histograms/layer1/activations": 4,
		"train/images/layer1/filters":         2, // steps 0, 29
		"train/text/notes":                    1,
		"train/text/config":                   1,
		"eval/scalars/loss":                   4,
		"eval/scalars/accuracy":               4,
	}
	for k, n := range want {
		if counts[k] != n {
			t.Errorf("%s: %d values, want %d", k, counts[k], n)
		}
	}
	if len(counts) != len(want) {
		t.Errorf("tags %v, want exactly %v", counts, want)
	}
	if rep.Corrupt != 0 || rep.Torn != 0 {
		t.Errorf("demo logdir has %d corrupt and %d torn records", rep.Corrupt, rep.Torn)
	}
	text, _, err := runTool(t, "inspect", logdir)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{`run "train"`, "layer1/weights", "steps 0..29", "0 corrupt record(s)"} {
		if !strings.Contains(text, s) {
			t.Errorf("text report lacks %q:\n%s", s, text)
		}
	}
}

// writeRun writes n scalars of tag "x" at the given steps into dir and
// returns the event file.
func writeRun(t *testing.T, dir string, steps ...int64) string {
	t.Helper()
	w, err := summary.NewWriter(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range steps {
		if err := w.Scalar("x", s, float64(s)); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return w.FileName()
}

func TestInspectDamage(t *testing.T) {
	dir := t.TempDir()
	file := writeRun(t, dir, 1, 2, 3, 2)
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}

	// Out-of-order steps are reported, not an error.
	out, _, err := runTool(t, "inspect", "-json", file)
	if err != nil {
		t.Fatal(err)
	}
	var rep inspectReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	if oo := rep.Runs[0].OutOfOrder; len(oo) != 1 || oo[0].Step != 2 || oo[0].Previous != 3 {
		t.Errorf("out of order = %+v, want step 2 after 3", oo)
	}

	// A torn tail is reported with its offset but is not an error.
	torn := filepath.Join(t.TempDir(), "events.out.tfevents.torn")
	if err := os.WriteFile(torn, data[:len(data)-5], 0o644); err != nil {
		t.Fatal(err)
	}
	out, _, err = runTool(t, "inspect", "-json", torn)
	if err != nil {
		t.Fatalf("torn tail made inspect fail: %v", err)
	}
	rep = inspectReport{}
	json.Unmarshal([]byte(out), &rep)
	probs := rep.Runs[0].Files[0].Damage
	if rep.Torn != 1 || len(probs) != 1 || probs[0].Kind != tfevents.TornTail {
		t.Errorf("torn file: %+v", rep)
	}

	// A flipped data byte is corruption: reported with its offset, exit 1.
	bad := bytes.Clone(data)
	last := len(bad) - 5 // inside the last record's data
	bad[last] ^= 0xff
	corrupt := filepath.Join(t.TempDir(), "events.out.tfevents.bad")
	if err := os.WriteFile(corrupt, bad, 0o644); err != nil {
		t.Fatal(err)
	}
	out, _, err = runTool(t, "inspect", "-json", corrupt)
	if err == nil || errors.Is(err, errUsage) {
		t.Fatalf("corrupt file: err = %v, want a failure", err)
	}
	rep = inspectReport{}
	json.Unmarshal([]byte(out), &rep)
	probs = rep.Runs[0].Files[0].Damage
	if rep.Corrupt != 1 || len(probs) != 1 || probs[0].Kind != tfevents.BadDataChecksum {
		t.Fatalf("corrupt file report: %+v", rep)
	}
	// The damaged record is the last one.
	offs, _ := recordOffsets(t, file)
	if lastOff := offs[len(offs)-1]; probs[0].Offset != lastOff {
		t.Errorf("problem at offset %d, want %d (the last record)", probs[0].Offset, lastOff)
	}
}

func TestUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{},
		{"nope"},
		{"inspect"},
		{"inspect", "a", "b"},
		{"inspect", "-bogus", "x"},
		{"demo", "extra"},
		{"demo", "-steps", "0"},
	} {
		if _, _, err := runTool(t, args...); !errors.Is(err, errUsage) {
			t.Errorf("tbgo %q: err = %v, want a usage error", args, err)
		}
	}
	if _, _, err := runTool(t, "inspect", filepath.Join(t.TempDir(), "missing")); err == nil || errors.Is(err, errUsage) {
		t.Errorf("inspect of a missing path: err = %v, want a failure", err)
	}
	empty := t.TempDir()
	if _, _, err := runTool(t, "inspect", empty); !errors.Is(err, tfevents.ErrNoEventFiles) {
		t.Errorf("inspect of an empty dir: err = %v, want ErrNoEventFiles", err)
	}
	out, _, err := runTool(t, "version")
	if err != nil || !strings.HasPrefix(out, "tbgo ") {
		t.Errorf("version: %q, %v", out, err)
	}
}
