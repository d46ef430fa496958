// Soak writes scalars at full speed for a long time while a reader follows
// the growing event file, and samples memory, to show that neither side's
// memory grows and that nothing written is lost. It is the program behind
// bench/soak.sh; docs/RELIABILITY.md records a 10-minute run.
//
//	soak [-duration 10m] [-dir DIR] [-rotate 1073741824] [-every 10s]
//
// The writer rotates to a new event file every -rotate bytes, so the disk
// holds at most two files; the follower reads each file to its end with a
// tfevents.Scanner in Follow mode, checks every scalar (tag "s<k>", steps 0, 1, 2,
// ... per tag, value = step as float32), then deletes it. Every -every it prints one
// JSON line: elapsed time, scalars written and read, resident and heap
// memory. The last line is the total; "lost" must be 0.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/tbgo/tbgo/summary"
	"github.com/tbgo/tbgo/tfevents"
)

func main() {
	duration := flag.Duration("duration", 10*time.Minute, "how long to write")
	dir := flag.String("dir", "", "run directory (default: a temporary one, removed at the end)")
	rotate := flag.Int64("rotate", 1<<30, "start a new event file after this many bytes")
	every := flag.Duration("every", 10*time.Second, "sampling interval")
	flag.Parse()
	if err := run(*duration, *dir, *rotate, *every); err != nil {
		fmt.Fprintln(os.Stderr, "soak:", err)
		os.Exit(1)
	}
}

type sample struct {
	Elapsed  float64 `json:"elapsed_s"`
	Written  int64   `json:"written"`
	Read     int64   `json:"read"`
	RSS      int64   `json:"rss_bytes"`
	Heap     uint64  `json:"heap_inuse_bytes"`
	Files    int64   `json:"files"`
	Lost     *int64  `json:"lost,omitempty"`
	MaxRSS   int64   `json:"max_rss_bytes,omitempty"`
	MinRSS   int64   `json:"min_rss_bytes,omitempty"`
	WriteMps float64 `json:"written_per_s,omitempty"`
}

const tags = 8

func run(duration time.Duration, dir string, rotate int64, every time.Duration) error {
	if dir == "" {
		tmp, err := os.MkdirTemp("", "tbgo-soak-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		dir = tmp
	}
	var written, read, files atomic.Int64
	done := make(chan string, 16) // closed files, in order, for the follower
	opened := make(chan string, 16)
	writeErr := make(chan error, 1)
	ctx, cancel := context.WithTimeout(context.Background(), duration)
	defer cancel()

	go func() { writeErr <- write(ctx, dir, rotate, &written, &files, opened, done) }()
	readErr := make(chan error, 1)
	go func() { readErr <- follow(opened, done, &read) }()

	enc := json.NewEncoder(os.Stdout)
	start := time.Now()
	tick := time.NewTicker(every)
	defer tick.Stop()
	var minRSS, maxRSS int64
	snap := func() sample {
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		rss := residentBytes()
		if minRSS == 0 || rss < minRSS {
			minRSS = rss
		}
		maxRSS = max(maxRSS, rss)
		return sample{Elapsed: time.Since(start).Seconds(), Written: written.Load(), Read: read.Load(), RSS: rss, Heap: m.HeapInuse, Files: files.Load()}
	}
	// Wait for the writer to finish; a follower that fails first ends the
	// soak at once.
	for wait := true; wait; {
		select {
		case <-tick.C:
			enc.Encode(snap())
		case err := <-writeErr:
			if err != nil {
				return err
			}
			wait = false
		case err := <-readErr:
			cancel()
			if err != nil {
				return fmt.Errorf("follower: %w", err)
			}
			return errors.New("follower stopped before the writer")
		}
	}
	if err := <-readErr; err != nil {
		return fmt.Errorf("follower: %w", err)
	}
	last := snap()
	lost := last.Written - last.Read
	last.Lost, last.MinRSS, last.MaxRSS = &lost, minRSS, maxRSS
	last.WriteMps = float64(last.Written) / last.Elapsed
	enc.Encode(last)
	if lost != 0 {
		return fmt.Errorf("%d scalars written but not read back", lost)
	}
	return nil
}

// write writes scalars until ctx ends, rotating files, announcing each new
// file on opened and each finished one on done.
func write(ctx context.Context, dir string, rotate int64, written, files *atomic.Int64, opened, done chan<- string) error {
	defer close(opened)
	defer close(done)
	names := make([]string, tags)
	for k := range names {
		names[k] = "s" + strconv.Itoa(k)
	}
	var step int64
	for ctx.Err() == nil {
		w, err := summary.NewWriter(dir, nil)
		if err != nil {
			return err
		}
		files.Add(1)
		opened <- w.FileName()
		var size int64
		for size < rotate && ctx.Err() == nil {
			for range 1 << 14 {
				for _, tag := range names {
					if err := w.Scalar(tag, step, float64(step)); err != nil {
						return err
					}
				}
				step++
			}
			written.Add(tags << 14)
			size += int64(tags<<14) * 40 // a close lower bound of the bytes per scalar
			if info, err := os.Stat(w.FileName()); err == nil {
				size = max(size, info.Size())
			}
		}
		if err := w.Close(); err != nil {
			return err
		}
		done <- w.FileName()
	}
	return nil
}

// follow reads every file as it grows, checks each scalar, and deletes
// files once the writer has finished them and they are read to the end.
func follow(opened, done <-chan string, read *atomic.Int64) error {
	next := map[string]int64{}
	for name := range opened {
		if err := followFile(name, done, next, read); err != nil {
			return err
		}
		os.Remove(name)
	}
	return nil
}

// followFile reads the event file name as it grows, until the writer has
// finished it (its name arrives on done) and it is read to its end,
// checking each scalar against next, the step due for its tag.
func followFile(name string, done <-chan string, next map[string]int64, read *atomic.Int64) error {
	f, err := os.Open(name)
	if err != nil {
		return err
	}
	defer f.Close()
	s := tfevents.NewScanner(f)
	s.Name, s.Follow = name, true
	// The writer closes each file whole: any damage, a torn tail once the
	// file is finished included, is a failure.
	s.Strict = true
	s.Damaged = func(d *tfevents.Damage) error { return d }
	var dec summary.Decoder
	var points []summary.ScalarPoint
	for {
		if !s.Scan() {
			if err := s.Err(); err != nil || !s.Follow {
				return err // nil: the finished file is read to its end
			}
			select {
			case d, ok := <-done:
				if ok && d != name {
					return fmt.Errorf("files finished out of order: %s, reading %s", d, name)
				}
				// Read on to the real end, where what is left is
				// damage, not a record still being written.
				s.Follow = false
			case <-time.After(10 * time.Millisecond):
			}
			continue
		}
		if points, err = dec.AppendScalars(points[:0], s.Record()); err != nil {
			return err
		}
		for _, p := range points {
			if !strings.HasPrefix(p.Tag, "s") || p.Step != next[p.Tag] || p.Value != float64(float32(p.Step)) {
				return fmt.Errorf("%s: tag %s step %d value %v, want step %d", filepath.Base(name), p.Tag, p.Step, p.Value, next[p.Tag])
			}
			next[p.Tag]++
			read.Add(1)
		}
	}
}

// residentBytes reads the resident set size from /proc/self/statm, or
// returns 0 where there is none.
func residentBytes() int64 {
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b))
	if len(f) < 2 {
		return 0
	}
	pages, _ := strconv.ParseInt(f[1], 10, 64)
	return pages * int64(os.Getpagesize())
}
