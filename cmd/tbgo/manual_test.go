package main

import (
	"bufio"
	"bytes"
	"errors"
	"flag"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/tbgo/tbgo/trainer/job"
)

// manual returns the package documentation of main.go, the manual, split
// into its "# name" sections, by name.
func manual(t *testing.T) map[string]string {
	t.Helper()
	src, err := os.ReadFile("main.go")
	if err != nil {
		t.Fatal(err)
	}
	doc, _, ok := strings.Cut(string(src), "\npackage main")
	if !ok {
		t.Fatal("main.go has no package clause")
	}
	sections := map[string]string{}
	name := ""
	for _, line := range strings.Split(doc, "\n") {
		line = strings.TrimPrefix(strings.TrimPrefix(line, "//"), " ")
		if h, ok := strings.CutPrefix(line, "# "); ok {
			name = h
			continue
		}
		sections[name] += line + "\n"
	}
	return sections
}

// commandFlags returns the flags a command's -h lists.
func commandFlags(t *testing.T, c command) []string {
	t.Helper()
	var help bytes.Buffer
	if err := c.run([]string{"-h"}, io.Discard, &help); !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("%s -h: %v", c.name, err)
	}
	var flags []string
	sc := bufio.NewScanner(&help)
	re := regexp.MustCompile(`^  (-[A-Za-z0-9_.-]+)`)
	for sc.Scan() {
		if m := re.FindStringSubmatch(sc.Text()); m != nil {
			flags = append(flags, m[1])
		}
	}
	return flags
}

// TestManualHasEveryFlag checks that the manual documents every flag of
// every command in the command's section, as cmd/go checks its alldocs.
// The knobs of train and doctor, each a -KEY VALUE flag, are documented
// as such, by the keys of the YAML configuration.
func TestManualHasEveryFlag(t *testing.T) {
	sections := manual(t)
	knobs := map[string]bool{}
	for _, k := range job.Knobs() {
		knobs["-"+k.Key] = true
	}
	for _, c := range commands() {
		text := sections[c.name]
		for h, sec := range sections { // "archive and restore", say
			if text == "" && slices.Contains(strings.Split(h, " and "), c.name) {
				text = sec
			}
		}
		switch c.name {
		case "doctor": // doctor takes train's flags too
			text += sections["train"]
		case "version":
			text = sections[""]
		}
		if text == "" {
			t.Errorf("the manual has no section for %s", c.name)
			continue
		}
		for _, f := range commandFlags(t, c) {
			if (c.name == "train" || c.name == "doctor") && knobs[f] {
				continue
			}
			if !regexp.MustCompile(regexp.QuoteMeta(f) + `([^A-Za-z0-9_.-]|$)`).MatchString(text) {
				t.Errorf("the manual's section on %s lacks its flag %s", c.name, f)
			}
		}
	}
	if !strings.Contains(sections[""], "-version") {
		t.Error("the manual does not mention -version")
	}
}

// TestFlagsAfterArguments gives flags after the path, and an argument
// that looks like a flag after "--".
func TestFlagsAfterArguments(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "run")
	writeRun(t, dir, 1, 2)
	before, _, err := runTool(t, "inspect", "-json", dir)
	mustNil(t, err)
	after, _, err := runTool(t, "inspect", dir, "-json")
	mustNil(t, err)
	if before != after || !strings.HasPrefix(after, "{") {
		t.Errorf("inspect DIR -json printed\n%s\nwant\n%s", after, before)
	}
	out := filepath.Join(t.TempDir(), "p.svg")
	if _, _, err := runTool(t, "plot", dir, "-o", out, "-smooth", "0"); err != nil {
		t.Errorf("plot DIR -o FILE: %v", err)
	}
	if _, _, err := runTool(t, "verify", dir, "--", "-strict"); err == nil || !strings.Contains(err.Error(), "-strict") {
		t.Errorf("verify DIR -- -strict: %v, want -strict taken as a path", err)
	}
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	n := fs.Int("n", 0, "")
	mustNil(t, parseFlags(fs, []string{"a", "-n", "3", "b", "--", "-c"}))
	if *n != 3 || !slices.Equal(fs.Args(), []string{"a", "b", "-c"}) {
		t.Errorf("-n %d, arguments %q; want 3 and a b -c", *n, fs.Args())
	}
	if _, _, err := runTool(t, "inspect", dir, "-bogus"); !errors.Is(err, errUsage) {
		t.Errorf("an unknown flag after the path: %v, want a usage error", err)
	}
}

// TestVersion prints the version both ways.
func TestVersion(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{{"version"}, {"-version"}, {"--version"}} {
		out, _, err := runTool(t, args...)
		if err != nil || !strings.HasPrefix(out, "tbgo ") {
			t.Errorf("tbgo %s: %q, %v", args[0], out, err)
		}
	}
}

// TestDemoHelp checks that demo -h says what demo writes.
func TestDemoHelp(t *testing.T) {
	t.Parallel()
	_, help, err := runTool(t, "demo", "-h")
	if !errors.Is(err, flag.ErrHelp) {
		t.Fatal(err)
	}
	for _, s := range []string{"train", "eval", "scalars", "histograms", "images", "text"} {
		if !strings.Contains(help, s) {
			t.Errorf("demo -h does not mention %s:\n%s", s, help)
		}
	}
}
