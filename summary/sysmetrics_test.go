package summary

import (
	"io"
	"runtime"
	"testing"
	"time"

	"github.com/tbgo/tbgo/tfevents"
)

// TestSystemMetrics runs the sampler and checks every tag is logged with
// consecutive steps and plausible values, and that Close stops it: no
// goroutine is left and nothing is written after Close.
func TestSystemMetrics(t *testing.T) {
	before := runtime.NumGoroutine()
	dir := t.TempDir()
	w, err := NewWriter(dir, &Options{SystemMetrics: 5 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	// Wait for a few samples; the deadline is generous, nothing is timed.
	deadline := time.Now().Add(10 * time.Second)
	for {
		if n := w.sampler.step.Load(); n >= 3 || time.Now().After(deadline) {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if after := runtime.NumGoroutine(); after > before {
		t.Errorf("%d goroutines after Close, %d before: the sampler still runs", after, before)
	}

	r, err := tfevents.Open(w.FileName(), 0)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var dec Decoder
	steps := map[string][]int64{}
	last := map[string]float64{}
	for {
		rec, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		vals, err := dec.Record(nil, rec)
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range vals {
			steps[v.Tag] = append(steps[v.Tag], v.Step)
			last[v.Tag] = v.Scalar
		}
	}
	tags := []string{TagHeapBytes, TagRSSBytes, TagGoroutines, TagGCCycles, TagGCPauseSeconds}
	if runtime.GOOS != "windows" && runtime.GOOS != "plan9" {
		tags = append(tags, TagCPUSeconds, TagCPUPercent)
	}
	for _, tag := range tags {
		s := steps[tag]
		if len(s) < 3 {
			t.Errorf("%s: %d samples, want at least 3", tag, len(s))
			continue
		}
		for i, step := range s {
			if step != int64(i) {
				t.Errorf("%s: sample %d has step %d", tag, i, step)
				break
			}
		}
	}
	if last[TagRSSBytes] < 1<<20 || last[TagHeapBytes] <= 0 || last[TagGoroutines] < 1 {
		t.Errorf("implausible samples: %v", last)
	}
	if len(steps) != len(tags) {
		t.Errorf("tags %v, want %v", steps, tags)
	}
}
