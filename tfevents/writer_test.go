package tfevents_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/tbgo/tbgo/proto/tbpb"
	"github.com/tbgo/tbgo/tfevents"
)

// fixedNow is a clock stopped at 2023-11-14T22:13:20.5Z.
func fixedNow() time.Time { return time.Unix(1700000000, 500_000_000) }

func TestCreateName(t *testing.T) {
	t.Parallel()
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "localhost"
	}
	pid := fmt.Sprint(os.Getpid())
	tests := []struct {
		desc string
		opts *tfevents.FileOptions
		want string // regexp for the base name
	}{
		{
			desc: "nil options",
			opts: nil,
			want: `^events\.out\.tfevents\.\d{10}\.` + regexp.QuoteMeta(host) + `\.` + pid + `\.\d+$`,
		},
		{
			desc: "fixed clock, host and suffix",
			opts: &tfevents.FileOptions{Now: fixedNow, Hostname: "gpu-7", Suffix: ".v2"},
			want: `^events\.out\.tfevents\.1700000000\.gpu-7\.` + pid + `\.\d+\.v2$`,
		},
		{
			desc: "seconds zero-padded to 10 digits",
			opts: &tfevents.FileOptions{Now: func() time.Time { return time.Unix(42, 0) }, Hostname: "h"},
			want: `^events\.out\.tfevents\.0000000042\.h\.` + pid + `\.\d+$`,
		},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			w, err := tfevents.CreateFile(dir, tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			defer w.Close()
			if got := filepath.Dir(w.FileName()); got != dir {
				t.Errorf("file created in %s, want %s", got, dir)
			}
			if base := filepath.Base(w.FileName()); !regexp.MustCompile(tc.want).MatchString(base) {
				t.Errorf("file name %q does not match %s", base, tc.want)
			}
			if _, err := os.Stat(w.FileName()); err != nil {
				t.Errorf("Name() does not name a file: %v", err)
			}
		})
	}
}

// TestCreateExclusive creates three files with one frozen clock, after a
// file already holds the first name: none is overwritten.
func TestCreateExclusive(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	opts := &tfevents.FileOptions{Now: fixedNow, Hostname: "h"}
	taken := filepath.Join(dir, fmt.Sprintf("events.out.tfevents.1700000000.h.%d.000", os.Getpid()))
	if err := os.WriteFile(taken, []byte("keep"), 0o644); err != nil {
		t.Fatal(err)
	}

	names := map[string]bool{taken: true}
	var writers []*tfevents.Writer
	for i := range 3 {
		w, err := tfevents.CreateFile(dir, opts)
		if err != nil {
			t.Fatalf("CreateFile #%d: %v", i+1, err)
		}
		if names[w.FileName()] {
			t.Fatalf("CreateFile #%d reused the name %s", i+1, w.FileName())
		}
		names[w.FileName()] = true
		writers = append(writers, w)
	}
	if err := writers[0].WriteRecord([]byte("only in the first")); err != nil {
		t.Fatal(err)
	}
	for _, w := range writers {
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
	}

	if b, err := os.ReadFile(taken); err != nil || string(b) != "keep" {
		t.Errorf("pre-existing file now holds %q, %v; want it untouched", b, err)
	}
	for i, w := range writers {
		recs, torn := fileRecords(t, w.FileName())
		if want := 1 + btoi(i == 0); len(recs) != want || torn {
			t.Errorf("file #%d: %d records, torn %v; want %d ending cleanly", i+1, len(recs), torn, want)
		}
	}
}

// TestCreateNameOrder creates more files than one digit can count in one
// frozen second: their names must still sort in creation order, the order
// TensorBoard reads a run's files in.
func TestCreateNameOrder(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	var made []string
	for range 12 {
		w, err := tfevents.CreateFile(dir, &tfevents.FileOptions{Now: fixedNow, Hostname: "h"})
		if err != nil {
			t.Fatal(err)
		}
		made = append(made, w.FileName())
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
	}
	runs, err := tfevents.DiscoverRuns(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got := runs[0].Files; !slices.Equal(got, made) {
		t.Errorf("files in name order:\n%s\nwant creation order:\n%s", strings.Join(got, "\n"), strings.Join(made, "\n"))
	}
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// fileRecords returns the records of the named file, read with a Strict
// Scanner, and whether it ends in a torn tail; other damage fails t.
func fileRecords(t testing.TB, name string) (recs [][]byte, torn bool) {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	s := tfevents.NewScanner(bytes.NewReader(b))
	s.Name, s.Strict = name, true
	recs, _, dmg, err := scanAll(s)
	if err != nil {
		t.Fatal(err)
	}
	return recs, len(dmg) > 0
}

func TestCreateFirstEvent(t *testing.T) {
	t.Parallel()
	tests := []struct {
		desc       string
		writerName string
		want       string
	}{
		{desc: "default writer name", writerName: "", want: "tbgo"},
		{desc: "custom writer name", writerName: "my-trainer", want: "my-trainer"},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			t.Parallel()
			// A directory that does not exist yet: CreateFile makes it.
			dir := filepath.Join(t.TempDir(), "logs", "run1")
			w, err := tfevents.CreateFile(dir, &tfevents.FileOptions{Now: fixedNow, WriterName: tc.writerName})
			if err != nil {
				t.Fatal(err)
			}
			defer w.Close()

			// Read before Close: CreateFile flushes the first event itself.
			evs, err := tfevents.ReadEventFile(w.FileName())
			if err != nil {
				t.Fatal(err)
			}
			want := &tbpb.Event{
				WallTime:       1700000000.5,
				What:           &tbpb.Event_FileVersion{FileVersion: "brain.Event:2"},
				SourceMetadata: &tbpb.SourceMetadata{Writer: tc.want},
			}
			if len(evs) != 1 || !proto.Equal(evs[0], want) {
				t.Errorf("events = %v, want only %v", evs, want)
			}
		})
	}
}

func TestWallTime(t *testing.T) {
	t.Parallel()
	tests := []struct {
		desc string
		t    time.Time
		want float64
	}{
		{desc: "whole seconds", t: time.Unix(1599759586, 0), want: 1599759586},
		{desc: "half a second", t: time.Unix(1700000000, 5e8), want: 1700000000.5},
		{desc: "epoch", t: time.Unix(0, 0), want: 0},
	}
	for _, tc := range tests {
		if got := tfevents.WallTime(tc.t); got != tc.want {
			t.Errorf("%s: WallTime(%v) = %v, want %v", tc.desc, tc.t, got, tc.want)
		}
	}
}

func TestWriterFlush(t *testing.T) {
	t.Parallel()
	w, err := tfevents.CreateFile(t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	s := openScanner(t, w.FileName(), 0)
	s.Follow = true // the same Scanner reads on after Flush

	if err := w.WriteRecord([]byte("buffered")); err != nil {
		t.Fatal(err)
	}
	recs, _, dmg, err := scanAll(s)
	if len(recs) != 1 || len(dmg) != 0 || err != nil || s.Pending() != 0 {
		t.Fatalf("before Flush: %d records, damage %v, Err %v, %d bytes pending; want only the first event", len(recs), dmg, err, s.Pending())
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	recs, _, dmg, err = scanAll(s)
	if len(recs) != 1 || string(recs[0]) != "buffered" || len(dmg) != 0 || err != nil {
		t.Errorf("after Flush: %q, damage %v, Err %v; want [buffered]", recs, dmg, err)
	}
}

func TestWriterClose(t *testing.T) {
	t.Parallel()
	w, err := tfevents.CreateFile(t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.WriteRecord([]byte("flushed by Close")); err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		if err := w.Close(); err != nil {
			t.Errorf("Close #%d = %v, want nil", i+1, err)
		}
	}

	calls := []struct {
		desc string
		call func() error
	}{
		{"WriteRecord", func() error { return w.WriteRecord([]byte("x")) }},
		{"WriteEvent", func() error { return w.WriteEvent(&tbpb.Event{WallTime: 1}) }},
		{"Flush", w.Flush},
	}
	for _, c := range calls {
		if err := c.call(); !errors.Is(err, tfevents.ErrClosed) {
			t.Errorf("%s after Close = %v, want ErrClosed", c.desc, err)
		}
	}

	recs, torn := fileRecords(t, w.FileName())
	if len(recs) != 2 || string(recs[1]) != "flushed by Close" || torn {
		t.Errorf("file holds %q, torn %v; want the first event and the buffered record", recs, torn)
	}
}

func TestWriteEventRefuses(t *testing.T) {
	t.Parallel()
	tests := []struct {
		desc string
		ev   *tbpb.Event
		want string
	}{
		{desc: "NaN wall time", ev: &tbpb.Event{WallTime: math.NaN(), Step: 3}, want: "tfevents: event at step 3 has wall time NaN"},
		{desc: "+Inf wall time", ev: &tbpb.Event{WallTime: math.Inf(1)}, want: "tfevents: event at step 0 has wall time +Inf"},
		{desc: "-Inf wall time", ev: &tbpb.Event{WallTime: math.Inf(-1)}, want: "tfevents: event at step 0 has wall time -Inf"},
		{desc: "nil event", ev: nil, want: "tfevents: nil event"},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			t.Parallel()
			var buf bytes.Buffer
			w := tfevents.NewWriter(&buf)
			err := w.WriteEvent(tc.ev)
			if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
				t.Errorf("WriteEvent = %v, want an error starting %q", err, tc.want)
			}
			if err := w.Flush(); err != nil {
				t.Fatalf("Flush after a refused event = %v: the refusal must not poison the writer", err)
			}
			if buf.Len() != 0 {
				t.Errorf("a refused event wrote %d bytes", buf.Len())
			}
			good := &tbpb.Event{WallTime: 1, Step: 1}
			if err := w.WriteEvent(good); err != nil {
				t.Errorf("WriteEvent after a refused one = %v", err)
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			if evs, err := tfevents.ReadEvents(&buf); err != nil || len(evs) != 1 || !proto.Equal(evs[0], good) {
				t.Errorf("stream holds %v, %v; want only %v", evs, err, good)
			}
		})
	}
}

var errBoom = errors.New("boom")

// failAfter accepts n bytes, then fails every write.
type failAfter struct {
	n, written int
}

func (f *failAfter) Write(p []byte) (int, error) {
	if room := f.n - f.written; len(p) > room {
		f.written = f.n
		return room, errBoom
	}
	f.written += len(p)
	return len(p), nil
}

func TestWriterStickyError(t *testing.T) {
	t.Parallel()
	big := tfevents.DefaultBufferSize + 1000 // bypasses the buffer
	tests := []struct {
		desc  string
		limit int   // bytes the sink accepts
		sizes []int // records written before Flush
	}{
		{desc: "sink fails at once, small records", limit: 0, sizes: []int{10, 20}},
		{desc: "sink fails at once, big record", limit: 0, sizes: []int{10, big, 20}},
		{desc: "sink fails inside the first record", limit: 5, sizes: []int{10, big}},
		{desc: "sink fails inside a big record", limit: 30 + 100, sizes: []int{10, big, 10}},
		{desc: "sink fails after the buffer's first flush", limit: tfevents.DefaultBufferSize, sizes: []int{40000, 40000, 40000}},
		{desc: "sink fails on the last byte", limit: 3*16 + 30 - 1, sizes: []int{10, 10, 10}},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			t.Parallel()
			sink := &failAfter{n: tc.limit}
			w := tfevents.NewWriter(sink)
			var first error
			for i, n := range tc.sizes {
				if err := w.WriteRecord(payload(i, n)); err != nil && first == nil {
					first = err
				}
			}
			if err := w.Flush(); err != nil && first == nil {
				first = err
			}
			if first == nil {
				t.Fatal("the sink failed, yet every call up to Flush succeeded")
			}
			if !errors.Is(first, errBoom) || !strings.HasPrefix(first.Error(), "tfevents: ") {
				t.Errorf("error = %v, want tfevents: prefix wrapping %v", first, errBoom)
			}
			written := sink.written

			later := []struct {
				desc string
				call func() error
			}{
				{"WriteRecord", func() error { return w.WriteRecord([]byte("x")) }},
				{"WriteRecord (big)", func() error { return w.WriteRecord(make([]byte, big)) }},
				{"WriteEvent", func() error { return w.WriteEvent(&tbpb.Event{WallTime: 1}) }},
				{"Flush", w.Flush},
				{"Close", w.Close},
				{"Close again", w.Close},
				{"WriteRecord after Close", func() error { return w.WriteRecord([]byte("x")) }},
			}
			for _, c := range later {
				if err := c.call(); err != first {
					t.Errorf("%s after the failure = %v, want the same error %v", c.desc, err, first)
				}
			}
			if sink.written != written {
				t.Errorf("the writer wrote %d more bytes after failing", sink.written-written)
			}
		})
	}
}

func TestWriterLargeRecords(t *testing.T) {
	t.Parallel()
	// Around the 64 KiB buffer: a record that fills it exactly, one a
	// byte over, and one several times its size.
	var payloads [][]byte
	for i, n := range []int{10, tfevents.DefaultBufferSize - 16, tfevents.DefaultBufferSize - 15, 300000, 10} {
		payloads = append(payloads, payload(i, n))
	}
	var want []byte
	for _, p := range payloads {
		want = tfevents.AppendRecord(want, p)
	}

	var buf bytes.Buffer
	w := tfevents.NewWriter(&buf)
	for _, p := range payloads {
		if err := w.WriteRecord(p); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(buf.Bytes(), want) {
		t.Errorf("NewWriter output (%d bytes) differs from AppendRecord's framing (%d bytes)", buf.Len(), len(want))
	}

	// The same through a file with a 100-byte buffer.
	fw, err := tfevents.CreateFile(t.TempDir(), &tfevents.FileOptions{BufferSize: 100})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range payloads {
		if err := fw.WriteRecord(p); err != nil {
			t.Fatal(err)
		}
	}
	if err := fw.Close(); err != nil {
		t.Fatal(err)
	}
	recs, torn := fileRecords(t, fw.FileName())
	if torn || len(recs) != 1+len(payloads) {
		t.Fatalf("file: %d records, torn %v; want %d ending cleanly", len(recs), torn, 1+len(payloads))
	}
	for i, p := range payloads {
		if !bytes.Equal(recs[1+i], p) {
			t.Errorf("file record %d: %d bytes, want %d", 1+i, len(recs[1+i]), len(p))
		}
	}
}

func TestWriteRecordAllocs(t *testing.T) {
	tests := []struct {
		desc string
		size int
	}{
		{desc: "framed in the buffer", size: 64},
		{desc: "larger than the buffer", size: 2 * tfevents.DefaultBufferSize},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			w := tfevents.NewWriter(io.Discard)
			data := make([]byte, tc.size)
			allocs := testing.AllocsPerRun(100, func() {
				if err := w.WriteRecord(data); err != nil {
					t.Fatal(err)
				}
			})
			if allocs != 0 {
				t.Errorf("WriteRecord(%d bytes): %v allocs per call, want 0", tc.size, allocs)
			}
		})
	}
}

// TestWriterConcurrent has 32 goroutines write 2000 records each, and
// flush now and then, through one Writer with a small buffer and a flush
// timer. Every record must come back exactly once, whole, and in each
// goroutine's order.
func TestWriterConcurrent(t *testing.T) {
	t.Parallel()
	const goroutines, perG = 32, 2000
	w, err := tfevents.CreateFile(t.TempDir(), &tfevents.FileOptions{BufferSize: 4096, FlushInterval: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, goroutines)
	for g := range goroutines {
		wg.Go(func() {
			buf := make([]byte, 8, 64)
			for seq := range perG {
				binary.LittleEndian.PutUint32(buf[0:], uint32(g))
				binary.LittleEndian.PutUint32(buf[4:], uint32(seq))
				rec := append(buf[:8], payload(seq, seq%50)...) // vary sizes
				if err := w.WriteRecord(rec); err != nil {
					errs <- err
					return
				}
				if seq%500 == 0 {
					if err := w.Flush(); err != nil {
						errs <- err
						return
					}
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}

	recs, torn := fileRecords(t, w.FileName())
	var first tbpb.Event
	if err := proto.Unmarshal(recs[0], &first); err != nil || first.GetFileVersion() != tfevents.FileVersion || torn {
		t.Fatalf("first event %v, %v, torn %v; want the file version and a clean end", &first, err, torn)
	}
	next := make([]int, goroutines)
	for _, rec := range recs[1:] {
		if len(rec) < 8 {
			t.Fatalf("record of %d bytes, want at least 8", len(rec))
		}
		g, seq := binary.LittleEndian.Uint32(rec), int(binary.LittleEndian.Uint32(rec[4:]))
		if g >= goroutines {
			t.Fatalf("record from goroutine %d, want < %d", g, goroutines)
		}
		if seq != next[g] {
			t.Fatalf("goroutine %d: record %d read where %d was due", g, seq, next[g])
		}
		if !bytes.Equal(rec[8:], payload(seq, seq%50)) {
			t.Fatalf("goroutine %d, record %d: payload damaged", g, seq)
		}
		next[g]++
	}
	for g, n := range next {
		if n != perG {
			t.Errorf("goroutine %d: %d records read, want %d", g, n, perG)
		}
	}
}

// waitForRecords reopens name until it holds n whole records, for up to
// five seconds.
func waitForRecords(t *testing.T, name string, n int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		recs, _ := fileRecords(t, name)
		if len(recs) >= n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s still holds %d records after 5s, want %d: no periodic flush", name, len(recs), n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestWriterFlushInterval(t *testing.T) {
	t.Parallel()
	w, err := tfevents.CreateFile(t.TempDir(), &tfevents.FileOptions{FlushInterval: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	// Neither record is flushed explicitly; the second checks that the
	// timer rearms after it has fired.
	for i := range 2 {
		if err := w.WriteRecord([]byte("no explicit flush")); err != nil {
			t.Fatal(err)
		}
		waitForRecords(t, w.FileName(), 2+i)
	}
}

func TestCreateFsync(t *testing.T) {
	t.Parallel()
	w, err := tfevents.CreateFile(t.TempDir(), &tfevents.FileOptions{Fsync: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.WriteRecord([]byte("synced")); err != nil {
		t.Fatal(err)
	}
	if err := w.Flush(); err != nil {
		t.Fatalf("Flush with Fsync: %v", err)
	}
	recs, torn := fileRecords(t, w.FileName())
	if len(recs) != 2 || string(recs[1]) != "synced" || torn {
		t.Errorf("file holds %q, torn %v; want the first event and [synced]", recs, torn)
	}
	if err := w.Close(); err != nil {
		t.Errorf("Close with Fsync: %v", err)
	}
}

func TestCreateErrors(t *testing.T) {
	t.Parallel()
	tmp := t.TempDir()
	regular := filepath.Join(tmp, "regular")
	if err := os.WriteFile(regular, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		desc     string
		dir      string
		opts     *tfevents.FileOptions
		wantPath bool   // a *fs.PathError naming the path
		wantMsg  string // substring of the message
	}{
		{desc: "dir under a regular file", dir: filepath.Join(regular, "run"), wantPath: true, wantMsg: regular},
		{desc: "dir is a regular file", dir: regular, wantPath: true, wantMsg: regular},
		{desc: "empty dir", dir: "", wantMsg: "empty directory name"},
		{desc: "suffix with a slash", dir: tmp, opts: &tfevents.FileOptions{Suffix: "/x"}, wantMsg: `"/x" contains a path separator`},
		{desc: "suffix with a slash inside", dir: tmp, opts: &tfevents.FileOptions{Suffix: ".a/b"}, wantMsg: "path separator"},
		{desc: "suffix ending in a slash", dir: tmp, opts: &tfevents.FileOptions{Suffix: ".v2/"}, wantMsg: "path separator"},
		{desc: "host with a slash", dir: tmp, opts: &tfevents.FileOptions{Hostname: "a/b"}, wantMsg: "path separator"},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			t.Parallel()
			w, err := tfevents.CreateFile(tc.dir, tc.opts)
			if err == nil {
				w.Close()
				t.Fatalf("CreateFile(%q) made %s, want an error", tc.dir, w.FileName())
			}
			if !strings.HasPrefix(err.Error(), "tfevents: ") || !strings.Contains(err.Error(), tc.wantMsg) {
				t.Errorf("error %q, want the tfevents: prefix and %q", err, tc.wantMsg)
			}
			var pe *fs.PathError
			if tc.wantPath && !errors.As(err, &pe) {
				t.Errorf("error %v (%T) does not wrap a *fs.PathError", err, err)
			}
		})
	}
	// The refused names left nothing behind.
	if entries, err := os.ReadDir(tmp); err != nil || len(entries) != 1 {
		t.Errorf("%s holds %d entries, %v; want only the regular file", tmp, len(entries), err)
	}
}

func TestNewWriterName(t *testing.T) {
	t.Parallel()
	if got := tfevents.NewWriter(io.Discard).FileName(); got != "" {
		t.Errorf("NewWriter(...).FileName() = %q, want empty", got)
	}
}

// TestWriterDiskFull writes into /dev/full, which fails every write with
// ENOSPC: the error must come back from Flush, name the problem, stick, and
// never panic.
func TestWriterDiskFull(t *testing.T) {
	f, err := os.OpenFile("/dev/full", os.O_WRONLY, 0)
	if err != nil {
		t.Skipf("no /dev/full on this system: %v", err)
	}
	defer f.Close()
	w := tfevents.NewWriter(f)
	if err := w.WriteRecord([]byte("fits in the buffer")); err != nil {
		t.Fatalf("buffered write failed early: %v", err)
	}
	err = w.Flush()
	if !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("Flush into a full disk: %v, want ENOSPC", err)
	}
	if err2 := w.WriteRecord([]byte("more")); !errors.Is(err2, syscall.ENOSPC) {
		t.Errorf("write after the failure: %v, want the sticky ENOSPC", err2)
	}
	if err2 := w.Err(); !errors.Is(err2, syscall.ENOSPC) {
		t.Errorf("Err() after the failure: %v, want the sticky ENOSPC", err2)
	}
	if err2 := w.Close(); !errors.Is(err2, syscall.ENOSPC) {
		t.Errorf("Close after the failure: %v, want the sticky ENOSPC", err2)
	}
}

// TestWriterLogdirRemoved deletes the run directory under a live Writer:
// the next Flush must say so, every later call must fail, nothing panics.
func TestWriterLogdirRemoved(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "run")
	w, err := tfevents.CreateFile(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.WriteRecord([]byte("before")); err != nil {
		t.Fatal(err)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	if err := w.WriteRecord([]byte("after")); err != nil {
		t.Fatalf("buffered write failed early: %v", err)
	}
	if err := w.Flush(); !errors.Is(err, tfevents.ErrRemoved) {
		t.Fatalf("Flush after the logdir was removed: %v, want ErrRemoved", err)
	}
	if err := w.WriteRecord([]byte("more")); !errors.Is(err, tfevents.ErrRemoved) {
		t.Errorf("write after: %v, want the sticky ErrRemoved", err)
	}
	if err := w.Close(); !errors.Is(err, tfevents.ErrRemoved) {
		t.Errorf("Close after: %v, want the sticky ErrRemoved", err)
	}
}

// countingWriter counts the bytes written to it and keeps none of them.
type countingWriter struct{ n int64 }

func (c *countingWriter) Write(p []byte) (int, error) {
	c.n += int64(len(p))
	return len(p), nil
}

// TestWriteRecordTooLarge writes records around DefaultMaxRecordLen, the
// readers' limit: the writer must take one of exactly that length and
// refuse one byte more with ErrRecordTooLarge naming the size, write
// nothing of it, and stay usable. The refused record is never read, so
// only its allocation costs; the accepted one is checksummed and streamed
// into a writer that only counts, so no copy of it is made.
func TestWriteRecordTooLarge(t *testing.T) {
	tests := []struct {
		desc    string
		n       int
		wantErr bool
		long    bool // skipped in -short mode
	}{
		{desc: "one over the limit", n: tfevents.DefaultMaxRecordLen + 1, wantErr: true},
		{desc: "far over the limit", n: 2*tfevents.DefaultMaxRecordLen + 7, wantErr: true},
		{desc: "at the limit", n: tfevents.DefaultMaxRecordLen, long: true},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			if tc.long && testing.Short() {
				t.Skip("checksums 256 MiB; run without -short")
			}
			var out countingWriter
			w := tfevents.NewWriter(&out)
			if err := w.WriteRecord([]byte("before")); err != nil {
				t.Fatal(err)
			}
			err := w.WriteRecord(make([]byte, tc.n))
			if tc.wantErr {
				if !errors.Is(err, tfevents.ErrRecordTooLarge) || !strings.Contains(err.Error(), fmt.Sprint(tc.n)) {
					t.Fatalf("WriteRecord(%d bytes) = %v, want ErrRecordTooLarge naming the size", tc.n, err)
				}
			} else if err != nil {
				t.Fatalf("WriteRecord(%d bytes) = %v, want it written", tc.n, err)
			}
			if err := w.Err(); err != nil {
				t.Errorf("Err() = %v after a refused record, want nil: the refusal is not sticky", err)
			}
			if err := w.WriteRecord([]byte("after")); err != nil {
				t.Fatalf("write after the refusal: %v", err)
			}
			if err := w.Close(); err != nil {
				t.Fatalf("Close = %v", err)
			}
			want := int64(tfevents.RecordLen(len("before")) + tfevents.RecordLen(len("after")))
			if !tc.wantErr {
				want += int64(tfevents.RecordLen(tc.n))
			}
			if out.n != want {
				t.Errorf("%d bytes written, want %d", out.n, want)
			}
		})
	}

	// WriteEvent refuses before serializing.
	w := tfevents.NewWriter(io.Discard)
	big := &tbpb.Event{WallTime: 1, Step: 7, What: &tbpb.Event_Summary{Summary: &tbpb.Summary{Value: []*tbpb.Summary_Value{{
		Tag:   "t",
		Value: &tbpb.Summary_Value_Tensor{Tensor: &tbpb.TensorProto{StringVal: [][]byte{make([]byte, tfevents.DefaultMaxRecordLen)}}},
	}}}}}
	if err := w.WriteEvent(big); !errors.Is(err, tfevents.ErrRecordTooLarge) || !strings.Contains(err.Error(), "step 7") {
		t.Errorf("WriteEvent of an event over the limit = %v, want ErrRecordTooLarge at step 7", err)
	}
	if err := w.WriteEvent(&tbpb.Event{WallTime: 1}); err != nil {
		t.Errorf("WriteEvent after the refusal: %v", err)
	}
}

// syncBuffer is a bytes.Buffer that counts calls to Sync.
type syncBuffer struct {
	bytes.Buffer
	syncs int
}

func (b *syncBuffer) Sync() error {
	b.syncs++
	return nil
}

// TestNewEventWriter writes an event stream into memory: the first event
// is there when NewEventWriter returns, records follow it, Fsync calls the
// writer's Sync, and Close leaves the writer open.
func TestNewEventWriter(t *testing.T) {
	t.Parallel()
	var buf syncBuffer
	w, err := tfevents.NewEventWriter(&buf, &tfevents.FileOptions{Now: fixedNow, WriterName: "mem", Fsync: true})
	if err != nil {
		t.Fatal(err)
	}
	if buf.Len() == 0 || buf.syncs != 1 {
		t.Fatalf("after NewEventWriter: %d bytes, %d syncs; want the first event flushed and synced", buf.Len(), buf.syncs)
	}
	if got := w.FileName(); got != "" {
		t.Errorf("FileName() = %q, want empty for a stream", got)
	}
	if err := w.Err(); err != nil {
		t.Errorf("Err() = %v on a new Writer", err)
	}
	if err := w.WriteEvent(&tbpb.Event{WallTime: 2, Step: 1}); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := w.Err(); !errors.Is(err, tfevents.ErrClosed) {
		t.Errorf("Err() after Close = %v, want ErrClosed", err)
	}
	got, err := tfevents.ReadEvents(&buf.Buffer)
	if err != nil {
		t.Fatal(err)
	}
	want := []*tbpb.Event{
		{WallTime: 1700000000.5, What: &tbpb.Event_FileVersion{FileVersion: tfevents.FileVersion}, SourceMetadata: &tbpb.SourceMetadata{Writer: "mem"}},
		{WallTime: 2, Step: 1},
	}
	if len(got) != len(want) {
		t.Fatalf("%d events, want %d: %v", len(got), len(want), got)
	}
	for i := range want {
		if !proto.Equal(got[i], want[i]) {
			t.Errorf("event %d = %v, want %v", i, got[i], want[i])
		}
	}
}
