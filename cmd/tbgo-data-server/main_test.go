package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	dp "github.com/tbgo/tbgo/proto/dataproviderpb"
)

// exitCode returns the status run's error would exit with.
func exitCode(err error) int {
	var ee *exitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ee):
		return ee.code
	}
	return exitFailure
}

func TestExitStatus(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for _, tt := range []struct {
		desc string
		args []string
		want int
	}{
		{"no logdir", nil, exitUsage},
		{"underscored flag", []string{"--logdir", dir, "--samples_per_plugin=scalars=1"}, exitUsage},
		{"bad samples", []string{"--logdir", dir, "--samples-per-plugin=scalars=-1"}, exitUsage},
		{"samples without name", []string{"--logdir", dir, "--samples-per-plugin==3"}, exitUsage},
		{"fractional reload", []string{"--logdir", dir, "--reload=1.5"}, exitUsage},
		{"reload with unit", []string{"--logdir", dir, "--reload=5s"}, exitUsage},
		{"port too large", []string{"--logdir", dir, "--port=70000"}, exitUsage},
		{"stray argument", []string{"--logdir", dir, "extra"}, exitUsage},
		{"empty logdir", []string{"--logdir="}, exitBadLogdir},
		{"unknown URL scheme", []string{"--logdir=hdfs://bucket/runs"}, exitBadLogdir},
		{"malformed URL", []string{"--logdir=s3://bucket/runs%zz"}, exitBadLogdir},
		{"unbindable host", []string{"--logdir", dir, "--host=256.0.0.1", "--port=0"}, exitBind},
		{"unwritable port file", []string{"--logdir", dir, "--port=0", "--port-file=" + filepath.Join(dir, "no", "such", "dir")}, exitFailure},
		{"version", []string{"--version"}, 0},
	} {
		t.Run(tt.desc, func(t *testing.T) {
			err := run(context.Background(), tt.args, strings.NewReader(""), io.Discard, io.Discard)
			if got := exitCode(err); got != tt.want {
				t.Errorf("run(%q) exits %d (%v), want %d", tt.args, got, err, tt.want)
			}
		})
	}
}

func TestErrorFile(t *testing.T) {
	t.Parallel()
	errFile := filepath.Join(t.TempDir(), "startup_error")
	var stderr bytes.Buffer
	err := run(context.Background(), []string{"--logdir=hdfs://b/r", "--error-file=" + errFile}, nil, io.Discard, &stderr)
	if exitCode(err) != exitBadLogdir {
		t.Fatalf("exit %d, want %d", exitCode(err), exitBadLogdir)
	}
	b, rerr := os.ReadFile(errFile)
	if rerr != nil || !strings.Contains(string(b), `unknown URL scheme "hdfs"`) || !strings.HasSuffix(string(b), "\n") {
		t.Errorf("error file %q, %v; want the reason and a newline", b, rerr)
	}
	if stderr.Len() != 0 {
		t.Errorf("stderr %q, want nothing (the error went to the file)", stderr.String())
	}
}

// TestServe starts the server as TensorBoard does (its flags, -vv through
// --extra_data_server_flags, a port file, --die-after-stdin), asks it an
// RPC, then closes its standard input and expects it to exit 0.
func TestServe(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	portFile := filepath.Join(t.TempDir(), "port")
	stdin, w := io.Pipe()
	var stderr syncBuffer
	done := make(chan error, 1)
	go func() {
		done <- run(context.Background(), []string{
			"--logdir=" + dir, "--reload=1", "--samples-per-plugin=", "--port=0", "--port-file=" + portFile,
			"--die-after-stdin", "--error-file=" + filepath.Join(dir, "err"), "-vv", "--checksum", "--no-checksum",
		}, stdin, io.Discard, &stderr)
	}()
	var port int
	for deadline := time.Now().Add(10 * time.Second); ; {
		b, err := os.ReadFile(portFile)
		if err == nil && bytes.HasSuffix(b, []byte("\n")) {
			port, _ = strconv.Atoi(strings.TrimSpace(string(b)))
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no port file")
		}
		time.Sleep(10 * time.Millisecond)
	}
	conn, err := grpc.NewClient("localhost:"+strconv.Itoa(port), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	res, err := dp.NewTensorBoardDataProviderClient(conn).GetExperiment(ctx, &dp.GetExperimentRequest{})
	if err != nil || res.DataLocation != dir {
		t.Errorf("GetExperiment = %v, %v; want data location %s", res, err, dir)
	}
	w.Close()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("after stdin closed: %v, want a clean exit", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("still running 10 s after stdin closed")
	}
	if !strings.Contains(stderr.String(), "load cycle done") {
		t.Errorf("-vv logged no load cycle: %q", stderr.String())
	}
}

// syncBuffer is a bytes.Buffer safe for the server's logger and the test.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// TestManualNamesEveryFlag checks that the package documentation, the
// command's manual, names every flag.
func TestManualNamesEveryFlag(t *testing.T) {
	src, err := os.ReadFile("main.go")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(src[:bytes.Index(src, []byte("package main"))])
	flags := regexp.MustCompile(`fs\.(?:String|Uint|Bool|Var)(?:Var)?\((?:[^,]+, )?"([a-z-]+)"`).FindAllStringSubmatch(string(src), -1)
	if len(flags) < 10 {
		t.Fatalf("found %d flags in main.go, want every one", len(flags))
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
