package trainer_test

import (
	"context"
	"flag"
	"testing"

	"github.com/tbgo/tbgo/trainer"
	"github.com/tbgo/tbgo/trainer/data"
)

var cnnFlag = flag.Bool("cnn", false, "also train the cnn preset on the digits to its 98% target (about 5 s, a minute under -race)")

// The digits presets, trained with their recipes on the embedded UCI
// digits (stratified 80/20 split, features standardised on the training
// set), reach their targets: mlp 97%, cnn 98% (with -cnn).
func TestPresetRecipes(t *testing.T) {
	ds, err := data.Digits()
	if err != nil {
		t.Fatal(err)
	}
	train, val, _, err := ds.Split(data.SplitOptions{Val: 0.2, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	data.Standardize(train, val)
	for _, tt := range []struct {
		name   string
		in     trainer.Shape
		target float64
		run    bool
	}{
		{"mlp", trainer.Vector(64), 0.97, true},
		{"cnn", train.Shape, 0.98, *cnnFlag},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if !tt.run {
				t.Skip("set -cnn to train the cnn preset")
			}
			var p trainer.Preset
			for _, q := range trainer.Presets() {
				if q.Name == tt.name {
					p = q
				}
			}
			spec, err := trainer.PresetSpec(tt.name, ds.Classes)
			if err != nil {
				t.Fatal(err)
			}
			m, err := trainer.NewModel(tt.in, spec, 1)
			if err != nil {
				t.Fatal(err)
			}
			opt, err := p.Optimizer.New()
			if err != nil {
				t.Fatal(err)
			}
			sch, err := p.Schedule.New(p.Epochs * ((train.Len() + p.BatchSize - 1) / p.BatchSize))
			if err != nil {
				t.Fatal(err)
			}
			res, err := trainer.Train(context.Background(), m, trainer.Data{X: train.X, Y: train.Y}, trainer.Data{X: val.X, Y: val.Y},
				trainer.Config{Epochs: p.Epochs, BatchSize: p.BatchSize, Optimizer: opt, Schedule: sch, Seed: 1})
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%s: validation accuracy %.4f, loss %.4f after %d steps", tt.name, res.Val.Accuracy, res.Val.Loss, res.Steps)
			if res.Val.Accuracy < tt.target {
				t.Errorf("%s: validation accuracy %.4f, want at least %.2f", tt.name, res.Val.Accuracy, tt.target)
			}
		})
	}
}
