package job

import (
	"encoding"
	"errors"
	"fmt"
	"os"
	"reflect"
	"slices"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/tbgo/tbgo/storage"
	"github.com/tbgo/tbgo/trainer"
	"github.com/tbgo/tbgo/trainer/internal/yamltext"
)

// Config describes one training run: the data, the model, the training
// recipe, the diagnostics and where the run is written. Every field is a
// knob with a dotted key, the path of its YAML keys ("schedule.lr",
// "data.imbalance"), which Set, Values, Knobs and the flags of tbgo train
// share. The doc tags are the knobs' help texts.
//
// The zero Config is not the default: start from Default, then Load,
// Parse or Set what differs.
type Config struct {
	Name   string `yaml:"name" doc:"run name; the run is written to <logdir>/<timestamp>-<name>/ (default <data>-<model>)"`
	Logdir string `yaml:"logdir" doc:"directory the run directory is created in, or an object store's URL (s3://bucket/prefix?region=...)"`
	Dir    string `yaml:"dir" doc:"exact run directory, instead of <logdir>/<timestamp>-<name>/ (sweeps)"`
	Seed   uint64 `yaml:"seed" doc:"seed of the data, the split, the initialisation, the shuffling and the augmentation"`

	Data  DataConfig  `yaml:"data"`
	Model ModelConfig `yaml:"model"`

	Loss      string                `yaml:"loss" doc:"cross_entropy (softmax, classes), binary_cross_entropy (one logit, 2 classes) or mse"`
	Balance   string                `yaml:"balance" doc:"class imbalance remedy: none, weights (class-weighted loss) or sampler (class-balanced batches)"`
	Optimizer trainer.OptimizerSpec `yaml:"optimizer"`
	Schedule  trainer.ScheduleSpec  `yaml:"schedule"`
	ClipNorm  float64               `yaml:"clip_norm" doc:"clip the gradients to this global L2 norm (0: off)"`
	ClipValue float64               `yaml:"clip_value" doc:"clamp each gradient value to ±this (0: off)"`
	Epochs    int                   `yaml:"epochs" doc:"passes over the training data"`
	Steps     int                   `yaml:"steps" doc:"optimiser steps; overrides epochs when positive"`
	BatchSize int                   `yaml:"batch_size" doc:"samples per step"`
	EvalEvery int                   `yaml:"eval_every" doc:"evaluate on the validation set every this many steps (0: every epoch)"`
	Patience  int                   `yaml:"patience" doc:"stop early after this many evaluations without improvement (0: off)"`
	MinDelta  float64               `yaml:"min_delta" doc:"smallest validation-loss decrease that counts as an improvement for patience"`

	Diagnostics DiagConfig   `yaml:"diagnostics"`
	Upload      UploadConfig `yaml:"upload"`

	// file and lines locate the keys of a parsed file, for errors.
	file  string
	lines map[string]int
}

// DataConfig says which data to train on and how to prepare it.
type DataConfig struct {
	Name string `yaml:"name" doc:"dataset: digits (embedded UCI digits), spirals, xor, blobs, sine (regression) or csv"`

	Path         string `yaml:"path" doc:"csv: the file to read"`
	Delimiter    string `yaml:"delimiter" doc:"csv: the field separator: auto (',', ';' or tab, whichever splits the first line), or the character itself (tab: \\t)"`
	Label        string `yaml:"label" doc:"csv: the label column, by header name or 1-based number (default the last)"`
	Header       string `yaml:"header" doc:"csv: auto, yes or no: whether the first line names the columns"`
	StringLabels bool   `yaml:"string_labels" doc:"csv: labels are names (sorted into classes), not integers 0..K-1"`
	Regression   bool   `yaml:"regression" doc:"csv: the label column is a real-valued target (regression)"`
	Shape        string `yaml:"shape" doc:"csv: the shape of one sample, CxHxW such as 1x8x8 (default a vector)"`

	Classes    int     `yaml:"classes" doc:"csv: number of classes, labels outside are errors (0: the largest label + 1, every class must have samples); spirals, blobs: number of classes (0: 2 and 3); digits: keep the digits 0 to classes-1 (0: all 10)"`
	PerClass   int     `yaml:"per_class" doc:"spirals, xor, blobs: samples in the largest class (0: 200, 200, 100)"`
	Noise      float64 `yaml:"noise" doc:"spirals, xor, sine: std of the Gaussian noise"`
	Imbalance  float64 `yaml:"imbalance" doc:"spirals, xor, blobs: largest/smallest class size (0 or 1: balanced)"`
	Turns      float64 `yaml:"turns" doc:"spirals: turns of each arm (0: 1)"`
	Dims       int     `yaml:"dims" doc:"blobs: input dimensions (0: 2)"`
	Separation float64 `yaml:"separation" doc:"blobs: distance between the nearest centres, in noise stds (0: 4)"`
	Windows    int     `yaml:"windows" doc:"sine: number of windows, the samples (0: 1000)"`
	Length     int     `yaml:"length" doc:"sine: window length, the inputs per sample (0: 16)"`
	Period     float64 `yaml:"period" doc:"sine: steps per cycle (0: 25)"`
	Trend      float64 `yaml:"trend" doc:"sine: level added per step (a drifting series)"`
	Offset     float64 `yaml:"offset" doc:"sine: constant level of the series"`

	ShuffleLabels float64 `yaml:"shuffle_labels" doc:"fraction of the samples whose labels are shuffled among themselves before the split: labels misaligned with their inputs, on purpose"`
	Duplicate     float64 `yaml:"duplicate" doc:"fraction of the samples repeated before the split, so that copies land in both training and validation, on purpose"`

	Val          float64       `yaml:"val" doc:"fraction of the samples held out for validation (stratified by class)"`
	TrainSamples int           `yaml:"train_samples" doc:"keep only this many training samples (0: all), to overfit on purpose"`
	Preprocess   string        `yaml:"preprocess" doc:"standardize (mean 0, std 1 on train statistics), center, window (centre each time-series window on its own mean) or none"`
	Augment      AugmentConfig `yaml:"augment"`
}

// AugmentConfig distorts the training batches of image data
// (data.Distortion).
type AugmentConfig struct {
	Shift  int     `yaml:"shift" doc:"largest random shift in pixels (0: off)"`
	Rotate float64 `yaml:"rotate" doc:"largest random rotation in degrees (0: off)"`
	Noise  float64 `yaml:"noise" doc:"std of Gaussian noise added to every input value (0: off)"`
}

// ModelConfig says which model to train: a preset, a layer description
// (inline or in a file), or a multi-layer perceptron by its hidden
// widths, exactly one of them.
type ModelConfig struct {
	Preset   string        `yaml:"preset" doc:"a preset: mlp, cnn, resnet, deep_sigmoid, tiny, wide or linear (see tbgo train -list)"`
	Spec     *trainer.Spec `yaml:"spec,omitempty" doc:"an inline layer description (YAML, see package trainer)"`
	SpecFile string        `yaml:"spec_file,omitempty" doc:"a YAML file holding the layer description"`

	Hidden     []int        `yaml:"hidden,omitempty" doc:"an MLP instead: the hidden layers' widths, such as [64, 64]"`
	Activation string       `yaml:"activation" doc:"the MLP's activation: relu, leaky_relu, elu, prelu, tanh or sigmoid"`
	Init       trainer.Init `yaml:"init,omitempty" doc:"the MLP's hidden weights initialiser, such as he_normal, glorot_uniform, normal:0.01, constant:0.5 (default he_normal for ReLUs, glorot_uniform otherwise)"`
	BiasInit   trainer.Init `yaml:"bias_init,omitempty" doc:"the MLP's hidden biases initialiser (default 0)"`
	Dropout    float64      `yaml:"dropout" doc:"the MLP's dropout rate after each hidden activation (0: none)"`

	OutputInit trainer.Init `yaml:"output_init,omitempty" doc:"initialiser of the last dense layer's weights, for any model (default glorot_uniform)"`
	Output     string       `yaml:"output" doc:"an activation after the last layer (sigmoid, softmax, tanh, relu); the losses expect none"`
}

// UploadConfig is how a run in an object store reaches it: in segments,
// with the policy of storage.SinkOptions (see the storage package's
// documentation for the trade). A run on a local disk is one file,
// appended to, and ignores it.
type UploadConfig struct {
	MaxAge     time.Duration `yaml:"max_age" doc:"object stores: longest a value waits before it is uploaded (0: 25s); each upload is a new object unless upload.segment_age is set"`
	SegmentAge time.Duration `yaml:"segment_age" doc:"object stores: keep a segment open this long, rewriting it at each upload: 5m makes 288 objects a day instead of 3456, for about 6.5 times the bytes uploaded (0: every upload a new object)"`
}

// SinkOptions returns the Sink options of u.
func (u UploadConfig) SinkOptions() *storage.SinkOptions {
	return &storage.SinkOptions{MaxAge: u.MaxAge, SegmentAge: u.SegmentAge}
}

// DiagConfig says what the diagnostics Monitor measures and logs (see
// package trainer/diag).
type DiagConfig struct {
	Enabled        bool `yaml:"enabled" doc:"measure and check the rules of docs/DIAGNOSTICS.md (losses, accuracy and learning rate are logged regardless)"`
	DiagEvery      int  `yaml:"diag_every" doc:"per-layer measurements every this many steps"`
	K              int  `yaml:"k" doc:"consecutive checks a rule must hold before it fires"`
	Histograms     bool `yaml:"histograms" doc:"log histograms of weights, gradients, activations and pre-activations"`
	HistogramEvery int  `yaml:"histogram_every" doc:"histograms every this many steps (0: at each evaluation)"`
	Images         bool `yaml:"images" doc:"log first-layer filters, the validation confusion matrix and a batch of inputs as images"`
	ImageEvery     int  `yaml:"image_every" doc:"images every this many evaluations (0: about ten per run)"`
	MaxFilters     int  `yaml:"max_filters" doc:"filters shown in the filters image"`
	Graph          bool `yaml:"graph" doc:"log the model graph"`
	StopOnNaN      bool `yaml:"stop_on_nan" doc:"stop training at the first NaN or infinite loss or gradient"`
	SystemMetrics  bool `yaml:"system_metrics" doc:"log CPU, memory and GC as sys/... scalars"`
}

// Default returns the default run: the preset "mlp" on the embedded
// digits, standardised, 20% held out, trained with the preset's recipe
// (40 epochs of Adam in batches of 32, cosine from 3e-3), every
// diagnostic on, written under "runs".
func Default() Config {
	return Config{
		Logdir: "runs",
		Seed:   1,
		Data: DataConfig{
			Name:       "digits",
			Header:     "auto",
			Delimiter:  "auto",
			Val:        0.2,
			Preprocess: "standardize",
		},
		Model:     ModelConfig{Preset: "mlp"},
		Loss:      "cross_entropy",
		Balance:   "none",
		Optimizer: trainer.OptimizerSpec{Name: "adam"},
		Schedule:  trainer.ScheduleSpec{Name: "cosine", LR: 3e-3},
		Epochs:    40,
		BatchSize: 32,
		Diagnostics: DiagConfig{
			Enabled:    true,
			DiagEvery:  10,
			K:          3,
			Histograms: true,
			Images:     true,
			MaxFilters: 64,
			Graph:      true,
			StopOnNaN:  true,
		},
	}
}

// ErrConfig is wrapped by every error about a configuration: an unknown
// key, a value of the wrong type, a value out of range, a combination
// that cannot work (see ConfigError).
var ErrConfig = errors.New("bad configuration")

// A ConfigError is a problem with a configuration, placed by file, line
// and key when they are known. It wraps ErrConfig.
type ConfigError struct {
	File string // the file, "" for flags or Go code
	Line int    // 1-based, 0 if unknown
	Key  string // the dotted key, such as "schedule.lr", "" for the whole
	Msg  string
}

// Error returns "job: FILE:LINE: KEY: MSG", leaving out what is unknown.
func (e *ConfigError) Error() string { return "job: " + e.Detail() }

// Detail returns the error without the package name, "FILE:LINE: KEY:
// MSG", for a program that reports it under its own name (tbgo train).
func (e *ConfigError) Detail() string {
	var b strings.Builder
	switch {
	case e.File != "" && e.Line > 0:
		fmt.Fprintf(&b, "%s:%d: ", e.File, e.Line)
	case e.File != "":
		b.WriteString(e.File + ": ")
	case e.Line > 0:
		fmt.Fprintf(&b, "line %d: ", e.Line)
	}
	if e.Key != "" {
		b.WriteString(e.Key + ": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// Unwrap returns ErrConfig.
func (e *ConfigError) Unwrap() error { return ErrConfig }

// errorf returns a ConfigError about key, placed at its line when the
// configuration came from a file.
func (c *Config) errorf(key, format string, args ...any) error {
	return &ConfigError{File: c.file, Line: c.lines[key], Key: key, Msg: fmt.Sprintf(format, args...)}
}

// wrap returns a ConfigError about key for an error of package trainer,
// whose reason it states without that package's name.
func (c *Config) wrap(key string, err error) error {
	var ve *trainer.ValueError
	if errors.As(err, &ve) {
		return c.errorf(key, "%s", ve.Reason)
	}
	return c.errorf(key, "%v", err)
}

// typeMessage rewrites a YAML decoding error about a value of the wrong
// type, such as "line 3: cannot unmarshal !!str `abc` into int", as
// "abc is not an integer".
func typeMessage(err error, t reflect.Type) string {
	var te *yaml.TypeError
	if errors.As(err, &te) && len(te.Errors) > 0 {
		err = errors.New(te.Errors[0])
	}
	_, msg := yamltext.Syntax(err)
	if _, rest, ok := strings.Cut(msg, "cannot unmarshal "); ok && t != nil {
		if v, _, ok := strings.Cut(rest, " into "); ok {
			switch _, val, ok := strings.Cut(v, " "); {
			case ok:
				v = fmt.Sprintf("%q", strings.Trim(val, "`"))
			case v == "!!seq":
				v = "a list"
			case v == "!!map":
				v = "a mapping"
			}
			return fmt.Sprintf("%s is not %s", v, kindPhrase(t))
		}
	}
	return msg
}

// kindPhrase names what a value of type t must be.
func kindPhrase(t reflect.Type) string {
	if t.Kind() == reflect.Struct && !whole(t) {
		return "a mapping of keys (a section)"
	}
	if t.Kind() == reflect.Uint64 {
		return "an integer ≥ 0"
	}
	switch kindName(t) {
	case "int":
		return "an integer"
	case "float":
		return "a number"
	case "bool":
		return "true or false"
	case "string":
		return "a string"
	case "init":
		return "an initialiser such as he_normal or normal:0.01"
	case "[]int":
		return "a list of integers such as [64, 64]"
	case "spec":
		return "a layer description"
	case "duration":
		return "a duration with its unit, such as 25s or 5m"
	}
	return "a " + t.String()
}

// Load reads a YAML configuration file over Default: keys the file leaves
// out keep their default values. Unknown keys, values of the wrong type
// and duplicate keys are errors naming the file, the line and the key.
func Load(path string) (Config, error) {
	c, err := Compose("", path, nil)
	if err != nil {
		return Config{}, err
	}
	return c, nil
}

// Parse reads YAML configuration text into c, changing the keys the text
// sets; name names the text in errors (a file name, or "" for none).
// Unknown keys, values of the wrong type and duplicate keys are errors
// naming the line and the key, and leave c unchanged.
func (c *Config) Parse(b []byte, name string) error {
	var doc yaml.Node
	if err := yaml.Unmarshal(b, &doc); err != nil {
		line, msg := yamltext.Syntax(err)
		return &ConfigError{File: name, Line: line, Msg: msg}
	}
	if len(doc.Content) == 0 {
		return nil // an empty file changes nothing
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return &ConfigError{File: name, Line: root.Line, Msg: "the configuration must be a mapping of keys to values"}
	}
	lines := map[string]int{}
	if err := checkKeys(root, reflect.TypeFor[Config](), "", lines); err != nil {
		var ke *keyError
		if errors.As(err, &ke) {
			return &ConfigError{File: name, Line: ke.line, Key: ke.key, Msg: ke.msg}
		}
		return err
	}
	next := *c
	// A model given as spec, spec_file or hidden replaces the default
	// preset rather than conflicting with it.
	if m := child(root, "model"); m != nil && m.Kind == yaml.MappingNode && child(m, "preset") == nil {
		if child(m, "spec") != nil || child(m, "spec_file") != nil || child(m, "hidden") != nil {
			next.Model.Preset = ""
		}
	}
	// Decoding into a copy keeps c unchanged on error; nested slices and
	// pointers are replaced by the decoder, never shared.
	if err := root.Decode(&next); err != nil {
		return &ConfigError{File: name, Msg: typeMessage(err, nil)}
	}
	next.file = name
	next.lines = lines
	*c = next
	return nil
}

// child returns the value of key in the mapping n, or nil.
func child(n *yaml.Node, key string) *yaml.Node {
	if i := keyIndex(n, key); i >= 0 {
		return n.Content[i+1]
	}
	return nil
}

// keyIndex returns the index in n.Content of the mapping n's key, or -1.
func keyIndex(n *yaml.Node, key string) int {
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return i
		}
	}
	return -1
}

// keyError is an unknown key or a value of the wrong type found by
// checkKeys.
type keyError struct {
	line     int
	key, msg string
}

func (e *keyError) Error() string { return e.msg }

var (
	yamlUnmarshaler = reflect.TypeFor[yaml.Unmarshaler]()
	textUnmarshaler = reflect.TypeFor[encoding.TextUnmarshaler]()
)

// leaf reports whether a field of type t is one knob rather than a
// section of knobs: anything but a plain struct (a pointer to a struct,
// such as *trainer.Spec, is one knob).
func leaf(t reflect.Type) bool {
	return t.Kind() != reflect.Struct || whole(t)
}

// whole reports whether values of t are decoded whole rather than key by
// key, so that checkKeys must not look inside.
func whole(t reflect.Type) bool {
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct {
		return true
	}
	pt := reflect.PointerTo(t)
	return pt.Implements(yamlUnmarshaler) || pt.Implements(textUnmarshaler)
}

// checkKeys refuses keys of the mapping n that the struct type t does not
// have, recursively, and records the line of every key it sees under its
// dotted path.
func checkKeys(n *yaml.Node, t reflect.Type, prefix string, lines map[string]int) error {
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch {
	case t.Kind() == reflect.Slice && n.Kind == yaml.SequenceNode:
		for _, e := range n.Content {
			if err := checkKeys(e, t.Elem(), prefix, lines); err != nil {
				return err
			}
		}
		return nil
	case whole(t) || n.Kind != yaml.MappingNode:
		// A knob: decode it alone, so that a value of the wrong type is
		// reported with its key and line.
		v := reflect.New(t)
		if err := n.Decode(v.Interface()); err != nil {
			line := n.Line
			var te *yaml.TypeError
			if errors.As(err, &te) && len(te.Errors) > 0 {
				fmt.Sscanf(te.Errors[0], "line %d:", &line)
			}
			return &keyError{line, strings.TrimSuffix(prefix, "."), typeMessage(err, t)}
		}
		return nil
	}
	fields := yamlFields(t)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		f, ok := fields[k.Value]
		if !ok {
			section := "the configuration"
			if prefix != "" {
				section = strings.TrimSuffix(prefix, ".")
			}
			names := make([]string, 0, len(fields))
			for name := range fields {
				names = append(names, name)
			}
			slices.Sort(names)
			return &keyError{k.Line, "", fmt.Sprintf("unknown key %q in %s (known: %s)", k.Value, section, strings.Join(names, ", "))}
		}
		lines[prefix+k.Value] = k.Line
		if err := checkKeys(v, f.Type, prefix+k.Value+".", lines); err != nil {
			return err
		}
	}
	return nil
}

// yamlFields maps the YAML keys of the struct type t to its fields.
func yamlFields(t reflect.Type) map[string]reflect.StructField {
	fields := map[string]reflect.StructField{}
	for i := range t.NumField() {
		if name, ok := yamlName(t.Field(i)); ok {
			fields[name] = t.Field(i)
		}
	}
	return fields
}

// yamlName returns the YAML key of the struct field f as yaml.v3 names
// it, and false for a field the YAML leaves out (unexported, or "-").
func yamlName(f reflect.StructField) (string, bool) {
	name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
	if !f.IsExported() || name == "-" {
		return "", false
	}
	if name == "" {
		name = strings.ToLower(f.Name)
	}
	return name, true
}

// A Knob is one setting of a Config: its dotted key, its help text and
// its default value as YAML text ("" for a zero value, whose meaning the
// help text gives).
type Knob struct {
	Key, Doc, Default string
	// Kind is the value's kind, such as "int", "float", "string",
	// "bool", "init", "[]int" or "spec", for help texts.
	Kind string
}

// foreignDocs documents the keys of the trainer's own structs.
var foreignDocs = map[string]string{
	"optimizer.name":         "sgd or adam (adamw: adam with decoupled weight decay)",
	"optimizer.momentum":     "sgd: momentum",
	"optimizer.nesterov":     "sgd: Nesterov momentum",
	"optimizer.beta1":        "adam: β₁ (0: 0.9)",
	"optimizer.beta2":        "adam: β₂ (0: 0.999)",
	"optimizer.epsilon":      "adam: ε (0: 1e-8)",
	"optimizer.weight_decay": "L2 weight decay λ on the weights",
	"optimizer.decoupled":    "apply weight decay to the weights directly (AdamW) instead of through the gradient",
	"schedule.name":          "learning-rate schedule: constant, step, exponential, inverse_time, cosine or plateau",
	"schedule.lr":            "learning rate (the peak of the schedule)",
	"schedule.warmup":        "steps of linear warm-up before the schedule",
	"schedule.every":         "step: decay every this many steps",
	"schedule.gamma":         "step: decay factor",
	"schedule.rate":          "exponential, inverse_time: decay rate",
	"schedule.steps":         "exponential, inverse_time: the period; cosine: the length (0: the run's)",
	"schedule.min":           "cosine, plateau: the smallest rate",
	"schedule.factor":        "plateau: factor applied when the validation loss stalls",
	"schedule.patience":      "plateau: evaluations without improvement before a decay",
}

// Knobs returns every setting of a Config, in the order of the struct
// fields, with the values of Default.
func Knobs() []Knob {
	var out []Knob
	eachKnob(reflect.ValueOf(Default()), "", func(key string, f reflect.StructField, v reflect.Value) {
		doc := f.Tag.Get("doc")
		if doc == "" {
			doc = foreignDocs[key]
		}
		out = append(out, Knob{Key: key, Doc: doc, Default: valueText(v), Kind: kindName(f.Type)})
	})
	return out
}

// eachKnob calls fn for each knob of the struct v (a Config or a part of
// one), in field order, with its dotted key (prefix + the YAML keys), its
// field and its value.
func eachKnob(v reflect.Value, prefix string, fn func(key string, f reflect.StructField, v reflect.Value)) {
	t := v.Type()
	for i := range t.NumField() {
		f := t.Field(i)
		name, ok := yamlName(f)
		if !ok {
			continue
		}
		if !leaf(f.Type) {
			eachKnob(v.Field(i), prefix+name+".", fn)
			continue
		}
		fn(prefix+name, f, v.Field(i))
	}
}

func kindName(t reflect.Type) string {
	switch {
	case t == reflect.TypeFor[trainer.Init]():
		return "init"
	case t == reflect.TypeFor[*trainer.Spec]():
		return "spec"
	case t == reflect.TypeFor[time.Duration]():
		return "duration"
	}
	switch t.Kind() {
	case reflect.Float64:
		return "float"
	case reflect.Int, reflect.Uint64:
		return "int"
	case reflect.Slice:
		return "[]" + kindName(t.Elem())
	}
	return t.Kind().String()
}

// valueText returns v as one line of YAML, "" for a zero value.
func valueText(v reflect.Value) string {
	if v.IsZero() || v.Kind() == reflect.Slice && v.Len() == 0 {
		return ""
	}
	if in, ok := v.Interface().(trainer.Init); ok {
		return in.String()
	}
	node := &yaml.Node{}
	if err := node.Encode(v.Interface()); err != nil {
		return fmt.Sprint(v.Interface())
	}
	s, err := yamltext.OneLine(node)
	if err != nil {
		return fmt.Sprint(v.Interface())
	}
	return s
}

// field returns the field of c at the dotted key, settable.
func (c *Config) field(key string) (reflect.Value, error) {
	v := reflect.ValueOf(c).Elem()
	parts := strings.Split(key, ".")
	for i, p := range parts {
		f, ok := yamlFields(v.Type())[p]
		if !ok || (i < len(parts)-1) == leaf(f.Type) {
			return reflect.Value{}, &ConfigError{Msg: fmt.Sprintf("unknown key %q (tbgo train -h lists the knobs)", key)}
		}
		v = v.FieldByIndex(f.Index)
	}
	return v, nil
}

// Set sets the knob at the dotted key, such as "schedule.lr" or
// "model.hidden". A string value is read as YAML text ("1e-3", "[64,
// 64]", "he_normal", "{layers: [{type: dense, units: 10}]}"); any other
// value is converted through YAML, so Set("schedule.lr", 0.01) and
// Set("schedule.lr", "0.01") agree. Setting one of model.preset,
// model.spec, model.spec_file and model.hidden to a value clears the
// others. An
// unknown key or a value that does not fit is an error naming the key,
// and leaves c unchanged.
func (c *Config) Set(key string, value any) error {
	f, err := c.field(key)
	if err != nil {
		return err
	}
	text, ok := value.(string)
	if !ok {
		b, err := yaml.Marshal(value)
		if err != nil {
			return &ConfigError{Key: key, Msg: err.Error()}
		}
		text = string(b)
	}
	p := reflect.New(f.Type())
	if f.Kind() == reflect.String {
		// A string knob takes the text as it is, whatever YAML would
		// make of it ("no", "1e-3", "a: b").
		p.Elem().SetString(text)
	} else if err := yaml.Unmarshal([]byte(text), p.Interface()); err != nil {
		return &ConfigError{Key: key, Msg: typeMessage(err, f.Type())}
	}
	switch key {
	case "model.preset", "model.spec", "model.spec_file", "model.hidden":
		if !p.Elem().IsZero() {
			c.Model.Preset, c.Model.Spec, c.Model.SpecFile, c.Model.Hidden = "", nil, "", nil
		}
	}
	f.Set(p.Elem())
	delete(c.lines, key)
	return nil
}

// Values returns every knob as a flat map from dotted key to value:
// numbers, strings and booleans as they are; initialisers as their text
// form; lists and layer descriptions as one line of YAML. They are the
// hyper-parameters a run records for the HParams dashboard, under the
// keys Set takes. The logdir and dir of an object store are recorded as
// storage.Display shows them: without the URL's query, which may hold
// settings and secrets.
func (c *Config) Values() map[string]any {
	out := map[string]any{}
	eachKnob(reflect.ValueOf(c).Elem(), "", func(key string, _ reflect.StructField, v reflect.Value) {
		switch {
		case key == "logdir" || key == "dir":
			out[key] = storage.Display(v.String())
		case v.Kind() == reflect.Bool, v.Kind() == reflect.String:
			out[key] = v.Interface()
		case v.Type() == reflect.TypeFor[time.Duration]():
			out[key] = time.Duration(v.Int()).String()
		case v.CanInt():
			out[key] = v.Int()
		case v.CanUint():
			out[key] = v.Uint()
		case v.CanFloat():
			out[key] = v.Float()
		default:
			out[key] = valueText(v)
		}
	})
	return out
}

// YAML returns c as a YAML document that Parse reads back to c. Every
// knob is written, also those whose YAML tag says omitempty: a zero left
// out would come back as its default, and a default need not be zero
// ("schedule.lr: 0" must not return as 3e-3).
func (c *Config) YAML() ([]byte, error) {
	var doc yaml.Node
	if err := doc.Encode(c); err != nil {
		return nil, fmt.Errorf("job: encoding the configuration: %w", err)
	}
	if err := addOmitted(&doc, reflect.ValueOf(c).Elem()); err != nil {
		return nil, fmt.Errorf("job: encoding the configuration: %w", err)
	}
	return yaml.Marshal(&doc)
}

// addOmitted adds to the mapping n, in field order, each knob of the
// struct v that the encoder left out: boolean, string and numeric fields
// as their zero, nested structs key by key. Pointers, slices and values
// with a text form of their own stay out when empty: their zero is their
// default.
func addOmitted(n *yaml.Node, v reflect.Value) error {
	if n.Kind == yaml.DocumentNode && len(n.Content) == 1 {
		n = n.Content[0]
	}
	t := v.Type()
	pos := 0 // where the next field's key belongs in n.Content
	for i := range t.NumField() {
		f := t.Field(i)
		name, ok := yamlName(f)
		if !ok {
			continue
		}
		fv := v.Field(i)
		if at := keyIndex(n, name); at >= 0 {
			pos = at + 2
			if !leaf(f.Type) {
				if err := addOmitted(n.Content[at+1], fv); err != nil {
					return err
				}
			}
			continue
		}
		var val yaml.Node
		switch {
		case !leaf(f.Type):
			val = yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
			if err := addOmitted(&val, fv); err != nil {
				return err
			}
		case fv.Kind() == reflect.Bool, fv.Kind() == reflect.String, fv.CanInt(), fv.CanUint(), fv.CanFloat():
			if err := val.Encode(fv.Interface()); err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
		default:
			continue
		}
		key := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: name}
		n.Content = slices.Insert(n.Content, pos, key, &val)
		pos += 2
	}
	return nil
}

// A Setting is one knob set from text, as a flag (-schedule.lr 0.01) or
// a sweep's set: section gives it: a dotted key and one line of YAML.
type Setting struct{ Key, Value string }

// Compose builds a configuration from its layers, each over the one
// before: the scenario called scenario (Default if ""), the YAML file
// (none if ""), then each setting in order, as tbgo train, tbgo doctor
// and the trials of tbgo sweep do. A setting of data.path to a file also
// sets data.name to csv. The errors are *ConfigError values naming the
// file and line, or the setting's key.
//
// Compose does not Validate: a caller may change more before it does.
func Compose(scenario, file string, settings []Setting) (Config, error) {
	c := Default()
	if scenario != "" {
		var err error
		if c, err = ScenarioConfig(scenario); err != nil {
			return c, err
		}
	}
	if file != "" {
		b, err := os.ReadFile(file)
		if err != nil {
			return c, fmt.Errorf("job: %w", err)
		}
		if err := c.Parse(b, file); err != nil {
			return c, err
		}
	}
	for _, s := range settings {
		if s.Key == "data.path" && s.Value != "" {
			if err := c.Set("data.name", "csv"); err != nil {
				return c, err
			}
		}
		if err := c.Set(s.Key, s.Value); err != nil {
			return c, err
		}
	}
	return c, nil
}
