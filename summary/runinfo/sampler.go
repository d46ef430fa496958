package runinfo

import (
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tbgo/tbgo/summary"
)

// DefaultSampleInterval is the interval of a Sampler started with none.
const DefaultSampleInterval = 10 * time.Second

// The scalar tags of a Sampler. Each is logged once per sample; the step
// is the sample's number, counted from 0 at StartSampler, so TensorBoard's
// "relative" x axis shows time.
const (
	// TagCPUPercent is the process's CPU time over the last interval as a
	// percentage of wall time; above 100 when it used several cores.
	TagCPUPercent = "sys/cpu_percent"
	// TagCPUSeconds is the process's total CPU time, user and system.
	TagCPUSeconds = "sys/cpu_seconds"
	// TagRSSBytes is the resident set size: on Linux the current size from
	// /proc/self/statm, elsewhere the memory the Go runtime has mapped.
	TagRSSBytes = "sys/rss_bytes"
	// TagHeapBytes is the memory held by live and unswept heap objects.
	TagHeapBytes = "sys/heap_bytes"
	// TagGoroutines is the number of goroutines.
	TagGoroutines = "sys/goroutines"
	// TagGCCycles is the number of completed garbage collections.
	TagGCCycles = "sys/gc_cycles"
	// TagGCPauseSeconds is the stop-the-world GC pause time over the last
	// interval.
	TagGCPauseSeconds = "sys/gc_pause_seconds"
)

// A Sampler logs the process's system metrics through a Writer at a fixed
// interval, from one goroutine that its Close, or the Writer's, ends.
type Sampler struct {
	w        *summary.Writer
	done     chan struct{}
	finished chan struct{}
	stopOnce sync.Once

	step      atomic.Int64 // the next sample's number
	lastWall  time.Time
	lastCPU   float64
	lastPause time.Duration
	gc        debug.GCStats
	heap      []metrics.Sample
}

// StartSampler logs a first sample of the process's CPU, memory,
// goroutines and GC to w now, and another every interval (zero or less
// means DefaultSampleInterval) until the Sampler or w is closed, whichever
// comes first: w's Close stops the Sampler before it flushes, so the last
// sample is in the file. The tags are TagCPUPercent and the other Tag
// constants. Errors of the writes are w's: its Err and Options.OnError
// report them.
func StartSampler(w *summary.Writer, interval time.Duration) *Sampler {
	if interval <= 0 {
		interval = DefaultSampleInterval
	}
	s := &Sampler{
		w:        w,
		done:     make(chan struct{}),
		finished: make(chan struct{}),
		heap: []metrics.Sample{
			{Name: "/memory/classes/heap/objects:bytes"},
			{Name: "/memory/classes/total:bytes"},
		},
	}
	s.lastWall = time.Now()
	s.lastCPU, _ = processCPUSeconds()
	debug.ReadGCStats(&s.gc)
	s.lastPause = s.gc.PauseTotal
	s.sample()
	go s.run(interval)
	w.BeforeClose(func() { s.Close() })
	return s
}

func (s *Sampler) run(interval time.Duration) {
	defer close(s.finished)
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-s.done:
			return
		case <-t.C:
			s.sample()
		}
	}
}

// Close stops the Sampler and waits for its goroutine to end. It is safe
// to call more than once, and always returns nil.
func (s *Sampler) Close() error {
	s.stopOnce.Do(func() { close(s.done) })
	<-s.finished
	return nil
}

// Samples returns the number of samples logged so far.
func (s *Sampler) Samples() int64 { return s.step.Load() }

// sample logs one sample. Write errors are the Writer's to report.
func (s *Sampler) sample() {
	now := time.Now()
	metrics.Read(s.heap)
	debug.ReadGCStats(&s.gc)
	rss, ok := residentBytes()
	if !ok {
		rss = float64(s.heap[1].Value.Uint64())
	}
	type metric struct {
		tag   string
		value float64
	}
	values := []metric{
		{TagHeapBytes, float64(s.heap[0].Value.Uint64())},
		{TagRSSBytes, rss},
		{TagGoroutines, float64(runtime.NumGoroutine())},
		{TagGCCycles, float64(s.gc.NumGC)},
		{TagGCPauseSeconds, (s.gc.PauseTotal - s.lastPause).Seconds()},
	}
	s.lastPause = s.gc.PauseTotal
	if cpu, ok := processCPUSeconds(); ok {
		percent := 0.0
		if dt := now.Sub(s.lastWall).Seconds(); dt > 0 && s.step.Load() > 0 {
			percent = 100 * (cpu - s.lastCPU) / dt
		}
		s.lastCPU = cpu
		values = append(values, metric{TagCPUSeconds, cpu}, metric{TagCPUPercent, percent})
	}
	s.lastWall = now
	step := s.step.Load()
	for _, m := range values {
		s.w.Scalar(m.tag, step, m.value)
	}
	s.step.Add(1)
}
