//go:build compat

package compat

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/tbgo/tbgo/internal/gcstest"
	"github.com/tbgo/tbgo/storage"
	"github.com/tbgo/tbgo/tfevents"
)

// uploadLogdir uploads the event files of the logdir dir on disk to the
// logdir at URL u as tbgo's writers store them, in segments
// (copyThroughSinks), and returns u.
func uploadLogdir(t *testing.T, u, dir string) string {
	t.Helper()
	st, err := storage.Open(context.Background(), u)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if n := copyThroughSinks(t, dir, st); n == 0 {
		t.Fatalf("%s: no segments uploaded", dir)
	}
	return u
}

// TestDifferenceURLs is a deliberate difference: RustBoard refuses an
// s3:// logdir (exit status 8, the reason in its error file);
// tbgo-data-server serves it, uploaded as tbgo's segments to a real S3
// server, with the answers RustBoard gives for the directory it was
// uploaded from.
func TestDifferenceURLs(t *testing.T) {
	srv := s3Env(t)
	logdir, _ := writeArchiveLogdir(t)
	u := uploadLogdir(t, srv.URL("tbgo", "diff"), logdir)

	errFile := filepath.Join(t.TempDir(), "error")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	err := exec.CommandContext(ctx, rustBoard(t), "--logdir="+u, "--port=0", "--error-file="+errFile).Run()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 8 {
		t.Errorf("RustBoard on %s: %v, want exit status 8", u, err)
	}
	if b, err := os.ReadFile(errFile); err != nil || len(b) == 0 {
		t.Errorf("RustBoard's error file: %q, %v; want the reason", b, err)
	} else {
		t.Logf("RustBoard: %s", b)
	}

	ours := startDataServer(t, "tbgo-data-server", tbgoDataServer(t), u, "--reload=once", "--checksum", keepAll)
	theirs := startDataServer(t, "rustboard", rustBoard(t), logdir, "--reload=once", "--checksum", keepAll)
	r := diffServers(t, diffConfig{}, ours, theirs, nil)
	checkReport(t, r, 300)
}

// TestDataServerGCS: tbgo-data-server serving a gs:// logdir, uploaded as
// tbgo's segments to a GCS emulator (fake-gcs-server), answers every RPC
// as RustBoard does for the directory it was uploaded from. (RustBoard
// reads gs:// itself, but only from Google's endpoint, not an emulator.)
func TestDataServerGCS(t *testing.T) {
	srv := gcstest.Start(t)
	logdir, _ := writeArchiveLogdir(t)
	u := uploadLogdir(t, srv.URL("tbgo", "diff"), logdir)
	ours := startDataServer(t, "tbgo-data-server", tbgoDataServer(t), u, "--reload=once", "--checksum", keepAll)
	theirs := startDataServer(t, "rustboard", rustBoard(t), logdir, "--reload=once", "--checksum", keepAll)
	r := diffServers(t, diffConfig{}, ours, theirs, nil)
	checkReport(t, r, 300)
}

// TestTensorBoardThroughTbgoS3 runs the dashboard assertions of
// TestTensorBoardThroughTbgo (every run, series, metadata and value the
// HTTP API of every plugin serves) on the suite's logdirs uploaded as
// tbgo's segments to a real S3 server (versitygw): stock TensorBoard
// launches tbgo-data-server with --logdir s3://... (--load_fast=true,
// TENSORBOARD_DATA_SERVER_BINARY), or attaches to one serving that URL.
// The projector is left out: it reads its files from a local logdir.
func TestTensorBoardThroughTbgoS3(t *testing.T) {
	setup(t)
	srv := s3Env(t)
	n := 0
	tbgoDashboards(t, func(t *testing.T, dir string) string {
		n++
		return uploadLogdir(t, srv.URL("tbgo", fmt.Sprintf("logdir%d", n)), dir)
	}, false)
}

// TestTbgoBoardAndServeS3 runs TestTbgoBoardAndServe on the suite's main
// logdir in a bucket: "tbgo board s3://..." starts TensorBoard with
// --grpc_data_provider and no --logdir, and "tbgo serve s3://..." serves
// the URL to a TensorBoard attached to it.
func TestTbgoBoardAndServeS3(t *testing.T) {
	setup(t)
	srv := s3Env(t)
	boardAndServe(t, uploadLogdir(t, srv.URL("tbgo", "main"), fx.logdir.Dir), "")
}

// TestDataServerS3Live has stock TensorBoard read, through
// tbgo-data-server reloading every second, a bucket that a writer is
// uploading segments to: at every poll it shows the values 0..k-1 exactly
// once, for a k that grows while the writer runs, and finally all of
// them; a run whose first segment arrives later appears on a reload.
func TestDataServerS3Live(t *testing.T) {
	srv := s3Env(t)
	u := srv.URL("tbgo", "live")
	st, err := storage.Open(context.Background(), u)
	check(t, err)
	defer st.Close()
	const n = 300
	sink, err := storage.NewSink(context.Background(), st.Bucket(), st.Key("run"),
		&storage.SinkOptions{MaxAge: 300 * time.Millisecond})
	check(t, err)
	defer sink.Close()
	// The first segment, so that the run is there from the start.
	w, err := tfevents.NewEventWriter(sink, &tfevents.FileOptions{Fsync: true})
	check(t, err)
	check(t, w.WriteEvent(liveScalar(0)))
	check(t, w.Flush())

	bin := tbgoDataServer(t)
	s := startServers(t, []serverSpec{{"tbgo over s3://", ServerOptions{Logdir: u, Fast: true, DataServer: bin, Reload: time.Second},
		func(s *Server) (bool, error) {
			if !running(bin, "--logdir="+u) {
				return false, fmt.Errorf("no %s --logdir=%s is running", bin, u)
			}
			return true, nil
		}}})[0]

	done := writeLive(sink, n, 20*time.Millisecond)

	poll := func(run string) int {
		var rows [][3]Float
		if err := s.GetJSON("data/plugin/scalars/scalars", query("run", run, "tag", "x"), &rows); err != nil {
			return 0 // not loaded yet
		}
		for i, r := range rows {
			if int64(r[1]) != int64(i) || float64(r[2]) != float64(i) {
				t.Fatalf("run %s: point %d is step %v value %v: want every value once, in order (%d points)", run, i, r[1], r[2], len(rows))
			}
		}
		return len(rows)
	}
	seen := map[int]bool{} // distinct counts seen while the writer ran
	writing := true
	deadline := time.Now().Add(2 * time.Minute)
	for {
		select {
		case err := <-done:
			check(t, err)
			writing = false
		default:
		}
		k := poll("run")
		if writing && k > 0 && k < n {
			seen[k] = true
		}
		if !writing && k == n {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("TensorBoard shows %d of the %d values after 2 minutes", k, n)
		}
		time.Sleep(200 * time.Millisecond)
	}
	if len(seen) < 3 {
		t.Errorf("TensorBoard showed %d distinct partial counts while the writer ran; want new segments to appear on reloads", len(seen))
	}

	// A new run.
	late, err := storage.NewSink(context.Background(), st.Bucket(), st.Key("late"), nil)
	check(t, err)
	w, err = tfevents.NewEventWriter(late, nil)
	check(t, err)
	for step := range int64(5) {
		check(t, w.WriteEvent(liveScalar(step)))
	}
	check(t, w.Close())
	check(t, late.Close())
	if err := s.WaitFor("the late run", func() (bool, error) { return poll("late") == 5, nil }); err != nil {
		t.Fatal(err)
	}
	t.Logf("partial counts seen: %d; %+v", len(seen), sink.Stats())
}
