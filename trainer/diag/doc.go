// Package diag watches a training run of package trainer, measures what
// goes on inside the network, logs it to TensorBoard and says what is
// wrong and how to fix it: the practice of "How to debug neural networks"
// and of docs/DIAGNOSTICS.md turned into code.
//
// # Quick start
//
//	w, _ := summary.NewWriter("runs/exp1", nil)
//	defer w.Close()
//	mon := diag.NewMonitor(w, &diag.Options{Alerts: os.Stderr})
//	res, err := trainer.Train(ctx, model, train, val, trainer.Config{Hooks: []trainer.Hook{mon}})
//	for _, a := range mon.Alerts() { fmt.Println(a) }
//
// A Monitor is a trainer.Hook. With a nil Writer it only checks; package
// trainer/job wires it to a run directory for tbgo train and tbgo sweep.
//
// # What it logs
//
// The tags are those of docs/DIAGNOSTICS.md, stable so that dashboards can be
// built on them:
//
//	scalars     loss/train, accuracy/train        every step (the batch's)
//	            train/learning_rate               every DiagEvery steps
//	            loss/val, accuracy/val            after each evaluation
//	            grad_norm/<param>, grad_norm/total                 every DiagEvery steps
//	            update_ratio_log10/<param>        log10(‖Δθ‖/‖θ‖), every DiagEvery steps
//	            act/dead_fraction/<layer>         ReLU units silent on the whole batch
//	            act/saturated_fraction/<layer>    sigmoid / tanh outputs at their bounds
//	            diag/flag/<NN_rule>               1 while a rule fires, else 0
//	histograms  weights/<param>, grads/<param>, act/<layer>, preact/<layer>
//	images      filters/<layer>                   the first layer's filters as a grid
//	            confusion/val                     the validation confusion matrix
//	            inputs/batch                      a fixed batch of training inputs
//	text        diag/alerts                       a Markdown row per alert
//	            diag/checklist                    every rule's status, at the start and end
//	graph       the model (Model.Graph)
//	hparams     a session with the hyper-parameters and the run information
//
// Parameters are named as in package trainer ("dense1/weights"), layers
// by their names ("relu1"). The per-layer measurements read the current
// training batch every DiagEvery steps (10 by default); the curves,
// histograms and images follow the evaluations, the images about ten
// times a run and the histograms about twenty (TensorBoard keeps ten
// images per tag by default). Flags are written after every evaluation
// and whenever one changes.
//
// # The rules
//
// Rules returns the table of docs/DIAGNOSTICS.md, rules 1 to 20, each with its
// number, name, measurement, thresholds, source and suggested fix. The
// Monitor checks rules 1 and 5 to 19; 2, 3 and 4 need runs of their own
// (overfitting a tiny subset, zeroed inputs, finite differences) and are
// tbgo doctor's, 20 is about a search and is tbgo sweep's. The thresholds
// live in the table only: Options.Rules takes a modified copy.
//
//	 1 loss_at_init         initial model on 512 training samples: cross-entropy > 2 × ln K
//	 5 nan_inf              any NaN/Inf at once (naming the first tensor); loss ≥ 1e3 for k steps
//	 6 learning_rate        median log10(‖Δθ‖/‖θ‖) of the weights > −2, or < −4 (see below)
//	 7 exploding_gradients  first/last layer gradient norm > 70, or total > 10 × its running median
//	 8 vanishing_gradients  that ratio < 1e-3 and first-layer norm < 1e-4, or mean |g| < 1e-7
//	 9 dead_relus           ≥ 40% of a layer's units silent at k checks in a row
//	10 saturation           > 5% of sigmoid/tanh outputs saturated (warning), > 50% of |pre-activations| ≥ 5 (alert)
//	11 input_scale          training inputs: |mean| > 0.1 or a std outside [0.5, 2]
//	12 poor_init            initial weight variance < 1e-5 or > 10, or every unit identical
//	13 never_trains         a tensor still at its initial value after k checks
//	14 plateau              no improvement > 1e-4 for 10 evaluations (see below)
//	15 oscillation          swings ≥ 0.03 of the validation accuracy in ≥ 20% of the last 10 evaluations
//	16 overfitting          validation loss > 1.2 × its best (and +0.1) while the training loss fell
//	17 class_imbalance      largest/smallest class > 3, unless sampling or weights compensate
//	18 output_loss_mismatch a squashing output before a loss on logits; labels with MSE; targets out of range
//	19 noisy_filters        first-layer filters (5×5 or more) still ≥ 99% as noisy as at initialisation
//
// Rules measured on noisy batches fire only after holding for K
// consecutive checks (3 by default), so that one odd batch does not
// alarm; rules measured once on fixed data (1, 11, 12, 17, 18) and
// non-finite values fire at once. Each (rule, layer) alerts once per run;
// the flag goes on showing whether the condition still holds.
//
// The thresholds are those of docs/DIAGNOSTICS.md where it gives them, with
// qualifications that healthy runs required, each documented in its rule:
// rules 6 (too low) and 14 do not fire while a schedule has decayed the
// rate below a tenth of its peak or the training loss has fallen below a
// tenth of its first value (annealing and convergence make updates tiny
// and curves flat on purpose); rule 1 measures the initial model on 512
// samples rather than one batch and allows twice ln K, since He and Glorot
// initialisations start near 1.4 × ln K; rule 15 reads the accuracy, as
// AUTOTRAINER does, from 30% of the run; rule 19 compares the filters'
// noisiness with their own at initialisation, on filters of 5×5 pixels or
// more. Package trainer/job holds a scenario that trips each rule and
// healthy runs that trip none, which its tests run.
//
// # Alerts
//
// An Alert carries the step, the rule, the layer or parameter at fault,
// the measured value, the condition it met and the suggested fix. Each is
// written as a row of the Markdown table "diag/alerts" at its step, sets
// its rule's flag to 1, and is printed as one line to Options.Alerts:
//
//	alert: step 20: rule 8 vanishing_gradients: 1.19e-06 (gradient norm of dense1/weights / dense11/weights < 0.001 ...) — fix: ReLU instead of sigmoid/tanh, ...
//
// A NaN or infinite loss or gradient stops training (trainer.ErrStop)
// before the optimiser spreads it into the weights, unless
// Options.KeepGoing is set.
//
// # Cost
//
// The per-step work is three scalar writes; the per-layer measurements
// are single passes over the parameters and the batch's activations every
// DiagEvery steps; images are paletted PNGs drawn without intermediate
// images. On the default digits run (1,800 steps) the Monitor and its
// writer add about 7% to the training time (BenchmarkDefaultRun in
// package trainer/job).
package diag
