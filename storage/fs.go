package storage

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"path"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// bucketFS is the fs.FS of a bucket's logdir: common prefixes are
// directories, objects are files. See Store.FS.
type bucketFS struct {
	b       Bucket
	prefix  string          // "" or ending in "/"
	name    string          // the Store's location as Display shows it, for messages
	ctx     context.Context // the Store's: Close cancels it
	timeout time.Duration   // of each wait for the store; none if <= 0
}

var (
	_ fs.ReadDirFS = (*bucketFS)(nil)
	_ fs.StatFS    = (*bucketFS)(nil)
)

// key returns the object key of the file name.
func (f *bucketFS) key(name string) string {
	if name == "." {
		return strings.TrimSuffix(f.prefix, "/")
	}
	return f.prefix + name
}

// dirKey returns the key prefix of the directory name's entries.
func (f *bucketFS) dirKey(name string) string {
	if name == "." {
		return f.prefix
	}
	return f.prefix + name + "/"
}

func (f *bucketFS) pathError(op, name string, err error) error {
	return &fs.PathError{Op: op, Path: displayPath(f.name, name), Err: err}
}

// displayPath names the file name of a logdir that Display names loc.
func displayPath(loc, name string) string {
	if name == "." {
		return loc
	}
	return loc + "/" + name
}

// Open opens the object name for a streaming read, or the directory name.
func (f *bucketFS) Open(name string) (fs.File, error) {
	if !fs.ValidPath(name) {
		return nil, f.pathError("open", name, fs.ErrInvalid)
	}
	if name != "." {
		file := f.newFile(name, FileInfo{path: name})
		r := file.request()
		rc, obj, err := r.open(f.b, file.key, 0)
		if err == nil {
			file.stream(rc, obj, r)
			return file, nil
		}
		file.Close()
		if !errors.Is(err, ErrNotExist) {
			return nil, f.pathError("open", name, err)
		}
	}
	info, err := f.statDir(name)
	if err != nil {
		return nil, f.pathError("open", name, err)
	}
	return &bucketDir{name: name, info: info, readDir: f.ReadDir}, nil
}

// Stat returns the attributes of the object name, or of the directory.
func (f *bucketFS) Stat(name string) (fs.FileInfo, error) {
	if !fs.ValidPath(name) {
		return nil, f.pathError("stat", name, fs.ErrInvalid)
	}
	if name != "." {
		obj, err := f.stat(f.key(name))
		if err == nil {
			return fileInfo(name, obj), nil
		}
		if !errors.Is(err, ErrNotExist) {
			return nil, f.pathError("stat", name, err)
		}
	}
	info, err := f.statDir(name)
	if err != nil {
		return nil, f.pathError("stat", name, err)
	}
	return info, nil
}

// stat stats the object at key with one request.
func (f *bucketFS) stat(key string) (obj Object, err error) {
	err = call(f.ctx, f.timeout, func(ctx context.Context) error {
		obj, err = f.b.Stat(ctx, key)
		return err
	})
	return obj, err
}

// list lists the keys below prefix with one request (a page per 1000
// keys) under ctx, each wait for the next key bounded.
func (f *bucketFS) list(ctx context.Context, prefix string, recursive bool, fn func(Object) error) error {
	return list(ctx, f.b, f.timeout, prefix, recursive, fn)
}

// statDir reports whether name is a directory: some key lies below it.
// The root always is, and costs no request: a missing bucket or a refused
// credential shows at the first listing (every walk of a logdir stats its
// root before it lists it, each time a follower looks).
func (f *bucketFS) statDir(name string) (FileInfo, error) {
	if name == "." {
		return dirInfo("."), nil
	}
	found := false
	err := f.list(f.ctx, f.dirKey(name), false, func(Object) error {
		found = true
		return errStop
	})
	if err != nil && !errors.Is(err, errStop) {
		return FileInfo{}, err
	}
	if !found {
		return FileInfo{}, fs.ErrNotExist
	}
	return dirInfo(name), nil
}

// errStop ends a listing early.
var errStop = errors.New("stop listing")

// ReadDir lists the directory name with one delimited listing.
func (f *bucketFS) ReadDir(name string) ([]fs.DirEntry, error) {
	if !fs.ValidPath(name) {
		return nil, f.pathError("readdir", name, fs.ErrInvalid)
	}
	dk := f.dirKey(name)
	var entries []fs.DirEntry
	below := false // some key lies below name
	err := f.list(f.ctx, dk, false, func(o Object) error {
		below = true
		base := strings.TrimSuffix(strings.TrimPrefix(o.Key, dk), "/")
		if base == "" || strings.Contains(base, "/") {
			return nil // a "directory marker" object, or a key fs cannot name
		}
		p := path.Join(name, base)
		if o.IsDir {
			entries = append(entries, fs.FileInfoToDirEntry(dirInfo(p)))
		} else {
			entries = append(entries, fs.FileInfoToDirEntry(fileInfo(p, o)))
		}
		return nil
	})
	if err != nil {
		return nil, f.pathError("readdir", name, err)
	}
	// Keys sort "a.txt" before "a/", names "a" before "a.txt".
	slices.SortFunc(entries, func(x, y fs.DirEntry) int { return strings.Compare(x.Name(), y.Name()) })
	if !below && name != "." {
		// Object stores have no empty directories: nothing below name
		// means there is no such directory, unless name is an object.
		// (A directory that holds only keys fs cannot name, a
		// "directory marker" say, is empty.)
		if _, err := f.stat(f.key(name)); err == nil {
			return nil, f.pathError("readdir", name, errors.New("not a directory"))
		}
		return nil, f.pathError("readdir", name, fs.ErrNotExist)
	}
	return entries, nil
}

// A FileInfo describes a file or a directory of a logdir in a bucket, as
// Store.FS and Snapshot give them: an fs.FileInfo that also knows its
// path. Files have mode 0644 and directories 0755, the modes a writer
// gives them on disk, so that a copy made on disk (tbgo archive, then
// restore) is writable.
type FileInfo struct {
	path    string
	size    int64
	modTime time.Time
	dir     bool
}

// fileInfo is the FileInfo of the object o at the slash path p.
func fileInfo(p string, o Object) FileInfo {
	return FileInfo{path: p, size: o.Size, modTime: o.ModTime}
}

func dirInfo(p string) FileInfo { return FileInfo{path: p, dir: true} }

// Path returns the slash path of the file in its file system ("." for
// the root).
func (i FileInfo) Path() string { return i.path }

// Name returns the last element of the path.
func (i FileInfo) Name() string { return path.Base(i.path) }

// Size returns the size in bytes of a file, 0 for a directory.
func (i FileInfo) Size() int64 { return i.size }

// ModTime returns when the object was written, by the store's clock;
// the zero time for a directory.
func (i FileInfo) ModTime() time.Time { return i.modTime }

// IsDir reports whether the FileInfo describes a directory.
func (i FileInfo) IsDir() bool { return i.dir }

// Sys returns nil.
func (i FileInfo) Sys() any { return nil }

// Mode returns fs.ModeDir|0755 for a directory, 0644 for a file.
func (i FileInfo) Mode() fs.FileMode {
	if i.dir {
		return fs.ModeDir | 0o755
	}
	return 0o644
}

// bucketFile reads an object: Read streams from the current offset with
// one request, reopening after Seek, and after an io.EOF so that a
// follower sees an object that grew. ReadAt is one ranged read per call,
// and may run at once with Read and Close.
type bucketFile struct {
	fsys   *bucketFS
	key    string
	ctx    context.Context // of the file's requests; Close cancels it
	cancel context.CancelCauseFunc
	closed atomic.Bool

	mu    sync.Mutex // held by Read, Seek and Stat, and by Close for rc
	info  FileInfo   // its size the object's end as last learned
	rc    io.ReadCloser
	req   *request // rc's
	pos   int64    // where rc, or the next stream, starts
	eofAt int64    // where the last io.EOF was reported; -1 if nowhere
}

var (
	_ io.Seeker   = (*bucketFile)(nil)
	_ io.ReaderAt = (*bucketFile)(nil)
)

// newFile returns the file at info.path, with no stream open.
func (f *bucketFS) newFile(name string, info FileInfo) *bucketFile {
	ctx, cancel := context.WithCancelCause(f.ctx)
	return &bucketFile{fsys: f, key: f.key(name), ctx: ctx, cancel: cancel, info: info, eofAt: -1}
}

// request starts a request of the file.
func (f *bucketFile) request() *request { return newRequest(f.ctx, f.fsys.timeout) }

// stream makes rc, opened by r at f.pos, the file's stream.
func (f *bucketFile) stream(rc io.ReadCloser, obj Object, r *request) {
	f.rc, f.req = rc, r
	f.info.size = obj.Size
	if !obj.ModTime.IsZero() {
		f.info.modTime = obj.ModTime
	}
}

func (f *bucketFile) closeStream() {
	if f.rc != nil {
		f.rc.Close()
		f.req.done()
		f.rc, f.req = nil, nil
	}
}

func (f *bucketFile) pathError(op string, err error) error {
	return f.fsys.pathError(op, f.info.path, err)
}

func (f *bucketFile) Stat() (fs.FileInfo, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.info, nil
}

// Read reads on from the current offset. At the object's end as last
// learned it returns io.EOF once without a request; the Read after that
// looks for more with one.
func (f *bucketFile) Read(p []byte) (int, error) {
	if f.closed.Load() {
		return 0, f.pathError("read", fs.ErrClosed)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(p) == 0 {
		return 0, nil
	}
	if f.rc == nil {
		if f.pos >= f.info.size && f.eofAt != f.pos {
			f.eofAt = f.pos
			return 0, io.EOF
		}
		r := f.request()
		rc, obj, err := r.open(f.fsys.b, f.key, f.pos)
		if err != nil {
			return 0, f.pathError("read", err)
		}
		f.stream(rc, obj, r)
	}
	n, err := f.req.read(f.rc, p)
	f.pos += int64(n)
	switch {
	case err == io.EOF:
		f.closeStream()
		f.info.size = f.pos // a stream runs to the object's end
		if n > 0 {
			return n, nil // the next Read answers io.EOF without a request
		}
		f.eofAt = f.pos
		return 0, io.EOF
	case err != nil:
		err = f.req.err(err)
		f.closeStream()
		return n, f.pathError("read", err)
	}
	return n, nil
}

func (f *bucketFile) Seek(offset int64, whence int) (int64, error) {
	if f.closed.Load() {
		return 0, f.pathError("seek", fs.ErrClosed)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	switch whence {
	case io.SeekCurrent:
		offset += f.pos
	case io.SeekEnd:
		offset += f.info.size
	case io.SeekStart:
	default:
		return 0, f.pathError("seek", errors.New("invalid whence"))
	}
	if offset < 0 {
		return 0, f.pathError("seek", errors.New("negative position"))
	}
	if offset != f.pos {
		f.closeStream()
	}
	f.pos = offset
	return offset, nil
}

// ReadAt reads len(p) bytes at off with one ranged read.
func (f *bucketFile) ReadAt(p []byte, off int64) (int, error) {
	if f.closed.Load() {
		return 0, f.pathError("read", fs.ErrClosed)
	}
	if off < 0 {
		return 0, f.pathError("read", errors.New("negative offset"))
	}
	if len(p) == 0 {
		return 0, nil
	}
	r := f.request()
	defer r.done()
	rc, _, err := r.openRange(f.fsys.b, f.key, off, int64(len(p)))
	if err != nil {
		return 0, f.pathError("read", err)
	}
	defer rc.Close()
	n, err := io.ReadFull(watched{r, rc}, p)
	switch err {
	case nil:
		return n, nil
	case io.EOF, io.ErrUnexpectedEOF:
		return n, io.EOF
	}
	return n, f.pathError("read", r.err(err))
}

// Close ends the file's requests, those under way included: they fail
// with an error wrapping fs.ErrClosed.
func (f *bucketFile) Close() error {
	if f.closed.Swap(true) {
		return f.pathError("close", fs.ErrClosed)
	}
	f.cancel(fs.ErrClosed)
	f.mu.Lock()
	defer f.mu.Unlock()
	f.closeStream()
	return nil
}

// bucketDir is an open directory of a bucketFS or a Snapshot.
type bucketDir struct {
	name    string
	info    FileInfo
	readDir func(name string) ([]fs.DirEntry, error)
	entries []fs.DirEntry // read on the first ReadDir
	read    bool
}

func (d *bucketDir) Stat() (fs.FileInfo, error) { return d.info, nil }
func (d *bucketDir) Read([]byte) (int, error) {
	return 0, &fs.PathError{Op: "read", Path: d.name, Err: errors.New("is a directory")}
}
func (d *bucketDir) Close() error { return nil }

func (d *bucketDir) ReadDir(n int) ([]fs.DirEntry, error) {
	if !d.read {
		entries, err := d.readDir(d.name)
		if err != nil {
			return nil, err
		}
		d.entries, d.read = entries, true
	}
	if n <= 0 {
		e := d.entries
		d.entries = nil
		return e, nil
	}
	if len(d.entries) == 0 {
		return nil, io.EOF
	}
	k := min(n, len(d.entries))
	e := d.entries[:k]
	d.entries = d.entries[k:]
	return e, nil
}
