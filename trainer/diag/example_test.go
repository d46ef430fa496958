package diag_test

import (
	"context"
	"fmt"
	"log"
	"math/rand/v2"

	"gonum.org/v1/gonum/mat"

	"github.com/tbgo/tbgo/trainer"
	"github.com/tbgo/tbgo/trainer/diag"
)

// The rule table: who checks each rule of docs/DIAGNOSTICS.md, and when.
func ExampleRules() {
	for _, r := range diag.Rules() {
		fmt.Printf("%2d %-21s %-7s %s\n", r.ID, r.Name, r.By, r.Cadence)
	}
	// Output:
	//  1 loss_at_init          monitor once
	//  2 cannot_overfit        doctor  -
	//  3 ignores_input         doctor  -
	//  4 gradient_check        doctor  -
	//  5 nan_inf               monitor every step
	//  6 learning_rate         monitor every diag_every steps
	//  7 exploding_gradients   monitor every diag_every steps
	//  8 vanishing_gradients   monitor every diag_every steps
	//  9 dead_relus            monitor every diag_every steps
	// 10 saturation            monitor every diag_every steps
	// 11 input_scale           monitor once
	// 12 poor_init             monitor once
	// 13 never_trains          monitor every diag_every steps
	// 14 plateau               monitor every evaluation
	// 15 oscillation           monitor every evaluation
	// 16 overfitting           monitor every evaluation
	// 17 class_imbalance       monitor once
	// 18 output_loss_mismatch  monitor once
	// 19 noisy_filters         monitor every evaluation
	// 20 hyper_parameters      sweep   -
	// 21 val_at_chance         monitor every evaluation
	// 22 train_val_overlap     monitor once
}

// A Monitor with no writer only checks. Here the inputs are left in
// their raw range, ten times too wide and off centre: rule 11 fires
// before the first step.
func ExampleMonitor() {
	rng := rand.New(rand.NewPCG(1, 2))
	x := mat.NewDense(200, 2, nil)
	y := make([]int, 200)
	for i := range 200 {
		a, b := rng.Float64()*2-1, rng.Float64()*2-1
		x.Set(i, 0, 10*a)
		x.Set(i, 1, 10*b)
		if a*b < 0 {
			y[i] = 1
		}
	}
	d := trainer.Data{X: x, Y: y}

	spec := trainer.MLP("xor", []int{16}, trainer.TypeReLU, trainer.Init{Kind: trainer.InitHeNormal}, 2)
	model, err := trainer.NewModel(trainer.Vector(2), spec, 1)
	if err != nil {
		log.Fatal(err)
	}
	mon := diag.NewMonitor(nil, nil)
	if _, err := trainer.Train(context.Background(), model, d, d, trainer.Config{Steps: 20, Hooks: []trainer.Hook{mon}}); err != nil {
		log.Fatal(err)
	}
	fmt.Println(mon.Alerts()[0])
	// Output:
	// warning: step 0: rule 11 input_scale: 0.9686 (|mean| > 0.1 (max |mean| 0.969, std in [5.62, 5.78], values in [-9.95, 9.99])) — fix: mean-centre (per batch for time series) and standardise on the training statistics
}

// Confusion renders a confusion matrix with its counts.
func ExampleConfusion() {
	img := diag.Confusion([][]int{{9, 1}, {2, 8}}, nil)
	fmt.Println(img.Bounds())
	// Output:
	// (0,0)-(55,67)
}
