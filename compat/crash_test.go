//go:build compat

package compat

import (
	"encoding/json"
	"fmt"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/tbgo/tbgo/internal/testenv"
)

// TestCrashedRunsLoad kills internal/crashwriter with SIGKILL in the middle
// of writing, five times, and checks that both of TensorBoard's loaders
// read every crashed file: each run serves at least every scalar a Flush
// returned for, with the right steps and values, torn tail or not.
func TestCrashedRunsLoad(t *testing.T) {
	root, err := testenv.Root()
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(t.TempDir(), "crashwriter")
	build := exec.Command("go", "build", "-o", bin, "./internal/crashwriter")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	logdir := t.TempDir()
	acked := map[string]int{}
	for k := range 5 {
		run := fmt.Sprintf("crash%d", k)
		cmd := exec.Command(bin, "-dir", filepath.Join(logdir, run), "-flush-every", strconv.Itoa(7+k*13))
		acked[run] = killAfterAcks(t, cmd, 200*(k+1), time.Duration(k)*time.Millisecond)
	}

	// servedSteps returns the steps of run's scalar "x", checking values.
	servedSteps := func(s *Server, run string) (int, error) {
		var rows [][]json.RawMessage
		if err := s.GetJSON("data/plugin/scalars/scalars", query("run", run, "tag", "x"), &rows); err != nil {
			return 0, err
		}
		for i, row := range rows {
			var step int64
			var value Float
			if len(row) != 3 || json.Unmarshal(row[1], &step) != nil || json.Unmarshal(row[2], &value) != nil {
				return 0, fmt.Errorf("bad row %s", row)
			}
			if step != int64(i) || float64(value) != float64(i) {
				return 0, fmt.Errorf("point %d has step %d value %v", i, step, value)
			}
		}
		return len(rows), nil
	}
	ready := func(s *Server) (bool, error) {
		for run, n := range acked {
			got, err := servedSteps(s, run)
			if err != nil || got < n {
				return false, fmt.Errorf("run %s: %d of %d flushed scalars served (%v)", run, got, n, err)
			}
		}
		return true, nil
	}
	// startServers fails the test unless every loader serves every flushed
	// scalar of every crashed run, with the right values, in time.
	startServers(t, bothLoaders(logdir, ready))
}
