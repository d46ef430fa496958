// Package trainer trains feed-forward neural networks on gonum matrices,
// in float64, on one core, deterministically, and exposes everything a
// diagnostics layer needs to see how training goes: every layer's inputs
// and outputs, every parameter's gradient and last update, and hooks at
// each stage of the loop.
//
// # Quick start
//
//	spec, _ := trainer.PresetSpec("mlp", 10)                // or ParseSpec(yamlBytes)
//	m, err := trainer.NewModel(trainer.Vector(64), spec, 1) // input shape, seed
//	if err != nil { ... }                                   // impossible shapes are errors
//	res, err := trainer.Train(ctx, m, train, val, trainer.Config{
//		Epochs:    40,
//		Optimizer: &trainer.Adam{},
//		Schedule:  trainer.Cosine{LR: 3e-3, Steps: 40 * 45},
//		Hooks:     []trainer.Hook{myLogger},
//	})
//
// # Data layout
//
// A batch is a *mat.Dense with one sample per row. A sample of Shape
// {C, H, W} is stored channel-major (CHW): channel c, row i, column j of
// sample n is x.At(n, c·H·W + i·W + j). A vector of n features is the
// Shape {n, 1, 1}, so that per-channel layers act per feature on vectors.
// Class labels are ints in [0, K); regression targets are a matrix of the
// output's size (see Data and Targets).
//
// # Layers
//
// Each layer is described by a LayerSpec and built by NewModel, which
// checks the shapes: an impossible one is a *SpecError naming the layer,
// wrapping ErrShape, never a panic.
//
//	dense      y = x·Wᵀ + b                       W out×in, b out
//	conv       y[f,i,j] = b[f] + Σ_{c,u,v} W[f,c,u,v]·x[c, i·s−p+u, j·s−p+v]
//	           output height ⌊(H+2p−k)/s⌋+1 (width likewise), zero padding p, stride s
//	maxpool    y = max over k×k windows, stride s (default k), no padding
//	flatten    C×H×W → C·H·W (the storage does not move)
//	batchnorm  y = γ·(x−μ)/√(σ²+ε) + β per channel, μ and σ² over batch and positions
//	           (training) or the running statistics (evaluation);
//	           running r ← (1−momentum)·r + momentum·batch, unbiased variance
//	residual   y = f(x) + x, or f(x) + P·x with a learned projection P
//	           (no bias) when f changes the shape
//	dropout    y = x·mask/(1−rate) in training, mask ~ Bernoulli(1−rate); y = x in evaluation
//
// Activations are layers too, so that a model shows its pre-activations
// (an activation layer's Input) and activations (its Output):
//
//	sigmoid     1/(1+e^−x)                        tanh        tanh x
//	relu        max(0, x)                         leaky_relu  x, or slope·x below 0
//	prelu       x, or a_c·x below 0, a_c learned per channel (initially slope)
//	elu         x, or α(eˣ−1) below 0             softmax     e^xᵢ/Σⱼ e^xⱼ over the sample
//	maxout      max over groups of k consecutive channels (units)
//
// Convolutions run as one matrix product per batch (im2col). All products
// go through an allocation-free, single-threaded kernel (AVX2 and FMA on
// amd64 when the CPU has them, Go elsewhere): a training step starts no
// goroutine and, once its buffers have grown to the batch size,
// allocates nothing.
//
// # Parameters
//
// Model.Params lists the trainable tensors, each a *Param with a stable,
// unique Name ("dense1/weights", "conv1/bias", "bn1/scale",
// "res1/proj/weights", "prelu1/slope") meant as a TensorBoard tag suffix,
// its Kind (Weight, Bias, Scale, Shift, Slope), its logical Shape, FanIn
// and FanOut, its Value, its Grad (dLoss/dValue, added to by Backward) and
// its Update (the change the last optimiser step made). Row j of a dense
// layer's weights, or of a convolution's, is unit j's filter over the
// input, in CHW order. Model.Buffers lists the untrained tensors (batch
// normalisation's running statistics); Save and Load write and read both.
//
// # Initialisation
//
// An Init is a kind and a scale; its text form is "he_normal",
// "glorot_uniform", "normal:0.01", "constant:0.5" and so on:
//
//	normal          N(0, s²), s = 0.01 by default (small networks)
//	uniform         U(−s, s), s = 0.05 by default
//	glorot_normal   N(0, g²·2/(fan_in+fan_out))    glorot_uniform  U(±g·√(6/(fan_in+fan_out)))
//	he_normal       N(0, g²·2/fan_in)              he_uniform      U(±g·√(6/fan_in))
//	constant        every value s (symmetric on purpose)
//
// g is the scale, 1 by default. Weights default to glorot_uniform, biases
// to 0. Init.Std gives the standard deviation an initialiser promises,
// which diagnostics compare trained weights with.
//
// # Losses
//
// A Loss returns the mean loss of a batch and its gradient with respect to
// the model's output (see each type for its formula):
//
//	SoftmaxCrossEntropy  logits and labels; log-sum-exp with the maximum
//	                     subtracted; optional class weights (weighted mean)
//	BinaryCrossEntropy   logits and 0/1 labels or targets in [0, 1]; max(z,0) − z·t + log(1+e^−|z|)
//	MeanSquaredError     targets, or labels as one-hot rows; mean of (o − t)²
//
// A model that predicts uniformly over K classes starts the cross-entropy
// at ln K.
//
// # Optimisers and weight decay
//
// SGD (with momentum and Nesterov momentum, as PyTorch defines them) and
// Adam (bias-corrected) update every trainable parameter and record the
// change in Param.Update. Weight decay is L2 regularisation (λ·θ added to
// the gradient) by default and decoupled (θ ← θ − η·λ·θ, AdamW) with
// Decoupled set; it applies to the parameters whose Decay is set, the
// weights by default, not biases, batch-norm scales and shifts or PReLU
// slopes.
//
// # Learning-rate schedules
//
// A Schedule maps a step (from 0) to a rate: Constant, StepDecay
// (LR·γ^⌊t/every⌋), Exponential (LR·rate^(t/steps)), InverseTime
// (LR/(1+rate·t/steps)), Cosine (from LR to Min over Steps) and Warmup,
// which ramps any of them up linearly over its first steps. Plateau, a
// MetricSchedule, lowers the rate when the metric Train reports after
// each evaluation (the validation loss) stops improving. OptimizerSpec and
// ScheduleSpec describe both in configuration files.
//
// # Gradient clipping
//
// GradNorm is the global L2 norm of the gradients; ClipGlobalNorm scales
// them down to a maximum norm, ClipValue clamps each value. Config sets
// both for Train; non-finite gradients are left alone (scaling a NaN
// spreads it).
//
// # Training and hooks
//
// Train runs mini-batch training: each epoch shuffles the training set
// with the seeded generator (or asks Config.Sampler), optionally distorts
// each batch (Config.Augment), and evaluates on the validation set every
// Config.EvalEvery steps or at each epoch's end. For each batch:
//
//	Forward (training mode) → Loss → ZeroGrad, Backward
//	  → Hook.AfterBackward   gradients as computed, State.GradNorm before clipping
//	clip, optimiser step
//	  → Hook.AfterStep       Param.Update holds the step's change
//	evaluation (when due)
//	  → Hook.AfterEval       State.Val, State.ValOut, State.ValPred
//
// with Hook.Start before the first batch and Hook.End at the end, always,
// even after an error or a cancellation. A hook returns ErrStop to end
// training cleanly. Cancelling the context stops training after the
// current step; Train then evaluates, calls End and returns the Result
// with ctx.Err(). A NaN or infinite loss never panics: Result.NonFiniteStep
// records the first, and hooks decide what to do about it.
//
// # What diagnostics can read
//
// The loop knows nothing of TensorBoard. A diagnostics hook finds every
// measurement of the trainer's checklist in the State:
//
//   - loss at initialisation: State.Loss in the first AfterBackward (step
//     0), against ln K for K classes;
//   - per-parameter gradient norms: Param.Grad in AfterBackward (before
//     clipping); the total: State.GradNorm;
//   - update/weight ratios: ‖Param.Update‖/‖Param.Value − Param.Update‖ in
//     AfterStep, no copy needed;
//   - activations and pre-activations: for each Layer of Model.Layers
//     whose Type.IsActivation(), Output and Input (batch×units) of the
//     current batch, in AfterBackward or AfterStep; dead ReLUs are Output
//     ≤ 0, saturated sigmoid or tanh units Output near their bounds;
//   - histograms of weights, biases and gradients: Param.Value and
//     Param.Grad, by Param.Kind;
//   - first-layer filters: the rows of the first dense or conv layer's
//     weights, reshaped to Layer.In (dense) or [C, k, k] (conv);
//   - NaN and infinities: State.Loss, Result.NonFiniteStep, and the
//     matrices above;
//   - initialisation quality: Param.Init.Std(FanIn, FanOut) against the
//     weights' standard deviation;
//   - a parameter that never trains: its distance from a copy of Value
//     taken in Start;
//   - confusion matrices and PR curves: State.ValPred, State.ValOut;
//   - the model graph: Model.Graph, for summary.Writer.Graph.
//
// # Gradient checking
//
// CheckGradients compares Backward with centred finite differences,
// (L(θ+ε) − L(θ−ε))/2ε, for every parameter value (or a sample) and
// optionally the input, and reports the relative errors
// |a − n|/max(|a|, |n|, floor). The tests of this package check every
// layer, activation and loss this way, with errors below 1e-6.
//
// # Determinism
//
// NewModel draws the initial parameters from its seed, each dropout layer
// its masks from a generator seeded by the model's seed and its position,
// and Train shuffles and augments with Config.Seed. No goroutine and no
// map iteration touches a computation, and the matrix kernel sums in an
// order fixed by the sizes: the same seeds give the same losses, bit for
// bit, on one machine. (Another CPU may take another kernel and round
// differently.)
//
// # Model descriptions
//
// A Spec is a list of LayerSpecs, readable from YAML (ParseSpec refuses
// unknown keys and its errors name the line):
//
//	name: digits-cnn
//	layers:
//	  - {type: conv, filters: 16, kernel: 3, padding: 1, init: he_normal, no_bias: true}
//	  - {type: batchnorm}
//	  - {type: relu}
//	  - {type: residual, layers: [{type: conv, filters: 16, kernel: 3, padding: 1}, {type: relu}]}
//	  - {type: maxpool, kernel: 2}
//	  - {type: flatten}
//	  - {type: dropout, rate: 0.3}
//	  - {type: dense, units: 10}
//
// PresetSpec returns named descriptions: "mlp" and "cnn" for the digits
// (with their tested recipes in Presets), "resnet", and models that fail
// on purpose for teaching, such as "deep_sigmoid" (vanishing gradients);
// MLP builds any stack of dense layers.
package trainer
