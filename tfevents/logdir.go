package tfevents

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/tbgo/tbgo/internal/logwalk"
)

// A Run is a directory that directly holds at least one event file.
type Run struct {
	// Name is the directory's path relative to the logdir, with forward
	// slashes; the logdir itself is ".", as TensorBoard names it.
	Name string
	// Dir is the directory's path (the logdir joined with Name).
	Dir string
	// Files are the run's event files in name order, the order in which
	// TensorBoard reads them. Files ending in ".profile-empty" are left
	// out: the profiler writes them and they hold no summaries.
	Files []string
}

// IsEventFile reports whether TensorBoard treats a file with this base name
// as an event file: the name contains "tfevents".
func IsEventFile(base string) bool {
	return strings.Contains(base, Infix)
}

// ErrNoEventFiles is returned by DiscoverRuns for a logdir that holds no
// event file at any depth.
var ErrNoEventFiles = errors.New("no event files")

// A Skip is a path that a walk of a logdir left out, and why. Discovery
// and archive.Create report what they skip in these terms.
type Skip struct {
	// Path is the path left out, named as the walk names its files: a
	// Discovery names it as Run.Dir names directories.
	Path string
	// Reason says why, e.g. "dangling symbolic link".
	Reason string
}

// String returns the skip as every command prints it, "skipped PATH:
// REASON", with the path Go-quoted when it is not UTF-8 or holds control
// characters.
func (s Skip) String() string {
	return "skipped " + logwalk.Quote(s.Path) + ": " + s.Reason
}

// A Discovery finds the runs of a logdir. The zero value finds them as
// DiscoverRuns and DiscoverRunsFS do.
//
// Discovery never fails over what a logdir holds, only when a directory
// cannot be read: it leaves out, and tells Skipped about, a symbolic link
// to nothing, a name that the file system cannot open (under io/fs, a name
// that is not UTF-8: Linux allows any bytes), and a second path to a
// directory already read (a symbolic link back to an ancestor, or a second
// link to one directory), which would otherwise be read again and again.
type Discovery struct {
	// Skipped, if not nil, is called with each path discovery leaves out,
	// in the order the walk meets them.
	Skipped func(Skip)
}

// DiscoverRuns finds the runs under logdir the way TensorBoard's loaders
// do: every directory, the logdir included, that directly contains a file
// whose name contains "tfevents" is a run named by its path relative to
// logdir. Symbolic links to directories are followed, as TensorBoard's fast
// loader does, each directory being read once. Runs are sorted by name.
//
// A logdir that is itself an event file is treated as a single run "."
// holding just that file. A logdir with no event files gives an error
// wrapping ErrNoEventFiles.
//
// DiscoverRuns is Discovery.Runs, without telling what it skipped.
func DiscoverRuns(logdir string) ([]Run, error) {
	return Discovery{}.Runs(logdir)
}

// Runs finds the runs under logdir, as DiscoverRuns documents. Names are
// read as the operating system gives them, UTF-8 or not.
func (d Discovery) Runs(logdir string) ([]Run, error) {
	info, err := os.Stat(logdir)
	if err != nil {
		return nil, fmt.Errorf("tfevents: %w", err)
	}
	if !info.IsDir() {
		if !IsEventFile(filepath.Base(logdir)) {
			return nil, fmt.Errorf("tfevents: %s is neither a directory nor an event file (name lacks %q)", logdir, Infix)
		}
		return []Run{{Name: ".", Dir: filepath.Dir(logdir), Files: []string{logdir}}}, nil
	}
	return d.walk(logwalk.OS(), logdir)
}
