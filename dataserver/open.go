package dataserver

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/tbgo/tbgo/archive"
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
	// Closer releases what opening took (an archive's file); nil if
	// nothing.
	Closer io.Closer
}

// Close releases the logdir.
func (l *Logdir) Close() error {
	if l.Closer == nil {
		return nil
	}
	return l.Closer.Close()
}

// OpenLogdir opens path for serving: a directory, an event file (served as
// run "."), or an archive made by tbgo archive (recognised by its bytes,
// whatever its name), read in place. A path that does not exist yet is
// served as an empty directory that may appear later, as TensorBoard's
// data server serves it. An empty path and URLs are errors wrapping
// ErrBadLogdir.
func OpenLogdir(path string) (*Logdir, error) {
	if path == "" {
		return nil, fmt.Errorf("dataserver: %w: empty --logdir", ErrBadLogdir)
	}
	if scheme, _, ok := strings.Cut(path, "://"); ok {
		return nil, fmt.Errorf("dataserver: %w: unknown protocol %q in logdir %s", ErrBadLogdir, scheme, path)
	}
	info, err := os.Stat(path)
	switch {
	case err != nil || info.IsDir():
		return &Logdir{FS: os.DirFS(path), Root: "."}, nil
	case !info.Mode().IsRegular():
		return nil, fmt.Errorf("dataserver: %w: %s is neither a directory nor a regular file", ErrBadLogdir, path)
	}
	is, err := archive.IsArchive(path)
	if err != nil {
		return nil, fmt.Errorf("dataserver: %w: %v", ErrBadLogdir, err)
	}
	if is {
		r, err := archive.Open(path)
		if err != nil {
			return nil, fmt.Errorf("dataserver: %w: %v", ErrBadLogdir, err)
		}
		return &Logdir{FS: r, Root: ".", Closer: r}, nil
	}
	if !tfevents.IsEventFile(filepath.Base(path)) {
		return nil, fmt.Errorf("dataserver: %w: %s is neither a directory, an event file nor an archive", ErrBadLogdir, path)
	}
	return &Logdir{FS: os.DirFS(filepath.Dir(path)), Root: filepath.Base(path)}, nil
}
