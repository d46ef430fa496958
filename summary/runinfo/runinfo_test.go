package runinfo

import (
	"context"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/tbgo/tbgo/proto/hparamspb"
	"github.com/tbgo/tbgo/summary"
	"github.com/tbgo/tbgo/tfevents"
)

func TestRunInfoFromBuild(t *testing.T) {
	tests := []struct {
		desc string
		bi   *debug.BuildInfo
		want *RunInfo
	}{
		{"no build info", nil, &RunInfo{GoVersion: runtime.Version()}},
		{
			desc: "stamped by go build",
			bi: &debug.BuildInfo{
				GoVersion: "go1.99.1",
				Main:      debug.Module{Path: "example.com/train", Version: "v1.2.3"},
				Deps: []*debug.Module{
					{Path: "gonum.org/v1/gonum", Version: "v0.17.0"},
					{Path: "example.com/lib", Version: "v0.1.0", Replace: &debug.Module{Path: "../lib"}},
				},
				Settings: []debug.BuildSetting{
					{Key: "-trimpath", Value: "true"},
					{Key: "vcs", Value: "git"},
					{Key: "vcs.revision", Value: "0123456789abcdef0123456789abcdef01234567"},
					{Key: "vcs.time", Value: "2026-01-02T03:04:05Z"},
					{Key: "vcs.modified", Value: "true"},
				},
			},
			want: &RunInfo{
				GoVersion: "go1.99.1",
				Main:      Module{Path: "example.com/train", Version: "v1.2.3"},
				Deps:      []Module{{Path: "gonum.org/v1/gonum", Version: "v0.17.0"}, {Path: "example.com/lib", Version: "v0.1.0", Replace: "../lib"}},
				VCS:       "git", Revision: "0123456789abcdef0123456789abcdef01234567",
				RevisionTime: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), Modified: true, VCSSource: "build info",
			},
		},
		{
			desc: "go run: no vcs settings",
			bi:   &debug.BuildInfo{GoVersion: "go1.99.1", Main: debug.Module{Path: "example.com/train", Version: "(devel)"}},
			want: &RunInfo{GoVersion: "go1.99.1", Main: Module{Path: "example.com/train", Version: "(devel)"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			if got := runInfoFromBuild(tt.bi); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("runInfoFromBuild =\n%+v\nwant\n%+v", got, tt.want)
			}
		})
	}
}

// runGit runs git in dir and returns its trimmed output.
func runGit(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", append([]string{"-C", dir, "-c", "user.name=tbgo", "-c", "user.email=tbgo@example.com"}, args...)...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

func TestGitFallback(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Fatalf("the VCS fallback test needs git: %v", err)
	}
	ctx := context.Background()
	repo := t.TempDir()
	runGit(t, repo, "init", "-q")
	if err := os.WriteFile(filepath.Join(repo, "a.txt"), []byte("a"), 0o644); err != nil {
		t.Fatal(err)
	}
	runGit(t, repo, "add", "a.txt")
	runGit(t, repo, "commit", "-q", "-m", "first", "--date", "2026-01-02T03:04:05Z")
	head := runGit(t, repo, "rev-parse", "HEAD")
	when, err := time.Parse(time.RFC3339, runGit(t, repo, "log", "-1", "--format=%cI"))
	if err != nil {
		t.Fatal(err)
	}

	var clean RunInfo
	if err := clean.gitFallback(ctx, repo); err != nil {
		t.Fatal(err)
	}
	want := RunInfo{VCS: "git", Revision: head, RevisionTime: when, VCSSource: "git in " + repo}
	if !reflect.DeepEqual(clean, want) {
		t.Errorf("clean checkout: %+v, want %+v", clean, want)
	}

	// An untracked file makes the checkout modified, as for go build.
	if err := os.WriteFile(filepath.Join(repo, "b.txt"), []byte("b"), 0o644); err != nil {
		t.Fatal(err)
	}
	var dirty RunInfo
	if err := dirty.gitFallback(ctx, repo); err != nil {
		t.Fatal(err)
	}
	want.Modified = true
	if !reflect.DeepEqual(dirty, want) {
		t.Errorf("modified checkout: %+v, want %+v", dirty, want)
	}

	var none RunInfo
	if err := none.gitFallback(ctx, t.TempDir()); err == nil || !reflect.DeepEqual(none, RunInfo{}) {
		t.Errorf("outside a repository: error %v, info %+v; want an error and nothing filled", err, none)
	}
}

func TestCollect(t *testing.T) {
	config := map[string]any{"lr": 0.01, "model": map[string]any{"layers": 3}}
	before := time.Now()
	info, err := Collect(config)
	if err != nil {
		t.Fatal(err)
	}
	bi, _ := debug.ReadBuildInfo()
	wantCommand := append([]string{programName(os.Args[0], bi)}, os.Args[1:]...)
	if !reflect.DeepEqual(info.Command, wantCommand) || info.GoVersion != runtime.Version() || info.Start.Before(before) || info.Start.After(time.Now()) {
		t.Errorf("command %q, Go %q, start %v; want %q, %q, now", info.Command, info.GoVersion, info.Start, wantCommand, runtime.Version())
	}
	if host, _ := os.Hostname(); info.Host != host {
		t.Errorf("host = %q, want %q", info.Host, host)
	}
	// Test binaries are not VCS-stamped, so the revision comes from git
	// in the working directory, if it is a checkout.
	wd, _ := os.Getwd()
	head, err := exec.Command("git", "-C", wd, "rev-parse", "HEAD").Output()
	if err == nil {
		if info.Revision != strings.TrimSpace(string(head)) || info.VCSSource != "git in "+wd {
			t.Errorf("revision %q from %q, want %q from git in %s", info.Revision, info.VCSSource, head, wd)
		}
	} else if info.Revision != "" || info.VCSSource != "" {
		t.Errorf("outside a checkout: revision %q from %q, want none", info.Revision, info.VCSSource)
	}

	if _, err := Collect(map[string]any{"lr": math.NaN()}); err == nil || !strings.Contains(err.Error(), `config "lr"`) {
		t.Errorf("NaN in the config: error %v", err)
	}
}

// TestProgramName names temporary binaries of go run and go test by their
// package path, and keeps every other program's path.
func TestProgramName(t *testing.T) {
	tmp := filepath.Join(os.TempDir(), "go-build1234", "b001")
	tests := []struct {
		desc string
		arg0 string
		path string // of the build information; empty for none
		want string
	}{
		{"go run of a package", filepath.Join(tmp, "exe", "train"), "example.com/cmd/train", "example.com/cmd/train"},
		{"go test", filepath.Join(tmp, "runinfo.test"), "example.com/runinfo.test", "example.com/runinfo.test"},
		{"go run of files", filepath.Join(tmp, "exe", "main"), "command-line-arguments", filepath.Join(tmp, "exe", "main")},
		{"an installed binary", "/usr/local/bin/train", "example.com/cmd/train", "/usr/local/bin/train"},
		{"a relative path", "./train", "example.com/cmd/train", "./train"},
		{"a directory that only looks like one", "/home/go-builder/train", "example.com/cmd/train", "/home/go-builder/train"},
		{"no build information", filepath.Join(tmp, "exe", "train"), "", filepath.Join(tmp, "exe", "train")},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			var bi *debug.BuildInfo
			if tt.path != "" {
				bi = &debug.BuildInfo{Path: tt.path}
			}
			if got := programName(tt.arg0, bi); got != tt.want {
				t.Errorf("programName(%q, %q) = %q, want %q", tt.arg0, tt.path, got, tt.want)
			}
		})
	}
}

type configPoint struct{ X, Y int }

func TestFlattenConfig(t *testing.T) {
	tests := []struct {
		desc   string
		config map[string]any
		want   map[string]any
		err    string
	}{
		{"nil", nil, map[string]any{}, ""},
		{
			desc: "nested maps, scalars kept, others as JSON, nil left out",
			config: map[string]any{
				"lr":        0.1,
				"name":      "resnet",
				"augment":   true,
				"optimizer": map[string]any{"name": "adam", "betas": []float64{0.9, 0.999}, "decay": map[string]int{"every": 10}},
				"sizes":     []int{1, 2},
				"origin":    configPoint{1, 2},
				"nothing":   nil,
				"empty":     map[string]any(nil),
				"layers":    uint8(3),
			},
			want: map[string]any{
				"lr": 0.1, "name": "resnet", "augment": true,
				"optimizer.name": "adam", "optimizer.betas": "[0.9,0.999]", "optimizer.decay.every": 10,
				"sizes": "[1,2]", "origin": `{"X":1,"Y":2}`, "layers": uint8(3),
			},
		},
		{"NaN", map[string]any{"a": map[string]any{"b": math.Inf(1)}}, nil, `config "a.b": value +Inf is not finite`},
		{"empty key", map[string]any{"a": map[string]any{"": 1}}, nil, `empty key in "a"`},
		{"clash", map[string]any{"a.b": 1, "a": map[string]any{"b": 2}}, nil, `key "a.b" appears twice`},
		{"not UTF-8", map[string]any{"a": "\xff"}, nil, "not valid UTF-8"},
		{"not JSON", map[string]any{"f": func() {}}, nil, `config "f": json`},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			got, err := flattenConfig(tt.config)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Errorf("error = %v, want one containing %q", err, tt.err)
				}
				return
			}
			if err != nil || !reflect.DeepEqual(got, tt.want) {
				t.Errorf("flattenConfig = %v, %v; want %v", got, err, tt.want)
			}
		})
	}
}

// testRunInfo is a RunInfo with every field set.
func testRunInfo() *RunInfo {
	return &RunInfo{
		Command:   []string{"/bin/train", "-lr", "0.1", "-note", "two words"},
		GoVersion: "go1.99.1",
		Main:      Module{Path: "example.com/my_train", Version: "v1.2.3"},
		Deps:      []Module{{Path: "gonum.org/v1/gonum", Version: "v0.17.0"}, {Path: "example.com/lib", Version: "v0.1.0", Replace: "../lib"}},
		VCS:       "git", Revision: "0123abcd", RevisionTime: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), Modified: true, VCSSource: "build info",
		Host:   "gpu|1",
		Start:  time.Date(2026, 7, 1, 12, 0, 0, 0, time.UTC),
		Config: map[string]any{"lr": 0.1, "optimizer": map[string]any{"name": "adam*"}},
	}
}

func TestRunInfoMarkdown(t *testing.T) {
	want := "| run | |\n|:--|:--|\n" +
		"| command | `/bin/train -lr 0.1 -note \"two words\"` |\n" +
		"| Go version | go1.99.1 |\n" +
		"| module | example.com/my\\_train v1.2.3 |\n" +
		"| git revision | `0123abcd` (modified), committed 2026-01-02T03:04:05Z, from build info |\n" +
		"| host | gpu\\|1 |\n" +
		"| start | 2026-07-01T12:00:00Z |\n" +
		"\n| config | value |\n|:--|:--|\n" +
		"| lr | 0.1 |\n" +
		"| optimizer.name | adam\\* |\n" +
		"\n| dependency | version |\n|:--|:--|\n" +
		"| gonum.org/v1/gonum | v0.17.0 |\n" +
		"| example.com/lib | v0.1.0 => ../lib |\n"
	if got := testRunInfo().Markdown(); got != want {
		t.Errorf("Markdown =\n%s\nwant\n%s", got, want)
	}
	if got, want := (&RunInfo{GoVersion: "go1"}).Markdown(), "| run | |\n|:--|:--|\n| command |  |\n| Go version | go1 |\n"; got != want {
		t.Errorf("Markdown of a bare RunInfo =\n%q\nwant\n%q", got, want)
	}
}

func TestRunInfoHParams(t *testing.T) {
	tests := []struct {
		desc string
		info *RunInfo
		want map[string]any
		err  string
	}{
		{"everything", testRunInfo(), map[string]any{
			"lr": 0.1, "optimizer.name": "adam*",
			GoVersionKey: "go1.99.1", HostKey: "gpu|1", VersionKey: "v1.2.3", RevisionKey: "0123abcd", ModifiedKey: true,
		}, ""},
		{"no revision, no modified flag", &RunInfo{GoVersion: "go1", Modified: true}, map[string]any{GoVersionKey: "go1"}, ""},
		{"reserved key", &RunInfo{Revision: "r", Config: map[string]any{ModifiedKey: false}}, nil, `"run/modified" is reserved`},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			got, err := tt.info.HParams()
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Errorf("error = %v, want one containing %q", err, tt.err)
				}
				return
			}
			if err != nil || !reflect.DeepEqual(got, tt.want) {
				t.Errorf("HParams = %v, %v; want %v", got, err, tt.want)
			}
		})
	}
	// The declarations cover every run/ key, with valid domains.
	exp := summary.Experiment{HParams: ExperimentHParams()}
	if err := exp.Check(map[string]any{
		GoVersionKey: "go1", HostKey: "h", VersionKey: "v1", RevisionKey: "r", ModifiedKey: false,
	}); err != nil {
		t.Errorf("ExperimentHParams does not declare the run keys: %v", err)
	}
}

// TestWrite starts a session with the run information alone: the session
// start holds the config and the run/ keys, the text its table, and a
// second Write is refused.
func TestWrite(t *testing.T) {
	w, err := summary.NewWriter(t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := Write(w, map[string]any{"batch": 32}); err != nil {
		t.Fatal(err)
	}
	if err := Write(w, nil); err == nil || !strings.Contains(err.Error(), "already started") {
		t.Errorf("a second Write: error %v, want the session to have started already", err)
	}
	if _, err := Collect(map[string]any{"lr": math.NaN()}); err == nil {
		t.Error("Collect took a NaN config")
	}
	w.Close()
	var start *hparamspb.SessionStartInfo
	texts := 0
	for _, v := range readValues(t, w.FileName()) {
		switch v.Tag {
		case summary.SessionStartTag:
			var pd hparamspb.HParamsPluginData
			if err := proto.Unmarshal(v.Content, &pd); err != nil {
				t.Fatal(err)
			}
			start = pd.GetSessionStartInfo()
		case summary.RunInfoTag:
			texts++
		}
	}
	host, _ := os.Hostname()
	if start.GetHparams()["batch"].GetNumberValue() != 32 || start.GetHparams()[GoVersionKey].GetStringValue() != runtime.Version() ||
		start.GetHparams()[HostKey].GetStringValue() != host {
		t.Errorf("session start hparams = %v, want batch 32, Go %s, host %s", start.GetHparams(), runtime.Version(), host)
	}
	if texts != 1 {
		t.Errorf("%d run info texts, want 1", texts)
	}
}

// readValues returns the values of the event file name.
func readValues(t testing.TB, name string) []summary.Value {
	t.Helper()
	evs, err := tfevents.ReadEventFile(name)
	if err != nil {
		t.Fatal(err)
	}
	var dec summary.Decoder
	var vals []summary.Value
	for _, ev := range evs {
		if vals, err = dec.Event(vals, ev); err != nil {
			t.Fatal(err)
		}
	}
	return vals
}
