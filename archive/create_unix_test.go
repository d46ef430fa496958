//go:build unix

package archive_test

import (
	"bytes"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/tbgo/tbgo/archive"
	"github.com/tbgo/tbgo/internal/hostile"
)

// TestCreateLinksAndSpecialFiles archives a logdir with symbolic links (to
// a run outside it, to a file, back to an ancestor, to nothing), a named
// pipe, and the archive itself inside it.
func TestCreateLinksAndSpecialFiles(t *testing.T) {
	t.Parallel()
	tmp := t.TempDir()
	logdir := filepath.Join(tmp, "logdir")
	writeLogdir(t, logdir, smallLogdir)
	elsewhere := filepath.Join(tmp, "elsewhere")
	writeLogdir(t, elsewhere, logdirSpec{scalars: 3})
	links := map[string]string{
		"linked-run":  filepath.Join(elsewhere, "eval"),
		"linked-file": filepath.Join(elsewhere, "run.sh"),
		"train/loop":  logdir,
		"dangling":    filepath.Join(tmp, "nothing"),
	}
	for name, target := range links {
		must(t, os.Symlink(target, filepath.Join(logdir, name)))
	}
	must(t, syscall.Mkfifo(filepath.Join(logdir, "pipe"), 0o644))

	// An old archive at the destination is replaced, not archived.
	arc := filepath.Join(logdir, "self.tbar")
	must(t, os.WriteFile(arc, []byte("an older archive"), 0o644))
	rep, err := archive.CreateFile(arc, logdir, archive.Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{ // path prefix: reason
		"dangling":    "dangling symbolic link",
		"pipe":        "not a regular file",
		".self.tbar.": "the archive being written",
		"self.tbar":   "the archive being written",
		"train/loop":  "symbolic link loop back to the root",
	}
	if len(rep.Skipped) != len(want) {
		t.Errorf("skipped %+v, want %d entries", rep.Skipped, len(want))
	}
	for _, s := range rep.Skipped {
		found := false
		for prefix, reason := range want {
			found = found || strings.HasPrefix(s.Path, prefix) && strings.Contains(s.Reason, reason)
		}
		if !found {
			t.Errorf("skipped %q for %q, which is not one of %v", s.Path, s.Reason, want)
		}
	}
	r, err := archive.Open(arc)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	for _, name := range []string{"linked-run", "linked-file"} {
		info, err := r.Stat(name)
		want, _ := os.Stat(links[name])
		if err != nil || info.Mode() != want.Mode() {
			t.Errorf("%s: %v, %v; want it archived as what it points to (%v)", name, info, err, want.Mode())
		}
	}
	eventFiles := 0
	fs.WalkDir(r, "linked-run", func(p string, d fs.DirEntry, err error) error {
		if strings.Contains(p, "tfevents") {
			eventFiles++
		}
		return err
	})
	if eventFiles != 1 {
		t.Errorf("the linked run holds %d event files in the archive, want 1", eventFiles)
	}
	for e := range r.Entries() {
		if e.Mode.Type()&^fs.ModeDir != 0 {
			t.Errorf("%s: archived with mode %v, want only files and directories", e.Path, e.Mode)
		}
	}
}

// TestCreateSymlinkDAG archives a logdir whose symbolic links reach one
// directory twice at every level, without a cycle: before each directory
// was archived once, 16 levels made a 237 MB archive of 2^15 copies and 22
// never finished.
func TestCreateSymlinkDAG(t *testing.T) {
	t.Parallel()
	const levels = 16
	logdir := hostile.SymlinkDAG(t, t.TempDir(), levels)
	start := time.Now()
	var out bytes.Buffer
	rep, err := archive.Create(&out, logdir, archive.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if elapsed := time.Since(start); elapsed > 10*time.Second {
		t.Errorf("Create took %v", elapsed)
	}
	if rep.Files != 1 || rep.Dirs != levels || out.Len() > 64<<10 {
		t.Errorf("archived %d files, %d directories in %d bytes; want 1 file, %d directories, a few KB", rep.Files, rep.Dirs, out.Len(), levels)
	}
	if len(rep.Skipped) != levels-1 {
		t.Fatalf("skipped %v, want the %d second links", rep.Skipped, levels-1)
	}
	for _, s := range rep.Skipped {
		want := "same directory as " + strings.TrimSuffix(s.Path, "b") + "a, which is read once"
		if path.Base(s.Path) != "b" || s.Reason != want {
			t.Errorf("%v, want %q", s, want)
		}
	}
	r, err := archive.NewReader(bytes.NewReader(out.Bytes()), int64(out.Len()))
	if err != nil {
		t.Fatal(err)
	}
	leaf := strings.Repeat("a/", levels-1) + hostile.FileName
	if _, err := r.Stat(leaf); err != nil {
		t.Errorf("the event file is not archived at %s: %v", leaf, err)
	}
}

// TestCreateNonUTF8Names archives a logdir holding names that are not
// UTF-8: they cannot be restored portably (the manifest is JSON), so they
// are skipped, each named in the report, and the rest is archived.
func TestCreateNonUTF8Names(t *testing.T) {
	t.Parallel()
	logdir := t.TempDir()
	hostile.NonUTF8Names(t, logdir)
	var out bytes.Buffer
	rep, err := archive.Create(&out, logdir, archive.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var skipped []string
	for _, s := range rep.Skipped {
		skipped = append(skipped, s.Path)
		if !strings.Contains(s.Reason, "not UTF-8") {
			t.Errorf("%v: the reason does not say the name is not UTF-8", s)
		}
		if str := s.String(); !utf8.ValidString(str) {
			t.Errorf("String() = %q is not UTF-8", str)
		}
	}
	want := []string{"bad\xfe", "junk\xff", "run/" + hostile.FileName + "\xff"}
	if !slices.Equal(skipped, want) {
		t.Errorf("skipped %q, want %q", skipped, want)
	}
	if rep.Files != 2 {
		t.Errorf("archived %d files, want ok's and run's event files", rep.Files)
	}
}
