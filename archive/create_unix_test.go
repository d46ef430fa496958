//go:build unix

package archive_test

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/tbgo/tbgo/archive"
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
		"train/loop":  "symbolic link loop",
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
	for _, e := range r.Entries() {
		if e.Mode.Type()&^fs.ModeDir != 0 {
			t.Errorf("%s: archived with mode %v, want only files and directories", e.Path, e.Mode)
		}
	}
}
