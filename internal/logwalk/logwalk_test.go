package logwalk_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/tbgo/tbgo/internal/logwalk"
)

// TestWalkOrderAndHooks walks a file system with Check refusing some
// names: directories are visited root first, each before what it holds,
// with their entries in name order, and what Check refuses is skipped
// with everything below it.
func TestWalkOrderAndHooks(t *testing.T) {
	t.Parallel()
	fsys := fstest.MapFS{
		"a/x":       {},
		"a/b/y":     {},
		"bad/c/z":   {},
		"c":         {},
		"a-b/w":     {},
		"back\\sla": {},
	}
	var visits, skips []string
	w := logwalk.Walker{
		Ops: logwalk.FS(fsys),
		Check: func(rel string) error {
			if strings.HasPrefix(rel, "bad") || strings.Contains(rel, "\\") {
				return errors.New("refused")
			}
			return nil
		},
		Visit: func(dir *logwalk.Entry, entries []logwalk.Entry) error {
			var names []string
			for _, e := range entries {
				names = append(names, fmt.Sprintf("%s(%s)", e.Rel(), e.Path()))
			}
			visits = append(visits, dir.Rel()+": "+strings.Join(names, " "))
			return nil
		},
		Skipped: func(e *logwalk.Entry, reason string) { skips = append(skips, e.Rel()+": "+reason) },
	}
	if err := w.Walk("."); err != nil {
		t.Fatal(err)
	}
	wantVisits := []string{
		".: a(a) a-b(a-b) c(c)",
		"a: a/b(a/b) a/x(a/x)",
		"a/b: a/b/y(a/b/y)",
		"a-b: a-b/w(a-b/w)",
	}
	if strings.Join(visits, "\n") != strings.Join(wantVisits, "\n") {
		t.Errorf("visits\n%s\nwant\n%s", strings.Join(visits, "\n"), strings.Join(wantVisits, "\n"))
	}
	if want := []string{"back\\sla: refused", "bad: refused"}; strings.Join(skips, "|") != strings.Join(want, "|") {
		t.Errorf("skipped %q, want %q", skips, want)
	}
}

// TestWalkErrors shows what ends a walk: a root that is not a directory,
// an error from Visit.
func TestWalkErrors(t *testing.T) {
	t.Parallel()
	fsys := fstest.MapFS{"f": {}, "d/g": {}}
	w := logwalk.Walker{Ops: logwalk.FS(fsys), Visit: func(*logwalk.Entry, []logwalk.Entry) error { return nil }}
	if err := w.Walk("f"); err == nil {
		t.Error("a walk of a file succeeded")
	}
	if err := w.Walk("missing"); err == nil {
		t.Error("a walk of nothing succeeded")
	}
	stop := errors.New("stop")
	w.Visit = func(*logwalk.Entry, []logwalk.Entry) error { return stop }
	if err := w.Walk("."); !errors.Is(err, stop) {
		t.Errorf("Walk = %v, want Visit's error", err)
	}
}

func TestQuote(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"run/a":     "run/a",
		"junk\xff":  `"junk\xff"`,
		"tab\there": `"tab\there"`,
		"ünïcode":   "ünïcode",
	} {
		if got := logwalk.Quote(in); got != want {
			t.Errorf("Quote(%q) = %s, want %s", in, got, want)
		}
	}
}
