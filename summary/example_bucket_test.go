package summary_test

import (
	"context"
	"fmt"
	"log"

	"github.com/tbgo/tbgo/history"
	_ "github.com/tbgo/tbgo/storage/cloud" // s3://, gs://, azblob://, mem://
	"github.com/tbgo/tbgo/summary"
)

// Log to a bucket: each process of a distributed job writes its own run
// below one prefix. s3://bucket/runs/exp1/rank0?region=us-east-1 works the
// same; mem:// needs no server.
func ExampleNewWriter_bucket() {
	for rank := range 2 {
		w, err := summary.NewWriter(fmt.Sprintf("mem://example-bucket/runs/exp1/rank%d", rank), nil)
		if err != nil {
			log.Fatal(err)
		}
		for step := range int64(3) {
			w.Scalar("loss", step, float64(rank+1)/float64(step+1))
		}
		// Close (and Flush) return once the values are stored.
		if err := w.Close(); err != nil {
			log.Fatal(err)
		}
	}

	src, err := history.Open("mem://example-bucket/runs")
	if err != nil {
		log.Fatal(err)
	}
	defer src.Close()
	err = src.Scalars(context.Background(), nil, func(s *history.Scalar) error {
		fmt.Printf("%s %s step %d: %.3f\n", s.Run, s.Tag, s.Step, s.Value)
		return nil
	})
	if err != nil {
		log.Fatal(err)
	}
	// Output:
	// exp1/rank0 loss step 0: 1.000
	// exp1/rank0 loss step 1: 0.500
	// exp1/rank0 loss step 2: 0.333
	// exp1/rank1 loss step 0: 2.000
	// exp1/rank1 loss step 1: 1.000
	// exp1/rank1 loss step 2: 0.667
}

// The trials of a sweep, each in a process of its own on any machine,
// declare the experiment at the sweep's root as they start: the
// declarations merge with conditional writes, and none is lost.
func ExampleWriteExperiment_bucket() {
	const logdir = "mem://example-experiment/sweep"
	for _, opt := range []string{"adam", "sgd"} {
		exp := summary.Experiment{
			HParams: []summary.HParam{{Name: "optimizer", Domain: summary.Discrete(opt)}},
			Metrics: []summary.Metric{{Tag: "loss"}},
		}
		if err := summary.WriteExperiment(logdir, exp); err != nil {
			log.Fatal(err)
		}
	}
	exp, err := summary.ReadExperiment(logdir)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(exp.HParams[0].Name, exp.HParams[0].Domain)
	// Output:
	// optimizer {adam, sgd}
}
