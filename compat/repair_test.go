//go:build compat

package compat

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/tbgo/tbgo/internal/testenv"
	"github.com/tbgo/tbgo/summary"
	"github.com/tbgo/tbgo/tfevents"
)

// A repairRun is one run of the damaged logdir: scalars "x" at steps
// 0..n-1 (value = step), then the sentinel, damaged by edit.
type repairRun struct {
	name string
	n    int64
	// edit damages the file, given its bytes and the offset of each record
	// (0 is the file_version, i+1 is step i).
	edit func(b []byte, offs []int64) []byte
	// steps are the steps the repaired run serves.
	steps []int64
}

func stepsExcept(n int64, except ...int64) []int64 {
	var s []int64
	for i := range n {
		if !slices.Contains(except, i) {
			s = append(s, i)
		}
	}
	return s
}

var repairRuns = []repairRun{
	{"intact", 10, func(b []byte, offs []int64) []byte { return b }, stepsExcept(10)},
	// A crashed writer: half of a record at the end. The sentinel comes
	// before it here, so the loaders know they have read everything.
	{"torn", 10, func(b []byte, offs []int64) []byte { return append(b, b[offs[3]:offs[3]+20]...) }, stepsExcept(10)},
	// The loaders stop at a bad length checksum for good (the Rust data
	// server marks the file dead); repair skips to the next record.
	{"length-crc", 20, func(b []byte, offs []int64) []byte { b[offs[6]+2] ^= 0x01; return b }, stepsExcept(20, 5)},
	{"data-crc", 20, func(b []byte, offs []int64) []byte { b[offs[8]+15] ^= 0x20; return b }, stepsExcept(20, 7)},
	{"garbage", 20, func(b []byte, offs []int64) []byte {
		return slices.Concat(b[:offs[4]], bytes.Repeat([]byte("garbage!"), 300), b[offs[4]:])
	}, stepsExcept(20)},
	// The file_version record is lost: repair writes a new one.
	{"first-record", 10, func(b []byte, offs []int64) []byte { b[5] ^= 0x01; return b }, stepsExcept(10)},
	{"several", 30, func(b []byte, offs []int64) []byte {
		b[offs[3]+1] ^= 0x80
		b[offs[11]+14] ^= 0x01
		return slices.Concat(b[:offs[20]], []byte("junk"), b[offs[20]:])
	}, stepsExcept(30, 2, 10)},
}

// TestRepairLoads damages event files in every way tbgo repair handles,
// repairs the logdir with the tbgo command, and checks that both of
// TensorBoard's loaders serve every step repair kept, with its value,
// including those after the damage, which neither loader serves from the
// damaged file. tbgo verify fails on the damaged logdir and passes on the
// repaired one, even with -strict.
func TestRepairLoads(t *testing.T) {
	tmp := t.TempDir()
	damaged := filepath.Join(tmp, "damaged")
	var runs []string
	for _, rr := range repairRuns {
		runs = append(runs, rr.name)
		w, err := summary.NewWriter(filepath.Join(damaged, rr.name), nil)
		if err != nil {
			t.Fatal(err)
		}
		for step := range rr.n {
			if err := w.Scalar("x", step, float64(step)); err != nil {
				t.Fatal(err)
			}
		}
		if err := w.Scalar(SentinelTag, 0, 1); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		data, err := os.ReadFile(w.FileName())
		if err != nil {
			t.Fatal(err)
		}
		offs := recordStarts(t, data)
		if int64(len(offs)) != rr.n+2 {
			t.Fatalf("%s: %d records, want %d", rr.name, len(offs), rr.n+2)
		}
		if err := os.WriteFile(w.FileName(), rr.edit(data, offs), 0o644); err != nil {
			t.Fatal(err)
		}
	}

	tbgo := buildTbgo(t)
	if out, err := exec.Command(tbgo, "verify", damaged).CombinedOutput(); exitCode(err) != 1 {
		t.Errorf("tbgo verify on the damaged logdir: exit %d, want 1\n%s", exitCode(err), out)
	}
	repaired := filepath.Join(tmp, "repaired")
	out, err := exec.Command(tbgo, "repair", damaged, repaired).CombinedOutput()
	if err != nil {
		t.Fatalf("tbgo repair: %v\n%s", err, out)
	}
	t.Logf("tbgo repair:\n%s", out)
	if out, err := exec.Command(tbgo, "verify", "-strict", repaired).CombinedOutput(); err != nil {
		t.Errorf("tbgo verify -strict on the repaired logdir: %v\n%s", err, out)
	}

	servers := startServers(t, bothLoaders(repaired, sentinelsLoaded(runs)))
	for i, name := range []string{"rust", "python"} {
		v := serverView(t, servers[i], name+" server, repaired logdir")
		for _, rr := range repairRuns {
			s := v.series[key{rr.name, "x"}]
			if s == nil {
				t.Errorf("%s: run %q has no series x", v.name, rr.name)
				continue
			}
			if got := steps(s.points); !slices.Equal(got, rr.steps) {
				t.Errorf("%s: run %q serves steps %v, want %v", v.name, rr.name, got, rr.steps)
			}
			for _, p := range s.points {
				if p.value != float64(p.step) {
					t.Errorf("%s: run %q step %d = %v, want %d", v.name, rr.name, p.step, p.value, p.step)
				}
			}
		}
	}
}

// recordStarts returns the offset of every record of an intact event file.
func recordStarts(t *testing.T, data []byte) []int64 {
	t.Helper()
	var offs []int64
	sc := tfevents.NewScanner(bytes.NewReader(data))
	sc.Strict = true
	for sc.Scan() {
		offs = append(offs, sc.Offset())
	}
	if err := sc.Err(); err != nil || sc.Damages() > 0 {
		t.Fatalf("an intact file: %v, %d damaged parts", err, sc.Damages())
	}
	return offs
}

// buildTbgo builds the tbgo command into t's temporary directory.
func buildTbgo(t *testing.T) string {
	t.Helper()
	root, err := testenv.Root()
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(t.TempDir(), "tbgo")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/tbgo")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("building tbgo: %v\n%s", err, strings.TrimSpace(string(out)))
	}
	return bin
}

// exitCode returns a command's exit status from its error.
func exitCode(err error) int {
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode()
	}
	if err != nil {
		return -1
	}
	return 0
}
