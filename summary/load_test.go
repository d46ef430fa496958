package summary_test

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/tbgo/tbgo/summary"
	"github.com/tbgo/tbgo/tfevents"
)

// TestLoad has 64 goroutines share one Writer and 16 more Writers write
// runs of their own, all at once, TBGO_LOAD_SCALARS scalars in total
// (default 1e7; -short: 1e6). Every goroutine writes its own tag with
// steps 0, 1, 2, ...; read back, every value must be there exactly once and
// in each goroutine's order.
func TestLoad(t *testing.T) {
	total := 10_000_000
	if testing.Short() {
		total = 1_000_000
	}
	if s := os.Getenv("TBGO_LOAD_SCALARS"); s != "" {
		var err error
		if total, err = strconv.Atoi(s); err != nil {
			t.Fatalf("TBGO_LOAD_SCALARS=%q: %v", s, err)
		}
	}
	const shared, separate = 64, 16
	per := total / (shared + separate)
	logdir := t.TempDir()
	start := time.Now()

	var wg sync.WaitGroup
	errs := make(chan error, shared+separate)
	write := func(w *summary.Writer, tag string) {
		defer wg.Done()
		for i := range per {
			if err := w.Scalar(tag, int64(i), float64(i)); err != nil {
				errs <- fmt.Errorf("%s step %d: %w", tag, i, err)
				return
			}
		}
	}
	sharedW, err := summary.NewWriter(filepath.Join(logdir, "shared"), nil)
	if err != nil {
		t.Fatal(err)
	}
	for g := range shared {
		wg.Add(1)
		go write(sharedW, fmt.Sprintf("g%02d", g))
	}
	var own []*summary.Writer
	for r := range separate {
		w, err := summary.NewWriter(filepath.Join(logdir, fmt.Sprintf("run%02d", r)), nil)
		if err != nil {
			t.Fatal(err)
		}
		own = append(own, w)
		wg.Add(1)
		go write(w, "x")
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	for _, w := range append(own, sharedW) {
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
	}
	elapsed := time.Since(start)

	runs, err := tfevents.DiscoverRuns(logdir)
	if err != nil {
		t.Fatal(err)
	}
	read := 0
	for _, run := range runs {
		next := map[string]int64{}
		var dec summary.Decoder
		for _, f := range run.Files {
			torn := scanScalars(t, &dec, f, func(p summary.ScalarPoint) {
				if p.Step != next[p.Tag] || p.Value != float64(p.Step) {
					t.Fatalf("run %s tag %s: step %d value %v after step %d", run.Name, p.Tag, p.Step, p.Value, next[p.Tag]-1)
				}
				next[p.Tag]++
				read++
			})
			if torn {
				t.Fatalf("%s ends in a torn record, though its Writer was closed", f)
			}
		}
		for tag, n := range next {
			if n != int64(per) {
				t.Errorf("run %s tag %s: %d values, want %d", run.Name, tag, n, per)
			}
		}
	}
	if want := per * (shared + separate); read != want {
		t.Errorf("read %d scalars, wrote %d", read, want)
	}
	t.Logf("%d goroutines, %d writers: %d scalars written in %v and read back, each exactly once and in order",
		shared+separate, separate+1, read, elapsed.Round(time.Millisecond))
}

// slowFile is a disk that takes a millisecond per write.
type slowFile struct{ io.Writer }

func (s slowFile) Write(p []byte) (int, error) {
	time.Sleep(time.Millisecond)
	return s.Writer.Write(p)
}

// TestBackPressure has 64 goroutines write as fast as they can into a
// Writer whose disk is far slower: memory must stay flat, because writes
// block on the Writer's buffer instead of queueing (the back-pressure
// policy: block, never drop, never grow).
func TestBackPressure(t *testing.T) {
	f, err := os.Create(filepath.Join(t.TempDir(), "events.out.tfevents.slow"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	w := tfevents.NewWriter(slowFile{f})
	var before runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	var peak uint64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	rec := make([]byte, 60)
	for range 64 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				if err := w.WriteRecord(rec); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	for range 20 {
		time.Sleep(50 * time.Millisecond)
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		peak = max(peak, m.HeapAlloc)
	}
	close(stop)
	wg.Wait()
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if grew := int64(peak) - int64(before.HeapAlloc); grew > 8<<20 {
		t.Errorf("heap grew by %d bytes while producers outran the disk", grew)
	}
	info, _ := f.Stat()
	t.Logf("wrote %d bytes to a 1 ms-per-write disk; heap peak %d bytes above the start", info.Size(), int64(peak)-int64(before.HeapAlloc))
}
