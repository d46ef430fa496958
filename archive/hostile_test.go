package archive

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/golang/snappy"
	"github.com/tbgo/tbgo/internal/hostile"
	"github.com/tbgo/tbgo/tfevents"
)

// The tests in this file build archives by hand, byte by byte where it
// matters, to show that a Reader refuses what Create would never write.

// compress returns data as one Snappy framed stream.
func compress(data []byte) []byte {
	var b bytes.Buffer
	w := snappy.NewBufferedWriter(&b)
	w.Write(data)
	w.Close()
	return b.Bytes()
}

// craft returns an archive with a valid header and footer around the
// given file data and manifest JSON.
func craft(data []byte, manifestJSON string) []byte {
	b := appendHeader(nil)
	b = append(b, data...)
	m := compress([]byte(manifestJSON))
	f := footer{offset: uint64(len(b)), stored: uint64(len(m)), size: uint64(len(manifestJSON))}
	b = append(b, m...)
	return f.append(b)
}

func sum(data []byte) string {
	s := sha256.Sum256(data)
	return hex.EncodeToString(s[:])
}

// fileJSON is the manifest entry of a file stored at offset 16.
func fileJSON(path string, content, stored []byte) string {
	p, _ := json.Marshal(path)
	return fmt.Sprintf(`{"path":%s,"type":"file","mode":420,"mtime":1,"mtime_nsec":0,"size":%d,"sha256":%q,"offset":16,"stored":%d}`,
		p, len(content), sum(content), len(stored))
}

func manifestOf(entries ...string) string {
	return `{"version":1,"entries":[` + strings.Join(entries, ",") + `]}`
}

// withFooter replaces the footer of a with one holding the given fields,
// its checksum recomputed so that only the fields are wrong.
func withFooter(a []byte, offset, stored, size uint64) []byte {
	b := bytes.Clone(a[:len(a)-footerLen])
	return footer{offset, stored, size}.append(b)
}

func TestOpenHostile(t *testing.T) {
	t.Parallel()
	content := []byte("events")
	stored := compress(content)
	good := craft(stored, manifestOf(fileJSON("run/events.out.tfevents.1", content, stored)))
	entry := func(path, typ string) string {
		return manifestOf(fmt.Sprintf(`{"path":%q,"type":%q,"mode":420,"mtime":1,"mtime_nsec":0}`, path, typ))
	}
	onFile := func(path string) []byte { return craft(stored, manifestOf(fileJSON(path, content, stored))) }
	headerFlip := bytes.Clone(good)
	headerFlip[8] = 2 // version 2
	badHeaderCRC := bytes.Clone(good)
	badHeaderCRC[12] ^= 1
	badFooterCRC := bytes.Clone(good)
	badFooterCRC[len(good)-footerLen+24] ^= 1
	bomb := compress(make([]byte, 1000))
	twoOnOne := craft(stored, manifestOf(
		fileJSON("a/events.out.tfevents.1", content, stored),
		fileJSON("b/events.out.tfevents.1", content, stored)))

	tests := []struct {
		desc string
		in   []byte
		want error
		msg  string // a part of the error message
	}{
		{"empty", nil, ErrNotArchive, "shorter than a header"},
		{"not an archive", []byte("PK\x03\x04 a zip file, say, long enough"), ErrNotArchive, "not a tbgo archive"},
		{"future version", headerFlip, ErrVersion, "version 2"},
		{"header checksum", badHeaderCRC, ErrCorrupt, "header checksum"},
		{"truncated", good[:len(good)-1], ErrCorrupt, "no footer"},
		{"header only", good[:headerLen], ErrCorrupt, "too short"},
		{"footer checksum", badFooterCRC, ErrCorrupt, "footer checksum"},
		{"manifest offset near 2^64", withFooter(good, 1<<64-1, 10, 10), ErrCorrupt, "does not end at the footer"},
		{"manifest length near 2^64", withFooter(good, 16, 1<<64-16, 10), ErrCorrupt, "does not end at the footer"},
		{"manifest size near 2^64", withFooter(good, uint64(headerLen+len(stored)), uint64(len(good)-footerLen-headerLen-len(stored)), 1<<64-1), ErrCorrupt, "over the limit"},
		{"manifest bomb", withFooter(good, uint64(headerLen+len(stored)), uint64(len(good)-footerLen-headerLen-len(stored)), MaxManifestSize), ErrCorrupt, "cannot come from"},
		{"manifest size wrong", withFooter(good, uint64(headerLen+len(stored)), uint64(len(good)-footerLen-headerLen-len(stored)), 3), ErrCorrupt, "3 declared"},
		{"manifest not JSON", craft(nil, "{not json"), ErrCorrupt, "does not decode"},
		{"manifest trailing data", craft(nil, `{"version":1,"entries":[]} {}`), ErrCorrupt, "after its end"},
		{"manifest version", craft(nil, `{"version":7,"entries":[]}`), ErrCorrupt, "manifest version 7"},
		{"dot-dot", onFile("../evil"), ErrUnsafePath, "escapes"},
		{"nested dot-dot", onFile("run/../../evil"), ErrUnsafePath, "escapes"},
		{"absolute path", onFile("/etc/cron.d/evil"), ErrUnsafePath, "absolute"},
		{"backslash", onFile(`run\..\..\evil`), ErrUnsafePath, "backslash"},
		{"drive letter", onFile("C:/evil"), ErrUnsafePath, "drive letter"},
		{"NUL byte", onFile("run/a\x00b"), ErrUnsafePath, "NUL"},
		{"unclean path", onFile("run//events"), ErrUnsafePath, "not clean"},
		{"empty path", onFile(""), ErrUnsafePath, "empty path"},
		{"symlink entry", craft(nil, manifestOf(`{"path":"run/link","type":"symlink","target":"/etc/passwd","mode":511,"mtime":1,"mtime_nsec":0}`)), ErrUnsafePath, `type "symlink"`},
		{"hard link entry", craft(nil, entry("run/hard", "hardlink")), ErrUnsafePath, `type "hardlink"`},
		{"device entry", craft(nil, entry("dev/sda", "blockdev")), ErrUnsafePath, `type "blockdev"`},
		{"no type", craft(nil, entry("x", "")), ErrCorrupt, "no type"},
		{"setuid mode", craft(nil, manifestOf(`{"path":"x","type":"dir","mode":2541,"mtime":1,"mtime_nsec":0}`)), ErrUnsafePath, "beyond the permissions"},
		{"nanoseconds", craft(nil, manifestOf(`{"path":"x","type":"dir","mode":493,"mtime":1,"mtime_nsec":1000000000}`)), ErrCorrupt, "mtime_nsec"},
		{"size near 2^64", craft(stored, manifestOf(strings.Replace(fileJSON("f", content, stored), `"size":6`, `"size":18446744073709551615`, 1))), ErrCorrupt, "does not decode"},
		{"stored past the data", craft(stored, manifestOf(strings.Replace(fileJSON("f", content, stored), fmt.Sprintf(`"stored":%d`, len(stored)), `"stored":9223372036854775807`, 1))), ErrCorrupt, "outside the file data"},
		{"negative offset", craft(stored, manifestOf(strings.Replace(fileJSON("f", content, stored), `"offset":16`, `"offset":-16`, 1))), ErrCorrupt, "negative"},
		{"offset in the header", craft(stored, manifestOf(strings.Replace(fileJSON("f", content, stored), `"offset":16`, `"offset":2`, 1))), ErrCorrupt, "outside the file data"},
		{"decompression bomb", craft(bomb, manifestOf(fmt.Sprintf(`{"path":"f","type":"file","mode":420,"mtime":1,"mtime_nsec":0,"size":1099511627776,"sha256":%q,"offset":16,"stored":%d}`, sum(nil), len(bomb)))), ErrCorrupt, "decompression bomb"},
		{"bytes stored in nothing", craft(nil, manifestOf(`{"path":"f","type":"file","mode":420,"mtime":1,"mtime_nsec":0,"size":5,"sha256":"`+sum(nil)+`"}`)), ErrCorrupt, "stored in nothing"},
		{"bad sha256", craft(stored, manifestOf(strings.Replace(fileJSON("f", content, stored), sum(content), "xyz", 1))), ErrCorrupt, "64 hex digits"},
		{"overlapping data", twoOnOne, ErrCorrupt, "overlap"},
		{"repeated path", craft(nil, manifestOf(`{"path":"x","type":"dir","mode":493,"mtime":1,"mtime_nsec":0}`, `{"path":"x","type":"dir","mode":493,"mtime":1,"mtime_nsec":0}`)), ErrCorrupt, "out of order or repeated"},
		{"file holds a file", craft(stored, manifestOf(fileJSON("a", content, stored), `{"path":"a/b","type":"dir","mode":493,"mtime":1,"mtime_nsec":0}`)), ErrCorrupt, "is a file and also holds"},
		{"directory with data", craft(nil, manifestOf(`{"path":"d","type":"dir","mode":493,"mtime":1,"mtime_nsec":0,"size":4}`)), ErrCorrupt, "directory with file fields"},
		{"root is a file", craft(stored, manifestOf(fileJSON(".", content, stored))), ErrCorrupt, "root is not a directory"},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			t.Parallel()
			r, err := NewReader(bytes.NewReader(tt.in), int64(len(tt.in)))
			if !errors.Is(err, tt.want) || !strings.Contains(fmt.Sprint(err), tt.msg) {
				t.Fatalf("NewReader = %v, %v; want an error wrapping %q that says %q", r, err, tt.want, tt.msg)
			}
		})
	}
	if _, err := NewReader(bytes.NewReader(good), int64(len(good))); err != nil {
		t.Fatalf("the good archive the cases are made from does not open: %v", err)
	}
}

// TestReadHostileData opens archives whose manifest is sound but whose
// file data lies, and reads them: the lie surfaces as an error wrapping
// ErrCorrupt from the last Read, never as wrong bytes with io.EOF.
func TestReadHostileData(t *testing.T) {
	t.Parallel()
	content := []byte("the true content of the file")
	stored := compress(content)
	bigZeros := compress(make([]byte, 1<<20))
	damaged := bytes.Clone(stored)
	damaged[len(damaged)-1] ^= 1
	tests := []struct {
		desc     string
		data     []byte
		manifest string
		msg      string
	}{
		{"sha256 mismatch", stored, manifestOf(strings.Replace(fileJSON("f", content, stored), sum(content), sum([]byte("other")), 1)), "sha256 mismatch"},
		{"longer than declared", bigZeros, manifestOf(fmt.Sprintf(`{"path":"f","type":"file","mode":420,"mtime":1,"mtime_nsec":0,"size":1000,"sha256":%q,"offset":16,"stored":%d}`, sum(make([]byte, 1000)), len(bigZeros))), "past its declared size"},
		{"shorter than declared", stored, manifestOf(strings.Replace(fileJSON("f", content, stored), fmt.Sprintf(`"size":%d`, len(content)), fmt.Sprintf(`"size":%d`, len(content)+5), 1)), "stream ends after"},
		{"chunk checksum", damaged, manifestOf(fileJSON("f", content, damaged)), "snappy: corrupt input"},
		{"not snappy", []byte("plain text, not a snappy stream"), manifestOf(fileJSON("f", content, []byte("plain text, not a snappy stream"))), "snappy"},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			t.Parallel()
			a := craft(tt.data, tt.manifest)
			r, err := NewReader(bytes.NewReader(a), int64(len(a)))
			if err != nil {
				t.Fatal(err)
			}
			got, err := fs.ReadFile(r, "f")
			if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("ReadFile = %d bytes, %v; want an error wrapping ErrCorrupt that says %q", len(got), err, tt.msg)
			}
			// The damage is reported in the words of every tbgo reader.
			var d *tfevents.Damage
			if !errors.As(err, &d) || d.Kind != tfevents.BadFileChecksum || d.File != "f" || !errors.Is(err, tfevents.ErrCorrupt) {
				t.Errorf("ReadFile = %v, want a *tfevents.Damage of kind %v in f", err, tfevents.BadFileChecksum)
			}
			if err := r.Check("f"); !errors.Is(err, ErrCorrupt) {
				t.Errorf("Check = %v, want ErrCorrupt", err)
			}
			// Restoring it fails and leaves nothing behind, not even the
			// parents it made for the target.
			tmp := t.TempDir()
			dir := filepath.Join(tmp, "a", "b", "out")
			if _, err := r.Extract(dir, RestoreOptions{}); !errors.Is(err, ErrCorrupt) {
				t.Errorf("Extract = %v, want ErrCorrupt", err)
			}
			if entries, _ := os.ReadDir(tmp); len(entries) != 0 {
				t.Errorf("Extract left %v behind", entries)
			}
		})
	}
}

// TestReadBoundedMemory reads a 64 MiB file out of an archive and checks
// that reading allocates a small constant, not the file's size.
func TestReadBoundedMemory(t *testing.T) {
	content := make([]byte, 64<<20)
	for i := range content {
		content[i] = byte(i / 4096)
	}
	stored := compress(content)
	a := craft(stored, manifestOf(fileJSON("big", content, stored)))
	r, err := NewReader(bytes.NewReader(a), int64(len(a)))
	if err != nil {
		t.Fatal(err)
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f, err := r.Open("big")
	if err != nil {
		t.Fatal(err)
	}
	n, err := io.CopyBuffer(io.Discard, struct{ io.Reader }{f}, make([]byte, 32<<10))
	if err != nil || n != int64(len(content)) {
		t.Fatalf("read %d bytes, %v", n, err)
	}
	runtime.ReadMemStats(&after)
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 1<<20 {
		t.Errorf("reading a %d-byte file allocated %d bytes", len(content), alloc)
	}
}

// TestOpenErrorsNameTheArchive shows that Open's errors name the archive
// once, and still match the error kinds.
func TestOpenErrorsNameTheArchive(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	name := filepath.Join(dir, "bad.tbar")
	content := []byte("events")
	stored := compress(content)
	good := craft(stored, manifestOf(fileJSON("run/f", content, stored)))
	bad := bytes.Clone(good)
	bad[12] ^= 1 // the header checksum
	if err := os.WriteFile(name, bad, 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Open(name)
	if want := "archive: " + name + ": corrupt archive: header checksum mismatch"; !errors.Is(err, ErrCorrupt) || fmt.Sprint(err) != want {
		t.Errorf("Open = %v, want %q", err, want)
	}
	damaged := bytes.Clone(good)
	damaged[headerLen+len(stored)-1] ^= 1 // the file's data
	if err := os.WriteFile(name, damaged, 0o644); err != nil {
		t.Fatal(err)
	}
	r, err := Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var d *tfevents.Damage
	if err := r.Check("run/f"); !errors.As(err, &d) || d.File != name+":run/f" {
		t.Errorf("Check = %v, want damage in %s:run/f", err, name)
	}
}

// TestRestoreHostile restores archives that try to escape the target: each
// is refused before anything is written.
func TestRestoreHostile(t *testing.T) {
	t.Parallel()
	content := []byte("owned")
	stored := compress(content)
	for _, p := range []string{"../escape", "run/../../escape", "/tmp/escape", `..\escape`, "C:escape"} {
		tmp := t.TempDir()
		file := filepath.Join(tmp, "hostile.tbar")
		if err := os.WriteFile(file, craft(stored, manifestOf(fileJSON(p, content, stored))), 0o644); err != nil {
			t.Fatal(err)
		}
		dir := filepath.Join(tmp, "target", "inner")
		_, err := Restore(file, dir, RestoreOptions{})
		if !errors.Is(err, ErrUnsafePath) {
			t.Errorf("%q: Restore = %v, want ErrUnsafePath", p, err)
		}
		if entries, _ := os.ReadDir(tmp); len(entries) != 1 {
			t.Errorf("%q: Restore left %v behind", p, entries)
		}
	}
}

// TestOpenManifestBomb opens small archives whose manifests list a
// million directories and more. Before the manifest was read an entry at a
// time into a compact index, a 10 MB archive with a 64 MiB manifest of two
// million entries took 1.42 GB to open; now that one is refused (it lists
// more than MaxEntries) and one just under the cap holds a few bytes per
// entry.
func TestOpenManifestBomb(t *testing.T) {
	dir := t.TempDir()
	held := func(t *testing.T, name string) (*Reader, uint64, uint64, error) {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		r, err := Open(name)
		runtime.GC()
		runtime.ReadMemStats(&after)
		return r, after.HeapAlloc - min(after.HeapAlloc, before.HeapAlloc), after.TotalAlloc - before.TotalAlloc, err
	}

	over := filepath.Join(dir, "over.tbar")
	hostile.ManifestBomb(t, over, 64<<20)
	_, _, total, err := held(t, over)
	if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "more than 1048576 entries") || !strings.Contains(err.Error(), over) {
		t.Errorf("Open of a 2-million-entry manifest = %v, want it refused for listing too many entries", err)
	}
	if total > 512<<20 {
		t.Errorf("refusing it allocated %d MB", total>>20)
	}

	under := filepath.Join(dir, "under.tbar")
	hostile.ManifestBomb(t, under, 32<<20)
	r, heap, total, err := held(t, under)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	n := 0
	for range r.Entries() {
		n++
	}
	if n < 900_000 {
		t.Fatalf("%d entries, want nearly a million", n)
	}
	t.Logf("%d entries: the open archive holds %d MB (%d bytes per entry), %d MB allocated", n, heap>>20, heap/uint64(n), total>>20)
	if heap > 24*uint64(n) || total > 512<<20 {
		t.Errorf("the open archive holds %d MB (%d bytes per entry) after allocating %d MB", heap>>20, heap/uint64(n), total>>20)
	}
	if _, err := r.Stat("run/" + hostile.FileName); err != nil {
		t.Error(err)
	}
	if err := r.Check("run/" + hostile.FileName); err != nil {
		t.Error(err)
	}
}

// TestImpliedDirectories reads a manifest, not written by Create, that
// lists files without the directories holding them, in an order where
// what a directory holds is not contiguous with its name ("a-b" sorts
// between "a" and "a/..."): the directories exist all the same, each
// listed once, parents before what they hold, and restore.
func TestImpliedDirectories(t *testing.T) {
	t.Parallel()
	empty := func(p string) string {
		return fmt.Sprintf(`{"path":%q,"type":"file","mode":420,"mtime":1,"mtime_nsec":0,"sha256":%q}`, p, sum(nil))
	}
	a := craft(nil, manifestOf(empty("a-b/f"), empty("a/b/c/f"), empty("a/d"), `{"path":"z","type":"dir","mode":448,"mtime":1,"mtime_nsec":0}`))
	r, err := NewReader(bytes.NewReader(a), int64(len(a)))
	if err != nil {
		t.Fatal(err)
	}
	var all []string
	for e := range r.Entries() {
		all = append(all, e.Path)
	}
	if want := []string{".", "a-b", "a-b/f", "a", "a/b", "a/b/c", "a/b/c/f", "a/d", "z"}; !slices.Equal(all, want) {
		t.Errorf("Entries = %q, want %q", all, want)
	}
	var back []string
	for e := range r.ix.backward() {
		back = append(back, e.Path)
	}
	slices.Reverse(back)
	if !slices.Equal(back, all) {
		t.Errorf("backward, reversed = %q, want %q", back, all)
	}
	for dir, want := range map[string][]string{".": {"a", "a-b", "z"}, "a": {"b", "d"}, "a/b": {"c"}, "z": nil} {
		list, err := r.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, d := range list {
			names = append(names, d.Name())
			info, err := d.Info()
			if err != nil || info.IsDir() != d.IsDir() || info.Name() != d.Name() {
				t.Errorf("%s/%s: Info %v, %v disagrees with the entry", dir, d.Name(), info, err)
			}
		}
		if !slices.Equal(names, want) {
			t.Errorf("ReadDir(%q) = %q, want %q", dir, names, want)
		}
	}
	if info, err := r.Stat("a/b"); err != nil || !info.IsDir() || info.Mode().Perm() != 0o755 {
		t.Errorf("Stat(a/b) = %v, %v; want a 0755 directory", info, err)
	}
	if _, err := r.Stat("a/b/x"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Stat(a/b/x) = %v, want ErrNotExist", err)
	}
	if err := checkTree(r); err != nil {
		t.Error(err)
	}
	out := filepath.Join(t.TempDir(), "out")
	if _, err := r.Extract(out, RestoreOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(out, "a", "b", "c", "f")); err != nil {
		t.Error(err)
	}
}
