package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/tbgo/tbgo/archive"
	"github.com/tbgo/tbgo/history"
	"github.com/tbgo/tbgo/proto/tbpb"
	"github.com/tbgo/tbgo/summary"
	"github.com/tbgo/tbgo/tfevents"
)

// fileSteps reads an event file that must be intact and returns the steps
// of its scalars and whether its first event is a file_version.
func fileSteps(t *testing.T, file string) (steps []int64, versionFirst bool) {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	sc := tfevents.NewScanner(bytes.NewReader(data))
	sc.Strict, sc.Name = true, file
	dec := summary.NewDecoder()
	var ev tbpb.Event
	for i := 0; sc.Scan(); i++ {
		if err := proto.Unmarshal(sc.Record(), &ev); err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		if i == 0 {
			versionFirst = ev.GetFileVersion() == tfevents.FileVersion
		}
		vals, err := dec.Event(nil, &ev)
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range vals {
			steps = append(steps, v.Step)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return steps, versionFirst
}

func TestRepairFile(t *testing.T) {
	t.Parallel()
	for _, dc := range damageCases {
		t.Run(dc.desc, func(t *testing.T) {
			t.Parallel()
			file := dc.write(t)
			before, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			dst := filepath.Join(t.TempDir(), "out", filepath.Base(file))
			mustNil(t, os.Mkdir(filepath.Dir(dst), 0o755))
			out, _, err := runTool(t, "repair", "-json", file, dst)
			if err != nil {
				t.Fatal(err)
			}
			var rep history.RepairReport
			if err := json.Unmarshal([]byte(out), &rep); err != nil {
				t.Fatal(err)
			}
			got, versionFirst := fileSteps(t, dst)
			if !slices.Equal(got, dc.steps) {
				t.Errorf("repaired file holds steps %v, want %v", got, dc.steps)
			}
			if !versionFirst {
				t.Error("the repaired file does not start with a file_version event")
			}
			f := rep.Files[0]
			if f.AddedFileVersion != dc.addsVersion || len(f.Dropped) != len(dc.kinds) {
				t.Errorf("report %+v, want %d drops and added file_version %v", f, len(dc.kinds), dc.addsVersion)
			}
			reps, err := verifyJSON(t, "-strict", dst)
			if err != nil {
				t.Errorf("the repaired file does not verify: %v %+v", err, reps)
			}
			after, err := os.ReadFile(file)
			if err != nil || !bytes.Equal(before, after) {
				t.Error("repair modified the original")
			}
			if len(dc.kinds) == 0 {
				repaired, _ := os.ReadFile(dst)
				if !bytes.Equal(repaired, before) {
					t.Error("repairing an intact file changed its bytes")
				}
			}
		})
	}
}

// TestRepairLogdir repairs a logdir with a damaged run, an intact run and
// an asset, and an archive of it.
func TestRepairLogdir(t *testing.T) {
	t.Parallel()
	tmp := t.TempDir()
	logdir := filepath.Join(tmp, "logdir")
	damaged := writeRun(t, filepath.Join(logdir, "damaged"), stepRange(0, 10)...)
	intact := writeRun(t, filepath.Join(logdir, "nested", "intact"), stepRange(0, 5)...)
	asset := filepath.Join(logdir, "projector_config.pbtxt")
	mustNil(t, os.WriteFile(asset, []byte("embeddings {}\n"), 0o600))
	offs, data := recordOffsets(t, damaged)
	data[offs[4]+14] ^= 0x55 // step 3
	mustNil(t, os.WriteFile(damaged, data[:len(data)-1], 0o644))
	arc := filepath.Join(tmp, "logdir.tbar")
	if _, err := archive.CreateFile(arc, logdir, archive.Options{}); err != nil {
		t.Fatal(err)
	}

	for _, src := range []string{logdir, arc} {
		dst := filepath.Join(t.TempDir(), "repaired")
		out, _, err := runTool(t, "repair", src, dst)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(out, "2 event file(s), 1 repaired, 2 damaged record(s), value(s) or region(s) dropped, 1 other file(s) copied") {
			t.Errorf("%s: report:\n%s", src, out)
		}
		rel := func(p string) string { r, _ := filepath.Rel(logdir, p); return filepath.Join(dst, r) }
		if got, _ := fileSteps(t, rel(damaged)); !slices.Equal(got, stepRange(0, 9, 3)) {
			t.Errorf("%s: repaired run holds steps %v", src, got)
		}
		for _, p := range []string{intact, asset} {
			a, _ := os.ReadFile(p)
			b, err := os.ReadFile(rel(p))
			if err != nil || !bytes.Equal(a, b) {
				t.Errorf("%s: %s not copied byte for byte (%v)", src, rel(p), err)
			}
		}
		if info, err := os.Stat(rel(asset)); err != nil || info.Mode().Perm() != 0o600 {
			t.Errorf("%s: copied asset mode %v, want 0600 (%v)", src, info.Mode(), err)
		}
		if _, err := verifyJSON(t, "-strict", dst); err != nil {
			t.Errorf("%s: the repaired logdir does not verify: %v", src, err)
		}
	}
}

func TestRepairRefuses(t *testing.T) {
	t.Parallel()
	tmp := t.TempDir()
	logdir := filepath.Join(tmp, "logdir")
	file := writeRun(t, filepath.Join(logdir, "run"), stepRange(0, 3)...)
	existing := filepath.Join(tmp, "existing")
	mustNil(t, os.MkdirAll(filepath.Join(existing, "x"), 0o755))
	tests := []struct {
		desc     string
		src, dst string
		msg      string
	}{
		{"destination inside the source", logdir, filepath.Join(logdir, "repaired"), "lies inside the source"},
		{"destination is the source", logdir, logdir, "already exists"},
		{"file onto itself", file, file, "already exists"},
		{"destination not empty", logdir, existing, "not empty"},
		{"file onto a directory", file, existing, "already exists"},
		{"missing source", filepath.Join(tmp, "missing"), filepath.Join(tmp, "out"), "no such file"},
	}
	for _, tt := range tests {
		before := listDir(t, tmp)
		_, _, err := runTool(t, "repair", tt.src, tt.dst)
		if err == nil || !strings.Contains(err.Error(), tt.msg) {
			t.Errorf("%s: repair = %v, want an error saying %q", tt.desc, err, tt.msg)
		}
		if after := listDir(t, tmp); !slices.Equal(before, after) {
			t.Errorf("%s: a refused repair changed the files: %v, was %v", tt.desc, after, before)
		}
	}
	if _, _, err := runTool(t, "repair", logdir); err == nil {
		t.Error("repair with one argument succeeded")
	}
}

func listDir(t *testing.T, dir string) []string {
	var paths []string
	filepath.Walk(dir, func(p string, _ os.FileInfo, err error) error {
		paths = append(paths, p)
		return err
	})
	return paths
}
