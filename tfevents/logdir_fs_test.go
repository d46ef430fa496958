package tfevents_test

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"
	"time"
	"unicode/utf8"

	"github.com/tbgo/tbgo/tfevents"
)

// mapFS returns a file system holding the named files, empty.
func mapFS(files ...string) fstest.MapFS {
	m := fstest.MapFS{}
	for _, f := range files {
		m[f] = &fstest.MapFile{}
	}
	return m
}

func TestDiscoverRunsFS(t *testing.T) {
	t.Parallel()
	tree := mapFS(
		"logs/events.out.tfevents.2.host",
		"logs/events.out.tfevents.1.host",
		"logs/events.out.tfevents.3.host.profile-empty",
		"logs/notes.txt",
		"logs/a/events.out.tfevents.1.host.v2",
		"logs/a/checkpoint",
		"logs/a/b/events.out.tfevents.9.host",
		"logs/a/b/events.out.tfevents.10.host",
		"logs/c/projector_config.pbtxt",
		"logs/c/d/x.tfevents.y",
		"logs/empty/.keep",
		"logs/profile/events.out.tfevents.1.host.profile-empty",
		"other/events.out.tfevents.1.host",
	)
	tests := []struct {
		desc string
		root string
		want []tfevents.Run
	}{
		{
			desc: "a logdir below the root of the file system",
			root: "logs",
			want: []tfevents.Run{
				{Name: ".", Dir: "logs", Files: []string{"logs/events.out.tfevents.1.host", "logs/events.out.tfevents.2.host"}},
				{Name: "a", Dir: "logs/a", Files: []string{"logs/a/events.out.tfevents.1.host.v2"}},
				// Name order, not numeric order, as TensorBoard reads them.
				{Name: "a/b", Dir: "logs/a/b", Files: []string{"logs/a/b/events.out.tfevents.10.host", "logs/a/b/events.out.tfevents.9.host"}},
				{Name: "c/d", Dir: "logs/c/d", Files: []string{"logs/c/d/x.tfevents.y"}},
			},
		},
		{
			desc: "the whole file system",
			root: ".",
			want: []tfevents.Run{
				{Name: "logs", Dir: "logs", Files: []string{"logs/events.out.tfevents.1.host", "logs/events.out.tfevents.2.host"}},
				{Name: "logs/a", Dir: "logs/a", Files: []string{"logs/a/events.out.tfevents.1.host.v2"}},
				{Name: "logs/a/b", Dir: "logs/a/b", Files: []string{"logs/a/b/events.out.tfevents.10.host", "logs/a/b/events.out.tfevents.9.host"}},
				{Name: "logs/c/d", Dir: "logs/c/d", Files: []string{"logs/c/d/x.tfevents.y"}},
				{Name: "other", Dir: "other", Files: []string{"other/events.out.tfevents.1.host"}},
			},
		},
		{
			desc: "a run directory",
			root: "logs/a/b",
			want: []tfevents.Run{
				{Name: ".", Dir: "logs/a/b", Files: []string{"logs/a/b/events.out.tfevents.10.host", "logs/a/b/events.out.tfevents.9.host"}},
			},
		},
		{
			desc: "one event file",
			root: "logs/a/b/events.out.tfevents.9.host",
			want: []tfevents.Run{
				{Name: ".", Dir: "logs/a/b", Files: []string{"logs/a/b/events.out.tfevents.9.host"}},
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			t.Parallel()
			runs, err := tfevents.DiscoverRunsFS(tree, tc.root)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(runs, tc.want) {
				t.Errorf("DiscoverRunsFS(%q) =\n%+v\nwant\n%+v", tc.root, runs, tc.want)
			}
		})
	}
}

func TestDiscoverRunsFSErrors(t *testing.T) {
	t.Parallel()
	tree := mapFS(
		"nonevents/notes.txt",
		"nonevents/sub/model.ckpt",
		"profileonly/events.out.tfevents.1.host.profile-empty",
		"plain.txt",
	)
	tree["empty"] = &fstest.MapFile{Mode: fs.ModeDir}
	tests := []struct {
		desc string
		root string
		want error // nil: any error
	}{
		{desc: "empty dir", root: "empty", want: tfevents.ErrNoEventFiles},
		{desc: "only non-event files", root: "nonevents", want: tfevents.ErrNoEventFiles},
		{desc: "only profile-empty files", root: "profileonly", want: tfevents.ErrNoEventFiles},
		{desc: "missing path", root: "missing", want: fs.ErrNotExist},
		{desc: "a file that is not an event file", root: "plain.txt"},
		{desc: "an invalid path", root: "../escape"},
		{desc: "a rooted path", root: "/nonevents"},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			t.Parallel()
			runs, err := tfevents.DiscoverRunsFS(tree, tc.root)
			if err == nil {
				t.Fatalf("DiscoverRunsFS(%q) = %+v, want an error", tc.root, runs)
			}
			if tc.want != nil && !errors.Is(err, tc.want) {
				t.Errorf("DiscoverRunsFS(%q) = %v, want %v", tc.root, err, tc.want)
			}
		})
	}
}

// TestDiscoverRunsFSMatchesDiscoverRuns walks real directories, symbolic
// links and their cycles included, both ways: through os.DirFS the runs
// must be DiscoverRuns' runs, paths made relative.
func TestDiscoverRunsFSMatchesDiscoverRuns(t *testing.T) {
	t.Parallel()
	tmp := t.TempDir()
	root := filepath.Join(tmp, "logdir")
	outside := filepath.Join(tmp, "elsewhere")
	makeTree(t, outside, []string{"run/events.out.tfevents.1.host", "events.out.tfevents.7.host"}, nil)
	makeTree(t, root, []string{
		"events.out.tfevents.1.host",
		"a/events.out.tfevents.1.host",
		"a/b/events.out.tfevents.2.host",
		"a/b/events.out.tfevents.10.host",
		"c/notes.txt",
		"p/events.out.tfevents.1.host.profile-empty",
	}, map[string]string{
		"linked":         filepath.Join(outside, "run"),
		"a/loop":         "..",
		"a/self":         ".",
		"a/tfevents.lnk": filepath.Join(outside, "events.out.tfevents.7.host"),
		"dangling":       filepath.Join(tmp, "missing"),
	})
	want, err := tfevents.DiscoverRuns(root)
	if err != nil {
		t.Fatal(err)
	}
	for i := range want {
		want[i].Dir = rel(t, root, want[i].Dir)
		for j, f := range want[i].Files {
			want[i].Files[j] = rel(t, root, f)
		}
	}

	done := make(chan struct{})
	var got []tfevents.Run
	go func() {
		defer close(done)
		got, err = tfevents.DiscoverRunsFS(os.DirFS(root), ".")
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("DiscoverRunsFS still walking after 10s: symlink cycles not broken")
	}
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("DiscoverRunsFS(os.DirFS) =\n%+v\nDiscoverRuns =\n%+v", got, want)
	}
	if len(got) != 4 { // ".", "a", "a/b", "linked"
		t.Errorf("%d runs, want 4: %+v", len(got), got)
	}
}

func rel(t *testing.T, root, p string) string {
	t.Helper()
	r, err := filepath.Rel(root, p)
	if err != nil {
		t.Fatal(err)
	}
	return filepath.ToSlash(r)
}

func BenchmarkDiscoverRunsFS(b *testing.B) {
	for _, runs := range []int{10, 1000} {
		tree := fstest.MapFS{}
		for i := range runs {
			dir := "logs/" + string(rune('a'+i%26)) + "/run" + strconv.Itoa(i)
			tree[dir+"/events.out.tfevents.1.host"] = &fstest.MapFile{}
			tree[dir+"/checkpoint"] = &fstest.MapFile{}
		}
		b.Run("runs="+strconv.Itoa(runs), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := tfevents.DiscoverRunsFS(tree, "logs"); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// A name that is not UTF-8 is legal on Linux, but no fs.FS can open it:
// os.DirFS lists it and then refuses it. Discovery through io/fs must
// skip it and say so, never fail the logdir over it (it did: "stat
// junk\xff: invalid argument" for every reading command), while the
// operating system's walk reads it.
func TestDiscoverRunsNonUTF8(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	makeTree(t, root, []string{
		"junk\xff/notes.txt",
		"bad\xfe/events.out.tfevents.1.host",
		"run/events.out.tfevents.1.host",
		"run/events.out.tfevents.2.host\xff",
	}, nil)
	if err := os.Mkdir(filepath.Join(root, "empty\xff"), 0o755); err != nil {
		t.Skipf("this file system refuses names that are not UTF-8: %v", err)
	}

	var skipped []tfevents.Skip
	d := tfevents.Discovery{Skipped: func(s tfevents.Skip) { skipped = append(skipped, s) }}
	runs, err := d.RunsFS(os.DirFS(root), ".")
	if err != nil {
		t.Fatalf("RunsFS: %v", err)
	}
	want := []tfevents.Run{{Name: "run", Dir: "run", Files: []string{"run/events.out.tfevents.1.host"}}}
	if !reflect.DeepEqual(runs, want) {
		t.Errorf("RunsFS = %+v, want %+v", runs, want)
	}
	var paths []string
	for _, s := range skipped {
		paths = append(paths, s.Path)
		if !strings.Contains(s.Reason, "not valid UTF-8") {
			t.Errorf("%v: reason does not say the name is not UTF-8", s)
		}
		if str := s.String(); !utf8.ValidString(str) || !strings.HasPrefix(str, "skipped \"") {
			t.Errorf("String() = %q, want the path quoted", str)
		}
	}
	if want := []string{"bad\xfe", "empty\xff", "junk\xff", "run/events.out.tfevents.2.host\xff"}; !reflect.DeepEqual(paths, want) {
		t.Errorf("skipped %q, want %q", paths, want)
	}

	runs, err = tfevents.DiscoverRuns(root)
	if err != nil {
		t.Fatalf("DiscoverRuns: %v", err)
	}
	names, files := summarize(t, root, runs)
	if want := []string{"bad\xfe", "run"}; !reflect.DeepEqual(names, want) {
		t.Errorf("DiscoverRuns runs = %q, want %q", names, want)
	}
	if want := []string{"run/events.out.tfevents.1.host", "run/events.out.tfevents.2.host\xff"}; !reflect.DeepEqual(files["run"], want) {
		t.Errorf("DiscoverRuns files of run = %q, want %q", files["run"], want)
	}
}
