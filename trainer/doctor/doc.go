// Package doctor runs the checklist to go through before a long training
// run, the practice of Karpathy's "A Recipe for Training Neural Networks",
// the CS231n notes and the seed article: short, cheap experiments on the
// model and data about to be trained, each a pass, a warning or a failure
// with the measurement, the threshold and a suggested fix. It is the
// engine of tbgo doctor.
//
//	rep, err := doctor.Run(ctx, doctor.Setup{Spec: spec, Input: trainer.Vector(64),
//		Train: train, Val: val, Optimizer: trainer.OptimizerSpec{Name: "adam"}, LR: 3e-3, Seed: 1}, nil)
//	if err != nil { ... }          // a setup that cannot train at all
//	rep.WriteText(os.Stdout)       // one line per check, fixes under failures
//	rep.Log(w)                     // diag/checklist and the range test in TensorBoard
//	if rep.Failed() { ... }
//
// A Setup is the model description, its input shape, the training data
// already preprocessed as training will see it, the validation data (or
// none: a stratified fifth of the training data is held out), the loss,
// the optimiser, the learning rate and the batch size; tbgo doctor makes
// one from a run configuration (package trainer/job) with SetupOf. Every check builds
// its own models from the Setup's seed: the same Setup gives the same
// report, bit for bit, on one machine.
//
// # The checks
//
// Each check has an ID (for Options.Checks and the report's flags) and
// implements a rule of docs/DIAGNOSTICS.md, with the thresholds
// of this package's constants. In the order Run performs them:
//
//	inputs     rule 11  per-feature mean and std of the training inputs (data.Describe):
//	                    fail if any |mean| > 0.1 or a non-constant feature's std is
//	                    outside [0.5, 2]
//	balance    rule 17  largest over smallest class count (data.ImbalanceRatio): fail
//	                    above 3 unless class weights or balanced sampling compensate;
//	                    skipped for regression
//	overlap    rule 22  validation rows equal to a training row (data.Overlapping):
//	                    fail above 1%, naming a few; skipped without validation data
//	init       rule 12  each weight tensor's std against He √(2/fan_in) before a ReLU
//	                    (leaky, PReLU, ELU, maxout) or Glorot √(2/(fan_in+fan_out))
//	                    otherwise: fail for a variance below 1e-5 or above 10, or a
//	                    constant tensor (symmetric units); warn for a std more than 4×
//	                    off (the output layer may start smaller, as rule 1 advises)
//	init_loss  rule 1   diag.ExpectedInitLoss, the limit tbgo train's Monitor uses:
//	                    the initial loss and logits on 512 training samples against
//	                    the same model with its last layer redrawn at He scale;
//	                    fail when overconfident or below chance; skipped for mean
//	                    squared error
//	gradients  rule 4   trainer.CheckGradients on 4 training samples, 30 values per
//	                    tensor and the input, relative errors with a floor of
//	                    1e-6·max(1, loss) (GradFloor):
//	                    fail above 1e-2 (wrong), warn above 1e-4 (suspicious), pass
//	                    below (good under 1e-7, ok under 1e-4: a kink); the report
//	                    gives the worst value of each tensor
//	overfit    rule 2   train a fresh model on 20 samples (stratified), full batch,
//	                    without dropout, weight decay or class weights, at the
//	                    setup's learning rate: pass when the loss reaches 0.05 with
//	                    every sample right within 500 steps (for regression, 1% of
//	                    the first loss)
//	signal     rule 3   train two fresh models for 300 steps, one on the real inputs,
//	                    one on inputs set to zero (same labels), which can only learn
//	                    the label frequencies: the real one's held-out loss must be at
//	                    least 10% lower, or (classification) its accuracy 10 points
//	                    higher, since a high learning rate can make a model that
//	                    classifies well overconfident and its loss high
//	lr_range   —        the learning-rate range test (see LRRange): fail if the loss
//	                    falls at no rate or diverged at or below the setup's rate;
//	                    warn if the setup's rate is past the lowest point of the
//	                    curve or more than 10× below the suggestion
//
// Only failures fail a report (Report.Failed); tbgo doctor exits with
// status 1 then. A check that cannot apply is skipped, never passed.
//
// # The learning-rate range test
//
// L. N. Smith's range test ("Cyclical Learning Rates for Training Neural
// Networks", WACV 2017, §3.3; fast.ai's lr_find) trains a fresh model for
// 200 steps while the learning rate grows exponentially from 1e-6 to 10,
// recording each batch's loss, and stops when the loss, smoothed by a
// debiased moving average (β = 0.9), exceeds 4 times its lowest value.
// The suggested rate is the more cautious of two readings of the curve:
// where the smoothed loss falls fastest per decade of rate, and a tenth of
// the rate at its lowest point:
//
//	suggested = min(steepest, lowest/10)
//
// Report.RangePlot draws the curve with the suggested and configured rates.
//
// # Output
//
// Report.WriteText prints one line per check, with the threshold and the
// fix under each warning and failure; Report.Markdown renders the same as
// tables (the checks, the gradient check per tensor, the initialisation
// per weight tensor, the range test's findings). Report.Log writes them to
// a summary.Writer: the Markdown as the text summary diag/checklist, a 0/1
// scalar doctor/failed/<check> per check, and the range test as scalars
// doctor/lr_range/learning_rate, doctor/lr_range/loss and
// doctor/lr_range/loss_smoothed (one step per step of the test) and as the
// figure doctor/lr_range.
package doctor
