package hostile

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// NonUTF8Names writes, in dir, a logdir whose names are not all UTF-8,
// which Linux allows and io/fs cannot open: an empty directory "junk\xff",
// a run "run" holding FileName and an event file whose name ends in
// "\xff", and a run "bad\xfe" holding FileName; beside a run "ok". A
// reader must read what it can and say what it skipped, never fail the
// logdir. It skips t if the file system refuses such names.
func NonUTF8Names(t testing.TB, dir string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Join(dir, "junk\xff"), 0o755); err != nil {
		t.Skipf("this file system refuses names that are not UTF-8: %v", err)
	}
	EventFile(t, filepath.Join(dir, "ok"), scalars("x", 0, 3)...)
	EventFile(t, filepath.Join(dir, "bad\xfe"), scalars("x", 0, 3)...)
	run := EventFile(t, filepath.Join(dir, "run"), scalars("x", 0, 3)...)
	if err := os.Link(run, run+"\xff"); err != nil {
		t.Fatal(err)
	}
}

// SymlinkDAG writes, under dir, directories d00 to d(levels-1), each but
// the last holding two symbolic links, "a" and "b", to the next; the last
// holds an event file. There is no cycle, but d00 reaches the last
// directory 2^(levels-1) ways: a walk that follows links must read each
// directory once. SymlinkDAG returns d00, the logdir. It skips t if the
// file system has no symbolic links.
func SymlinkDAG(t testing.TB, dir string, levels int) string {
	t.Helper()
	name := func(i int) string { return filepath.Join(dir, fmt.Sprintf("d%02d", i)) }
	for i := range levels {
		if err := os.MkdirAll(name(i), 0o755); err != nil {
			t.Fatal(err)
		}
		if i == levels-1 {
			EventFile(t, name(i), scalars("x", 0, 3)...)
			break
		}
		for _, link := range []string{"a", "b"} {
			if err := os.Symlink(name(i+1), filepath.Join(name(i), link)); err != nil {
				t.Skipf("symbolic links unavailable: %v", err)
			}
		}
	}
	return name(0)
}
