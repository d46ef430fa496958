package job

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/tbgo/tbgo/trainer"
	"github.com/tbgo/tbgo/trainer/diag"
)

// heldOut is a triggering case of one rule, built from data and settings
// other than those of the scenario that defines the rule.
type heldOut struct {
	rule     int
	desc     string
	settings []string // key=value over Default
	// first lists the rules that may come first among the ranked alerts
	// (diag.Ranked): the planted rule and those that name the same
	// cause, such as dead ReLUs for a tensor that never trains.
	first []int
}

// heldOutCases returns one or more triggering cases per rule the Monitor
// checks.
func heldOutCases(t *testing.T) []heldOut {
	blobs := func(k int, more ...string) []string {
		return with([]string{"data.name=blobs", fmt.Sprintf("data.classes=%d", k), "data.dims=8"}, more...)
	}
	short := []string{"schedule.name=constant", "epochs=0", "steps=200", "eval_every=10"}
	return []heldOut{
		{1, "blobs, 4 classes, a 128-unit layer under a last layer drawn from N(0, 2²)",
			blobs(4, with(short, "model.hidden=[128]", "model.output_init=normal:2")...), []int{1}},
		{5, "xor, a tanh 32-32 network, SGD at a learning rate of 300",
			with(short, "data.name=xor", "model.hidden=[32, 32]", "model.activation=tanh", "optimizer.name=sgd", "schedule.lr=300"), []int{5}},
		{6, "blobs, 5 classes, Adam at 0.3 (too high)",
			blobs(5, with(short, "schedule.lr=0.3")...), []int{6}},
		{6, "spirals, SGD at 1e-6 (too low)",
			with(short, "data.name=spirals", "model.hidden=[32, 32]", "optimizer.name=sgd", "schedule.lr=1e-6"), []int{6}},
		{7, "blobs, 4 classes, a 128-unit layer initialised N(0, 0.005²) under a last layer at N(0, 2²), SGD at 0.01",
			blobs(4, with(short, "model.hidden=[128]", "model.init=normal:0.005", "model.output_init=normal:2", "optimizer.name=sgd", "schedule.lr=0.01")...), []int{7, 1}},
		{8, "blobs, 3 classes, eight sigmoid layers, SGD",
			blobs(3, with(short, "model.hidden=[32, 32, 32, 32, 32, 32, 32, 32]", "model.activation=sigmoid", "optimizer.name=sgd", "schedule.lr=0.1")...), []int{8, 6}},
		{9, "blobs, 3 classes, a 128-128 ReLU network, SGD with momentum at 0.5",
			blobs(3, with(short, "model.hidden=[128, 128]", "optimizer.name=sgd", "optimizer.momentum=0.9", "schedule.lr=0.5")...), []int{9, 6, 5}},
		{10, "blobs, 4 classes, a sigmoid layer initialised N(0, 3²)",
			blobs(4, with(short, "model.hidden=[64]", "model.activation=sigmoid", "model.init=normal:3")...), []int{10, 12}},
		{11, "own CSV, features off centre and wide, left raw",
			[]string{"data.name=csv", "data.path=" + ownCSV(t, 4), "data.string_labels=true", "data.preprocess=none", "schedule.name=constant", "epochs=0", "steps=100", "eval_every=10"}, []int{11}},
		{12, "spirals, every weight initialised to 0.2",
			with(short, "data.name=spirals", "model.hidden=[32, 32]", "model.init=constant:0.2"), []int{12}},
		{12, "blobs, 3 classes, weights initialised N(0, 0.001²): variance 1e-6",
			blobs(3, with(short, "model.hidden=[32]", "model.init=normal:0.001")...), []int{12}},
		{13, "blobs, 5 classes, hidden biases at -50: every ReLU off",
			blobs(5, with(short, "model.hidden=[32]", "model.bias_init=constant:-50")...), []int{13, 9, 8}},
		{14, "xor, logistic regression, full batches, constant rate",
			[]string{"data.name=xor", "model.preset=linear", "schedule.name=constant", "schedule.lr=0.05", "epochs=0", "steps=300", "eval_every=10", "batch_size=1000"}, []int{14, 6}},
		{15, "blobs, 6 classes in 2 dimensions, SGD with momentum at 0.5 in batches of 8",
			[]string{"data.name=blobs", "data.classes=6", "data.separation=3", "data.per_class=200", "model.hidden=[32]", "optimizer.name=sgd", "optimizer.momentum=0.9", "schedule.name=constant", "schedule.lr=0.5", "epochs=0", "steps=400", "eval_every=10", "batch_size=8"}, []int{15, 6, 5, 14, 7}},
		{16, "blobs, 5 overlapping classes, 40 training samples, a 256-256 network, Adam",
			[]string{"data.name=blobs", "data.classes=5", "data.dims=8", "data.separation=2", "data.train_samples=40", "model.hidden=[256, 256]", "schedule.name=constant", "schedule.lr=0.01", "epochs=0", "steps=300", "eval_every=10", "batch_size=40"}, []int{16}},
		{17, "blobs, 3 classes, 10 times more of one",
			blobs(3, with(short, "data.imbalance=10")...), []int{17}},
		{18, "blobs, 4 classes, a softmax output before cross-entropy",
			blobs(4, with(short, "model.hidden=[32]", "model.output=softmax")...), []int{18}},
		{19, "the digits, Adam at 1e-5 for 6 epochs",
			[]string{"schedule.name=constant", "schedule.lr=1e-5", "epochs=6"}, []int{19, 6, 14}},
		{21, "own CSV whose label column was shuffled",
			[]string{"data.name=csv", "data.path=" + editedCSV(t, "shuffled", 5), "data.string_labels=true", "model.hidden=[256]", "schedule.name=constant", "epochs=0", "steps=600", "eval_every=20"}, []int{21}},
		{22, "own CSV in which every row appears twice",
			[]string{"data.name=csv", "data.path=" + editedCSV(t, "doubled", 5), "data.string_labels=true", "schedule.name=constant", "epochs=0", "steps=100", "eval_every=10"}, []int{22}},
	}
}

// editedCSV writes an own-data CSV of k classes with a planted problem:
// "shuffled" permutes its label column, "doubled" writes every row twice.
func editedCSV(t *testing.T, how string, k int) string {
	b, err := os.ReadFile(ownCSV(t, k))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	head, rows := lines[0], lines[1:]
	switch how {
	case "shuffled":
		labels := make([]string, len(rows))
		for i, r := range rows {
			labels[i] = r[strings.LastIndex(r, ";")+1:]
		}
		rand.New(rand.NewPCG(5, 5)).Shuffle(len(labels), func(i, j int) { labels[i], labels[j] = labels[j], labels[i] })
		for i, r := range rows {
			rows[i] = r[:strings.LastIndex(r, ";")+1] + labels[i]
		}
	case "doubled":
		rows = append(rows, rows...)
	}
	path := filepath.Join(t.TempDir(), how+".csv")
	if err := os.WriteFile(path, []byte(head+"\n"+strings.Join(rows, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// The held-out suite: every rule the Monitor checks fires on a case its
// scenario does not use, and the first of the ranked alerts names the
// planted cause.
func TestHeldOutTriggers(t *testing.T) {
	t.Parallel()
	covered := map[int]bool{}
	for _, c := range heldOutCases(t) {
		covered[c.rule] = true
		t.Run(fmt.Sprintf("%02d %s", c.rule, c.desc), func(t *testing.T) {
			t.Parallel()
			cfg := Default()
			cfg.Name = fmt.Sprintf("heldout-%d", c.rule)
			for _, kv := range c.settings {
				k, v, _ := strings.Cut(kv, "=")
				if err := cfg.Set(k, v); err != nil {
					t.Fatal(err)
				}
			}
			alerts, res := detect(t, cfg)
			ranked := diag.Ranked(alerts)
			var fired []string
			for _, a := range ranked {
				fired = append(fired, fmt.Sprintf("%d@%d", a.Rule, a.Step))
			}
			t.Logf("%d steps, val accuracy %.3g; ranked alerts %s", res.Steps, res.Val.Accuracy, strings.Join(fired, " "))
			if !slices.ContainsFunc(alerts, func(a diag.Alert) bool { return a.Rule == c.rule }) {
				t.Fatalf("rule %d did not fire", c.rule)
			}
			if !slices.Contains(c.first, ranked[0].Rule) {
				t.Errorf("first ranked alert is rule %d (%s), want one of %v: %v", ranked[0].Rule, ranked[0].Name, c.first, ranked[0])
			}
		})
	}
	for _, r := range diag.Rules() {
		if r.By == diag.ByMonitor && !covered[r.ID] {
			t.Errorf("no held-out case for rule %d (%s)", r.ID, r.Name)
		}
	}
}

// Artefacts of convergence: a model trained until its loss is nearly 0
// has vanishing gradients and spiky gradient norms on purpose; the rules
// about gradient scale are judged against the loss and stay quiet.
func TestConvergedModelRaisesNoGradientAlarm(t *testing.T) {
	t.Parallel()
	cfg := Default()
	for _, kv := range []string{"data.name=blobs", "data.classes=2", "data.separation=8", "model.hidden=[64]", "schedule.name=constant",
		"schedule.lr=3e-3", "epochs=0", "steps=20000", "eval_every=500", "diagnostics.diag_every=5"} {
		k, v, _ := strings.Cut(kv, "=")
		if err := cfg.Set(k, v); err != nil {
			t.Fatal(err)
		}
	}
	alerts, res := detect(t, cfg)
	if !(res.Train.Loss < 1e-6) {
		t.Fatalf("training loss %.3g: the model did not converge, the test proves nothing", res.Train.Loss)
	}
	for _, a := range alerts {
		t.Errorf("converged model (loss %.3g): %v", res.Train.Loss, a)
	}
	// The case matters: judged on an absolute scale, as before, the mean
	// |gradient| of the first layer fell below rule 8's 1e-7.
	j, err := Build(cfg)
	if err != nil {
		t.Fatal(err)
	}
	smallest := math.Inf(1)
	probe := trainer.HookFuncs{OnBackward: func(s *trainer.State) error {
		g := s.Model.Params()[0].Grad.RawMatrix().Data
		var sum float64
		for _, v := range g {
			sum += math.Abs(v)
		}
		smallest = min(smallest, sum/float64(len(g)))
		return nil
	}}
	tc := j.Trainer
	tc.Hooks = []trainer.Hook{probe}
	train, val := j.Data()
	if _, err := trainer.Train(context.Background(), j.Model, train, val, tc); err != nil {
		t.Fatal(err)
	}
	if !(smallest < 1e-7) {
		t.Errorf("the smallest mean |gradient| of the first layer was %.3g: the run does not reach the absolute threshold, the test proves nothing", smallest)
	}
}

// The suggested fix fits the model: no "ReLU instead of sigmoid/tanh"
// to a ReLU network, which a sigmoid network does get.
func TestFixFitsTheModel(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		scenario string
		relu     bool // whether the fix of rule 8 suggests ReLU
	}{{"never_trains", false}, {"vanishing_gradients", true}} {
		cfg, err := ScenarioConfig(tt.scenario)
		if err != nil {
			t.Fatal(err)
		}
		alerts, _ := detect(t, cfg)
		i := slices.IndexFunc(alerts, func(a diag.Alert) bool { return a.Rule == 8 })
		if i < 0 {
			t.Fatalf("%s: rule 8 did not fire", tt.scenario)
		}
		if got := strings.Contains(alerts[i].Fix, "ReLU instead of"); got != tt.relu {
			t.Errorf("%s: rule 8's fix %q; suggests ReLU: %v, want %v", tt.scenario, alerts[i].Fix, got, tt.relu)
		}
	}
}
