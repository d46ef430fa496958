package summary_test

import (
	"errors"
	"fmt"
	"log"
	"math"
	"os"
	"path/filepath"

	"github.com/tbgo/tbgo/summary"
	"github.com/tbgo/tbgo/tfevents"
)

// A sweep declares its experiment once, at the logdir root, and writes each
// trial into a run of its own: the session start with the trial's
// hyper-parameters, the metrics as scalars (validation metrics in a run
// below the trial's, the metric's group), and the session end. A later
// declaration widens the first, for a sweep that grows.
func ExampleWriteExperiment() {
	logdir, err := os.MkdirTemp("", "tbgo-hparams")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(logdir)

	exp := summary.Experiment{
		Name: "learning rate sweep",
		HParams: []summary.HParam{
			{Name: "optimizer", Domain: summary.Discrete("adam", "sgd")},
			{Name: "lr", DisplayName: "learning rate", Domain: summary.Interval(1e-4, 1e-2)},
			{Name: "batch_norm", Domain: summary.Discrete(false, true)},
		},
		Metrics: []summary.Metric{
			{Tag: "loss", DisplayName: "training loss", Dataset: summary.DatasetTraining},
			{Tag: "accuracy", Group: "validation", Dataset: summary.DatasetValidation},
		},
	}
	if err := summary.WriteExperiment(logdir, exp); err != nil {
		log.Fatal(err)
	}

	trial := func(name string, hparams map[string]any) {
		w, err := summary.NewWriter(filepath.Join(logdir, name), nil)
		if err != nil {
			log.Fatal(err)
		}
		defer w.Close()
		val, err := summary.NewWriter(filepath.Join(logdir, name, "validation"), nil)
		if err != nil {
			log.Fatal(err)
		}
		defer val.Close()
		if err := w.StartSession(hparams, &summary.SessionOptions{Experiment: &exp}); err != nil {
			log.Fatal(err)
		}
		for step := range int64(3) {
			w.Scalar("loss", step, 1/float64(step+1))
			val.Scalar("accuracy", step, 0.3*float64(step))
		}
		if err := w.EndSession(summary.StatusSuccess); err != nil {
			log.Fatal(err)
		}
	}
	trial("adam-0.001", map[string]any{"optimizer": "adam", "lr": 0.001, "batch_norm": true})
	trial("sgd-0.01", map[string]any{"optimizer": "sgd", "lr": 0.01, "batch_norm": false})

	// Outside the declared domain: refused, nothing written.
	err = exp.Check(map[string]any{"optimizer": "rmsprop", "lr": 0.001})
	fmt.Println(err)

	// The sweep grows: declare the new values, then run the trial.
	exp.HParams[0].Domain = summary.Discrete("rmsprop")
	exp.HParams = append(exp.HParams, summary.HParam{Name: "momentum", Domain: summary.Interval(0, 0.99)})
	if err := summary.WriteExperiment(logdir, exp); err != nil {
		log.Fatal(err)
	}
	grown, err := summary.ReadExperiment(logdir)
	if err != nil {
		log.Fatal(err)
	}
	trial("rmsprop-0.001", map[string]any{"optimizer": "rmsprop", "lr": 0.001, "momentum": 0.9})

	for _, h := range grown.HParams {
		fmt.Printf("%s: %v %v\n", h.Name, h.Domain.Type(), h.Domain)
	}
	runs, err := tfevents.DiscoverRuns(logdir)
	if err != nil {
		log.Fatal(err)
	}
	for _, r := range runs {
		fmt.Printf("run %q\n", r.Name)
	}
	// Output:
	// summary: hparam "optimizer": value "rmsprop" is outside its domain {adam, sgd}
	// optimizer: string {adam, sgd, rmsprop}
	// lr: float64 [0.0001, 0.01]
	// batch_norm: bool {false, true}
	// momentum: float64 [0, 0.99]
	// run "."
	// run "adam-0.001"
	// run "adam-0.001/validation"
	// run "rmsprop-0.001"
	// run "rmsprop-0.001/validation"
	// run "sgd-0.01"
	// run "sgd-0.01/validation"
}

// Without an experiment, TensorBoard infers one from the sessions: every
// hyper-parameter of any session and every scalar tag as a metric. Each
// Writer's run is a session; no other run is created.
func ExampleWriter_StartSession() {
	logdir, err := os.MkdirTemp("", "tbgo-hparams")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(logdir)

	w, err := summary.NewWriter(filepath.Join(logdir, "trial-1"), nil)
	if err != nil {
		log.Fatal(err)
	}
	// Values TensorBoard would drop are refused, and nothing is written.
	fmt.Println(w.StartSession(map[string]any{"layers": 4, "lr": math.Inf(1)}, nil))

	if err := w.StartSession(map[string]any{"layers": 4, "activation": "relu", "residual": true}, nil); err != nil {
		log.Fatal(err)
	}
	w.Scalar("loss", 0, 0.5)
	if err := w.EndSession(summary.StatusFailure); err != nil {
		log.Fatal(err)
	}
	// Close counts the refused value again, for loops that do not check.
	var refused *summary.RefusedError
	if err := w.Close(); !errors.As(err, &refused) {
		log.Fatal(err)
	}
	fmt.Println(refused.Count, "value refused")

	runs, err := tfevents.DiscoverRuns(logdir)
	if err != nil {
		log.Fatal(err)
	}
	for _, r := range runs {
		fmt.Printf("run %q\n", r.Name)
	}
	// Output:
	// summary: hparam "lr": value +Inf is not finite; TensorBoard drops such values
	// 1 value refused
	// run "trial-1"
}
