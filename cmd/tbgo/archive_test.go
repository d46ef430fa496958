package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tbgo/tbgo/archive"
	"github.com/tbgo/tbgo/tfevents"
)

func TestArchiveRestore(t *testing.T) {
	t.Parallel()
	tmp := t.TempDir()
	logdir := filepath.Join(tmp, "demo")
	if _, _, err := runTool(t, "demo", "-logdir", logdir, "-steps", "40"); err != nil {
		t.Fatal(err)
	}
	arc := filepath.Join(tmp, "demo.tbar")
	out, _, err := runTool(t, "archive", logdir, arc)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"archived " + logdir + " -> " + arc, "2 files, 3 directories", "% of the logdir"} {
		if !strings.Contains(out, s) {
			t.Errorf("archive report lacks %q:\n%s", s, out)
		}
	}
	if _, _, err := runTool(t, "archive", logdir, arc); err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Errorf("archive over an existing file: %v, want a refusal", err)
	}
	if _, _, err := runTool(t, "archive", "-f", logdir, arc); err != nil {
		t.Errorf("archive -f: %v", err)
	}

	restored := filepath.Join(tmp, "restored")
	out, _, err = runTool(t, "restore", arc, restored)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "2 files") || strings.Contains(out, "compacted") {
		t.Errorf("restore report:\n%s", out)
	}
	runs, err := tfevents.DiscoverRuns(logdir)
	if err != nil {
		t.Fatal(err)
	}
	for _, run := range runs {
		for _, f := range run.Files {
			rel, _ := filepath.Rel(logdir, f)
			a, _ := os.ReadFile(f)
			b, err := os.ReadFile(filepath.Join(restored, rel))
			if err != nil || !bytes.Equal(a, b) {
				t.Errorf("%s: restored file differs (%v)", rel, err)
			}
		}
	}
	if _, _, err := runTool(t, "restore", arc, restored); !errors.Is(err, archive.ErrNotEmpty) {
		t.Errorf("restore into a non-empty directory: %v, want ErrNotEmpty", err)
	}
	if _, _, err := runTool(t, "restore", "-overwrite", arc, restored); err != nil {
		t.Errorf("restore -overwrite: %v", err)
	}
}

func TestArchiveCompaction(t *testing.T) {
	t.Parallel()
	tmp := t.TempDir()
	logdir := filepath.Join(tmp, "demo")
	if _, _, err := runTool(t, "demo", "-logdir", logdir, "-steps", "40"); err != nil {
		t.Fatal(err)
	}
	arc := filepath.Join(tmp, "demo.tbar")
	out, _, err := runTool(t, "archive", "-json", "-thin-scalars", "10", "-keep-images", "1", logdir, arc)
	if err != nil {
		t.Fatal(err)
	}
	var rep archiveReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	c := rep.Compaction
	if c == nil || c.Settings != (archive.Compaction{KeepImages: 1, ScalarFactor: 10}) || c.ScalarsDropped == 0 || c.ImagesDropped != 1 {
		t.Fatalf("compaction report %+v", c)
	}
	found := false
	for _, tag := range c.Tags {
		if tag.Run == "train" && tag.Tag == "loss" {
			found = true
			if tag.Kind != "scalar" || tag.Kept != 5 || tag.Dropped != 35 { // steps 0, 10, 20, 30, 39
				t.Errorf("train/loss: %+v, want 5 scalars kept and 35 dropped", tag)
			}
		}
	}
	if !found {
		t.Errorf("no report for train/loss: %+v", c.Tags)
	}
	text, _, err := runTool(t, "restore", arc, filepath.Join(tmp, "restored"))
	if err != nil || !strings.Contains(text, "compacted") {
		t.Errorf("restore of a compacted archive: %v\n%s", err, text)
	}
}

func TestArchiveErrors(t *testing.T) {
	t.Parallel()
	tmp := t.TempDir()
	empty := filepath.Join(tmp, "empty")
	mustNil(t, os.Mkdir(empty, 0o755))
	text := filepath.Join(tmp, "notes.txt")
	mustNil(t, os.WriteFile(text, []byte("not an archive"), 0o644))
	tests := []struct {
		desc string
		args []string
		want error // nil: any error
		msg  string
	}{
		{"archive without arguments", []string{"archive"}, errUsage, "LOGDIR"},
		{"negative compaction", []string{"archive", "-keep-images", "-1", empty, filepath.Join(tmp, "x.tbar")}, errUsage, "negative"},
		{"no event files", []string{"archive", empty, filepath.Join(tmp, "x.tbar")}, tfevents.ErrNoEventFiles, "no event files"},
		{"restore without arguments", []string{"restore", text}, errUsage, "ARCHIVE"},
		{"restore a text file", []string{"restore", text, filepath.Join(tmp, "out")}, archive.ErrNotArchive, "not a tbgo archive"},
	}
	for _, tt := range tests {
		_, _, err := runTool(t, tt.args...)
		if err == nil || (tt.want != nil && !errors.Is(err, tt.want)) || !strings.Contains(err.Error(), tt.msg) {
			t.Errorf("%s: %v, want an error saying %q", tt.desc, err, tt.msg)
		}
	}
	if entries, _ := os.ReadDir(tmp); len(entries) != 2 {
		t.Errorf("failed commands left files behind: %v", entries)
	}
}
