package launch

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tbgo/tbgo/internal/dataservertest"
	dp "github.com/tbgo/tbgo/proto/dataproviderpb"
)

// server is the data server without a companion: a URL of a scheme no
// driver of the test binary handles is a bad logdir.
var server = &Command{Name: "tbgo-data-server"}

// exitCode returns the status run's error would exit with.
func exitCode(err error) int {
	var ee *ExitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ee):
		return ee.Code
	}
	return ExitFailure
}

func TestExitStatus(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for _, tt := range []struct {
		desc string
		args []string
		want int
	}{
		{"no logdir", nil, ExitUsage},
		{"underscored flag", []string{"--logdir", dir, "--samples_per_plugin=scalars=1"}, ExitUsage},
		{"bad samples", []string{"--logdir", dir, "--samples-per-plugin=scalars=-1"}, ExitUsage},
		{"samples without name", []string{"--logdir", dir, "--samples-per-plugin==3"}, ExitUsage},
		{"fractional reload", []string{"--logdir", dir, "--reload=1.5"}, ExitUsage},
		{"reload with unit", []string{"--logdir", dir, "--reload=5s"}, ExitUsage},
		{"port too large", []string{"--logdir", dir, "--port=70000"}, ExitUsage},
		{"stray argument", []string{"--logdir", dir, "extra"}, ExitUsage},
		{"empty logdir", []string{"--logdir="}, ExitBadLogdir},
		{"unknown URL scheme", []string{"--logdir=hdfs://bucket/runs"}, ExitBadLogdir},
		{"malformed URL", []string{"--logdir=s3://bucket/runs%zz"}, ExitBadLogdir},
		{"unbindable host", []string{"--logdir", dir, "--host=256.0.0.1", "--port=0"}, ExitBind},
		{"unwritable port file", []string{"--logdir", dir, "--port=0", "--port-file=" + filepath.Join(dir, "no", "such", "dir")}, ExitFailure},
		{"version", []string{"--version"}, 0},
	} {
		t.Run(tt.desc, func(t *testing.T) {
			err := server.Run(context.Background(), tt.args, strings.NewReader(""), io.Discard, io.Discard)
			if got := exitCode(err); got != tt.want {
				t.Errorf("Run(%q) exits %d (%v), want %d", tt.args, got, err, tt.want)
			}
		})
	}
}

func TestErrorFile(t *testing.T) {
	t.Parallel()
	errFile := filepath.Join(t.TempDir(), "startup_error")
	var stderr bytes.Buffer
	err := server.Run(context.Background(), []string{"--logdir=hdfs://b/r", "--error-file=" + errFile}, nil, io.Discard, &stderr)
	if exitCode(err) != ExitBadLogdir {
		t.Fatalf("exit %d, want %d", exitCode(err), ExitBadLogdir)
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
	var stderr dataservertest.Buffer
	done := make(chan error, 1)
	go func() {
		done <- server.Run(context.Background(), []string{
			"--logdir=" + dir, "--reload=1", "--samples-per-plugin=", "--port=0", "--port-file=" + portFile,
			"--die-after-stdin", "--error-file=" + filepath.Join(dir, "err"), "-vv", "--checksum", "--no-checksum",
		}, stdin, io.Discard, &stderr)
	}()
	c := dataservertest.Dial(t, portFile, done)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	res, err := c.GetExperiment(ctx, &dp.GetExperimentRequest{})
	if err != nil || res.DataLocation != dir {
		t.Errorf("GetExperiment = %v, %v; want data location %s", res, err, dir)
	}
	w.Close()
	dataservertest.WaitExit(t, done)
	if !strings.Contains(stderr.String(), "load cycle done") {
		t.Errorf("-vv logged no load cycle: %q", stderr.String())
	}
}
