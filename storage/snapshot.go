package storage

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path"
	"slices"
	"strings"
)

// A Snapshot is a logdir as one recursive listing found it: a read-only
// file system (fs.ReadDirFS, fs.StatFS) whose files are the objects
// listed and whose directories are the prefixes above them. ReadDir and
// Stat answer from the listing without a request, and so does Open: a
// file opened from a Snapshot knows its size, and its first Read starts
// the one streaming read that takes it to its end, as a file of Store.FS
// does. Keys that fs cannot name (a "directory marker" ending in "/",
// "a//b") are left out. The zero Snapshot is an empty file system.
//
// A Snapshot does not change: take another to see what was written since.
// It is safe for concurrent use.
type Snapshot struct {
	name  string // the Store's location as Display shows it, for messages
	files map[string]FileInfo
	dirs  map[string][]fs.DirEntry // by path, "." for the root; sorted by name
	list  []FileInfo               // the files, in path order
	open  func(FileInfo) (fs.File, error)
}

var (
	_ fs.ReadDirFS = (*Snapshot)(nil)
	_ fs.StatFS    = (*Snapshot)(nil)
)

// Snapshot lists everything in the Store's logdir with one recursive
// listing (a LIST request per 1000 objects) and returns it. Discovering
// the runs of a logdir in a Snapshot costs that listing, where a walk of
// FS costs one per directory. A prefix that holds nothing gives an empty
// Snapshot; a missing bucket an error wrapping ErrNotExist. The listing
// is made with ctx, each of its waits bounded as FS bounds them; the files
// of the Snapshot are read as FS reads them. On a local Store the listing
// walks the directory, following symbolic links, and files are opened
// with os.DirFS.
func (s *Store) Snapshot(ctx context.Context) (*Snapshot, error) {
	snap := &Snapshot{name: Display(s.name), files: map[string]FileInfo{}, dirs: map[string][]fs.DirEntry{".": nil}}
	fsys := s.bucketFS()
	if s.dir != "" {
		dir := os.DirFS(s.dir)
		snap.open = func(info FileInfo) (fs.File, error) { return dir.Open(info.path) }
	} else {
		snap.open = func(info FileInfo) (fs.File, error) { return fsys.newFile(info.path, info), nil }
	}
	err := fsys.list(ctx, s.prefix, true, func(o Object) error {
		name := strings.TrimPrefix(o.Key, s.prefix)
		if o.IsDir || strings.HasSuffix(name, "/") || !fs.ValidPath(name) || name == "." {
			return nil // a "directory marker" object, or a key fs cannot name
		}
		snap.add(fileInfo(name, o))
		return nil
	})
	if err != nil {
		return nil, fsys.pathError("list", ".", err)
	}
	for _, entries := range snap.dirs {
		slices.SortFunc(entries, func(a, b fs.DirEntry) int { return strings.Compare(a.Name(), b.Name()) })
	}
	return snap, nil
}

// add adds a file, and the directories above it that are new.
func (s *Snapshot) add(info FileInfo) {
	s.files[info.path] = info
	s.list = append(s.list, info)
	name, entry := info.path, fs.FileInfoToDirEntry(info)
	for {
		dir := path.Dir(name)
		_, known := s.dirs[dir]
		s.dirs[dir] = append(s.dirs[dir], entry)
		if known {
			return
		}
		name, entry = dir, fs.FileInfoToDirEntry(dirInfo(dir))
	}
}

// Files returns the files of the Snapshot in path order, as the listing
// gave them. The slice is the Snapshot's: do not modify it.
func (s *Snapshot) Files() []FileInfo { return s.list }

// Stat describes the file or directory name as listed.
func (s *Snapshot) Stat(name string) (fs.FileInfo, error) {
	info, err := s.stat("stat", name)
	if err != nil {
		return nil, err
	}
	return info, nil
}

func (s *Snapshot) stat(op, name string) (FileInfo, error) {
	if !fs.ValidPath(name) {
		return FileInfo{}, s.pathError(op, name, fs.ErrInvalid)
	}
	if info, ok := s.files[name]; ok {
		return info, nil
	}
	if _, ok := s.dirs[name]; ok || name == "." {
		return dirInfo(name), nil
	}
	return FileInfo{}, s.pathError(op, name, fs.ErrNotExist)
}

// ReadDir returns the entries of the directory name as listed, sorted by
// name.
func (s *Snapshot) ReadDir(name string) ([]fs.DirEntry, error) {
	info, err := s.stat("readdir", name)
	if err != nil {
		return nil, err
	}
	if !info.IsDir() {
		return nil, s.pathError("readdir", name, errors.New("not a directory"))
	}
	return slices.Clone(s.dirs[name]), nil
}

// Open opens the file or directory name, without a request.
func (s *Snapshot) Open(name string) (fs.File, error) {
	info, err := s.stat("open", name)
	if err != nil {
		return nil, err
	}
	if info.IsDir() {
		return &bucketDir{name: name, info: info, readDir: s.ReadDir}, nil
	}
	return s.open(info)
}

func (s *Snapshot) pathError(op, name string, err error) error {
	p := name
	if s.name != "" {
		p = displayPath(s.name, name)
	}
	return &fs.PathError{Op: op, Path: p, Err: err}
}
