package history_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"time"

	"github.com/tbgo/tbgo/history"
	"github.com/tbgo/tbgo/summary"
)

// exampleLogdir writes runs "train" (restarted once, at step 2) and
// "eval" into a temporary logdir.
func exampleLogdir() string {
	logdir, err := os.MkdirTemp("", "history-example")
	if err != nil {
		log.Fatal(err)
	}
	clock := time.Unix(1700000000, 0)
	write := func(run string, tag string, steps ...int64) {
		w, err := summary.NewWriter(filepath.Join(logdir, run), &summary.Options{
			Now: func() time.Time { clock = clock.Add(time.Second); return clock },
		})
		if err != nil {
			log.Fatal(err)
		}
		for _, s := range steps {
			if err := w.Scalar(tag, s, 1/float64(s+1)); err != nil {
				log.Fatal(err)
			}
		}
		if err := w.Close(); err != nil {
			log.Fatal(err)
		}
	}
	write("train", "loss", 0, 1, 2, 3)
	write("train", "loss", 2, 3, 4) // resumed from the checkpoint of step 2
	write("eval", "accuracy", 0, 4)
	return logdir
}

// exampleSource opens exampleLogdir's logdir; done closes and removes it.
func exampleSource() (src *history.Source, done func()) {
	logdir := exampleLogdir()
	src, err := history.Open(logdir)
	if err != nil {
		log.Fatal(err)
	}
	return src, func() {
		src.Close()
		os.RemoveAll(logdir)
	}
}

// Read every scalar of the runs whose names match a glob, as TensorBoard
// shows them: the restart hides the steps it logged again.
func ExampleSource_Scalars() {
	logdir := exampleLogdir()
	defer os.RemoveAll(logdir)

	src, err := history.Open(logdir)
	if err != nil {
		log.Fatal(err)
	}
	defer src.Close()
	runs, err := history.Compile("tr*")
	if err != nil {
		log.Fatal(err)
	}
	opts := &history.Options{Runs: runs, View: history.TensorBoard}
	err = src.Scalars(context.Background(), opts, func(s *history.Scalar) error {
		fmt.Printf("%s %s step %d: %.3f\n", s.Run, s.Tag, s.Step, s.Value)
		return nil
	})
	if err != nil {
		log.Fatal(err)
	}
	// Output:
	// train loss step 0: 1.000
	// train loss step 1: 0.500
	// train loss step 2: 0.333
	// train loss step 3: 0.250
	// train loss step 4: 0.200
}

// Format every scalar as a CSV line. The lines of a batch are formatted in
// the goroutine that decoded it, several runs at once on a multi-core
// machine, and written in order; each batch's buffer is reused.
func ExampleMapScalars() {
	src, done := exampleSource()
	defer done()
	format := func(dst []byte, batch []history.Scalar) []byte {
		dst = dst[:0]
		for _, s := range batch {
			dst = fmt.Appendf(dst, "%s,%s,%d,%.3f\n", s.Run, s.Tag, s.Step, s.Value)
		}
		return dst
	}
	err := history.MapScalars(context.Background(), src, nil, format, func(lines []byte) error {
		_, err := os.Stdout.Write(lines)
		return err
	})
	if err != nil {
		log.Fatal(err)
	}
	// Output:
	// eval,accuracy,0,1.000
	// eval,accuracy,4,0.200
	// train,loss,0,1.000
	// train,loss,1,0.500
	// train,loss,2,0.333
	// train,loss,3,0.250
	// train,loss,2,0.333
	// train,loss,3,0.250
	// train,loss,4,0.200
}

// List the runs of a logdir and the kinds of value each holds.
func ExampleSource_Values() {
	src, done := exampleSource()
	defer done()
	for _, run := range src.Runs() {
		fmt.Printf("run %q: %d file(s)\n", run.Name, len(run.Files))
	}
	n := map[string]int{}
	err := src.Values(context.Background(), nil, func(v *history.Value) error {
		n[v.Run+" "+v.Kind.String()]++
		return nil
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(n)
	// Output:
	// run "eval": 1 file(s)
	// run "train": 2 file(s)
	// map[eval scalar:2 train scalar:7]
}

// Smooth a noisy series as TensorBoard's scalar chart does with the
// smoothing slider at 0.6. By hand: last = 0.4, 0.24, 0.544, 0.3264,
// 0.59584, divided by 1-0.6^n = 0.4, 0.64, 0.784, 0.8704, 0.92224.
func ExampleSmooth() {
	ys := []float64{1, 0, 1, 0, 1}
	for _, y := range history.Smooth(nil, ys, 0.6) {
		fmt.Printf("%.4f ", y)
	}
	fmt.Println()
	// Output:
	// 1.0000 0.3750 0.6939 0.3750 0.6461
}

// The quantiles the Distributions dashboard draws for a histogram of
// evenly spread values.
func ExampleDistribution() {
	buckets := []summary.Bucket{{Left: 0, Right: 5, Count: 50}, {Left: 5, Right: 10, Count: 50}}
	for i, q := range history.Distribution(buckets) {
		fmt.Printf("%5.0f bp: %.3f\n", history.BasisPoints[i], q)
	}
	// Output:
	//     0 bp: 0.000
	//   668 bp: 0.668
	//  1587 bp: 1.587
	//  3085 bp: 3.085
	//  5000 bp: 5.000
	//  6915 bp: 6.915
	//  8413 bp: 8.413
	//  9332 bp: 9.332
	// 10000 bp: 10.000
}

// Select names with globs and regular expressions.
func ExampleCompile() {
	m, err := history.Compile("loss", "eval/*", `re:^sweep/lr=0\.1`)
	if err != nil {
		log.Fatal(err)
	}
	for _, name := range []string{"loss", "loss/ema", "eval/acc", "eval/a/b", "sweep/lr=0.1/seed=1", "sweep/lr=0.01"} {
		fmt.Println(name, m.Match(name))
	}
	// Output:
	// loss true
	// loss/ema false
	// eval/acc true
	// eval/a/b true
	// sweep/lr=0.1/seed=1 true
	// sweep/lr=0.01 false
}
