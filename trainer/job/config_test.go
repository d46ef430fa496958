package job

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestParseErrors(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		desc, yaml string
		want       []string // substrings of the error
	}{
		{"unknown top-level key", "seed: 2\nlerning_rate: 3\n", []string{`cfg.yaml:2: unknown key "lerning_rate" in the configuration`, "schedule"}},
		{"unknown nested key", "schedule:\n  name: cosine\n  lerning_rate: 3\n", []string{`cfg.yaml:3: unknown key "lerning_rate" in schedule (known: every, factor`}},
		{"unknown key two levels down", "data:\n  augment: {shift: 1, rotation: 5}\n", []string{`cfg.yaml:2: unknown key "rotation" in data.augment`}},
		{"unknown layer field", "model:\n  spec:\n    layers:\n      - {type: dense, unitz: 3}\n", []string{"cfg.yaml:4: model.spec.layers:", `"unitz"`}},
		{"wrong type", "epochs: many\n", []string{`cfg.yaml:1: epochs: "many" is not an integer`}},
		{"negative seed", "seed: -1\n", []string{`seed: "-1" is not an integer ≥ 0`}},
		{"list for a number", "schedule: {lr: [1, 2]}\n", []string{"schedule.lr: a list is not a number"}},
		{"scalar for a section", "data: digits\n", []string{`data: "digits" is not a mapping of keys`}},
		{"bad list element", "model: {hidden: [64, wide]}\n", []string{`model.hidden: "wide" is not an integer`}},
		{"bad initialiser", "model: {hidden: [8], init: gauss}\n", []string{"model.init:", `"gauss"`}},
		{"duplicate key", "seed: 1\nseed: 2\n", []string{"cfg.yaml", `"seed" already defined at line 1`}},
		{"not a mapping", "- seed\n", []string{"cfg.yaml:1: the configuration must be a mapping"}},
		{"syntax error", "seed: [1\n", []string{"cfg.yaml:"}},
	} {
		t.Run(tt.desc, func(t *testing.T) {
			c := Default()
			before := c.Values()
			err := c.Parse([]byte(tt.yaml), "cfg.yaml")
			if err == nil {
				t.Fatalf("Parse(%q) = nil, want an error", tt.yaml)
			}
			if !errors.Is(err, ErrConfig) {
				t.Errorf("error %v does not wrap ErrConfig", err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
			if !reflect.DeepEqual(c.Values(), before) {
				t.Errorf("a failed Parse changed the configuration")
			}
		})
	}
}

func TestParseOverDefault(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		desc, yaml string
		check      func(c Config) bool
	}{
		{"empty file changes nothing", "", func(c Config) bool { return reflect.DeepEqual(c.Values(), ptr(Default()).Values()) }},
		{"one key changes one knob", "schedule: {lr: 0.01}\n", func(c Config) bool {
			return c.Schedule.LR == 0.01 && c.Schedule.Name == "cosine" && c.Model.Preset == "mlp"
		}},
		{"hidden replaces the default preset", "model: {hidden: [32]}\n", func(c Config) bool {
			return c.Model.Preset == "" && reflect.DeepEqual(c.Model.Hidden, []int{32})
		}},
		{"spec replaces the default preset", "model:\n  spec: {layers: [{type: dense, units: 10}]}\n", func(c Config) bool {
			return c.Model.Preset == "" && c.Model.Spec != nil && len(c.Model.Spec.Layers) == 1
		}},
		{"preset and hidden together stay both, for Validate to refuse", "model: {preset: tiny, hidden: [4]}\n", func(c Config) bool {
			return c.Model.Preset == "tiny" && c.Validate() != nil
		}},
	} {
		t.Run(tt.desc, func(t *testing.T) {
			c := Default()
			if err := c.Parse([]byte(tt.yaml), "cfg.yaml"); err != nil {
				t.Fatal(err)
			}
			if !tt.check(c) {
				t.Errorf("after parsing %q: %+v", tt.yaml, c)
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }

// Every knob can be set from the text of its value, and the scenarios'
// configurations, written as YAML, read back the same.
func TestSetAndYAMLRoundTrip(t *testing.T) {
	t.Parallel()
	for _, s := range Scenarios() {
		c := s.Config()
		values := c.Values()
		fresh := Default()
		for _, k := range Knobs() {
			text := ""
			if v, ok := values[k.Key].(string); ok {
				text = v
			} else {
				text = valueText(reflect.ValueOf(values[k.Key]))
			}
			if text == "" && k.Kind != "string" {
				continue // a zero value: Default's is zero too, or set below
			}
			if err := fresh.Set(k.Key, text); err != nil {
				t.Fatalf("%s: Set(%q, %q): %v", s.Name, k.Key, text, err)
			}
		}
		// Keys whose default is not zero but the scenario's is.
		for _, k := range Knobs() {
			if values[k.Key] != fresh.Values()[k.Key] && valueText(reflect.ValueOf(values[k.Key])) == "" {
				if err := fresh.Set(k.Key, values[k.Key]); err != nil {
					t.Fatalf("%s: Set(%q, %v): %v", s.Name, k.Key, values[k.Key], err)
				}
			}
		}
		if got := fresh.Values(); !reflect.DeepEqual(got, values) {
			t.Errorf("%s: set from text: %v, want %v", s.Name, got, values)
		}
		b, err := c.YAML()
		if err != nil {
			t.Fatal(err)
		}
		back := Default()
		if err := back.Parse(b, ""); err != nil {
			t.Fatalf("%s: parsing its YAML: %v\n%s", s.Name, err, b)
		}
		if got := back.Values(); !reflect.DeepEqual(got, values) {
			t.Errorf("%s: YAML round trip: %v, want %v", s.Name, got, values)
		}
	}
}

// YAML writes a knob set to zero even where the default is not zero and
// the field's tag says omitempty, so that the zero survives a round trip.
func TestYAMLKeepsZeros(t *testing.T) {
	t.Parallel()
	for _, text := range []string{
		"schedule: {lr: 0}",
		"schedule: {name: \"\"}",
		"optimizer: {name: \"\"}",
		"optimizer: {name: sgd, nesterov: false, momentum: 0}",
		"data: {val: 0, header: \"\"}",
		"diagnostics: {enabled: false, k: 0}",
		"epochs: 0\nbatch_size: 0\nloss: \"\"",
	} {
		c := Default()
		if err := c.Parse([]byte(text), ""); err != nil {
			t.Fatalf("%q: %v", text, err)
		}
		b, err := c.YAML()
		if err != nil {
			t.Fatalf("%q: YAML: %v", text, err)
		}
		back := Default()
		if err := back.Parse(b, ""); err != nil {
			t.Fatalf("%q: parsing its YAML: %v\n%s", text, err, b)
		}
		if got, want := back.Values(), c.Values(); !reflect.DeepEqual(got, want) {
			for k := range want {
				if got[k] != want[k] {
					t.Errorf("%q: %s came back as %v, want %v", text, k, got[k], want[k])
				}
			}
		}
	}
}

func TestSet(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		desc  string
		key   string
		value any
		check func(c Config) bool
		err   string
	}{
		{"float from text", "schedule.lr", "1e-2", func(c Config) bool { return c.Schedule.LR == 0.01 }, ""},
		{"float from a value", "schedule.lr", 0.5, func(c Config) bool { return c.Schedule.LR == 0.5 }, ""},
		{"int from a value", "epochs", 7, func(c Config) bool { return c.Epochs == 7 }, ""},
		{"string taken as it is", "name", "no", func(c Config) bool { return c.Name == "no" }, ""},
		{"bool", "diagnostics.images", "false", func(c Config) bool { return !c.Diagnostics.Images }, ""},
		{"list", "model.hidden", "[8, 4]", func(c Config) bool { return c.Model.Preset == "" && len(c.Model.Hidden) == 2 }, ""},
		{"initialiser", "model.output_init", "normal:0.5", func(c Config) bool { return c.Model.OutputInit.Scale == 0.5 }, ""},
		{"inline spec clears the preset", "model.spec", "{layers: [{type: dense, units: 3}]}", func(c Config) bool {
			return c.Model.Preset == "" && c.Model.Spec != nil
		}, ""},
		{"unknown key", "schedule.lrr", "1", nil, `unknown key "schedule.lrr"`},
		{"a section is not a knob", "schedule", "1", nil, `unknown key "schedule"`},
		{"too deep", "schedule.lr.x", "1", nil, `unknown key "schedule.lr.x"`},
		{"bad value", "batch_size", "big", nil, `batch_size: "big" is not an integer`},
		{"duration", "upload.segment_age", "5m", func(c Config) bool { return c.Upload.SegmentAge == 5*time.Minute }, ""},
		{"duration without its unit", "upload.max_age", "30", nil, `upload.max_age: "30" is not a duration with its unit, such as 25s or 5m`},
	} {
		t.Run(tt.desc, func(t *testing.T) {
			c := Default()
			err := c.Set(tt.key, tt.value)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) || !errors.Is(err, ErrConfig) {
					t.Fatalf("Set(%q, %v) = %v, want an error with %q", tt.key, tt.value, err, tt.err)
				}
				if !reflect.DeepEqual(c.Values(), ptr(Default()).Values()) {
					t.Error("a failed Set changed the configuration")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !tt.check(c) {
				t.Errorf("after Set(%q, %v): %+v", tt.key, tt.value, c)
			}
		})
	}
}

func TestKnobs(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	values := ptr(Default()).Values()
	for _, k := range Knobs() {
		if k.Doc == "" {
			t.Errorf("knob %s has no help text", k.Key)
		}
		if seen[k.Key] {
			t.Errorf("knob %s listed twice", k.Key)
		}
		seen[k.Key] = true
		if _, ok := values[k.Key]; !ok {
			t.Errorf("knob %s is not among the Values", k.Key)
		}
	}
	if len(seen) != len(values) {
		t.Errorf("%d knobs, %d values", len(seen), len(values))
	}
}

func TestValidate(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		desc  string
		pairs []string
		key   string // named in the error; "" for a valid configuration
	}{
		{"default", nil, ""},
		{"unknown dataset", []string{"data.name=mnist"}, "data.name"},
		{"csv without a file", []string{"data.name=csv"}, "data.path"},
		{"csv knob on other data", []string{"data.shape=1x8x8"}, "data.shape"},
		{"bad shape", []string{"data.name=csv", "data.path=x.csv", "data.shape=8x8"}, "data.shape"},
		{"val fraction of 1", []string{"data.val=1"}, "data.val"},
		{"imbalance below 1", []string{"data.imbalance=0.5"}, "data.imbalance"},
		{"no model", []string{"model.preset="}, "model"},
		{"unknown preset", []string{"model.preset=vgg"}, "model.preset"},
		{"MLP knob on a preset", []string{"model.dropout=0.5"}, "model.dropout"},
		{"unknown activation", []string{"model.hidden=[8]", "model.activation=swish"}, "model.activation"},
		{"unknown output", []string{"model.output=gelu"}, "model.output"},
		{"unknown loss", []string{"loss=hinge"}, "loss"},
		{"regression with cross-entropy", []string{"data.name=sine"}, "loss"},
		{"window on images", []string{"data.preprocess=window"}, "data.preprocess"},
		{"weights with mse", []string{"balance=weights", "loss=mse"}, "balance"},
		{"batch of 0", []string{"batch_size=0"}, "batch_size"},
		{"nothing to train", []string{"epochs=0"}, "epochs"},
		{"bad optimiser", []string{"optimizer.name=rmsprop"}, "optimizer"},
		{"bad schedule", []string{"schedule.lr=-1"}, "schedule"},
		{"diag_every 0", []string{"diagnostics.diag_every=0"}, "diagnostics.diag_every"},
		{"k 0", []string{"diagnostics.k=0"}, "diagnostics.k"},
		{"no logdir", []string{"logdir="}, "logdir"},
		{"name with a slash", []string{"name=a/b"}, "name"},
		{"upload policy", []string{"upload.max_age=25s", "upload.segment_age=5m"}, ""},
		{"max_age of nanoseconds", []string{"upload.max_age=30ns"}, "upload.max_age"},
		{"negative segment_age", []string{"upload.segment_age=-5m"}, "upload.segment_age"},
		{"segment_age below a second", []string{"upload.segment_age=500ms"}, "upload.segment_age"},
	} {
		t.Run(tt.desc, func(t *testing.T) {
			c := Default()
			for _, kv := range tt.pairs {
				k, v, _ := strings.Cut(kv, "=")
				if err := c.Set(k, v); err != nil {
					t.Fatal(err)
				}
			}
			err := c.Validate()
			switch {
			case tt.key == "" && err != nil:
				t.Fatalf("Validate() = %v, want nil", err)
			case tt.key == "":
			case err == nil:
				t.Fatalf("Validate() = nil, want an error about %s", tt.key)
			default:
				var ce *ConfigError
				if !errors.As(err, &ce) || ce.Key != tt.key {
					t.Errorf("Validate() = %v, want an error about %s", err, tt.key)
				}
			}
		})
	}
}

// A configuration parsed from a file names the line of the key at fault.
func TestValidateNamesTheLine(t *testing.T) {
	t.Parallel()
	c := Default()
	if err := c.Parse([]byte("seed: 1\ndata:\n  name: digits\n  val: 1.5\n"), "run.yaml"); err != nil {
		t.Fatal(err)
	}
	err := c.Validate()
	if err == nil || !strings.Contains(err.Error(), "run.yaml:4: data.val: 1.5 is outside [0, 1)") {
		t.Errorf("Validate() = %v, want the file, line 4 and data.val", err)
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range Scenarios() {
		c := s.Config()
		b, err := c.YAML()
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte("model: {spec: {layers: [{type: dense, units: 3}]}}\n"))
	f.Add([]byte("seed: [\n"))
	f.Add([]byte("upload: {max_age: 25s, segment_age: 5m}\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		c := Default()
		if err := c.Parse(b, "fuzz.yaml"); err != nil {
			if !errors.Is(err, ErrConfig) {
				t.Fatalf("error %v does not wrap ErrConfig", err)
			}
			return
		}
		_ = c.Validate() // must not panic
		out, err := c.YAML()
		if err != nil {
			t.Fatalf("YAML of a parsed configuration: %v", err)
		}
		back := Default()
		if err := back.Parse(out, ""); err != nil {
			t.Fatalf("parsing our own YAML: %v\n%s", err, out)
		}
		if !reflect.DeepEqual(back.Values(), c.Values()) {
			t.Fatalf("round trip: %v, want %v", back.Values(), c.Values())
		}
	})
}

// The logdir and dir of an object store are recorded without the URL's
// query, which may hold settings and secrets.
func TestValuesHideURLQuery(t *testing.T) {
	c := Default()
	c.Logdir = "s3://bucket/runs?endpoint=http://127.0.0.1:7070&region=us-east-1"
	c.Dir = "azblob://c/runs/x?sas_token=secret"
	v := c.Values()
	if v["logdir"] != "s3://bucket/runs" || v["dir"] != "azblob://c/runs/x" {
		t.Errorf("logdir %q, dir %q; want the URLs without their queries", v["logdir"], v["dir"])
	}
	c.Logdir = "runs/a?b"
	if v := c.Values(); v["logdir"] != "runs/a?b" {
		t.Errorf("a path's logdir recorded as %q", v["logdir"])
	}
}

// Load reads a file over Default, and names the file and line of an
// unknown key.
func TestLoad(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.yaml")
	if err := os.WriteFile(good, []byte("seed: 7\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	c, err := Load(good)
	if err != nil || c.Seed != 7 || c.BatchSize != Default().BatchSize {
		t.Errorf("Load: seed %d, batch %d, %v; want 7 and the default batch", c.Seed, c.BatchSize, err)
	}
	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte("seed: 7\nseeed: 8\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var ce *ConfigError
	if _, err := Load(bad); !errors.As(err, &ce) || ce.File != bad || ce.Line != 2 {
		t.Errorf("Load of an unknown key: %v, want a *ConfigError at %s:2", err, bad)
	}
}
