// Dataserver_upload copies a logdir on disk to a bucket as tbgo's writers
// store it: every event file of every run goes through a storage.Sink at
// the default policy, so it becomes segments of at most 8 MiB. It is how
// bench/dataserver.sh puts its generated logdir on the S3 server.
//
// Usage:
//
//	dataserver_upload -url URL [-parallel 4] LOGDIR
//
// It prints a JSON summary: files, segments, bytes and seconds.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/tbgo/tbgo/storage"
	_ "github.com/tbgo/tbgo/storage/cloud"
	"github.com/tbgo/tbgo/tfevents"
)

func main() {
	url := flag.String("url", "", "where to upload the logdir (s3://bucket/prefix?...)")
	parallel := flag.Int("parallel", 4, "runs uploaded at once")
	flag.Parse()
	if *url == "" || flag.NArg() != 1 || *parallel < 1 {
		fmt.Fprintln(os.Stderr, "usage: dataserver_upload -url URL [-parallel N] LOGDIR")
		os.Exit(2)
	}
	start := time.Now()
	sum, err := upload(context.Background(), flag.Arg(0), *url, *parallel)
	if err != nil {
		fmt.Fprintf(os.Stderr, "dataserver_upload: %v\n", err)
		os.Exit(1)
	}
	sum.Seconds = time.Since(start).Seconds()
	json.NewEncoder(os.Stdout).Encode(sum)
}

// summary is what upload did.
type summary struct {
	Files    int     `json:"files"`
	Segments int     `json:"segments"`
	Bytes    int64   `json:"bytes"`
	Seconds  float64 `json:"seconds"`
}

// upload copies every event file of logdir to the logdir at location,
// runs in parallel, each run's files in order.
func upload(ctx context.Context, logdir, location string, parallel int) (summary, error) {
	runs, err := tfevents.DiscoverRuns(logdir)
	if err != nil {
		return summary{}, err
	}
	st, err := storage.Open(ctx, location)
	if err != nil {
		return summary{}, err
	}
	defer st.Close()
	var (
		mu    sync.Mutex
		sum   summary
		first error
	)
	work := make(chan tfevents.Run)
	var wg sync.WaitGroup
	for range parallel {
		wg.Go(func() {
			for run := range work {
				for _, f := range run.Files {
					stats, err := copyFile(ctx, st, run.Name, f)
					mu.Lock()
					if err != nil && first == nil {
						first = err
					}
					sum.Files++
					sum.Segments += stats.Objects
					sum.Bytes += stats.Bytes
					mu.Unlock()
				}
			}
		})
	}
	for _, run := range runs {
		work <- run
	}
	close(work)
	wg.Wait()
	return sum, first
}

// copyFile uploads the event file path as segments of the run.
func copyFile(ctx context.Context, st *storage.Store, run, path string) (storage.SinkStats, error) {
	f, err := os.Open(path)
	if err != nil {
		return storage.SinkStats{}, err
	}
	defer f.Close()
	sink, err := storage.NewSink(ctx, st.Bucket(), st.Key(filepath.ToSlash(run)), &storage.SinkOptions{AllowShared: true})
	if err != nil {
		return storage.SinkStats{}, err
	}
	if _, err := io.Copy(sink, f); err != nil {
		sink.Close()
		return sink.Stats(), fmt.Errorf("%s: %w", path, err)
	}
	err = sink.Close()
	return sink.Stats(), err
}
