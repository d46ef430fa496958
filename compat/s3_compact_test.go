//go:build compat

package compat

import (
	"context"
	"errors"
	"path"
	"path/filepath"
	"testing"
	"time"

	"github.com/tbgo/tbgo/history"
	"github.com/tbgo/tbgo/storage"
	"github.com/tbgo/tbgo/tfevents"
)

// eventObjects counts the event files of the logdir at loc.
func eventObjects(t *testing.T, loc string) int {
	t.Helper()
	ctx := context.Background()
	st, err := storage.Open(ctx, loc)
	check(t, err)
	defer st.Close()
	snap, err := st.Snapshot(ctx)
	check(t, err)
	n := 0
	for _, f := range snap.Files() {
		if tfevents.IsEventFile(path.Base(f.Path())) {
			n++
		}
	}
	return n
}

// TestS3Compact compacts a logdir that tbgo uploaded as many segments to
// a real S3 server into another prefix of the bucket: stock TensorBoard's
// Python loader over s3:// serves from the compacted prefix every scalar,
// histogram, image and text exactly as from the source, and so does
// RustBoard over the server's files of each; and a Python loader that
// watched the source while it was compacted serves what it served
// before.
func TestS3Compact(t *testing.T) {
	srv := s3Env(t)
	local := filepath.Join(t.TempDir(), "logdir")
	writeS3Logdir(t, local)
	srcURL, dstURL := srv.URL("tbgo", "logs"), srv.URL("tbgo", "compacted")
	st, err := storage.Open(context.Background(), srcURL)
	check(t, err)
	defer st.Close()
	if segments := copyThroughSinks(t, local, st); segments < 10 {
		t.Fatalf("only %d segments: the test wants runs split into many", segments)
	}
	runs := []string{"train", "sweep/rank0"}
	ready := sentinelsLoaded(runs)
	watching := startServers(t, []serverSpec{
		{"python watching the source", ServerOptions{Logdir: "s3://tbgo/logs", Reload: time.Second}, ready},
	})[0]
	before := serverView(t, watching, "python watching the source, before")

	src, err := history.Open(srcURL)
	check(t, err)
	defer src.Close()
	if _, err := src.Compact(dstURL, nil); !errors.Is(err, storage.ErrRunBusy) {
		t.Fatalf("compacting runs written just now: %v, want ErrRunBusy", err)
	}
	rep, err := src.Compact(dstURL, &history.CompactOptions{
		Now: func() time.Time { return time.Now().Add(time.Hour) }, // the runs were written just now
	})
	check(t, err)
	objects, compacted := eventObjects(t, srcURL), eventObjects(t, dstURL)
	t.Logf("%d event objects -> %d: %+v", objects, compacted, rep.Runs)
	if compacted != len(runs) {
		t.Errorf("%d event objects compacted into %d, want one per run's writer (%d)", objects, compacted, len(runs))
	}

	servers := startServers(t, []serverSpec{
		{"python on the compacted s3://", ServerOptions{Logdir: "s3://tbgo/compacted"}, ready},
		{"rust on the source's files", ServerOptions{Logdir: filepath.Join(srv.Dir, "tbgo", "logs"), Fast: true}, ready},
		{"rust on the compacted files", ServerOptions{Logdir: filepath.Join(srv.Dir, "tbgo", "compacted"), Fast: true}, ready},
	})
	if len(before.series) < 10 {
		t.Fatalf("%s serves only %d series", before.name, len(before.series))
	}
	t.Run("python", func(t *testing.T) {
		sameView(t, before, serverView(t, servers[0], "python on the compacted s3://"))
	})
	t.Run("rust", func(t *testing.T) {
		want := serverView(t, servers[1], "rust on the source's files")
		if len(want.series) < 10 {
			t.Fatalf("%s serves only %d series", want.name, len(want.series))
		}
		sameView(t, want, serverView(t, servers[2], "rust on the compacted files"))
	})
	t.Run("watching the source", func(t *testing.T) {
		time.Sleep(3 * time.Second) // reloads after the compaction
		sameView(t, before, serverView(t, watching, "python watching the source, after"))
	})
}
