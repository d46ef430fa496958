package summary_test

import (
	"fmt"
	"log"
	"math"
	"os"
	"path/filepath"

	"github.com/tbgo/tbgo/summary"
	"github.com/tbgo/tbgo/tfevents"
)

// A learning-rate sweep of one's own model for the HParams dashboard: the
// search space is declared once, from the values tried, and each trial
// gets a Writer whose session its Close ends.
func ExampleSweep() {
	logdir, err := os.MkdirTemp("", "tbgo-sweep")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(logdir)

	lrs := []float64{0.1, 0.01, 0.001}
	sweep, err := summary.NewSweep(logdir, map[string]any{"lr": lrs, "optimizer": "sgd"},
		summary.Metric{Tag: "loss", DisplayName: "training loss"})
	if err != nil {
		log.Fatal(err)
	}
	for _, lr := range lrs {
		w, err := sweep.Trial(map[string]any{"lr": lr, "optimizer": "sgd"}, nil)
		if err != nil {
			log.Fatal(err)
		}
		loss := 1.0
		for step := range int64(100) {
			loss -= lr * loss // stands for a training step
			w.Scalar("loss", step, loss)
		}
		if math.IsNaN(loss) {
			w.EndSession(summary.StatusFailure) // else Close records success
		}
		if err := w.Close(); err != nil {
			log.Fatal(err)
		}
	}

	exp, err := summary.ReadExperiment(logdir)
	if err != nil {
		log.Fatal(err)
	}
	for _, h := range exp.HParams {
		fmt.Printf("%s: %v %v\n", h.Name, h.Domain.Type(), h.Domain)
	}
	runs, err := tfevents.DiscoverRuns(logdir)
	if err != nil {
		log.Fatal(err)
	}
	for _, r := range runs {
		fmt.Println("run", filepath.ToSlash(r.Name))
	}
	// Output:
	// lr: float64 {0.1, 0.01, 0.001}
	// optimizer: string {sgd}
	// run .
	// run lr=0.001,optimizer=sgd
	// run lr=0.01,optimizer=sgd
	// run lr=0.1,optimizer=sgd
}

// A run directory for a program that has no name for its run: a fresh
// runs/<date>_<time>_<host><comment> each time it runs.
func ExampleDefaultRunDir() {
	w, err := summary.NewWriter("", &summary.Options{Comment: "-lr0.1"})
	if err != nil {
		log.Fatal(err)
	}
	defer os.Remove(summary.DefaultRunsDir) // if this made it
	defer os.RemoveAll(w.Dir())
	defer w.Close()
	fmt.Println(filepath.Dir(w.Dir()))
	// Output:
	// runs
}
