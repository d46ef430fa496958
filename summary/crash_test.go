package summary_test

import (
	"bufio"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tbgo/tbgo/summary"
	"github.com/tbgo/tbgo/tfevents"
)

// buildTool builds a main package of this module into dir.
func buildTool(t *testing.T, dir, pkg string) string {
	t.Helper()
	bin := filepath.Join(dir, filepath.Base(pkg))
	cmd := exec.Command("go", "build", "-o", bin, pkg)
	cmd.Dir = ".."
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build %s: %v\n%s", pkg, err, out)
	}
	return bin
}

// crashRun is one run of internal/crashwriter.
type crashRun struct {
	cmd  *exec.Cmd
	acks chan int // closed when standard output ends
	last int      // the highest ack read so far
}

func startCrashWriter(t *testing.T, bin, dir string, args ...string) *crashRun {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"-dir", dir}, args...)...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	r := &crashRun{cmd: cmd, acks: make(chan int, 1<<16)}
	go func() {
		defer close(r.acks)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if n, err := strconv.Atoi(strings.TrimPrefix(sc.Text(), "ack ")); err == nil {
				r.acks <- n
			}
		}
	}()
	return r
}

// drain reads the acks left in the pipe after the process ended and
// returns the highest.
func (r *crashRun) drain() int {
	for n := range r.acks {
		r.last = max(r.last, n)
	}
	return r.last
}

// readCrashed reads the scalars of the run in dir. It fails t unless they
// are exactly 0, 1, 2, ... and the file ends cleanly or with a torn last
// record, and returns how many there are and whether the tail was torn.
func readCrashed(t *testing.T, dir string) (n int, torn bool) {
	t.Helper()
	runs, err := tfevents.DiscoverRuns(dir)
	if errors.Is(err, tfevents.ErrNoEventFiles) || errors.Is(err, os.ErrNotExist) {
		return 0, false // killed before the file was created
	}
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range runs[0].Files {
		var dec summary.Decoder
		torn = scanScalars(t, &dec, f, func(p summary.ScalarPoint) {
			if p.Step != int64(n) || p.Value != float64(n) {
				t.Fatalf("%s: scalar %d has step %d value %v", f, n, p.Step, p.Value)
			}
			n++
		}) || torn
	}
	return n, torn
}

// scanScalars reads the scalars of the event file name with dec, calling fn
// with each in order, and returns whether the file ends in a torn tail. Any
// other damage fails t: only the last record may be damaged, and only torn.
func scanScalars(t *testing.T, dec *summary.Decoder, name string, fn func(summary.ScalarPoint)) (torn bool) {
	t.Helper()
	f, err := os.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	s := tfevents.NewScanner(f)
	s.Name, s.Strict = name, true
	s.Damaged = func(*tfevents.Damage) error { torn = true; return nil } // Strict lets only a torn tail through
	var points []summary.ScalarPoint
	for s.Scan() {
		if points, err = dec.AppendScalars(points[:0], s.Record()); err != nil {
			t.Fatalf("%s: offset %d: %v", name, s.Offset(), err)
		}
		for _, p := range points {
			fn(p)
		}
	}
	if err := s.Err(); err != nil {
		t.Fatal(err)
	}
	return torn
}

// TestCrash kills a writing process with SIGKILL at random moments, many
// times, and checks the promise of Flush: every scalar a Flush returned for
// is in the file, in order, and only the last record may be torn. Every
// 20th crashed run is also repaired with "tbgo repair", and the copy must
// pass "tbgo verify -strict" and hold every complete record.
// TBGO_CRASH_KILLS sets the number of kills (default 200).
func TestCrash(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("SIGKILL is a Unix signal")
	}
	kills := 200
	if s := os.Getenv("TBGO_CRASH_KILLS"); s != "" {
		var err error
		if kills, err = strconv.Atoi(s); err != nil {
			t.Fatalf("TBGO_CRASH_KILLS=%q: %v", s, err)
		}
	}
	bins := t.TempDir()
	writer := buildTool(t, bins, "./internal/crashwriter")
	tool := buildTool(t, bins, "./cmd/tbgo")
	logdir := t.TempDir()
	seed := uint64(time.Now().UnixNano())
	rng := rand.New(rand.NewPCG(seed, 1))
	t.Logf("seed %d", seed)

	var acked, recovered, tornTails, repaired int
	for k := range kills {
		dir := filepath.Join(logdir, fmt.Sprintf("run%03d", k))
		flushEvery := []int{1, 7, 100, 1000}[rng.IntN(4)]
		r := startCrashWriter(t, writer, dir, "-flush-every", strconv.Itoa(flushEvery))
		time.Sleep(time.Duration(rng.IntN(40_000)) * time.Microsecond)
		r.cmd.Process.Signal(syscall.SIGKILL)
		r.cmd.Wait()
		last := r.drain()
		n, torn := readCrashed(t, dir)
		if n < last {
			t.Fatalf("kill %d (flush every %d): %d scalars in the file, but a Flush returned after %d", k, flushEvery, n, last)
		}
		acked += last
		recovered += n
		if torn {
			tornTails++
		}
		if k%20 == 0 && n > 0 {
			out := filepath.Join(logdir, fmt.Sprintf("repaired%03d", k))
			if msg, err := exec.Command(tool, "repair", dir, out).CombinedOutput(); err != nil {
				t.Fatalf("tbgo repair %s: %v\n%s", dir, err, msg)
			}
			if msg, err := exec.Command(tool, "verify", "-strict", out).CombinedOutput(); err != nil {
				t.Fatalf("tbgo verify -strict %s: %v\n%s", out, err, msg)
			}
			if m, tornAfter := readCrashed(t, out); m != n || tornAfter {
				t.Fatalf("repaired copy holds %d scalars (torn %v), the crashed file %d complete ones", m, tornAfter, n)
			}
			repaired++
		}
		os.RemoveAll(dir)
	}
	t.Logf("%d kills: %d scalars acknowledged by Flush, %d found (0 lost), %d torn tails, %d runs repaired and verified",
		kills, acked, recovered, tornTails, repaired)
}
