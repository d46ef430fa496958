package history_test

import (
	"context"
	"io"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tbgo/tbgo/history"
	"github.com/tbgo/tbgo/internal/s3test"
	"github.com/tbgo/tbgo/storage"
	_ "github.com/tbgo/tbgo/storage/cloud"
	"github.com/tbgo/tbgo/summary"
)

// countingBucket counts the requests made of a Bucket.
type countingBucket struct {
	storage.Bucket
	lists, stats, reads atomic.Int64
}

func (b *countingBucket) List(ctx context.Context, prefix string, recursive bool, fn func(storage.Object) error) error {
	b.lists.Add(1)
	return b.Bucket.List(ctx, prefix, recursive, fn)
}

func (b *countingBucket) Stat(ctx context.Context, key string) (storage.Object, error) {
	b.stats.Add(1)
	return b.Bucket.Stat(ctx, key)
}

func (b *countingBucket) NewRangeReader(ctx context.Context, key string, offset, length int64) (io.ReadCloser, storage.Object, error) {
	b.reads.Add(1)
	return b.Bucket.NewRangeReader(ctx, key, offset, length)
}

func (b *countingBucket) Close() error { return nil }

// counted holds the countingBuckets of counted:// URLs by host: a mem://
// bucket of the same name, its requests counted.
var counted = struct {
	sync.Mutex
	m map[string]*countingBucket
}{m: map[string]*countingBucket{}}

func init() {
	storage.Register("counted", func(ctx context.Context, u *url.URL) (storage.Bucket, string, error) {
		counted.Lock()
		defer counted.Unlock()
		b := counted.m[u.Host]
		if b == nil {
			st, err := storage.Open(ctx, "mem://"+u.Host)
			if err != nil {
				return nil, "", err
			}
			b = &countingBucket{Bucket: st.Bucket()}
			counted.m[u.Host] = b
		}
		return b, strings.Trim(u.Path, "/"), nil
	})
}

// TestFollowBucket follows a run that a Writer uploads as segments: every
// value is passed once, in order, as its segment lands; and once caught
// up, a look costs a listing and one read of the run's newest segment,
// however many segments the run has.
func TestFollowBucket(t *testing.T) {
	const host = "follow-bucket"
	w, err := summary.NewWriter("mem://"+host+"/logs/run", &summary.Options{Sink: &storage.SinkOptions{MaxAge: time.Hour}})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	write := func(from, to int64) {
		for step := from; step < to; step++ {
			if err := w.Scalar("x", step, float64(step)); err != nil {
				t.Fatal(err)
			}
			if err := w.Flush(); err != nil { // a segment per value
				t.Fatal(err)
			}
		}
	}
	write(0, 20)

	var looks atomic.Int64
	got, stop := follow(t, "counted://"+host+"/logs", &history.FollowOptions{
		Poll: 5 * time.Millisecond, FromStart: true,
		CaughtUp: func() error { looks.Add(1); return nil },
	}, stepOf)
	want := func(n int64) []int64 {
		var s []int64
		for i := range n {
			s = append(s, i)
		}
		return s
	}
	waitUntil(t, "the values written before Follow", func() bool { return len(got()) >= 20 })

	// Idle looks: one listing per directory and one read per run.
	b := counted.m[host]
	start := looks.Load()
	reads0, lists0 := b.reads.Load(), b.lists.Load()
	waitUntil(t, "ten more looks", func() bool { return looks.Load() >= start+10 })
	n := looks.Load() - start
	reads, lists := b.reads.Load()-reads0, b.lists.Load()-lists0
	if reads > n+1 {
		t.Errorf("%d reads in %d looks at a run of 21 segments: want about one per look (the newest segment)", reads, n)
	}
	if lists > 2*(n+1) {
		t.Errorf("%d listings in %d looks at a logdir of one run: want one per directory per look", lists, n)
	}
	t.Logf("%d looks: %d reads, %d listings, %d stats", n, reads, lists, b.stats.Load())

	write(20, 30)
	waitUntil(t, "the values written while following", func() bool { return len(got()) >= 30 })
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if g := got(); !slices.Equal(g, want(30)) {
		t.Errorf("followed steps %v, want 0..29 once each, in order", g)
	}
}

// Discovered hears of every run each look finds, selected or not, and of
// none while the logdir does not exist.
func TestFollowDiscovered(t *testing.T) {
	t.Parallel()
	logdir := filepath.Join(t.TempDir(), "later")
	runs, _ := history.Compile("a")
	var mu sync.Mutex
	var looks [][]string
	got, stop := follow(t, logdir, &history.FollowOptions{Poll: 5 * time.Millisecond, FromStart: true, Runs: runs,
		Discovered: func(runs []string) { mu.Lock(); looks = append(looks, runs); mu.Unlock() }}, runTagStep)
	waitUntil(t, "a first look", func() bool { mu.Lock(); defer mu.Unlock(); return len(looks) > 0 })
	scalarRun(t, filepath.Join(logdir, "a"), "x", 0)
	scalarRun(t, filepath.Join(logdir, "b"), "x", 1)
	waitUntil(t, "run a's value", func() bool { return len(got()) == 1 })
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if looks[0] != nil {
		t.Errorf("first look at a missing logdir found %q", looks[0])
	}
	last := looks[len(looks)-1]
	if !slices.Equal(last, []string{"a", "b"}) {
		t.Errorf("last look found %q, want a and b", last)
	}
}

// TestFollowEndsWhileListing ends a Follow while it lists a bucket that
// does not answer: the end asked for is no error, whichever request it
// cuts short.
func TestFollowEndsWhileListing(t *testing.T) {
	loc := s3test.Stalled(t)
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	err := history.Follow(ctx, loc, nil, func(*history.Scalar) error { return nil })
	if err != nil {
		t.Errorf("Follow ended by its context while listing: %v, want nil", err)
	}
}
