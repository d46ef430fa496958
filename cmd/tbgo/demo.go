package main

import (
	"fmt"
	"image"
	"io"
	"math"
	"math/rand/v2"
	"path/filepath"

	"gonum.org/v1/gonum/mat"

	"github.com/tbgo/tbgo/storage"
	"github.com/tbgo/tbgo/summary"
)

func runDemo(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("demo", "[-logdir DIR] [-steps N]", stderr)
	logdir := fs.String("logdir", filepath.Join("runs", "demo"), "`directory` or object-store URL to write the runs train and eval into")
	steps := fs.Int("steps", 200, "number of training steps to simulate")
	usage := fs.Usage
	fs.Usage = func() {
		usage()
		fmt.Fprint(stderr, demoAbout)
	}
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		return fmt.Errorf("%w: demo takes no arguments, got %q", errUsage, fs.Args())
	}
	if *steps < 1 {
		return fmt.Errorf("%w: -steps must be positive", errUsage)
	}
	if err := writeDemo(*logdir, *steps); err != nil {
		return err
	}
	fmt.Fprintf(stderr, "tbgo: wrote %s (runs train and eval)\nview it with:\n  %s\n", storage.Display(*logdir), tensorboardCommand(*logdir))
	return nil
}

// demoAbout is what demo -h says demo writes.
const demoAbout = `
Demo simulates a training run of -steps steps and writes it, as two runs
DIR/train and DIR/eval, for TensorBoard to show:
  scalars     loss (train and eval), learning_rate (train), accuracy (eval)
  histograms  layer1/weights and layer1/activations (train), every 10 steps
  images      layer1/filters (train), every 50 steps
  text        notes and a config table (train)
It then prints the tensorboard command that opens them.
`

// writeDemo simulates a training run: a loss that falls, an accuracy that
// rises, weights whose spread shrinks, filters that sharpen, and notes.
func writeDemo(logdir string, steps int) (err error) {
	train, err := summary.NewWriter(storage.Join(logdir, "train"), nil)
	if err != nil {
		return err
	}
	defer closeInto(&err, train)
	eval, err := summary.NewWriter(storage.Join(logdir, "eval"), nil)
	if err != nil {
		return err
	}
	defer closeInto(&err, eval)

	for _, d := range []struct {
		w    *summary.Writer
		tag  string
		meta summary.Meta
	}{
		{train, "loss", summary.Meta{DisplayName: "training loss", Description: "Softmax cross-entropy on each mini-batch."}},
		{eval, "loss", summary.Meta{DisplayName: "validation loss", Description: "Softmax cross-entropy on the held-out set."}},
		{eval, "accuracy", summary.Meta{Description: "Fraction of the held-out set classified correctly."}},
	} {
		if err := d.w.Describe(d.tag, d.meta); err != nil {
			return err
		}
	}

	rng := rand.New(rand.NewPCG(1, 2))
	weights := mat.NewDense(16, 32, nil)
	for step := range steps {
		t := float64(step) / float64(steps)
		loss := 2.3*math.Exp(-4*t) + 0.1 + 0.05*rng.NormFloat64()*math.Exp(-2*t)
		if err := train.Scalar("loss", int64(step), loss); err != nil {
			return err
		}
		if err := train.Scalar("learning_rate", int64(step), 0.1*math.Pow(0.5, math.Floor(4*t))); err != nil {
			return err
		}
		if step%10 != 0 && step != steps-1 {
			continue
		}
		if err := eval.Scalar("loss", int64(step), 2.3*math.Exp(-3.5*t)+0.15); err != nil {
			return err
		}
		if err := eval.Scalar("accuracy", int64(step), 1-0.9*math.Exp(-5*t)); err != nil {
			return err
		}
		std := 1 - 0.7*t
		for i := range 16 {
			for j := range 32 {
				weights.Set(i, j, rng.NormFloat64()*std+0.2*t)
			}
		}
		if err := train.HistogramMatrix("layer1/weights", int64(step), weights); err != nil {
			return err
		}
		acts := make([]float64, 512)
		for i := range acts {
			acts[i] = max(0, rng.NormFloat64()+t)
		}
		if err := train.Histogram("layer1/activations", int64(step), acts); err != nil {
			return err
		}
		if step%50 == 0 || step == steps-1 {
			grid, err := demoFilters(rng, t)
			if err != nil {
				return err
			}
			if err := train.Image("layer1/filters", int64(step), grid); err != nil {
				return err
			}
		}
	}
	if err := train.Text("notes", 0, "## Demo run\nWritten by `tbgo demo`: a *simulated* training run.\n\n"+
		"- **loss** falls and **accuracy** rises\n- the weights' spread shrinks\n- the filters sharpen"); err != nil {
		return err
	}
	return train.Table("config", 0, [][]string{
		{"**setting**", "**value**"},
		{"steps", fmt.Sprint(steps)},
		{"optimizer", "SGD, momentum 0.9"},
		{"learning rate", "0.1, halved 4 times"},
	})
}

// demoFilters draws eight 5x5 filters as a grid: oriented edges whose
// noise fades as t goes from 0 to 1.
func demoFilters(rng *rand.Rand, t float64) (image.Image, error) {
	filters := make([]image.Image, 8)
	for f := range filters {
		angle := float64(f) * math.Pi / 8
		m := mat.NewDense(5, 5, nil)
		for i := range 5 {
			for j := range 5 {
				edge := math.Cos(angle)*float64(i-2) + math.Sin(angle)*float64(j-2)
				m.Set(i, j, t*math.Tanh(edge)+(1-t)*rng.NormFloat64())
			}
		}
		img, err := summary.FromMatrix(m, 0)
		if err != nil {
			return nil, err
		}
		filters[f] = img
	}
	return summary.Grid(filters, 4, 1, nil)
}

// closeInto closes c and keeps its error in *err unless *err already holds
// one.
func closeInto(err *error, c io.Closer) {
	if cerr := c.Close(); *err == nil {
		*err = cerr
	}
}
