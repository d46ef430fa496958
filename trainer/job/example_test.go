package job_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/tbgo/tbgo/trainer/job"
)

// Train the default run, the mlp preset on the embedded digits, into a
// logdir, and look at the outcome.
func ExampleRun() {
	logdir, err := os.MkdirTemp("", "runs")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(logdir)

	cfg := job.Default()
	cfg.Logdir = logdir
	res, err := job.Run(context.Background(), cfg, nil) // nil: print nothing
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("run directory:", filepath.Dir(res.Dir) == logdir)
	fmt.Println("stopped:", res.Stop, "after", res.Steps, "steps")
	fmt.Println("validation accuracy ≥ 97%:", res.Val.Accuracy >= 0.97)
	fmt.Println("alerts:", len(res.Alerts))
	// Output:
	// run directory: true
	// stopped: done after 1800 steps
	// validation accuracy ≥ 97%: true
	// alerts: 0
}

// A configuration file holds what differs from Default; a misspelt key is
// an error naming the line.
func ExampleConfig_Parse() {
	cfg := job.Default()
	err := cfg.Parse([]byte(`
data:
  name: spirals
  imbalance: 20
balance: sampler
schedule:
  lerning_rate: 0.01
`), "train.yaml")
	fmt.Println(err)

	err = cfg.Parse([]byte(`
data: {name: spirals, imbalance: 20}
model: {hidden: [64, 64]}
balance: sampler
schedule: {lr: 0.01}
`), "train.yaml")
	fmt.Println(err, cfg.Data.Name, cfg.Model.Hidden, cfg.Balance, cfg.Schedule.Name, cfg.Schedule.LR)
	// Output:
	// job: train.yaml:7: unknown key "lerning_rate" in schedule (known: every, factor, gamma, lr, min, name, patience, rate, steps, warmup)
	// <nil> spirals [64 64] sampler cosine 0.01
}

// Every knob has a dotted key, which flags, sweeps and hyper-parameters
// share.
func ExampleConfig_Set() {
	cfg := job.Default()
	for _, kv := range [][2]string{{"schedule.lr", "1e-2"}, {"model.hidden", "[32, 32]"}, {"epochs", "many"}} {
		if err := cfg.Set(kv[0], kv[1]); err != nil {
			fmt.Println(err)
		}
	}
	v := cfg.Values()
	fmt.Println(v["schedule.lr"], v["model.hidden"], v["model.preset"] == "", v["epochs"])
	// Output:
	// job: epochs: "many" is not an integer
	// 0.01 [32, 32] true 40
}

// The scenarios reproduce one problem each, and the healthy runs none.
func ExampleScenarios() {
	for _, s := range job.Scenarios()[:5] {
		fmt.Println(s.Name, s.Expect)
	}
	// Output:
	// healthy_digits []
	// healthy_spirals []
	// loss_at_init [1]
	// divergence [5]
	// lr_too_high [6]
}

// Compose builds a configuration as tbgo train does from its flags: a
// scenario, a YAML file over it, then settings over both.
func ExampleCompose() {
	dir, err := os.MkdirTemp("", "compose")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	file := filepath.Join(dir, "run.yaml")
	if err := os.WriteFile(file, []byte("schedule: {lr: 0.01}\nepochs: 5\n"), 0o644); err != nil {
		log.Fatal(err)
	}
	cfg, err := job.Compose("class_imbalance", file, []job.Setting{{Key: "schedule.lr", Value: "0.02"}, {Key: "balance", Value: "sampler"}})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(cfg.Data.Name, cfg.Data.Imbalance, cfg.Epochs, cfg.Schedule.LR, cfg.Balance)
	_, err = job.Compose("", "", []job.Setting{{Key: "schedule.lr", Value: "fast"}})
	var ce *job.ConfigError
	if errors.As(err, &ce) {
		fmt.Println(ce.Detail())
	}
	// Output:
	// spirals 20 5 0.02 sampler
	// schedule.lr: "fast" is not a number
}
