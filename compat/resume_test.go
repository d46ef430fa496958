//go:build compat

package compat

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/tbgo/tbgo/summary"
)

// TestResumePurge writes a run that "crashes" after step 15, then resumes
// it from a checkpoint at step 10 with Options.PurgeStep, and checks what
// each loader shows (the behaviour summary.Options.PurgeStep documents):
//
//   - tags a and b, logged again by the resumed run: both loaders show
//     steps 0-9 from the first session and 10-12 from the second; the
//     orphaned 13-15 are gone;
//   - tag c, never logged again: the Python loader purges its steps >= 10
//     (SessionLog START); the Rust data server, which ignores SessionLog,
//     keeps them.
func TestResumePurge(t *testing.T) {
	logdir := t.TempDir()
	run := filepath.Join(logdir, "resumed")
	clock := time.Unix(1_700_000_000, 0)
	now := func() time.Time { clock = clock.Add(time.Millisecond); return clock }

	first, err := summary.NewWriter(run, &summary.Options{Now: now})
	if err != nil {
		t.Fatal(err)
	}
	for step := int64(0); step <= 15; step++ {
		for _, tag := range []string{"a", "b", "c"} {
			if err := first.Scalar(tag, step, float64(step)); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	second, err := summary.NewWriter(run, &summary.Options{Now: now, PurgeStep: 10})
	if err != nil {
		t.Fatal(err)
	}
	for step := int64(10); step <= 12; step++ {
		for _, tag := range []string{"a", "b"} {
			if err := second.Scalar(tag, step, 100+float64(step)); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := second.Scalar(SentinelTag, 0, 1); err != nil {
		t.Fatal(err)
	}
	if err := second.Close(); err != nil {
		t.Fatal(err)
	}

	// Values by step: steps 0-9 hold the step, 10-12 (a, b) hold 100+step.
	resumed := func(last int64) map[int64]float64 {
		m := map[int64]float64{}
		for s := int64(0); s <= last; s++ {
			m[s] = float64(s)
			if s >= 10 {
				m[s] = 100 + float64(s)
			}
		}
		return m
	}
	firstOnly := func(last int64) map[int64]float64 {
		m := map[int64]float64{}
		for s := int64(0); s <= last; s++ {
			m[s] = float64(s)
		}
		return m
	}
	want := map[string]map[string]map[int64]float64{
		"rust":   {"a": resumed(12), "b": resumed(12), "c": firstOnly(15)},
		"python": {"a": resumed(12), "b": resumed(12), "c": firstOnly(9)},
	}
	specs := bothLoaders(logdir, sentinelsLoaded([]string{"resumed"}))
	servers := startServers(t, specs)
	for i, spec := range specs {
		if err := checkResumed(servers[i], want[spec.name]); err != nil {
			t.Errorf("%s: %v", spec.name, err)
		}
	}
}

func checkResumed(s *Server, want map[string]map[int64]float64) error {
	for _, tag := range sortedKeys(want) {
		var rows [][]json.RawMessage
		if err := s.GetJSON("data/plugin/scalars/scalars", query("run", "resumed", "tag", tag), &rows); err != nil {
			return err
		}
		got := map[int64]float64{}
		var steps []int64
		for _, row := range rows {
			var step int64
			var value Float
			if len(row) != 3 || json.Unmarshal(row[1], &step) != nil || json.Unmarshal(row[2], &value) != nil {
				return fmt.Errorf("tag %s: bad row %s", tag, row)
			}
			got[step] = float64(value)
			steps = append(steps, step)
		}
		if !slices.IsSorted(steps) || len(got) != len(steps) {
			return fmt.Errorf("tag %s: steps %v not strictly increasing", tag, steps)
		}
		for step, v := range want[tag] {
			if g, ok := got[step]; !ok || g != v {
				return fmt.Errorf("tag %s step %d: got %v (present %v), want %v; all steps %v", tag, step, g, ok, v, steps)
			}
		}
		if len(got) != len(want[tag]) {
			return fmt.Errorf("tag %s: steps %v, want exactly %d steps", tag, steps, len(want[tag]))
		}
	}
	return nil
}
