//go:build compat

package compat

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/tbgo/tbgo/internal/s3test"
	"github.com/tbgo/tbgo/proto/tbpb"
	"github.com/tbgo/tbgo/storage"
	_ "github.com/tbgo/tbgo/storage/cloud"
	"github.com/tbgo/tbgo/summary"
	"github.com/tbgo/tbgo/tfevents"
)

// s3Env starts a versitygw server (skipping unless it is installed or CI
// is set) and points TensorBoard's S3 support at it.
func s3Env(t *testing.T) *s3test.Server {
	t.Helper()
	srv := s3test.Start(t)
	t.Setenv("S3_ENDPOINT", srv.Endpoint)
	return srv
}

// writeS3Logdir writes two runs with summary.Writer to a local logdir:
// scalars, a histogram, images and text, then the sentinel.
func writeS3Logdir(t *testing.T, dir string) {
	t.Helper()
	for r, run := range []string{"train", "sweep/rank0"} {
		w, err := summary.NewWriter(filepath.Join(dir, filepath.FromSlash(run)), &summary.Options{FlushInterval: -1})
		if err != nil {
			t.Fatal(err)
		}
		for step := range int64(60) {
			x := float64(step + int64(r))
			check(t, w.Scalar("loss", step, 1/(x+1)))
			check(t, w.Scalar("acc", step, 1-math.Exp(-x/20)))
			values := make([]float64, 200)
			for i := range values {
				values[i] = math.Sin(float64(i)*0.37+x) * (1 + x/10)
			}
			check(t, w.Histogram("weights", step, values))
			if step%10 == 0 {
				check(t, w.Image("sample", step, pattern(8+int(step/10), 6)))
			}
		}
		check(t, w.Text("note", 0, "**run** "+run))
		check(t, w.Scalar(SentinelTag, 0, 1))
		check(t, w.Close())
	}
}

func check(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// copyThroughSinks uploads every event file of the local logdir to st
// through storage.Sink, in chunks that split records, with a small
// MaxSize so that each file becomes many segments. It returns the number
// of segments.
func copyThroughSinks(t *testing.T, local string, st *storage.Store) int {
	t.Helper()
	runs, err := tfevents.DiscoverRuns(local)
	if err != nil {
		t.Fatal(err)
	}
	segments := 0
	for _, run := range runs {
		for _, f := range run.Files {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			sink, err := storage.NewSink(context.Background(), st.Bucket(), st.Key(run.Name),
				&storage.SinkOptions{MaxAge: time.Hour, MaxSize: 4 << 10, AllowShared: true})
			if err != nil {
				t.Fatal(err)
			}
			for len(data) > 0 {
				n := min(len(data), 1000)
				if _, err := sink.Write(data[:n]); err != nil {
					t.Fatal(err)
				}
				data = data[n:]
			}
			check(t, sink.Close())
			segments += sink.Stats().Objects
		}
	}
	return segments
}

// TestS3TensorBoard has stock TensorBoard read a logdir that tbgo
// uploaded as segments to a real S3 server: the Python loader over s3://
// (boto3, S3_ENDPOINT) serves every scalar, histogram, image and text
// exactly as it serves the same logdir on local disk, and RustBoard over
// the server's own directory of the same objects serves what it serves
// from the local logdir.
func TestS3TensorBoard(t *testing.T) {
	srv := s3Env(t)
	local := filepath.Join(t.TempDir(), "logdir")
	writeS3Logdir(t, local)
	st, err := storage.Open(context.Background(), srv.URL("tbgo", "logs"))
	check(t, err)
	defer st.Close()
	segments := copyThroughSinks(t, local, st)
	if segments < 10 {
		t.Fatalf("only %d segments: the test wants runs split into many", segments)
	}
	t.Logf("%d segments", segments)
	runs := []string{"train", "sweep/rank0"}
	mirror := filepath.Join(srv.Dir, "tbgo", "logs") // versitygw keeps objects as files
	ready := sentinelsLoaded(runs)
	servers := startServers(t, []serverSpec{
		{"python on local disk", ServerOptions{Logdir: local}, ready},
		{"python on s3://", ServerOptions{Logdir: "s3://tbgo/logs"}, ready},
		{"rust on local disk", ServerOptions{Logdir: local, Fast: true}, ready},
		{"rust on the server's files", ServerOptions{Logdir: mirror, Fast: true}, ready},
	})
	for i, name := range []string{"python", "rust"} {
		t.Run(name, func(t *testing.T) {
			want := serverView(t, servers[2*i], name+" on local disk")
			got := serverView(t, servers[2*i+1], name+" on the bucket")
			if len(want.series) < 10 {
				t.Fatalf("%s serves only %d series", want.name, len(want.series))
			}
			sameView(t, want, got)
		})
	}
}

// TestS3TensorBoardLive has a writer upload segments while TensorBoard
// watches: the Python loader over s3:// and RustBoard over the server's
// directory of the same objects each show, at every poll, the values
// 0..k-1 exactly once for a k that grows while the writer runs.
func TestS3TensorBoardLive(t *testing.T) {
	srv := s3Env(t)
	st, err := storage.Open(context.Background(), srv.URL("tbgo", "live"))
	check(t, err)
	defer st.Close()
	const n = 400
	sink := liveSink(t, st, &storage.SinkOptions{MaxAge: 300 * time.Millisecond})

	names := []string{"python over s3://", "rust over the server's files"}
	started := startServers(t, []serverSpec{
		{names[0], ServerOptions{Logdir: "s3://tbgo/live", Reload: time.Second}, nil},
		{names[1], ServerOptions{Logdir: filepath.Join(srv.Dir, "tbgo", "live"), Fast: true, Reload: time.Second}, nil},
	})
	servers := map[string]*Server{names[0]: started[0], names[1]: started[1]}

	done := writeLive(sink, n, 30*time.Millisecond)
	seen := watchLive(t, servers, n, done, 3*time.Minute)
	check(t, sink.Close())
	for name := range servers {
		if len(seen[name]) < 3 {
			t.Errorf("%s showed %d distinct partial counts while the writer ran; want new segments to appear live", name, len(seen[name]))
		}
	}
	t.Logf("partial counts seen: %v; %+v", map[string]int{"python": len(seen["python over s3://"]), "rust": len(seen["rust over the server's files"])}, sink.Stats())
}

// liveSink returns a Sink of the run "run" of st, with its first
// segment, step 0 of the liveScalar events, uploaded: a TensorBoard
// finds the run at once.
func liveSink(t *testing.T, st *storage.Store, opts *storage.SinkOptions) *storage.Sink {
	t.Helper()
	sink, err := storage.NewSink(context.Background(), st.Bucket(), st.Key("run"), opts)
	check(t, err)
	w, err := tfevents.NewEventWriter(sink, &tfevents.FileOptions{Fsync: true})
	check(t, err)
	check(t, w.WriteEvent(liveScalar(0)))
	check(t, w.Flush())
	return sink
}

// liveScalars returns how many values of the tag "x" of run the server
// shows (0 before it has loaded the run), failing t unless they are the
// liveScalar values 0..k-1, each once, in order.
func liveScalars(t *testing.T, name string, s *Server, run string) int {
	t.Helper()
	var rows [][3]Float
	if err := s.GetJSON("data/plugin/scalars/scalars", query("run", run, "tag", "x"), &rows); err != nil {
		return 0 // not loaded yet
	}
	for i, r := range rows {
		if int64(r[1]) != int64(i) || float64(r[2]) != float64(i) {
			t.Fatalf("%s, run %s: point %d is step %v value %v: want every value once, in order (%d points)", name, run, i, r[1], r[2], len(rows))
		}
	}
	return len(rows)
}

// watchLive polls each of the servers, by name, with liveScalars on the
// run "run" every 250 ms until done gives the writer's result (nil) and
// every server shows all n values; it fails t if that takes longer than
// timeout. It returns, by server, the distinct counts 0 < k < n shown
// while the writer ran.
func watchLive(t *testing.T, servers map[string]*Server, n int, done <-chan error, timeout time.Duration) map[string]map[int]bool {
	t.Helper()
	seen := map[string]map[int]bool{}
	for name := range servers {
		seen[name] = map[int]bool{}
	}
	writing := true
	deadline := time.Now().Add(timeout)
	for {
		select {
		case err := <-done:
			check(t, err)
			writing = false
		default:
		}
		shown := map[string]int{}
		all := true
		for name, s := range servers {
			k := liveScalars(t, name, s, "run")
			if writing && k > 0 && k < n {
				seen[name][k] = true
			}
			shown[name] = k
			all = all && k == n
		}
		if !writing && all {
			return seen
		}
		if time.Now().After(deadline) {
			t.Fatalf("after %v the servers show %v of the %d values", timeout, shown, n)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// writeLive writes the liveScalar events of steps 1 to n-1 as whole
// records straight into sink, as a summary writer's timed flush hands them
// over, one every pause (the Sink uploads them every MaxAge), then syncs
// it; the channel gives the first error, or nil.
func writeLive(sink *storage.Sink, n int64, pause time.Duration) <-chan error {
	done := make(chan error, 1)
	go func() {
		for step := int64(1); step < n; step++ {
			data, _ := proto.Marshal(liveScalar(step))
			if _, err := sink.Write(tfevents.AppendRecord(nil, data)); err != nil {
				done <- err
				return
			}
			time.Sleep(pause)
		}
		done <- sink.Sync()
	}()
	return done
}

func liveScalar(step int64) *tbpb.Event {
	return &tbpb.Event{
		WallTime: 1e9 + float64(step),
		Step:     step,
		What: &tbpb.Event_Summary{Summary: &tbpb.Summary{Value: []*tbpb.Summary_Value{
			{Tag: "x", Value: &tbpb.Summary_Value_SimpleValue{SimpleValue: float32(step)}},
		}}},
	}
}
