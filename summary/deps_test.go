package summary_test

import (
	"os/exec"
	"slices"
	"strings"
	"testing"

	"github.com/tbgo/tbgo/internal/testenv"
)

// thirdParty returns the packages outside the standard library and this
// module that pkg depends on, as go list -deps reports them.
func thirdParty(t *testing.T, pkg string) []string {
	t.Helper()
	cmd := exec.Command("go", "list", "-deps", "-f", "{{if not .Standard}}{{.ImportPath}}{{end}}", pkg)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list -deps %s: %v", pkg, err)
	}
	var deps []string
	for _, p := range strings.Fields(string(out)) {
		if !strings.HasPrefix(p, "github.com/tbgo/tbgo/") && p != "github.com/tbgo/tbgo" {
			deps = append(deps, p)
		}
	}
	return deps
}

// The modules of the core: what a program that logs scalars, histograms,
// images and text pays for.
var coreModules = []string{"google.golang.org/protobuf/", "gonum.org/v1/gonum/"}

// plotModules are gonum/plot and what it pulls: fonts, LaTeX, PDF, SVG,
// rasterisers. Only summary/figure may bring them in.
var plotModules = []string{
	"gonum.org/v1/plot", "codeberg.org/go-fonts/", "codeberg.org/go-latex/", "codeberg.org/go-pdf/",
	"git.sr.ht/~sbinet/gg", "github.com/ajstarks/svgo", "github.com/golang/freetype", "golang.org/x/image/",
	"golang.org/x/text/", "golang.org/x/sys/cpu", // by golang.org/x/image
}

func fromAny(p string, prefixes []string) bool {
	return slices.ContainsFunc(prefixes, func(prefix string) bool { return strings.HasPrefix(p, prefix) })
}

// TestDependencyWeight pins what each package of the summary tree costs
// its importer, as docs/design's table says: the writer and its helpers
// pull protobuf and gonum's matrices and nothing else; only summary/figure
// adds gonum/plot with its fonts, PDF, SVG and LaTeX packages. It fails
// when a change makes logging a scalar link a plotting or font package.
func TestDependencyWeight(t *testing.T) {
	_, err := exec.LookPath("go")
	testenv.Need(t, err, "the go command", "put go on PATH")
	tests := []struct {
		pkg     string
		allowed []string // prefixes of the third-party packages it may pull
		must    string   // a package it must pull, proving the check sees its deps
	}{
		{pkg: "github.com/tbgo/tbgo/summary", allowed: coreModules, must: "gonum.org/v1/gonum/mat"},
		{pkg: "github.com/tbgo/tbgo/summary/runinfo", allowed: coreModules, must: "google.golang.org/protobuf/proto"},
		{pkg: "github.com/tbgo/tbgo/internal/media"},
		{pkg: "github.com/tbgo/tbgo/summary/figure", allowed: append(slices.Clone(coreModules), plotModules...), must: "gonum.org/v1/plot"},
	}
	for _, tc := range tests {
		t.Run(strings.TrimPrefix(tc.pkg, "github.com/tbgo/tbgo/"), func(t *testing.T) {
			t.Parallel()
			deps := thirdParty(t, tc.pkg)
			plotAllowed := slices.Contains(tc.allowed, "gonum.org/v1/plot")
			for _, p := range deps {
				switch {
				case !plotAllowed && (strings.HasPrefix(p, "gonum.org/v1/plot") || strings.Contains(p, "font") ||
					strings.Contains(p, "pdf") || strings.Contains(p, "svg") || strings.Contains(p, "latex")):
					t.Errorf("%s depends on %s: a plotting, font or document package, which only summary/figure may pull", tc.pkg, p)
				case !fromAny(p, tc.allowed):
					t.Errorf("%s depends on %s, which it must not pull", tc.pkg, p)
				}
			}
			if tc.must != "" && !slices.Contains(deps, tc.must) {
				t.Errorf("%s does not depend on %s: go list -deps reported %d packages", tc.pkg, tc.must, len(deps))
			}
			t.Logf("%s: %d third-party packages", tc.pkg, len(deps))
		})
	}
}
