package sweep_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/tbgo/tbgo/trainer/sweep"
)

// A grid search's first stage, listed without training: the product of
// the grid points, each trial named by the hash of its values and seed.
func ExampleConfig_Plan() {
	c, err := sweep.Parse([]byte(`
name: grid-demo
method: grid
params:
  schedule.lr:    {type: log_uniform, low: 1e-3, high: 1e-1}
  optimizer.name: {type: choice, values: [adam, sgd]}
`), "grid-demo.yaml")
	if err != nil {
		log.Fatal(err)
	}
	if err := c.Resolve(); err != nil { // over tbgo train's default run
		log.Fatal(err)
	}
	trials, err := c.Plan()
	if err != nil {
		log.Fatal(err)
	}
	for _, t := range trials {
		fmt.Println(t.Texts, t.Values["schedule.lr"], len(t.ID))
	}
	// Output:
	// [0.001 adam] 0.001 12
	// [0.001 sgd] 0.001 12
	// [0.01 adam] 0.01 12
	// [0.01 sgd] 0.01 12
	// [0.1 adam] 0.1 12
	// [0.1 sgd] 0.1 12
}

// A bad range is an error naming the file, the line and the field.
func ExampleParse_error() {
	_, err := sweep.Parse([]byte(`
params:
  schedule.lr: {type: log_uniform, low: 0, high: 0.1}
`), "lr.yaml")
	fmt.Println(err)
	// Output:
	// sweep: lr.yaml:3: params.schedule.lr.low: 0: a log-uniform range needs positive bounds (bad sweep configuration)
}

// A sweep of tbgo train's trainer run twice trains its trials once: the
// second run reads them back from their runs.
func ExampleRunJobs() {
	dir, err := os.MkdirTemp("", "sweep-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	config := filepath.Join(dir, "sweep.yaml")
	err = os.WriteFile(config, []byte(`
name: xor
logdir: `+dir+`
set: {data.name: xor, steps: 20, diagnostics.enabled: false, diagnostics.histograms: false, diagnostics.images: false}
trials: 3
params:
  schedule.lr: {type: log_uniform, low: 1e-3, high: 1e-1}
`), 0o644)
	if err != nil {
		log.Fatal(err)
	}
	for range 2 {
		c, err := sweep.Load(config)
		if err != nil {
			log.Fatal(err)
		}
		res, err := sweep.RunJobs(context.Background(), c, &sweep.Options{Parallel: 2})
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("%d trials, %d trained, best found: %v\n", len(res.Trials), res.Trained, res.Best != nil)
	}
	// Output:
	// 3 trials, 3 trained, best found: true
	// 3 trials, 0 trained, best found: true
}

// Sweep the learning rate of your own training function: the sweep
// proposes the trials, trains two at once, records each as a run with an
// HParams session under one experiment, and ranks them.
func ExampleRun() {
	dir, err := os.MkdirTemp("", "sweep-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	c, err := sweep.Parse([]byte(`
name: my-model
method: grid
metric: loss
params:
  lr: {type: log_uniform, low: 0.01, high: 1, points: 3}
`), "sweep.yaml")
	if err != nil {
		log.Fatal(err)
	}
	c.Logdir = dir
	// The model: gradient descent on f(x) = x², from x = 1.
	train := func(ctx context.Context, t *sweep.Trial) (sweep.Metrics, error) {
		x, lr := 1.0, t.Float("lr")
		for range 10 {
			x -= lr * 2 * x
		}
		return sweep.Metrics{"loss": x * x}, nil
	}
	res, err := sweep.Run(context.Background(), c, train, &sweep.Options{Parallel: 2})
	if err != nil {
		log.Fatal(err)
	}
	for _, t := range res.Trials {
		fmt.Printf("lr %-4s loss %.3g\n", t.String("lr"), t.Metric)
	}
	fmt.Println("best lr:", res.Best.String("lr"))
	// Output:
	// lr 0.01 loss 0.668
	// lr 0.1  loss 0.0115
	// lr 1    loss 1
	// best lr: 0.1
}
