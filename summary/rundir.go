package summary

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"
)

// DefaultRunsDir is the directory under which DefaultRunDir names runs.
const DefaultRunsDir = "runs"

// runDirTime is the time part of DefaultRunDir's names: local time, to the
// second, in an order that sorts as it happened.
const runDirTime = "2006-01-02_15-04-05"

// DefaultRunDir returns the name of a new run for a program that has no
// better one: runs/<date>_<time>_<host><comment>, such as
// runs/2026-07-01_12-00-00_gpu7-lr0.1, as PyTorch's SummaryWriter names
// runs (runs/<date>_<host><comment>), with the date written so that runs
// sort in the order they were made. The host is os.Hostname, "localhost"
// when unknown. NewWriter("", opts) makes a run of this name, with
// Options.Comment as comment, and adds a numeric suffix if the directory
// exists, so that running a program twice gives two runs, not one run of
// two event files.
func DefaultRunDir(comment string) string {
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "localhost"
	}
	return filepath.Join(DefaultRunsDir, time.Now().Format(runDirTime)+"_"+host+comment)
}

// maxRunDirTries bounds the suffixes makeRunDir tries.
const maxRunDirTries = 1000

// makeRunDir creates the directory name, or name_2, name_3, ... if it
// exists, and returns the one it made: a run no other program writes to.
func makeRunDir(name string) (string, error) {
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		return "", fmt.Errorf("summary: %w", err)
	}
	dir := name
	for i := 2; ; i++ {
		err := os.Mkdir(dir, 0o755)
		if err == nil {
			return dir, nil
		}
		if !errors.Is(err, os.ErrExist) || i > maxRunDirTries {
			return "", fmt.Errorf("summary: new run directory: %w", err)
		}
		dir = name + "_" + strconv.Itoa(i)
	}
}
