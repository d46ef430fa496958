package job

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"gonum.org/v1/gonum/mat"

	"github.com/tbgo/tbgo/trainer"
	"github.com/tbgo/tbgo/trainer/data"
)

// The values the string knobs take.
var (
	dataNames   = []string{"digits", "spirals", "xor", "blobs", "sine", "csv"}
	lossNames   = []string{"cross_entropy", "binary_cross_entropy", "mse"}
	balances    = []string{"none", "weights", "sampler"}
	preprocess  = []string{"standardize", "center", "window", "none"}
	headers     = []string{"auto", "yes", "no"}
	activations = []trainer.LayerType{trainer.TypeReLU, trainer.TypeLeakyReLU, trainer.TypeELU, trainer.TypePReLU, trainer.TypeTanh, trainer.TypeSigmoid}
	outputs     = []trainer.LayerType{trainer.TypeSigmoid, trainer.TypeSoftmax, trainer.TypeTanh, trainer.TypeReLU}
)

func oneOf[T ~string](c *Config, key string, v T, allowed []T) error {
	if slices.Contains(allowed, v) {
		return nil
	}
	s := make([]string, len(allowed))
	for i, a := range allowed {
		s[i] = string(a)
	}
	return c.errorf(key, "%q is not one of %s", v, strings.Join(s, ", "))
}

// Validate checks every knob on its own and the combinations that cannot
// work (a CSV without a path, two models, a balance remedy without
// classes), and returns the first problem, naming its key and, for a
// parsed file, its line. Problems only the data or the model can show
// (an impossible shape, a bad CSV cell) are found by Build.
func (c *Config) Validate() error {
	d := &c.Data
	checks := []struct {
		key string
		bad bool
		msg string
	}{
		{"logdir", c.Logdir == "" && c.Dir == "", "empty: say where runs go"},
		{"name", strings.ContainsAny(c.Name, `/\`), "must not contain a path separator"},
		{"data.path", d.Name == "csv" && d.Path == "", "data.name is csv but no file is given"},
		{"data.val", !(d.Val >= 0 && d.Val < 1), fmt.Sprintf("%v is outside [0, 1)", d.Val)},
		{"data.shuffle_labels", !(d.ShuffleLabels >= 0 && d.ShuffleLabels <= 1), fmt.Sprintf("%v is outside [0, 1]", d.ShuffleLabels)},
		{"data.duplicate", !(d.Duplicate >= 0 && d.Duplicate <= 1), fmt.Sprintf("%v is outside [0, 1]", d.Duplicate)},
		{"data.train_samples", d.TrainSamples < 0, "negative"},
		{"data.imbalance", !(d.Imbalance >= 0) || math.IsInf(d.Imbalance, 0), fmt.Sprintf("%v, want 0 (balanced) or a ratio ≥ 1", d.Imbalance)},
		{"data.imbalance", d.Imbalance > 0 && d.Imbalance < 1, fmt.Sprintf("%v, want 0 (balanced) or a ratio ≥ 1", d.Imbalance)},
		{"data.noise", !(d.Noise >= 0) || math.IsInf(d.Noise, 0), "want a finite std ≥ 0"},
		{"data.classes", d.Classes < 0, "negative"},
		{"data.classes", d.Name == "digits" && (d.Classes == 1 || d.Classes > 10), fmt.Sprintf("%d: the digits have 2 to 10 classes (0: all)", d.Classes)},
		{"data.per_class", d.PerClass < 0, "negative"},
		{"data.augment.shift", d.Augment.Shift < 0, "negative"},
		{"data.augment.rotate", !(d.Augment.Rotate >= 0) || math.IsInf(d.Augment.Rotate, 0), "want a finite angle ≥ 0"},
		{"data.augment.noise", !(d.Augment.Noise >= 0) || math.IsInf(d.Augment.Noise, 0), "want a finite std ≥ 0"},
		{"model.dropout", !(c.Model.Dropout >= 0 && c.Model.Dropout < 1), fmt.Sprintf("%v is outside [0, 1)", c.Model.Dropout)},
		{"clip_norm", !(c.ClipNorm >= 0) || math.IsInf(c.ClipNorm, 0), "want a finite norm ≥ 0"},
		{"clip_value", !(c.ClipValue >= 0) || math.IsInf(c.ClipValue, 0), "want a finite value ≥ 0"},
		{"epochs", c.Epochs < 0, "negative"},
		{"steps", c.Steps < 0, "negative"},
		{"epochs", c.Epochs == 0 && c.Steps == 0, "0 epochs and 0 steps: nothing to train"},
		{"batch_size", c.BatchSize < 1, fmt.Sprintf("%d, want at least 1", c.BatchSize)},
		{"eval_every", c.EvalEvery < 0, "negative"},
		{"upload.max_age", c.Upload.MaxAge != 0 && c.Upload.MaxAge < time.Second,
			fmt.Sprintf("%v, want 0 (the default) or a duration of at least 1s, with its unit (25s, 5m)", c.Upload.MaxAge)},
		{"upload.segment_age", c.Upload.SegmentAge != 0 && c.Upload.SegmentAge < time.Second,
			fmt.Sprintf("%v, want 0 (off) or a duration of at least 1s, with its unit (5m)", c.Upload.SegmentAge)},
		{"patience", c.Patience < 0, "negative"},
		{"min_delta", !(c.MinDelta >= 0) || math.IsInf(c.MinDelta, 0), "want a finite value ≥ 0"},
		{"diagnostics.diag_every", c.Diagnostics.DiagEvery < 1, fmt.Sprintf("%d, want at least 1", c.Diagnostics.DiagEvery)},
		{"diagnostics.k", c.Diagnostics.K < 1, fmt.Sprintf("%d, want at least 1", c.Diagnostics.K)},
		{"diagnostics.histogram_every", c.Diagnostics.HistogramEvery < 0, "negative"},
		{"diagnostics.image_every", c.Diagnostics.ImageEvery < 0, "negative"},
		{"diagnostics.max_filters", c.Diagnostics.MaxFilters < 1 && c.Diagnostics.Images, "want at least 1 with images on"},
	}
	for _, ch := range checks {
		if ch.bad {
			return c.errorf(ch.key, "%s", ch.msg)
		}
	}
	if err := oneOf(c, "data.name", d.Name, dataNames); err != nil {
		return err
	}
	if err := oneOf(c, "data.preprocess", d.Preprocess, preprocess); err != nil {
		return err
	}
	if err := oneOf(c, "data.header", d.Header, headers); err != nil {
		return err
	}
	if err := oneOf(c, "loss", c.Loss, lossNames); err != nil {
		return err
	}
	if err := oneOf(c, "balance", c.Balance, balances); err != nil {
		return err
	}
	if d.Shape != "" {
		if _, err := parseShape(d.Shape); err != nil {
			return c.errorf("data.shape", "%v", err)
		}
	}
	if _, ok := delimiter(d.Delimiter); !ok {
		return c.errorf("data.delimiter", "%q: want auto, tab or one character such as ';'", d.Delimiter)
	}
	if d.Name != "csv" {
		for _, k := range []struct {
			key string
			set bool
		}{{"data.delimiter", d.Delimiter != "auto" && d.Delimiter != ""}, {"data.path", d.Path != ""}, {"data.label", d.Label != ""}, {"data.shape", d.Shape != ""}, {"data.string_labels", d.StringLabels}, {"data.regression", d.Regression}} {
			if k.set {
				return c.errorf(k.key, "applies to data.name csv only, not %s", d.Name)
			}
		}
	}
	if d.Preprocess == "window" && d.Name != "sine" {
		return c.errorf("data.preprocess", "window centres time-series windows: data.name sine only")
	}
	m := &c.Model
	n := 0
	for _, set := range []bool{m.Preset != "", m.Spec != nil, m.SpecFile != "", len(m.Hidden) > 0} {
		if set {
			n++
		}
	}
	if n != 1 {
		return c.errorf("model", "give exactly one of preset, spec, spec_file and hidden (%d given)", n)
	}
	if m.Preset != "" {
		if _, err := trainer.PresetSpec(m.Preset, 2); err != nil {
			return c.wrap("model.preset", err)
		}
	}
	if len(m.Hidden) > 0 {
		for _, h := range m.Hidden {
			if h < 1 {
				return c.errorf("model.hidden", "width %d, want at least 1", h)
			}
		}
		if m.Activation == "" {
			m.Activation = string(trainer.TypeReLU)
		}
		if err := oneOf(c, "model.activation", trainer.LayerType(m.Activation), activations); err != nil {
			return err
		}
	} else {
		for _, k := range []struct {
			key string
			set bool
		}{{"model.activation", m.Activation != ""}, {"model.init", m.Init != (trainer.Init{})}, {"model.bias_init", m.BiasInit != (trainer.Init{})}, {"model.dropout", m.Dropout != 0}} {
			if k.set {
				return c.errorf(k.key, "applies to an MLP given by model.hidden only")
			}
		}
	}
	if m.Output != "" {
		if err := oneOf(c, "model.output", trainer.LayerType(m.Output), outputs); err != nil {
			return err
		}
	}
	if _, err := c.Optimizer.New(); err != nil {
		return c.wrap("optimizer", err)
	}
	if _, err := c.Schedule.New(max(c.Steps, 1)); err != nil {
		return c.wrap("schedule", err)
	}
	regression := d.Name == "sine" || d.Regression
	if regression && c.Loss != "mse" {
		return c.errorf("loss", "%s needs class labels; %s data is a regression: use mse", c.Loss, d.Name)
	}
	if regression && d.ShuffleLabels > 0 {
		return c.errorf("data.shuffle_labels", "shuffles class labels; %s data is a regression", d.Name)
	}
	if regression && c.Balance != "none" {
		return c.errorf("balance", "%s needs class labels; %s data is a regression", c.Balance, d.Name)
	}
	if c.Balance == "weights" && c.Loss != "cross_entropy" {
		return c.errorf("balance", "weights apply to the cross_entropy loss only")
	}
	return nil
}

// parseShape reads "CxHxW" (or "C×H×W", or "D" for a vector).
func parseShape(s string) (data.Shape, error) {
	parts := strings.FieldsFunc(s, func(r rune) bool { return r == 'x' || r == 'X' || r == '×' })
	var dims []int
	for _, p := range parts {
		n, err := strconv.Atoi(strings.TrimSpace(p))
		if err != nil || n < 1 {
			return data.Shape{}, fmt.Errorf("shape %q: want CxHxW with positive integers, such as 1x8x8", s)
		}
		dims = append(dims, n)
	}
	switch len(dims) {
	case 1:
		return data.Vector(dims[0]), nil
	case 3:
		return data.Shape{C: dims[0], H: dims[1], W: dims[2]}, nil
	}
	return data.Shape{}, fmt.Errorf("shape %q: want CxHxW, such as 1x8x8", s)
}

// A Job is a Config made concrete: the data loaded, split and prepared,
// the model built and the training configured, ready for trainer.Train.
// Build makes one; Run trains it with a Monitor; tbgo doctor checks it
// before training.
type Job struct {
	// Config is the configuration, with Name filled in.
	Config Config
	// Train and Val are the prepared splits; Val is nil when
	// Config.Data.Val is 0.
	Train, Val *data.Dataset
	// RawStats are the per-feature statistics of the training inputs
	// before preprocessing.
	RawStats data.FeatureStats
	// Model is the model, initialised from Config.Seed.
	Model *trainer.Model
	// Trainer is the training configuration, without hooks.
	Trainer trainer.Config
	// Outputs is the model's output width; Classes the number of classes
	// (0 for regression).
	Outputs, Classes int
}

// Data returns the splits as the trainer takes them.
func (j *Job) Data() (train, val trainer.Data) {
	train = trainer.Data{X: j.Train.X, Y: j.Train.Y, Targets: j.Train.Targets}
	if j.Val != nil {
		val = trainer.Data{X: j.Val.X, Y: j.Val.Y, Targets: j.Val.Targets}
	}
	return train, val
}

// Build validates cfg, loads and prepares the data, builds the model and
// configures the training. Every problem is an error before any training
// step: bad knobs (naming the key and line), bad data (a CSV error names
// the file, line and field), an impossible model shape (naming the
// layer), labels that do not fit the loss.
func Build(cfg Config) (*Job, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	ds, err := cfg.dataset()
	if err != nil {
		return nil, err
	}
	ds = cfg.plant(ds)
	j := &Job{Config: cfg}
	split := data.SplitOptions{Val: cfg.Data.Val, Seed: cfg.Seed, Ordered: cfg.Data.Name == "sine"}
	if cfg.Data.Val > 0 {
		if j.Train, j.Val, _, err = ds.Split(split); err != nil {
			return nil, cfg.errorf("data.val", "%v", err)
		}
	} else {
		j.Train = ds
	}
	if n := cfg.Data.TrainSamples; n > 0 && n < j.Train.Len() {
		// A stratified subset, so that every class keeps samples; in order
		// for a time series.
		keep := 1 - float64(n)/float64(j.Train.Len())
		idx, _, _, err := data.SplitIndices(j.Train.Len(), j.Train.Y, data.SplitOptions{Val: keep, Seed: cfg.Seed, Ordered: cfg.Data.Name == "sine"})
		if err != nil {
			return nil, cfg.errorf("data.train_samples", "%v", err)
		}
		slices.Sort(idx)
		j.Train = j.Train.Subset(idx)
	}
	j.RawStats = data.Describe(j.Train.X)
	switch cfg.Data.Preprocess {
	case "standardize":
		data.Standardize(j.Train, j.Val)
	case "center":
		data.Center(j.Train, j.Val)
	case "window":
		for _, d := range []*data.Dataset{j.Train, j.Val} {
			if d != nil {
				data.CenterWindows(d.X, d.Targets, make([]float64, d.Len()))
			}
		}
	}
	j.Classes = ds.Classes
	switch {
	case ds.Targets != nil:
		_, j.Outputs = ds.Targets.Dims()
	case cfg.Loss == "binary_cross_entropy":
		if ds.Classes != 2 {
			return nil, cfg.errorf("loss", "binary_cross_entropy with labels needs 2 classes, the data has %d", ds.Classes)
		}
		j.Outputs = 1
	default:
		j.Outputs = ds.Classes
	}
	spec, err := cfg.spec(j.Outputs)
	if err != nil {
		return nil, err
	}
	if cfg.Name == "" {
		j.Config.Name = cfg.Data.Name + "-" + modelName(cfg, spec)
	}
	j.Model, err = trainer.NewModel(j.Train.Shape, spec, cfg.Seed)
	if err != nil {
		return nil, cfg.modelError(err)
	}
	if err := j.configure(); err != nil {
		return nil, err
	}
	return j, nil
}

// modelError places an error of trainer.NewModel: at the layer's line in
// the spec file or in the configuration file when known.
func (c *Config) modelError(err error) error {
	var se *trainer.SpecError
	if !errors.As(err, &se) {
		return c.errorf("model", "%v", err)
	}
	msg := se.Path
	if se.Layer != "" {
		msg += " (" + se.Layer + ")"
	}
	msg += ": " + se.Err.Error()
	switch {
	case c.Model.SpecFile != "":
		return &ConfigError{File: c.path(c.Model.SpecFile), Line: se.Line, Msg: msg}
	case c.Model.Spec != nil && se.Line > 0:
		return &ConfigError{File: c.file, Line: se.Line, Key: "model.spec", Msg: msg}
	}
	key := "model.preset"
	if len(c.Model.Hidden) > 0 {
		key = "model.hidden"
	}
	return c.errorf(key, "%s", msg)
}

// modelName names the model in run names.
func modelName(cfg Config, spec trainer.Spec) string {
	switch {
	case cfg.Model.Preset != "":
		return cfg.Model.Preset
	case spec.Name != "":
		return spec.Name
	}
	return "model"
}

// dataset loads the data cfg names.
func (c *Config) dataset() (*data.Dataset, error) {
	d := &c.Data
	var ds *data.Dataset
	var err error
	switch d.Name {
	case "digits":
		ds, err = data.Digits()
		if err == nil && d.Classes > 0 {
			ds = digitsSubset(ds, d.Classes)
		}
	case "spirals":
		ds, err = data.Spirals(data.SpiralsOptions{Classes: d.Classes, PerClass: d.PerClass, Turns: d.Turns, Noise: d.Noise, Imbalance: d.Imbalance, Seed: c.Seed})
	case "xor":
		ds, err = data.XOR(data.XOROptions{PerClass: d.PerClass, Noise: d.Noise, Imbalance: d.Imbalance, Seed: c.Seed})
	case "blobs":
		ds, err = data.Blobs(data.BlobsOptions{Classes: d.Classes, Dims: d.Dims, PerClass: d.PerClass, Separation: d.Separation, Imbalance: d.Imbalance, Seed: c.Seed})
	case "sine":
		ds, err = data.Sine(data.SineOptions{Windows: d.Windows, Length: d.Length, Period: d.Period, Offset: d.Offset, Trend: d.Trend, Noise: d.Noise, Seed: c.Seed})
	case "csv":
		o := &data.CSVOptions{StringLabels: d.StringLabels, Regression: d.Regression, Classes: d.Classes}
		switch d.Header {
		case "yes":
			o.Header = data.HeaderPresent
		case "no":
			o.Header = data.HeaderAbsent
		}
		if n, err := strconv.Atoi(d.Label); err == nil {
			o.LabelColumn = n
		} else {
			o.Label = d.Label
		}
		if d.Shape != "" {
			o.Shape, _ = parseShape(d.Shape)
		}
		o.Comma, _ = delimiter(d.Delimiter)
		path := c.path(d.Path)
		ds, err = data.LoadCSV(path, o)
		if err != nil {
			return nil, csvError(err)
		}
	}
	if err != nil {
		return nil, c.errorf("data", "%v", err)
	}
	if err := ds.Validate(); err != nil {
		return nil, fmt.Errorf("job: %s: %w", ds.Name, err)
	}
	return ds, nil
}

// path resolves a path of the configuration relative to the configuration
// file's directory.
func (c *Config) path(p string) string {
	if c.file == "" || filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(filepath.Dir(c.file), p)
}

// spec returns the model description cfg names, with outputs units out.
func (c *Config) spec(out int) (trainer.Spec, error) {
	m := &c.Model
	var spec trainer.Spec
	switch {
	case m.Preset != "":
		s, err := trainer.PresetSpec(m.Preset, out)
		if err != nil {
			return spec, c.wrap("model.preset", err)
		}
		spec = s
	case m.Spec != nil:
		spec = *m.Spec
		spec.Layers = slices.Clone(spec.Layers)
	case m.SpecFile != "":
		b, err := os.ReadFile(c.path(m.SpecFile))
		if err != nil {
			return spec, fmt.Errorf("job: model.spec_file: %w", err)
		}
		if spec, err = trainer.ParseSpec(b); err != nil {
			return spec, fmt.Errorf("job: %s: %w", m.SpecFile, err)
		}
	default:
		act := trainer.LayerType(m.Activation)
		init := m.Init
		if init == (trainer.Init{}) {
			init = trainer.Init{Kind: trainer.InitGlorotUniform}
			if act == trainer.TypeReLU || act == trainer.TypeLeakyReLU || act == trainer.TypePReLU || act == trainer.TypeELU {
				init = trainer.Init{Kind: trainer.InitHeNormal}
			}
		}
		spec = trainer.Spec{Name: "mlp"}
		for _, h := range m.Hidden {
			spec.Layers = append(spec.Layers, trainer.LayerSpec{Type: trainer.TypeDense, Units: h, Init: init, BiasInit: m.BiasInit}, trainer.LayerSpec{Type: act})
			if m.Dropout > 0 {
				spec.Layers = append(spec.Layers, trainer.LayerSpec{Type: trainer.TypeDropout, Rate: m.Dropout})
			}
		}
		spec.Layers = append(spec.Layers, trainer.LayerSpec{Type: trainer.TypeDense, Units: out})
	}
	if m.OutputInit != (trainer.Init{}) {
		i := len(spec.Layers) - 1
		for i >= 0 && spec.Layers[i].Type != trainer.TypeDense {
			i--
		}
		if i < 0 {
			return spec, c.errorf("model.output_init", "the model has no dense layer")
		}
		spec.Layers[i].Init = m.OutputInit
	}
	if m.Output != "" {
		spec.Layers = append(spec.Layers, trainer.LayerSpec{Type: trainer.LayerType(m.Output)})
	}
	return spec, nil
}

// configure fills j.Trainer.
func (j *Job) configure() error {
	c := &j.Config
	tc := trainer.Config{
		Epochs: c.Epochs, Steps: c.Steps, BatchSize: c.BatchSize,
		ClipNorm: c.ClipNorm, ClipValue: c.ClipValue, Seed: c.Seed,
		EvalEvery: c.EvalEvery, Patience: c.Patience, MinDelta: c.MinDelta,
	}
	if c.Steps > 0 {
		tc.Epochs = 0
	}
	switch c.Loss {
	case "cross_entropy":
		l := trainer.SoftmaxCrossEntropy{}
		if c.Balance == "weights" {
			l.Weights = data.ClassWeights(j.Train.ClassCounts())
		}
		tc.Loss = l
	case "binary_cross_entropy":
		tc.Loss = trainer.BinaryCrossEntropy{}
	case "mse":
		tc.Loss = trainer.MeanSquaredError{}
	}
	if err := tc.Loss.Check(j.Outputs, trainer.Targets{Labels: j.Train.Y, Values: j.Train.Targets}); err != nil {
		return c.wrap("loss", err)
	}
	if c.Balance == "sampler" {
		s, err := data.NewBalancedSampler(j.Train.Y, j.Train.Classes, c.Seed)
		if err != nil {
			return c.errorf("balance", "%v", err)
		}
		n := j.Train.Len()
		tc.Sampler = func(dst []int, _ int, _ *rand.Rand) []int {
			dst = slices.Grow(dst[:0], n)[:n]
			s.Fill(dst)
			return dst
		}
	}
	if a := c.Data.Augment; a != (AugmentConfig{}) {
		aug, err := data.NewAugmenter(j.Train.Shape, data.Distortion{MaxShift: a.Shift, MaxRotate: a.Rotate, Noise: a.Noise}, c.Seed)
		if err != nil {
			return c.errorf("data.augment", "%v", err)
		}
		tc.Augment = func(x *mat.Dense, _ *rand.Rand) { aug.Apply(x, x) }
	}
	opt, err := c.Optimizer.New()
	if err != nil {
		return c.wrap("optimizer", err)
	}
	tc.Optimizer = opt
	steps := c.Steps
	if steps == 0 {
		steps = c.Epochs * ((j.Train.Len() + c.BatchSize - 1) / c.BatchSize)
	}
	sch, err := c.Schedule.New(steps)
	if err != nil {
		return c.wrap("schedule", err)
	}
	tc.Schedule = sch
	j.Trainer = tc
	return nil
}

// TotalSteps returns the number of optimiser steps the job will take if
// nothing stops it early.
func (j *Job) TotalSteps() int {
	if j.Trainer.Steps > 0 {
		return j.Trainer.Steps
	}
	return j.Trainer.Epochs * ((j.Train.Len() + j.Trainer.BatchSize - 1) / j.Trainer.BatchSize)
}

// plant adds the problems data.duplicate and data.shuffle_labels ask
// for, before the split, from the seed: copies of a fraction of the
// samples, then a fraction of the labels shuffled among their samples.
func (c *Config) plant(ds *data.Dataset) *data.Dataset {
	d := &c.Data
	if d.Duplicate == 0 && d.ShuffleLabels == 0 {
		return ds
	}
	rng := rand.New(rand.NewPCG(c.Seed, 0x706c616e74))
	if n := int(math.Round(d.Duplicate * float64(ds.Len()))); n > 0 {
		idx := append(seq(ds.Len()), rng.Perm(ds.Len())[:n]...)
		ds = ds.Subset(idx)
	}
	if n := int(math.Round(d.ShuffleLabels * float64(ds.Len()))); n > 1 && ds.Y != nil {
		ds = ds.Subset(seq(ds.Len())) // a copy: the labels change
		idx := rng.Perm(ds.Len())[:n]
		labels := make([]int, n)
		for k, i := range idx {
			labels[k] = ds.Y[i]
		}
		rng.Shuffle(n, func(a, b int) { labels[a], labels[b] = labels[b], labels[a] })
		for k, i := range idx {
			ds.Y[i] = labels[k]
		}
	}
	return ds
}

// seq returns 0, 1, ..., n-1.
func seq(n int) []int {
	s := make([]int, n)
	for i := range s {
		s[i] = i
	}
	return s
}

// delimiter reads the data.delimiter knob: 0 for auto.
func delimiter(s string) (rune, bool) {
	switch s {
	case "auto", "":
		return 0, true
	case "tab", `\t`, "\t":
		return '\t', true
	}
	r := []rune(s)
	if len(r) != 1 || r[0] == '"' || r[0] == '\n' || r[0] == '\r' || r[0] == utf8.RuneError {
		return 0, false
	}
	return r[0], true
}

// csvKeys are the knobs, with a value, that set the options of
// data.CSVOptions a CSV error may name (data.CSVError.Option).
var csvKeys = map[string][2]string{
	"StringLabels": {"data.string_labels", "true"},
	"Classes":      {"data.classes", "K"},
	"Header":       {"data.header", "yes (or no)"},
	"Comma":        {"data.delimiter", "';' (or tab, or another character)"},
}

// csvError returns a CSV error naming the knob that resolves it, as a
// flag and a YAML key, instead of the Go option.
func csvError(err error) error {
	var ce *data.CSVError
	if !errors.As(err, &ce) {
		return err
	}
	k, ok := csvKeys[ce.Option]
	if !ok {
		return err
	}
	e := *ce
	e.Err = fmt.Errorf("%w; set -%s %s (%s in YAML)", ce.Err, k[0], k[1], k[0])
	e.Option = ""
	return &e
}

// DataText describes the prepared data in one line, as tbgo train prints
// it after "data: ": the dataset, the split, the classes, what was done
// to the inputs (preprocessing, augmentation, planted problems) and, for
// the embedded digits, their source.
func (j *Job) DataText() string {
	c, d := j.Config, j.Config.Data
	var b strings.Builder
	fmt.Fprintf(&b, "%s, %d training and %d validation samples", j.Train.Name, j.Train.Len(), lenOf(j.Val))
	switch {
	case j.Classes > 0 && len(j.Train.ClassNames) > 0:
		fmt.Fprintf(&b, ", %d classes (%s)", j.Classes, strings.Join(j.Train.ClassNames, ", "))
	case j.Classes > 0:
		fmt.Fprintf(&b, ", %d classes", j.Classes)
	default:
		b.WriteString(", regression")
	}
	var done []string
	switch d.Preprocess {
	case "standardize":
		done = append(done, "standardised (each feature to mean 0, std 1 with the training split's statistics)")
	case "center":
		done = append(done, "centred (each feature's training mean subtracted)")
	case "window":
		done = append(done, "each window centred on its own mean")
	case "none":
		done = append(done, "no preprocessing (raw values)")
	}
	if a := d.Augment; a != (AugmentConfig{}) {
		done = append(done, fmt.Sprintf("training batches distorted (shift %d, rotate %g°, noise %g)", a.Shift, a.Rotate, a.Noise))
	}
	if d.Duplicate > 0 {
		done = append(done, fmt.Sprintf("%g of the samples repeated before the split (data.duplicate)", d.Duplicate))
	}
	if d.ShuffleLabels > 0 {
		done = append(done, fmt.Sprintf("%g of the labels shuffled (data.shuffle_labels)", d.ShuffleLabels))
	}
	if len(done) > 0 {
		b.WriteString("; " + strings.Join(done, "; "))
	}
	if j.Train.Source != "" && c.Data.Name == "digits" {
		fmt.Fprintf(&b, " (%s)", j.Train.Source)
	}
	return b.String()
}

// digitsSubset keeps the samples of the first k digits, 0 to k-1.
func digitsSubset(ds *data.Dataset, k int) *data.Dataset {
	var idx []int
	for i, y := range ds.Y {
		if y < k {
			idx = append(idx, i)
		}
	}
	sub := ds.Subset(idx)
	sub.Classes = k
	if len(sub.ClassNames) > k {
		sub.ClassNames = sub.ClassNames[:k]
	}
	return sub
}
