// Writescalars writes N scalars with tbgo's summary.Writer, the Go side of
// bench/scalars.sh's side-by-side comparison with tensorboardX.
//
//	writescalars -n 1000000 -logdir DIR
//
// It prints the elapsed time of the writing loop (including Close) and the
// rate, as one JSON line.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/tbgo/tbgo/summary"
)

func main() {
	n := flag.Int("n", 1_000_000, "number of scalars to write")
	logdir := flag.String("logdir", "", "run directory to write (required)")
	flag.Parse()
	if *logdir == "" || *n < 1 {
		fmt.Fprintln(os.Stderr, "writescalars: -logdir is required and -n must be positive")
		os.Exit(2)
	}
	if err := run(*n, *logdir); err != nil {
		fmt.Fprintln(os.Stderr, "writescalars:", err)
		os.Exit(1)
	}
}

func run(n int, logdir string) error {
	tags := []string{"loss", "accuracy", "learning_rate", "grad_norm"}
	start := time.Now()
	w, err := summary.NewWriter(logdir, nil)
	if err != nil {
		return err
	}
	for i := range n {
		if err := w.Scalar(tags[i%len(tags)], int64(i/len(tags)), float64(i)*1e-6); err != nil {
			w.Close()
			return err
		}
	}
	if err := w.Close(); err != nil {
		return err
	}
	elapsed := time.Since(start)
	return json.NewEncoder(os.Stdout).Encode(map[string]any{
		"writer":        "tbgo",
		"scalars":       n,
		"seconds":       elapsed.Seconds(),
		"scalars_per_s": float64(n) / elapsed.Seconds(),
	})
}
