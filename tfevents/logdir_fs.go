package tfevents

import (
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"
)

// DiscoverRunsFS is DiscoverRuns for a logdir inside a file system, such
// as os.DirFS of a directory or an archive opened without unpacking it.
// root is the logdir's path in fsys ("." for the whole file system), and
// the returned runs' Dir and Files are paths in fsys, slash-separated.
//
// The rules are DiscoverRuns': every directory at or below root that
// directly holds a regular file whose name contains "tfevents" (and does
// not end in ".profile-empty") is a run, named by its path relative to
// root, the root itself being "."; files are in name order; runs are sorted
// by name. Symbolic links are followed when fsys follows them in Stat (as
// os.DirFS does), with cycles broken when fsys reports file identities
// (os.DirFS on Unix); dangling links are skipped. A root that is an event
// file is a single run "." holding just that file. A root with no event
// files gives an error wrapping ErrNoEventFiles.
func DiscoverRunsFS(fsys fs.FS, root string) ([]Run, error) {
	if !fs.ValidPath(root) {
		return nil, fmt.Errorf("tfevents: %q is not a valid path in the file system", root)
	}
	info, err := fs.Stat(fsys, root)
	if err != nil {
		return nil, fmt.Errorf("tfevents: %w", err)
	}
	if !info.IsDir() {
		if !IsEventFile(path.Base(root)) {
			return nil, fmt.Errorf("tfevents: %s is neither a directory nor an event file (name lacks %q)", root, Infix)
		}
		return []Run{{Name: ".", Dir: path.Dir(root), Files: []string{root}}}, nil
	}
	return walkRuns(runWalker{
		stat:    func(p string) (fs.FileInfo, error) { return fs.Stat(fsys, p) },
		readDir: func(p string) ([]fs.DirEntry, error) { return fs.ReadDir(fsys, p) },
		join:    path.Join,
	}, root)
}

// walkRuns finds the runs at or below root with w, sorted by name.
func walkRuns(w runWalker, root string) ([]Run, error) {
	w.seen = map[fileID]bool{}
	if err := w.walk(root, "."); err != nil {
		return nil, err
	}
	if len(w.runs) == 0 {
		return nil, fmt.Errorf("tfevents: %s: %w", root, ErrNoEventFiles)
	}
	slices.SortFunc(w.runs, func(a, b Run) int { return strings.Compare(a.Name, b.Name) })
	return w.runs, nil
}

// isRunFile reports whether a regular file of this base name makes its
// directory a run: the profiler's ".profile-empty" markers do not.
func isRunFile(base string) bool {
	return IsEventFile(base) && !strings.HasSuffix(base, ".profile-empty")
}

// runWalker is one walk of DiscoverRuns (the operating system's paths)
// or DiscoverRunsFS (an fs.FS's): the same rules over either's
// operations.
type runWalker struct {
	stat    func(string) (fs.FileInfo, error) // follows symbolic links
	readDir func(string) ([]fs.DirEntry, error)
	join    func(elem ...string) string

	seen map[fileID]bool // directories visited, when stat tells identities
	runs []Run
}

func (w *runWalker) walk(dir, name string) error {
	info, err := w.stat(dir)
	if err != nil {
		return fmt.Errorf("tfevents: %w", err)
	}
	if id, ok := idOf(info); ok {
		if w.seen[id] {
			return nil // a symlink cycle or a second link to a visited dir
		}
		w.seen[id] = true
	}
	entries, err := w.readDir(dir)
	if err != nil {
		return fmt.Errorf("tfevents: %w", err)
	}
	var files, subdirs []string
	for _, e := range entries {
		full := w.join(dir, e.Name())
		typ := e.Type()
		if typ&fs.ModeSymlink != 0 {
			target, err := w.stat(full)
			if err != nil {
				continue // dangling link: TensorBoard skips it too
			}
			typ = target.Mode().Type()
		}
		switch {
		case typ.IsDir():
			subdirs = append(subdirs, e.Name())
		case typ.IsRegular() && isRunFile(e.Name()):
			files = append(files, full)
		}
	}
	if len(files) > 0 {
		slices.Sort(files)
		w.runs = append(w.runs, Run{Name: name, Dir: dir, Files: files})
	}
	for _, sub := range subdirs {
		subName := sub
		if name != "." {
			subName = name + "/" + sub
		}
		if err := w.walk(w.join(dir, sub), subName); err != nil {
			return err
		}
	}
	return nil
}
