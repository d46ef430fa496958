package table_test

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/tbgo/tbgo/internal/testenv"
)

// TestDependencies pins what reading costs an importer: history pulls no
// Parquet, which only history/table needs. (That neither pulls plotting
// follows from package summary's own pin, once summary sheds it.)
func TestDependencies(t *testing.T) {
	t.Parallel()
	goTool, err := exec.LookPath("go")
	testenv.Need(t, err, "the go command", "put the Go toolchain's bin directory on PATH")
	for _, tc := range []struct {
		pkg    string
		banned []string
	}{
		{"github.com/tbgo/tbgo/history", []string{"github.com/parquet-go/", "github.com/klauspost/compress/s2"}},
	} {
		out, err := exec.Command(goTool, "list", "-deps", tc.pkg).Output()
		if err != nil {
			t.Fatalf("go list -deps %s: %v", tc.pkg, err)
		}
		for _, dep := range strings.Fields(string(out)) {
			for _, b := range tc.banned {
				if strings.HasPrefix(dep, b) {
					t.Errorf("%s depends on %s", tc.pkg, dep)
				}
			}
		}
	}
}
