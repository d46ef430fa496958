package storage_test

import (
	"errors"
	"fmt"
	"os"
	"path"
	"testing"
	"time"

	"github.com/tbgo/tbgo/internal/testenv"
	"github.com/tbgo/tbgo/storage"
)

func TestLastWrite(t *testing.T) {
	t.Parallel()
	now := time.Unix(1700000000, 0)
	for _, tc := range []struct {
		desc   string
		ages   []time.Duration // of the files added, by name "f<i>"
		maxAge time.Duration
		busy   string // the file named, "" if not busy
	}{
		{desc: "no file"},
		{desc: "one file, old", ages: []time.Duration{time.Hour}},
		{desc: "one file, just written", ages: []time.Duration{time.Second}, busy: "f0"},
		{desc: "the newest counts", ages: []time.Duration{time.Hour, 10 * time.Second, time.Minute}, busy: "f1"},
		{desc: "just past the default window", ages: []time.Duration{storage.BusyWindow(0)}},
		{desc: "just inside it", ages: []time.Duration{storage.BusyWindow(0) - time.Second}, busy: "f0"},
		{desc: "a longer MaxAge widens it", ages: []time.Duration{5 * time.Minute}, maxAge: 5 * time.Minute, busy: "f0"},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			var l storage.LastWrite
			for i, age := range tc.ages {
				l.Add(fmt.Sprintf("f%d", i), now.Add(-age))
			}
			err := l.Busy(now, tc.maxAge)
			var be *storage.BusyError
			switch {
			case tc.busy == "" && err != nil:
				t.Errorf("Busy: %v, want nil", err)
			case tc.busy != "" && (!errors.Is(err, storage.ErrRunBusy) || !errors.As(err, &be)):
				t.Errorf("Busy: %v, want a *BusyError wrapping ErrRunBusy", err)
			case tc.busy != "" && (be.File != tc.busy || be.Wait() != storage.BusyWindow(tc.maxAge)-be.Age || be.Wait() <= 0):
				t.Errorf("Busy: %+v (wait %v), want file %s", be, be.Wait(), tc.busy)
			}
		})
	}
	if got, want := storage.BusyWindow(0), 2*storage.DefaultMaxAge+time.Minute; got != want {
		t.Errorf("BusyWindow(0) = %v, want %v", got, want)
	}
}

// TestSplitSegment pins SplitSegment to the names a Sink gives its
// segments, and keeps other writers' names out.
func TestSplitSegment(t *testing.T) {
	t.Parallel()
	for _, host := range []string{"host", "node-3.cluster.local"} {
		for _, suffix := range []string{"", ".v2"} {
			sink := newSink(t, open(t, testenv.MemBucket(t)).Bucket(), "run", storage.SinkOptions{Hostname: host, Suffix: suffix})
			name := path.Base(sink.Name())
			base, seq, gotSuffix, ok := storage.SplitSegment(name)
			want := fmt.Sprintf("events.out.tfevents.%010d.%s.%d.", fixedClock().Unix(), host, os.Getpid())
			if !ok || base != want || seq != 0 || gotSuffix != suffix {
				t.Errorf("SplitSegment(%s) = %q, %d, %q, %v; want %q, 0, %q", name, base, seq, gotSuffix, ok, want, suffix)
			}
			sink.Close()
		}
	}
	for _, name := range []string{
		"events.out.tfevents.1700000000.host.12.000",       // tfevents.CreateFile
		"events.out.tfevents.1700000000.host.12345.0.v2",   // TensorFlow 2
		"events.out.tfevents.1700000000.host",              // tensorboardX
		"events.out.tfevents.170000000.host.12.00000001",   // a start of 9 digits
		"events.out.tfevents.1700000000.12.00000001",       // no host
		"x.events.out.tfevents.1700000000.host.1.00000001", // not an event file's prefix
	} {
		if base, seq, suffix, ok := storage.SplitSegment(name); ok {
			t.Errorf("SplitSegment(%s) = %q, %d, %q, true; want no segment", name, base, seq, suffix)
		}
	}
}
