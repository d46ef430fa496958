package tfevents_test

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/tbgo/tbgo/tfevents"
)

// makeTree creates the files (with parent directories) and symlinks
// (link path -> target) under root.
func makeTree(t *testing.T, root string, files []string, links map[string]string) {
	t.Helper()
	for _, f := range files {
		p := filepath.Join(root, filepath.FromSlash(f))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for link, target := range links {
		if err := os.Symlink(target, filepath.Join(root, filepath.FromSlash(link))); err != nil {
			t.Skipf("symlinks unavailable: %v", err)
		}
	}
}

// summarize turns runs into name -> file paths relative to root, checking
// that each Dir agrees with its Name.
func summarize(t *testing.T, root string, runs []tfevents.Run) (names []string, files map[string][]string) {
	t.Helper()
	files = map[string][]string{}
	for _, r := range runs {
		names = append(names, r.Name)
		if want := filepath.Join(root, filepath.FromSlash(r.Name)); r.Dir != want {
			t.Errorf("run %q: Dir = %s, want %s", r.Name, r.Dir, want)
		}
		for _, f := range r.Files {
			rel, err := filepath.Rel(root, f)
			if err != nil {
				t.Fatal(err)
			}
			files[r.Name] = append(files[r.Name], filepath.ToSlash(rel))
		}
	}
	return names, files
}

func TestDiscoverRuns(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	makeTree(t, root, []string{
		"events.out.tfevents.2.host",
		"events.out.tfevents.1.host",
		"events.out.tfevents.3.host.profile-empty",
		"notes.txt",
		"a/events.out.tfevents.1.host.v2",
		"a/checkpoint",
		"a/b/events.out.tfevents.9.host",
		"a/b/events.out.tfevents.10.host",
		"c/projector_config.pbtxt",
		"c/d/x.tfevents.y",
		"empty/.keep",
		"profile/events.out.tfevents.1.host.profile-empty",
	}, nil)

	runs, err := tfevents.DiscoverRuns(root)
	if err != nil {
		t.Fatal(err)
	}
	names, files := summarize(t, root, runs)
	wantNames := []string{".", "a", "a/b", "c/d"}
	wantFiles := map[string][]string{
		".":   {"events.out.tfevents.1.host", "events.out.tfevents.2.host"},
		"a":   {"a/events.out.tfevents.1.host.v2"},
		"a/b": {"a/b/events.out.tfevents.10.host", "a/b/events.out.tfevents.9.host"}, // name order, not numeric
		"c/d": {"c/d/x.tfevents.y"},
	}
	if !reflect.DeepEqual(names, wantNames) {
		t.Errorf("runs = %q, want %q", names, wantNames)
	}
	if !reflect.DeepEqual(files, wantFiles) {
		t.Errorf("files = %q, want %q", files, wantFiles)
	}
}

// Directory names that are not UTF-8 or hold a backslash are legal on
// Unix, and TensorBoard finds runs in them; so must DiscoverRuns.
func TestDiscoverRunsOddNames(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	makeTree(t, root, []string{
		"bad\xffutf8/events.out.tfevents.1.host",
		"back\\slash/events.out.tfevents.1.host",
		"ok/events.out.tfevents.1.host",
	}, nil)
	runs, err := tfevents.DiscoverRuns(root)
	if err != nil {
		t.Fatal(err)
	}
	names, _ := summarize(t, root, runs)
	if want := []string{"back\\slash", "bad\xffutf8", "ok"}; !reflect.DeepEqual(names, want) {
		t.Errorf("runs = %q, want %q", names, want)
	}
}

func TestDiscoverRunsSymlinks(t *testing.T) {
	t.Parallel()
	tmp := t.TempDir()
	root := filepath.Join(tmp, "logdir")
	outside := filepath.Join(tmp, "elsewhere")
	makeTree(t, outside, []string{
		"run/events.out.tfevents.1.host",
		"events.out.tfevents.7.host",
	}, nil)
	makeTree(t, root, []string{
		"a/events.out.tfevents.1.host",
	}, map[string]string{
		"linked":         filepath.Join(outside, "run"),                        // a run reached only by a link
		"a/loop":         "..",                                                 // a cycle back to the logdir
		"a/self":         ".",                                                  // a cycle onto itself
		"a/events.link":  filepath.Join(outside, "events.out.tfevents.7.host"), // ignored: name lacks tfevents
		"a/tfevents.lnk": filepath.Join(outside, "events.out.tfevents.7.host"), // a linked event file counts
		"dangling":       filepath.Join(tmp, "missing"),
	})

	// Unbroken, the two cycles would double the walk at every level.
	type result struct {
		runs []tfevents.Run
		err  error
	}
	done := make(chan result, 1)
	skipped := map[string]string{}
	go func() {
		d := tfevents.Discovery{Skipped: func(s tfevents.Skip) { skipped[rel(t, root, s.Path)] = s.Reason }}
		runs, err := d.Runs(root)
		done <- result{runs, err}
	}()
	var runs []tfevents.Run
	select {
	case res := <-done:
		if res.err != nil {
			t.Fatal(res.err)
		}
		runs = res.runs
	case <-time.After(10 * time.Second):
		t.Fatal("DiscoverRuns still walking after 10s: symlink cycles not broken")
	}
	names, files := summarize(t, root, runs)
	wantNames := []string{"a", "linked"}
	wantFiles := map[string][]string{
		"a":      {"a/events.out.tfevents.1.host", "a/tfevents.lnk"},
		"linked": {"linked/events.out.tfevents.1.host"},
	}
	if !reflect.DeepEqual(names, wantNames) {
		t.Errorf("runs = %q, want %q", names, wantNames)
	}
	if !reflect.DeepEqual(files, wantFiles) {
		t.Errorf("files = %q, want %q", files, wantFiles)
	}
	wantSkipped := map[string]string{
		"a/loop":   "symbolic link loop back to the root",
		"a/self":   "symbolic link loop back to a",
		"dangling": "dangling symbolic link",
	}
	if !reflect.DeepEqual(skipped, wantSkipped) {
		t.Errorf("skipped %q, want %q", skipped, wantSkipped)
	}
}

// TestDiscoverRunsSymlinkDAG walks links that reach one directory twice
// at every level, without a cycle: 2^levels paths, read once each
// directory, with every second path reported.
func TestDiscoverRunsSymlinkDAG(t *testing.T) {
	t.Parallel()
	const levels = 30
	root := t.TempDir()
	for i := range levels {
		dir := filepath.Join(root, fmt.Sprintf("d%02d", i))
		if err := os.Mkdir(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if i == levels-1 {
			makeTree(t, dir, []string{"events.out.tfevents.1.host"}, nil)
			break
		}
		next := filepath.Join(root, fmt.Sprintf("d%02d", i+1))
		makeTree(t, dir, nil, map[string]string{"a": next, "b": next})
	}
	var skipped []tfevents.Skip
	d := tfevents.Discovery{Skipped: func(s tfevents.Skip) { skipped = append(skipped, s) }}
	start := time.Now()
	runs, err := d.Runs(filepath.Join(root, "d00"))
	if err != nil {
		t.Fatal(err)
	}
	if elapsed := time.Since(start); elapsed > 5*time.Second {
		t.Errorf("discovery took %v", elapsed)
	}
	if want := strings.Repeat("a/", levels-2) + "a"; len(runs) != 1 || runs[0].Name != want {
		t.Errorf("runs %+v, want one named %s", runs, want)
	}
	if len(skipped) != levels-1 {
		t.Errorf("%d paths skipped, want %d (one b per level)", len(skipped), levels-1)
	}
	for _, s := range skipped {
		r := rel(t, filepath.Join(root, "d00"), s.Path)
		want := "same directory as " + strings.TrimSuffix(r, "b") + "a, which is read once"
		if path.Base(r) != "b" || s.Reason != want {
			t.Errorf("%v, want the second link of a level: %s", s, want)
		}
	}
}

func TestDiscoverRunsSingleFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	name := filepath.Join(dir, "events.out.tfevents.1.host")
	makeTree(t, dir, []string{"events.out.tfevents.1.host", "events.out.tfevents.2.host"}, nil)

	runs, err := tfevents.DiscoverRuns(name)
	if err != nil {
		t.Fatal(err)
	}
	want := []tfevents.Run{{Name: ".", Dir: dir, Files: []string{name}}}
	if !reflect.DeepEqual(runs, want) {
		t.Errorf("DiscoverRuns(%s) = %+v, want %+v", name, runs, want)
	}
}

func TestDiscoverRunsErrors(t *testing.T) {
	t.Parallel()
	tmp := t.TempDir()
	makeTree(t, tmp, []string{
		"nonevents/notes.txt",
		"nonevents/sub/model.ckpt",
		"profileonly/events.out.tfevents.1.host.profile-empty",
		"plain.txt",
	}, nil)
	if err := os.Mkdir(filepath.Join(tmp, "empty"), 0o755); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		desc string
		path string
		want error // nil: any error
	}{
		{desc: "empty dir", path: filepath.Join(tmp, "empty"), want: tfevents.ErrNoEventFiles},
		{desc: "only non-event files", path: filepath.Join(tmp, "nonevents"), want: tfevents.ErrNoEventFiles},
		{desc: "only profile-empty files", path: filepath.Join(tmp, "profileonly"), want: tfevents.ErrNoEventFiles},
		{desc: "missing path", path: filepath.Join(tmp, "missing"), want: fs.ErrNotExist},
		{desc: "a file that is not an event file", path: filepath.Join(tmp, "plain.txt")},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			t.Parallel()
			runs, err := tfevents.DiscoverRuns(tc.path)
			if err == nil {
				t.Fatalf("DiscoverRuns(%s) = %+v, want an error", tc.path, runs)
			}
			if tc.want != nil && !errors.Is(err, tc.want) {
				t.Errorf("DiscoverRuns(%s) = %v, want %v", tc.path, err, tc.want)
			}
		})
	}
}

func TestIsEventFile(t *testing.T) {
	t.Parallel()
	tests := []struct {
		desc string
		base string
		want bool
	}{
		{desc: "tbgo's name", base: "events.out.tfevents.1700000000.host.1.0.v2", want: true},
		{desc: "infix anywhere", base: "x.tfevents", want: true},
		{desc: "profiler's empty file", base: "events.out.tfevents.1.host.profile-empty", want: true},
		{desc: "no infix", base: "events.out.1700000000", want: false},
		{desc: "case matters", base: "events.out.TFEVENTS.1", want: false},
	}
	for _, tc := range tests {
		if got := tfevents.IsEventFile(tc.base); got != tc.want {
			t.Errorf("%s: IsEventFile(%q) = %v, want %v", tc.desc, tc.base, got, tc.want)
		}
	}
}
