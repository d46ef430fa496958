package main

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tbgo/tbgo/archive"
	"github.com/tbgo/tbgo/history"
	"github.com/tbgo/tbgo/proto/tbpb"
	"github.com/tbgo/tbgo/storage"
	"github.com/tbgo/tbgo/tfevents"
)

// writeSegmentedRun writes steps scalars to the run dir, a local
// directory, as a storage.Sink uploads them to a bucket: a segment per
// two steps. It returns the segments' paths.
func writeSegmentedRun(t *testing.T, dir string, steps int64) []string {
	t.Helper()
	ctx := context.Background()
	mustNil(t, os.MkdirAll(dir, 0o755))
	st, err := storage.Open(ctx, filepath.Dir(dir))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	sink, err := storage.NewSink(ctx, st.Bucket(), st.Key(filepath.Base(dir)), &storage.SinkOptions{MaxAge: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	w, err := tfevents.NewEventWriter(sink, &tfevents.FileOptions{Fsync: true})
	if err != nil {
		t.Fatal(err)
	}
	for step := range steps {
		ev := &tbpb.Event{Step: step, WallTime: float64(1700000000 + step), What: &tbpb.Event_Summary{Summary: &tbpb.Summary{
			Value: []*tbpb.Summary_Value{{Tag: "loss", Value: &tbpb.Summary_Value_SimpleValue{SimpleValue: float32(step)}}},
		}}}
		mustNil(t, w.WriteEvent(ev))
		if step%2 == 1 {
			mustNil(t, w.Flush())
		}
	}
	mustNil(t, w.Close())
	mustNil(t, sink.Close())
	files, err := filepath.Glob(filepath.Join(dir, "events.out.tfevents.*"))
	mustNil(t, err)
	return files
}

// TestCompactCommand compacts a logdir of a segmented run into a
// directory and into a bucket, and an archive of it into a directory, and
// checks what it refuses.
func TestCompactCommand(t *testing.T) {
	t.Parallel()
	logdir := filepath.Join(t.TempDir(), "logdir")
	segments := writeSegmentedRun(t, filepath.Join(logdir, "train"), 20)
	if len(segments) != 11 {
		t.Fatalf("%d segments, want 11", len(segments))
	}

	// Written just now: a writer may still be at work.
	_, _, err := runTool(t, "compact", logdir, filepath.Join(t.TempDir(), "busy"))
	if !errors.Is(err, storage.ErrRunBusy) || !strings.Contains(err.Error(), "wait") {
		t.Errorf("compact of a run written just now: %v, want ErrRunBusy saying how long to wait", err)
	}

	old := time.Now().Add(-time.Hour)
	for _, f := range segments {
		mustNil(t, os.Chtimes(f, old, old))
	}
	want := exportScalars(t, logdir)
	if strings.Count(want, "loss") != 20 {
		t.Fatalf("export of the source:\n%s", want)
	}
	arc := filepath.Join(t.TempDir(), "logdir.tbar")
	if _, err := archive.CreateFile(arc, logdir, archive.Options{}); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ src, dst string }{
		{logdir, filepath.Join(t.TempDir(), "compacted")},
		{logdir, memLogdir(t)},
		{arc, filepath.Join(t.TempDir(), "from-archive")},
	} {
		src, dst := c.src, c.dst
		out, _, err := runTool(t, "compact", src, dst)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(out, "1 run(s), 11 event file(s) -> 1") || !strings.Contains(out, "train: 11 -> 1 event file(s)") {
			t.Errorf("%s: report:\n%s", dst, out)
		}
		if got := exportScalars(t, dst); got != want {
			t.Errorf("%s: scalars\n%s\nwant\n%s", dst, got, want)
		}
		if _, err := verifyJSON(t, "-strict", dst); err != nil {
			t.Errorf("%s: the copy does not verify: %v", dst, err)
		}
		if _, _, err := runTool(t, "compact", src, dst); !errors.Is(err, storage.ErrNotEmpty) {
			t.Errorf("%s: compact into it again: %v, want ErrNotEmpty", dst, err)
		}
	}

	out, _, err := runTool(t, "compact", "-json", "-max-size", "1", logdir, filepath.Join(t.TempDir(), "json"))
	if err != nil {
		t.Fatal(err)
	}
	var rep history.CompactReport
	mustNil(t, json.Unmarshal([]byte(out), &rep))
	if len(rep.Runs) != 1 || rep.Runs[0].Run != "train" || rep.Runs[0].FilesAfter != 1 || rep.Runs[0].Records != 21 {
		t.Errorf("-json report: %s", out)
	}
	if _, _, err := runTool(t, "compact", "-max-size", "0", logdir, filepath.Join(t.TempDir(), "zero")); !errors.Is(err, errUsage) {
		t.Errorf("-max-size 0: %v, want a usage error", err)
	}
	if _, _, err := runTool(t, "compact", segments[0], filepath.Join(t.TempDir(), "one")); err == nil {
		t.Error("compact of one event file: no error")
	}
}

// exportScalars returns the scalars of a logdir as tbgo export prints
// them.
func exportScalars(t *testing.T, src string) string {
	t.Helper()
	out, _, err := runTool(t, "export", "-view", "raw", src)
	if err != nil {
		t.Fatal(err)
	}
	return out
}
