package atomicfile

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestWriteFile(t *testing.T) {
	dir := t.TempDir()
	name := filepath.Join(dir, "out.csv")
	for _, tc := range []struct {
		desc string
		perm os.FileMode
		want os.FileMode
	}{
		{"default permissions", 0, 0o644},
		{"asked permissions", 0o600, 0o600},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			if err := WriteFile(name, []byte(tc.desc), tc.perm); err != nil {
				t.Fatal(err)
			}
			b, err := os.ReadFile(name)
			if err != nil || string(b) != tc.desc {
				t.Fatalf("read %q, %v; want %q", b, err, tc.desc)
			}
			info, err := os.Stat(name)
			if err != nil {
				t.Fatal(err)
			}
			if got := info.Mode().Perm(); got != tc.want {
				t.Errorf("mode %v, want %v", got, tc.want)
			}
		})
	}
	assertOnly(t, dir, "out.csv")
}

func TestAbortLeavesTarget(t *testing.T) {
	dir := t.TempDir()
	name := filepath.Join(dir, "model.json")
	if err := os.WriteFile(name, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := Create(name, 0)
	if err != nil {
		t.Fatal(err)
	}
	if f.Name() != name {
		t.Errorf("Name() = %q, want %q", f.Name(), name)
	}
	if _, err := f.WriteString("new, half written"); err != nil {
		t.Fatal(err)
	}
	if err := f.Abort(); err != nil {
		t.Fatal(err)
	}
	if err := f.Abort(); err != nil {
		t.Errorf("second Abort: %v", err)
	}
	if err := f.Commit(); !errors.Is(err, os.ErrClosed) {
		t.Errorf("Commit after Abort: %v, want os.ErrClosed", err)
	}
	b, _ := os.ReadFile(name)
	if string(b) != "old" {
		t.Errorf("target holds %q after Abort, want the old content", b)
	}
	assertOnly(t, dir, "model.json")
}

func TestCommitIntoMissingDir(t *testing.T) {
	if _, err := Create(filepath.Join(t.TempDir(), "no", "such", "f"), 0); err == nil {
		t.Fatal("Create in a missing directory succeeded")
	}
}

func TestRenameDir(t *testing.T) {
	dir := t.TempDir()
	stage := filepath.Join(dir, ".stage")
	if err := os.Mkdir(stage, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := WriteFile(filepath.Join(stage, "a"), []byte("a"), 0); err != nil {
		t.Fatal(err)
	}
	if err := Rename(stage, filepath.Join(dir, "final")); err != nil {
		t.Fatal(err)
	}
	assertOnly(t, dir, "final")
}

// assertOnly fails unless dir holds exactly the names given.
func assertOnly(t *testing.T, dir string, names ...string) {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range ents {
		got = append(got, e.Name())
	}
	if len(got) != len(names) {
		t.Fatalf("%s holds %q, want %q", dir, got, names)
	}
	for i := range got {
		if got[i] != names[i] {
			t.Fatalf("%s holds %q, want %q", dir, got, names)
		}
	}
}

// TestSyncTree syncs a staged tree of nested directories; a tree that is
// not there is an error.
func TestSyncTree(t *testing.T) {
	dir := t.TempDir()
	stage := filepath.Join(dir, ".stage")
	if err := os.MkdirAll(filepath.Join(stage, "a", "b"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := WriteFile(filepath.Join(stage, "a", "b", "f"), []byte("f"), 0); err != nil {
		t.Fatal(err)
	}
	if err := SyncTree(stage); err != nil {
		t.Fatal(err)
	}
	if err := SyncTree(filepath.Join(dir, "missing")); err == nil {
		t.Error("SyncTree of a missing directory succeeded")
	}
}
