package summary

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestNewWriterDefaultRunDir runs a program twice in one second, as a
// quick re-run does: each gets a run of its own under runs/, named after
// the time and host with the comment, each holding one event file.
func TestNewWriterDefaultRunDir(t *testing.T) {
	t.Chdir(t.TempDir())
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "localhost"
	}
	name := regexp.MustCompile(`^runs/\d{4}-\d\d-\d\d_\d\d-\d\d-\d\d_` + regexp.QuoteMeta(host) + `-lr0\.1(_\d+)?$`)
	dirs := map[string]bool{}
	for range 3 {
		w, err := NewWriter("", &Options{Comment: "-lr0.1"})
		if err != nil {
			t.Fatal(err)
		}
		if !name.MatchString(filepath.ToSlash(w.Dir())) {
			t.Errorf("run %q does not match %v", w.Dir(), name)
		}
		if dirs[w.Dir()] {
			t.Errorf("run %q made twice", w.Dir())
		}
		dirs[w.Dir()] = true
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
	}
	for dir := range dirs {
		if files, err := filepath.Glob(filepath.Join(dir, "events.out.tfevents.*")); err != nil || len(files) != 1 {
			t.Errorf("%s holds %d event files, want 1", dir, len(files))
		}
	}
	if got := DefaultRunDir("-x"); !strings.HasPrefix(got, DefaultRunsDir+string(filepath.Separator)) || !strings.HasSuffix(got, host+"-x") {
		t.Errorf("DefaultRunDir = %q", got)
	}
	if _, err := NewWriter("", &Options{Comment: "a/b"}); err == nil {
		t.Error("a comment with a path separator was taken")
	}
}
