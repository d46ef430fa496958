//go:build compat

package compat

import (
	"path/filepath"
	"testing"

	"github.com/tbgo/tbgo/internal/readme"
)

// TestQuickStartTensorBoard runs the README's quick-start program and opens
// what it wrote in TensorBoard, as the quick start says: both loaders show
// the three runs' losses and the HParams dashboard the three sessions.
func TestQuickStartTensorBoard(t *testing.T) {
	sec, err := readme.Section("## Quick start")
	if err != nil {
		t.Fatal(err)
	}
	progs := readme.Fenced(sec, "go")
	if len(progs) != 1 {
		t.Fatalf("%d go blocks in the quick start, want 1", len(progs))
	}
	work := t.TempDir()
	prog := readme.BuildProgram(t, progs[0], filepath.Join(t.TempDir(), "quickstart"))
	readme.Run(t, work, nil, prog)
	logdir := filepath.Join(work, "runs", "quickstart")
	readme.CheckQuickStartLogdir(t, logdir)

	runs := []string{"lr=0.01", "lr=0.03", "lr=0.1"}
	ready := func(s *Server) (bool, error) {
		var tags map[string]map[string]any
		if err := s.GetJSON("data/plugin/scalars/tags", nil, &tags); err != nil {
			return false, err
		}
		for _, run := range runs {
			if _, ok := tags[run]["loss"]; !ok {
				return false, nil
			}
		}
		return true, nil
	}
	for i, s := range startServers(t, bothLoaders(logdir, ready)) {
		name := []string{"rust", "python"}[i]
		t.Run(name, func(t *testing.T) {
			for _, run := range runs {
				var rows [][3]float64
				if err := s.GetJSON("data/plugin/scalars/scalars", query("run", run, "tag", "loss"), &rows); err != nil {
					t.Fatal(err)
				}
				if len(rows) != 100 {
					t.Errorf("run %s: %d losses, want 100", run, len(rows))
				}
			}
			var groups hpSessionGroups
			body := `{"experimentName":"","allowedStatuses":` + allStatuses + `,"colParams":[],"startIndex":0,"sliceSize":100}`
			if err := s.hparamsPost("session_groups", body, &groups); err != nil {
				t.Fatal(err)
			}
			if len(groups.SessionGroups) != 3 {
				t.Errorf("%d session groups, want the 3 trials", len(groups.SessionGroups))
			}
		})
	}
}
