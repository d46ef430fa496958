package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tbgo/tbgo/internal/readme"
)

// The README's own-data example works as written: its CSV trains, and
// every command of the section runs (in a temporary directory, with the
// runs under it).
func TestReadmeOwnCSV(t *testing.T) {
	t.Parallel()
	sec, err := readme.Section("### Train on your own CSV")
	if err != nil {
		t.Fatal(err)
	}
	csvs, cmds := readme.Fenced(sec, "csv"), readme.Fenced(sec, "sh")
	if len(csvs) != 1 || len(cmds) != 1 {
		t.Fatalf("%d csv and %d sh blocks, want 1 and 1", len(csvs), len(cmds))
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "machines.csv"), []byte(csvs[0]), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(strings.TrimSpace(cmds[0]), "\n") {
		args := strings.Fields(line)
		if len(args) < 2 || args[0] != "tbgo" {
			t.Fatalf("not a tbgo command: %q", line)
		}
		var redirect string
		if i := len(args) - 2; args[i] == ">" {
			redirect, args = args[i+1], args[:i]
		}
		for i, a := range args {
			if strings.HasSuffix(a, ".csv") || strings.HasSuffix(a, ".yaml") {
				args[i] = filepath.Join(dir, a)
			}
		}
		args = append(args[1:], "-logdir", filepath.Join(dir, "runs"))
		if args[0] == "train" {
			args = append(args, "-progress", "quiet")
		}
		out, _, err := runTool(t, args...)
		if err != nil {
			t.Fatalf("%s: %v\n%s", line, err, out)
		}
		switch {
		case redirect != "":
			if err := os.WriteFile(filepath.Join(dir, redirect), []byte(out), 0o644); err != nil {
				t.Fatal(err)
			}
		case args[0] == "doctor" && !strings.Contains(out, "9 passed, 0 warnings, 0 failed"):
			t.Errorf("%s: not every check passed:\n%s", line, out)
		case args[0] == "train" && (!strings.Contains(out, "no alerts") || !strings.Contains(out, "3 classes (fault, idle, running)")):
			t.Errorf("%s: alerts, or not the classes the README promises:\n%s", line, out)
		}
		if strings.Contains(line, "-csv") && args[0] == "train" && !strings.Contains(line, "print-config") {
			want := "data: machines.csv, 30 training and 6 validation samples, 3 classes (fault, idle, running); standardised (each feature to mean 0, std 1 with the training split's statistics)"
			if !strings.Contains(out, want) {
				t.Errorf("%s: the data: line differs from the README's:\n%s", line, out)
			}
		}
	}
}
