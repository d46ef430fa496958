package job

import (
	"fmt"
	"strings"
)

// A Scenario is a reproducible run that shows one training problem, for
// people learning to read TensorBoard (tbgo train -scenario NAME), or a
// healthy run that shows none. Its tests prove both directions: each
// scenario fires the rules it expects, and the healthy ones fire no rule
// at all.
type Scenario struct {
	// Name names the scenario, Description says in one line what it
	// does and what to look at.
	Name, Description string
	// Expect lists the rules of docs/DIAGNOSTICS.md the scenario must fire;
	// empty for a healthy run, which must fire none.
	Expect []int
	// Config returns the run's configuration.
	Config func() Config
}

// Healthy reports whether the scenario is a healthy run.
func (s Scenario) Healthy() bool { return len(s.Expect) == 0 }

// scenario derives a configuration from Default with knobs set as
// "key=value" pairs; the pairs are fixed in this file, so a bad one is a
// programmer error caught by the tests.
func scenario(name string, pairs ...string) func() Config {
	return func() Config {
		c := Default()
		c.Name = name
		for _, kv := range pairs {
			k, v, _ := strings.Cut(kv, "=")
			if err := c.Set(k, v); err != nil {
				panic(fmt.Sprintf("job: scenario %s: %v", name, err))
			}
		}
		return c
	}
}

// short are the knobs most scenarios share: a small MLP on the digits,
// for a few hundred steps, evaluated often.
var short = []string{"model.hidden=[64]", "schedule.name=constant", "epochs=0", "steps=150", "eval_every=15"}

func with(base []string, pairs ...string) []string {
	return append(append([]string(nil), base...), pairs...)
}

var scenarios = []Scenario{
	{Name: "healthy_digits", Expect: nil,
		Description: "the default run (mlp on the digits, Adam, cosine 3e-3, 40 epochs): ≥97% validation accuracy and no alert",
		Config:      scenario("healthy_digits")},
	{Name: "healthy_spirals", Expect: nil,
		Description: "two spirals, standardised, a 64-64 ReLU MLP, Adam with a cosine schedule from 5e-3 for 60 epochs: smooth curves, no alert",
		Config: scenario("healthy_spirals", "data.name=spirals", "data.noise=0.05", "model.hidden=[64, 64]",
			"schedule.lr=5e-3", "epochs=60")},
	{Name: "loss_at_init", Expect: []int{1},
		Description: "the last layer initialised with N(0, 1): huge logits, the loss starts far above ln 10",
		Config:      scenario("loss_at_init", with(short, "model.output_init=normal:1")...)},
	{Name: "divergence", Expect: []int{5},
		Description: "SGD at a learning rate of 50 on a ReLU net: the loss passes 1e3 within three steps, then turns NaN, which stops training",
		Config:      scenario("divergence", with(short, "optimizer.name=sgd", "schedule.lr=50")...)},
	{Name: "lr_too_high", Expect: []int{6},
		Description: "Adam at 0.1: every step changes the weights by about a tenth of their size",
		Config:      scenario("lr_too_high", with(short, "schedule.lr=0.1")...)},
	{Name: "lr_too_low", Expect: []int{6},
		Description: "SGD at 1e-5: the weights barely move, updates 1e-6 of the weights",
		Config:      scenario("lr_too_low", with(short, "optimizer.name=sgd", "schedule.lr=1e-5")...)},
	{Name: "exploding_gradients", Expect: []int{7},
		Description: "a first layer initialised tiny, N(0, 0.01²), under an output layer initialised huge, N(0, 3²): the gradients grow a hundredfold on their way back to the first layer",
		Config: scenario("exploding_gradients", with(short, "model.init=normal:0.01", "model.output_init=normal:3",
			"optimizer.name=sgd", "schedule.lr=1e-3")...)},
	{Name: "vanishing_gradients", Expect: []int{8},
		Description: "10 sigmoid layers (the deep_sigmoid preset) with SGD: the gradients fade towards the input",
		Config: scenario("vanishing_gradients", "model.preset=deep_sigmoid", "optimizer.name=sgd", "schedule.name=constant",
			"schedule.lr=0.1", "epochs=0", "steps=150", "eval_every=15")},
	{Name: "dead_relus", Expect: []int{9},
		Description: "SGD with momentum at a learning rate of 0.5 on a 64-64 ReLU net for spirals: big steps push most units below zero for good",
		Config: scenario("dead_relus", "data.name=spirals", "model.hidden=[64, 64]", "optimizer.name=sgd", "optimizer.momentum=0.9",
			"schedule.name=constant", "schedule.lr=0.5", "epochs=0", "steps=150", "eval_every=15")},
	{Name: "saturation", Expect: []int{10},
		Description: "tanh units initialised with N(0, 2²): pre-activations far beyond ±5, the units stuck at ±1",
		Config:      scenario("saturation", with(short, "model.activation=tanh", "model.init=normal:2")...)},
	{Name: "uncentred_inputs", Expect: []int{11},
		Description: "the raw digits, pixels 0..16, neither centred nor scaled",
		Config:      scenario("uncentred_inputs", with(short, "data.preprocess=none")...)},
	{Name: "symmetric_init", Expect: []int{12},
		Description: "every weight initialised to the same constant: all units of a layer compute the same thing and stay alike",
		Config:      scenario("symmetric_init", with(short, "model.init=constant:0.05")...)},
	{Name: "never_trains", Expect: []int{13, 9},
		Description: "hidden biases start at -100: every ReLU is off, no gradient reaches the first layer, its weights never move; rule 9 fires too",
		Config:      scenario("never_trains", with(short, "model.bias_init=constant:-100")...)},
	{Name: "plateau", Expect: []int{14},
		Description: "logistic regression on two spirals, full batches: stuck near chance level at a constant learning rate",
		Config: scenario("plateau", "data.name=spirals", "model.preset=linear", "schedule.name=constant",
			"schedule.lr=0.05", "epochs=0", "steps=300", "eval_every=10", "batch_size=1000")},
	{Name: "oscillation", Expect: []int{15},
		Description: "SGD with momentum 0.9 at a learning rate of 0.2 in batches of 16 on the digits: the network learns, but its validation accuracy jumps between 60% and 80%",
		Config: scenario("oscillation", "model.hidden=[64]", "optimizer.name=sgd", "optimizer.momentum=0.9",
			"schedule.name=constant", "schedule.lr=0.2", "epochs=0", "steps=400", "eval_every=10", "batch_size=16")},
	{Name: "overfitting", Expect: []int{16},
		Description: "two layers of 256 units trained on 30 digits: training loss to zero, validation loss rising",
		Config: scenario("overfitting", "model.hidden=[256, 256]", "data.train_samples=30", "optimizer.name=sgd", "optimizer.momentum=0.9",
			"schedule.name=constant", "schedule.lr=0.1", "epochs=0", "steps=150", "eval_every=5", "batch_size=30")},
	{Name: "class_imbalance", Expect: []int{17},
		Description: "two spirals with 20 times more samples of one arm than of the other (try -balance sampler)",
		Config: scenario("class_imbalance", "data.name=spirals", "data.imbalance=20", "model.hidden=[32, 32]",
			"schedule.name=constant", "schedule.lr=1e-2", "epochs=0", "steps=100", "eval_every=20")},
	{Name: "loss_mismatch", Expect: []int{18},
		Description: "a sigmoid output trained with mean squared error on class labels, instead of logits and cross-entropy",
		Config:      scenario("loss_mismatch", with(short, "model.output=sigmoid", "loss=mse")...)},
	{Name: "noisy_filters", Expect: []int{19},
		Description: "plain SGD at 1e-3 for a few epochs: the first layer's filters are still their random start (see the filters image)",
		Config: scenario("noisy_filters", "optimizer.name=sgd", "schedule.name=constant", "schedule.lr=1e-3",
			"epochs=8", "model.preset=mlp")},
	{Name: "shuffled_labels", Expect: []int{21},
		Description: "the digits with every label shuffled among the samples: a wide network memorises the training set while validation stays at chance",
		Config: scenario("shuffled_labels", "data.shuffle_labels=1", "model.hidden=[256]", "schedule.name=constant",
			"epochs=0", "steps=400", "eval_every=20")},
	{Name: "leaky_split", Expect: []int{22},
		Description: "the digits with half the samples repeated before the split: copies sit on both sides, and validation accuracy measures memory",
		Config:      scenario("leaky_split", with(short, "data.duplicate=0.5")...)},
}

// Scenarios returns the scenarios, the healthy ones first.
func Scenarios() []Scenario { return append([]Scenario(nil), scenarios...) }

// ScenarioConfig returns the configuration of the scenario called name,
// or an error listing the scenarios.
func ScenarioConfig(name string) (Config, error) {
	for _, s := range scenarios {
		if s.Name == name {
			return s.Config(), nil
		}
	}
	names := make([]string, len(scenarios))
	for i, s := range scenarios {
		names[i] = s.Name
	}
	return Config{}, &ConfigError{Msg: fmt.Sprintf("unknown scenario %q (one of %s)", name, strings.Join(names, ", "))}
}
