//go:build compat

package compat

import (
	"context"
	"fmt"
	"path/filepath"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/tbgo/tbgo/history"
	"github.com/tbgo/tbgo/summary"
)

// TestReusedRunDir: a program run twice with the same run directory leaves
// two event files and two sessions in one run. TensorBoard's two loaders
// agree on the session (the first start, the first end: both read them
// from the first value's metadata) and disagree on the scalars (the Rust
// data server lets the second file's lower steps preempt the first's; the
// Python loader, with file_version 2 and no SessionLog, keeps both). tbgo's
// history must agree with both on the session, with the Rust server in its
// TensorBoard view and with the Python loader in its raw view.
func TestReusedRunDir(t *testing.T) {
	logdir := t.TempDir()
	clock := time.Unix(1_700_000_000, 0)
	write := func(run string, lr float64, status summary.Status, steps int, sentinel bool) {
		t.Helper()
		w, err := summary.NewWriter(filepath.Join(logdir, run), &summary.Options{Now: func() time.Time {
			clock = clock.Add(time.Second)
			return clock
		}})
		if err != nil {
			t.Fatal(err)
		}
		if err := w.StartSession(map[string]any{"lr": lr}, nil); err != nil {
			t.Fatal(err)
		}
		for step := range int64(steps) {
			if err := w.Scalar("loss", step, lr*float64(10-step)); err != nil {
				t.Fatal(err)
			}
		}
		if err := w.EndSession(status); err != nil {
			t.Fatal(err)
		}
		if sentinel {
			if err := w.Scalar(SentinelTag, 0, 1); err != nil {
				t.Fatal(err)
			}
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
	}
	write("a", 0.1, summary.StatusFailure, 5, false)
	write("a", 0.2, summary.StatusSuccess, 3, true) // the same run, again
	write("b", 0.3, summary.StatusSuccess, 4, true)

	src, err := history.Open(logdir)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	type session struct {
		lr     any
		status string
	}
	read := func(view history.View) (map[string]session, map[string][]int64) {
		sessions := map[string]*history.Session{}
		steps := map[string][]int64{}
		err := src.Values(context.Background(), &history.Options{View: view}, func(v *history.Value) error {
			if sessions[v.Run] == nil {
				sessions[v.Run] = &history.Session{}
			}
			if _, err := sessions[v.Run].Add(&v.Value); err != nil {
				return err
			}
			if v.Tag == "loss" {
				steps[v.Run] = append(steps[v.Run], v.Step)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]session{}
		for run, s := range sessions {
			out[run] = session{s.HParams["lr"], s.Status.String()}
		}
		return out, steps
	}
	tbSessions, tbSteps := read(history.TensorBoard)
	rawSessions, rawSteps := read(history.Raw)
	wantSessions := map[string]session{"a": {0.1, "STATUS_FAILURE"}, "b": {0.3, "STATUS_SUCCESS"}}
	for name, got := range map[string]map[string]session{"tensorboard": tbSessions, "raw": rawSessions} {
		if !reflect.DeepEqual(got, wantSessions) {
			t.Errorf("history, %s view: sessions %v, want %v", name, got, wantSessions)
		}
	}

	servers := startServers(t, bothLoaders(logdir, sentinelsLoaded([]string{"a", "b"})))
	for i, s := range servers {
		loader, wantSteps, view := "rust", tbSteps, "tensorboard"
		if i == 1 {
			loader, wantSteps, view = "python", rawSteps, "raw"
		}
		t.Run(loader, func(t *testing.T) {
			var groups hpSessionGroups
			body := `{"experimentName":"","allowedStatuses":` + allStatuses + `,"colParams":[],"startIndex":0,"sliceSize":100}`
			if err := s.hparamsPost("session_groups", body, &groups); err != nil {
				t.Fatal(err)
			}
			got := map[string]session{}
			for _, g := range groups.SessionGroups {
				for _, sess := range g.Sessions {
					got[sess.Name] = session{g.HParams["lr"], sess.Status}
				}
			}
			if !reflect.DeepEqual(got, wantSessions) {
				t.Errorf("sessions %v, want %v (what history reads)", got, wantSessions)
			}
			for _, run := range []string{"a", "b"} {
				var rows [][3]float64 // wall time, step, value
				if err := s.GetJSON("data/plugin/scalars/scalars", query("run", run, "tag", "loss"), &rows); err != nil {
					t.Fatal(err)
				}
				var steps []int64
				for _, r := range rows {
					steps = append(steps, int64(r[1]))
				}
				if !slices.Equal(steps, wantSteps[run]) {
					t.Errorf("run %s: loss at steps %v; history's %s view reads %v", run, steps, view, wantSteps[run])
				}
			}
		})
	}
	if fmt.Sprint(tbSteps["a"]) == fmt.Sprint(rawSteps["a"]) {
		t.Errorf("the re-used run's steps are the same in both views (%v): the test no longer tells them apart", tbSteps["a"])
	}
}
