package diag

import (
	"fmt"
	"strings"
)

// A Checker says who checks a rule.
type Checker string

// The checkers of the rules.
const (
	// ByMonitor rules are checked by the Monitor during training.
	ByMonitor Checker = "monitor"
	// ByDoctor rules need runs of their own (overfitting a tiny subset,
	// zeroed inputs, finite differences): tbgo doctor checks them before
	// a long run.
	ByDoctor Checker = "doctor"
	// BySweep rules are about a hyper-parameter search: tbgo sweep checks
	// them.
	BySweep Checker = "sweep"
)

// A Cadence says when the Monitor checks a rule.
type Cadence string

// The cadences of the Monitor's checks.
const (
	// Once: at the start of training, on the training data, the
	// initial parameters or the first batch. These are deterministic, so
	// a rule of this cadence fires at its first check.
	Once Cadence = "once"
	// EveryStep: after each step's backward pass (non-finite values and
	// divergence).
	EveryStep Cadence = "every step"
	// DiagStep: every Options.DiagEvery steps, on the current batch.
	DiagStep Cadence = "every diag_every steps"
	// Evaluation: after each evaluation of the validation set.
	Evaluation Cadence = "every evaluation"
	// Elsewhere: not checked by the Monitor (see Checker).
	Elsewhere Cadence = "-"
)

// A Severity grades an alert.
type Severity string

// The severities of alerts.
const (
	// Warning: training goes on, probably worse than it could.
	Warning Severity = "warning"
	// Critical: training is broken or about to be.
	Critical Severity = "alert"
)

// A Threshold is one named limit of a rule.
type Threshold struct {
	Name  string
	Value float64
}

// A Rule is one row of docs/DIAGNOSTICS.md: a symptom, what is measured, when
// it counts as a problem, where the rule comes from and what to do about
// it.
type Rule struct {
	// ID is the rule's number in docs/DIAGNOSTICS.md, 1 to 20.
	ID int
	// Name is a short snake_case name; the rule's flag is the scalar
	// "diag/flag/" + Tag().
	Name string
	// Symptom, Measurement and Condition describe the rule in words; the
	// Condition names the Thresholds.
	Symptom, Measurement, Condition string
	// Thresholds are the rule's limits, by name. The Monitor reads them
	// from the table it is given (Options.Rules), so a copy of the table
	// with other values tunes it.
	Thresholds []Threshold
	// Severity grades the rule's alerts.
	Severity Severity
	// By says who checks the rule; Cadence when the Monitor does.
	By      Checker
	Cadence Cadence
	// Source names the papers and notes the rule comes from.
	Source string
	// Fix is the suggested fix printed with every alert. The Monitor
	// leaves out the parts that do not fit the model it watches (no
	// "ReLU instead of sigmoid" to a ReLU network).
	Fix string
	// Limits says where the rule is known to be blind or to misfire: the
	// cases a user should not read too much into.
	Limits string
}

// Tag returns the rule's number and name as a tag suffix, such as
// "08_vanishing_gradients": the flag is "diag/flag/" + Tag().
func (r Rule) Tag() string { return fmt.Sprintf("%02d_%s", r.ID, r.Name) }

// T returns the threshold called name. It panics if the rule has none of
// that name: the Monitor's code and the table disagree, a programmer
// error.
func (r Rule) T(name string) float64 {
	for _, t := range r.Thresholds {
		if t.Name == name {
			return t.Value
		}
	}
	panic(fmt.Sprintf("diag: rule %d (%s) has no threshold %q", r.ID, r.Name, name))
}

// ThresholdText returns the thresholds as "name=value, ...".
func (r Rule) ThresholdText() string {
	parts := make([]string, len(r.Thresholds))
	for i, t := range r.Thresholds {
		parts[i] = fmt.Sprintf("%s=%g", t.Name, t.Value)
	}
	return strings.Join(parts, ", ")
}

// rules is the table of docs/DIAGNOSTICS.md, with every threshold the
// detectors use. Each threshold is justified by a scenario of package
// trainer/job that trips it and by healthy runs that do not (see
// job.Scenarios and its tests).
var rules = []Rule{
	{ID: 1, Name: "loss_at_init", Symptom: "wrong loss at initialisation",
		Measurement: "loss of the initial model, before any update, on the first 512 training samples (a batch alone is too noisy), in evaluation mode; against the losses the same model gives when its last layer is redrawn draws times at He scale √(2/fan_in), the largest usual initialisation, on the same data (ExpectedInitLoss)",
		Condition:   "cross-entropy (binary: K = 2) above the redrawn losses' mean + spread × their standard deviation + margin × ln K, or below both min_ratio × ln K and their mean − spread × their standard deviation (labels leaking into the inputs); or the initial logits' standard deviation above logit_ratio × the redrawn ones' (overconfident, even where a lucky draw is right)",
		Thresholds:  []Threshold{{"draws", 16}, {"spread", 3}, {"margin", 0.1}, {"min_ratio", 0.5}, {"logit_ratio", 3}},
		Severity:    Warning, By: ByMonitor, Cadence: Once,
		Source: "Karpathy 2019; CS231n",
		Fix:    "shrink the last layer's initialisation (model.output_init, such as normal:0.01); set the output bias to the log class prior",
		Limits: "judges the last layer's scale only: hidden layers initialised too large raise the expectation with the loss (rule 12 and 10 see them); a model whose last layer is not dense is held to 2 × ln K"},
	{ID: 2, Name: "cannot_overfit", Symptom: "the pipeline cannot learn",
		Measurement: "train on 2-20 examples, no regularisation or augmentation",
		Condition:   "must reach ~zero loss / 100% accuracy within a few hundred steps",
		Severity:    Critical, By: ByDoctor, Cadence: Elsewhere,
		Source: "Karpathy 2019; CS231n; the seed article",
		Fix:    "gradient check, label alignment, more capacity, higher learning rate",
		Limits: "a model too small for 20 samples, or a learning rate far off, fails it too: the overfit failure says the pipeline is suspect, not which part"},
	{ID: 3, Name: "ignores_input", Symptom: "the model ignores its input",
		Measurement: "the same run with zeroed inputs",
		Condition:   "real inputs must beat zeroed inputs",
		Severity:    Critical, By: ByDoctor, Cadence: Elsewhere,
		Source: "Karpathy 2019",
		Fix:    "look for a data/label mismatch or a preprocessing bug",
		Limits: "a task whose labels depend on something the inputs do not show fails it correctly; on very noisy data 300 steps may be too few"},
	{ID: 4, Name: "gradient_check", Symptom: "backprop bug",
		Measurement: "centred finite differences in float64",
		Condition:   "relative error above wrong: a wrong gradient; between suspicious and wrong: suspicious; below good: good",
		Thresholds:  []Threshold{{"wrong", 1e-2}, {"suspicious", 1e-4}, {"good", 1e-7}},
		Severity:    Critical, By: ByDoctor, Cadence: Elsewhere,
		Source: "CS231n",
		Fix:    "fix that layer's backward pass",
		Limits: "finite differences cross kinks (ReLU at 0, max-pool ties) and report those as suspicious; float64 rounding sets a floor near 1e-6·loss"},
	{ID: 5, Name: "nan_inf", Symptom: "NaN / Inf, divergence",
		Measurement: "non-finite loss, gradients, weights and activations; the loss",
		Condition:   "any non-finite value (at once, naming the first tensor), or loss ≥ divergence for k steps in a row",
		Thresholds:  []Threshold{{"divergence", 1e3}},
		Severity:    Critical, By: ByMonitor, Cadence: EveryStep,
		Source: "TensorBoard Debugger V2; AUTOTRAINER",
		Fix:    "lower the learning rate, clip gradients, use a stable softmax/log, normalise inputs",
		Limits: "a loss that stays between 1e3 and infinity for fewer than k steps is not divergence to it"},
	{ID: 6, Name: "learning_rate", Symptom: "learning rate too high / too low",
		Measurement: "per weight tensor, log10(‖update‖ / ‖weights‖); the median over the weight tensors",
		Condition:   "median above high, or below low while the learning rate is at least lr_fraction of its peak and the training loss above converged times its first value (annealing on purpose and convergence make updates tiny); healthy near -3",
		Thresholds:  []Threshold{{"high", -2}, {"low", -4}, {"lr_fraction", 0.1}, {"converged", 0.1}},
		Severity:    Warning, By: ByMonitor, Cadence: DiagStep,
		Source: "CS231n",
		Fix:    "scale the learning rate by 10^(-3 - median)",
		Limits: "measured on weight tensors only; Adam's per-parameter scaling makes the ratio a rough guide; not checked once the schedule has decayed or the loss has converged"},
	{ID: 7, Name: "exploding_gradients", Symptom: "exploding gradients",
		Measurement: "gradient norm per tensor and in total; first/last layer weight-gradient norm ratio",
		Condition:   "first/last ratio above ratio, or total norm above spike × its running median (of the last steps) while the training loss is above converged times its first value, or non-finite",
		Thresholds:  []Threshold{{"ratio", 70}, {"spike", 10}, {"converged", 0.1}},
		Severity:    Critical, By: ByMonitor, Cadence: DiagStep,
		Source: "AUTOTRAINER",
		Fix:    "clip by global norm, lower the learning rate, better initialisation, batch-norm",
		Limits: "the spike test needs 20 earlier checks and is not run once the loss has converged (tiny gradients make any step look like a spike); the ratio test needs two weight layers"},
	{ID: 8, Name: "vanishing_gradients", Symptom: "vanishing gradients",
		Measurement: "first/last layer weight-gradient norm ratio, first-layer gradient norm, mean |gradient| of the first layer",
		Condition:   "ratio below ratio and first-layer norm below first_norm, or mean |gradient| below mean_abs × the training loss (gradients of cross-entropy and squared error shrink with the loss), while the training loss is above converged times its first value",
		Thresholds:  []Threshold{{"ratio", 1e-3}, {"first_norm", 1e-4}, {"mean_abs", 1e-7}, {"converged", 0.1}},
		Severity:    Critical, By: ByMonitor, Cadence: DiagStep,
		Source: "AUTOTRAINER; DeepDiagnosis",
		Fix:    "ReLU instead of sigmoid/tanh, He initialisation, batch-norm, residual connections",
		Limits: "not checked once the loss has converged (the gradients of a fitted model vanish on purpose); a network with one weight layer has no ratio"},
	{ID: 9, Name: "dead_relus", Symptom: "dead ReLUs",
		Measurement: "per ReLU unit (or conv channel), whether any sample of the batch activates it; a unit inactive at k checks in a row is dead",
		Condition:   "dead units at least fraction of a layer",
		Thresholds:  []Threshold{{"fraction", 0.4}},
		Severity:    Critical, By: ByMonitor, Cadence: DiagStep,
		Source: "CS231n (\"as much as 40%\")",
		Fix:    "lower the learning rate, He initialisation, Leaky ReLU / PReLU / ELU, a small positive bias",
		Limits: "a batch small enough that a unit sees no positive input by chance looks dead; k checks in a row make that rare"},
	{ID: 10, Name: "saturation", Symptom: "saturated sigmoid / tanh",
		Measurement: "fraction of activations with |a| > tanh_bound (tanh) or outside [sigmoid_low, sigmoid_high] (sigmoid); fraction of pre-activations with |x| ≥ preact_abs",
		Condition:   "pre-activation fraction above alert, or saturated fraction above warn (a warning), while the training loss is above learning times its first value (a network that has learnt saturates its units on confident inputs; saturation matters while it blocks learning)",
		Thresholds: []Threshold{{"warn", 0.05}, {"alert", 0.5}, {"preact_abs", 5}, {"learning", 0.5},
			{"tanh_bound", 0.97}, {"sigmoid_low", 0.03}, {"sigmoid_high", 0.97}},
		Severity: Warning, By: ByMonitor, Cadence: DiagStep,
		Source: "DeepDiagnosis",
		Fix:    "Xavier initialisation, normalise inputs, batch-norm, ReLU",
		Limits: "sigmoid and tanh layers only (a softmax output is rule 18's); not checked once the loss has halved, so saturation that sets in late in a run that has learnt passes"},
	{ID: 11, Name: "input_scale", Symptom: "inputs not centred / scaled",
		Measurement: "per-feature mean and std of the training inputs, as the model sees them (constant features left out of the std)",
		Condition:   "|mean| above max_abs_mean, or a std outside [min_std, max_std]; the raw range is reported",
		Thresholds:  []Threshold{{"max_abs_mean", 0.1}, {"min_std", 0.5}, {"max_std", 2}},
		Severity:    Warning, By: ByMonitor, Cadence: Once,
		Source: "DeepDiagnosis; the seed article",
		Fix:    "mean-centre (per batch for time series) and standardise on the training statistics",
		Limits: "after preprocessing, on the whole training set; features that are constant are left out of the std test"},
	{ID: 12, Name: "poor_init", Symptom: "poor or symmetric initialisation",
		Measurement: "variance of each weight tensor (against He 2/fan_in and Glorot 2/(fan_in+fan_out)); whether all units' weights are equal",
		Condition:   "variance below min_var or above max_var, or every unit of a layer identical (symmetric)",
		Thresholds:  []Threshold{{"min_var", 1e-5}, {"max_var", 10}},
		Severity:    Critical, By: ByMonitor, Cadence: Once,
		Source: "DeepDiagnosis",
		Fix:    "re-initialise with He (ReLU) or Glorot (tanh/sigmoid)",
		Limits: "a deliberately small output layer (rule 1's fix) is fine; only extreme variances and identical units fire"},
	{ID: 13, Name: "never_trains", Symptom: "a parameter never trains",
		Measurement: "distance of each parameter tensor from its initial value",
		Condition:   "distance at most distance after k checks",
		Thresholds:  []Threshold{{"distance", 0}},
		Severity:    Critical, By: ByMonitor, Cadence: DiagStep,
		Source: "TFCheck; Cockpit (\"distance\")",
		Fix:    "check gradient flow to it and the optimiser's parameter list",
		Limits: "a parameter frozen on purpose fires it"},
	{ID: 14, Name: "plateau", Symptom: "loss plateau",
		Measurement: "best validation loss and best EMA of the training loss",
		Condition:   "neither improves by more than min_delta for patience evaluations, while the learning rate is at least lr_fraction of its peak and the training loss above converged times its first value (a decayed schedule, or a loss that has fallen that far and levels off at the data's noise floor, is convergence, not a stall)",
		Thresholds:  []Threshold{{"min_delta", 1e-4}, {"patience", 10}, {"lr_fraction", 0.1}, {"converged", 0.5}},
		Severity:    Warning, By: ByMonitor, Cadence: Evaluation,
		Source: "Keras ReduceLROnPlateau",
		Fix:    "decay the learning rate, try Adam at 3e-4, more capacity",
		Limits: "not checked while the schedule has decayed the rate below a tenth of its peak or the loss is below a tenth of its first value"},
	{ID: 15, Name: "oscillation", Symptom: "oscillating loss (\"jumping\": capacity too small or learning rate too high)",
		Measurement: "swings of the validation accuracy (the loss for a regression) over the last window evaluations: local maxima paired in order with local minima, a swing when they differ by at least swing, and for accuracies by at least noise binomial standard errors √(p(1−p)/n) of a validation set of n samples (a swing of one or two samples of a small set is chance)",
		Condition:   "swings in at least fraction of the window's evaluations, for k evaluations in a row, checked from start_fraction of the planned evaluations on",
		Thresholds:  []Threshold{{"swing", 0.03}, {"noise", 3}, {"fraction", 0.2}, {"window", 10}, {"start_fraction", 0.3}},
		Severity:    Warning, By: ByMonitor, Cadence: Evaluation,
		Source: "AUTOTRAINER (its unstable-training check: zeta 0.03, eta 0.2, from 30% of the epochs); the seed article",
		Fix:    "lower the learning rate, decay it, larger batches, more capacity",
		Limits: "needs at least 4 evaluations and starts at 30% of the run; small validation sets swing by chance (a 50-sample set moves by 0.02 per sample)"},
	{ID: 16, Name: "overfitting", Symptom: "overfitting",
		Measurement: "validation loss against its best, training loss against its value at the best validation loss",
		Condition:   "validation loss above (1 + rise) × its best and above it by min_gap, while the training loss is below its value at the best, for k evaluations in a row",
		Thresholds:  []Threshold{{"rise", 0.5}, {"min_gap", 0.1}},
		Severity:    Warning, By: ByMonitor, Cadence: Evaluation,
		Source: "Karpathy 2019; the seed article",
		Fix:    "more data, distortions, dropout, weight decay, early stopping",
		Limits: "mild overfitting, a validation loss within 1.5 × its best, is left to early stopping (patience); the loss of a validation set of a few dozen samples or fewer is noisy enough to cross it by chance; needs validation data; superseded by rule 21 when validation never leaves chance (shuffled labels also make validation loss rise)"},
	{ID: 17, Name: "class_imbalance", Symptom: "class imbalance",
		Measurement: "training label counts",
		Condition:   "largest/smallest class count above ratio, unless balanced sampling or class weights are on",
		Thresholds:  []Threshold{{"ratio", 3}},
		Severity:    Warning, By: ByMonitor, Cadence: Once,
		Source: "the seed article",
		Fix:    "balanced sampling or class weights, augment the minority classes, output bias = log prior",
		Limits: "not fired when class weights or a balanced sampler compensate"},
	{ID: 18, Name: "output_loss_mismatch", Symptom: "output layer / loss mismatch",
		Measurement: "the output layer against the loss; sums of the outputs read as probabilities; targets against the output's range",
		Condition:   "a squashing output before a loss that takes logits; class labels with MSE (outputs summing off 1 by more than sum_tolerance); targets outside the output activation's range",
		Thresholds:  []Threshold{{"sum_tolerance", 0.01}},
		Severity:    Critical, By: ByMonitor, Cadence: Once,
		Source: "Karpathy 2019; CS231n",
		Fix:    "softmax + cross-entropy on logits for classes, linear output + MSE for regression",
		Limits: "checks the layer types and the targets' range, not a custom loss"},
	{ID: 19, Name: "noisy_filters", Symptom: "noisy first-layer filters",
		Measurement: "the filters image; their noisiness: mean total variation between neighbouring weights over mean |w|, scaled so that white noise is 1 (input pixels that never vary left out), for filters of at least min_side × min_side pixels (a 3×3 kernel has too few neighbours to tell)",
		Condition:   "noisiness above noise × its value at initialisation (the filters are still their random start), checked from start_fraction of the planned steps on while the training loss is above converged times its first value (a task learnt without shaping the filters needs no smoother ones)",
		Thresholds:  []Threshold{{"noise", 0.99}, {"start_fraction", 0.25}, {"min_side", 5}, {"converged", 0.1}},
		Severity:    Warning, By: ByMonitor, Cadence: Evaluation,
		Source: "the seed article; CS231n (visualising first-layer weights)",
		Fix:    "train longer, tune the learning rate, more weight decay",
		Limits: "filters of at least 5×5 pixels only (a 3×3 kernel or a vector input is not an image)"},
	{ID: 20, Name: "hyper_parameters", Symptom: "bad hyper-parameters",
		Measurement: "a search from a config file, the learning rate sampled log-uniformly",
		Condition:   "prefer random to grid search; warn when the best value sits on its range's border",
		Severity:    Warning, By: BySweep, Cadence: Elsewhere,
		Source: "the seed article; CS231n",
		Fix:    "widen the range; search coarse to fine",
		Limits: "a border warning with few trials may be chance: widen the range and search again"},
	{ID: 21, Name: "val_at_chance", Symptom: "validation at chance while training learns",
		Measurement: "validation accuracy against chance (the largest class's share of the validation set), training accuracy since the last evaluation",
		Condition:   "validation accuracy within chance_margin of the way from chance to 1 while training accuracy is at least learns of the way above chance, for k evaluations in a row; supersedes rules 14, 15, 16 and 19, whose fixes would point the wrong way",
		Thresholds:  []Threshold{{"chance_margin", 0.1}, {"learns", 0.3}},
		Severity:    Critical, By: ByMonitor, Cadence: Evaluation,
		Source: "Karpathy 2019 (\"visualise just before the net\"); the seed article (data/label mismatch)",
		Fix:    "first suspects: labels not aligned with their inputs (shuffled or shifted rows, a sort or join that separated them) and a split whose validation part differs from training (other preprocessing, other source); look at a few validation rows with their labels; tbgo doctor checks rules 2, 3 and 22",
		Limits: "classification with validation data only; a task truly unlearnable from its inputs, or a training set of a few dozen samples that a large model memorises without generalising, fires it too (for the latter, rule 16's fix applies)"},
	{ID: 22, Name: "train_val_overlap", Symptom: "the same rows in training and validation",
		Measurement: "rows of the validation inputs equal, value for value, to a row of the training inputs (hashed), after preprocessing",
		Condition:   "shared fraction of the validation rows above max_fraction; the alert gives the fraction and a few examples (validation row = training row)",
		Thresholds:  []Threshold{{"max_fraction", 0.01}},
		Severity:    Critical, By: ByMonitor, Cadence: Once,
		Source: "Kaufman et al., \"Leakage in data mining\" (2012); the seed article",
		Fix:    "remove duplicate rows before splitting (or split by group, such as one source per side), so that validation measures unseen data",
		Limits: "exact duplicates only: near-duplicates (a re-scaled or cropped copy) pass; inputs only, labels are not compared"},
}

// Rules returns a copy of the rule table, rules 1 to 22 in order.
func Rules() []Rule {
	out := make([]Rule, len(rules))
	for i, r := range rules {
		r.Thresholds = append([]Threshold(nil), r.Thresholds...)
		out[i] = r
	}
	return out
}

// RuleByID returns rule id of the table, and false if there is none.
func RuleByID(id int) (Rule, bool) {
	for _, r := range rules {
		if r.ID == id {
			return r, true
		}
	}
	return Rule{}, false
}
