package hostile

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"sync"
	"testing"
	"time"
)

// Limits bound a child process. A zero field sets no bound.
type Limits struct {
	// MaxRSS is the most resident memory, in bytes, the child may hold.
	// On Linux its resident memory and high-water mark (VmRSS, VmHWM) are
	// sampled every few milliseconds, and the child is killed as soon as
	// it holds more, and fails if its peak was more. Elsewhere memory is
	// not measured.
	MaxRSS int64
	// Timeout is how long the child may run before it is killed.
	Timeout time.Duration
}

// Usage is what a child process used.
type Usage struct {
	// PeakRSS is the child's peak resident memory in bytes, its VmHWM
	// when last sampled (growth in its last few milliseconds can be
	// missed); 0 where the system does not tell (other than Linux).
	// getrusage's ru_maxrss is no use here: a child forked from a large
	// test process starts with the parent's.
	PeakRSS int64
	// Elapsed is the child's wall-clock time.
	Elapsed time.Duration
}

// String returns the usage as the reliability table gives it, e.g. "peak
// RSS 12.3 MB, 0.41 s".
func (u Usage) String() string {
	return fmt.Sprintf("peak RSS %.1f MB, %.2f s", float64(u.PeakRSS)/1e6, u.Elapsed.Seconds())
}

// Errors Run wraps when a limit ended the child.
var (
	ErrMemory  = errors.New("hostile: memory ceiling exceeded")
	ErrTimeout = errors.New("hostile: time limit exceeded")
)

// pollInterval is how often Run samples the child's memory.
const pollInterval = 5 * time.Millisecond

// Run starts cmd, which must not have been started, and waits for it,
// killing it when it breaks a limit. It returns what the child used, and an
// error wrapping ErrMemory or ErrTimeout if a limit ended it, or else cmd's
// own error (an *exec.ExitError for a failure). Stdout and stderr are
// cmd's to set.
func Run(cmd *exec.Cmd, lim Limits) (Usage, error) {
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return Usage{}, err
	}
	var (
		mu    sync.Mutex
		broke error
		peak  int64
	)
	kill := func(err error) {
		mu.Lock()
		if broke == nil {
			broke = err
			cmd.Process.Kill()
		}
		mu.Unlock()
	}
	if lim.Timeout > 0 {
		timer := time.AfterFunc(lim.Timeout, func() { kill(fmt.Errorf("%w: still running after %v", ErrTimeout, lim.Timeout)) })
		defer timer.Stop()
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		tick := time.NewTicker(pollInterval)
		defer tick.Stop()
		for first := true; ; first = false {
			if !first {
				select {
				case <-done:
					return
				case <-tick.C:
				}
			}
			rss, hwm, ok := residentMemory(cmd.Process.Pid)
			if !ok {
				continue
			}
			mu.Lock()
			peak = max(peak, hwm, rss)
			mu.Unlock()
			if lim.MaxRSS > 0 && rss > lim.MaxRSS {
				kill(fmt.Errorf("%w: %.1f MB resident, over the ceiling of %.1f MB", ErrMemory, float64(rss)/1e6, float64(lim.MaxRSS)/1e6))
				return
			}
		}
	})
	err := cmd.Wait()
	close(done)
	wg.Wait()
	u := Usage{Elapsed: time.Since(start), PeakRSS: peak}
	mu.Lock()
	defer mu.Unlock()
	switch {
	case broke != nil:
		return u, broke
	case lim.MaxRSS > 0 && u.PeakRSS > lim.MaxRSS:
		return u, fmt.Errorf("%w: peak %.1f MB resident, over the ceiling of %.1f MB", ErrMemory, float64(u.PeakRSS)/1e6, float64(lim.MaxRSS)/1e6)
	}
	return u, err
}

// childEnv carries RunChild's argument to the child.
const childEnv = "TBGO_HOSTILE_CHILD"

// ChildArg returns the argument RunChild passed, and true, when the
// running test binary is RunChild's child. The child then reports its
// peak memory to RunChild when t ends, so that a child too quick for
// RunChild's sampling is measured all the same.
func ChildArg(t testing.TB) (string, bool) {
	arg, ok := os.LookupEnv(childEnv)
	if ok {
		t.Cleanup(func() {
			if _, hwm, ok := residentMemory(os.Getpid()); ok {
				fmt.Printf("%s%d\n", peakLine, hwm)
			}
		})
	}
	return arg, ok
}

// peakLine starts the line in which a child reports its peak memory.
const peakLine = "hostile: peak resident bytes "

// reportedPeak returns the peak memory a child reported in its output.
func reportedPeak(out []byte) int64 {
	i := bytes.LastIndex(out, []byte(peakLine))
	if i < 0 {
		return 0
	}
	line, _, _ := bytes.Cut(out[i+len(peakLine):], []byte("\n"))
	n, _ := strconv.ParseInt(string(line), 10, 64)
	return n
}

// RunChild runs the top-level test named test of the running test binary
// again, in a child process under lim, in which ChildArg returns arg; the
// test must do its measured work there and return. The child's peak memory
// is the larger of what RunChild sampled and what the child reported. Under the race
// detector, which multiplies memory and time several times over, the
// limits are ten times lim. RunChild returns what the child used and its
// output (stdout and stderr), and an error, holding the output, if the
// child failed or broke a limit.
func RunChild(test, arg string, lim Limits) (Usage, string, error) {
	if Race {
		lim.MaxRSS *= 10
		lim.Timeout *= 10
	}
	cmd := exec.Command(os.Args[0], "-test.run=^"+regexp.QuoteMeta(test)+"$", "-test.count=1")
	cmd.Env = append(os.Environ(), childEnv+"="+arg)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	u, err := Run(cmd, lim)
	if peak := reportedPeak(out.Bytes()); peak > u.PeakRSS {
		u.PeakRSS = peak
		if err == nil && lim.MaxRSS > 0 && peak > lim.MaxRSS {
			err = fmt.Errorf("%w: peak %.1f MB resident, over the ceiling of %.1f MB", ErrMemory, float64(peak)/1e6, float64(lim.MaxRSS)/1e6)
		}
	}
	switch {
	case err != nil:
		return u, out.String(), fmt.Errorf("%w\n%s", err, out.Bytes())
	case bytes.Contains(out.Bytes(), []byte("no tests to run")):
		return u, out.String(), fmt.Errorf("hostile: the child ran no test named %s", test)
	}
	return u, out.String(), nil
}
