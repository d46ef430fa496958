package history_test

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/tbgo/tbgo/archive"
	"github.com/tbgo/tbgo/history"
	"github.com/tbgo/tbgo/tfevents"
)

// scalarRun writes scalar tag at steps into a new event file in dir and
// returns its name.
func scalarRun(t *testing.T, dir, tag string, steps ...int64) string {
	t.Helper()
	return writeFile(t, dir, 0, scalars(tag, steps...))
}

func TestVerifyProgress(t *testing.T) {
	t.Parallel()
	logdir := t.TempDir()
	for _, run := range []string{"a", "b"} {
		scalarRun(t, filepath.Join(logdir, run), "x", 0, 1, 2)
	}
	src, err := history.Open(logdir)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	var calls [][2]int64
	rep, err := src.Verify(context.Background(), &history.VerifyOptions{Progress: func(done, total int64) {
		calls = append(calls, [2]int64{done, total})
	}})
	if err != nil || !rep.OK {
		t.Fatalf("Verify: %+v, %v", rep, err)
	}
	size := rep.Files[0].Size + rep.Files[1].Size
	if len(calls) == 0 || calls[len(calls)-1] != [2]int64{size, size} {
		t.Errorf("progress %v, want to end at %d of %d", calls, size, size)
	}
	for i := 1; i < len(calls); i++ {
		if calls[i][0] < calls[i-1][0] {
			t.Errorf("progress went back: %v", calls)
		}
	}
}

// TestVerifyArchiveEntries verifies an archive whose other files are
// checked against their SHA-256: all are listed, intact.
func TestVerifyArchiveEntries(t *testing.T) {
	t.Parallel()
	logdir := t.TempDir()
	scalarRun(t, filepath.Join(logdir, "a"), "x", 0, 1)
	if err := os.WriteFile(filepath.Join(logdir, "notes.txt"), []byte("notes"), 0o644); err != nil {
		t.Fatal(err)
	}
	arc := filepath.Join(t.TempDir(), "a.tbar")
	if _, err := archive.CreateFile(arc, logdir, archive.Options{}); err != nil {
		t.Fatal(err)
	}
	src, err := history.Open(arc)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	rep, err := src.Verify(context.Background(), nil)
	if err != nil || !rep.OK || !rep.Archive || len(rep.Files) != 2 || rep.Files[1].Path != arc+":notes.txt" || rep.Files[1].Run != "" {
		t.Errorf("Verify: %+v, %v", rep, err)
	}
}

// follow runs Follow on path in the background, collecting key of each
// scalar; stop ends it and returns Follow's error.
func follow[T any](t *testing.T, path string, o *history.FollowOptions, key func(*history.Scalar) T) (collected func() []T, stop func() error) {
	t.Helper()
	var mu sync.Mutex
	var got []T
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() {
		errc <- history.Follow(ctx, path, o, func(s *history.Scalar) error {
			mu.Lock()
			defer mu.Unlock()
			got = append(got, key(s))
			return nil
		})
	}()
	collected = func() []T {
		mu.Lock()
		defer mu.Unlock()
		return slices.Clone(got)
	}
	return collected, func() error { cancel(); return <-errc }
}

// runTagStep is a followed scalar's "run/tag/step", for steps below 10.
func runTagStep(s *history.Scalar) string {
	return s.Run + "/" + s.Tag + "/" + string(rune('0'+s.Step))
}

// stepOf is a followed scalar's step.
func stepOf(s *history.Scalar) int64 { return s.Step }

// waitUntil polls cond for up to 30 s.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); !cond(); {
		if time.Now().After(deadline) {
			t.Fatalf("after 30 s: %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestFollow(t *testing.T) {
	t.Parallel()
	logdir := t.TempDir()
	old := scalarRun(t, filepath.Join(logdir, "a"), "x", 0, 1)
	scalarRun(t, filepath.Join(logdir, "skipped"), "x", 0)
	runs, _ := history.Compile("a", "b")
	var following sync.WaitGroup
	following.Add(1)
	caught := make(chan struct{}, 100)
	var damage []*tfevents.Damage
	var mu sync.Mutex
	o := &history.FollowOptions{Runs: runs, Poll: 5 * time.Millisecond,
		Following: func(run, file string) {
			if file == old {
				following.Done()
			}
		},
		CaughtUp: func() error {
			select {
			case caught <- struct{}{}:
			default:
			}
			return nil
		},
		Damaged: func(d *tfevents.Damage) error {
			mu.Lock()
			defer mu.Unlock()
			damage = append(damage, d)
			return nil
		}}
	got, stop := follow(t, logdir, o, runTagStep)
	following.Wait()
	<-caught

	// A damaged record appended to the old file is skipped and reported;
	// the record after it is read.
	data, err := os.ReadFile(old)
	if err != nil {
		t.Fatal(err)
	}
	two := filepath.Join(t.TempDir(), "two")
	scalarRun(t, two, "x", 2, 3)
	entries, _ := os.ReadDir(two)
	more, err := os.ReadFile(filepath.Join(two, entries[0].Name()))
	if err != nil {
		t.Fatal(err)
	}
	// Skip more's file_version record, damage step 2's data.
	offs := recordStarts(t, more)
	tail := slices.Clone(more[offs[1]:])
	tail[offs[2]-offs[1]-5] ^= 0xff
	if err := os.WriteFile(old, append(data, tail...), 0o644); err != nil {
		t.Fatal(err)
	}
	scalarRun(t, filepath.Join(logdir, "b"), "x", 5)
	waitUntil(t, "the new values", func() bool { return len(got()) >= 2 })
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if g := got(); !slices.Equal(g, []string{"a/x/3", "b/x/5"}) {
		t.Errorf("followed %q, want a/x/3 and b/x/5 (the values before Follow started left out)", g)
	}
	if len(damage) != 1 || damage[0].Kind != tfevents.BadDataChecksum || damage[0].File != old {
		t.Errorf("damage %v, want a data crc in %s", damage, old)
	}
}

// recordStarts returns the offset of each record of an intact stream.
func recordStarts(t *testing.T, data []byte) []int64 {
	t.Helper()
	sc := tfevents.NewScanner(strings.NewReader(string(data)))
	sc.Strict = true
	var offs []int64
	for sc.Scan() {
		offs = append(offs, sc.Offset())
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return offs
}

func TestFollowFromStartAndWaiting(t *testing.T) {
	t.Parallel()
	logdir := filepath.Join(t.TempDir(), "later")
	got, stop := follow(t, logdir, &history.FollowOptions{Poll: 5 * time.Millisecond, FromStart: true}, runTagStep)
	time.Sleep(20 * time.Millisecond) // Follow looks at a path that is not there
	scalarRun(t, filepath.Join(logdir, "a"), "x", 0, 1)
	waitUntil(t, "the values", func() bool { return len(got()) == 2 })
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if g := got(); !slices.Equal(g, []string{"a/x/0", "a/x/1"}) {
		t.Errorf("followed %q", g)
	}
}

func TestFollowErrors(t *testing.T) {
	t.Parallel()
	notes := filepath.Join(t.TempDir(), "notes.txt")
	if err := os.WriteFile(notes, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	logdir := t.TempDir()
	scalarRun(t, logdir, "x", 0)
	arc := filepath.Join(t.TempDir(), "a.tbar")
	if _, err := archive.CreateFile(arc, logdir, archive.Options{}); err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]string{notes: "not a logdir", arc: "archive"} {
		err := history.Follow(context.Background(), path, nil, func(*history.Scalar) error { return nil })
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Follow(%s): %v, want an error saying %q", path, err, want)
		}
	}
	// An error from fn ends Follow with it.
	boom := errors.New("boom")
	err := history.Follow(context.Background(), logdir, &history.FollowOptions{FromStart: true}, func(*history.Scalar) error { return boom })
	if !errors.Is(err, boom) {
		t.Errorf("Follow: %v, want fn's error", err)
	}
}

// swappingFS serves one event file whose bytes are before until it has
// been opened once, and after from then on: a file rewritten in place
// between the two passes of a TensorBoard view.
type swappingFS struct {
	name          string
	before, after []byte
	mu            sync.Mutex
	opens         int
}

func (s *swappingFS) Open(name string) (fs.File, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	data := s.before
	if name == s.name {
		if s.opens > 0 {
			data = s.after
		}
		s.opens++
	}
	return fstest.MapFS{s.name: {Data: data, Mode: 0o644}}.Open(name)
}

// TestTensorBoardViewFileRewritten: a file rewritten between the two
// passes of the TensorBoard view, so that the second meets a tag the
// first did not, is read without a panic, the new tag's values kept.
func TestTensorBoardViewFileRewritten(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	read := func(name string) []byte {
		data, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		return data
	}
	before := read(scalarRun(t, filepath.Join(dir, "a"), "x", 0, 1))
	after := read(scalarRun(t, filepath.Join(dir, "b"), "y", 0, 1))
	fsys := &swappingFS{name: "events.out.tfevents.1", before: before, after: after}
	src, err := history.OpenFS(fsys, fsys.name, "run/"+fsys.name)
	if err != nil {
		t.Fatal(err)
	}
	for _, read := range []struct {
		desc string
		fn   func(*history.Options, func(tag string)) error
	}{
		{"values", func(o *history.Options, fn func(string)) error {
			return src.Values(context.Background(), o, func(v *history.Value) error { fn(v.Tag); return nil })
		}},
		{"scalars", func(o *history.Options, fn func(string)) error {
			return src.Scalars(context.Background(), o, func(s *history.Scalar) error { fn(s.Tag); return nil })
		}},
	} {
		fsys.mu.Lock()
		fsys.opens = 0
		fsys.mu.Unlock()
		var tags []string
		if err := read.fn(&history.Options{View: history.TensorBoard}, func(tag string) { tags = append(tags, tag) }); err != nil {
			t.Fatalf("%s: %v", read.desc, err)
		}
		if !slices.Equal(tags, []string{"y", "y"}) {
			t.Errorf("%s: tags %q, want the rewritten file's y twice", read.desc, tags)
		}
	}
}
