package trainer

import (
	"fmt"
	"testing"
)

// BenchmarkTrainStep measures one training step (batch gather, forward,
// loss, backward, gradient norm, Adam step) of the presets on 8×8
// digit-sized inputs, reporting samples per second.
func BenchmarkTrainStep(b *testing.B) {
	for _, model := range []string{"mlp", "cnn"} {
		for _, batch := range []int{32, 64} {
			b.Run(fmt.Sprintf("model=%s/batch=%d", model, batch), func(b *testing.B) {
				spec, err := PresetSpec(model, 10)
				if err != nil {
					b.Fatal(err)
				}
				in := Vector(64)
				if model == "cnn" {
					in = Shape{C: 1, H: 8, W: 8}
				}
				m, err := NewModel(in, spec, 1)
				if err != nil {
					b.Fatal(err)
				}
				d := blobs(1, 1024, 64, 10)
				cfg := Config{BatchSize: batch, Epochs: 1, Optimizer: &Adam{}, Schedule: Constant{LR: 1e-3}, Loss: SoftmaxCrossEntropy{}, EvalBatch: 512}
				l := newLoop(m, d, Data{}, &cfg)
				idx := make([]int, batch)
				for i := range idx {
					idx[i] = (i * 37) % 1024
				}
				b.ReportAllocs()
				for b.Loop() {
					l.res.Losses = l.res.Losses[:0]
					if err := l.step(idx); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(batch*b.N)/b.Elapsed().Seconds(), "samples/s")
			})
		}
	}
}

// BenchmarkForward measures evaluation-mode inference of the MLP on the
// validation-sized batch.
func BenchmarkForward(b *testing.B) {
	spec, _ := PresetSpec("mlp", 10)
	m, err := NewModel(Vector(64), spec, 1)
	if err != nil {
		b.Fatal(err)
	}
	x := blobs(1, 360, 64, 10).X
	b.ReportAllocs()
	for b.Loop() {
		m.Forward(x, false)
	}
	b.ReportMetric(float64(360*b.N)/b.Elapsed().Seconds(), "samples/s")
}
