package history_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/tbgo/tbgo/history"
	"github.com/tbgo/tbgo/proto/tbpb"
	"github.com/tbgo/tbgo/storage"
	_ "github.com/tbgo/tbgo/storage/cloud"
	"github.com/tbgo/tbgo/tfevents"
)

// later is a clock past the busy window of everything a test writes now.
func later() time.Time { return time.Now().Add(time.Hour) }

// writeSegments writes steps scalars to run of the logdir at loc through
// a storage.Sink, flushing every flushEvery steps: a segment each.
func writeSegments(t *testing.T, loc, run string, steps, flushEvery int) {
	t.Helper()
	ctx := context.Background()
	if dir, ok := storage.Local(loc); ok {
		mustNil(t, os.MkdirAll(dir, 0o755))
	}
	st, err := storage.Open(ctx, loc)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	sink, err := storage.NewSink(ctx, st.Bucket(), st.Key(run), &storage.SinkOptions{MaxAge: time.Hour, AllowShared: true, Hostname: "host.example"})
	if err != nil {
		t.Fatal(err)
	}
	w, err := tfevents.NewEventWriter(sink, &tfevents.FileOptions{Fsync: true}) // Flush uploads a segment
	if err != nil {
		t.Fatal(err)
	}
	for step := range int64(steps) {
		for _, tag := range []string{"loss", "accuracy"} {
			if err := w.WriteEvent(scalarEvent(tag, step, float32(step)/7)); err != nil {
				t.Fatal(err)
			}
		}
		if int(step)%flushEvery == flushEvery-1 {
			if err := w.Flush(); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := sink.Close(); err != nil {
		t.Fatal(err)
	}
}

// logdirFiles returns the contents of every file of the logdir at loc, by
// path.
func logdirFiles(t *testing.T, loc string) map[string][]byte {
	t.Helper()
	ctx := context.Background()
	st, err := storage.Open(ctx, loc)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	files := map[string][]byte{}
	snap, err := st.Snapshot(ctx)
	if errors.Is(err, fs.ErrNotExist) {
		return files
	}
	if err != nil {
		t.Fatal(err)
	}
	for _, info := range snap.Files() {
		data, err := fs.ReadFile(snap, info.Path())
		if err != nil {
			t.Fatal(err)
		}
		files[info.Path()] = data
	}
	return files
}

// records returns the records of an intact event file, and whether each
// is a file_version event.
func records(t *testing.T, name string, data []byte) (recs [][]byte, versions []bool) {
	t.Helper()
	sc := tfevents.NewScanner(bytes.NewReader(data))
	sc.Strict = true
	sc.Damaged = func(d *tfevents.Damage) error { return d }
	for sc.Scan() {
		var ev tbpb.Event
		if err := proto.Unmarshal(sc.Record(), &ev); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		recs = append(recs, bytes.Clone(sc.Record()))
		versions = append(versions, ev.GetFileVersion() != "")
	}
	if err := sc.Err(); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return recs, versions
}

// runRecords returns the records of the event files of run, read in name
// order, the file_version records that head every file but the first left
// out, and the number of event files.
func runRecords(t *testing.T, files map[string][]byte, run string) (recs [][]byte, n int) {
	t.Helper()
	var names []string
	for p := range files {
		if path.Dir(p) == run && tfevents.IsEventFile(path.Base(p)) {
			names = append(names, p)
		}
	}
	slices.Sort(names)
	for i, p := range names {
		r, versions := records(t, p, files[p])
		if i > 0 && len(r) > 0 && versions[0] {
			r = r[1:]
		}
		recs = append(recs, r...)
	}
	return recs, len(names)
}

// scalarLines returns every scalar of the logdir at loc as text, in read order.
func scalarLines(t *testing.T, loc string) []string {
	t.Helper()
	src, err := history.Open(loc)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	var got []string
	err = src.Scalars(context.Background(), nil, func(s *history.Scalar) error {
		got = append(got, fmt.Sprintf("%s %s %d %v %v", s.Run, s.Tag, s.Step, s.Value, s.WallTime))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// compactLocations are where the tests keep logdirs: a bucket and the
// local disk.
func compactLocations(t *testing.T) []struct{ desc, src, dst string } {
	dir := t.TempDir()
	name := strings.NewReplacer("/", "-", " ", "-").Replace(t.Name())
	return []struct{ desc, src, dst string }{
		{"mem", "mem://" + name + "/src", "mem://" + name + "/dst"},
		{"dir", filepath.Join(dir, "src"), filepath.Join(dir, "dst")},
	}
}

func TestCompact(t *testing.T) {
	t.Parallel()
	for _, loc := range compactLocations(t) {
		t.Run(loc.desc, func(t *testing.T) {
			ctx := context.Background()
			writeSegments(t, loc.src, "train", 60, 2) // 30 segments
			writeSegments(t, loc.src, "eval", 9, 3)   // 3 segments
			// A file no Sink wrote, and one that is no event file.
			st, err := storage.Open(ctx, loc.src)
			if err != nil {
				t.Fatal(err)
			}
			version := &tbpb.Event{What: &tbpb.Event_FileVersion{FileVersion: tfevents.FileVersion}}
			local := tfevents.AppendRecord(nil, mustMarshal(t, version))
			local = tfevents.AppendRecord(local, mustMarshal(t, scalarEvent("loss", 100, 1)))
			mustNil(t, storage.Put(ctx, st.Bucket(), st.Key("train/events.out.tfevents.0000000001.h.1.000"), local))
			mustNil(t, storage.Put(ctx, st.Bucket(), st.Key("projector_config.pbtxt"), []byte("embeddings {}\n")))
			st.Close()

			src, err := history.Open(loc.src)
			if err != nil {
				t.Fatal(err)
			}
			defer src.Close()
			rep, err := src.Compact(loc.dst, &history.CompactOptions{Now: later})
			if err != nil {
				t.Fatal(err)
			}

			before, after := logdirFiles(t, loc.src), logdirFiles(t, loc.dst)
			// Files before and after: a segment per flush and the writer's
			// first, its file_version; and the file no Sink wrote.
			want := map[string][2]int{"train": {32, 2}, "eval": {4, 1}}
			if len(rep.Runs) != len(want) {
				t.Fatalf("report %+v, want runs %v", rep.Runs, want)
			}
			for _, r := range rep.Runs {
				if n := want[r.Run]; r.FilesBefore != n[0] || r.FilesAfter != n[1] {
					t.Errorf("run %s: %d -> %d files, want %d -> %d", r.Run, r.FilesBefore, r.FilesAfter, n[0], n[1])
				}
				recs, n := runRecords(t, after, r.Run)
				if n != r.FilesAfter || int64(len(recs)) > r.Records {
					t.Errorf("run %s: %d files of %d records, reported %d of %d", r.Run, n, len(recs), r.FilesAfter, r.Records)
				}
				wantRecs, _ := runRecords(t, before, r.Run)
				if !slices.EqualFunc(recs, wantRecs, bytes.Equal) {
					t.Errorf("run %s: the copy's records differ from the source's (%d, want %d)", r.Run, len(recs), len(wantRecs))
				}
			}
			for p, data := range after {
				if !tfevents.IsEventFile(p) {
					continue
				}
				if _, versions := records(t, p, data); !versions[0] || slices.Contains(versions[1:], true) {
					t.Errorf("%s: file_version records at %v, want the first only", p, versions)
				}
				if _, ok := before[p]; !ok {
					t.Errorf("%s is no name of the source's", p)
				}
			}
			if rep.Copied != 1 || !bytes.Equal(after["projector_config.pbtxt"], before["projector_config.pbtxt"]) {
				t.Errorf("other files: %d copied, projector config %q", rep.Copied, after["projector_config.pbtxt"])
			}
			if p := "train/events.out.tfevents.0000000001.h.1.000"; !bytes.Equal(after[p], local) {
				t.Errorf("%s, no segment, holds %q, want it as it was", p, after[p])
			}
			if got, want := scalarLines(t, loc.dst), scalarLines(t, loc.src); !slices.Equal(got, want) || len(want) != 2*69+1 {
				t.Errorf("scalars of the copy differ:\n%v\nwant (%d)\n%v", got, len(want), want)
			}
			if again := logdirFiles(t, loc.src); len(again) != len(before) {
				t.Errorf("the source changed: %d files, had %d", len(again), len(before))
			}
		})
	}
}

// TestCompactMaxSize: a cap splits a writer's segments into several
// objects, none larger than the cap, each named like its first segment.
func TestCompactMaxSize(t *testing.T) {
	t.Parallel()
	for _, loc := range compactLocations(t) {
		t.Run(loc.desc, func(t *testing.T) {
			writeSegments(t, loc.src, "train", 40, 1)
			src, err := history.Open(loc.src)
			if err != nil {
				t.Fatal(err)
			}
			defer src.Close()
			const maxSize = 1000
			rep, err := src.Compact(loc.dst, &history.CompactOptions{MaxSize: maxSize, Now: later})
			if err != nil {
				t.Fatal(err)
			}
			before, after := logdirFiles(t, loc.src), logdirFiles(t, loc.dst)
			if r := rep.Runs[0]; r.FilesBefore != 41 || r.FilesAfter < 2 || r.FilesAfter >= 20 {
				t.Errorf("%d -> %d files, want 41 -> a few", r.FilesBefore, r.FilesAfter)
			}
			for p, data := range after {
				_, versions := records(t, p, data)
				if len(data) > maxSize || before[p] == nil || !versions[0] || slices.Contains(versions[1:], true) {
					t.Errorf("%s: %d bytes, a source name: %v, file_versions %v", p, len(data), before[p] != nil, versions)
				}
			}
			got, _ := runRecords(t, after, "train")
			want, _ := runRecords(t, before, "train")
			if !slices.EqualFunc(got, want, bytes.Equal) {
				t.Errorf("the copy's records differ from the source's (%d, want %d)", len(got), len(want))
			}
		})
	}
}

func TestCompactRefuses(t *testing.T) {
	t.Parallel()
	for _, loc := range compactLocations(t) {
		t.Run(loc.desc, func(t *testing.T) {
			ctx := context.Background()
			writeSegments(t, loc.src, "train", 6, 2)
			src, err := history.Open(loc.src)
			if err != nil {
				t.Fatal(err)
			}
			defer src.Close()

			_, err = src.Compact(loc.dst, nil) // written just now
			var busy *storage.BusyError
			if !errors.Is(err, storage.ErrRunBusy) || !errors.As(err, &busy) || !strings.Contains(err.Error(), "train") ||
				busy.Wait() <= 0 || busy.Wait() > storage.BusyWindow(0) {
				t.Errorf("compacting a run written just now: %v, want ErrRunBusy naming the run and the wait", err)
			}
			if files := logdirFiles(t, loc.dst); len(files) != 0 {
				t.Errorf("a refused compaction wrote %v", files)
			}

			st, err := storage.Open(ctx, loc.dst)
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			mustNil(t, storage.Put(ctx, st.Bucket(), st.Key("here"), []byte("x")))
			if _, err := src.Compact(loc.dst, &history.CompactOptions{Now: later}); !errors.Is(err, storage.ErrNotEmpty) {
				t.Errorf("compacting into a destination that is not empty: %v, want ErrNotEmpty", err)
			}
			if _, err := src.Compact(loc.src+"/inside", &history.CompactOptions{Now: later}); err == nil || !strings.Contains(err.Error(), "inside") {
				t.Errorf("compacting into the source: %v, want a refusal", err)
			}
		})
	}
}

// TestCompactDamage: a damaged run is refused with the damage, and
// nothing is written.
func TestCompactDamage(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	logdir := filepath.Join(dir, "src")
	writeSegments(t, logdir, "train", 6, 2)
	src, err := history.Open(logdir)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	files := src.Runs()[0].Files
	seg := filepath.Join(logdir, filepath.FromSlash(files[1]))
	data, err := os.ReadFile(seg)
	mustNil(t, err)
	data[len(data)-1] ^= 0xff // the last record's data checksum
	mustNil(t, os.WriteFile(seg, data, 0o644))

	_, err = src.Compact(filepath.Join(dir, "dst"), &history.CompactOptions{Now: later})
	var d *tfevents.Damage
	if !errors.As(err, &d) || d.Kind != tfevents.BadDataChecksum || !strings.Contains(err.Error(), "repair") {
		t.Errorf("compacting a damaged run: %v, want the damage and a pointer to repair", err)
	}
	if left, _ := filepath.Glob(filepath.Join(dir, "*dst*")); len(left) != 0 {
		t.Errorf("a refused compaction left %v", left)
	}
}

func mustNil(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func mustMarshal(t *testing.T, m proto.Message) []byte {
	t.Helper()
	data, err := proto.Marshal(m)
	mustNil(t, err)
	return data
}
