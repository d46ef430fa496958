package readme

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tbgo/tbgo/internal/testenv"
)

// TestQuickStart builds and runs the README's quick start as a newcomer
// would: the Go program, the install line and the tbgo commands.
// (compat's TestQuickStartTensorBoard opens the result in TensorBoard.)
func TestQuickStart(t *testing.T) {
	if testing.Short() {
		t.Skip("builds two programs")
	}
	_, err := exec.LookPath("go")
	testenv.Need(t, err, "the go command", "install Go")
	sec, err := Section("## Quick start")
	if err != nil {
		t.Fatal(err)
	}
	progs := Fenced(sec, "go")
	if len(progs) != 1 {
		t.Fatalf("%d go blocks in the quick start, want 1", len(progs))
	}
	bin := t.TempDir()
	quickstart := BuildProgram(t, progs[0], filepath.Join(bin, "quickstart"))
	work := t.TempDir()
	Run(t, work, nil, quickstart)
	CheckQuickStartLogdir(t, filepath.Join(work, "runs", "quickstart"))

	root := filepath.Dir(Path())
	for _, args := range Commands(Fenced(sec, "sh")) {
		line := strings.Join(args, " ")
		switch {
		case args[0] == "git" || strings.Contains(line, "pip install") || strings.Contains(line, "tensorboard --logdir") ||
			strings.Contains(line, "tbgo board"):
			// The test runs in a clone; TensorBoard's lines are
			// compat's (TestQuickStartTensorBoard).
		case line == "go install ./cmd/...":
			Run(t, root, []string{"GOBIN=" + bin}, "go", "install", "./cmd/...")
		case args[0] == "tbgo":
			out := Run(t, work, nil, filepath.Join(bin, "tbgo"), args[1:]...)
			if args[1] == "compare" {
				for _, want := range []string{"lr=0.1", "lr=0.03", "lr=0.01"} {
					if !strings.Contains(out, want) {
						t.Errorf("%s: no row %s in\n%s", line, want, out)
					}
				}
			}
		default:
			t.Errorf("the quick start has a command this test does not know: %q", line)
		}
	}
}
