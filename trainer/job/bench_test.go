package job

import (
	"context"
	"testing"
	"time"

	"github.com/tbgo/tbgo/summary"
	"github.com/tbgo/tbgo/trainer"
	"github.com/tbgo/tbgo/trainer/diag"
)

// timed is a hook that adds the time spent in h to *d.
type timed struct {
	h trainer.Hook
	d *time.Duration
}

func (t timed) time(f func(*trainer.State) error, s *trainer.State) error {
	start := time.Now()
	err := f(s)
	*t.d += time.Since(start)
	return err
}

func (t timed) Start(s *trainer.State) error         { return t.time(t.h.Start, s) }
func (t timed) AfterBackward(s *trainer.State) error { return t.time(t.h.AfterBackward, s) }
func (t timed) AfterStep(s *trainer.State) error     { return t.time(t.h.AfterStep, s) }
func (t timed) AfterEval(s *trainer.State) error     { return t.time(t.h.AfterEval, s) }
func (t timed) End(s *trainer.State) error           { return t.time(t.h.End, s) }

// BenchmarkDefaultRun trains the default run (the mlp preset on the
// digits, 1,800 steps of batch 32) with the diagnostics off (trainer.Train
// and no hook) and on (a summary.Writer and a diag.Monitor with every
// default measurement, histogram and image). With the diagnostics on it
// also times the Monitor's hooks and the writer's Close within the run and
// reports them as "overhead-%" of the rest of the run: a ratio measured
// inside one run, which other processes on a shared machine disturb far
// less than the difference of two runs. The target is at most 10%.
//
//	go test -run '^$' -bench DefaultRun -count 5 ./trainer/job
func BenchmarkDefaultRun(b *testing.B) {
	for _, tt := range []struct {
		desc string
		on   bool
	}{{"diagnostics=off", false}, {"diagnostics=on", true}} {
		b.Run(tt.desc, func(b *testing.B) {
			b.ReportAllocs()
			cfg := Default()
			dir := b.TempDir()
			var hooks, total time.Duration
			for b.Loop() {
				b.StopTimer()
				job, err := Build(cfg)
				if err != nil {
					b.Fatal(err)
				}
				tc := job.Trainer
				var w *summary.Writer
				if tt.on {
					w, err = summary.NewWriter(dir, nil)
					if err != nil {
						b.Fatal(err)
					}
					mon := diag.NewMonitor(w, &diag.Options{Session: &diag.Session{HParams: cfg.Values()}})
					tc.Hooks = []trainer.Hook{timed{mon, &hooks}}
				}
				train, val := job.Data()
				b.StartTimer()
				start := time.Now()
				if _, err := trainer.Train(context.Background(), job.Model, train, val, tc); err != nil {
					b.Fatal(err)
				}
				if w != nil {
					closing := time.Now()
					if err := w.Close(); err != nil {
						b.Fatal(err)
					}
					hooks += time.Since(closing)
				}
				total += time.Since(start)
			}
			b.ReportMetric(float64(total.Milliseconds())/float64(b.N), "ms/run")
			if tt.on {
				b.ReportMetric(100*hooks.Seconds()/(total-hooks).Seconds(), "overhead-%")
			}
		})
	}
}
