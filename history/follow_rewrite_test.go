package history_test

import (
	"context"
	"io/fs"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/tbgo/tbgo/history"
	"github.com/tbgo/tbgo/internal/testenv"
	"github.com/tbgo/tbgo/storage"
	"github.com/tbgo/tbgo/summary"
)

// TestFollowBucketRewrite follows a run whose writer keeps its segment
// open and rewrites it in place (storage.SinkOptions.SegmentAge), sealing
// it at MaxSize: Follow, started after the first values, reads each
// grown object on from where it stopped and passes every later value
// once, in order, as its rewrite lands, across the seals.
func TestFollowBucketRewrite(t *testing.T) {
	loc := testenv.MemBucket(t) + "/logs"
	w, err := summary.NewWriter(loc+"/run", &summary.Options{Sink: &storage.SinkOptions{MaxAge: time.Hour, SegmentAge: time.Hour, MaxSize: 512}})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	write := func(step int64) {
		if err := w.Scalar("x", step, float64(step)); err != nil {
			t.Fatal(err)
		}
		if err := w.Flush(); err != nil { // a rewrite, or a new segment at MaxSize
			t.Fatal(err)
		}
	}
	for step := range int64(5) {
		write(step)
	}

	var mu sync.Mutex
	var following []string
	got, stop := follow(t, loc, &history.FollowOptions{
		Poll:      5 * time.Millisecond,
		Following: func(run, file string) { mu.Lock(); following = append(following, file); mu.Unlock() },
	}, stepOf)
	waitUntil(t, "Follow to follow the run", func() bool { mu.Lock(); defer mu.Unlock(); return len(following) > 0 })
	var want []int64
	for step := int64(5); step < 40; step++ {
		write(step)
		want = append(want, step)
		// Each value is read before the next is written: Follow reads
		// the object it has read, grown, at every look.
		waitUntil(t, "the value just written", func() bool { return len(got()) >= len(want) })
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if g := got(); !slices.Equal(g, want) {
		t.Errorf("followed steps %v, want 5..39 once each, in order", g)
	}
	st, err := storage.Open(context.Background(), loc)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	objects, err := fs.ReadDir(st.FS(), "run")
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d objects", len(objects))
	if len(objects) < 2 || len(objects) > 10 {
		t.Errorf("%d objects for 40 values in 512-byte segments rewritten at each Flush: want a few", len(objects))
	}
}
