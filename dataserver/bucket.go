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
// An object is read with ranged reads that end where the listing says it
// ends, so reading it to its end costs one request and never a request
// past it; a value is read again with a ranged read of its record
// (object.ReadAt).
type listing struct {
	st *storage.Store
	fs fs.FS // st.FS(), which opens directories

	mu   sync.RWMutex
	tree *tree           // the last listing
	ctx  context.Context // the context of the cycle that made it, for reads
}

var (
	_ fs.ReadDirFS = (*listing)(nil)
	_ fs.StatFS    = (*listing)(nil)
)

func newListing(st *storage.Store) *listing {
	return &listing{st: st, fs: st.FS(), tree: newTree(), ctx: context.Background()}
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
	l.tree, l.ctx = t, ctx
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
// the Store's FS. Opening an object makes no request.
func (l *listing) Open(name string) (fs.File, error) {
	info, err := l.Stat(name)
	if err != nil {
		return nil, err
	}
	if info.IsDir() {
		return l.fs.Open(name)
	}
	return &object{l: l, name: name, key: l.st.Key(name), info: info.(objInfo)}, nil
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

// An object is an event file in a bucket. Read reads on from where the
// last Read stopped to the size of the object in the last listing, with
// one ranged read from there to that end: a Read at that end returns
// io.EOF without a request. ReadAt is one ranged read per call, touching
// nothing Read does, so it may run while the file is read.
type object struct {
	l    *listing
	name string
	key  string
	info objInfo       // as first listed
	pos  int64         // where the next Read starts
	rc   io.ReadCloser // the ranged read under way; nil if none
}

func (o *object) Stat() (fs.FileInfo, error) { return o.info, nil }

// Read reads the object on, up to its size in the last listing.
func (o *object) Read(p []byte) (int, error) {
	if o.rc == nil {
		o.l.mu.RLock()
		size, ctx := o.l.tree.files[o.name].size, o.l.ctx
		o.l.mu.RUnlock()
		if o.pos >= size {
			return 0, io.EOF
		}
		rc, _, err := o.l.st.Bucket().NewRangeReader(ctx, o.key, o.pos, size-o.pos)
		if err != nil {
			return 0, err
		}
		o.rc = rc
	}
	n, err := o.rc.Read(p)
	o.pos += int64(n)
	if err != nil {
		// The end of the range, or a failed read: the next Read starts a
		// new one from where this one stopped.
		o.rc.Close()
		o.rc = nil
	}
	return n, err
}

// rewind makes the next Read start at off.
func (o *object) rewind(off int64) {
	o.Close()
	o.pos = off
}

// ReadAt reads len(p) bytes of the object at off with one ranged read.
func (o *object) ReadAt(p []byte, off int64) (int, error) {
	ctx, cancel := context.WithTimeout(context.Background(), readTimeout)
	defer cancel()
	rc, _, err := o.l.st.Bucket().NewRangeReader(ctx, o.key, off, int64(len(p)))
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

// Close ends the ranged read under way, if any.
func (o *object) Close() error {
	if o.rc == nil {
		return nil
	}
	err := o.rc.Close()
	o.rc = nil
	return err
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
