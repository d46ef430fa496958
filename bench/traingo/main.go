// Traingo is the Go side of bench/train.sh, which compares the training
// throughput of tbgo's trainer with PyTorch's on the same model, data and
// batch size.
//
//	traingo -prepare DIR
//	traingo -batch 32 [-epochs 20] [-warmup 1]
//
// With -prepare it writes what the PyTorch side needs into DIR and exits:
// train.csv, the training split of the embedded UCI digits exactly as tbgo
// trains on it (stratified 80/20 split with seed 1, standardised on the
// training split), one sample a line, the label first, every value in
// Go's shortest round-tripping form; and model.json, the "mlp" preset's
// layers and training recipe (optimiser, learning-rate schedule) as
// trainer.PresetSpec and trainer.Presets give them. It prints the SHA-256
// of the data (the float64 values row by row, then the labels as int64,
// all little-endian), which train_torch.py recomputes from what it reads,
// so the two sides provably train on identical numbers.
//
// Otherwise it trains the "mlp" preset with its recipe on that training
// split for -warmup untimed epochs, then for -epochs timed ones with a
// fresh model, and prints one JSON line: the samples per second of
// training (forward, loss, backward and optimiser step over shuffled
// mini-batches; no evaluation), the seconds, and the mean loss of the
// last epoch.
package main

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/tbgo/tbgo/trainer"
	"github.com/tbgo/tbgo/trainer/data"
)

func main() {
	prepare := flag.String("prepare", "", "write train.csv and model.json into this directory and exit")
	batch := flag.Int("batch", 32, "samples per training step")
	epochs := flag.Int("epochs", 20, "timed epochs")
	warmup := flag.Int("warmup", 1, "untimed epochs before the timed ones")
	flag.Parse()
	var err error
	if *prepare != "" {
		err = prepareDir(*prepare)
	} else {
		err = bench(*batch, *epochs, *warmup)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "traingo:", err)
		os.Exit(1)
	}
}

// trainSplit returns the standardised training split of the digits, as
// the preset recipes train on it.
func trainSplit() (*data.Dataset, error) {
	ds, err := data.Digits()
	if err != nil {
		return nil, err
	}
	train, val, _, err := ds.Split(data.SplitOptions{Val: 0.2, Seed: 1})
	if err != nil {
		return nil, err
	}
	data.Standardize(train, val)
	return train, nil
}

// mlpPreset returns the "mlp" preset's recipe.
func mlpPreset() (trainer.Preset, error) {
	for _, p := range trainer.Presets() {
		if p.Name == "mlp" {
			return p, nil
		}
	}
	return trainer.Preset{}, errors.New(`no "mlp" preset`)
}

// digest is the SHA-256 of the data as train_torch.py recomputes it.
func digest(d *data.Dataset) string {
	h := sha256.New()
	var b [8]byte
	for i := range d.Len() {
		for _, v := range d.X.RawRowView(i) {
			binary.LittleEndian.PutUint64(b[:], math.Float64bits(v))
			h.Write(b[:])
		}
	}
	for _, y := range d.Y {
		binary.LittleEndian.PutUint64(b[:], uint64(int64(y)))
		h.Write(b[:])
	}
	return fmt.Sprintf("%x", h.Sum(nil))
}

// layerJSON is one layer of model.json.
type layerJSON struct {
	Type string  `json:"type"`
	In   int     `json:"in,omitempty"`
	Out  int     `json:"out,omitempty"`
	Init string  `json:"init,omitempty"`
	Rate float64 `json:"rate,omitempty"`
}

func prepareDir(dir string) error {
	train, err := trainSplit()
	if err != nil {
		return err
	}
	p, err := mlpPreset()
	if err != nil {
		return err
	}
	spec, err := trainer.PresetSpec(p.Name, train.Classes)
	if err != nil {
		return err
	}
	// NewModel fills in every default (initialisers, dropout rate) and
	// the layer sizes, which model.json spells out for PyTorch.
	m, err := trainer.NewModel(trainer.Vector(train.Dim()), spec, 1)
	if err != nil {
		return err
	}
	var layers []layerJSON
	for _, l := range m.Layers() {
		j := layerJSON{Type: string(l.Type)}
		switch l.Type {
		case trainer.TypeDense:
			j.In, j.Out, j.Init = l.In.Size(), l.Out.Size(), l.Params[0].Init.String()
			if len(l.Params) != 2 || l.Params[1].Init.String() != "constant" {
				return fmt.Errorf("layer %s: the PyTorch side expects a bias initialised to 0", l.Name)
			}
		case trainer.TypeDropout:
			j.Rate = l.Spec.Rate
		case trainer.TypeReLU:
		default:
			return fmt.Errorf("layer %s: the PyTorch side knows dense, relu and dropout layers, not %s", l.Name, l.Type)
		}
		layers = append(layers, j)
	}
	if p.Optimizer.Name != "adam" || p.Optimizer != (trainer.OptimizerSpec{Name: "adam"}) || p.Schedule.Name != "cosine" || p.Schedule.Warmup != 0 || p.Schedule.Min != 0 || p.Schedule.Steps != 0 {
		return fmt.Errorf("the PyTorch side expects plain Adam with a cosine schedule to 0, not %+v and %+v", p.Optimizer, p.Schedule)
	}
	model := map[string]any{
		"preset":     p.Name,
		"layers":     layers,
		"optimizer":  "adam",
		"lr":         p.Schedule.LR,
		"schedule":   "cosine",
		"classes":    train.Classes,
		"batch_size": p.BatchSize,
		"epochs":     p.Epochs,
	}
	js, err := json.MarshalIndent(model, "", "  ")
	if err != nil {
		return err
	}
	if err := writeFile(filepath.Join(dir, "model.json"), append(js, '\n')); err != nil {
		return err
	}
	var csv []byte
	for i := range train.Len() {
		csv = strconv.AppendInt(csv, int64(train.Y[i]), 10)
		for _, v := range train.X.RawRowView(i) {
			csv = append(csv, ',')
			csv = strconv.AppendFloat(csv, v, 'g', -1, 64)
		}
		csv = append(csv, '\n')
	}
	if err := writeFile(filepath.Join(dir, "train.csv"), csv); err != nil {
		return err
	}
	fmt.Printf("%d samples × %d features, sha256 %s\n", train.Len(), train.Dim(), digest(train))
	return nil
}

// writeFile writes b to name through a temporary file renamed into place.
func writeFile(name string, b []byte) error {
	tmp := name + ".tmp"
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, name)
}

func bench(batch, epochs, warmup int) error {
	if batch < 1 || epochs < 1 || warmup < 0 {
		return errors.New("-batch and -epochs must be positive, -warmup not negative")
	}
	train, err := trainSplit()
	if err != nil {
		return err
	}
	p, err := mlpPreset()
	if err != nil {
		return err
	}
	td := trainer.Data{X: train.X, Y: train.Y}
	steps := func(epochs int) int { return epochs * ((train.Len() + batch - 1) / batch) }
	run := func(epochs int) (*trainer.Result, time.Duration, error) {
		spec, err := trainer.PresetSpec(p.Name, train.Classes)
		if err != nil {
			return nil, 0, err
		}
		m, err := trainer.NewModel(trainer.Vector(train.Dim()), spec, 1)
		if err != nil {
			return nil, 0, err
		}
		opt, err := p.Optimizer.New()
		if err != nil {
			return nil, 0, err
		}
		sch, err := p.Schedule.New(steps(epochs))
		if err != nil {
			return nil, 0, err
		}
		start := time.Now()
		res, err := trainer.Train(context.Background(), m, td, trainer.Data{}, trainer.Config{
			Epochs: epochs, BatchSize: batch, Optimizer: opt, Schedule: sch, Seed: 1,
		})
		return res, time.Since(start), err
	}
	if warmup > 0 {
		if _, _, err := run(warmup); err != nil {
			return err
		}
	}
	res, elapsed, err := run(epochs)
	if err != nil {
		return err
	}
	perEpoch := (train.Len() + batch - 1) / batch
	last := res.Losses[len(res.Losses)-perEpoch:]
	var sum float64
	for _, l := range last {
		sum += l
	}
	return json.NewEncoder(os.Stdout).Encode(map[string]any{
		"impl":          "tbgo",
		"dtype":         "float64",
		"batch":         batch,
		"epochs":        epochs,
		"samples":       epochs * train.Len(),
		"seconds":       elapsed.Seconds(),
		"samples_per_s": float64(epochs*train.Len()) / elapsed.Seconds(),
		"last_loss":     sum / float64(len(last)),
	})
}
