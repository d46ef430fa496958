//go:build compat

package compat

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/tbgo/tbgo/proto/tbpb"
	"github.com/tbgo/tbgo/summary"
	"github.com/tbgo/tbgo/summary/runinfo"
	"github.com/tbgo/tbgo/tfevents"
)

// keepAll is a --samples-per-plugin that keeps every point of every plugin
// the suite writes.
const keepAll = "--samples-per-plugin=scalars=all,histograms=all,images=all,audio=all,text=all," +
	"pr_curves=all,hparams=all,custom_scalars=all,mesh=all,graphs=all,graph_tagged_run_metadata=all," +
	"graph_run_metadata=all,graph_run_metadata_graph=all,graph_keras_model=all"

// sampleFew makes both servers sample: fewer points kept than written.
const sampleFew = "--samples-per-plugin=scalars=3,histograms=2,images=1,text=1,audio=1,pr_curves=1"

// diffLogdir is every logdir the suite writes, each in its own
// subdirectory of one logdir, and the deliberate differences its series
// show.
type diffLogdir struct {
	dir string
	cfg diffConfig
}

var diffFixture struct {
	once sync1
	l    *diffLogdir
}

// sync1 is a sync.Once whose result a failed test can report.
type sync1 struct {
	done bool
	err  error
}

// writeDiffLogdir writes, under one directory: the suite's main logdir
// (with its damaged run), the browser's, the model dashboards', both
// HParams sweeps, the media and projector logdirs, a run directory written
// twice and a run whose file ends in a torn record, and logdirs written by
// tensorboardX and by PyTorch (when its venv is there).
func writeDiffLogdir(t *testing.T) *diffLogdir {
	t.Helper()
	f := &diffFixture
	if f.once.done {
		if f.once.err != nil {
			t.Fatal(f.once.err)
		}
		return f.l
	}
	f.once.done = true
	tmp, err := os.MkdirTemp("", "tbgo-diff-")
	if err != nil {
		t.Fatal(err)
	}
	l := &diffLogdir{dir: filepath.Join(tmp, "logdir")}
	sub := func(name string) string { return filepath.Join(l.dir, name) }
	fail := func(err error) {
		if err != nil && f.once.err == nil {
			f.once.err = err
		}
	}
	_, err = WriteLogdir(sub("main"))
	fail(err)
	fail(writeBrowserLogdir(sub("browser")))
	_, err = writeGraphRun(sub("models"))
	fail(err)
	_, err = writePRCurveRun(sub("models"))
	fail(err)
	_, err = writeCustomScalarRuns(sub("models"))
	fail(err)
	info, err := runinfo.Collect(map[string]any{"batch": 32})
	fail(err)
	if err == nil {
		writeDeclaredSweep(t, sub("hp-declared"), info)
		writeInferredSweep(t, sub("hp-inferred"), info)
	}
	m := writeMediaLogdir(t)
	fail(os.CopyFS(sub("media"), os.DirFS(m.dir)))
	writeProjectorLogdir(t, sub("projector"))

	fail(writeReusedAndTorn(sub("reused"), sub("torn")))

	venv, err := Venv()
	fail(err)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	_, err = Python(ctx, venv, "write_tensorboardx.py", nil, sub("tensorboardx"))
	fail(err)
	torch, err := TorchVenv()
	switch {
	case errors.Is(err, ErrNoTorch):
		t.Log(err)
	case err != nil:
		fail(err)
	default:
		_, err = Python(ctx, torch, "write_pytorch.py", nil, sub("pytorch"))
		fail(err)
		// PyTorch's double_precision scalars are DT_DOUBLE tensors, which
		// TensorBoard's data server hides and its Python loader shows.
		l.cfg.DoubleScalars = append(l.cfg.DoubleScalars, [2]string{"pytorch", "exact"})
	}
	if f.once.err != nil {
		t.Fatal(f.once.err)
	}
	f.l = l
	return l
}

// TestDataServerMatchesRustBoard serves every logdir the suite writes with
// tbgo-data-server and with TensorBoard's Rust data server, both keeping
// every point and verifying checksums, calls every RPC on both with
// TensorBoard's own stubs (every plugin, run and tag filters absent, empty
// and naming, downsampling to all, 0, 1, 2 and 5 points, every blob, and
// requests that must fail) and requires equal answers, but for the
// deliberate differences of docs/DATASERVER.md.
func TestDataServerMatchesRustBoard(t *testing.T) {
	l := writeDiffLogdir(t)
	ours := startDataServer(t, "tbgo-data-server", tbgoDataServer(t), l.dir, "--reload=once", "--checksum", keepAll)
	theirs := startDataServer(t, "rustboard", rustBoard(t), l.dir, "--reload=once", "--checksum", keepAll)
	r := diffServers(t, l.cfg, ours, theirs, nil)
	checkReport(t, r, 1000)
	// tensorboardX writes legacy histograms: the deliberate difference of
	// TestDifferenceLegacyHistograms must have been met, and accounted for.
	if !slices.Contains(r.Notes, "legacy histogram compared trimmed") {
		t.Errorf("no legacy histogram was compared: notes %q", r.Notes)
	}
}

// TestDataServerSamplesLikeRustBoard serves the same logdirs with both
// servers sampling few points per series: counts and last points must be
// equal and every point served must be one of the logdir's (as RustBoard
// keeping everything serves them).
func TestDataServerSamplesLikeRustBoard(t *testing.T) {
	l := writeDiffLogdir(t)
	ours := startDataServer(t, "tbgo-data-server", tbgoDataServer(t), l.dir, "--reload=once", "--checksum", sampleFew)
	theirs := startDataServer(t, "rustboard", rustBoard(t), l.dir, "--reload=once", "--checksum", sampleFew)
	source := startDataServer(t, "rustboard-all", rustBoard(t), l.dir, "--reload=once", "--checksum", keepAll)
	r := diffServers(t, l.cfg, ours, theirs, source)
	checkReport(t, r, 1000)
}

// writeReusedAndTorn writes a run directory used by two writers one after
// the other (the second's lower steps preempt the first's), and a run whose
// last record is cut in half, as a writer killed mid-write leaves it.
func writeReusedAndTorn(reused, torn string) error {
	clock := time.Unix(1_700_000_000, 0)
	now := func() time.Time { clock = clock.Add(time.Second); return clock }
	for session, steps := range []int64{8, 3} {
		w, err := summary.NewWriter(reused, &summary.Options{Now: now})
		if err != nil {
			return err
		}
		if err := w.StartSession(map[string]any{"session": session}, nil); err != nil {
			return err
		}
		for step := range steps {
			if err := w.Scalar("loss", step, float64(10*session)+float64(step)); err != nil {
				return err
			}
		}
		if err := w.Close(); err != nil {
			return err
		}
	}
	w, err := summary.NewWriter(torn, &summary.Options{Now: now})
	if err != nil {
		return err
	}
	for step := range int64(10) {
		if err := w.Scalar("loss", step, float64(step)); err != nil {
			return err
		}
	}
	if err := w.Close(); err != nil {
		return err
	}
	info, err := os.Stat(w.FileName())
	if err != nil {
		return err
	}
	return os.Truncate(w.FileName(), info.Size()-10)
}

// TestDataServerReloadsLikeRustBoard serves a live logdir with both
// servers reloading every second, then changes it (points appended to a
// file, a new file in a run, a new run, a run deleted, half a record
// appended): after the next cycles both serve the same answers again.
func TestDataServerReloadsLikeRustBoard(t *testing.T) {
	logdir := t.TempDir()
	clock := time.Unix(1_700_000_000, 0)
	now := func() time.Time { clock = clock.Add(time.Second); return clock }
	writer := func(run string) *summary.Writer {
		w, err := summary.NewWriter(filepath.Join(logdir, run), &summary.Options{Now: now})
		if err != nil {
			t.Fatal(err)
		}
		return w
	}
	scalars := func(w *summary.Writer, from, to int64) {
		for step := from; step < to; step++ {
			if err := w.Scalar("loss", step, float64(step)); err != nil {
				t.Fatal(err)
			}
		}
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
	}
	live, gone := writer("live"), writer("gone")
	scalars(live, 0, 5)
	scalars(gone, 0, 5)
	if err := gone.Close(); err != nil {
		t.Fatal(err)
	}
	ours := startDataServer(t, "tbgo-data-server", tbgoDataServer(t), logdir, "--reload=1", keepAll)
	theirs := startDataServer(t, "rustboard", rustBoard(t), logdir, "--reload=1", keepAll)

	scalars(live, 5, 12)
	second := writer("live")
	scalars(second, 20, 25)
	fresh := writer("fresh")
	scalars(fresh, 0, 3)
	if err := os.RemoveAll(filepath.Join(logdir, "gone")); err != nil {
		t.Fatal(err)
	}
	for _, w := range []*summary.Writer{live, second, fresh} {
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
	}
	// Half a record, as a writer leaves it mid-write: both wait for the rest.
	rec, err := proto.Marshal(&tbpb.Event{WallTime: 1.8e9, Step: 99, What: &tbpb.Event_Summary{Summary: &tbpb.Summary{
		Value: []*tbpb.Summary_Value{{Tag: "loss", Value: &tbpb.Summary_Value_SimpleValue{SimpleValue: 99}}}}}})
	if err != nil {
		t.Fatal(err)
	}
	framed := tfevents.AppendRecord(nil, rec)
	f, err := os.OpenFile(second.FileName(), os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write(framed[:len(framed)/2]); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	// Wait until both have seen it all: the new run's points.
	for _, s := range []*dataServer{ours, theirs} {
		deadline := time.Now().Add(30 * time.Second)
		for {
			if steps, _, _ := readScalars(t, s, "fresh", "loss"); len(steps) == 3 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s did not load the new run within 30 s", s.name)
			}
			time.Sleep(200 * time.Millisecond)
		}
	}
	time.Sleep(2500 * time.Millisecond) // two more cycles: the deleted run is gone from both
	r := diffServers(t, diffConfig{}, ours, theirs, nil)
	checkReport(t, r, 100)
	if steps, _, _ := readScalars(t, ours, "live", "loss"); len(steps) != 17 {
		t.Errorf("run live: steps %v, want 0..11 and 20..24", steps)
	}
}
