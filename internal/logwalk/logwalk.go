// Package logwalk walks a logdir the way tbgo reads it: symbolic links are
// followed, as TensorBoard follows them, but each real directory is read
// once, however many paths reach it; and what cannot be read (a dangling
// link, a name the file system cannot open, a second path to a directory
// already read) is reported and left out rather than failing the walk.
//
// It is the one walk behind run discovery (tfevents.DiscoverRuns and
// DiscoverRunsFS) and archive.Create, over the operating system's paths or
// an fs.FS's.
package logwalk

import (
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"unicode/utf8"
)

// Ops are the file system operations a walk uses.
type Ops struct {
	// Stat describes a file, following symbolic links.
	Stat func(name string) (fs.FileInfo, error)
	// ReadDir lists a directory, sorted by name.
	ReadDir func(name string) ([]fs.DirEntry, error)
	// Join joins path elements.
	Join func(elem ...string) string
	// Valid, if not nil, says why a name cannot be opened at all, as
	// io/fs refuses names that are not UTF-8; such entries are skipped.
	Valid func(name string) error
}

// OS returns the operations on the operating system's paths, which take
// any name a directory holds.
func OS() Ops {
	return Ops{Stat: os.Stat, ReadDir: os.ReadDir, Join: filepath.Join}
}

// FS returns the operations on the paths of fsys, which must be valid
// io/fs paths: a name that is not UTF-8 (legal on Linux, and listed by
// os.DirFS) cannot be opened, so it is skipped.
func FS(fsys fs.FS) Ops {
	return Ops{
		Stat:    func(name string) (fs.FileInfo, error) { return fs.Stat(fsys, name) },
		ReadDir: func(name string) ([]fs.DirEntry, error) { return fs.ReadDir(fsys, name) },
		Join:    path.Join,
		Valid:   validFSName,
	}
}

func validFSName(name string) error {
	if !utf8.ValidString(name) {
		return fmt.Errorf("name is not valid UTF-8, which an io/fs file system cannot open")
	}
	if !fs.ValidPath(name) || strings.Contains(name, "/") {
		return fmt.Errorf("name is not a valid io/fs path element")
	}
	return nil
}

// An Entry is a file or directory the walk met. It is small (a few
// words), since a walk holds one for every name of the directory it is
// reading, and a hostile directory can hold millions.
type Entry struct {
	// Type is the type of the file the entry is, symbolic links
	// followed: never fs.ModeSymlink.
	Type fs.FileMode
	// Link reports that the entry is a symbolic link (to Type).
	Link bool

	dir  *dirRef     // the directory holding it; for the root, the root
	de   fs.DirEntry // nil for the root
	info fs.FileInfo // a link's target
	rel  string      // Rel, once computed (for a directory)
}

// dirRef is a directory being read, which its entries share.
type dirRef struct {
	path, rel string
	join      func(elem ...string) string
}

// Name returns the entry's name in its directory; "." for the root.
func (e *Entry) Name() string {
	if e.de == nil {
		return "."
	}
	return e.de.Name()
}

// Path returns the path to open: the root joined with the entry's name and
// those of the directories above it, by Ops.Join.
func (e *Entry) Path() string {
	if e.de == nil {
		return e.dir.path
	}
	return e.dir.join(e.dir.path, e.de.Name())
}

// Rel returns the entry's path from the root, slash-separated; the root
// is ".". Its elements are the names the directories hold, UTF-8 or not.
func (e *Entry) Rel() string {
	switch {
	case e.rel != "":
		return e.rel
	case e.dir.rel == ".":
		return e.de.Name()
	}
	return e.dir.rel + "/" + e.de.Name()
}

// IsDir reports whether the entry is a directory, links followed.
func (e *Entry) IsDir() bool { return e.Type.IsDir() }

// Info describes the file the entry is, symbolic links followed.
func (e *Entry) Info() (fs.FileInfo, error) {
	if e.info != nil {
		return e.info, nil
	}
	return e.de.Info()
}

// Reasons a walk gives for an entry it leaves out. A name Ops.Valid or
// Walker.Check refuses gives the error's text.
const (
	// Dangling is a symbolic link to nothing (or to nothing the walk may
	// read).
	Dangling = "dangling symbolic link"
)

// A Walker walks the tree at a root, calling Visit for each directory it
// reads.
type Walker struct {
	Ops
	// Check, if not nil, is called with each entry's Rel before the walk
	// looks at the file; an entry it returns an error for is skipped,
	// with the error's text as the reason (for a directory, with all it
	// holds).
	Check func(rel string) error
	// Visit is called for each directory the walk reads, the root first,
	// each directory before its subdirectories, with the entries it holds
	// in name order (minus those skipped). An error ends the walk.
	//
	// Of two paths to one directory, the first met is read: in a
	// directory, entries that are not symbolic links are met before
	// links, each kind in name order; directories are read before their
	// subdirectories.
	Visit func(dir *Entry, entries []Entry) error
	// Skipped, if not nil, is called with each entry the walk leaves
	// out and why: a dangling symbolic link, a name that Ops.Valid or
	// Check refuses, a directory read already by another path (through
	// a symbolic link: a loop back to an ancestor, or a second link to a
	// directory).
	Skipped func(e *Entry, reason string)

	seen dirSet
}

// Walk walks the directory at root. It fails only when root, or a
// directory below it, cannot be read.
func (w *Walker) Walk(root string) error {
	info, err := w.Stat(root)
	if err != nil {
		return err
	}
	if !info.IsDir() {
		return fmt.Errorf("%s is not a directory", root)
	}
	w.seen = dirSet{}
	w.seen.add(info, ".")
	return w.walk(&Entry{Type: fs.ModeDir, dir: &dirRef{path: root, rel: ".", join: w.Join}, info: info, rel: "."})
}

func (w *Walker) walk(dir *Entry) error {
	ref := &dirRef{path: dir.Path(), rel: dir.Rel(), join: w.Join}
	list, err := w.ReadDir(ref.path)
	if err != nil {
		return err
	}
	// Entries that are not links are taken first, so that of a directory
	// and a link to it side by side ("latest" -> "train"), the directory
	// is read under its own name and the link skipped.
	entries := make([]Entry, len(list))
	for _, links := range []bool{false, true} {
		for i, de := range list {
			if (de.Type()&fs.ModeSymlink != 0) != links {
				continue
			}
			e := Entry{Type: de.Type(), dir: ref, de: de}
			if reason, ok := w.admit(&e); !ok {
				if w.Skipped != nil {
					w.Skipped(&e, reason)
				}
				continue
			}
			entries[i] = e
		}
	}
	entries = slices.DeleteFunc(entries, func(e Entry) bool { return e.de == nil })
	if err := w.Visit(dir, entries); err != nil {
		return err
	}
	for i := range entries {
		if entries[i].IsDir() {
			if err := w.walk(&entries[i]); err != nil {
				return err
			}
		}
	}
	return nil
}

// admit resolves e's type through a symbolic link and decides whether the
// walk takes it, giving the reason when it does not.
func (w *Walker) admit(e *Entry) (string, bool) {
	if w.Valid != nil {
		if err := w.Valid(e.Name()); err != nil {
			return err.Error(), false
		}
	}
	if w.Check != nil {
		if err := w.Check(e.Rel()); err != nil {
			return err.Error(), false
		}
	}
	info := e.info
	if e.Type&fs.ModeSymlink != 0 {
		var err error
		if info, err = w.Stat(e.Path()); err != nil {
			return Dangling, false
		}
		e.Link, e.info, e.Type = true, info, info.Mode().Type()
	}
	if !e.IsDir() {
		return "", true
	}
	if info == nil {
		// Not kept: a hostile directory can hold millions of
		// directories, and only their identities matter here.
		var err error
		if info, err = e.de.Info(); err != nil {
			return fmt.Sprintf("directory cannot be read: %v", err), false
		}
	}
	rel := e.Rel()
	e.rel = rel // the walk of the directory needs it again
	if prev, dup := w.seen.add(info, rel); dup {
		switch {
		case prev == ".":
			return "symbolic link loop back to the root", false
		case strings.HasPrefix(rel, prev+"/"):
			return "symbolic link loop back to " + Quote(prev), false
		}
		return "same directory as " + Quote(prev) + ", which is read once", false
	}
	return "", true
}

// Quote returns a path for a message: as it is when it prints cleanly,
// Go-quoted when it is not UTF-8 or holds control characters.
func Quote(p string) string {
	for _, r := range p {
		if r == utf8.RuneError || r < ' ' || r == 0x7f {
			return fmt.Sprintf("%q", p)
		}
	}
	return p
}
