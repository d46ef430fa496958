//go:build compat

package compat

import (
	"fmt"
	"image/color"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/tbgo/tbgo/archive"
	"github.com/tbgo/tbgo/summary"
)

// writeArchiveLogdir writes the browser test's logdir (HParams trials and
// a graph) plus a run of scalars and images, and archives it as
// logdir.tbar beside it.
func writeArchiveLogdir(t *testing.T) (logdir, tbar string) {
	t.Helper()
	dir := t.TempDir()
	logdir = filepath.Join(dir, "logdir")
	if err := writeBrowserLogdir(logdir); err != nil {
		t.Fatal(err)
	}
	w, err := summary.NewWriter(filepath.Join(logdir, "pictures"), nil)
	if err != nil {
		t.Fatal(err)
	}
	for step := range int64(3) {
		if err := w.Scalar("archived_loss", step, 1/float64(step+1)); err != nil {
			t.Fatal(err)
		}
		if err := w.Image("archived_digits", step, pattern(28+int(step), 28)); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Image("archived_swatch", 0, uniform(16, 16, color.NRGBA{200, 30, 30, 255})); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	tbar = filepath.Join(dir, "logdir.tbar")
	if _, err := archive.CreateFile(tbar, logdir, archive.Options{}); err != nil {
		t.Fatal(err)
	}
	return logdir, tbar
}

// TestDataServerServesArchives is a deliberate difference: RustBoard
// cannot read an archive, tbgo-data-server serves one in place, with the
// same answers as the directory it was made of (RustBoard serving that
// directory).
func TestDataServerServesArchives(t *testing.T) {
	logdir, tbar := writeArchiveLogdir(t)
	ours := startDataServer(t, "tbgo-data-server", tbgoDataServer(t), tbar, "--reload=once", "--checksum", keepAll)
	theirs := startDataServer(t, "rustboard", rustBoard(t), logdir, "--reload=once", "--checksum", keepAll)
	r := diffServers(t, diffConfig{}, ours, theirs, nil)
	checkReport(t, r, 300)
}

// TestBrowserArchive opens Scalars, Images, HParams and Graphs in headless
// Chromium from a stock TensorBoard that reads a .tbar archive through
// tbgo-data-server (TENSORBOARD_DATA_SERVER_BINARY), and fails unless each
// page shows the archived data.
func TestBrowserArchive(t *testing.T) {
	_, tbar := writeArchiveLogdir(t)
	browseThroughTbgo(t, "archive", tbar)
}

// browseThroughTbgo opens Scalars, Images, HParams and Graphs in headless
// Chromium from a stock TensorBoard that reads logdir (writeArchiveLogdir's
// logdir, in an archive or a bucket) through tbgo-data-server
// (TENSORBOARD_DATA_SERVER_BINARY), and fails unless each page shows the
// data. Screenshots are named after kind.
func browseThroughTbgo(t *testing.T, kind, logdir string) {
	t.Helper()
	venv, err := Venv()
	if err != nil {
		t.Fatalf("compat: %v", err)
	}
	chromium, err := findChromium()
	if err != nil {
		t.Fatalf("compat: %v", err)
	}
	shots := os.Getenv("TBGO_ARTIFACTS")
	if shots == "" {
		shots = t.TempDir()
	} else if err := os.MkdirAll(shots, 0o755); err != nil {
		t.Fatal(err)
	}
	bin := tbgoDataServer(t)
	specs := []serverSpec{{"tbgo-" + kind, ServerOptions{Logdir: logdir, Fast: true, DataServer: bin}, func(s *Server) (bool, error) {
		if !running(bin, "--logdir="+logdir) {
			return false, fmt.Errorf("no %s --logdir=%s is running", bin, logdir)
		}
		var runs []string
		err := s.GetJSON("data/runs", nil, &runs)
		return len(runs) == 6, err // ".", three trials, "model" and "pictures"
	}}}
	s := startServers(t, specs)[0]
	pages := []struct {
		desc     string
		fragment string
		expected []string
	}{
		{"scalars dashboard", "#scalars", []string{"archived_loss", "val_accuracy", "pictures"}},
		{"images dashboard", "#images", []string{"archived_digits", "archived_swatch", "pictures"}},
		{"hparams table", "#hparams", []string{"optimizer", "learning_rate", "adam", "sgd", "rmsprop", "0.9125", "0.875"}},
		{"graphs dashboard", "#graphs&run=model", []string{"dense1", "dense2", "softmax"}},
	}
	var wg sync.WaitGroup
	for _, p := range pages {
		wg.Go(func() {
			shot := filepath.Join(shots, fmt.Sprintf("%s-%s.png", kind, p.fragment[1:7]))
			if err := browse(venv, chromium, s.URL+p.fragment, shot, p.expected); err != nil {
				t.Errorf("%s from %s: %v", p.desc, logdir, err)
			}
		})
	}
	wg.Wait()
}
