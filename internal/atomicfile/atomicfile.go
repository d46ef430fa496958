// Package atomicfile writes files that readers see whole or not at all: the
// data goes to a temporary file beside the target, which is synced, given
// its permissions and renamed over the target, and the directory is synced
// so that the rename survives a power loss.
//
// It is the one way tbgo replaces a file: model files, exports, repaired
// event files, archives and projector assets all go through it.
package atomicfile

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// DefaultPerm is the permission a file gets when none is asked for: the
// usual rw-r--r--, so that another user (TensorBoard run as a service, say)
// can read it. os.CreateTemp alone would leave it private.
const DefaultPerm fs.FileMode = 0o644

// A File is a file being written in place of another. Write to it, then
// call Commit to publish it or Abort to drop it; Abort after Commit does
// nothing, so
//
//	f, err := atomicfile.Create(name, 0)
//	if err != nil { ... }
//	defer f.Abort()
//	... write ...
//	return f.Commit()
//
// never leaves a temporary file behind.
type File struct {
	*os.File
	target string
	perm   fs.FileMode
	done   bool
}

// Create starts writing name. The data goes to a temporary file in the same
// directory (so that the final rename stays on one file system), named
// ".<base>.tmp-*" so that nothing looking for event files or archives
// mistakes it for one. perm zero means DefaultPerm.
func Create(name string, perm fs.FileMode) (*File, error) {
	if perm == 0 {
		perm = DefaultPerm
	}
	f, err := os.CreateTemp(filepath.Dir(name), "."+filepath.Base(name)+".tmp-*")
	if err != nil {
		return nil, fmt.Errorf("atomicfile: %w", err)
	}
	return &File{File: f, target: name, perm: perm}, nil
}

// Name returns the name of the file being replaced, not the temporary one.
func (f *File) Name() string { return f.target }

// Commit syncs the data, closes the file, gives it its permissions, renames
// it over the target and syncs the directory. On any error the temporary
// file is removed and the target is left as it was.
func (f *File) Commit() error {
	if f.done {
		return fmt.Errorf("atomicfile: %s: %w", f.target, os.ErrClosed)
	}
	f.done = true
	tmp := f.File.Name()
	err := f.File.Sync()
	if cerr := f.File.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp, f.perm)
	}
	if err == nil {
		err = os.Rename(tmp, f.target)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("atomicfile: %s: %w", f.target, err)
	}
	return SyncDir(filepath.Dir(f.target))
}

// Abort closes and removes the temporary file. It does nothing after Commit
// or an earlier Abort.
func (f *File) Abort() error {
	if f.done {
		return nil
	}
	f.done = true
	err := f.File.Close()
	if rerr := os.Remove(f.File.Name()); err == nil {
		err = rerr
	}
	return err
}

// WriteFile writes data to name atomically, as os.WriteFile would but
// never leaving a partial file. perm zero means DefaultPerm.
func WriteFile(name string, data []byte, perm fs.FileMode) error {
	f, err := Create(name, perm)
	if err != nil {
		return err
	}
	defer f.Abort()
	if _, err := f.Write(data); err != nil {
		return fmt.Errorf("atomicfile: %s: %w", name, err)
	}
	return f.Commit()
}

// Rename renames oldpath to newpath, a file or a directory made complete
// beforehand, and syncs the directory (or directories) holding them.
func Rename(oldpath, newpath string) error {
	if err := os.Rename(oldpath, newpath); err != nil {
		return fmt.Errorf("atomicfile: %w", err)
	}
	err := SyncDir(filepath.Dir(newpath))
	if d := filepath.Dir(oldpath); d != filepath.Dir(newpath) {
		err = errors.Join(err, SyncDir(d))
	}
	return err
}

// SyncDir syncs a directory, making the names created, renamed or removed
// in it durable. File systems that cannot sync a directory are not an
// error.
func SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("atomicfile: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, errors.ErrUnsupported) && !isInvalid(err) {
		return fmt.Errorf("atomicfile: sync %s: %w", dir, err)
	}
	return nil
}

// SyncTree syncs dir and every directory below it (it does not follow
// symbolic links), making durable the names created in a tree that is
// staged whole and then renamed into place: Rename syncs only the
// directories that hold the tree's root.
func SyncTree(dir string) error {
	return filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return fmt.Errorf("atomicfile: %w", err)
		}
		if !d.IsDir() {
			return nil
		}
		return SyncDir(p)
	})
}
