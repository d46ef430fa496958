package history

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

	"github.com/tbgo/tbgo/storage"
	"github.com/tbgo/tbgo/tfevents"
)

// ErrUnknownFormat is wrapped by Open's error for a path that is neither a
// directory, nor an event file, nor an archive.
var ErrUnknownFormat = errors.New("not a logdir, an event file or a tbgo archive")

// A Source is a run history opened for reading: a logdir, a run directory,
// an event file or an archive, with its runs discovered as TensorBoard
// discovers them. Its methods read the runs' event files afresh on every
// call; a Source holds no data. A Source is safe for concurrent use by
// methods that read; Close must come last.
type Source struct {
	path    string
	fsys    fs.FS
	root    string
	runs    []tfevents.Run
	skipped []tfevents.Skip
	closer  io.Closer
	archive bool
	store   *storage.Store // a logdir in a bucket: runs are discovered in a Snapshot of it
}

// Open opens path: a logdir, a run directory or an event file (any file
// whose name contains "tfevents"), or an archive written by tbgo archive,
// recognised by its magic bytes whatever its name. It discovers the runs
// at once (tfevents.DiscoverRunsFS): a path with no event files gives an
// error wrapping tfevents.ErrNoEventFiles, a file of any other kind one
// wrapping ErrUnknownFormat.
//
// path may also be a URL that storage.Open accepts: file://, and s3://,
// gs://, azblob:// and mem:// once storage/cloud is imported; an object
// store is read through its listings and streamed reads (Store.FS).
func Open(path string) (*Source, error) {
	return openContext(context.Background(), path)
}

// openContext is Open with a context, which bounds the requests of
// opening a URL and, after, of the Source's Store.
func openContext(ctx context.Context, path string) (*Source, error) {
	if storage.IsURL(path) {
		return openURL(ctx, path)
	}
	info, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("history: %w", err)
	}
	if info.IsDir() {
		return open(ctx, path, os.DirFS(path), ".", nil, false, nil)
	}
	if !info.Mode().IsRegular() {
		return nil, fmt.Errorf("history: %s: %w", path, ErrUnknownFormat)
	}
	fsys, closer, ok, err := openArchive(path)
	if err != nil {
		return nil, fmt.Errorf("history: %w", err)
	}
	if ok {
		return open(ctx, path, fsys, ".", closer, true, nil)
	}
	base := filepath.Base(path)
	if !tfevents.IsEventFile(base) {
		return nil, fmt.Errorf("history: %s: %w (an event file's name contains %q)", path, ErrUnknownFormat, tfevents.Infix)
	}
	return open(ctx, filepath.Dir(path), os.DirFS(filepath.Dir(path)), base, nil, false, nil)
}

// openURL opens the logdir, run or event file at a URL.
func openURL(ctx context.Context, location string) (*Source, error) {
	st, err := storage.Open(ctx, location)
	if err != nil {
		return nil, fmt.Errorf("history: %w", err)
	}
	if dir, ok := st.Dir(); ok {
		st.Close()
		return openContext(ctx, dir) // file://: a local path, archives included
	}
	name := storage.Display(st.Name())
	// An event file is an object whose name says so: read its parent
	// prefix, rooted at it.
	if base := path.Base(st.Key(".")); tfevents.IsEventFile(base) {
		u, err := url.Parse(location)
		if err != nil {
			st.Close()
			return nil, fmt.Errorf("history: %s: %w", st.Name(), err)
		}
		st.Close()
		u.Path = path.Dir(strings.TrimSuffix(u.Path, "/"))
		if st, err = storage.Open(ctx, u.String()); err != nil {
			return nil, fmt.Errorf("history: %w", err)
		}
		return open(ctx, storage.Display(st.Name()), st.FS(), base, st, false, nil)
	}
	// A logdir: its runs are discovered in one listing of it, where a
	// walk of st.FS() would cost one per directory.
	return open(ctx, name, st.FS(), ".", st, false, st)
}

// OpenFS opens the logdir, run directory or event file at root in fsys
// ("." for the whole file system). name is the Source's path, which names
// its files in messages.
func OpenFS(fsys fs.FS, root, name string) (*Source, error) {
	return open(context.Background(), name, fsys, root, nil, false, nil)
}

func open(ctx context.Context, name string, fsys fs.FS, root string, closer io.Closer, archive bool, store *storage.Store) (*Source, error) {
	s := &Source{path: name, fsys: fsys, root: root, closer: closer, archive: archive, store: store}
	d := tfevents.Discovery{Skipped: func(sk tfevents.Skip) { s.skipped = append(s.skipped, sk) }}
	listed, err := s.discovery(ctx)
	var runs []tfevents.Run
	if err == nil {
		runs, err = d.RunsFS(listed, root)
	}
	if err != nil {
		s.Close()
		if errors.Is(err, tfevents.ErrNoEventFiles) {
			return nil, fmt.Errorf("history: %s: %w", s.Path(), tfevents.ErrNoEventFiles)
		}
		return nil, fmt.Errorf("history: %s: %w", s.Path(), err)
	}
	s.runs = runs
	return s, nil
}

// discovery returns the file system in which to discover the Source's
// runs: a fresh storage.Snapshot of a logdir in a bucket, the Source's FS
// otherwise.
func (s *Source) discovery(ctx context.Context) (fs.FS, error) {
	if s.store == nil {
		return s.fsys, nil
	}
	return s.store.Snapshot(ctx)
}

// Path returns the path the Source was opened with: for an event file, the
// file's path.
func (s *Source) Path() string {
	if s.root != "." && !s.archive {
		return s.FileName(s.root)
	}
	return s.path
}

// Skipped returns what discovery left out of the Source, with why: paths
// that cannot be read as they are named (not UTF-8), links to a directory
// already read, dangling links. A command prints them as warnings; a
// logdir is never unreadable because of them.
func (s *Source) Skipped() []tfevents.Skip { return s.skipped }

// IsArchive reports whether the Source is an archive.
func (s *Source) IsArchive() bool { return s.archive }

// FS returns the file system the Source reads; the runs' Dir and Files are
// paths in it.
func (s *Source) FS() fs.FS { return s.fsys }

// Runs returns the runs in name order. Their Dir and Files are paths in
// FS; FileName turns them into names for people. The slice is the
// Source's: do not modify it.
func (s *Source) Runs() []tfevents.Run { return s.runs }

// FileName returns the name of a file of FS for messages: its path on disk
// for a directory, "ARCHIVE:PATH" inside an archive.
func (s *Source) FileName(p string) string {
	if s.archive {
		return s.path + ":" + p
	}
	if p == "." {
		return s.path
	}
	if storage.IsURL(s.path) {
		return s.path + "/" + p
	}
	return filepath.Join(s.path, filepath.FromSlash(p))
}

// Stat returns the file information of a file of FS.
func (s *Source) Stat(p string) (fs.FileInfo, error) {
	return fs.Stat(s.fsys, p)
}

// Close releases the archive or bucket a Source reads, if any. It is safe
// to call more than once.
func (s *Source) Close() error {
	if s.closer == nil {
		return nil
	}
	c := s.closer
	s.closer = nil
	return c.Close()
}
