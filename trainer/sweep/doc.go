// Package sweep searches hyper-parameters: it trains one run per trial,
// several at once, and lays the sweep out for TensorBoard's HParams
// dashboard (table, parallel coordinates, scatter plots). It is the
// engine of tbgo sweep, and rule 20 of docs/DIAGNOSTICS.md: search from a
// config file, learning rates log-uniformly, random rather than grid, and
// widen a range whose best value sits on its border.
//
// Run drives a training function of one's own (a TrainFunc) with the
// search, parallelism and resuming of tbgo sweep; RunJobs trains tbgo
// train's runs (package trainer/job):
//
//	c, err := sweep.Parse(yamlText, "lr.yaml")
//	if err != nil { ... }
//	res, err := sweep.Run(ctx, c, func(ctx context.Context, t *sweep.Trial) (sweep.Metrics, error) {
//		acc := myTrain(ctx, t.Float("lr"), t.Int("batch"))   // log into t.Dir if you like
//		return sweep.Metrics{"accuracy/val": acc}, nil
//	}, &sweep.Options{Parallel: 4})
//
//	c, err := sweep.Load("lr.yaml")      // strict YAML; every key checked against the run's knobs
//	res, err := sweep.RunJobs(ctx, c, &sweep.Options{Out: os.Stdout})
//	res.WriteTable(os.Stdout, c)          // every trial, best first; the best; border warnings
//
// Options.Only runs single trials of the expansion by index (Config.Plan
// numbers them, Config.Trial returns one), as tbgo sweep CONFIG -trial N
// does for each task of a Slurm job array or a Kubernetes Indexed Job:
// the processes write into one logdir, and the sweep run whole
// afterwards trains nothing.
//
// # Configuration
//
// For RunJobs, a sweep names a base run configuration (tbgo train's
// YAML, see trainer/job; the default run if none), knobs to set in every
// trial, and a search space: each parameter is a knob, by its dotted key,
// with a distribution. For Run, the parameters are the names the
// training function reads, and there is no base or set:
//
//	log_uniform  {type: log_uniform, low: 1e-4, high: 1e-1}  uniform in log space: as many
//	                                                         trials per decade (learning rates,
//	                                                         weight decay); low > 0
//	uniform      {type: uniform, low: 0, high: 0.5}          uniform (dropout, momentum)
//	int_uniform  {type: int_uniform, low: 16, high: 128}     integers, both ends included
//	choice       {type: choice, values: [adam, sgd]}         any knob: names, lists ([64, 64]),
//	                                                         initialisers (he_normal)
//
// Config documents every key. Parse is strict: an unknown or repeated key,
// a value of the wrong type, low not below high, a log-uniform bound that
// is not positive, an empty choice are errors naming the file, the line
// and the field. Load goes on to check the parameters against the run
// configuration before anything trains: a key that is not a knob, a
// uniform range on an integer knob, a choice or a bound the run refuses
// (optimizer.name: rmsprop, model.dropout: 1.5).
//
// # Search
//
// A random search draws Trials points per stage from a generator seeded
// by the sweep's seed and the stage; a grid search takes the product of
// the choices and of Points values per numeric range (evenly spaced in log
// space for log-uniform ones), the first parameter varying slowest. Real
// values are rounded to 4 significant digits, so that the dashboard shows
// 0.003162, not 0.0031622776601683794.
//
// With stages > 1 the search goes from coarse to fine: after each stage,
// the best top trials so far (default a quarter of the stage, at least
// one) define the next stage's space. A numeric range becomes the interval
// from the smallest to the largest of their values, widened on each side
// by a tenth of the current range's width (NarrowMargin), in log space for
// a log-uniform range, and clipped to the current range (integers rounded
// outwards, kept at least 2 wide); a choice keeps the values the best
// trials took. A point already tried is not tried again.
//
// # Trials and resuming
//
// Each trial is a run in <logdir>/<name>/trial-<id>, with an HParams
// session ending with its status: for RunJobs, a run of trainer/job whose
// session records every knob of its configuration (the swept ones among
// them); for Run, a session of the trial's values that the sweep writes
// with the metrics the function returned (as scalars at step 0). The ID is the first 12 hex
// digits of the SHA-256 of the trial's parameter values and seed (the run
// configuration's, or the sweep's for Run; TrialID): running the same sweep again proposes the same trials, and a
// trial whose run holds a session that ended successfully is read back
// (its metric from the run's event files) instead of trained. A trial that
// failed or was interrupted is trained again, its directory first
// removed. The base configuration is not part of the identity: sweep
// another base under another name.
//
// Trials run concurrently, at most Options.Parallel, Config.Parallel, or
// else runtime.NumCPU() at a time: the trainer computes on one goroutine,
// so each trial keeps one core busy.
//
// # What TensorBoard shows
//
// Before the first trial, Run declares one experiment at the sweep's root
// (summary.WriteExperiment; Config.Experiment): each parameter under its
// key, a choice as a discrete domain, a range as the interval [low, high];
// the metrics loss/train, accuracy/train, loss/val, accuracy/val and the
// sweep's metric. The HParams dashboard shows exactly these columns for
// every trial's session. Open the sweep's directory:
//
//	tensorboard --logdir <logdir>/<name>
//
// # Results
//
// A trial's metric is the last value of Config.Metric (a scalar tag,
// default accuracy/val) in its run, as the dashboard shows it; Goal says
// whether higher (max, the default for accuracies) or lower (min) is
// better. Result.Best is the best successful trial; Result.Warnings holds
// rule 20's warnings: a numeric parameter whose best value lies within
// BorderFraction (10%) of its original range's span from either end,
// measured in log space for a log-uniform range, suggesting a wider range.
package sweep
