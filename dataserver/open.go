package dataserver

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/tbgo/tbgo/archive"
	"github.com/tbgo/tbgo/storage"
	"github.com/tbgo/tbgo/tfevents"
)

// ErrBadLogdir is wrapped by OpenLogdir's errors: a logdir the server
// cannot serve at all, as opposed to one that holds no data yet.
var ErrBadLogdir = errors.New("bad logdir")

// A Logdir is a logdir opened for serving: a file system and the logdir's
// root in it.
type Logdir struct {
	FS   fs.FS
	Root string
	// Name is the logdir as GetExperiment reports it (New's location):
	// the path or URL it was opened with, a URL's secrets redacted.
	Name string
	// Closer releases what opening took (an archive's file, a bucket);
	// nil if nothing.
	Closer io.Closer
}

// Close releases the logdir.
func (l *Logdir) Close() error {
	if l.Closer == nil {
		return nil
	}
	return l.Closer.Close()
}

// OpenLogdir opens location for serving: a directory, an event file
// (served as run "."), or an archive made by tbgo archive (recognised by
// its bytes, whatever its name), read in place. A path that does not exist
// yet is served as an empty directory that may appear later, as
// TensorBoard's data server serves it.
//
// location may also be a URL that storage.Open accepts: file://, and
// s3://, gs://, azblob:// and mem:// once storage/cloud is imported. A
// URL names a logdir prefix in a bucket (or an event file there), which
// the Server reads with one listing per load cycle and ranged reads of
// what has been added (see New); an archive must be a local file. An
// empty location, a URL of a scheme no driver handles and a URL naming
// an object that is not an event file are errors wrapping ErrBadLogdir.
func OpenLogdir(location string) (*Logdir, error) {
	if location == "" {
		return nil, fmt.Errorf("dataserver: %w: empty --logdir", ErrBadLogdir)
	}
	if storage.IsURL(location) {
		return openURL(location)
	}
	info, err := os.Stat(location)
	switch {
	case err != nil || info.IsDir():
		return &Logdir{FS: os.DirFS(location), Root: ".", Name: location}, nil
	case !info.Mode().IsRegular():
		return nil, fmt.Errorf("dataserver: %w: %s is neither a directory nor a regular file", ErrBadLogdir, location)
	}
	is, err := archive.IsArchive(location)
	if err != nil {
		return nil, fmt.Errorf("dataserver: %w: %v", ErrBadLogdir, err)
	}
	if is {
		r, err := archive.Open(location)
		if err != nil {
			return nil, fmt.Errorf("dataserver: %w: %v", ErrBadLogdir, err)
		}
		return &Logdir{FS: r, Root: ".", Name: location, Closer: r}, nil
	}
	if !tfevents.IsEventFile(filepath.Base(location)) {
		return nil, fmt.Errorf("dataserver: %w: %s is neither a directory, an event file nor an archive", ErrBadLogdir, location)
	}
	return &Logdir{FS: os.DirFS(filepath.Dir(location)), Root: filepath.Base(location), Name: location}, nil
}

// openURL opens the logdir, or event file, at a URL.
func openURL(location string) (*Logdir, error) {
	ctx := context.Background()
	st, err := storage.Open(ctx, location)
	if err != nil {
		return nil, fmt.Errorf("dataserver: %w: %w", ErrBadLogdir, err)
	}
	if dir, ok := st.Dir(); ok {
		st.Close()
		l, err := OpenLogdir(dir) // file://: a local path, archives included
		if err != nil {
			return nil, err
		}
		l.Name = location
		return l, nil
	}
	name := st.Name()
	key := st.Key(".")
	base := path.Base(key)
	if key == "" || !tfevents.IsEventFile(base) {
		if _, err := st.Bucket().Stat(ctx, key); err == nil && key != "" {
			st.Close()
			return nil, fmt.Errorf("dataserver: %w: %s names an object that is not an event file "+
				"(a logdir is a prefix; an archive is served from local disk only)", ErrBadLogdir, name)
		}
		return &Logdir{FS: newListing(st), Root: ".", Name: name, Closer: st}, nil
	}
	// An event file: serve its parent prefix, rooted at it.
	st.Close()
	u, err := url.Parse(location)
	if err != nil {
		return nil, fmt.Errorf("dataserver: %w: %s: %v", ErrBadLogdir, name, err)
	}
	u.Path, u.RawPath = path.Dir(strings.TrimSuffix(u.Path, "/")), ""
	if st, err = storage.Open(ctx, u.String()); err != nil {
		return nil, fmt.Errorf("dataserver: %w: %w", ErrBadLogdir, err)
	}
	return &Logdir{FS: newListing(st), Root: base, Name: name, Closer: st}, nil
}
