//go:build unix

package runinfo_test

import (
	"bufio"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tbgo/tbgo/internal/testenv"
	"github.com/tbgo/tbgo/summary"
	"github.com/tbgo/tbgo/tfevents"
)

// buildCrashWriter builds internal/crashwriter, whose -signals flag calls
// CloseOnSignal, into a temporary directory.
func buildCrashWriter(t *testing.T) string {
	t.Helper()
	_, err := exec.LookPath("go")
	testenv.Need(t, err, "the go command, to build internal/crashwriter", "put go on PATH")
	bin := filepath.Join(t.TempDir(), "crashwriter")
	cmd := exec.Command("go", "build", "-o", bin, "./internal/crashwriter")
	cmd.Dir = filepath.Join("..", "..")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// readScalars reads the run in dir: how many scalars it holds (they must
// be 0, 1, 2, ... in order) and whether the file ends cleanly.
func readScalars(t *testing.T, dir string) (n int, clean bool) {
	t.Helper()
	runs, err := tfevents.DiscoverRuns(dir)
	if err != nil {
		t.Fatal(err)
	}
	clean = true
	for _, f := range runs[0].Files {
		// ReadEventFile returns the events before the first damage too.
		evs, err := tfevents.ReadEventFile(f)
		clean = clean && err == nil
		var dec summary.Decoder
		for _, ev := range evs {
			vals, err := dec.Event(nil, ev)
			if err != nil {
				t.Fatal(err)
			}
			for _, v := range vals {
				if v.Kind != summary.KindScalar {
					continue
				}
				if v.Step != int64(n) {
					t.Fatalf("scalar %d has step %d", n, v.Step)
				}
				n++
			}
		}
	}
	return n, clean
}

// TestCloseOnSignal sends SIGTERM and SIGINT to a writer that called
// CloseOnSignal, once as a program started normally and once as one
// started with SIGINT ignored (with & from a script: the shell's trap ""
// INT does the same before exec). The process must end on its own, by the
// signal or with status 128 plus its number when the signal cannot be
// delivered again, with its file closed cleanly and every flushed scalar
// present. Before the ignored case was handled the process waited forever.
func TestCloseOnSignal(t *testing.T) {
	bin := buildCrashWriter(t)
	sh, err := exec.LookPath("sh")
	testenv.Need(t, err, "sh, to start a program with SIGINT ignored", "install a POSIX shell")
	tests := []struct {
		desc     string
		sig      syscall.Signal
		ignore   bool // start the process with SIGINT ignored
		byExit   bool // it ends with exit status 128+sig, not by the signal
		wantCode int
	}{
		{desc: "SIGTERM", sig: syscall.SIGTERM},
		{desc: "SIGINT", sig: syscall.SIGINT},
		{desc: "SIGINT ignored at start", sig: syscall.SIGINT, ignore: true, byExit: true, wantCode: 128 + int(syscall.SIGINT)},
		{desc: "SIGTERM with SIGINT ignored", sig: syscall.SIGTERM, ignore: true},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			dir := t.TempDir()
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			args := []string{"-dir", dir, "-flush-every", "50", "-signals"}
			cmd := exec.CommandContext(ctx, bin, args...)
			if tc.ignore {
				cmd = exec.CommandContext(ctx, sh, append([]string{"-c", `trap "" INT; exec "$0" "$@"`, bin}, args...)...)
			}
			cmd.Stderr = os.Stderr
			stdout, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			// Wait for writing to be under way, then keep the last ack.
			sc := bufio.NewScanner(stdout)
			if !sc.Scan() {
				t.Fatal("the writer ended before its first flush")
			}
			acks := make(chan int, 1)
			go func() {
				last, _ := strconv.Atoi(strings.TrimPrefix(sc.Text(), "ack "))
				for sc.Scan() {
					if n, err := strconv.Atoi(strings.TrimPrefix(sc.Text(), "ack ")); err == nil {
						last = n
					}
				}
				acks <- last
			}()
			cmd.Process.Signal(tc.sig)
			err = cmd.Wait()
			if ctx.Err() != nil {
				t.Fatalf("the writer did not end within a minute of %v", tc.sig)
			}
			last := <-acks
			var exit *exec.ExitError
			if !errors.As(err, &exit) {
				t.Fatalf("the writer exited with %v, want an end by %v", err, tc.sig)
			}
			ws, _ := exit.Sys().(syscall.WaitStatus)
			switch {
			case tc.byExit && (!ws.Exited() || ws.ExitStatus() != tc.wantCode):
				t.Errorf("the writer ended with %v, want exit status %d after closing", exit, tc.wantCode)
			case !tc.byExit && (!ws.Signaled() || ws.Signal() != tc.sig):
				t.Errorf("the writer ended with %v, want death by %v after closing", exit, tc.sig)
			}
			n, clean := readScalars(t, dir)
			if !clean {
				t.Errorf("the file does not end cleanly: %v did not close it", tc.sig)
			}
			if n < last {
				t.Errorf("%d scalars in the file, %d flushed", n, last)
			}
		})
	}
}
