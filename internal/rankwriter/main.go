// Rankwriter is one process of a distributed job, for the tests of many
// writers under one logdir: it writes the run RUN below LOGDIR (a path or
// a URL, see storage.Open) with summary.Writer: per step two scalars and a
// histogram, an image every 10 steps, a text at step 0, flushing every 10
// steps, then the scalar zz/sentinel at step 0, and closes. Its values
// and wall times depend on -seed and -steps only, so the same run written
// to a bucket and to a local directory holds the same events.
//
//	rankwriter -logdir LOGDIR -run RUN [-seed N] [-steps N] [-pause D]
//
// -pause sleeps between steps, to keep the writer running while others
// start. It prints "open" once the run is claimed (its first event
// uploaded) and exits with status 1 and the error if the Writer refuses
// the run.
package main

import (
	"flag"
	"fmt"
	"image"
	"image/color"
	"math"
	"os"
	"time"

	"github.com/tbgo/tbgo/storage"
	_ "github.com/tbgo/tbgo/storage/cloud" // s3://, gs://, azblob://
	"github.com/tbgo/tbgo/summary"
)

func main() {
	logdir := flag.String("logdir", "", "logdir: a path or a URL")
	run := flag.String("run", "", "the run to write, below the logdir")
	seed := flag.Int("seed", 0, "varies the values")
	steps := flag.Int("steps", 60, "steps to write")
	pause := flag.Duration("pause", 0, "sleep between steps")
	flag.Parse()
	if *logdir == "" || *run == "" {
		fmt.Fprintln(os.Stderr, "rankwriter: -logdir and -run are required")
		os.Exit(2)
	}
	if err := write(storage.Join(*logdir, *run), *seed, *steps, *pause); err != nil {
		fmt.Fprintln(os.Stderr, "rankwriter:", err)
		os.Exit(1)
	}
}

func write(dir string, seed, steps int, pause time.Duration) error {
	// A clock that ticks a millisecond per reading, from a start that
	// depends on the seed: the same wall times wherever the run goes.
	clock := time.Unix(1_700_000_000+int64(seed)*10_000, 0)
	now := func() time.Time { clock = clock.Add(time.Millisecond); return clock }
	w, err := summary.NewWriter(dir, &summary.Options{Now: now, FlushInterval: -1})
	if err != nil {
		return err
	}
	fmt.Println("open")
	for step := range int64(steps) {
		x := float64(step) + float64(seed)/4
		values := make([]float64, 100)
		for i := range values {
			values[i] = math.Sin(float64(i)*0.37+x) * (1 + x/10)
		}
		for _, err := range []error{
			w.Scalar("loss", step, 1/(x+1)),
			w.Scalar("acc", step, 1-math.Exp(-x/20)),
			w.Histogram("weights", step, values),
		} {
			if err != nil {
				return err
			}
		}
		if step%10 == 0 {
			if err := w.Image("sample", step, pattern(8+int(step/10), 6, seed)); err != nil {
				return err
			}
		}
		if step == 0 {
			if err := w.Text("note", 0, fmt.Sprintf("**rank** %d", seed)); err != nil {
				return err
			}
		}
		if step%10 == 9 {
			if err := w.Flush(); err != nil {
				return err
			}
		}
		time.Sleep(pause)
	}
	if err := w.Scalar("zz/sentinel", 0, 1); err != nil {
		return err
	}
	return w.Close()
}

// pattern draws a w×h test image that depends on seed.
func pattern(w, h, seed int) image.Image {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.Set(x, y, color.NRGBA{uint8(x * 255 / w), uint8(y * 255 / h), uint8(seed * 60), 255})
		}
	}
	return img
}
