package job

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tbgo/tbgo/trainer"
	"github.com/tbgo/tbgo/trainer/data"
)

// configure returns Default with the knobs of pairs ("key=value") set.
func configure(t testing.TB, pairs ...string) Config {
	t.Helper()
	c := Default()
	for _, kv := range pairs {
		k, v, _ := strings.Cut(kv, "=")
		if err := c.Set(k, v); err != nil {
			t.Fatal(err)
		}
	}
	return c
}

// Bad data is an error before training that names the file, the line and
// the field, and wraps the data package's error.
func TestBuildCSVErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for _, tt := range []struct {
		desc, csv string
		pairs     []string
		want      []string
		is        error
	}{
		{"not a number", "a,b,label\n1,2,0\n3,x,1\n", nil, []string{"bad.csv:3:2", `column "b"`, `"x"`}, data.ErrNotNumber},
		{"ragged row", "a,b,label\n1,2,0\n3,4\n", nil, []string{"bad.csv:3:", "2 fields, want 3"}, data.ErrRagged},
		{"NaN", "a,b,label\n1,2,0\n3,NaN,1\n", nil, []string{"bad.csv:3:2", "not finite"}, data.ErrNonFinite},
		{"label outside the classes", "a,b,label\n1,2,0\n3,4,5\n", []string{"data.classes=2"}, []string{"bad.csv:3:3", "5 outside [0, 2)"}, data.ErrLabel},
		{"no rows", "a,b,label\n", nil, []string{"bad.csv"}, data.ErrEmpty},
	} {
		t.Run(tt.desc, func(t *testing.T) {
			path := filepath.Join(dir, strings.ReplaceAll(tt.desc, " ", "_"), "bad.csv")
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, []byte(tt.csv), 0o644); err != nil {
				t.Fatal(err)
			}
			c := configure(t, append([]string{"data.name=csv", "data.path=" + path, "data.val=0", "model.hidden=[4]"}, tt.pairs...)...)
			_, err := Build(c)
			if err == nil {
				t.Fatal("Build = nil error, want one")
			}
			if !errors.Is(err, tt.is) {
				t.Errorf("error %v does not wrap %v", err, tt.is)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}

// A path in a configuration file is relative to the file.
func TestBuildCSVRelativeToConfig(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	csv := "x1,x2,label\n0,0,0\n0,1,1\n1,0,1\n1,1,0\n0.1,0.1,0\n0.1,0.9,1\n0.9,0.1,1\n0.9,0.9,0\n"
	if err := os.WriteFile(filepath.Join(dir, "xor.csv"), []byte(csv), 0o644); err != nil {
		t.Fatal(err)
	}
	c := Default()
	if err := c.Parse([]byte("data: {name: csv, path: xor.csv, val: 0.25}\nmodel: {hidden: [8], activation: tanh}\n"), filepath.Join(dir, "run.yaml")); err != nil {
		t.Fatal(err)
	}
	j, err := Build(c)
	if err != nil {
		t.Fatal(err)
	}
	if j.Train.Len()+j.Val.Len() != 8 || j.Classes != 2 || j.Outputs != 2 {
		t.Errorf("train %d, val %d, classes %d, outputs %d; want 8 samples of 2 classes", j.Train.Len(), j.Val.Len(), j.Classes, j.Outputs)
	}
}

// An impossible shape names the layer and its line.
func TestBuildShapeError(t *testing.T) {
	t.Parallel()
	c := Default()
	yaml := "seed: 1\nmodel:\n  spec:\n    layers:\n      - {type: conv, filters: 4, kernel: 3}\n      - {type: conv, filters: 4, kernel: 9}\n      - {type: dense, units: 10}\n"
	if err := c.Parse([]byte(yaml), "net.yaml"); err != nil {
		t.Fatal(err)
	}
	_, err := Build(c)
	var ce *ConfigError
	if !errors.As(err, &ce) || !errors.Is(err, trainer.ErrShape) && !strings.Contains(err.Error(), "impossible shape") {
		t.Fatalf("Build = %v, want a ConfigError about an impossible shape", err)
	}
	if ce.File != "net.yaml" || ce.Line != 6 || ce.Key != "model.spec" || !strings.Contains(ce.Msg, "conv2") {
		t.Errorf("error %+v, want net.yaml line 6, model.spec, conv2", ce)
	}
}

func TestBuild(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		desc  string
		pairs []string
		check func(t *testing.T, j *Job)
	}{
		{"digits, the default", nil, func(t *testing.T, j *Job) {
			if j.Train.Len() != 1438 || j.Val.Len() != 359 || j.Classes != 10 || j.Model.InShape() != (trainer.Shape{C: 1, H: 8, W: 8}) {
				t.Errorf("train %d, val %d, classes %d, input %v", j.Train.Len(), j.Val.Len(), j.Classes, j.Model.InShape())
			}
			if j.RawStats.MaxAbsMean() < 1 || data.Describe(j.Train.X).MaxAbsMean() > 1e-9 {
				t.Errorf("raw max |mean| %v, standardised %v", j.RawStats.MaxAbsMean(), data.Describe(j.Train.X).MaxAbsMean())
			}
			if j.Config.Name != "digits-mlp" || j.TotalSteps() != 40*45 {
				t.Errorf("name %q, %d steps", j.Config.Name, j.TotalSteps())
			}
		}},
		{"a stratified subset keeps every class", []string{"data.train_samples=30"}, func(t *testing.T, j *Job) {
			counts := j.Train.ClassCounts()
			for c, n := range counts {
				if n == 0 {
					t.Errorf("class %d has no sample: %v", c, counts)
				}
			}
			if j.Train.Len() < 25 || j.Train.Len() > 35 {
				t.Errorf("%d training samples, want about 30", j.Train.Len())
			}
		}},
		{"class weights", []string{"data.name=spirals", "data.imbalance=20", "balance=weights", "model.hidden=[8]"}, func(t *testing.T, j *Job) {
			if l, ok := j.Trainer.Loss.(trainer.SoftmaxCrossEntropy); !ok || len(l.Weights) != 2 || !(l.Weights[1] > l.Weights[0]) {
				t.Errorf("loss %#v, want class weights favouring the small class 1", j.Trainer.Loss)
			}
		}},
		{"balanced sampler", []string{"data.name=spirals", "data.imbalance=20", "balance=sampler", "model.hidden=[8]"}, func(t *testing.T, j *Job) {
			if j.Trainer.Sampler == nil {
				t.Fatal("no sampler")
			}
			idx := j.Trainer.Sampler(nil, 0, nil)
			ones := 0
			for _, i := range idx {
				ones += j.Train.Y[i]
			}
			if len(idx) != j.Train.Len() || ones < len(idx)/3 {
				t.Errorf("%d indices, %d of class 1: not balanced", len(idx), ones)
			}
		}},
		{"binary cross-entropy has one output", []string{"data.name=xor", "loss=binary_cross_entropy", "model.hidden=[8]"}, func(t *testing.T, j *Job) {
			if j.Outputs != 1 || j.Model.OutShape().Size() != 1 {
				t.Errorf("%d outputs", j.Outputs)
			}
		}},
		{"sine windows, centred each on its own level", []string{"data.name=sine", "data.trend=0.1", "loss=mse", "data.preprocess=window", "model.hidden=[8]"}, func(t *testing.T, j *Job) {
			if j.Classes != 0 || j.Outputs != 1 || j.Val.Len() == 0 {
				t.Errorf("classes %d, outputs %d, val %d", j.Classes, j.Outputs, j.Val.Len())
			}
			for i := range j.Train.Len() {
				var sum float64
				for _, v := range j.Train.X.RawRowView(i) {
					sum += v
				}
				if sum > 1e-9 || sum < -1e-9 {
					t.Fatalf("window %d sums to %v, not centred", i, sum)
				}
			}
		}},
		{"blobs", []string{"data.name=blobs", "data.classes=4", "model.preset=linear"}, func(t *testing.T, j *Job) {
			if j.Classes != 4 || j.Config.Name != "blobs-linear" {
				t.Errorf("classes %d, name %q", j.Classes, j.Config.Name)
			}
		}},
		{"augmentation", []string{"data.augment.shift=1", "data.augment.rotate=10"}, func(t *testing.T, j *Job) {
			if j.Trainer.Augment == nil {
				t.Error("no augmentation")
			}
		}},
		{"an output activation and its initialiser", []string{"model.output=sigmoid", "model.output_init=normal:2", "loss=mse"}, func(t *testing.T, j *Job) {
			layers := j.Model.Layers()
			if last := layers[len(layers)-1]; last.Type != trainer.TypeSigmoid {
				t.Errorf("last layer %s, want sigmoid", last.Type)
			}
			if p := j.Model.Param("dense2/weights"); p.Init.Kind != trainer.InitNormal || p.Init.Scale != 2 {
				t.Errorf("dense2 init %v", p.Init)
			}
		}},
	} {
		t.Run(tt.desc, func(t *testing.T) {
			j, err := Build(configure(t, tt.pairs...))
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, j)
		})
	}
}

func TestBuildErrors(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		desc  string
		pairs []string
		want  string
	}{
		{"cnn on vectors", []string{"data.name=spirals", "model.preset=cnn"}, "impossible shape"},
		{"missing spec file", []string{"model.spec_file=/nonexistent/net.yaml"}, "net.yaml"},
		{"binary cross-entropy on ten classes", []string{"loss=binary_cross_entropy"}, "2 classes"},
		{"augmenting vectors", []string{"data.name=spirals", "data.augment.shift=1"}, "data.augment"},
	} {
		t.Run(tt.desc, func(t *testing.T) {
			_, err := Build(configure(t, tt.pairs...))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Build = %v, want an error with %q", err, tt.want)
			}
		})
	}
}
