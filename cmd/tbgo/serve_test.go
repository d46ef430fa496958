//go:build unix

package main

import (
	"bufio"
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/tbgo/tbgo/dataserver"
	dp "github.com/tbgo/tbgo/proto/dataproviderpb"
)

func TestServeUsage(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for _, args := range [][]string{
		{"serve"},
		{"serve", dir, dir},
		{"serve", "-samples-per-plugin", "scalars=x", dir},
		{"board"},
		{"board", dir, "extra"},
		{"board", "--", dir},
	} {
		if err := run(args, io.Discard, io.Discard); !errors.Is(err, errUsage) {
			t.Errorf("tbgo %s: %v, want a usage error", strings.Join(args, " "), err)
		}
	}
	if err := run([]string{"board", "-tensorboard", filepath.Join(dir, "no-tensorboard"), dir}, io.Discard, io.Discard); err == nil || errors.Is(err, errUsage) {
		t.Errorf("board without tensorboard: %v, want an error saying it is needed", err)
	}
	if err := run([]string{"serve", "-addr", "127.0.0.1:0", "hdfs://bucket/runs"}, io.Discard, io.Discard); !errors.Is(err, dataserver.ErrBadLogdir) {
		t.Errorf("serve of a URL of an unknown scheme: %v, want a bad logdir", err)
	}
}

// TestServeProcess runs "tbgo serve", asks it an RPC at the address it
// prints, and stops it with SIGTERM: it must exit 0.
func TestServeProcess(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "tbgo")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "serve", "-addr", "127.0.0.1:0", dir)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(stdout)
	if !sc.Scan() {
		t.Fatal("tbgo serve printed nothing")
	}
	m := regexp.MustCompile(` on (\S+);`).FindStringSubmatch(sc.Text())
	if m == nil {
		t.Fatalf("tbgo serve printed %q, want the address", sc.Text())
	}
	go io.Copy(io.Discard, stdout)
	conn, err := grpc.NewClient(m[1], grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	res, err := dp.NewTensorBoardDataProviderClient(conn).GetExperiment(ctx, &dp.GetExperimentRequest{})
	if err != nil || res.DataLocation != dir {
		t.Errorf("GetExperiment = %v, %v; want data location %s", res, err, dir)
	}
	cmd.Process.Signal(syscall.SIGTERM)
	if err := cmd.Wait(); err != nil {
		t.Errorf("tbgo serve ended with %v after SIGTERM, want exit status 0", err)
	}
}

// TestBoardPassesFlags: everything after "--" goes to tensorboard as it
// is, flags included, after the data-provider address; and board prints
// the URL tensorboard announces. A script stands in for tensorboard.
func TestBoardPassesFlags(t *testing.T) {
	dir := t.TempDir()
	logdir := filepath.Join(dir, "runs")
	if err := writeDemo(logdir, 3); err != nil {
		t.Fatal(err)
	}
	argsFile := filepath.Join(dir, "args")
	fake := filepath.Join(dir, "tensorboard")
	script := "#!/bin/sh\nprintf '%s\\n' \"$@\" > " + argsFile + "\necho 'TensorBoard 2.21.0 at http://127.0.0.1:1234/ (Press CTRL+C to quit)' >&2\n"
	if err := os.WriteFile(fake, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	out, errOut, err := runTool(t, "board", "-reload", "0", "-tensorboard", fake, logdir, "--", "--host=127.0.0.1", "--port", "1234")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "open http://127.0.0.1:1234/") {
		t.Errorf("board printed %q (stderr %q), want the URL", out, errOut)
	}
	b, err := os.ReadFile(argsFile)
	if err != nil {
		t.Fatal(err)
	}
	args := strings.Fields(string(b))
	if len(args) != 5 || !strings.HasPrefix(args[0], "--grpc_data_provider=") || args[1] != "--logdir="+logdir ||
		!slices.Equal(args[2:], []string{"--host=127.0.0.1", "--port", "1234"}) {
		t.Errorf("tensorboard got %q", args)
	}
}

// TestBoardLocations runs "tbgo board" on a logdir named by a URL, with a
// stand-in for tensorboard that records its arguments: TensorBoard gets
// --logdir for a local directory (a file:// URL) only, and for a bucket
// the data provider's address alone, besides the arguments after "--".
func TestBoardLocations(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	argsFile := filepath.Join(dir, "args")
	fake := filepath.Join(dir, "tensorboard")
	script := "#!/bin/sh\nprintf '%s\\n' \"$@\" > " + argsFile + "\n" +
		"echo 'TensorBoard 2.21.0 at http://127.0.0.1:1/ (Press CTRL+C to quit)' >&2\n"
	if err := os.WriteFile(fake, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	logdir := filepath.Join(dir, "logdir")
	if err := os.Mkdir(logdir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		location   string
		wantLogdir string // "" for none
	}{
		{"file://" + filepath.ToSlash(logdir), logdir},
		{"mem://board-args/runs", ""},
	} {
		var stdout strings.Builder
		err := run([]string{"board", "-reload=0", "-tensorboard", fake, tt.location, "--", "--port=6007", "--", "-x"}, &stdout, io.Discard)
		if err != nil {
			t.Fatalf("tbgo board %s: %v", tt.location, err)
		}
		if !strings.Contains(stdout.String(), "open http://127.0.0.1:1/") {
			t.Errorf("tbgo board %s printed %q, want the URL to open", tt.location, stdout.String())
		}
		b, err := os.ReadFile(argsFile)
		if err != nil {
			t.Fatal(err)
		}
		args := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
		want := []string{"--grpc_data_provider=ADDR"}
		if tt.wantLogdir != "" {
			want = append(want, "--logdir="+tt.wantLogdir)
		}
		want = append(want, "--port=6007", "--", "-x")
		if len(args) > 0 {
			args[0] = regexp.MustCompile(`=.*`).ReplaceAllString(args[0], "=ADDR")
		}
		if !slices.Equal(args, want) {
			t.Errorf("tbgo board %s ran tensorboard %q, want %q", tt.location, args, want)
		}
	}
}
