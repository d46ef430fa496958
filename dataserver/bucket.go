package dataserver

import (
	"context"
	"errors"
	"io/fs"
	"sync"

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
// Its files are the Snapshot's: opening one makes no request; reading it
// on streams from the offset to the object's end with one request; a
// value is read again with a ranged read of its record (ReadAt). Each
// wait for the store is bounded by the Store's RequestTimeout, and
// closing a file, or the Store, ends its requests under way.
type listing struct {
	st *storage.Store

	mu   sync.RWMutex
	snap *storage.Snapshot // the last listing
}

var (
	_ fs.ReadDirFS = (*listing)(nil)
	_ fs.StatFS    = (*listing)(nil)
)

func newListing(st *storage.Store) *listing {
	return &listing{st: st, snap: new(storage.Snapshot)}
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
	l.snap = snap
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

// Open opens the object name as last listed, or the directory name,
// without a request.
func (l *listing) Open(name string) (fs.File, error) { return l.snapshot().Open(name) }

// Stat describes the file or directory name as last listed.
func (l *listing) Stat(name string) (fs.FileInfo, error) { return l.snapshot().Stat(name) }

// ReadDir returns the entries of the directory name as last listed.
func (l *listing) ReadDir(name string) ([]fs.DirEntry, error) { return l.snapshot().ReadDir(name) }
