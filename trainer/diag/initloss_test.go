package diag

import (
	"fmt"
	"math"
	"testing"

	"github.com/tbgo/tbgo/trainer"
	"github.com/tbgo/tbgo/trainer/data"
)

// Rule 1 over many seeds and K = 2…20: healthy initialisations of the
// usual models (He before ReLU, Glorot before tanh, the mlp preset) on
// well-scaled data stay within ExpectedInitLoss's range, while a last
// layer drawn five times wider than He's scale (an unscaled randn on 50
// inputs) is flagged at every K.
func TestExpectedInitLossHealthyAndWrong(t *testing.T) {
	t.Parallel()
	seeds := 12
	if testing.Short() || raceBuild {
		seeds = 3
	}
	models := []struct {
		name string
		spec func(k int) trainer.Spec
	}{
		{"mlp preset", func(k int) trainer.Spec { s, _ := trainer.PresetSpec("mlp", k); return s }},
		{"relu 64-64", func(k int) trainer.Spec {
			return trainer.Spec{Layers: []trainer.LayerSpec{
				{Type: trainer.TypeDense, Units: 64, Init: trainer.Init{Kind: trainer.InitHeNormal}}, {Type: trainer.TypeReLU},
				{Type: trainer.TypeDense, Units: 64, Init: trainer.Init{Kind: trainer.InitHeNormal}}, {Type: trainer.TypeReLU},
				{Type: trainer.TypeDense, Units: k}}}
		}},
		{"tanh 32", func(k int) trainer.Spec {
			return trainer.Spec{Layers: []trainer.LayerSpec{
				{Type: trainer.TypeDense, Units: 32}, {Type: trainer.TypeTanh}, {Type: trainer.TypeDense, Units: k}}}
		}},
	}
	healthy, wrong, runs := 0, 0, 0
	for k := 2; k <= 20; k++ {
		for seed := range uint64(seeds) {
			ds, err := data.Blobs(data.BlobsOptions{Classes: k, Dims: 10, PerClass: 40, Seed: seed + 1})
			if err != nil {
				t.Fatal(err)
			}
			data.Standardize(ds)
			for _, m := range models {
				desc := fmt.Sprintf("K=%d seed %d %s", k, seed+1, m.name)
				model, err := trainer.NewModel(trainer.Vector(10), m.spec(k), seed+1)
				if err != nil {
					t.Fatal(err)
				}
				runs++
				l, ok := ExpectedInitLoss(model, trainer.SoftmaxCrossEntropy{}, ds.X, ds.Y, nil, seed+1)
				if !ok {
					t.Fatalf("%s: not measured", desc)
				}
				if l.Bad() {
					healthy++
					t.Errorf("%s: healthy initialisation flagged: loss %.3g, want %s", desc, l.Loss, l.Expected())
				}
				spec := m.spec(k)
				fanIn := model.Params()[len(model.Params())-2].FanIn
				spec.Layers[len(spec.Layers)-1].Init = trainer.Init{Kind: trainer.InitNormal, Scale: 5 * math.Sqrt(2/float64(fanIn))}
				bad, err := trainer.NewModel(trainer.Vector(10), spec, seed+1)
				if err != nil {
					t.Fatal(err)
				}
				if l, _ := ExpectedInitLoss(bad, trainer.SoftmaxCrossEntropy{}, ds.X, ds.Y, nil, seed+1); !l.Bad() {
					wrong++
					t.Errorf("%s: last layer at 5× He not flagged: loss %.3g, want %s", desc, l.Loss, l.Expected())
				}
			}
		}
	}
	t.Logf("%d models: %d healthy flagged, %d wrong missed", runs, healthy, wrong)
}
