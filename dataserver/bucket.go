package dataserver

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/tbgo/tbgo/storage"
)

// A listing is a logdir in an object store as the load cycles see it: the
// tree of one recursive listing of the logdir's prefix, taken again at the
// start of every cycle (refresh). Discovering the runs then costs one LIST
// request per 1000 objects, where walking the bucket's directories would
// cost one per directory, and an object whose listed size is what has been
// read already is not asked for again (size).
//
// Files are read through the Store's FS, which streams an object from an
// offset (a ranged read when a cycle resumes it); a value is read again
// with a ranged read of its record (object.ReadAt).
type listing struct {
	st *storage.Store
	fs fs.FS // st.FS(), which opens the objects

	mu   sync.RWMutex
	tree *tree // the last listing
}

var (
	_ fs.ReadDirFS = (*listing)(nil)
	_ fs.StatFS    = (*listing)(nil)
)

func newListing(st *storage.Store) *listing {
	return &listing{st: st, fs: st.FS(), tree: newTree()}
}

// A tree is the file system of one listing: every common prefix a
// directory, every object a file.
type tree struct {
	dirs  map[string][]fs.DirEntry // by path, "." for the root; sorted by name
	files map[string]objInfo
}

func newTree() *tree {
	return &tree{dirs: map[string][]fs.DirEntry{".": nil}, files: map[string]objInfo{}}
}

// add adds the file name, and the directories above it that are new.
func (t *tree) add(name string, info objInfo) {
	t.files[name] = info
	entry := fs.FileInfoToDirEntry(info)
	for {
		dir := path.Dir(name)
		_, known := t.dirs[dir]
		t.dirs[dir] = append(t.dirs[dir], entry)
		if known {
			return
		}
		name, entry = dir, fs.FileInfoToDirEntry(objInfo{name: path.Base(dir), dir: true})
	}
}

// refresh lists the logdir's objects, all of them in one listing, and
// makes that the file system's tree. A logdir whose bucket or prefix does
// not exist is an empty tree; on another error the last tree stays.
func (l *listing) refresh(ctx context.Context) error {
	prefix := l.st.Key(".")
	if prefix != "" {
		prefix += "/"
	}
	t := newTree()
	err := l.st.Bucket().List(ctx, prefix, true, func(o storage.Object) error {
		name := strings.TrimPrefix(o.Key, prefix)
		if o.IsDir || name == "" || strings.HasSuffix(name, "/") || !fs.ValidPath(name) {
			return nil // a "directory marker" object, or a key fs cannot name
		}
		t.add(name, objInfo{name: path.Base(name), size: o.Size, modTime: o.ModTime})
		return nil
	})
	if err != nil && !errors.Is(err, storage.ErrNotExist) {
		return fmt.Errorf("list %s: %w", l.st.Name(), err)
	}
	for _, entries := range t.dirs {
		slices.SortFunc(entries, func(a, b fs.DirEntry) int { return strings.Compare(a.Name(), b.Name()) })
	}
	l.mu.Lock()
	l.tree = t
	l.mu.Unlock()
	return nil
}

// size returns the size of the object name had when last listed.
func (l *listing) size(name string) (int64, bool) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	info, ok := l.tree.files[name]
	return info.size, ok
}

// Open opens the object name for reading; a directory is opened through
// the Store's FS.
func (l *listing) Open(name string) (fs.File, error) {
	if _, err := l.Stat(name); err != nil {
		return nil, err
	}
	f, err := l.fs.Open(name)
	if err != nil {
		return nil, err
	}
	if _, isDir := f.(fs.ReadDirFile); isDir {
		return f, nil
	}
	return &object{File: f, b: l.st.Bucket(), key: l.st.Key(name)}, nil
}

// Stat describes the file or directory name as last listed.
func (l *listing) Stat(name string) (fs.FileInfo, error) {
	if !fs.ValidPath(name) {
		return nil, &fs.PathError{Op: "stat", Path: name, Err: fs.ErrInvalid}
	}
	l.mu.RLock()
	defer l.mu.RUnlock()
	if info, ok := l.tree.files[name]; ok {
		return info, nil
	}
	if _, ok := l.tree.dirs[name]; ok {
		return objInfo{name: path.Base(name), dir: true}, nil
	}
	return nil, &fs.PathError{Op: "stat", Path: name, Err: fs.ErrNotExist}
}

// ReadDir returns the entries of the directory name as last listed.
func (l *listing) ReadDir(name string) ([]fs.DirEntry, error) {
	if !fs.ValidPath(name) {
		return nil, &fs.PathError{Op: "readdir", Path: name, Err: fs.ErrInvalid}
	}
	l.mu.RLock()
	defer l.mu.RUnlock()
	entries, ok := l.tree.dirs[name]
	if !ok {
		return nil, &fs.PathError{Op: "readdir", Path: name, Err: fs.ErrNotExist}
	}
	return slices.Clone(entries), nil
}

// An object is an event file in a bucket: the Store's file, which the
// loader reads, and a ReadAt of its own, one ranged read per call, which
// touches nothing the loader does and so may run while it reads.
type object struct {
	fs.File
	b   storage.Bucket
	key string
}

// ReadAt reads len(p) bytes of the object at off with one ranged read.
func (o *object) ReadAt(p []byte, off int64) (int, error) {
	ctx, cancel := context.WithTimeout(context.Background(), readTimeout)
	defer cancel()
	rc, _, err := o.b.NewRangeReader(ctx, o.key, off, int64(len(p)))
	if err != nil {
		return 0, err
	}
	defer rc.Close()
	n, err := io.ReadFull(rc, p)
	if err == io.ErrUnexpectedEOF {
		err = io.EOF
	}
	return n, err
}

// readTimeout bounds the read of one value from a bucket, so that a
// server that stops answering fails an RPC rather than hanging it.
const readTimeout = time.Minute

// objInfo is the fs.FileInfo of a listed object or directory.
type objInfo struct {
	name    string
	size    int64
	modTime time.Time
	dir     bool
}

func (i objInfo) Name() string       { return i.name }
func (i objInfo) Size() int64        { return i.size }
func (i objInfo) ModTime() time.Time { return i.modTime }
func (i objInfo) IsDir() bool        { return i.dir }
func (i objInfo) Sys() any           { return nil }
func (i objInfo) Mode() fs.FileMode {
	if i.dir {
		return fs.ModeDir | 0o555
	}
	return 0o444
}
