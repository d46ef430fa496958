package history_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"
	"path"
	"path/filepath"
	"time"

	"github.com/tbgo/tbgo/history"
	"github.com/tbgo/tbgo/summary"
)

// damageLogdir writes a run of scalar "loss" at steps 0 to 4 and damages
// the data of its step-2 record.
func damageLogdir() string {
	logdir, err := os.MkdirTemp("", "history-example")
	if err != nil {
		log.Fatal(err)
	}
	clock := time.Unix(1700000000, 0)
	w, err := summary.NewWriter(filepath.Join(logdir, "train"), &summary.Options{
		Now: func() time.Time { clock = clock.Add(time.Second); return clock },
	})
	if err != nil {
		log.Fatal(err)
	}
	for step := range int64(5) {
		if err := w.Scalar("loss", step, 1/float64(step+1)); err != nil {
			log.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		log.Fatal(err)
	}
	data, err := os.ReadFile(w.FileName())
	if err != nil {
		log.Fatal(err)
	}
	data[len(data)*3/5] ^= 0xff
	if err := os.WriteFile(w.FileName(), data, 0o644); err != nil {
		log.Fatal(err)
	}
	return logdir
}

// Verify a logdir with a damaged record: the report names the file, the
// offset and the kind of damage, and the read goes on past it.
func ExampleSource_Verify() {
	logdir := damageLogdir()
	defer os.RemoveAll(logdir)
	src, err := history.Open(logdir)
	if err != nil {
		log.Fatal(err)
	}
	defer src.Close()

	rep, err := src.Verify(context.Background(), nil)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%d records, %d values, intact: %v\n", rep.Records, rep.Values, rep.OK)
	for _, f := range rep.Files {
		for _, d := range f.Damage {
			fmt.Printf("%s at offset %d: %d bytes skipped\n", d.Kind, d.Offset, d.Bytes)
		}
	}
	// Output:
	// 5 records, 4 values, intact: false
	// data crc at offset 174: 64 bytes skipped
}

// Inspect a logdir: its runs, their tags by plugin and their steps.
func ExampleSource_Inspect() {
	src, done := exampleSource()
	defer done()

	rep, err := src.Inspect(context.Background())
	if err != nil {
		log.Fatal(err)
	}
	for _, run := range rep.Runs {
		fmt.Printf("run %s: %d file(s), %.0f s\n", run.Name, len(run.Files), run.LastWallTime-run.FirstWallTime)
		for _, p := range run.Plugins {
			for _, t := range p.Tags {
				fmt.Printf("  %s %s: %d values, steps %d..%d, %d out of order\n", p.Name, t.Tag, t.Count, t.MinStep, t.MaxStep, t.OutOfOrder)
			}
		}
	}
	// Output:
	// run eval: 1 file(s), 2 s
	//   scalars accuracy: 2 values, steps 0..4, 0 out of order
	// run train: 2 file(s), 8 s
	//   scalars loss: 7 values, steps 0..4, 1 out of order
}

// Repair a damaged logdir into a new one, which then verifies.
func ExampleSource_Repair() {
	logdir := damageLogdir()
	defer os.RemoveAll(logdir)
	src, err := history.Open(logdir)
	if err != nil {
		log.Fatal(err)
	}
	defer src.Close()

	dst := logdir + "-repaired"
	defer os.RemoveAll(dst)
	rep, err := src.Repair(dst)
	if err != nil {
		log.Fatal(err)
	}
	for _, f := range rep.Files {
		fmt.Printf("%s: kept %d records, dropped %d\n", path.Dir(f.Path), f.Records, len(f.Dropped))
	}

	repaired, err := history.Open(dst)
	if err != nil {
		log.Fatal(err)
	}
	defer repaired.Close()
	check, err := repaired.Verify(context.Background(), &history.VerifyOptions{Strict: true})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("the repaired logdir is intact:", check.OK)
	// Output:
	// train: kept 5 records, dropped 1
	// the repaired logdir is intact: true
}

// Follow a logdir, printing each scalar as it is written, until the
// context ends.
func ExampleFollow() {
	logdir, err := os.MkdirTemp("", "history-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(logdir)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	started := make(chan struct{})
	opts := &history.FollowOptions{
		Poll:      10 * time.Millisecond,
		Following: func(run, file string) { close(started) },
	}
	go func() {
		// A writer appends to the logdir as it is followed.
		w, err := summary.NewWriter(filepath.Join(logdir, "train"), &summary.Options{FlushInterval: -1})
		if err != nil {
			log.Fatal(err)
		}
		defer w.Close()
		w.Flush()
		<-started
		for step := range int64(3) {
			w.Scalar("loss", step, 1/float64(step+1))
			w.Flush()
		}
	}()
	n := 0
	err = history.Follow(ctx, logdir, opts, func(s *history.Scalar) error {
		fmt.Printf("%s %s step %d: %.3f\n", s.Run, s.Tag, s.Step, s.Value)
		if n++; n == 3 {
			cancel()
		}
		return nil
	})
	if err != nil && !errors.Is(err, context.Canceled) {
		log.Fatal(err)
	}
	// Output:
	// train loss step 0: 1.000
	// train loss step 1: 0.500
	// train loss step 2: 0.333
}
