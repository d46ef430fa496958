package diag

import (
	"context"
	"testing"

	"github.com/tbgo/tbgo/summary"
	"github.com/tbgo/tbgo/trainer"
)

// BenchmarkMonitorStep measures what the Monitor's per-step hooks cost on
// the default digits MLP (64 inputs, 256 ReLUs, 10 outputs, batches of
// 32), averaged over steps: every step logs three scalars and checks for
// NaN; every tenth measures gradients, activations, updates and the
// distance from initialisation. A training step of this model takes
// about 280µs.
//
//	go test -run '^$' -bench MonitorStep ./trainer/diag
func BenchmarkMonitorStep(b *testing.B) {
	for _, tt := range []struct {
		desc string
		file bool
	}{{"writer=none", false}, {"writer=file", true}} {
		b.Run(tt.desc, func(b *testing.B) {
			var w *summary.Writer
			if tt.file {
				var err error
				if w, err = summary.NewWriter(b.TempDir(), nil); err != nil {
					b.Fatal(err)
				}
				defer w.Close()
			}
			spec := trainer.MLP("mlp", []int{256}, trainer.TypeReLU, trainer.Init{Kind: trainer.InitHeNormal}, 10)
			model, err := trainer.NewModel(trainer.Vector(64), spec, 1)
			if err != nil {
				b.Fatal(err)
			}
			d := digitsLike(256)
			mon := NewMonitor(w, &Options{NoImages: true, NoHistograms: true})
			bench := trainer.HookFuncs{OnStep: func(s *trainer.State) error {
				b.ReportAllocs()
				b.ResetTimer()
				for i := range b.N {
					s.Step = i + 1
					if err := mon.AfterBackward(s); err != nil {
						b.Fatal(err)
					}
					if err := mon.AfterStep(s); err != nil {
						b.Fatal(err)
					}
				}
				b.StopTimer()
				return trainer.ErrStop
			}}
			if _, err := trainer.Train(context.Background(), model, d, trainer.Data{}, trainer.Config{Steps: 2, Hooks: []trainer.Hook{mon, bench}}); err != nil {
				b.Fatal(err)
			}
		})
	}
}
