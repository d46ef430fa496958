package archive

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path"
	"path/filepath"
	"slices"

	"github.com/tbgo/tbgo/storage"
)

// ErrNotEmpty is returned by Restore for a target directory that already
// holds files when RestoreOptions.Overwrite is not set.
var ErrNotEmpty = errors.New("target directory is not empty")

// RestoreOptions configures Restore. The zero value restores only into a
// directory that does not exist yet or is empty.
type RestoreOptions struct {
	// Overwrite allows restoring into a directory that holds files: an
	// archived file replaces the file of the same path, and files the
	// archive does not hold stay. A directory, or a symbolic link where
	// the archive has a directory, is never replaced.
	Overwrite bool
}

// A RestoreReport says what Restore wrote.
type RestoreReport struct {
	// Files and Dirs count the files written and the directories created
	// or reused.
	Files, Dirs int
	// Bytes is the total size of the files written.
	Bytes int64
}

// Restore restores the archive at archivePath into dir; see
// Reader.Extract.
func Restore(archivePath, dir string, opts RestoreOptions) (*RestoreReport, error) {
	r, err := Open(archivePath)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	return r.Extract(dir, opts)
}

// Extract writes the archive's files and directories into dir, creating
// it if needed, with their archived permission bits and modification
// times.
//
// Every file is first written to a temporary name beside its final one,
// checked against its size and SHA-256 and synced; only when all of them
// are whole are they renamed into place. The target directory takes the
// archived logdir's mode and time only if Extract created it or found it
// empty. If anything fails, Extract removes
// what it wrote and returns an error naming the file and the problem, so
// that a corrupt archive leaves nothing behind. (With Overwrite, a file
// that a rename already replaced stays replaced.)
//
// Every path is resolved inside dir through an os.Root, so neither the
// archive nor a symbolic link already in dir can make Extract write
// outside it; an existing symbolic link where the archive has a directory
// is refused.
//
// dir may also be a URL, as storage.Open takes them: restoring into an
// object store (its driver imported, see storage/cloud) writes each file
// as an object with a create-only write (storage.PutFS), never replacing
// one, so the prefix must hold nothing and Overwrite is refused. Every
// file is checked against its SHA-256 before the first object is written,
// so a corrupt archive writes nothing; permissions and times are not
// kept, as objects have none.
func (r *Reader) Extract(dir string, opts RestoreOptions) (rep *RestoreReport, err error) {
	local, ok := storage.Local(dir)
	if !ok {
		return r.extractToStore(dir, opts)
	}
	dir = local
	x := &extraction{r: r, dir: dir, opts: opts, rep: &RestoreReport{}}
	if err := x.prepare(); err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			x.undo()
		}
		x.root.Close()
	}()
	if err := x.write(); err != nil {
		return nil, err
	}
	if err := x.commit(); err != nil {
		return nil, err
	}
	return x.rep, nil
}

// extraction is the state of one Extract.
type extraction struct {
	r    *Reader
	dir  string
	opts RestoreOptions
	rep  *RestoreReport
	root *os.Root

	created  bool      // dir itself was created
	top      string    // the outermost directory created for dir
	wasEmpty bool      // dir held nothing
	madeDirs []string  // directories created, parents first
	temps    []pending // files written, not yet renamed into place
	renamed  []string  // final paths written
}

// pending is a file written under a temporary name.
type pending struct {
	tmp string
	e   Entry
}

func (x *extraction) errorf(format string, args ...any) error {
	return fmt.Errorf("archive: restore into %s: "+format, append([]any{x.dir}, args...)...)
}

// prepare creates or checks the target directory and opens it as a root.
func (x *extraction) prepare() error {
	info, err := os.Stat(x.dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		x.top = filepath.Clean(x.dir)
		for up := filepath.Dir(x.top); up != x.top; up = filepath.Dir(up) {
			if _, err := os.Lstat(up); err == nil {
				break
			}
			x.top = up
		}
		if err := os.MkdirAll(x.dir, 0o755); err != nil {
			return fmt.Errorf("archive: %w", err)
		}
		x.created, x.wasEmpty = true, true
	case err != nil:
		return fmt.Errorf("archive: %w", err)
	case !info.IsDir():
		return x.errorf("not a directory")
	default:
		f, err := os.Open(x.dir)
		if err != nil {
			return fmt.Errorf("archive: %w", err)
		}
		names, err := f.Readdirnames(1)
		f.Close()
		if err != nil && err != io.EOF {
			return fmt.Errorf("archive: %w", err)
		}
		x.wasEmpty = len(names) == 0
		if !x.wasEmpty && !x.opts.Overwrite {
			return x.errorf("%w (it holds %q; restore elsewhere or overwrite explicitly)", ErrNotEmpty, names[0])
		}
	}
	x.root, err = os.OpenRoot(x.dir)
	if err != nil {
		x.removeCreated()
		return fmt.Errorf("archive: %w", err)
	}
	return nil
}

// write creates the directories and writes every file to a temporary name.
func (x *extraction) write() error {
	for e := range x.r.Entries() {
		if e.Path == "." {
			continue
		}
		if e.IsDir() {
			if err := x.mkdir(e.Path); err != nil {
				return err
			}
			x.rep.Dirs++
			continue
		}
		tmp, err := x.writeTemp(&e)
		if err != nil {
			return err
		}
		x.temps = append(x.temps, pending{tmp, e})
	}
	return nil
}

func (x *extraction) mkdir(name string) error {
	err := x.root.Mkdir(name, 0o700)
	if err == nil {
		x.madeDirs = append(x.madeDirs, name)
		return nil
	}
	if !errors.Is(err, fs.ErrExist) {
		return x.errorf("%w", err)
	}
	info, err := x.root.Lstat(name)
	if err != nil {
		return x.errorf("%w", err)
	}
	if !info.IsDir() {
		return x.errorf("%s exists and is not a directory (%s)", name, info.Mode().Type())
	}
	return nil
}

// writeTemp writes e's decompressed bytes to a new temporary file beside
// its final path, checking them as they are read, and returns its name.
func (x *extraction) writeTemp(e *Entry) (string, error) {
	var out *os.File
	var tmp string
	for range 100 {
		tmp = path.Join(path.Dir(e.Path), fmt.Sprintf(".tbgo-restore-%08x.tmp", rand.Uint32()))
		var err error
		out, err = x.root.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err == nil {
			break
		}
		if !errors.Is(err, fs.ErrExist) {
			return "", x.errorf("%w", err)
		}
		out = nil
	}
	if out == nil {
		return "", x.errorf("no free temporary name in %s", path.Dir(e.Path))
	}
	in, err := x.r.Open(e.Path)
	if err == nil {
		_, err = io.Copy(out, in)
		in.Close()
	}
	if err == nil {
		err = out.Sync() // whole on disk before it is renamed into place
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		x.root.Remove(tmp)
		return "", x.errorf("%s: %w", e.Path, err)
	}
	return tmp, nil
}

// commit renames every temporary file into place, then sets permissions
// and times, directories last and deepest first so that writing into them
// does not change their times.
func (x *extraction) commit() error {
	for len(x.temps) > 0 {
		tmp, e := x.temps[0].tmp, &x.temps[0].e
		if info, err := x.root.Lstat(e.Path); err == nil {
			if !x.opts.Overwrite || info.IsDir() {
				// Two names for one file on a case-insensitive file
				// system, or a directory in the way.
				return x.errorf("%s already exists", e.Path)
			}
		}
		if err := x.root.Rename(tmp, e.Path); err != nil {
			return x.errorf("%w", err)
		}
		x.temps = x.temps[1:]
		x.renamed = append(x.renamed, e.Path)
		if err := x.setMeta(e); err != nil {
			return err
		}
		x.rep.Files++
		x.rep.Bytes += e.Size
	}
	for e := range x.r.ix.backward() {
		if e.IsDir() && (e.Path != "." || x.wasEmpty) {
			if err := x.setMeta(&e); err != nil {
				return err
			}
		}
	}
	return nil
}

func (x *extraction) setMeta(e *Entry) error {
	if err := x.root.Chmod(e.Path, e.Mode.Perm()); err != nil {
		return x.errorf("%w", err)
	}
	if e.ModTime.IsZero() {
		return nil // a directory the manifest does not list
	}
	if err := x.root.Chtimes(e.Path, e.ModTime, e.ModTime); err != nil {
		return x.errorf("%w", err)
	}
	return nil
}

// undo removes what a failed extraction wrote.
func (x *extraction) undo() {
	for _, d := range x.madeDirs {
		x.root.Chmod(d, 0o700) // commit may have made it read-only
	}
	for _, p := range x.temps {
		x.root.Remove(p.tmp)
	}
	if x.wasEmpty {
		for _, p := range x.renamed {
			x.root.Remove(p)
		}
	}
	for _, d := range slices.Backward(x.madeDirs) {
		x.root.Remove(d)
	}
	x.removeCreated()
}

// removeCreated removes the target directory and the parents prepare
// created for it, if they are empty.
func (x *extraction) removeCreated() {
	if !x.created {
		return
	}
	for d := filepath.Clean(x.dir); ; d = filepath.Dir(d) {
		if os.Remove(d) != nil || d == x.top {
			return
		}
	}
}

// extractToStore is Extract into an object store.
func (r *Reader) extractToStore(location string, opts RestoreOptions) (*RestoreReport, error) {
	name := storage.Display(location)
	if opts.Overwrite {
		return nil, fmt.Errorf("archive: restore into %s: an object store's objects are never replaced; restore into an empty prefix", name)
	}
	ctx := context.Background()
	st, err := storage.Open(ctx, location)
	if err != nil {
		return nil, fmt.Errorf("archive: %w", err)
	}
	defer st.Close()
	rep := &RestoreReport{}
	for e := range r.Entries() {
		switch {
		case e.Path == ".":
		case e.IsDir():
			rep.Dirs++
		default:
			if err := r.Check(e.Path); err != nil {
				return nil, fmt.Errorf("archive: restore into %s: %s: %w (nothing written)", name, e.Path, err)
			}
		}
	}
	rep.Files, rep.Bytes, err = storage.PutFS(ctx, st, r)
	if errors.Is(err, storage.ErrNotEmpty) {
		return nil, fmt.Errorf("archive: restore into %s: %w: %w", name, ErrNotEmpty, err)
	}
	if err != nil {
		return nil, fmt.Errorf("archive: %w", err)
	}
	return rep, nil
}
