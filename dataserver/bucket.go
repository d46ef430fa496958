package dataserver

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"sync"
	"time"

	"github.com/tbgo/tbgo/storage"
)

// A listing is a logdir in an object store as the load cycles see it: a
// storage.Snapshot of the logdir, one recursive listing of its prefix,
// taken again at the start of every cycle (refresh). Discovering the runs
// then costs one LIST request per 1000 objects, where walking the
// bucket's directories would cost one per directory, and an object whose
// listed size is what has been read already is not asked for again
// (size).
//
// An object is read with ranged reads that end where the listing says it
// ends, so reading it to its end costs one request and never a request
// past it; a value is read again with a ranged read of its record
// (object.ReadAt).
type listing struct {
	st *storage.Store

	mu   sync.RWMutex
	snap *storage.Snapshot // the last listing
	ctx  context.Context   // the context of the cycle that made it, for reads
}

var (
	_ fs.ReadDirFS = (*listing)(nil)
	_ fs.StatFS    = (*listing)(nil)
)

func newListing(st *storage.Store) *listing {
	return &listing{st: st, snap: new(storage.Snapshot), ctx: context.Background()}
}

// refresh lists the logdir's objects, all of them in one listing, and
// makes that the file system's snapshot. A logdir whose bucket does not
// exist is empty; on another error the last snapshot stays.
func (l *listing) refresh(ctx context.Context) error {
	snap, err := l.st.Snapshot(ctx)
	if errors.Is(err, storage.ErrNotExist) {
		snap, err = new(storage.Snapshot), nil
	}
	if err != nil {
		return err
	}
	l.mu.Lock()
	l.snap, l.ctx = snap, ctx
	l.mu.Unlock()
	return nil
}

// snapshot returns the last listing.
func (l *listing) snapshot() *storage.Snapshot {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return l.snap
}

// size returns the size of the object name had when last listed.
func (l *listing) size(name string) (int64, bool) {
	info, err := l.snapshot().Stat(name)
	if err != nil || info.IsDir() {
		return 0, false
	}
	return info.Size(), true
}

// Open opens the object name for reading, or the directory name. Neither
// makes a request.
func (l *listing) Open(name string) (fs.File, error) {
	snap := l.snapshot()
	info, err := snap.Stat(name)
	if err != nil {
		return nil, err
	}
	if info.IsDir() {
		return snap.Open(name)
	}
	return &object{l: l, name: name, key: l.st.Key(name), info: info}, nil
}

// Stat describes the file or directory name as last listed.
func (l *listing) Stat(name string) (fs.FileInfo, error) { return l.snapshot().Stat(name) }

// ReadDir returns the entries of the directory name as last listed.
func (l *listing) ReadDir(name string) ([]fs.DirEntry, error) { return l.snapshot().ReadDir(name) }

// An object is an event file in a bucket. Read reads on from where the
// last Read stopped to the size of the object in the last listing, with
// one ranged read from there to that end: a Read at that end returns
// io.EOF without a request. ReadAt is one ranged read per call, touching
// nothing Read does, so it may run while the file is read.
type object struct {
	l    *listing
	name string
	key  string
	info fs.FileInfo   // as first listed
	pos  int64         // where the next Read starts
	rc   io.ReadCloser // the ranged read under way; nil if none
}

func (o *object) Stat() (fs.FileInfo, error) { return o.info, nil }

// Read reads the object on, up to its size in the last listing.
func (o *object) Read(p []byte) (int, error) {
	if o.rc == nil {
		o.l.mu.RLock()
		snap, ctx := o.l.snap, o.l.ctx
		o.l.mu.RUnlock()
		size := int64(0)
		if info, err := snap.Stat(o.name); err == nil {
			size = info.Size()
		}
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
