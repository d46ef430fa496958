package readme

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tbgo/tbgo/history"
	"github.com/tbgo/tbgo/summary"
)

// BuildProgram compiles src, a main package that imports tbgo, with this
// module, into out, and returns out.
func BuildProgram(t testing.TB, src, out string) string {
	t.Helper()
	// A directory inside the module, so that the program builds with it.
	dir, err := os.MkdirTemp(".", "quickstart-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.WriteFile(filepath.Join(dir, "main.go"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		t.Fatal(err)
	}
	Run(t, abs, nil, "go", "build", "-o", out, ".")
	return out
}

// CheckQuickStartLogdir checks what the quick start writes: a sweep of
// three runs, each with its session, 100 losses and 100 histograms.
func CheckQuickStartLogdir(t testing.TB, logdir string) {
	t.Helper()
	src, err := history.Open(logdir)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	sums, err := history.Summarize(context.Background(), src, nil)
	if err != nil {
		t.Fatal(err)
	}
	lrs := map[any]bool{}
	for _, s := range sums {
		if s.Run == "." {
			continue
		}
		lrs[s.Session.HParams["lr"]] = true
		if s.Session.Status != summary.StatusSuccess {
			t.Errorf("run %s: status %v, want success", s.Run, s.Session.Status)
		}
		if l := s.Scalar("loss"); l == nil || l.Count != 100 {
			t.Errorf("run %s: loss %+v, want 100 values", s.Run, l)
		}
	}
	if len(lrs) != 3 || !lrs[0.1] || !lrs[0.03] || !lrs[0.01] {
		t.Errorf("sessions with lr %v, want 0.1, 0.03 and 0.01", lrs)
	}
	hists := 0
	if err := src.Values(context.Background(), nil, func(v *history.Value) error {
		if v.Kind == summary.KindHistogram {
			hists++
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if hists != 300 {
		t.Errorf("%d histograms, want 300", hists)
	}
}

// Run runs name with args in dir, env added to the environment, and
// returns its output; it fails t if the command fails.
func Run(t testing.TB, dir string, env []string, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}
