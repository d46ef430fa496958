// Package job runs training jobs described by a configuration: the job
// runner behind tbgo train, tbgo doctor and tbgo sweep. A Config names the data, the
// model, the training recipe and the diagnostics; Run checks it, loads and
// prepares the data, builds the model, creates a run directory and trains
// with a diag.Monitor logging everything TensorBoard can show about the
// run, then returns the final metrics and the alerts.
//
// # Quick start
//
//	cfg := job.Default()              // the mlp preset on the embedded digits
//	cfg.Set("schedule.lr", 1e-3)      // any knob, by its dotted key
//	res, err := job.Run(ctx, cfg, os.Stdout)
//	if err != nil { ... }             // configuration and data errors come before training
//	fmt.Println(res.Dir, res.Val.Accuracy, len(res.Alerts))
//
// # Configuration
//
// Every field of Config is a knob with a dotted key, the path of its YAML
// keys: "seed", "data.imbalance", "model.preset", "schedule.lr",
// "diagnostics.diag_every". Knobs lists them with their help texts and
// defaults; Set sets one from text or a value; Values returns them all as
// a flat map, the hyper-parameters a run records. tbgo train has a flag
// per knob, named by its key, and reads the same keys from YAML:
//
//	name: spirals-wide
//	seed: 3
//	data: {name: spirals, noise: 0.05, imbalance: 20}
//	model: {hidden: [64, 64], activation: relu}
//	balance: sampler
//	optimizer: {name: adam, weight_decay: 1e-4}
//	schedule: {name: cosine, lr: 0.005, warmup: 50}
//	epochs: 60
//	diagnostics: {diag_every: 5, histograms: false}
//
// Start from Default and change what differs: Load and Parse read a file
// over Default, so a file holds only its differences. Compose builds a
// configuration as the commands do, from its layers in order: a scenario
// (or Default), a YAML file, then settings such as flags (Setting). Parsing is strict:
// an unknown key, a value of the wrong type or a repeated key is an error
// naming the file, the line and the key, such as
//
//	job: train.yaml:4: unknown key "lerning_rate" in schedule (known: every, factor, gamma, lr, min, name, patience, rate, steps, warmup)
//
// The data: digits (the embedded UCI handwritten digits, 8×8, 10
// classes, with their CC BY 4.0 attribution), the synthetic spirals, xor
// and blobs (with an imbalance knob) and sine (a regression on windows of
// a noisy series), or a CSV file. They are split with a stratified
// validation fraction, optionally cut to a stratified subset of
// train_samples, preprocessed (standardised on the training statistics by
// default; centred; each time-series window centred on its own mean; or
// left raw), and the training batches optionally distorted (shifts,
// rotations, noise). Job.DataText says in one line what was done. A class imbalance is compensated by a weighted loss
// or by class-balanced batches (balance).
//
// The model: a preset of package trainer (mlp, cnn, resnet and the
// teaching presets), a layer description inline or in a file, or an MLP
// by its hidden widths, activation and initialisers; model.output_init
// and model.output adjust any of them (the output layer's initialisation,
// an activation after it) to reproduce mistakes on purpose.
//
// # Validation before training
//
// Validate checks each knob and the combinations that cannot work; Build
// then loads the data and builds the model, so that every problem is an
// error before the first step and before any directory is made: a CSV
// cell that is not a number, a ragged row, a NaN, a label outside
// data.classes (naming file, line and field, from package trainer/data),
// an impossible shape (naming the layer and its line in the YAML), labels
// that do not fit the loss. Configuration errors are *ConfigError values
// wrapping ErrConfig (ConfigError.Detail gives the message without the
// package's name, for a program that prints its own); a CSV error names
// the knob that fixes it as a flag and a YAML key (-data.string_labels
// true, data.string_labels), not a Go option.
//
// # Runs
//
// Run writes the run to <logdir>/<timestamp>-<name>/ (Config.Dir names
// an exact directory instead, for sweeps), with the tags of package
// trainer/diag, an HParams session holding every knob (Values) and the
// run information with the dataset's attribution, and ends the session
// with STATUS_SUCCESS, or STATUS_FAILURE for a run cancelled, failed or
// diverged. A Runner prints the model, progress (plain lines, a redrawn
// bar for terminals, or nothing), each alert with its fix, and a summary
// line. Cancelling the context stops training after the current step;
// the run is evaluated, its writer flushed and closed, and the Result
// returned with ctx.Err(). A run the diagnostics stop at a NaN or an
// infinity returns its Result with a *StopError naming the rule, the
// step, the tensor and the value.
//
// Build and Job serve tools that need the prepared data and model without
// training them with a Monitor, such as tbgo doctor.
//
// # Scenarios
//
// Scenarios are configurations that reproduce one training problem each,
// for people learning to read TensorBoard (tbgo train -scenario NAME),
// and healthy runs on the digits and on spirals. Each names the rules of
// docs/DIAGNOSTICS.md it must fire; the tests run them all and check both
// directions: every scenario fires its rules, the healthy ones fire none.
// The tests also hold the held-out suite: a triggering case per rule on
// data and settings no scenario uses, with the planted cause first among
// the ranked alerts, and a matrix of healthy runs (datasets × classes ×
// seeds × models) that must raise no alert; go test -run
// TestHealthyMatrix ./trainer/job -matrix runs all of it.
package job
