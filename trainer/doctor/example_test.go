package doctor_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"time"

	"github.com/tbgo/tbgo/trainer"
	"github.com/tbgo/tbgo/trainer/data"
	"github.com/tbgo/tbgo/trainer/doctor"
	"github.com/tbgo/tbgo/trainer/job"
)

// digitsSetup is the default run of tbgo train: the "mlp" preset on the
// standardised digits, Adam from 3e-3 in batches of 32.
func digitsSetup() doctor.Setup {
	ds, err := data.Digits()
	if err != nil {
		log.Fatal(err)
	}
	train, val, _, err := ds.Split(data.SplitOptions{Val: 0.2, Seed: 1})
	if err != nil {
		log.Fatal(err)
	}
	data.Standardize(train, val) // fitted on train only
	spec, err := trainer.PresetSpec("mlp", ds.Classes)
	if err != nil {
		log.Fatal(err)
	}
	return doctor.Setup{
		Name: "mlp on digits", Spec: spec, Input: trainer.Vector(ds.Dim()), Seed: 1,
		Train: train, Val: val,
		Optimizer: trainer.OptimizerSpec{Name: "adam"}, LR: 3e-3, BatchSize: 32,
	}
}

// Run the whole checklist on a healthy setup before a long run.
func ExampleRun() {
	rep, err := doctor.Run(context.Background(), digitsSetup(), nil)
	if err != nil {
		log.Fatal(err)
	}
	for _, c := range rep.Checks {
		fmt.Printf("%-4s  rule %2d  %s\n", c.Verdict, c.Rule, c.Title)
	}
	fmt.Println("failed:", rep.Failed())
	// Output:
	// pass  rule 11  input statistics
	// pass  rule 17  class balance
	// pass  rule 22  train/validation overlap
	// pass  rule 12  initialisation
	// pass  rule  1  loss at initialisation
	// pass  rule  4  gradient check
	// pass  rule  2  overfit 20 samples
	// pass  rule  3  real vs zeroed inputs
	// pass  rule  0  learning-rate range
	// failed: false
}

// A last layer initialised far too large makes the first predictions
// confident and wrong: the loss at initialisation is far above what a
// healthy last layer gives on the same data.
func ExampleRun_confidentInit() {
	s := digitsSetup()
	last := len(s.Spec.Layers) - 1
	s.Spec.Layers[last].Init = trainer.Init{Kind: trainer.InitNormal, Scale: 10}
	rep, err := doctor.Run(context.Background(), s, &doctor.Options{Checks: []string{doctor.CheckInitLoss}})
	if err != nil {
		log.Fatal(err)
	}
	c := rep.Check(doctor.CheckInitLoss)
	fmt.Println(c.Verdict, c.Title)
	fmt.Println("want:", c.Expected)
	fmt.Println("more than 10 times ln 10:", c.Value > 23)
	// Output:
	// FAIL loss at initialisation
	// want: loss in [1.15, 3.77] and logits' std ≤ 4.03 (a last layer drawn at He scale gives a loss of 3.02 ± 0.17 and logits' std 1.34 on these samples; ln 10 = 2.3)
	// more than 10 times ln 10: true
}

// Check the run tbgo train would start from a configuration, as tbgo
// doctor does, and keep the report as a run for TensorBoard.
func ExampleSetupOf() {
	dir, err := os.MkdirTemp("", "doctor")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	cfg, err := job.Compose("", "", []job.Setting{{Key: "data.name", Value: "blobs"}, {Key: "data.classes", Value: "4"}})
	if err != nil {
		log.Fatal(err)
	}
	j, err := job.Build(cfg)
	if err != nil {
		log.Fatal(err)
	}
	rep, err := doctor.Run(context.Background(), doctor.SetupOf(j), &doctor.Options{Checks: []string{doctor.CheckOverlap, doctor.CheckInitLoss}})
	if err != nil {
		log.Fatal(err)
	}
	for _, c := range rep.Checks {
		fmt.Println(c.Verdict, c.Title)
	}
	run, err := rep.WriteRun(dir, time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)) // tbgo doctor writes under cfg.Logdir
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(filepath.Base(run))
	// Output:
	// pass train/validation overlap
	// pass loss at initialisation
	// 20260102-030405-doctor-blobs-mlp
}
