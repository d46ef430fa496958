package storage_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/tbgo/tbgo/internal/s3test"
	"github.com/tbgo/tbgo/internal/testenv"
	"github.com/tbgo/tbgo/proto/tbpb"
	"github.com/tbgo/tbgo/storage"
	"github.com/tbgo/tbgo/tfevents"
)

// fixedClock makes segment names deterministic.
func fixedClock() time.Time { return time.Unix(1_700_000_000, 0) }

// scalarEvent returns the event of scalar "x" = step at step.
func scalarEvent(step int64) *tbpb.Event {
	return &tbpb.Event{
		WallTime: float64(1_700_000_000 + step),
		Step:     step,
		What: &tbpb.Event_Summary{Summary: &tbpb.Summary{Value: []*tbpb.Summary_Value{
			{Tag: "x", Value: &tbpb.Summary_Value_SimpleValue{SimpleValue: float32(step)}},
		}}},
	}
}

// eventWriter returns the event writer of sink, as a summary writer on a
// bucket makes it: its Flush and Close Sync the sink. It writes and
// uploads the file_version event at once.
func eventWriter(t testing.TB, sink *storage.Sink) *tfevents.Writer {
	t.Helper()
	w, err := tfevents.NewEventWriter(sink, &tfevents.FileOptions{Fsync: true})
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// segment is one object of a run as read back.
type segment struct {
	name   string
	size   int
	events []*tbpb.Event
}

// readRun reads every event file of run in fsys in name order, checking
// that each is whole (no damage, no torn tail) and begins with a
// file_version event.
func readRun(t *testing.T, fsys fs.FS, run string) []segment {
	t.Helper()
	entries, err := fs.ReadDir(fsys, run)
	if err != nil {
		t.Fatal(err)
	}
	var segs []segment
	for _, e := range entries {
		if !tfevents.IsEventFile(e.Name()) {
			continue
		}
		data, err := fs.ReadFile(fsys, path.Join(run, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		sc := tfevents.NewScanner(bytes.NewReader(data))
		sc.Name = e.Name()
		sc.Strict = true
		seg := segment{name: e.Name(), size: len(data)}
		for sc.Scan() {
			ev := new(tbpb.Event)
			if err := proto.Unmarshal(sc.Record(), ev); err != nil {
				t.Fatalf("%s: %v", e.Name(), err)
			}
			seg.events = append(seg.events, ev)
		}
		if err := sc.Err(); err != nil || sc.Damages() > 0 {
			t.Fatalf("%s: %v (%d damaged stretches)", e.Name(), err, sc.Damages())
		}
		if len(seg.events) == 0 || seg.events[0].GetFileVersion() == "" {
			t.Errorf("%s does not begin with a file_version event", e.Name())
		}
		segs = append(segs, seg)
	}
	return segs
}

// steps returns the steps of the scalar events of segs, in order.
func steps(segs []segment) []int64 {
	var s []int64
	for _, seg := range segs {
		for _, ev := range seg.events {
			if ev.GetSummary() != nil {
				s = append(s, ev.Step)
			}
		}
	}
	return s
}

func mustMarshal(ev *tbpb.Event) []byte {
	data, err := proto.Marshal(ev)
	if err != nil {
		panic(err)
	}
	return data
}

func seq(n int) []int64 {
	s := make([]int64, n)
	for i := range s {
		s[i] = int64(i)
	}
	return s
}

func newSink(t *testing.T, b storage.Bucket, dir string, o storage.SinkOptions) *storage.Sink {
	t.Helper()
	if o.Now == nil {
		o.Now = fixedClock
	}
	if o.Hostname == "" {
		o.Hostname = "host"
	}
	s, err := storage.NewSink(context.Background(), b, dir, &o)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestSinkRoundTrip(t *testing.T) { onEachBackend(t, testSinkRoundTrip) }

func TestSinkRoundTripS3(t *testing.T) {
	srv := s3test.Start(t)
	testSinkRoundTrip(t, open(t, srv.URL("tbgo", "logs")))
}

// testSinkRoundTrip writes 1000 scalars through a tfevents.Writer into a
// Sink, flushing every 100, and reads the run back: one segment per Flush,
// names in write order, every value once.
func testSinkRoundTrip(t *testing.T, st *storage.Store) {
	sink := newSink(t, st.Bucket(), st.Key("run"), storage.SinkOptions{MaxAge: time.Hour})
	w := eventWriter(t, sink)
	for i := range 1000 {
		if err := w.WriteEvent(scalarEvent(int64(i))); err != nil {
			t.Fatal(err)
		}
		if (i+1)%100 == 0 {
			if err := w.Flush(); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := sink.Close(); err != nil {
		t.Fatal(err)
	}
	segs := readRun(t, st.FS(), "run")
	if len(segs) != 11 {
		t.Errorf("%d segments, want 11 (the first event, then one per Flush)", len(segs))
	}
	names := make([]string, len(segs))
	for i, s := range segs {
		names[i] = s.name
		want := fmt.Sprintf("events.out.tfevents.1700000000.host.%d.%08d", pidOf(t, sink), i)
		if s.name != want {
			t.Errorf("segment %d is %s, want %s", i, s.name, want)
		}
	}
	if !slices.IsSorted(names) {
		t.Errorf("names do not sort in write order: %v", names)
	}
	if got := steps(segs); !slices.Equal(got, seq(1000)) {
		t.Errorf("read back %d steps, want 0..999 once each: %v", len(got), got)
	}
	stats := sink.Stats()
	if stats.Objects != 11 || stats.Requests != 11 {
		t.Errorf("stats %+v, want 11 objects in 11 requests", stats)
	}
}

// pidOf returns the pid field of the sink's names.
func pidOf(t *testing.T, s *storage.Sink) int {
	var pid int
	if _, err := fmt.Sscanf(strings.Split(path.Base(s.Name()), ".")[5], "%d", &pid); err != nil {
		t.Fatal(err)
	}
	return pid
}

// TestSinkSplitWrites feeds the stream one byte per Write, syncing after
// every byte: segments are still made of whole records only.
func TestSinkSplitWrites(t *testing.T) {
	st := open(t, testenv.MemBucket(t))
	var stream []byte
	for i := range 5 {
		data, _ := proto.Marshal(scalarEvent(int64(i)))
		stream = tfevents.AppendRecord(stream, data)
	}
	sink := newSink(t, st.Bucket(), st.Key("run"), storage.SinkOptions{MaxAge: time.Hour})
	for i := range stream {
		if _, err := sink.Write(stream[i : i+1]); err != nil {
			t.Fatal(err)
		}
		if err := sink.Sync(); err != nil {
			t.Fatal(err)
		}
	}
	if err := sink.Close(); err != nil {
		t.Fatal(err)
	}
	segs := readRun(t, st.FS(), "run")
	if len(segs) != 5 {
		t.Errorf("%d segments, want 5: a Sync mid-record uploads nothing", len(segs))
	}
	if got := steps(segs); !slices.Equal(got, seq(5)) {
		t.Errorf("steps %v", got)
	}
	// The stream had no file_version record: the Sink heads every
	// segment with its own.
	for _, s := range segs {
		if len(s.events) != 2 {
			t.Errorf("%s: %d events, want the header and one scalar", s.name, len(s.events))
		}
	}
}

// TestSinkMaxAge checks that records reach the bucket without a Sync, at
// most MaxAge after they were written.
func TestSinkMaxAge(t *testing.T) {
	st := open(t, testenv.MemBucket(t))
	sink := newSink(t, st.Bucket(), st.Key("run"), storage.SinkOptions{MaxAge: 50 * time.Millisecond})
	defer sink.Close()
	w := eventWriter(t, sink)
	w.WriteEvent(scalarEvent(0))
	start := time.Now()
	if err := w.Flush(); err != nil { // Sync: uploads at once
		t.Fatal(err)
	}
	// Step 1 stays in the Writer's buffer; step 2 reaches the Sink
	// without a Sync, as a summary writer's timed flush hands it over.
	w.WriteEvent(scalarEvent(1))
	data, _ := proto.Marshal(scalarEvent(2))
	if _, err := sink.Write(tfevents.AppendRecord(nil, data)); err != nil {
		t.Fatal(err)
	}
	for len(steps(readRun(t, st.FS(), "run"))) < 2 {
		if time.Since(start) > 5*time.Second {
			t.Fatal("a pending record was not uploaded within 5 s with MaxAge 50 ms")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if got := steps(readRun(t, st.FS(), "run")); !slices.Equal(got, []int64{0, 2}) {
		t.Errorf("steps %v, want [0 2] (step 1 is still in the Writer's buffer)", got)
	}
}

// TestSinkMaxSize checks that pending records are uploaded when they
// reach MaxSize, which bounds the memory held.
func TestSinkMaxSize(t *testing.T) {
	st := open(t, testenv.MemBucket(t))
	sink := newSink(t, st.Bucket(), st.Key("run"), storage.SinkOptions{MaxAge: time.Hour, MaxSize: 4096})
	w := eventWriter(t, sink)
	for i := range 2000 {
		w.WriteEvent(scalarEvent(int64(i)))
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := sink.Close(); err != nil {
		t.Fatal(err)
	}
	segs := readRun(t, st.FS(), "run")
	if got := steps(segs); !slices.Equal(got, seq(2000)) {
		t.Fatalf("read back %d steps", len(got))
	}
	for _, s := range segs[:len(segs)-1] {
		info, err := fs.Stat(st.FS(), "run/"+s.name)
		if err != nil {
			t.Fatal(err)
		}
		if info.Size() > 4096+64<<10+200 {
			t.Errorf("%s is %d bytes, over MaxSize plus one Write", s.name, info.Size())
		}
	}
	if len(segs) < 2000*30/(4096+64<<10) {
		t.Errorf("only %d segments", len(segs))
	}
}

// faulty is a Bucket whose writes fail on demand.
type faulty struct {
	storage.Bucket
	mu       sync.Mutex
	failures int   // writes still to fail
	err      error // what they fail with
	land     bool  // a failing write stores the object anyway (its answer is lost)
}

func (f *faulty) Write(ctx context.Context, key string, data []byte, match storage.Version) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.failures > 0 {
		f.failures--
		if f.land {
			f.Bucket.Write(ctx, key, data, match)
		}
		return f.err
	}
	return f.Bucket.Write(ctx, key, data, match)
}

func TestSinkFaults(t *testing.T) {
	transient := fmt.Errorf("connection refused: %w", storage.ErrTransient)
	permanent := fmt.Errorf("access denied: %w", storage.ErrPermission)
	for _, tc := range []struct {
		desc     string
		failures int
		err      error
		land     bool
		wantErr  error // nil: the upload succeeds
		requests int
	}{
		{desc: "transient errors are retried", failures: 3, err: transient, requests: 4},
		{desc: "a lost answer to a write that landed", failures: 1, err: transient, land: true, requests: 2},
		{desc: "a permanent error is not retried", failures: 1, err: permanent, wantErr: storage.ErrPermission, requests: 1},
		{desc: "transient errors past the retry timeout", failures: 1000, err: transient, wantErr: storage.ErrTransient},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			t.Parallel()
			st := open(t, testenv.MemBucket(t))
			fb := &faulty{Bucket: st.Bucket()}
			sink := newSink(t, fb, st.Key("run"), storage.SinkOptions{MaxAge: time.Hour, RetryTimeout: 2 * time.Second})
			w := eventWriter(t, sink)
			before := sink.Stats().Requests
			fb.mu.Lock()
			fb.failures, fb.err, fb.land = tc.failures, tc.err, tc.land
			fb.mu.Unlock()
			w.WriteEvent(scalarEvent(0))
			err := w.Flush()
			if !errors.Is(err, tc.wantErr) || (tc.wantErr == nil) != (err == nil) {
				t.Fatalf("Flush: %v, want %v", err, tc.wantErr)
			}
			if got := sink.Stats().Requests - before; tc.requests > 0 && got != tc.requests {
				t.Errorf("%d requests, want %d", got, tc.requests)
			}
			if tc.wantErr != nil {
				// Sticky: later calls fail the same way, and nothing more
				// is uploaded.
				fb.mu.Lock()
				fb.failures = 0
				fb.mu.Unlock()
				_, err := sink.Write(tfevents.AppendRecord(nil, mustMarshal(scalarEvent(1))))
				if err == nil {
					err = sink.Sync()
				}
				if !errors.Is(err, tc.wantErr) {
					t.Errorf("after a permanent error: %v, want it again", err)
				}
				return
			}
			if err := sink.Close(); err != nil {
				t.Fatal(err)
			}
			if got := steps(readRun(t, st.FS(), "run")); !slices.Equal(got, []int64{0}) {
				t.Errorf("steps %v, want [0]", got)
			}
		})
	}
}

// TestSinkCollision checks that a segment name taken by someone else
// after the Sink opened is a sticky ErrCollision, and nothing is replaced.
func TestSinkCollision(t *testing.T) {
	st := open(t, testenv.MemBucket(t))
	sink := newSink(t, st.Bucket(), st.Key("run"), storage.SinkOptions{MaxAge: time.Hour})
	if err := st.Bucket().Write(context.Background(), sink.Name(), []byte("theirs"), ""); err != nil {
		t.Fatal(err)
	}
	if _, err := tfevents.NewEventWriter(sink, &tfevents.FileOptions{Fsync: true}); !errors.Is(err, storage.ErrCollision) {
		t.Fatalf("first upload: %v, want ErrCollision", err)
	}
	if got := readAll(t, st.Bucket(), sink.Name(), 0, -1); got != "theirs" {
		t.Errorf("the other writer's object now holds %q", got)
	}
}

// TestSinkOtherWriters checks what NewSink does with a run that already
// holds event files: a live writer's is refused unless AllowShared; a
// finished writer's that sorts after this one's names moves them past it.
func TestSinkOtherWriters(t *testing.T) {
	ctx := context.Background()
	st := open(t, testenv.MemBucket(t))
	b := st.Bucket()
	// Another process's segment, written just now, with a later start.
	other := "run/events.out.tfevents.1800000000.elsewhere.7.00000000"
	if err := b.Write(ctx, other, []byte{}, ""); err != nil {
		t.Fatal(err)
	}
	_, err := storage.NewSink(ctx, b, "run", &storage.SinkOptions{Now: time.Now, Hostname: "host"})
	if !errors.Is(err, storage.ErrRunBusy) {
		t.Fatalf("NewSink beside a live writer: %v, want ErrRunBusy", err)
	}
	if !strings.Contains(err.Error(), other) {
		t.Errorf("the error does not name the other writer's object: %v", err)
	}
	sink := newSink(t, b, "run", storage.SinkOptions{AllowShared: true})
	defer sink.Close()
	if name := path.Base(sink.Name()); name <= path.Base(other) {
		t.Errorf("first segment %s sorts before the run's %s: the Python loader would never read it", name, path.Base(other))
	}
	if !strings.HasPrefix(path.Base(sink.Name()), "events.out.tfevents.1800000001.host.") {
		t.Errorf("first segment %s: want the start moved to 1800000001", sink.Name())
	}
}

// TestSinkClose checks Close: idempotent, a torn record left is an error,
// and writes after it fail.
func TestSinkClose(t *testing.T) {
	st := open(t, testenv.MemBucket(t))
	sink := newSink(t, st.Bucket(), st.Key("run"), storage.SinkOptions{MaxAge: time.Hour})
	data, _ := proto.Marshal(scalarEvent(0))
	rec := tfevents.AppendRecord(nil, data)
	sink.Write(rec)
	sink.Write(rec[:5])
	err := sink.Close()
	if err == nil || !strings.Contains(err.Error(), "incomplete record") {
		t.Errorf("Close with a torn record: %v", err)
	}
	if err2 := sink.Close(); err2 == nil || err2.Error() != err.Error() {
		t.Errorf("second Close: %v, want %v", err2, err)
	}
	if got := steps(readRun(t, st.FS(), "run")); !slices.Equal(got, []int64{0}) {
		t.Errorf("steps %v, want the whole record only", got)
	}
	clean := newSink(t, st.Bucket(), "run2", storage.SinkOptions{MaxAge: time.Hour})
	if err := clean.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := clean.Write(rec); !errors.Is(err, storage.ErrSinkClosed) {
		t.Errorf("Write after Close: %v", err)
	}
}

// TestSinkNotFraming checks that bytes that are not TFRecord framing are
// refused at once rather than uploaded.
func TestSinkNotFraming(t *testing.T) {
	st := open(t, testenv.MemBucket(t))
	sink := newSink(t, st.Bucket(), st.Key("run"), storage.SinkOptions{MaxAge: time.Hour})
	if _, err := sink.Write([]byte("this is not an event file at all")); err == nil {
		t.Fatal("Write of non-TFRecord bytes succeeded")
	}
}

// stalling is a Bucket whose first stalls writes wait until their context
// ends, as a server that stops answering makes them.
type stalling struct {
	storage.Bucket
	mu     sync.Mutex
	stalls int
}

func (s *stalling) Write(ctx context.Context, key string, data []byte, match storage.Version) error {
	s.mu.Lock()
	stall := s.stalls > 0
	s.stalls--
	s.mu.Unlock()
	if stall {
		<-ctx.Done()
		return ctx.Err()
	}
	return s.Bucket.Write(ctx, key, data, match)
}

// TestSinkRequestTimeout uploads to a bucket that stops answering: an
// attempt ends after RequestTimeout with a transient deadline error,
// which is retried, or returned when there are no retries.
func TestSinkRequestTimeout(t *testing.T) {
	for _, tc := range []struct {
		desc     string
		retry    time.Duration
		wantErr  bool
		requests int
	}{
		{desc: "retried", retry: time.Minute, requests: 2},
		{desc: "no retries", retry: -1, wantErr: true, requests: 1},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			t.Parallel()
			st := open(t, testenv.MemBucket(t))
			sb := &stalling{Bucket: st.Bucket()}
			sink := newSink(t, sb, st.Key("run"), storage.SinkOptions{MaxAge: time.Hour, RetryTimeout: tc.retry, RequestTimeout: 100 * time.Millisecond})
			w := eventWriter(t, sink)
			before := sink.Stats().Requests
			sb.mu.Lock()
			sb.stalls = 1
			sb.mu.Unlock()
			w.WriteEvent(scalarEvent(0))
			start := time.Now()
			err := w.Flush()
			if took := time.Since(start); took > 10*time.Second {
				t.Errorf("Flush took %v with a 100ms request timeout", took)
			}
			if tc.wantErr != (err != nil) {
				t.Fatalf("Flush: %v, want an error: %v", err, tc.wantErr)
			}
			if err != nil && (!errors.Is(err, storage.ErrTransient) || !errors.Is(err, os.ErrDeadlineExceeded)) {
				t.Errorf("Flush: %v, want a transient deadline error", err)
			}
			if got := sink.Stats().Requests - before; got != tc.requests {
				t.Errorf("%d requests, want %d", got, tc.requests)
			}
		})
	}
}

// TestNewSinkStalled makes a Sink of a run on a server that never
// answers: NewSink's listing of the run fails within RequestTimeout
// rather than hanging, with a transient deadline error.
func TestNewSinkStalled(t *testing.T) {
	st := open(t, s3test.Stalled(t))
	start := time.Now()
	_, err := storage.NewSink(context.Background(), st.Bucket(), st.Key("run"), &storage.SinkOptions{RequestTimeout: 200 * time.Millisecond})
	if !errors.Is(err, storage.ErrTransient) || !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Errorf("NewSink on a stalled store: %v, want a transient deadline error", err)
	}
	if took := time.Since(start); took > 20*time.Second {
		t.Errorf("NewSink took %v with a 200ms request timeout", took)
	}
}
