package history_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/tbgo/tbgo/history"
	"github.com/tbgo/tbgo/summary"
	"github.com/tbgo/tbgo/tfevents"
)

// summaryLogdir writes a trial with a session that restarted from step 2
// (steps 0..5, then 2..3 again), an eval run below it without a session
// of its own, and a run of its own whose only tag is all NaN.
func summaryLogdir(t *testing.T) string {
	t.Helper()
	logdir := t.TempDir()
	trial := filepath.Join(logdir, "trial")
	writeFile(t, trial, 0, func(w *summary.Writer) error {
		if err := w.StartSession(map[string]any{"lr": 0.1, "opt": "adam"}, nil); err != nil {
			return err
		}
		for _, p := range []struct {
			step int64
			v    float64
		}{{0, 4}, {1, math.NaN()}, {2, 1}, {3, 1}, {4, 0.5}, {5, 0.25}} {
			if err := w.Scalar("loss", p.step, p.v); err != nil {
				return err
			}
		}
		return nil
	})
	writeFile(t, trial, 100, func(w *summary.Writer) error {
		for _, p := range []struct {
			step int64
			v    float64
		}{{2, 2}, {3, 3}, {3, 0.75}} { // step 3 twice: the later wins
			if err := w.Scalar("loss", p.step, p.v); err != nil {
				return err
			}
		}
		// A writer ends the session its predecessor started.
		end, err := summary.SessionEndValue(summary.StatusSuccess, base.Add(104*time.Second))
		if err != nil {
			return err
		}
		return w.WriteValue(3, end)
	})
	writeFile(t, filepath.Join(trial, "eval"), 200, scalars("acc", 0, 10))
	writeFile(t, filepath.Join(logdir, "nan"), 300, func(w *summary.Writer) error {
		return w.Scalar("x", 1, math.NaN())
	})
	return logdir
}

func TestSummarize(t *testing.T) {
	t.Parallel()
	src := open(t, summaryLogdir(t))
	pt := func(step int64, v float64) history.Point { return history.Point{Step: step, Value: v} }
	type want struct {
		run, sessionRun string
		lr              any
		status          summary.Status
		values          int
		duration        time.Duration
		loss            *history.ScalarSummary
	}
	tests := []struct {
		desc string
		view history.View
		runs []string
		want []want
	}{
		{desc: "tensorboard view: the restart hides steps 4 and 5", view: history.TensorBoard, want: []want{
			{run: "nan", values: 1},
			{run: "trial", sessionRun: "trial", lr: 0.1, status: summary.StatusSuccess, values: 6, duration: 103 * time.Second,
				loss: &history.ScalarSummary{Tag: "loss", Count: 4, NaNs: 1, Last: pt(3, 0.75), Min: pt(3, 0.75), Max: pt(0, 4)}},
			{run: "trial/eval", sessionRun: "trial", lr: 0.1, status: summary.StatusSuccess, values: 2, duration: time.Second},
		}},
		{desc: "raw view: the greatest step is an orphan", view: history.Raw, want: []want{
			{run: "nan", values: 1},
			{run: "trial", sessionRun: "trial", lr: 0.1, status: summary.StatusSuccess, values: 11, duration: 103 * time.Second,
				loss: &history.ScalarSummary{Tag: "loss", Count: 9, NaNs: 1, Last: pt(5, 0.25), Min: pt(5, 0.25), Max: pt(0, 4)}},
			{run: "trial/eval", sessionRun: "trial", lr: 0.1, status: summary.StatusSuccess, values: 2, duration: time.Second},
		}},
		{desc: "a sub-run selected alone inherits its parent's session", view: history.TensorBoard, runs: []string{"*/eval"}, want: []want{
			{run: "trial/eval", sessionRun: "trial", lr: 0.1, status: summary.StatusSuccess, values: 2, duration: time.Second},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			t.Parallel()
			runs, err := history.Compile(tc.runs...)
			if err != nil {
				t.Fatal(err)
			}
			tags, _ := history.Compile("loss", "x")
			sums, err := history.Summarize(context.Background(), src, &history.Options{Runs: runs, Tags: tags, View: tc.view})
			if err != nil {
				t.Fatal(err)
			}
			if len(sums) != len(tc.want) {
				t.Fatalf("%d summaries, want %d: %+v", len(sums), len(tc.want), sums)
			}
			for i, w := range tc.want {
				s := &sums[i]
				if s.Run != w.run || s.SessionRun != w.sessionRun || s.Session.HParams["lr"] != w.lr ||
					s.Session.Status != w.status || s.Values != w.values || s.Duration() != w.duration {
					t.Errorf("run %d: %s session of %q lr %v %v, %d values over %v; want %+v",
						i, s.Run, s.SessionRun, s.Session.HParams["lr"], s.Session.Status, s.Values, s.Duration(), w)
				}
				if s.Scalar("acc") != nil {
					t.Errorf("%s: acc summarised, but not selected", s.Run)
				}
				got := s.Scalar("loss")
				if (got == nil) != (w.loss == nil) {
					t.Fatalf("%s: loss %+v, want %+v", s.Run, got, w.loss)
				}
				if got == nil {
					continue
				}
				g := *got
				for _, p := range []*history.Point{&g.Last, &g.Min, &g.Max} {
					p.WallTime = 0
				}
				if g != *w.loss {
					t.Errorf("%s loss: %+v, want %+v", s.Run, g, *w.loss)
				}
			}
		})
	}
	// A series of NaNs only.
	sums, err := history.Summarize(context.Background(), src, nil)
	if err != nil {
		t.Fatal(err)
	}
	x := sums[0].Scalar("x")
	if sums[0].Run != "nan" || x == nil || x.Count != 1 || x.NaNs != 1 || !math.IsNaN(x.Min.Value) || !math.IsNaN(x.Max.Value) || !math.IsNaN(x.Last.Value) {
		t.Errorf("all-NaN series: %+v", x)
	}
	if sums[0].Session.Started || sums[0].SessionRun != "" {
		t.Errorf("a run without a session: %+v", sums[0])
	}
	none, _ := history.Compile("zzz")
	if sums, err := history.Summarize(context.Background(), src, &history.Options{Runs: none}); err != nil || sums != nil {
		t.Errorf("no run selected: %v, %v", sums, err)
	}
}

// TestSummarizeLastIsTensorBoards: on random histories of restarts and
// repeated steps, Last in the TensorBoard view is the last value of the
// series as TensorBoard shows it (Values in that view), and in the raw
// view the value at the greatest step.
func TestSummarizeLastIsTensorBoards(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(1, 2))
	for trial := range 20 {
		dir := t.TempDir()
		var raw []history.Point
		for file := range 1 + rng.IntN(3) {
			writeFile(t, dir, 100*file, func(w *summary.Writer) error {
				step := rng.Int64N(10)
				for range 1 + rng.IntN(8) {
					v := float64(float32(rng.Float64()))
					raw = append(raw, history.Point{Step: step, Value: v})
					if err := w.Scalar("m", step, v); err != nil {
						return err
					}
					step += rng.Int64N(3) // 0: the same step again
				}
				return nil
			})
		}
		src := open(t, dir)
		for _, view := range []history.View{history.TensorBoard, history.Raw} {
			sums, err := history.Summarize(context.Background(), src, &history.Options{View: view})
			if err != nil {
				t.Fatal(err)
			}
			var want history.Point
			if view == history.TensorBoard {
				shown := scalarValues(t, src, &history.Options{View: view})
				want = history.Point{Step: shown[len(shown)-1].Step, Value: shown[len(shown)-1].Value}
			} else {
				for i, p := range raw {
					if i == 0 || p.Step >= want.Step {
						want = p
					}
				}
			}
			got := sums[0].Scalar("m").Last
			if got.Step != want.Step || got.Value != want.Value {
				t.Errorf("trial %d, %v view: Last %+v, want %+v (raw series %v)", trial, view, got, want, raw)
			}
		}
	}
}

func TestSummarizeDamage(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	file := writeFile(t, dir, 0, scalars("x", 1, 2, 3))
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	b[len(b)-5] ^= 1 // the last record's data
	if err := os.WriteFile(file, b, 0o644); err != nil {
		t.Fatal(err)
	}
	src := open(t, dir)
	sums, err := history.Summarize(context.Background(), src, nil)
	var de *history.DamageError
	if !errors.As(err, &de) || sums != nil {
		t.Fatalf("damage with no Damaged: %v, %v; want a *DamageError", sums, err)
	}
	var seen []*tfevents.Damage
	sums, err = history.Summarize(context.Background(), src, &history.Options{Damaged: func(d *tfevents.Damage) error {
		seen = append(seen, d)
		return nil
	}})
	if err != nil || len(seen) != 1 || sums[0].Scalar("x").Count != 2 || sums[0].Scalar("x").Last.Step != 2 {
		t.Errorf("damage reported: %v, %v, %+v", err, seen, sums)
	}
	if _, err := history.Summarize(context.Background(), src, &history.Options{Strict: true}); !errors.Is(err, tfevents.ErrCorrupt) {
		t.Errorf("strict: %v, want ErrCorrupt", err)
	}
}

// Summarize a sweep: each trial's session and the last, smallest and
// largest value of its loss, as TensorBoard shows them.
func ExampleSummarize() {
	logdir, err := os.MkdirTemp("", "summarize-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(logdir)
	clock := time.Unix(1700000000, 0)
	for i, lr := range []float64{0.1, 0.01} {
		w, err := summary.NewWriter(filepath.Join(logdir, fmt.Sprintf("lr=%g", lr)), &summary.Options{
			Now: func() time.Time { clock = clock.Add(time.Second); return clock },
		})
		if err != nil {
			log.Fatal(err)
		}
		w.StartSession(map[string]any{"lr": lr}, nil)
		for step := range int64(4) {
			w.Scalar("loss", step, 1/float64(step+1)+float64(i))
		}
		w.EndSession(summary.StatusSuccess)
		if err := w.Close(); err != nil {
			log.Fatal(err)
		}
	}

	src, err := history.Open(logdir)
	if err != nil {
		log.Fatal(err)
	}
	defer src.Close()
	sums, err := history.Summarize(context.Background(), src, &history.Options{View: history.TensorBoard})
	if err != nil {
		log.Fatal(err)
	}
	for _, s := range sums {
		loss := s.Scalar("loss")
		fmt.Printf("%s: lr %v, %v after %v; loss last %.3g at step %d, min %.3g, max %.3g\n",
			s.Run, s.Session.HParams["lr"], s.Session.Status, s.Duration(),
			loss.Last.Value, loss.Last.Step, loss.Min.Value, loss.Max.Value)
	}
	// Output:
	// lr=0.01: lr 0.01, STATUS_SUCCESS after 5s; loss last 1.25 at step 3, min 1.25, max 2
	// lr=0.1: lr 0.1, STATUS_SUCCESS after 5s; loss last 0.25 at step 3, min 0.25, max 1
}
