package runinfo_test

import (
	"runtime"
	"testing"
	"time"

	"github.com/tbgo/tbgo/summary"
	"github.com/tbgo/tbgo/summary/runinfo"
)

// TestSampler runs the sampler and checks every tag is logged with
// consecutive steps and plausible values, and that the Writer's Close
// stops it: no goroutine is left and nothing is written after Close.
func TestSampler(t *testing.T) {
	before := runtime.NumGoroutine()
	dir := t.TempDir()
	w, err := summary.NewWriter(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	s := runinfo.StartSampler(w, 5*time.Millisecond)
	// Wait for a few samples; the deadline is generous, nothing is timed.
	deadline := time.Now().Add(10 * time.Second)
	for {
		if n := s.Samples(); n >= 3 || time.Now().After(deadline) {
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

	steps := map[string][]int64{}
	last := map[string]float64{}
	for _, v := range runinfo.ReadValues(t, w.FileName()) {
		steps[v.Tag] = append(steps[v.Tag], v.Step)
		last[v.Tag] = v.Scalar
	}
	tags := []string{runinfo.TagHeapBytes, runinfo.TagRSSBytes, runinfo.TagGoroutines, runinfo.TagGCCycles, runinfo.TagGCPauseSeconds}
	if runtime.GOOS != "windows" && runtime.GOOS != "plan9" {
		tags = append(tags, runinfo.TagCPUSeconds, runinfo.TagCPUPercent)
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
	if last[runinfo.TagRSSBytes] < 1<<20 || last[runinfo.TagHeapBytes] <= 0 || last[runinfo.TagGoroutines] < 1 {
		t.Errorf("implausible samples: %v", last)
	}
	if len(steps) != len(tags) {
		t.Errorf("tags %v, want %v", steps, tags)
	}
}

// TestSamplerClose stops a sampler by its own Close, twice, while the
// Writer goes on: no more samples are logged, and a sampler started on a
// closed Writer stops at once.
func TestSamplerClose(t *testing.T) {
	w, err := summary.NewWriter(t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	s := runinfo.StartSampler(w, time.Millisecond)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	n := s.Samples()
	time.Sleep(20 * time.Millisecond)
	if s.Close() != nil || s.Samples() != n {
		t.Errorf("%d samples after Close, then %d", n, s.Samples())
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	late := runinfo.StartSampler(w, time.Millisecond)
	done := make(chan struct{})
	go func() { late.Close(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("a sampler started on a closed Writer did not stop")
	}
}
