package summary

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/tbgo/tbgo/storage"
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
// In an object store (name a URL), where a directory is its objects, it
// returns the first of those names that holds none.
func makeRunDir(name string) (string, error) {
	if _, local := storage.Local(name); !local {
		return freeBucketRun(name)
	}
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

// freeBucketRun returns the first of the URLs name, name_2, name_3, ...
// below which the object store holds nothing. Two processes may pick the
// same; the second Writer of the run is refused (see NewWriter).
func freeBucketRun(name string) (string, error) {
	u, err := url.Parse(name)
	if err != nil {
		return "", fmt.Errorf("summary: %s: not a valid URL", storage.Redact(name))
	}
	base := u.Path
	for i := 1; i <= maxRunDirTries; i++ {
		if i > 1 {
			u.Path = base + "_" + strconv.Itoa(i)
		}
		st, err := storage.Open(context.Background(), u.String())
		if err != nil {
			return "", fmt.Errorf("summary: %w", err)
		}
		entries, err := fs.ReadDir(st.FS(), ".")
		st.Close()
		if errors.Is(err, fs.ErrNotExist) || err == nil && len(entries) == 0 {
			return u.String(), nil
		}
		if err != nil {
			return "", fmt.Errorf("summary: new run: %w", err)
		}
	}
	return "", fmt.Errorf("summary: new run %s: %d names taken", storage.Display(name), maxRunDirTries)
}
