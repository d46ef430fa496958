package runinfo_test

import (
	"fmt"
	"log"
	"os"
	"time"

	"github.com/tbgo/tbgo/summary"
	"github.com/tbgo/tbgo/summary/runinfo"
	"github.com/tbgo/tbgo/tfevents"
)

// A run's information, written with its session start, shows as a table in
// the Text dashboard and as hyper-parameters in the HParams dashboard.
func ExampleRunInfo() {
	info := &runinfo.RunInfo{
		Command:   []string{"train", "-lr", "0.01"},
		GoVersion: "go1.26.0",
		Main:      runinfo.Module{Path: "example.com/train", Version: "v1.0.0"},
		VCS:       "git",
		Revision:  "4f2a9c1",
		Modified:  true,
		Host:      "gpu-7",
		Start:     time.Date(2026, 7, 1, 12, 0, 0, 0, time.UTC),
		Config:    map[string]any{"lr": 0.01, "data": map[string]any{"shuffle": true}},
	}
	hparams, err := info.HParams()
	if err != nil {
		log.Fatal(err)
	}
	for _, k := range []string{"lr", "data.shuffle", runinfo.RevisionKey, runinfo.ModifiedKey, runinfo.GoVersionKey} {
		fmt.Printf("%s = %v\n", k, hparams[k])
	}
	fmt.Print(info.Markdown())

	// In a program: collect, then pass to StartSession with the
	// hyper-parameters (or call Write when there are none).
	//
	//	info, err := runinfo.Collect(config)
	//	err = w.StartSession(hparams, &summary.SessionOptions{RunInfo: info})

	// Output:
	// lr = 0.01
	// data.shuffle = true
	// run/revision = 4f2a9c1
	// run/modified = true
	// run/go_version = go1.26.0
	// | run | |
	// |:--|:--|
	// | command | `train -lr 0.01` |
	// | Go version | go1.26.0 |
	// | module | example.com/train v1.0.0 |
	// | git revision | `4f2a9c1` (modified) |
	// | host | gpu-7 |
	// | start | 2026-07-01T12:00:00Z |
	//
	// | config | value |
	// |:--|:--|
	// | data.shuffle | true |
	// | lr | 0.01 |
}

// A sampler logs the process's CPU, memory, goroutines and GC while the
// Writer is open; the Writer's Close stops it first.
func ExampleStartSampler() {
	run, err := os.MkdirTemp("", "tbgo-sys")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(run)

	w, err := summary.NewWriter(run, nil)
	if err != nil {
		log.Fatal(err)
	}
	runinfo.StartSampler(w, 10*time.Second)
	// ... train ...
	if err := w.Close(); err != nil {
		log.Fatal(err)
	}

	evs, err := tfevents.ReadEventFile(w.FileName())
	if err != nil {
		log.Fatal(err)
	}
	var dec summary.Decoder
	for _, ev := range evs {
		vals, _ := dec.Event(nil, ev)
		for _, v := range vals {
			if v.Tag == runinfo.TagGoroutines {
				fmt.Println(v.Tag, "logged at step", v.Step)
			}
		}
	}
	// Output:
	// sys/goroutines logged at step 0
}

// A training program closes its Writer on Ctrl-C or SIGTERM, so that its
// event file is complete, and records how the run was made.
func ExampleCloseOnSignal() {
	w, err := summary.NewWriter("", nil) // runs/<date>_<time>_<host>
	if err != nil {
		log.Fatal(err)
	}
	defer w.Close()
	defer runinfo.CloseOnSignal(w)() // on a normal return: disarmed, then w.Close

	if err := runinfo.Write(w, map[string]any{"lr": 0.01, "batch": 64}); err != nil {
		log.Fatal(err)
	}
	runinfo.StartSampler(w, 0) // stopped by w.Close
	// ... train, logging with w ...
}
