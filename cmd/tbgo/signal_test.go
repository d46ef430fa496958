//go:build unix

package main

import (
	"bufio"
	"context"
	"errors"
	"io"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/tbgo/tbgo/history"
	"github.com/tbgo/tbgo/summary"
	"github.com/tbgo/tbgo/tfevents"
)

// TestTrainSignals sends a real SIGINT and SIGTERM to a "tbgo train"
// process in the middle of training: it must stop on its own with status
// 1, its event files complete (no torn record) and its HParams session
// ended as failed.
func TestTrainSignals(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "tbgo")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} {
		t.Run(sig.String(), func(t *testing.T) {
			logdir := t.TempDir()
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			cmd := exec.CommandContext(ctx, bin, "train", "-logdir", logdir, "-progress", "lines", "-epochs", "1000")
			stdout, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			// Interrupt once training reports progress.
			sc := bufio.NewScanner(stdout)
			if !sc.Scan() {
				t.Fatal("tbgo train printed nothing")
			}
			cmd.Process.Signal(sig)
			go io.Copy(io.Discard, stdout)
			err = cmd.Wait()
			var exit *exec.ExitError
			if !errors.As(err, &exit) || exit.ExitCode() != 1 {
				t.Fatalf("tbgo train ended with %v, want exit status 1 after %v", err, sig)
			}

			runs, err := tfevents.DiscoverRuns(logdir)
			if err != nil {
				t.Fatal(err)
			}
			for _, run := range runs {
				for _, f := range run.Files {
					if _, err := tfevents.ReadEventFile(f); err != nil {
						t.Errorf("%s: %v: the file was not closed cleanly", f, err)
					}
				}
			}
			src, err := history.Open(logdir)
			if err != nil {
				t.Fatal(err)
			}
			defer src.Close()
			var session history.Session
			err = src.Values(context.Background(), nil, func(v *history.Value) error {
				_, err := session.Add(&v.Value)
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			if !session.Started || !session.Ended || session.Status != summary.StatusFailure {
				t.Errorf("session started %v, ended %v with %v; want it ended as a failure", session.Started, session.Ended, session.Status)
			}
		})
	}
}
