package storage_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log"
	"path"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tbgo/tbgo/internal/gcstest"
	"github.com/tbgo/tbgo/internal/s3test"
	"github.com/tbgo/tbgo/internal/testenv"
	"github.com/tbgo/tbgo/storage"
	"github.com/tbgo/tbgo/tfevents"
)

// A fakeClock is a Sink's clock that moves only when told to.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock() *fakeClock { return &fakeClock{t: fixedClock()} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// finish closes w and the sink under it, and reads back the run "run"
// of st they wrote.
func finish(t *testing.T, w *tfevents.Writer, sink *storage.Sink, st *storage.Store) []segment {
	t.Helper()
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := sink.Close(); err != nil {
		t.Fatal(err)
	}
	return readRun(t, st.FS(), "run")
}

// fileVersions counts the file_version events of seg.
func fileVersions(seg segment) int {
	n := 0
	for _, ev := range seg.events {
		if ev.GetFileVersion() != "" {
			n++
		}
	}
	return n
}

// newestSize returns the size of the run's newest event file in fsys.
func newestSize(t *testing.T, fsys fs.FS, run string) int64 {
	t.Helper()
	entries, err := fs.ReadDir(fsys, run)
	if err != nil || len(entries) == 0 {
		t.Fatalf("run %s: %d entries, %v", run, len(entries), err)
	}
	info, err := entries[len(entries)-1].Info()
	if err != nil {
		t.Fatal(err)
	}
	return info.Size()
}

func TestSinkSegmentAge(t *testing.T) { testSinkSegmentAge(t, open(t, testenv.MemBucket(t))) }

// The same against real servers: versitygw's If-Match on the ETag, and
// a GCS emulator's ifGenerationMatch.

func TestSinkSegmentAgeS3(t *testing.T) {
	srv := s3test.Start(t)
	testSinkSegmentAge(t, open(t, srv.URL("tbgo", "logs")))
}

func TestSinkSegmentAgeGCS(t *testing.T) {
	srv := gcstest.Start(t)
	testSinkSegmentAge(t, open(t, srv.URL("tbgo", "logs")))
}

// testSinkSegmentAge writes a scalar every 10 s of a fake clock, each
// flushed, into a Sink with SegmentAge 1 minute: a segment is created,
// rewritten in place by the Flushes of its minute, then sealed. So one
// object a minute, each a file_version event then its records; every
// value once, in order; every Flush durable when it returns; and the
// stats count each upload of a whole segment.
func testSinkSegmentAge(t *testing.T, st *storage.Store) {
	clock := newFakeClock()
	sink := newSink(t, st.Bucket(), st.Key("run"), storage.SinkOptions{MaxAge: time.Hour, SegmentAge: time.Minute, Now: clock.Now})
	w := eventWriter(t, sink) // segment 0, the file_version event, at 0 s
	uploaded := newestSize(t, st.FS(), "run")
	for i := range 30 {
		clock.Advance(10 * time.Second)
		if err := w.WriteEvent(scalarEvent(int64(i))); err != nil {
			t.Fatal(err)
		}
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
		if got := steps(readRun(t, st.FS(), "run")); !slices.Equal(got, seq(i+1)) {
			t.Fatalf("after Flush %d the bucket holds steps %v", i, got)
		}
		uploaded += newestSize(t, st.FS(), "run")
	}
	segs := finish(t, w, sink, st)
	// Created at 0, 60, 120, 180, 240 and 300 s: steps 0-4 join the
	// first (at 10-50 s), 5-10 the second, ..., 29 the sixth.
	if len(segs) != 6 {
		t.Errorf("%d segments, want 6: one per minute", len(segs))
	}
	for i, s := range segs {
		if want := fmt.Sprintf("events.out.tfevents.1700000000.host.%d.%08d", pidOf(t, sink), i); s.name != want {
			t.Errorf("segment %d is %s, want %s", i, s.name, want)
		}
		if n := fileVersions(s); n != 1 {
			t.Errorf("%s holds %d file_version events, want 1, at its start", s.name, n)
		}
	}
	if got := steps(segs); !slices.Equal(got, seq(30)) {
		t.Errorf("read back steps %v, want 0..29 once each", got)
	}
	stats := sink.Stats()
	want := storage.SinkStats{Objects: 6, Rewrites: 25, Requests: 31, StatRequests: 25, Bytes: uploaded, Records: stats.Records}
	if stats != want {
		t.Errorf("stats %+v, want %+v", stats, want)
	}
}

// TestSinkSegmentAgeMaxSize checks that an open segment is sealed when it
// reaches MaxSize, the next upload beginning a new object, and that
// records arriving without a Sync are uploaded when they and the open
// segment reach MaxSize: every segment but the last is at least MaxSize
// and at most MaxSize plus one Write (a Flush of 10 records, or one).
func TestSinkSegmentAgeMaxSize(t *testing.T) {
	const maxSize = 4096
	st := open(t, testenv.MemBucket(t))
	sink := newSink(t, st.Bucket(), st.Key("run"), storage.SinkOptions{MaxAge: time.Hour, MaxSize: maxSize, SegmentAge: time.Hour})
	w := eventWriter(t, sink)
	largest := 0
	for i := range 2000 {
		rec := tfevents.AppendRecord(nil, mustMarshal(scalarEvent(int64(i))))
		largest = max(largest, len(rec))
		if i < 1050 {
			// Flushed every 10 records; the last Flush leaves the open
			// segment about half full.
			w.WriteEvent(scalarEvent(int64(i)))
			if i%10 == 9 {
				if err := w.Flush(); err != nil {
					t.Fatal(err)
				}
			}
			continue
		}
		// Handed over one at a time, never synced, as a summary writer's
		// timed flush does.
		if _, err := sink.Write(rec); err != nil {
			t.Fatal(err)
		}
	}
	segs := finish(t, w, sink, st)
	if got := steps(segs); !slices.Equal(got, seq(2000)) {
		t.Fatalf("read back %d steps, want 0..1999 once each", len(got))
	}
	for _, s := range segs[:len(segs)-1] {
		if s.size < maxSize || s.size > maxSize+10*largest {
			t.Errorf("%s is %d bytes: want MaxSize %d to MaxSize plus 10 records", s.name, s.size, maxSize)
		}
		if n := fileVersions(s); n != 1 {
			t.Errorf("%s holds %d file_version events, want 1", s.name, n)
		}
	}
	stats := sink.Stats()
	if stats.Objects != len(segs) || stats.Rewrites == 0 {
		t.Errorf("stats %+v for %d segments: want each created once and rewritten", stats, len(segs))
	}
}

// racing is a Bucket whose Stat, once armed, is followed by another
// writer's conditional write of the object it described, before the
// caller can use the version: the race a Sink's rewrite must lose safely.
type racing struct {
	storage.Bucket
	mu    sync.Mutex
	armed bool
	data  []byte
}

func (r *racing) Stat(ctx context.Context, key string) (storage.Object, error) {
	obj, err := r.Bucket.Stat(ctx, key)
	r.mu.Lock()
	defer r.mu.Unlock()
	if err == nil && r.armed {
		r.armed = false
		if err := r.Bucket.Write(ctx, key, r.data, obj.Version); err != nil {
			return obj, fmt.Errorf("the other writer's write: %w", err)
		}
	}
	return obj, err
}

// TestSinkSegmentAgeChanged checks that an open segment someone else
// changed is never overwritten: a size other than the Sink stored, or a
// change between the Sink's Stat and its write, is a sticky error
// wrapping ErrCollision, and the other writer's object stays.
func TestSinkSegmentAgeChanged(t *testing.T) {
	testSinkSegmentAgeChanged(t, func(t *testing.T, _ string) *storage.Store { return open(t, testenv.MemBucket(t)) })
}

func TestSinkSegmentAgeChangedS3(t *testing.T) {
	srv := s3test.Start(t)
	testSinkSegmentAgeChanged(t, func(t *testing.T, name string) *storage.Store { return open(t, srv.URL("tbgo", name)) })
}

func TestSinkSegmentAgeChangedGCS(t *testing.T) {
	srv := gcstest.Start(t)
	testSinkSegmentAgeChanged(t, func(t *testing.T, name string) *storage.Store { return open(t, srv.URL("tbgo", name)) })
}

// testSinkSegmentAgeChanged runs the cases of TestSinkSegmentAgeChanged,
// each in a Store that store makes with a name of its own.
func testSinkSegmentAgeChanged(t *testing.T, store func(t *testing.T, name string) *storage.Store) {
	for i, tc := range []struct {
		desc    string
		race    bool  // the change lands between the Stat and the write
		wantErr error // besides ErrCollision
	}{
		{desc: "grown by another writer"},
		{desc: "changed after the Stat", race: true, wantErr: storage.ErrPrecondition},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			ctx := context.Background()
			st := store(t, fmt.Sprintf("changed%d", i))
			rb := &racing{Bucket: st.Bucket()}
			sink := newSink(t, rb, st.Key("run"), storage.SinkOptions{MaxAge: time.Hour, SegmentAge: time.Hour})
			w := eventWriter(t, sink)
			key := sink.Name()
			theirs := readAll(t, st.Bucket(), key, 0, -1) + "theirs"
			if tc.race {
				rb.mu.Lock()
				rb.armed, rb.data = true, []byte(theirs)
				rb.mu.Unlock()
			} else {
				obj, err := st.Bucket().Stat(ctx, key)
				if err != nil {
					t.Fatal(err)
				}
				if err := st.Bucket().Write(ctx, key, []byte(theirs), obj.Version); err != nil {
					t.Fatal(err)
				}
			}
			w.WriteEvent(scalarEvent(0))
			err := w.Flush()
			if !errors.Is(err, storage.ErrCollision) || (tc.wantErr != nil && !errors.Is(err, tc.wantErr)) {
				t.Fatalf("Flush: %v, want ErrCollision (and %v)", err, tc.wantErr)
			}
			if !strings.Contains(err.Error(), key) {
				t.Errorf("the error does not name the segment %s: %v", key, err)
			}
			if got := readAll(t, st.Bucket(), key, 0, -1); got != theirs {
				t.Errorf("the other writer's object was overwritten: it holds %q", got)
			}
			// Sticky: nothing more is uploaded.
			_, err = sink.Write(tfevents.AppendRecord(nil, mustMarshal(scalarEvent(1))))
			if err == nil {
				err = sink.Sync()
			}
			if !errors.Is(err, storage.ErrCollision) {
				t.Errorf("after the collision: %v, want it again", err)
			}
			if entries, err := fs.ReadDir(st.FS(), "run"); err != nil || len(entries) != 1 {
				t.Errorf("%d objects in the run after the collision (%v), want 1", len(entries), err)
			}
		})
	}
}

// statFlaky is a Bucket whose first failures Stats fail with a transient
// error.
type statFlaky struct {
	storage.Bucket
	mu       sync.Mutex
	failures int
}

func (b *statFlaky) Stat(ctx context.Context, key string) (storage.Object, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.failures > 0 {
		b.failures--
		return storage.Object{}, fmt.Errorf("connection reset: %w", storage.ErrTransient)
	}
	return b.Bucket.Stat(ctx, key)
}

// TestSinkSegmentAgeRetries checks a rewrite's retries, through the
// requests mechanism of every upload: a Stat that fails transiently is
// retried; a rewrite that landed though its answer was lost is refused
// on retry (the version changed), and found to be the Sink's own.
func TestSinkSegmentAgeRetries(t *testing.T) {
	transient := fmt.Errorf("connection refused: %w", storage.ErrTransient)
	for _, tc := range []struct {
		desc          string
		statFailures  int
		writeFailures int
		land          bool
		requests      int // writes
		statRequests  int
	}{
		{desc: "a lost answer to a rewrite that landed", writeFailures: 1, land: true, requests: 2, statRequests: 1},
		{desc: "a rewrite that failed is retried", writeFailures: 2, requests: 3, statRequests: 1},
		{desc: "a Stat that failed is retried", statFailures: 2, requests: 1, statRequests: 3},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			t.Parallel()
			st := open(t, testenv.MemBucket(t))
			fb := &faulty{Bucket: st.Bucket()}
			sb := &statFlaky{Bucket: fb}
			sink := newSink(t, sb, st.Key("run"), storage.SinkOptions{MaxAge: time.Hour, SegmentAge: time.Hour, RetryTimeout: 10 * time.Second})
			w := eventWriter(t, sink)
			before := sink.Stats()
			fb.mu.Lock()
			fb.failures, fb.err, fb.land = tc.writeFailures, transient, tc.land
			fb.mu.Unlock()
			sb.mu.Lock()
			sb.failures = tc.statFailures
			sb.mu.Unlock()
			w.WriteEvent(scalarEvent(0))
			if err := w.Flush(); err != nil {
				t.Fatalf("Flush: %v", err)
			}
			after := sink.Stats()
			if got := after.Requests - before.Requests; got != tc.requests {
				t.Errorf("%d write requests, want %d", got, tc.requests)
			}
			if got := after.StatRequests - before.StatRequests; got != tc.statRequests {
				t.Errorf("%d Stat requests, want %d", got, tc.statRequests)
			}
			if after.Rewrites != 1 || after.Objects != 1 {
				t.Errorf("stats %+v, want one object, rewritten once", after)
			}
			w.WriteEvent(scalarEvent(1))
			segs := finish(t, w, sink, st)
			if len(segs) != 1 || !slices.Equal(steps(segs), seq(2)) {
				t.Errorf("%d segments, steps %v: want one segment of steps 0 and 1", len(segs), steps(segs))
			}
		})
	}
}

// TestSinkSegmentAgeLocalDir checks that NewSink refuses SegmentAge on a
// local directory, which replaces a file by renaming another over it,
// before it writes anything.
func TestSinkSegmentAgeLocalDir(t *testing.T) {
	dir := t.TempDir()
	for _, loc := range []string{dir, "file://" + dir} {
		st := open(t, loc)
		_, err := storage.NewSink(context.Background(), st.Bucket(), st.Key("run"), &storage.SinkOptions{SegmentAge: time.Minute})
		if err == nil || !strings.Contains(err.Error(), "SegmentAge") || !strings.Contains(err.Error(), "renaming") {
			t.Errorf("%s: NewSink with SegmentAge: %v, want an error saying why a local directory cannot take it", loc, err)
		}
		sink, err := storage.NewSink(context.Background(), st.Bucket(), st.Key("run"), &storage.SinkOptions{Hostname: "h"})
		if err != nil {
			t.Fatalf("%s: NewSink without SegmentAge: %v", loc, err)
		}
		sink.Close()
	}
}

// TestSnapshotGrownObject reads an open segment as the data server reads
// an object through a Snapshot: a Snapshot taken after a rewrite lists
// the new size, and its file, sought to where the last read stopped,
// reads on with the new records only.
func TestSnapshotGrownObject(t *testing.T) {
	st := open(t, testenv.MemBucket(t))
	sink := newSink(t, st.Bucket(), st.Key("run"), storage.SinkOptions{MaxAge: time.Hour, SegmentAge: time.Hour})
	w := eventWriter(t, sink)
	w.WriteEvent(scalarEvent(0))
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	name := "run/" + path.Base(sink.Name())
	read := func(off int64) (size int64, records int) {
		snap, err := st.Snapshot(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		info, err := snap.Stat(name)
		if err != nil {
			t.Fatal(err)
		}
		f, err := snap.Open(name)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		if _, err := f.(io.Seeker).Seek(off, io.SeekStart); err != nil {
			t.Fatal(err)
		}
		sc := tfevents.NewScanner(f)
		sc.Strict = true
		for sc.Scan() {
			records++
		}
		if err := sc.Err(); err != nil {
			t.Fatalf("reading %s from %d: %v", name, off, err)
		}
		if got := off + sc.End(); got != info.Size() {
			t.Errorf("read %s to %d, listed %d bytes", name, got, info.Size())
		}
		return info.Size(), records
	}
	size, n := read(0)
	if n != 2 {
		t.Fatalf("%d records, want the file_version event and step 0", n)
	}
	w.WriteEvent(scalarEvent(1))
	w.WriteEvent(scalarEvent(2))
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	grown, n := read(size)
	if grown <= size || n != 2 {
		t.Errorf("after the rewrite: %d bytes (was %d), %d records read on, want steps 1 and 2", grown, size, n)
	}
	if s := sink.Stats(); s.Objects != 1 || s.Rewrites != 2 {
		t.Errorf("stats %+v, want one object rewritten twice", s)
	}
}

// With SegmentAge, a Sink keeps its segment open and rewrites it in place
// at each upload, for fewer objects at the same freshness: here three
// Flushes within a minute make one object.
func ExampleSinkOptions_segmentAge() {
	ctx := context.Background()
	st, err := storage.Open(ctx, "mem://example-segment-age/logs")
	if err != nil {
		log.Fatal(err)
	}
	defer st.Close()

	sink, err := storage.NewSink(ctx, st.Bucket(), st.Key("train"), &storage.SinkOptions{SegmentAge: 5 * time.Minute})
	if err != nil {
		log.Fatal(err)
	}
	w, err := tfevents.NewEventWriter(sink, &tfevents.FileOptions{Fsync: true})
	if err != nil {
		log.Fatal(err)
	}
	for step := range 4 {
		w.WriteEvent(scalarEvent(int64(step)))
		if step%2 == 1 {
			w.Flush() // returns once the segment is rewritten
		}
	}
	w.Close()
	if err := sink.Close(); err != nil {
		log.Fatal(err)
	}
	s := sink.Stats()
	fmt.Println(s.Objects, "object,", s.Rewrites, "rewrites")
	// Output:
	// 1 object, 2 rewrites
}
