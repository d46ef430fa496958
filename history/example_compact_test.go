package history_test

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/tbgo/tbgo/history"
	_ "github.com/tbgo/tbgo/storage/cloud" // mem://, s3://, gs://, azblob://
	"github.com/tbgo/tbgo/summary"
)

// Compact a finished run that a writer uploaded to a bucket as many
// segments into a new prefix, where it is one object.
func ExampleSource_Compact() {
	const logdir = "mem://example-compact/runs"
	w, err := summary.NewWriter(logdir+"/train", nil)
	if err != nil {
		log.Fatal(err)
	}
	for step := range int64(5) {
		if err := w.Scalar("loss", step, 1/float64(step+1)); err != nil {
			log.Fatal(err)
		}
		if err := w.Flush(); err != nil { // uploads a segment
			log.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		log.Fatal(err)
	}

	src, err := history.Open(logdir)
	if err != nil {
		log.Fatal(err)
	}
	defer src.Close()
	rep, err := src.Compact("mem://example-compact/compacted", &history.CompactOptions{
		// A run written less than two minutes ago is refused: a writer
		// may still be adding segments. Judge it as an hour from now.
		Now: func() time.Time { return time.Now().Add(time.Hour) },
	})
	if err != nil {
		log.Fatal(err)
	}
	for _, r := range rep.Runs {
		fmt.Printf("%s: %d event files -> %d, %d records\n", r.Run, r.FilesBefore, r.FilesAfter, r.Records)
	}

	compacted, err := history.Open(rep.Destination)
	if err != nil {
		log.Fatal(err)
	}
	defer compacted.Close()
	err = compacted.Scalars(context.Background(), nil, func(s *history.Scalar) error {
		fmt.Printf("%s %s step %d: %.3f\n", s.Run, s.Tag, s.Step, s.Value)
		return nil
	})
	if err != nil {
		log.Fatal(err)
	}
	// Output:
	// train: 6 event files -> 1, 6 records
	// train loss step 0: 1.000
	// train loss step 1: 0.500
	// train loss step 2: 0.333
	// train loss step 3: 0.250
	// train loss step 4: 0.200
}
