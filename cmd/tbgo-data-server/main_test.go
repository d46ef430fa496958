package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/tbgo/tbgo/internal/dataservertest"
	"github.com/tbgo/tbgo/internal/s3test"
	dp "github.com/tbgo/tbgo/proto/dataproviderpb"
	"github.com/tbgo/tbgo/proto/tbpb"
	"github.com/tbgo/tbgo/tfevents"
)

// TestManualNamesEveryFlag checks that the package documentation, the
// command's manual, names every flag of the command line it runs
// (package dataserver/launch).
func TestManualNamesEveryFlag(t *testing.T) {
	src, err := os.ReadFile("main.go")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(src[:bytes.Index(src, []byte("package main"))])
	flagsSrc, err := os.ReadFile(filepath.Join("..", "..", "dataserver", "launch", "flags.go"))
	if err != nil {
		t.Fatal(err)
	}
	flags := regexp.MustCompile(`fs\.(?:String|Uint|Bool|Var)(?:Var)?\((?:[^,]+, )?"([a-z-]+)"`).FindAllStringSubmatch(string(flagsSrc), -1)
	if len(flags) < 10 {
		t.Fatalf("found %d flags in flags.go, want every one", len(flags))
	}
	for _, f := range flags {
		name := "--" + f[1]
		if f[1] == "v" {
			name = "-v"
		}
		if !strings.Contains(doc, name) {
			t.Errorf("the manual does not mention %s", name)
		}
	}
}

// TestNoCloudSDKs pins the point of the command: it links none of the
// object-store SDKs, whose package inits would cost 25-30 MB of resident
// memory; tbgo-data-server-cloud links them.
func TestNoCloudSDKs(t *testing.T) {
	if testing.Short() {
		t.Skip("go list is slow; skipped with -short")
	}
	if got := cloudDeps(t, "github.com/tbgo/tbgo/cmd/tbgo-data-server"); len(got) > 0 {
		t.Errorf("tbgo-data-server links %d cloud packages: %.5q", len(got), got)
	}
	if got := cloudDeps(t, "github.com/tbgo/tbgo/cmd/tbgo-data-server-cloud"); len(got) == 0 {
		t.Error("tbgo-data-server-cloud links no cloud package")
	}
}

// cloudDeps returns the packages of the object-store drivers and their
// SDKs that pkg links.
func cloudDeps(t *testing.T, pkg string) []string {
	t.Helper()
	out, err := exec.Command("go", "list", "-deps", pkg).Output()
	if err != nil {
		t.Fatalf("go list -deps %s: %v", pkg, err)
	}
	cloud := []string{"gocloud.dev", "github.com/aws/", "cloud.google.com/", "github.com/Azure/", "github.com/tbgo/tbgo/storage/cloud"}
	var found []string
	for _, dep := range strings.Fields(string(out)) {
		if slices.ContainsFunc(cloud, func(p string) bool { return strings.HasPrefix(dep, p) }) {
			found = append(found, dep)
		}
	}
	return found
}

// buildServers builds tbgo-data-server and, with companion,
// tbgo-data-server-cloud into a temporary directory, and returns it.
func buildServers(t *testing.T, companion bool) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds the commands; skipped with -short")
	}
	dir := t.TempDir()
	pkgs := []string{"github.com/tbgo/tbgo/cmd/tbgo-data-server"}
	if companion {
		pkgs = append(pkgs, "github.com/tbgo/tbgo/cmd/tbgo-data-server-cloud")
	}
	if out, err := exec.Command("go", append([]string{"build", "-o", dir + string(filepath.Separator)}, pkgs...)...).CombinedOutput(); err != nil {
		t.Fatalf("go build %s: %v\n%s", pkgs, err, out)
	}
	return dir
}

// start starts the tbgo-data-server in dir as TensorBoard does (a port
// file, an error file, --die-after-stdin) with PATH empty, so that only
// a companion beside it counts. done reports its end.
func start(t *testing.T, dir, logdir string) (portFile, errFile string, stdin io.Closer, pid int, done <-chan error) {
	t.Helper()
	tmp := t.TempDir()
	portFile, errFile = filepath.Join(tmp, "port"), filepath.Join(tmp, "error")
	cmd := exec.Command(filepath.Join(dir, "tbgo-data-server"), "--logdir", logdir, "--port=0", "--reload=1",
		"--port-file", portFile, "--error-file", errFile, "--die-after-stdin")
	cmd.Env = append(os.Environ(), "PATH="+t.TempDir())
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	w, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	ch, exited := make(chan error, 1), make(chan struct{})
	go func() {
		ch <- cmd.Wait()
		close(exited)
	}()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-exited // stderr is written until then
		if t.Failed() {
			t.Logf("stderr of %s:\n%s", cmd, stderr.Bytes())
		}
	})
	return portFile, errFile, w, cmd.Process.Pid, ch
}

// TestHandOffToCompanion runs the built tbgo-data-server on a bucket's
// logdir: it becomes tbgo-data-server-cloud (same process, on Unix),
// which writes the port file, answers RPCs and exits 0 when standard
// input closes.
func TestHandOffToCompanion(t *testing.T) {
	t.Parallel()
	dir := buildServers(t, true)
	const u = "mem://hand-off-test/runs" // an empty bucket of the companion's own
	portFile, _, stdin, pid, done := start(t, dir, u)
	c := dataservertest.Dial(t, portFile, done)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if res, err := c.GetExperiment(ctx, &dp.GetExperimentRequest{}); err != nil || res.DataLocation != u {
		t.Errorf("GetExperiment = %v, %v; want data location %s", res, err, u)
	}
	if runtime.GOOS == "linux" {
		exe, err := os.Readlink("/proc/" + strconv.Itoa(pid) + "/exe")
		if err != nil || filepath.Base(exe) != "tbgo-data-server-cloud" {
			t.Errorf("process %d runs %q (%v), want tbgo-data-server-cloud in its place", pid, exe, err)
		}
	}
	stdin.Close()
	dataservertest.WaitExit(t, done)
}

// TestHandOffS3 serves a logdir on a real S3 server through the
// hand-off: the run its event file makes is listed.
func TestHandOffS3(t *testing.T) {
	srv := s3test.Start(t) // sets the AWS environment the companion inherits
	dir := buildServers(t, true)
	data, err := proto.Marshal(&tbpb.Event{WallTime: 1, What: &tbpb.Event_FileVersion{FileVersion: "brain.Event:2"}})
	if err != nil {
		t.Fatal(err)
	}
	run := filepath.Join(srv.Dir, "tbgo", "runs", "train")
	if err := os.MkdirAll(run, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(run, "events.out.tfevents.1"), tfevents.AppendRecord(nil, data), 0o644); err != nil {
		t.Fatal(err)
	}
	portFile, _, stdin, _, done := start(t, dir, srv.URL("tbgo", "runs"))
	dataservertest.WaitRuns(t, dataservertest.Dial(t, portFile, done), "train")
	stdin.Close()
	dataservertest.WaitExit(t, done)
}

// TestCompanionAbsent runs the built tbgo-data-server alone on a bucket's
// logdir: exit status 8, and the error file says what to install.
func TestCompanionAbsent(t *testing.T) {
	t.Parallel()
	dir := buildServers(t, false)
	_, errFile, _, _, done := start(t, dir, "s3://bucket/runs?region=eu-west-1")
	var ee *exec.ExitError
	if err := <-done; !errors.As(err, &ee) || ee.ExitCode() != 8 {
		t.Fatalf("exit %v, want exit status 8", ee)
	}
	b, err := os.ReadFile(errFile)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`scheme "s3"`, "go install github.com/tbgo/tbgo/cmd/tbgo-data-server-cloud@latest",
		"go install github.com/tbgo/tbgo/cmd/...@latest"} {
		if !strings.Contains(string(b), want) {
			t.Errorf("error file lacks %q:\n%s", want, b)
		}
	}
}
