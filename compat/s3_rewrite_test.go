//go:build compat

package compat

import (
	"context"
	"fmt"
	"io/fs"
	"testing"
	"time"

	"github.com/tbgo/tbgo/storage"
	"github.com/tbgo/tbgo/tfevents"
)

// TestS3TensorBoardLiveRewrite is TestS3TensorBoardLive with the open
// segment policy (storage.SinkOptions.SegmentAge): a writer uploading
// every 300 ms rewrites its segment in place for 2 s, then seals it and
// begins the next, while TensorBoard watches the bucket two ways, its
// Python loader over s3:// and tbgo-data-server over s3:// (which reads
// through storage.Snapshot). At every poll each shows the values 0..k-1
// exactly once, for a k that grows while the writer runs, and finally
// all of them.
//
// RustBoard over the server's directory, which TestS3TensorBoardLive also
// watches, is left out on purpose: versitygw's posix backend replaces an
// object by renaming a new file over the old one, and RustBoard, which
// keeps the files it reads open, goes on reading the old file and never
// sees the rest. (That is why NewSink refuses SegmentAge on a local
// directory.)
func TestS3TensorBoardLiveRewrite(t *testing.T) {
	srv := s3Env(t)
	u := srv.URL("tbgo", "rewrite")
	st, err := storage.Open(context.Background(), u)
	check(t, err)
	defer st.Close()
	const n = 400
	sink, err := storage.NewSink(context.Background(), st.Bucket(), st.Key("run"),
		&storage.SinkOptions{MaxAge: 300 * time.Millisecond, SegmentAge: 2 * time.Second})
	check(t, err)
	defer sink.Close()
	// The first segment, so that TensorBoard finds the run at once.
	w, err := tfevents.NewEventWriter(sink, &tfevents.FileOptions{Fsync: true})
	check(t, err)
	check(t, w.WriteEvent(liveScalar(0)))
	check(t, w.Flush())

	bin := tbgoDataServer(t)
	names := []string{"python over s3://", "tbgo-data-server over s3://"}
	started := startServers(t, []serverSpec{
		{names[0], ServerOptions{Logdir: "s3://tbgo/rewrite", Reload: time.Second}, nil},
		{names[1], ServerOptions{Logdir: u, Fast: true, DataServer: bin, Reload: time.Second},
			func(s *Server) (bool, error) {
				if !running(bin, "--logdir="+u) {
					return false, fmt.Errorf("no %s --logdir=%s is running", bin, u)
				}
				return true, nil
			}},
	})
	servers := map[string]*Server{names[0]: started[0], names[1]: started[1]}

	done := writeLive(sink, n, 30*time.Millisecond)

	poll := func(name string, s *Server) int {
		var rows [][3]Float
		if err := s.GetJSON("data/plugin/scalars/scalars", query("run", "run", "tag", "x"), &rows); err != nil {
			return 0 // not loaded yet
		}
		for i, r := range rows {
			if int64(r[1]) != int64(i) || float64(r[2]) != float64(i) {
				t.Fatalf("%s: point %d is step %v value %v: want every value once, in order (%d points)", name, i, r[1], r[2], len(rows))
			}
		}
		return len(rows)
	}
	seen := map[string]map[int]bool{} // distinct counts seen while the writer ran
	writing := true
	deadline := time.Now().Add(3 * time.Minute)
	for {
		select {
		case err := <-done:
			check(t, err)
			writing = false
		default:
		}
		all := true
		for name, s := range servers {
			k := poll(name, s)
			if writing && k > 0 && k < n {
				if seen[name] == nil {
					seen[name] = map[int]bool{}
				}
				seen[name][k] = true
			}
			all = all && k == n
		}
		if !writing && all {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("TensorBoard did not show all %d values within 3 minutes", n)
		}
		time.Sleep(250 * time.Millisecond)
	}
	check(t, sink.Close())
	for name := range servers {
		if len(seen[name]) < 3 {
			t.Errorf("%s showed %d distinct partial counts while the writer ran; want the rewrites to appear live", name, len(seen[name]))
		}
	}

	// The policy held: a few objects, each rewritten several times.
	stats := sink.Stats()
	objects, err := fs.ReadDir(st.FS(), "run")
	check(t, err)
	if len(objects) != stats.Objects || stats.Objects < 2 || stats.Objects > 12 || stats.Rewrites < 3*stats.Objects {
		t.Errorf("%d objects in the bucket, stats %+v: want a segment per 2 s of a 12-s run, each rewritten about 6 times", len(objects), stats)
	}
	t.Logf("partial counts seen: python %d, tbgo-data-server %d; %d objects; %+v",
		len(seen[names[0]]), len(seen[names[1]]), len(objects), stats)
}
