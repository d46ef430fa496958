package tfevents

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
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

// DiscoverRuns finds the runs under logdir the way TensorBoard's loaders
// do: every directory, the logdir included, that directly contains a file
// whose name contains "tfevents" is a run named by its path relative to
// logdir. Symbolic links to directories are followed, as TensorBoard's fast
// loader does, with cycles broken. Runs are sorted by name.
//
// A logdir that is itself an event file is treated as a single run "."
// holding just that file. A logdir with no event files gives an error
// wrapping ErrNoEventFiles.
func DiscoverRuns(logdir string) ([]Run, error) {
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
	return walkRuns(runWalker{stat: os.Stat, readDir: os.ReadDir, join: filepath.Join}, logdir)
}
