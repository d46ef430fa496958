// Genlogdir writes the logdir of the export benchmark (bench/export.sh):
// scalars and histograms spread evenly over runs, written with tbgo's
// summary.Writer.
//
// Usage:
//
//	genlogdir [-logdir DIR] [-scalars N] [-histograms N] [-images N] [-runs N] [-tags N] [-form legacy|tensor]
//
// Each run holds scalars/runs scalar values, cycling over -tags tags
// ("loss", "metric/1", ...) one step at a time, in the legacy simple_value
// form that PyTorch and tensorboardX write (the default, and the only form
// tbparse's scalars read) or in the tensor form of tbgo and TensorFlow 2
// (-form tensor); and histograms/runs
// histograms of 1000 normal samples each under "weights", at evenly spaced
// steps, and images/runs 32x32 PNG images under "samples", likewise. Values
// come from a seeded generator, so two logdirs made with the same flags
// hold the same values. It prints a JSON summary, with the last step of
// every run's scalar tags.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"image"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"time"

	"github.com/tbgo/tbgo/proto/tbpb"
	"github.com/tbgo/tbgo/summary"
)

func main() {
	logdir := flag.String("logdir", "runs/bench-export", "logdir to write (must not hold event files yet)")
	scalars := flag.Int("scalars", 1_000_000, "scalar values in all")
	histograms := flag.Int("histograms", 10_000, "histograms in all")
	images := flag.Int("images", 0, "images in all")
	runs := flag.Int("runs", 20, "runs")
	tags := flag.Int("tags", 5, "scalar tags per run")
	form := flag.String("form", "legacy", "scalar form: legacy (simple_value, as PyTorch and tensorboardX write) or tensor (as tbgo and TensorFlow 2 write)")
	flag.Parse()
	if *form != "legacy" && *form != "tensor" {
		fmt.Fprintln(os.Stderr, "genlogdir: -form must be legacy or tensor")
		os.Exit(2)
	}
	if *runs < 1 || *tags < 1 || *scalars < 0 || *histograms < 0 || *images < 0 {
		fmt.Fprintln(os.Stderr, "genlogdir: -runs and -tags must be positive, -scalars, -histograms and -images not negative")
		os.Exit(2)
	}
	start := time.Now()
	last, err := write(*logdir, *scalars, *histograms, *images, *runs, *tags, *form == "legacy")
	if err != nil {
		fmt.Fprintf(os.Stderr, "genlogdir: %v\n", err)
		os.Exit(1)
	}
	json.NewEncoder(os.Stdout).Encode(map[string]any{
		"logdir": *logdir, "runs": *runs, "scalars": *scalars, "histograms": *histograms, "images": *images,
		"form": *form, "seconds": time.Since(start).Seconds(), "last_steps": last,
	})
}

// write writes the logdir and returns, by run, the last step of each
// scalar tag.
func write(logdir string, scalars, histograms, images, runs, tags int, legacy bool) (map[string]map[string]int, error) {
	last := map[string]map[string]int{}
	names := make([]string, tags)
	names[0] = "loss"
	for i := 1; i < tags; i++ {
		names[i] = fmt.Sprintf("metric/%d", i)
	}
	sample := make([]float64, 1000)
	sv := &tbpb.Summary_Value{}
	ev := &tbpb.Event{What: &tbpb.Event_Summary{Summary: &tbpb.Summary{Value: []*tbpb.Summary_Value{sv}}}}
	for r := range runs {
		rng := rand.New(rand.NewPCG(uint64(r), 42))
		run := fmt.Sprintf("run%02d", r)
		last[run] = map[string]int{}
		w, err := summary.NewWriter(filepath.Join(logdir, run), nil)
		if err != nil {
			return nil, err
		}
		ns := scalars / runs
		if r < scalars%runs {
			ns++
		}
		nh := histograms / runs
		if r < histograms%runs {
			nh++
		}
		steps := (ns + tags - 1) / tags
		every := math.MaxInt
		if nh > 0 {
			every = max(1, steps/nh)
		}
		ni := images / runs
		if r < images%runs {
			ni++
		}
		everyImage := math.MaxInt
		if ni > 0 {
			everyImage = max(1, steps/ni)
		}
		written := 0
		for step := 0; written < ns || nh > 0 || ni > 0; step++ {
			for _, tag := range names {
				if written == ns {
					break
				}
				last[run][tag] = step
				v := math.Exp(-float64(step)/float64(steps+1)) + 0.05*rng.NormFloat64()
				var err error
				if legacy {
					ev.WallTime = float64(time.Now().UnixNano()) / 1e9
					ev.Step = int64(step)
					sv.Tag, sv.Value = tag, &tbpb.Summary_Value_SimpleValue{SimpleValue: float32(v)}
					err = w.WriteEvent(ev)
				} else {
					err = w.Scalar(tag, int64(step), v)
				}
				if err != nil {
					return nil, err
				}
				written++
			}
			if nh > 0 && step%every == 0 {
				for i := range sample {
					sample[i] = rng.NormFloat64() * (1 + float64(step)/float64(steps+1))
				}
				if err := w.Histogram("weights", int64(step), sample); err != nil {
					return nil, err
				}
				nh--
			}
			if ni > 0 && step%everyImage == 0 {
				if err := w.Image("samples", int64(step), noise(rng)); err != nil {
					return nil, err
				}
				ni--
			}
		}
		if err := w.Close(); err != nil {
			return nil, err
		}
	}
	return last, nil
}

// noise returns a 32x32 image of random grey levels.
func noise(rng *rand.Rand) image.Image {
	img := image.NewGray(image.Rect(0, 0, 32, 32))
	for i := range img.Pix {
		img.Pix[i] = uint8(rng.IntN(256))
	}
	return img
}
