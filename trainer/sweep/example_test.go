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

// A sweep run twice trains its trials once: the second run reads them
// back from their runs.
func ExampleRun() {
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
		res, err := sweep.Run(context.Background(), c, &sweep.Options{Parallel: 2})
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("%d trials, %d trained, best found: %v\n", len(res.Trials), res.Trained, res.Best != nil)
	}
	// Output:
	// 3 trials, 3 trained, best found: true
	// 3 trials, 0 trained, best found: true
}
