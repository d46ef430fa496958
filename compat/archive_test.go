//go:build compat

package compat

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/tbgo/tbgo/archive"
	"github.com/tbgo/tbgo/proto/tbpb"
	"github.com/tbgo/tbgo/summary"
	"github.com/tbgo/tbgo/tfevents"
)

// TestArchiveRoundTrip archives the suite's logdir, restores it, and
// checks that every file comes back byte for byte with its mode and
// modification time, and that both of TensorBoard's loaders serve the
// restored logdir exactly as they serve the original: every run, series
// and point, the damaged run included.
func TestArchiveRoundTrip(t *testing.T) {
	setup(t)
	tmp := t.TempDir()
	arc := filepath.Join(tmp, "logdir.tbar")
	rep, err := archive.CreateFile(arc, fx.logdir.Dir, archive.Options{})
	if err != nil {
		t.Fatal(err)
	}
	restored := filepath.Join(tmp, "restored")
	if _, err := archive.Restore(arc, restored, archive.RestoreOptions{}); err != nil {
		t.Fatal(err)
	}
	if n := sameTree(t, fx.logdir.Dir, restored); n != rep.Files {
		t.Errorf("%d files compared, the archive holds %d", n, rep.Files)
	}

	servers := startServers(t, bothLoaders(restored, sentinelsLoaded(fx.logdir.Runs)))
	for i, original := range []string{rustServer, pythonServer} {
		got := serverView(t, servers[i], "restored logdir, "+original)
		checkView(t, fx.logdir, got)
		sameView(t, httpView(t, original), got)
	}
}

// sameTree fails t unless dirs a and b hold the same files and
// directories with the same bytes, permissions and modification times. It
// returns the number of files compared.
func sameTree(t *testing.T, a, b string) int {
	t.Helper()
	files := 0
	var paths []string
	err := filepath.WalkDir(a, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(a, p)
		paths = append(paths, rel)
		ia, err := os.Lstat(p)
		if err != nil {
			return err
		}
		ib, err := os.Lstat(filepath.Join(b, rel))
		if err != nil {
			t.Errorf("%s: %v", rel, err)
			return nil
		}
		if ia.Mode() != ib.Mode() || !ia.ModTime().Equal(ib.ModTime()) {
			t.Errorf("%s: restored with mode %v and time %v, want %v and %v", rel, ib.Mode(), ib.ModTime(), ia.Mode(), ia.ModTime())
		}
		if ia.Mode().IsRegular() {
			files++
			da, _ := os.ReadFile(p)
			db, err := os.ReadFile(filepath.Join(b, rel))
			if err != nil || !bytes.Equal(da, db) {
				t.Errorf("%s: restored bytes differ (%v)", rel, err)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var restoredPaths []string
	filepath.WalkDir(b, func(p string, d fs.DirEntry, err error) error {
		rel, _ := filepath.Rel(b, p)
		restoredPaths = append(restoredPaths, rel)
		return err
	})
	if !slices.Equal(paths, restoredPaths) {
		t.Errorf("restored paths %q, want %q", restoredPaths, paths)
	}
	return files
}

// serverView reads everything a TensorBoard serves over its HTTP API, as
// httpView does for the suite's shared servers.
func serverView(t *testing.T, s *Server, name string) *view {
	t.Helper()
	v := &view{name: name, runsOrdered: true, descHTML: true, series: map[key]*viewSeries{}}
	if err := s.GetJSON("data/runs", nil, &v.runs); err != nil {
		t.Fatal(err)
	}
	httpScalars(t, s, v)
	httpHistograms(t, s, v)
	httpImages(t, s, v)
	httpText(t, s, v)
	return v
}

// sameView fails t unless got serves exactly what want serves. Points are
// compared as printed, so that NaN equals NaN.
func sameView(t *testing.T, want, got *view) {
	t.Helper()
	if !slices.Equal(got.runs, want.runs) {
		t.Errorf("%s: runs %q, %s serves %q", got.name, got.runs, want.name, want.runs)
	}
	for k, ws := range want.series {
		gs := got.series[k]
		if gs == nil {
			t.Errorf("%s: no series %v, which %s serves", got.name, k, want.name)
			continue
		}
		if g, w := fmt.Sprintf("%s %s %s %+v", gs.plugin, gs.displayName, gs.description, gs.points),
			fmt.Sprintf("%s %s %s %+v", ws.plugin, ws.displayName, ws.description, ws.points); g != w {
			t.Errorf("%s: series %v differs from %s's:\n got %.300s\nwant %.300s", got.name, k, want.name, g, w)
		}
	}
	for k := range got.series {
		if want.series[k] == nil {
			t.Errorf("%s: series %v, which %s does not serve", got.name, k, want.name)
		}
	}
}

// TestArchiveCompactionLoads writes a run the way TensorFlow and
// tensorboardX do, with each series' metadata on its first value only,
// compacts it (the last 2 images, every 4th scalar) and restores it: both
// loaders serve exactly the kept steps, the first kept image included,
// though the value that carried the metadata was dropped.
func TestArchiveCompactionLoads(t *testing.T) {
	tmp := t.TempDir()
	logdir := filepath.Join(tmp, "logdir")
	w, err := tfevents.CreateFile(filepath.Join(logdir, "run"), &tfevents.FileOptions{Hostname: "compat"})
	if err != nil {
		t.Fatal(err)
	}
	var pngs [][]byte
	for step := range int64(10) {
		img := image.NewNRGBA(image.Rect(0, 0, 2, 2))
		img.Set(0, 0, color.NRGBA{uint8(20 * step), 0, 0, 255})
		var enc bytes.Buffer
		if err := png.Encode(&enc, img); err != nil {
			t.Fatal(err)
		}
		pngs = append(pngs, enc.Bytes())
		iv, err := summary.ImageValue("img", 2, 2, [][]byte{enc.Bytes()}, summary.Meta{})
		if err != nil {
			t.Fatal(err)
		}
		sv, err := summary.ScalarValue("s", float64(step), summary.Meta{})
		if err != nil {
			t.Fatal(err)
		}
		if step > 0 {
			iv.Metadata, sv.Metadata = nil, nil
		}
		for _, v := range []*tbpb.Summary_Value{iv, sv} {
			ev := &tbpb.Event{WallTime: BaseUnix + float64(step), Step: step, What: &tbpb.Event_Summary{Summary: &tbpb.Summary{Value: []*tbpb.Summary_Value{v}}}}
			if err := w.WriteEvent(ev); err != nil {
				t.Fatal(err)
			}
		}
	}
	sentinel, err := summary.ScalarValue(SentinelTag, 1, summary.Meta{})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.WriteEvent(&tbpb.Event{WallTime: BaseUnix + 100, What: &tbpb.Event_Summary{Summary: &tbpb.Summary{Value: []*tbpb.Summary_Value{sentinel}}}}); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	arc := filepath.Join(tmp, "compact.tbar")
	rep, err := archive.CreateFile(arc, logdir, archive.Options{Compaction: archive.Compaction{KeepImages: 2, ScalarFactor: 4}})
	if err != nil {
		t.Fatal(err)
	}
	if c := rep.Compaction; c.ImagesDropped != 8 || c.ScalarsDropped != 6 {
		t.Fatalf("compaction dropped %d images and %d scalars, want 8 and 6", c.ImagesDropped, c.ScalarsDropped)
	}
	restored := filepath.Join(tmp, "restored")
	if _, err := archive.Restore(arc, restored, archive.RestoreOptions{}); err != nil {
		t.Fatal(err)
	}
	servers := startServers(t, bothLoaders(restored, sentinelsLoaded([]string{"run"})))
	for i, name := range []string{"rust", "python"} {
		v := serverView(t, servers[i], name+" server, compacted")
		if got, want := steps(v.series[key{"run", "s"}].points), []int64{0, 4, 8, 9}; !slices.Equal(got, want) {
			t.Errorf("%s: scalar steps %v, want %v", v.name, got, want)
		}
		imgs := v.series[key{"run", "img"}]
		if imgs == nil {
			t.Errorf("%s: no image series", v.name)
			continue
		}
		if got, want := steps(imgs.points), []int64{8, 9}; !slices.Equal(got, want) {
			t.Errorf("%s: image steps %v, want %v", v.name, got, want)
			continue
		}
		for _, p := range imgs.points {
			if len(p.images) != 1 || !bytes.Equal(p.images[0], pngs[p.step]) {
				t.Errorf("%s: image at step %d is not the one written", v.name, p.step)
			}
		}
	}
}
