package storage

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"path"
	"slices"
	"strings"
	"time"
)

// bucketFS is the fs.FS of a bucket's logdir: common prefixes are
// directories, objects are files. See Store.FS.
type bucketFS struct {
	b      Bucket
	prefix string // "" or ending in "/"
	name   string // the Store's location as Display shows it, for messages
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
	if name == "." {
		return &fs.PathError{Op: op, Path: f.name, Err: err}
	}
	return &fs.PathError{Op: op, Path: f.name + "/" + name, Err: err}
}

// Open opens the object name for a streaming read, or the directory name.
func (f *bucketFS) Open(name string) (fs.File, error) {
	if !fs.ValidPath(name) {
		return nil, f.pathError("open", name, fs.ErrInvalid)
	}
	ctx := context.Background()
	if name != "." {
		rc, obj, err := f.b.NewRangeReader(ctx, f.key(name), 0, -1)
		if err == nil {
			return &bucketFile{b: f.b, key: obj.Key, info: fileInfo(name, obj), rc: rc}, nil
		}
		if !errors.Is(err, ErrNotExist) {
			return nil, f.pathError("open", name, err)
		}
	}
	info, err := f.statDir(ctx, name)
	if err != nil {
		return nil, f.pathError("open", name, err)
	}
	return &bucketDir{fsys: f, name: name, info: info}, nil
}

// Stat returns the attributes of the object name, or of the directory.
func (f *bucketFS) Stat(name string) (fs.FileInfo, error) {
	if !fs.ValidPath(name) {
		return nil, f.pathError("stat", name, fs.ErrInvalid)
	}
	ctx := context.Background()
	if name != "." {
		obj, err := f.b.Stat(ctx, f.key(name))
		if err == nil {
			return fileInfo(name, obj), nil
		}
		if !errors.Is(err, ErrNotExist) {
			return nil, f.pathError("stat", name, err)
		}
	}
	info, err := f.statDir(ctx, name)
	if err != nil {
		return nil, f.pathError("stat", name, err)
	}
	return info, nil
}

// statDir reports whether name is a directory: some key lies below it.
// The root always is, and costs no request: a missing bucket or a refused
// credential shows at the first listing (every walk of a logdir stats its
// root before it lists it, each time a follower looks).
func (f *bucketFS) statDir(ctx context.Context, name string) (objInfo, error) {
	if name == "." {
		return dirInfo("."), nil
	}
	found := false
	err := f.b.List(ctx, f.dirKey(name), false, func(Object) error {
		found = true
		return errStop
	})
	if err != nil && !errors.Is(err, errStop) {
		return objInfo{}, err
	}
	if !found {
		return objInfo{}, fs.ErrNotExist
	}
	return dirInfo(path.Base(name)), nil
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
	err := f.b.List(context.Background(), dk, false, func(o Object) error {
		base := strings.TrimSuffix(strings.TrimPrefix(o.Key, dk), "/")
		if base == "" || strings.Contains(base, "/") {
			return nil // a "directory marker" object, or a key fs cannot name
		}
		if o.IsDir {
			entries = append(entries, fs.FileInfoToDirEntry(dirInfo(base)))
		} else {
			entries = append(entries, fs.FileInfoToDirEntry(fileInfo(base, o)))
		}
		return nil
	})
	if err != nil {
		return nil, f.pathError("readdir", name, err)
	}
	// Keys sort "a.txt" before "a/", names "a" before "a.txt".
	slices.SortFunc(entries, func(x, y fs.DirEntry) int { return strings.Compare(x.Name(), y.Name()) })
	if len(entries) == 0 && name != "." {
		// Object stores have no empty directories: nothing below name
		// means there is no such directory, unless name is an object.
		if _, err := f.b.Stat(context.Background(), f.key(name)); err == nil {
			return nil, f.pathError("readdir", name, errors.New("not a directory"))
		}
		return nil, f.pathError("readdir", name, fs.ErrNotExist)
	}
	return entries, nil
}

// objInfo is the fs.FileInfo of an object or a directory.
type objInfo struct {
	name    string
	size    int64
	modTime time.Time
	dir     bool
}

func fileInfo(name string, o Object) objInfo {
	return objInfo{name: path.Base(name), size: o.Size, modTime: o.ModTime}
}

func dirInfo(name string) objInfo { return objInfo{name: name, dir: true} }

func (i objInfo) Name() string       { return i.name }
func (i objInfo) Size() int64        { return i.size }
func (i objInfo) ModTime() time.Time { return i.modTime }
func (i objInfo) IsDir() bool        { return i.dir }
func (i objInfo) Sys() any           { return nil }
func (i objInfo) Mode() fs.FileMode {
	// The modes of a directory and a file a writer makes on disk, so
	// that a copy made on disk (tbgo archive, then restore) is writable.
	if i.dir {
		return fs.ModeDir | 0o755
	}
	return 0o644
}

// bucketFile reads an object: Read streams from the current offset with
// one request, reopening after Seek, and after the end of the data so
// that a follower sees an object that grew. ReadAt is one ranged read per
// call.
type bucketFile struct {
	b    Bucket
	key  string
	info objInfo
	rc   io.ReadCloser // the open stream at pos; nil when none
	pos  int64
	err  error // set by Close
}

var (
	_ io.Seeker   = (*bucketFile)(nil)
	_ io.ReaderAt = (*bucketFile)(nil)
)

func (f *bucketFile) Stat() (fs.FileInfo, error) { return f.info, nil }

func (f *bucketFile) Read(p []byte) (int, error) {
	if f.err != nil {
		return 0, f.err
	}
	if len(p) == 0 {
		return 0, nil
	}
	if f.rc == nil {
		rc, obj, err := f.b.NewRangeReader(context.Background(), f.key, f.pos, -1)
		if err != nil {
			return 0, err
		}
		f.rc = rc
		f.info.size, f.info.modTime = obj.Size, obj.ModTime
	}
	n, err := f.rc.Read(p)
	f.pos += int64(n)
	if err == io.EOF {
		f.rc.Close()
		f.rc = nil
	}
	return n, err
}

func (f *bucketFile) Seek(offset int64, whence int) (int64, error) {
	if f.err != nil {
		return 0, f.err
	}
	switch whence {
	case io.SeekCurrent:
		offset += f.pos
	case io.SeekEnd:
		offset += f.info.size
	case io.SeekStart:
	default:
		return 0, errors.New("storage: Seek: invalid whence")
	}
	if offset < 0 {
		return 0, errors.New("storage: Seek: negative position")
	}
	if offset != f.pos && f.rc != nil {
		f.rc.Close()
		f.rc = nil
	}
	f.pos = offset
	return offset, nil
}

func (f *bucketFile) ReadAt(p []byte, off int64) (int, error) {
	if f.err != nil {
		return 0, f.err
	}
	if off < 0 {
		return 0, errors.New("storage: ReadAt: negative offset")
	}
	rc, _, err := f.b.NewRangeReader(context.Background(), f.key, off, int64(len(p)))
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

func (f *bucketFile) Close() error {
	if f.err != nil {
		return f.err
	}
	f.err = fs.ErrClosed
	if f.rc != nil {
		return f.rc.Close()
	}
	return nil
}

// bucketDir is an open directory of a bucketFS.
type bucketDir struct {
	fsys    *bucketFS
	name    string
	info    objInfo
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
		entries, err := d.fsys.ReadDir(d.name)
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
