package sweep

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

const validYAML = `# a full configuration
name: lr-search
logdir: runs/x
base: base.yaml
set:
  epochs: 10
  model.hidden: [64, 32]
method: grid
trials: 7
seed: 3
stages: 2
top: 2
metric: loss/val
parallel: 2
params:
  schedule.lr:    {type: log_uniform, low: 1e-4, high: 1e-1}
  model.dropout:  {type: uniform, low: 0, high: 0.5, points: 4}
  batch_size:     {type: int_uniform, low: 16, high: 128}
  optimizer.name: {type: choice, values: [adam, sgd]}
  model.hidden:   {type: choice, values: [[64], [128, 64]]}
`

func TestParse(t *testing.T) {
	t.Parallel()
	c, err := Parse([]byte(validYAML), "sweeps/lr.yaml")
	if err != nil {
		t.Fatal(err)
	}
	want := &Config{
		Name: "lr-search", Logdir: "runs/x", Base: "base.yaml",
		Set:    []Setting{{Key: "epochs", Value: "10", line: 6}, {Key: "model.hidden", Value: "[64, 32]", line: 7}},
		Method: Grid, Trials: 7, Seed: 3, Stages: 2, Top: 2, Metric: "loss/val", Goal: "min", Parallel: 2,
		Params: []Param{
			{Key: "schedule.lr", Type: LogUniform, Low: 1e-4, High: 0.1, Points: 3, line: 16, lowLine: 16},
			{Key: "model.dropout", Type: Uniform, Low: 0, High: 0.5, Points: 4, line: 17, lowLine: 17},
			{Key: "batch_size", Type: IntUniform, Low: 16, High: 128, Points: 3, line: 18, lowLine: 18},
			{Key: "optimizer.name", Type: Choice, Values: []string{"adam", "sgd"}, line: 19},
			{Key: "model.hidden", Type: Choice, Values: []string{"[64]", "[128, 64]"}, line: 20},
		},
		file: "sweeps/lr.yaml",
	}
	if !reflect.DeepEqual(c, want) {
		t.Errorf("Parse:\n got %+v\nwant %+v", c, want)
	}
}

// The defaults: name from the file, random search of 10 trials, seed 1,
// one stage, accuracy/val maximised.
func TestParseDefaults(t *testing.T) {
	t.Parallel()
	c, err := Parse([]byte("params:\n  schedule.lr: {type: log_uniform, low: 0.001, high: 0.1}\n"), "dir/my-sweep.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if c.Name != "my-sweep" || c.Method != Random || c.Trials != 10 || c.Seed != 1 || c.Stages != 1 || c.Metric != "accuracy/val" || c.Goal != "max" {
		t.Errorf("defaults: %+v", c)
	}
}

// Every bad configuration is an error naming the line and the field.
func TestParseErrors(t *testing.T) {
	t.Parallel()
	p := func(s string) string { return "params:\n  schedule.lr: " + s + "\n" }
	for _, tt := range []struct {
		desc, yaml, want string
	}{
		{"not YAML", "params: [", "x.yaml:"},
		{"empty", "", "empty"},
		{"a list", "- a\n- b\n", "x.yaml:1: a sweep configuration is a mapping"},
		{"unknown key", "name: a\nmethd: grid\n" + p("{type: choice, values: [1]}"), `x.yaml:2: unknown key "methd"`},
		{"a key twice", "name: a\nname: b\n", "x.yaml:2: name: given twice"},
		{"no params", "name: a\n", "params: no parameters"},
		{"empty params", "params: {}\n", "x.yaml:1: params: no parameters"},
		{"params as a list", "params: [a]\n", "x.yaml:1: params: want a mapping"},
		{"unknown param key", p("{type: uniform, low: 0, high: 1, step: 2}"), `x.yaml:2: params.schedule.lr: unknown key "step"`},
		{"missing type", p("{low: 0, high: 1}"), "x.yaml:2: params.schedule.lr.type: missing"},
		{"unknown type", p("{type: normal, low: 0, high: 1}"), `x.yaml:2: params.schedule.lr.type: "normal" is not one of`},
		{"low equal to high", p("{type: uniform, low: 1, high: 1}"), "x.yaml:2: params.schedule.lr.low: 1 is not below high 1"},
		{"low above high", p("{type: log_uniform, low: 0.1, high: 0.01}"), "params.schedule.lr.low: 0.1 is not below high 0.01"},
		{"log-uniform from 0", p("{type: log_uniform, low: 0, high: 0.1}"), "params.schedule.lr.low: 0: a log-uniform range needs positive bounds"},
		{"log-uniform from a negative", p("{type: log_uniform, low: -1, high: 0.1}"), "positive bounds"},
		{"missing high", p("{type: uniform, low: 0}"), "params.schedule.lr.high: missing"},
		{"a word for a bound", p("{type: uniform, low: zero, high: 1}"), `params.schedule.lr.low: want a number, not "zero"`},
		{"an infinite bound", p("{type: uniform, low: 0, high: .inf}"), "params.schedule.lr.high: want a finite number"},
		{"fractional integer bound", p("{type: int_uniform, low: 1.5, high: 4}"), "params.schedule.lr.low: 1.5 is not an integer"},
		{"one grid point", p("{type: uniform, low: 0, high: 1, points: 1}"), "params.schedule.lr.points: 1, want at least 2"},
		{"values on a range", p("{type: uniform, low: 0, high: 1, values: [1]}"), "params.schedule.lr.values: applies to type choice only"},
		{"empty choice", p("{type: choice, values: []}"), "x.yaml:2: params.schedule.lr.values: a choice needs a non-empty list"},
		{"choice without values", p("{type: choice}"), "params.schedule.lr.values: a choice needs"},
		{"choice with bounds", p("{type: choice, values: [1], low: 0}"), "params.schedule.lr.low: applies to numeric ranges"},
		{"a choice twice", p("{type: choice, values: [adam, adam]}"), `"adam" given twice`},
		{"a parameter twice", p("{type: choice, values: [1]}") + "  schedule.lr: {type: choice, values: [2]}\n", "x.yaml:3: params.schedule.lr: given twice"},
		{"an empty key part", "params:\n  schedule..lr: {type: choice, values: [1]}\n", `"schedule..lr" is not a knob's dotted name`},
		{"trials 0", "trials: 0\n" + p("{type: choice, values: [1]}"), "x.yaml:1: trials: 0, want at least 1"},
		{"trials a word", "trials: many\n" + p("{type: choice, values: [1]}"), `trials: want an integer, not "many"`},
		{"negative seed", "seed: -1\n" + p("{type: choice, values: [1]}"), "seed: -1, want at least 0"},
		{"unknown method", "method: bayes\n" + p("{type: choice, values: [1]}"), `x.yaml:1: method: "bayes" is not random or grid`},
		{"unknown goal", "goal: up\n" + p("{type: choice, values: [1]}"), `x.yaml:1: goal: "up" is not max or min`},
		{"a name with a slash", "name: a/b\n" + p("{type: choice, values: [1]}"), `x.yaml:1: name: "a/b" is not a directory name`},
		{"set as a list", "set: [1]\n" + p("{type: choice, values: [1]}"), "x.yaml:1: set: want a mapping"},
		{"a setting twice", "set: {epochs: 1, epochs: 2}\n" + p("{type: choice, values: [1]}"), "set.epochs: given twice"},
		{"a mapping for a name", "name: {a: 1}\n" + p("{type: choice, values: [1]}"), "x.yaml:1: name: want a string"},
	} {
		t.Run(tt.desc, func(t *testing.T) {
			c, err := Parse([]byte(tt.yaml), "x.yaml")
			if err == nil {
				t.Fatalf("Parse: no error, config %+v", c)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Parse: %v\nwant it to contain %q", err, tt.want)
			}
			if !errors.Is(err, ErrConfig) {
				t.Errorf("%v does not wrap ErrConfig", err)
			}
			if !strings.HasPrefix(err.Error(), "sweep: ") {
				t.Errorf("%v does not start with the package name", err)
			}
		})
	}
}

// writeFiles writes name → content into a temporary directory and
// returns it.
func writeFiles(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// Load checks every key against the run configuration's knobs and every
// value against the run configuration's rules, before anything trains.
func TestLoadErrors(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		desc, yaml, base, want string
	}{
		{"a knob that does not exist", "params:\n  schedule.learning_rate: {type: log_uniform, low: 1e-4, high: 0.1}\n", "",
			"sweep.yaml:2: params.schedule.learning_rate: not a knob of the run configuration"},
		{"a setting that does not exist", "set:\n  epoch: 3\nparams:\n  schedule.lr: {type: log_uniform, low: 1e-4, high: 0.1}\n", "",
			"sweep.yaml:2: set.epoch: not a knob"},
		{"a setting of the wrong type", "set:\n  epochs: many\nparams:\n  schedule.lr: {type: log_uniform, low: 1e-4, high: 0.1}\n", "",
			"sweep.yaml:2: set.epochs:"},
		{"a real range on an integer knob", "params:\n  batch_size: {type: uniform, low: 16, high: 64}\n", "",
			"sweep.yaml:2: params.batch_size: uniform needs a real-valued knob; batch_size is a int (use int_uniform or choice)"},
		{"a range on a string knob", "params:\n  optimizer.name: {type: int_uniform, low: 1, high: 3}\n", "",
			"params.optimizer.name: int_uniform needs a numeric knob"},
		{"a choice the run refuses", "params:\n  optimizer.name: {type: choice, values: [adam, rmsprop]}\n", "",
			"sweep.yaml:2: params.optimizer.name: value rmsprop:"},
		{"a bound the run refuses", "params:\n  model.dropout: {type: uniform, low: 0, high: 1.5}\n", "",
			"params.model.dropout: value 1.5:"},
		{"a choice of the wrong type", "params:\n  batch_size: {type: choice, values: [16, big]}\n", "",
			"sweep.yaml:2: params.batch_size:"},
		{"the trial directory", "params:\n  dir: {type: choice, values: [a, b]}\n", "",
			"params.dir: the sweep sets each trial's directory"},
		{"a missing base", "base: nothere.yaml\nparams:\n  schedule.lr: {type: log_uniform, low: 1e-4, high: 0.1}\n", "",
			"base: job: open"},
		{"a base with an unknown key", "base: base.yaml\nparams:\n  schedule.lr: {type: log_uniform, low: 1e-4, high: 0.1}\n", "epochs: 3\nlayers: 2\n",
			`base.yaml:2: unknown key "layers"`},
	} {
		t.Run(tt.desc, func(t *testing.T) {
			files := map[string]string{"sweep.yaml": tt.yaml}
			if tt.base != "" {
				files["base.yaml"] = tt.base
			}
			dir := writeFiles(t, files)
			_, err := Load(filepath.Join(dir, "sweep.yaml"))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Load: %v\nwant an error containing %q", err, tt.want)
			}
			if !errors.Is(err, ErrConfig) {
				t.Errorf("%v does not wrap ErrConfig", err)
			}
		})
	}
}

// YAML writes what Parse reads back to the same configuration.
func TestYAMLRoundTrip(t *testing.T) {
	t.Parallel()
	c, err := Parse([]byte(validYAML), "")
	if err != nil {
		t.Fatal(err)
	}
	b, err := c.YAML()
	if err != nil {
		t.Fatal(err)
	}
	d, err := Parse(b, "")
	if err != nil {
		t.Fatalf("Parse(YAML()): %v\n%s", err, b)
	}
	if !sameConfig(c, d) {
		t.Errorf("round trip:\n%+v\n%+v\n%s", c, d, b)
	}
}

// Values whose text reads as other YAML on a line of its own ("0000:" is
// a string in a flow list but a mapping alone) come back as the same text.
func TestYAMLValueTexts(t *testing.T) {
	t.Parallel()
	for _, v := range []string{
		`0000:`, `'a: b'`, `[64, 64]`, `{a: 1, b: [x, ~]}`, `"yes"`, `0.5`, `'#x'`, `"- x"`, `{a: }`, `'[1'`,
	} {
		src := "set: {data.path: " + v + "}\nparams:\n  model.activation: {type: choice, values: [" + v + ", relu]}\n"
		c, err := Parse([]byte(src), "")
		if err != nil {
			t.Fatalf("%s: %v", v, err)
		}
		b, err := c.YAML()
		if err != nil {
			t.Fatalf("%s: YAML: %v", v, err)
		}
		d, err := Parse(b, "")
		if err != nil {
			t.Fatalf("%s: Parse(YAML()): %v\n%s", v, err, b)
		}
		if !sameConfig(c, d) {
			t.Errorf("%s: round trip: set %q values %q, then set %q values %q\n%s",
				v, c.Set[0].Value, c.Params[0].Values, d.Set[0].Value, d.Params[0].Values, b)
		}
	}
}

// sameConfig compares two configurations, ignoring lines and file names.
func sameConfig(a, b *Config) bool {
	strip := func(c *Config) Config {
		x := *c
		x.file = ""
		x.Set = append([]Setting(nil), c.Set...)
		for i := range x.Set {
			x.Set[i].line = 0
		}
		x.Params = append([]Param(nil), c.Params...)
		for i := range x.Params {
			x.Params[i].line, x.Params[i].lowLine = 0, 0
		}
		return x
	}
	return reflect.DeepEqual(strip(a), strip(b))
}

// FuzzParseConfig feeds Parse arbitrary text: it never panics, what it
// accepts satisfies every documented constraint, and it reads back what
// YAML writes.
func FuzzParseConfig(f *testing.F) {
	for _, s := range []string{
		validYAML,
		"params:\n  schedule.lr: {type: log_uniform, low: 1e-4, high: 0.1}\n",
		"params:\n  optimizer.name: {type: choice, values: [adam, sgd, [1, 2], {a: b}]}\nmethod: grid\n",
		"params:\n  schedule.lr: {type: log_uniform, low: 0.1, high: 0.01}\n",
		"params:\n  x: {type: int_uniform, low: 1.5, high: 3}\n",
		"params:\n  x: {type: choice, values: []}\n",
		"methd: grid\n",
		"- 1\n",
		"params: [",
		"set: {a: &x [1, *x]}\nparams: {a: {type: choice, values: [1]}}\n",
		"params:\n  x: {type: uniform, low: -1e308, high: 1e308, points: 99}\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := Parse(b, "f.yaml")
		if err != nil {
			if !errors.Is(err, ErrConfig) {
				t.Fatalf("error %v does not wrap ErrConfig", err)
			}
			return
		}
		if len(c.Params) == 0 || c.Trials < 1 || c.Stages < 1 || (c.Method != Random && c.Method != Grid) || (c.Goal != "max" && c.Goal != "min") {
			t.Fatalf("accepted %+v", c)
		}
		for _, p := range c.Params {
			switch p.Type {
			case Choice:
				if len(p.Values) == 0 {
					t.Fatalf("accepted an empty choice: %+v", p)
				}
			case LogUniform, Uniform, IntUniform:
				if !(p.Low < p.High) || p.Type == LogUniform && !(p.Low > 0) || p.Points < 2 {
					t.Fatalf("accepted an impossible range: %+v", p)
				}
			default:
				t.Fatalf("accepted type %q", p.Type)
			}
		}
		out, err := c.YAML()
		if err != nil {
			t.Fatalf("YAML: %v", err)
		}
		d, err := Parse(out, "f.yaml")
		if err != nil {
			t.Fatalf("Parse(YAML()): %v\n%s", err, out)
		}
		if !sameConfig(c, d) {
			t.Fatalf("round trip differs:\n%+v\n%+v\n%s", c, d, out)
		}
	})
}

// Knobs that depend on each other are checked together: model.init
// applies to an MLP given by model.hidden only, which another parameter
// sets.
func TestLoadDependentKnobs(t *testing.T) {
	t.Parallel()
	dir := writeFiles(t, map[string]string{"sweep.yaml": `params:
  model.hidden: {type: choice, values: [[32], [64, 32]]}
  model.init: {type: choice, values: [he_normal, "normal:0.01"]}
`})
	c, err := Load(filepath.Join(dir, "sweep.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if got := c.Params[0].Values; !reflect.DeepEqual(got, []string{"[32]", "[64, 32]"}) {
		t.Errorf("model.hidden values %q", got)
	}
}
