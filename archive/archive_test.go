package archive_test

import (
	"bytes"
	"errors"
	"image"
	"image/color"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/tbgo/tbgo/archive"
	"github.com/tbgo/tbgo/summary"
	"github.com/tbgo/tbgo/tfevents"
)

// fixedClock returns a clock that starts at a fixed time and advances a
// quarter second per reading, so event files are the same on every run.
func fixedClock() func() time.Time {
	t := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	return func() time.Time {
		t = t.Add(250 * time.Millisecond)
		return t
	}
}

// logdirSpec sizes the logdir writeLogdir makes.
type logdirSpec struct {
	scalars, images, audio int
}

var smallLogdir = logdirSpec{scalars: 100, images: 10, audio: 5}

// writeLogdir writes a logdir with two runs (scalars, images, audio and
// text), projector assets, an empty file, an empty directory and files with
// unusual permissions, every one with a modification time to the
// nanosecond.
func writeLogdir(t testing.TB, dir string, spec logdirSpec) {
	t.Helper()
	w, err := summary.NewWriter(filepath.Join(dir, "train"), &summary.Options{Now: fixedClock(), FlushInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	img := image.NewNRGBA(image.Rect(0, 0, 4, 3))
	for step := range int64(spec.scalars) {
		must(t, w.Scalar("loss", step, 1/float64(step+1)))
		must(t, w.Scalar("lr", step, 0.1))
	}
	for step := range int64(spec.images) {
		img.Set(int(step)%4, 0, color.NRGBA{uint8(step), 0, 0, 255})
		must(t, w.Image("img", step, img))
	}
	for step := range int64(spec.audio) {
		must(t, w.Audio("clip", step, 8000, summary.Clip{Samples: []float32{0, float32(step) / 10, -0.5}}))
	}
	must(t, w.Text("notes", 0, "hello *world*"))
	must(t, w.Close())

	e, err := summary.NewWriter(filepath.Join(dir, "eval"), &summary.Options{Now: fixedClock(), FlushInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	for step := range int64(10) {
		must(t, e.Scalar("acc", step*10, float64(step)/10))
	}
	must(t, e.Close())

	files := []struct {
		name string
		data string
		mode fs.FileMode
	}{
		{"projector_config.pbtxt", "embeddings {\n  tensor_name: \"emb\"\n}\n", 0o644},
		{"train/assets/metadata.tsv", "label\ncat\ndog\n", 0o600},
		{"train/empty.txt", "", 0o444},
		{"run.sh", "#!/bin/sh\n", 0o755},
	}
	for _, f := range files {
		p := filepath.Join(dir, filepath.FromSlash(f.name))
		must(t, os.MkdirAll(filepath.Dir(p), 0o755))
		must(t, os.WriteFile(p, []byte(f.data), f.mode))
		must(t, os.Chmod(p, f.mode))
	}
	must(t, os.Mkdir(filepath.Join(dir, "empty-dir"), 0o750))
	stamp := time.Date(2024, 6, 1, 12, 0, 0, 123456789, time.UTC)
	must(t, filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		stamp = stamp.Add(time.Second + 7)
		return os.Chtimes(p, stamp, stamp)
	}))
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// treeEntry is what compareTrees compares of a file or directory.
type treeEntry struct {
	mode    fs.FileMode
	modTime time.Time
	data    []byte
}

func readTree(t testing.TB, dir string) map[string]treeEntry {
	t.Helper()
	tree := map[string]treeEntry{}
	must(t, filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		info, err := os.Lstat(p)
		if err != nil {
			return err
		}
		te := treeEntry{mode: info.Mode(), modTime: info.ModTime()}
		if info.Mode().IsRegular() {
			if te.data, err = os.ReadFile(p); err != nil {
				return err
			}
		}
		tree[filepath.ToSlash(rel)] = te
		return nil
	}))
	return tree
}

// compareTrees fails t unless dirs a and b hold the same paths with the
// same bytes, permissions and modification times.
func compareTrees(t testing.TB, a, b string) {
	t.Helper()
	ta, tb := readTree(t, a), readTree(t, b)
	for p, ea := range ta {
		eb, ok := tb[p]
		switch {
		case !ok:
			t.Errorf("%s: missing after restore", p)
		case ea.mode != eb.mode:
			t.Errorf("%s: mode %v, want %v", p, eb.mode, ea.mode)
		case !ea.modTime.Equal(eb.modTime):
			t.Errorf("%s: mtime %v, want %v", p, eb.modTime, ea.modTime)
		case !bytes.Equal(ea.data, eb.data):
			t.Errorf("%s: %d bytes differ from the original %d", p, len(eb.data), len(ea.data))
		}
	}
	for p := range tb {
		if _, ok := ta[p]; !ok {
			t.Errorf("%s: restored but not in the original", p)
		}
	}
}

func TestRoundTrip(t *testing.T) {
	t.Parallel()
	tmp := t.TempDir()
	logdir := filepath.Join(tmp, "logdir")
	writeLogdir(t, logdir, smallLogdir)
	arc := filepath.Join(tmp, "out.tbar")
	rep, err := archive.CreateFile(arc, logdir, archive.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Files != 6 || rep.Compaction != nil || len(rep.Skipped) != 0 {
		t.Errorf("report %+v, want 6 files, no compaction, nothing skipped", rep)
	}
	if info, err := os.Stat(arc); err != nil || info.Size() != rep.BytesOut {
		t.Errorf("archive is %v bytes (err %v), report says %d", info.Size(), err, rep.BytesOut)
	}
	if rep.BytesIn != rep.BytesStored {
		t.Errorf("BytesIn %d != BytesStored %d without compaction", rep.BytesIn, rep.BytesStored)
	}
	if ok, err := archive.IsArchive(arc); !ok || err != nil {
		t.Errorf("IsArchive = %v, %v, want true", ok, err)
	}
	restored := filepath.Join(tmp, "restored")
	rr, err := archive.Restore(arc, restored, archive.RestoreOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if rr.Files != rep.Files || rr.Bytes != rep.BytesIn {
		t.Errorf("restore report %+v, archive report %+v", rr, rep)
	}
	compareTrees(t, logdir, restored)
	if left := leftovers(t, tmp); len(left) > 0 {
		t.Errorf("temporary files left behind: %v", left)
	}
}

// leftovers lists temporary files under dir.
func leftovers(t testing.TB, dir string) []string {
	var left []string
	must(t, filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && strings.Contains(d.Name(), ".tmp") {
			left = append(left, p)
		}
		return err
	}))
	return left
}

// TestFS checks the Reader against testing/fstest: every file opens,
// reads, seeks and stats as fs.FS requires, and directories list sorted.
func TestFS(t *testing.T) {
	t.Parallel()
	tmp := t.TempDir()
	logdir := filepath.Join(tmp, "logdir")
	writeLogdir(t, logdir, smallLogdir)
	arc := filepath.Join(tmp, "out.tbar")
	if _, err := archive.CreateFile(arc, logdir, archive.Options{}); err != nil {
		t.Fatal(err)
	}
	r, err := archive.Open(arc)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var want []string
	for p, te := range readTree(t, logdir) {
		if p != "." {
			want = append(want, p)
		}
		if te.mode.IsRegular() {
			got, err := fs.ReadFile(r, p)
			if err != nil || !bytes.Equal(got, te.data) {
				t.Errorf("ReadFile(%q) = %d bytes, %v; want the original %d bytes", p, len(got), err, len(te.data))
			}
		}
	}
	slices.Sort(want)
	if err := fstest.TestFS(r, want...); err != nil {
		t.Error(err)
	}
	// The os.DirFS of the logdir and the archive agree on every listing.
	var fromDisk, fromArchive []string
	fs.WalkDir(os.DirFS(logdir), ".", func(p string, d fs.DirEntry, err error) error {
		fromDisk = append(fromDisk, p+" "+d.Type().String())
		return err
	})
	fs.WalkDir(r, ".", func(p string, d fs.DirEntry, err error) error {
		fromArchive = append(fromArchive, p+" "+d.Type().String())
		return err
	})
	if !slices.Equal(fromDisk, fromArchive) {
		t.Errorf("archive walk\n%v\ndisk walk\n%v", fromArchive, fromDisk)
	}
	// Event files read through tfevents straight from the archive.
	runs := 0
	fs.WalkDir(r, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || !tfevents.IsEventFile(d.Name()) {
			return err
		}
		runs++
		f, err := r.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		sc := tfevents.NewScanner(f)
		sc.Name, sc.Strict = p, true
		for sc.Scan() {
		}
		if err := sc.Err(); err != nil || sc.Damages() != 0 {
			t.Errorf("%s: %v, %d damaged parts", p, err, sc.Damages())
		}
		return nil
	})
	if runs != 2 {
		t.Errorf("%d event files in the archive, want 2", runs)
	}
}

// TestSeek reads a file from an offset after seeking both ways, and still
// gets its checksum checked at the end.
func TestSeek(t *testing.T) {
	t.Parallel()
	tmp := t.TempDir()
	logdir := filepath.Join(tmp, "logdir")
	writeLogdir(t, logdir, logdirSpec{scalars: 10000, images: 10, audio: 5}) // about 1.5 MB of events
	arc := filepath.Join(tmp, "out.tbar")
	if _, err := archive.CreateFile(arc, logdir, archive.Options{}); err != nil {
		t.Fatal(err)
	}
	r, err := archive.Open(arc)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var name string
	for e := range r.Entries() {
		if strings.HasPrefix(e.Path, "train/events") {
			name = e.Path
		}
	}
	want, err := os.ReadFile(filepath.Join(logdir, name))
	if err != nil {
		t.Fatal(err)
	}
	f, err := r.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	s := f.(io.ReadSeeker)
	size := int64(len(want))
	tests := []struct {
		desc   string
		read   int64 // bytes read before seeking
		off    int64
		whence int
		at     int64
	}{
		{"forward", 0, 10000, io.SeekStart, 10000},
		{"back to the start", 5000, 0, io.SeekStart, 0},
		{"from the end", 100, -10, io.SeekEnd, size - 10},
		{"relative back", 9000, -50, io.SeekCurrent, 8950},
		{"relative forward", 10, 50, io.SeekCurrent, 60},
		{"past the end", 0, size + 5, io.SeekStart, size + 5},
	}
	for _, tt := range tests {
		if _, err := s.Seek(0, io.SeekStart); err != nil {
			t.Fatal(err)
		}
		if _, err := io.CopyN(io.Discard, s, tt.read); err != nil {
			t.Fatal(err)
		}
		at, err := s.Seek(tt.off, tt.whence)
		if err != nil || at != tt.at {
			t.Fatalf("%s: Seek = %d, %v, want %d", tt.desc, at, err, tt.at)
		}
		got, err := io.ReadAll(s)
		from := min(tt.at, size)
		if err != nil || !bytes.Equal(got, want[from:]) {
			t.Errorf("%s: read %d bytes, %v; want the last %d", tt.desc, len(got), err, size-from)
		}
	}
	if _, err := s.Seek(-1, io.SeekStart); err == nil {
		t.Error("Seek to -1 succeeded")
	}

	// ReadAt, forwards, a little back (within its window), far back
	// (restarting), and over the end.
	ra := f.(io.ReaderAt)
	reads := []struct {
		desc string
		off  int64
		n    int
	}{
		{"start", 0, 100},
		{"forward", 200000, 5000},
		{"a little back", 199990, 30},
		{"far back", 10, 10},
		{"across window slides", 1000, 300000},
		{"over the end", size - 5, 10},
	}
	for _, rd := range reads {
		p := make([]byte, rd.n)
		n, err := ra.ReadAt(p, rd.off)
		end := min(rd.off+int64(rd.n), size)
		if !bytes.Equal(p[:n], want[rd.off:end]) || (end < rd.off+int64(rd.n)) != (err == io.EOF) {
			t.Errorf("ReadAt %s: %d bytes, %v; want %d bytes", rd.desc, n, err, end-rd.off)
		}
	}
	// ReadAt does not move Read.
	if _, err := s.Seek(7, io.SeekStart); err != nil {
		t.Fatal(err)
	}
	ra.ReadAt(make([]byte, 10), 50000)
	if rest, err := io.ReadAll(s); err != nil || !bytes.Equal(rest, want[7:]) {
		t.Errorf("Read after ReadAt: %d bytes, %v", len(rest), err)
	}
}

func TestCreateNoEventFiles(t *testing.T) {
	t.Parallel()
	tmp := t.TempDir()
	logdir := filepath.Join(tmp, "logdir")
	must(t, os.MkdirAll(filepath.Join(logdir, "run"), 0o755))
	must(t, os.WriteFile(filepath.Join(logdir, "run", "notes.txt"), []byte("x"), 0o644))
	arc := filepath.Join(tmp, "out.tbar")
	_, err := archive.CreateFile(arc, logdir, archive.Options{})
	if !errors.Is(err, tfevents.ErrNoEventFiles) {
		t.Errorf("CreateFile of a logdir without event files: %v, want ErrNoEventFiles", err)
	}
	if entries, _ := os.ReadDir(tmp); len(entries) != 1 {
		t.Errorf("CreateFile left files behind: %v", entries)
	}
}

// TestConcurrentReads reads every file of one Reader from many goroutines
// at once (run with -race).
func TestConcurrentReads(t *testing.T) {
	t.Parallel()
	tmp := t.TempDir()
	logdir := filepath.Join(tmp, "logdir")
	writeLogdir(t, logdir, smallLogdir)
	arc := filepath.Join(tmp, "out.tbar")
	if _, err := archive.CreateFile(arc, logdir, archive.Options{}); err != nil {
		t.Fatal(err)
	}
	r, err := archive.Open(arc)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	tree := readTree(t, logdir)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for p, te := range tree {
				if !te.mode.IsRegular() {
					continue
				}
				if got, err := fs.ReadFile(r, p); err != nil || !bytes.Equal(got, te.data) {
					t.Errorf("%s: %d bytes, %v", p, len(got), err)
				}
			}
		})
	}
	wg.Wait()
}

// TestCreateWriteError writes archives into writers that fail after n
// bytes: Create returns the writer's error.
func TestCreateWriteError(t *testing.T) {
	t.Parallel()
	logdir := filepath.Join(t.TempDir(), "logdir")
	writeLogdir(t, logdir, smallLogdir)
	var full bytes.Buffer
	if _, err := archive.Create(&full, logdir, archive.Options{}); err != nil {
		t.Fatal(err)
	}
	for _, n := range []int{0, 10, 1000, full.Len() - 41, full.Len() - 1} {
		_, err := archive.Create(&failingWriter{n: n}, logdir, archive.Options{})
		if !errors.Is(err, errDiskFull) {
			t.Errorf("writer failing after %d bytes: Create = %v, want errDiskFull", n, err)
		}
	}
}

var errDiskFull = errors.New("disk full")

// failingWriter accepts n bytes, then fails.
type failingWriter struct{ n int }

func (w *failingWriter) Write(p []byte) (int, error) {
	if len(p) <= w.n {
		w.n -= len(p)
		return len(p), nil
	}
	k := w.n
	w.n = 0
	return k, errDiskFull
}

// TestCreateProgress: Progress counts every file's bytes, ending at the
// total, and never goes back.
func TestCreateProgress(t *testing.T) {
	t.Parallel()
	tmp := t.TempDir()
	logdir := filepath.Join(tmp, "logdir")
	writeLogdir(t, logdir, smallLogdir)
	var calls int
	var last, total int64
	rep, err := archive.CreateFile(filepath.Join(tmp, "out.tbar"), logdir, archive.Options{
		Progress: func(done, all int64) {
			if done < last || done > all {
				t.Errorf("progress %d of %d after %d", done, all, last)
			}
			calls, last, total = calls+1, done, all
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	if calls != rep.Files || last != rep.BytesIn || total != rep.BytesIn {
		t.Errorf("%d calls ending at %d of %d; want %d calls ending at %d of %d", calls, last, total, rep.Files, rep.BytesIn, rep.BytesIn)
	}
}
