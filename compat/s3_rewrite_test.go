//go:build compat

package compat

import (
	"context"
	"io/fs"
	"testing"
	"time"

	"github.com/tbgo/tbgo/storage"
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
	sink := liveSink(t, st, &storage.SinkOptions{MaxAge: 300 * time.Millisecond, SegmentAge: 2 * time.Second})
	defer sink.Close()

	bin := tbgoDataServer(t)
	names := []string{"python over s3://", "tbgo-data-server over s3://"}
	started := startServers(t, []serverSpec{
		{names[0], ServerOptions{Logdir: "s3://tbgo/rewrite", Reload: time.Second}, nil},
		{names[1], ServerOptions{Logdir: u, Fast: true, DataServer: bin, Reload: time.Second}, runsDataServer(bin, u)},
	})
	servers := map[string]*Server{names[0]: started[0], names[1]: started[1]}

	done := writeLive(sink, n, 30*time.Millisecond)
	seen := watchLive(t, servers, n, done, 3*time.Minute)
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
