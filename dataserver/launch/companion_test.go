package launch

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
)

// TestCompanionMissing runs a data server whose companion is nowhere: a
// URL it would hand on is a bad logdir, and the error file names the
// scheme and how to install the companion, without the URL's secrets.
func TestCompanionMissing(t *testing.T) {
	t.Parallel()
	lean := &Command{Name: "tbgo-data-server", Companion: "tbgo-data-server-absent-companion"}
	for _, tt := range []struct{ logdir, scheme string }{
		{"s3://bucket/runs?endpoint=http://user:hunter2@127.0.0.1:9000", `scheme "s3"`},
		{"gs://bucket/runs", `scheme "gs"`},
		{"hdfs://namenode/runs", `scheme "hdfs"`},
	} {
		t.Run(tt.scheme, func(t *testing.T) {
			errFile := filepath.Join(t.TempDir(), "startup_error")
			err := lean.Run(context.Background(), []string{"--logdir", tt.logdir, "--error-file", errFile}, nil, io.Discard, io.Discard)
			if got := exitCode(err); got != ExitBadLogdir {
				t.Fatalf("exit %d (%v), want %d", got, err, ExitBadLogdir)
			}
			b, err := os.ReadFile(errFile)
			if err != nil {
				t.Fatal(err)
			}
			msg := string(b)
			for _, want := range []string{tt.scheme, "tbgo-data-server-absent-companion", "nor on PATH",
				"go install github.com/tbgo/tbgo/cmd/tbgo-data-server-absent-companion@latest",
				"go install github.com/tbgo/tbgo/cmd/...@latest"} {
				if !strings.Contains(msg, want) {
					t.Errorf("error file lacks %q:\n%s", want, msg)
				}
			}
			if strings.Contains(msg, "hunter2") {
				t.Errorf("error file shows the URL's password:\n%s", msg)
			}
		})
	}
}

// TestHandOff finds a companion on PATH and checks what is handed to it:
// exactly the command line, and only for URLs of schemes no driver of
// this program handles, and never by a Command without a Companion.
func TestHandOff(t *testing.T) {
	dir := t.TempDir()
	name := "tbgo-data-server-test-companion"
	file := name
	if runtime.GOOS == "windows" {
		file += ".exe"
	}
	if err := os.WriteFile(filepath.Join(dir, file), []byte("#!/bin/sh\nexit 3\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir)
	var gotPath string
	var gotArgs []string
	handed := errors.New("handed off")
	lean := &Command{Name: "tbgo-data-server", Companion: name,
		handOff: func(_ context.Context, path string, args []string, _ io.Reader, _, _ io.Writer) error {
			gotPath, gotArgs = path, args
			return handed
		}}
	for _, tt := range []struct {
		desc string
		args []string
		want int // exit status when not handed off
	}{
		{"s3 URL", []string{"--logdir=s3://bucket/runs?region=eu-west-1", "--port=0", "-vv", "--die-after-stdin"}, -1},
		{"unknown scheme", []string{"--logdir", "hdfs://namenode/runs", "--reload", "once"}, -1},
		{"malformed URL", []string{"--logdir=s3://bucket/runs%zz"}, ExitBadLogdir},
		{"empty logdir", []string{"--logdir="}, ExitBadLogdir},
		{"usage error", []string{"--logdir=s3://bucket/runs", "--port=70000"}, ExitUsage},
	} {
		t.Run(tt.desc, func(t *testing.T) {
			gotPath, gotArgs = "", nil
			err := lean.Run(context.Background(), tt.args, strings.NewReader(""), io.Discard, io.Discard)
			if tt.want >= 0 {
				if gotPath != "" || exitCode(err) != tt.want {
					t.Errorf("handed to %q, exit %d (%v); want no hand-off, exit %d", gotPath, exitCode(err), err, tt.want)
				}
				return
			}
			if err != handed || gotPath != filepath.Join(dir, file) || !slices.Equal(gotArgs, tt.args) {
				t.Errorf("Run returned %v, handed %q %q; want %q %q", err, gotPath, gotArgs, filepath.Join(dir, file), tt.args)
			}
		})
	}

	t.Run("no companion", func(t *testing.T) {
		// The companion itself has none: it never hands on, so a hand-off
		// cannot loop.
		gotPath = ""
		cloud := &Command{Name: "tbgo-data-server-cloud", handOff: lean.handOff}
		err := cloud.Run(context.Background(), []string{"--logdir=hdfs://namenode/runs"}, nil, io.Discard, io.Discard)
		if gotPath != "" || exitCode(err) != ExitBadLogdir {
			t.Errorf("handed to %q, exit %d (%v); want no hand-off, exit %d", gotPath, exitCode(err), err, ExitBadLogdir)
		}
	})
}
