package history_test

import (
	"path"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/tbgo/tbgo/history"
)

func TestMatcherUnmatched(t *testing.T) {
	t.Parallel()
	names := []string{"loss", "loss/train", "acc"}
	tests := []struct {
		desc     string
		patterns []string
		want     []string
	}{
		{desc: "nil matcher", want: nil},
		{desc: "every pattern matches", patterns: []string{"*", "loss", "re:^a"}},
		{desc: "star selects names with a slash", patterns: []string{"*/*"}},
		{desc: "two of three select nothing", patterns: []string{"los", "acc", "re:^z"}, want: []string{"los", "re:^z"}},
	}
	for _, tc := range tests {
		m, err := history.Compile(tc.patterns...)
		if err != nil {
			t.Fatal(err)
		}
		if got := m.Unmatched(names); !slices.Equal(got, tc.want) {
			t.Errorf("%s: Unmatched = %q, want %q", tc.desc, got, tc.want)
		}
	}
	m, _ := history.Compile("a", "re:b")
	if got := m.String(); got != "a,re:b" {
		t.Errorf("String = %q", got)
	}
	if got := (*history.Matcher)(nil).String(); got != "*" {
		t.Errorf("nil String = %q", got)
	}
}

// FuzzGlob: on names without "/", a glob selects what path.Match says it
// matches, and a pattern is valid exactly when path.Match finds it well
// formed; on any name, "*" followed by the name's suffix matches.
func FuzzGlob(f *testing.F) {
	for _, s := range [][2]string{{"*", "loss"}, {"l?ss", "loss"}, {"[a-z]*", "x1"}, {`\*`, "*"}, {"[^a]", "b"},
		{"[", "x"}, {"a[", "a"}, {`[\]]`, "]"}, {"[z-a]", "q"}, {"a\\", "a"}, {"*x*", "axb"}} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, glob, name string) {
		// Invalid UTF-8 is left out: path.Match compares its bytes, a
		// regular expression reads each as U+FFFD.
		if glob == "" || strings.HasPrefix(glob, history.RegexpPrefix) || !utf8.ValidString(glob) || !utf8.ValidString(name) {
			return
		}
		// path.Match backtracks on every star: keep it quick.
		if strings.Count(glob, "*") > 6 || len(name) > 64 {
			return
		}
		m, err := history.Compile(glob)
		want, perr := path.Match(glob, strings.ReplaceAll(name, "/", ""))
		if (err != nil) != (perr != nil) {
			// path.Match accepts an empty range such as [z-a], which
			// matches nothing; Compile refuses it.
			if perr == nil && strings.Contains(err.Error(), "is empty") {
				return
			}
			t.Fatalf("Compile(%q): %v; path.Match: %v", glob, err, perr)
		}
		if err != nil {
			return
		}
		if got := m.Match(strings.ReplaceAll(name, "/", "")); got != want {
			t.Errorf("%q matches %q = %v, path.Match says %v", glob, name, got, want)
		}
		star, _ := history.Compile("*")
		if !star.Match(name) {
			t.Errorf("* does not match %q", name)
		}
	})
}
