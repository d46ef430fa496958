package tfevents

import (
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"

	"github.com/tbgo/tbgo/internal/logwalk"
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
// os.DirFS does), each directory being read once when fsys reports file
// identities (os.DirFS on Unix); dangling links are skipped, and so are
// names that are not UTF-8, which no fs.FS can open. A root that is an
// event file is a single run "." holding just that file. A root with no
// event files gives an error wrapping ErrNoEventFiles.
//
// DiscoverRunsFS is Discovery.RunsFS, without telling what it skipped.
func DiscoverRunsFS(fsys fs.FS, root string) ([]Run, error) {
	return Discovery{}.RunsFS(fsys, root)
}

// RunsFS finds the runs under root in fsys, as DiscoverRunsFS documents.
// Skipped paths are paths in fsys, except that a name that is not UTF-8
// is joined to its directory as it is.
func (d Discovery) RunsFS(fsys fs.FS, root string) ([]Run, error) {
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
	return d.walk(logwalk.FS(fsys), root)
}

// walk finds the runs at or below root with ops, sorted by name.
func (d Discovery) walk(ops logwalk.Ops, root string) ([]Run, error) {
	var runs []Run
	w := logwalk.Walker{
		Ops: ops,
		Visit: func(dir *logwalk.Entry, entries []logwalk.Entry) error {
			var files []string // in name order, as entries are
			for _, e := range entries {
				if e.Type.IsRegular() && isRunFile(e.Name()) {
					files = append(files, e.Path())
				}
			}
			if len(files) > 0 {
				runs = append(runs, Run{Name: dir.Rel(), Dir: dir.Path(), Files: files})
			}
			return nil
		},
	}
	if d.Skipped != nil {
		w.Skipped = func(e *logwalk.Entry, reason string) { d.Skipped(Skip{Path: e.Path(), Reason: reason}) }
	}
	if err := w.Walk(root); err != nil {
		return nil, fmt.Errorf("tfevents: %w", err)
	}
	if len(runs) == 0 {
		return nil, fmt.Errorf("tfevents: %s: %w", root, ErrNoEventFiles)
	}
	slices.SortFunc(runs, func(a, b Run) int { return strings.Compare(a.Name, b.Name) })
	return runs, nil
}

// isRunFile reports whether a regular file of this base name makes its
// directory a run: the profiler's ".profile-empty" markers do not.
func isRunFile(base string) bool {
	return IsEventFile(base) && !strings.HasSuffix(base, ".profile-empty")
}
