package archive_test

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/tbgo/tbgo/archive"
)

// archived writes the small logdir and its archive into a new temporary
// directory and returns both paths.
func archived(t *testing.T) (logdir, arc string) {
	t.Helper()
	tmp := t.TempDir()
	logdir = filepath.Join(tmp, "logdir")
	writeLogdir(t, logdir, smallLogdir)
	arc = filepath.Join(tmp, "out.tbar")
	if _, err := archive.CreateFile(arc, logdir, archive.Options{}); err != nil {
		t.Fatal(err)
	}
	return logdir, arc
}

func TestRestoreTargets(t *testing.T) {
	t.Parallel()
	logdir, arc := archived(t)
	tests := []struct {
		desc    string
		prepare func(t *testing.T, dir string) // makes the target before restoring
		opts    archive.RestoreOptions
		want    error // nil: the restore succeeds
		extra   []string
	}{
		{"new directory", func(*testing.T, string) {}, archive.RestoreOptions{}, nil, nil},
		{"new nested directory", func(*testing.T, string) {}, archive.RestoreOptions{}, nil, nil},
		{"empty directory", func(t *testing.T, dir string) { must(t, os.MkdirAll(dir, 0o755)) }, archive.RestoreOptions{}, nil, nil},
		{"not empty", func(t *testing.T, dir string) {
			must(t, os.MkdirAll(dir, 0o755))
			must(t, os.WriteFile(filepath.Join(dir, "mine.txt"), []byte("keep me"), 0o644))
		}, archive.RestoreOptions{}, archive.ErrNotEmpty, nil},
		{"not empty, overwrite", func(t *testing.T, dir string) {
			must(t, os.MkdirAll(filepath.Join(dir, "train"), 0o755))
			must(t, os.WriteFile(filepath.Join(dir, "mine.txt"), []byte("keep me"), 0o644))
			must(t, os.WriteFile(filepath.Join(dir, "run.sh"), []byte("stale"), 0o644))
		}, archive.RestoreOptions{Overwrite: true}, nil, []string{"mine.txt"}},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			t.Parallel()
			dir := filepath.Join(t.TempDir(), "a", "b")
			tt.prepare(t, dir)
			before := listTree(t, dir)
			_, err := archive.Restore(arc, dir, tt.opts)
			if tt.want != nil {
				if !errors.Is(err, tt.want) {
					t.Fatalf("Restore = %v, want %v", err, tt.want)
				}
				if after := listTree(t, dir); !slices.Equal(before, after) {
					t.Errorf("a refused restore changed the target: %v, was %v", after, before)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			for _, name := range tt.extra {
				if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
					t.Errorf("a file the archive does not hold is gone: %v", err)
				}
				must(t, os.Remove(filepath.Join(dir, name)))
			}
			if tt.opts.Overwrite {
				// The target directory itself keeps its own mode and time.
				root, _ := os.Stat(logdir)
				must(t, os.Chtimes(dir, root.ModTime(), root.ModTime()))
				must(t, os.Chmod(dir, root.Mode().Perm()))
			}
			compareTrees(t, logdir, dir)
		})
	}
}

// listTree lists the paths under dir, or nil if it does not exist.
func listTree(t *testing.T, dir string) []string {
	var paths []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		paths = append(paths, p)
		return err
	})
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	must(t, err)
	return paths
}

func TestRestoreIntoFile(t *testing.T) {
	t.Parallel()
	_, arc := archived(t)
	file := filepath.Join(t.TempDir(), "file")
	must(t, os.WriteFile(file, []byte("x"), 0o644))
	if _, err := archive.Restore(arc, file, archive.RestoreOptions{Overwrite: true}); err == nil {
		t.Error("Restore into a file succeeded")
	}
	if _, err := archive.Restore(file, t.TempDir(), archive.RestoreOptions{}); !errors.Is(err, archive.ErrNotArchive) {
		t.Errorf("Restore of a file that is not an archive: %v, want ErrNotArchive", err)
	}
}

// TestRestoreThroughSymlink puts a symbolic link to another directory
// where the archive has a directory: even with Overwrite, Restore refuses
// to write through it, and nothing lands in the other directory.
func TestRestoreThroughSymlink(t *testing.T) {
	t.Parallel()
	_, arc := archived(t)
	tmp := t.TempDir()
	outside := filepath.Join(tmp, "outside")
	must(t, os.Mkdir(outside, 0o755))
	dir := filepath.Join(tmp, "target")
	must(t, os.Mkdir(dir, 0o755))
	if err := os.Symlink(outside, filepath.Join(dir, "train")); err != nil {
		t.Fatal(err)
	}
	_, err := archive.Restore(arc, dir, archive.RestoreOptions{Overwrite: true})
	if err == nil {
		t.Fatal("Restore wrote through a symbolic link")
	}
	if entries, _ := os.ReadDir(outside); len(entries) != 0 {
		t.Errorf("Restore wrote %v outside the target", entries)
	}
	if left := leftovers(t, dir); len(left) > 0 {
		t.Errorf("temporary files left behind: %v", left)
	}
}

// TestRestoreModes restores directories without write permission: their
// files are written first, their modes set last.
func TestRestoreModes(t *testing.T) {
	t.Parallel()
	tmp := t.TempDir()
	logdir := filepath.Join(tmp, "logdir")
	writeLogdir(t, logdir, smallLogdir)
	locked := filepath.Join(logdir, "train", "assets")
	must(t, os.Chmod(locked, 0o555))
	t.Cleanup(func() { os.Chmod(locked, 0o755) })
	arc := filepath.Join(tmp, "out.tbar")
	if _, err := archive.CreateFile(arc, logdir, archive.Options{}); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(tmp, "restored")
	if _, err := archive.Restore(arc, dir, archive.RestoreOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Chmod(filepath.Join(dir, "train", "assets"), 0o755) })
	info, err := os.Stat(filepath.Join(dir, "train", "assets"))
	if err != nil || info.Mode().Perm() != 0o555 {
		t.Errorf("restored directory mode %v (%v), want 0555", info.Mode(), err)
	}
	got, err := os.ReadFile(filepath.Join(dir, "train", "assets", "metadata.tsv"))
	if err != nil || string(got) != "label\ncat\ndog\n" {
		t.Errorf("file in a read-only directory: %q, %v", got, err)
	}
}
