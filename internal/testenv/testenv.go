// Package testenv decides what a test does when something it needs from
// outside Go is missing (protoc, TensorBoard, Chromium, an S3 server): on a
// developer's machine with only Go installed it skips, saying how to get
// the missing piece; in CI (the environment variable CI set to anything
// but "" or "0"/"false") it fails, so that a check never passes by not
// running. It also finds the programs the scripts install into .tools/bin
// (Tool) and stops the servers tests start from them (Stop).
package testenv

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"
)

// CI reports whether the tests run in continuous integration, where every
// external dependency must be present.
func CI() bool {
	v := os.Getenv("CI")
	if v == "" {
		return false
	}
	if b, err := strconv.ParseBool(v); err == nil {
		return b
	}
	return true
}

// Need ends the test if err, the result of looking for something the test
// needs, is not nil: with t.Skipf outside CI and t.Fatalf in CI. what names
// the missing piece and how says how to provide it, e.g.
//
//	testenv.Need(t, err, "protoc 30.2", "run scripts/setup.sh")
func Need(t testing.TB, err error, what, how string) {
	t.Helper()
	if err == nil {
		return
	}
	if CI() {
		t.Fatalf("%s is required in CI: %v (%s)", what, err, how)
	}
	t.Skipf("skipped: needs %s: %v (%s; CI=1 makes this a failure)", what, err, how)
}

// Root returns the repository root: the nearest directory above the
// working directory that holds go.mod. (A test runs in its package's
// directory.)
func Root() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("testenv: no go.mod above the working directory")
		}
		dir = parent
	}
}

// MemBucket returns "mem://NAME": a mem:// bucket of test t's own, the
// same for every call in t and new for every run of t, so that
// go test -count=N does not find the buckets (which live as long as the
// process) of an earlier run.
func MemBucket(t testing.TB) string {
	return "mem://" + filepath.Base(filepath.Dir(t.TempDir()))
}

// Tool returns the path of a program the project's scripts install into
// .tools/bin at the repository root: the value of the environment
// variable env if set, else .tools/bin/name, else name on the PATH. If
// there is none it ends the test as Need does, with how as the way to get
// it.
func Tool(t testing.TB, name, env, how string) string {
	t.Helper()
	if p := os.Getenv(env); p != "" {
		return p
	}
	if root, err := Root(); err == nil {
		p := filepath.Join(root, ".tools", "bin", name)
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	p, err := exec.LookPath(name)
	if err != nil {
		err = fmt.Errorf("not in .tools/bin, not on the PATH, and %s is not set", env)
	}
	Need(t, err, name, how)
	return p
}

// Stop stops a server process a test started: SIGTERM, then SIGKILL if it
// has not exited after grace; it returns once the process has exited.
func Stop(cmd *exec.Cmd, grace time.Duration) {
	cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(grace):
		cmd.Process.Kill()
		<-done
	}
}
