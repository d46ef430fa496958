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
// Rules returns the table of docs/DIAGNOSTICS.md (generated from it by
// Reference), rules 1 to 22, each with its number, name, measurement,
// thresholds, source, suggested fix and known limits. The Monitor checks
// rules 1, 5 to 19, 21 and 22; 2, 3 and 4 need runs of their own
// (overfitting a tiny subset, zeroed inputs, finite differences) and are
// tbgo doctor's, 20 is about a search and is tbgo sweep's. The thresholds
// live in the table only: Options.Rules takes a modified copy.
//
//	 1 loss_at_init         the initial loss and logits against the same model with its last layer redrawn at He scale (ExpectedInitLoss)
//	 5 nan_inf              any NaN/Inf at once (naming the first tensor); loss ≥ 1e3 for k steps
//	 6 learning_rate        median log10(‖Δθ‖/‖θ‖) of the weights > −2, or < −4 (see below)
//	 7 exploding_gradients  first/last layer gradient norm > 70, or total > 10 × its running median
//	 8 vanishing_gradients  that ratio < 1e-3 and first-layer norm < 1e-4, or mean |g| < 1e-7 × the loss
//	 9 dead_relus           ≥ 40% of a layer's units silent at k checks in a row
//	10 saturation           > 5% of sigmoid/tanh outputs saturated (warning), > 50% of |pre-activations| ≥ 5 (alert)
//	11 input_scale          training inputs: |mean| > 0.1 or a std outside [0.5, 2]
//	12 poor_init            initial weight variance < 1e-5 or > 10, or every unit identical
//	13 never_trains         a tensor still at its initial value after k checks
//	14 plateau              no improvement > 1e-4 for 10 evaluations (see below)
//	15 oscillation          swings of the validation accuracy ≥ 0.03 and ≥ 3 standard errors in ≥ 20% of the last 10 evaluations
//	16 overfitting          validation loss > 1.5 × its best (and +0.1) while the training loss fell
//	17 class_imbalance      largest/smallest class > 3, unless sampling or weights compensate
//	18 output_loss_mismatch a squashing output before a loss on logits; labels with MSE; targets out of range
//	19 noisy_filters        first-layer filters (5×5 or more) still ≥ 99% as noisy as at initialisation
//	21 val_at_chance        validation accuracy at chance while the training accuracy rises
//	22 train_val_overlap    more than 1% of the validation rows equal to a training row
//
// Rules measured on noisy batches fire only after holding for K
// consecutive checks (3 by default), so that one odd batch does not
// alarm; rules measured once on fixed data (1, 11, 12, 17, 18, 22) and
// non-finite values fire at once. Each (rule, layer) alerts once per run;
// the flag goes on showing whether the condition still holds.
//
// The thresholds are those of docs/DIAGNOSTICS.md's sources where they
// give them, with qualifications that a held-out matrix of healthy runs
// required, each documented in its rule: rules about gradient and update
// scale, saturation, plateaus and noisy filters are judged against the
// loss they act on, and do not fire once the training loss has fallen
// far (a converged model's gradients vanish and its units saturate on
// purpose) or the schedule has decayed the rate; rule 1 derives its
// range from the model and the data instead of a multiple of ln K; rule
// 15 reads the accuracy, as AUTOTRAINER does, from 30% of the run, and
// counts only swings beyond the validation set's binomial noise; rule 19
// compares the filters' noisiness with their own at initialisation, on
// filters of 5×5 pixels or more. A rule whose fix contradicts a more
// specific finding gives way to it: once rule 21 has fired, rules 14, 15,
// 16 and 19 no longer alert, and their earlier alerts are marked
// (Alert.SupersededBy) and ranked after it (Ranked).
//
// Package trainer/job holds a scenario that trips each rule, a held-out
// case per rule on other data and settings, and a matrix of healthy runs
// that trip none; docs/DIAGNOSTICS.md records the measured rates.
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
