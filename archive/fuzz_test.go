package archive

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tbgo/tbgo/summary"
)

// fuzzSeeds returns real archives, plain and compacted, of a small logdir
// with an event file, an asset, an empty file and an empty directory,
// and hand-made hostile ones.
func fuzzSeeds(f *testing.F) [][]byte {
	dir := f.TempDir()
	t0 := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	w, err := summary.NewWriter(filepath.Join(dir, "run"), &summary.Options{Now: func() time.Time { return t0 }})
	if err != nil {
		f.Fatal(err)
	}
	for step := range int64(5) {
		w.Scalar("loss", step, float64(step))
	}
	w.Text("note", 0, "hi")
	if err := w.Close(); err != nil {
		f.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "projector_config.pbtxt"), []byte("embeddings {}\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "run", "empty"), nil, 0o600)
	os.Mkdir(filepath.Join(dir, "empty-dir"), 0o755)
	var seeds [][]byte
	for _, c := range []Compaction{{}, {ScalarFactor: 2}} {
		var b bytes.Buffer
		if _, err := Create(&b, dir, Options{Compaction: c}); err != nil {
			f.Fatal(err)
		}
		seeds = append(seeds, b.Bytes())
	}
	content := []byte("events")
	stored := compress(content)
	seeds = append(seeds,
		craft(stored, manifestOf(fileJSON("../evil", content, stored))),
		craft(nil, manifestOf(`{"path":"l","type":"symlink","mode":511,"mtime":1,"mtime_nsec":0}`)),
		craft(compress(make([]byte, 4096)), manifestOf(fileJSON("bomb", make([]byte, 100), compress(make([]byte, 4096))))),
		withFooter(seeds[0], 1<<64-1, 1<<64-1, 1<<64-1),
	)
	return seeds
}

// FuzzReader opens arbitrary bytes as an archive and reads every file. It
// must never panic; an error must say what kind of damage it is; a file
// that reads without error must have the declared size and SHA-256; a
// path must be safe to join to a directory; and the bytes decompressed
// are bounded by the input's size.
func FuzzReader(f *testing.F) {
	for _, s := range fuzzSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		r, err := NewReader(bytes.NewReader(in), int64(len(in)))
		if err != nil {
			if !errors.Is(err, ErrNotArchive) && !errors.Is(err, ErrVersion) &&
				!errors.Is(err, ErrCorrupt) && !errors.Is(err, ErrUnsafePath) {
				t.Fatalf("error names no kind of damage: %v", err)
			}
			return
		}
		var total int64
		for e := range r.Entries() {
			if e.Path != "." && (strings.HasPrefix(e.Path, "/") || strings.Contains("/"+e.Path+"/", "/../") || strings.ContainsAny(e.Path, "\\\x00")) {
				t.Fatalf("unsafe path %q accepted", e.Path)
			}
			if e.Mode.Type()&^fs.ModeDir != 0 {
				t.Fatalf("%q has mode %v", e.Path, e.Mode)
			}
			if e.IsDir() {
				if _, err := r.ReadDir(e.Path); err != nil {
					t.Fatalf("ReadDir(%q): %v", e.Path, err)
				}
				continue
			}
			total += e.Size
			got, err := fs.ReadFile(r, e.Path)
			if err != nil {
				if !errors.Is(err, ErrCorrupt) {
					t.Fatalf("reading %q: %v, which names no kind of damage", e.Path, err)
				}
				continue
			}
			if int64(len(got)) != e.Size || sha256.Sum256(got) != e.SHA256 {
				t.Fatalf("%q read without error but does not match its entry", e.Path)
			}
			f, _ := r.Open(e.Path)
			mid := make([]byte, len(got)/2)
			if n, err := f.(io.ReaderAt).ReadAt(mid, int64(len(got)/3)); err != nil && err != io.EOF || !bytes.Equal(mid[:n], got[len(got)/3:len(got)/3+n]) {
				t.Fatalf("%q: ReadAt differs from Read (%v)", e.Path, err)
			}
		}
		if total > maxExpansion*int64(len(in)) {
			t.Fatalf("%d bytes declared in a %d-byte archive", total, len(in))
		}
	})
}

// FuzzManifest wraps arbitrary bytes as the manifest of an otherwise valid
// archive, so that the fuzzer works on the JSON rather than on the Snappy
// framing around it.
func FuzzManifest(f *testing.F) {
	content := []byte("events")
	stored := compress(content)
	seeds := []string{
		manifestOf(fileJSON("run/events.out.tfevents.1", content, stored)),
		manifestOf(fileJSON("../x", content, stored)),
		manifestOf(`{"path":"a","type":"dir","mode":493,"mtime":1,"mtime_nsec":0}`, fileJSON("a/b", content, stored)),
		`{"version":1,"compaction":{"keep_images":2},"entries":[]}`,
	}
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, m string) {
		a := craft(stored, m)
		r, err := NewReader(bytes.NewReader(a), int64(len(a)))
		if err != nil {
			if !errors.Is(err, ErrCorrupt) && !errors.Is(err, ErrUnsafePath) {
				t.Fatalf("error names no kind of damage: %v", err)
			}
			return
		}
		for e := range r.Entries() {
			if err := checkPath(e.Path); err != nil && e.Path != "." {
				t.Fatalf("unsafe path %q accepted: %v", e.Path, err)
			}
			if !e.IsDir() {
				if _, err := io.Copy(io.Discard, mustOpen(t, r, e.Path)); err != nil && !errors.Is(err, ErrCorrupt) {
					t.Fatalf("reading %q: %v", e.Path, err)
				}
			}
		}
		if err := checkTree(r); err != nil {
			t.Fatal(err)
		}
	})
}

func mustOpen(t *testing.T, r *Reader, name string) fs.File {
	f, err := r.Open(name)
	if err != nil {
		t.Fatalf("Open(%q) of a listed entry: %v", name, err)
	}
	return f
}

// checkTree walks r and checks that every entry is reachable from the root
// exactly once, through directories.
func checkTree(r *Reader) error {
	seen := map[string]int{}
	err := fs.WalkDir(r, ".", func(p string, d fs.DirEntry, err error) error {
		seen[p]++
		return err
	})
	if err != nil {
		return err
	}
	for e := range r.Entries() {
		if seen[e.Path] != 1 {
			return fmt.Errorf("%q is reached %d times by a walk", e.Path, seen[e.Path])
		}
	}
	return nil
}
