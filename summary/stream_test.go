package summary

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
	"unsafe"

	"github.com/tbgo/tbgo/internal/s3test"
	"github.com/tbgo/tbgo/internal/testenv"
	"github.com/tbgo/tbgo/proto/tbpb"
	"github.com/tbgo/tbgo/storage"
	_ "github.com/tbgo/tbgo/storage/cloud" // mem://
	"github.com/tbgo/tbgo/tfevents"
)

// streamValues decodes the event stream in b: every value, and the
// number of events.
func streamValues(t *testing.T, b []byte) ([]Value, int) {
	t.Helper()
	evs, err := tfevents.ReadEvents(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	return eventValues(t, evs), len(evs)
}

// TestNewStreamWriter writes summaries into memory: the stream is what a
// file would hold, first event included, Close leaves the sink open, and
// what needs a run directory is refused.
func TestNewStreamWriter(t *testing.T) {
	var buf bytes.Buffer
	w, err := NewStreamWriter(&buf, &Options{Now: fixedClock, PurgeStep: 4})
	if err != nil {
		t.Fatal(err)
	}
	if w.Dir() != "" || w.FileName() != "" {
		t.Errorf("Dir() = %q, FileName() = %q; want both empty for a stream", w.Dir(), w.FileName())
	}
	if err := w.Scalar("loss", 5, 0.5); err != nil {
		t.Fatal(err)
	}
	if err := w.Text("notes", 5, "*hi*"); err != nil {
		t.Fatal(err)
	}
	err = w.Embedding("e", 0, [][]float64{{1, 2}, {3, 4}}, EmbeddingOptions{})
	if err == nil || !strings.Contains(err.Error(), "no run directory") {
		t.Errorf("Embedding on a stream = %v, want a refusal naming the missing run directory", err)
	}
	var refused *RefusedError
	if err := w.Close(); !errors.As(err, &refused) || refused.Count != 1 {
		t.Errorf("Close = %v, want the refused embedding reported", err)
	}
	buf.WriteString("") // Close did not close the sink
	vals, events := streamValues(t, buf.Bytes())
	// file_version, two purge STARTs, the scalar, the text.
	if events != 5 || len(vals) != 2 || vals[0].Tag != "loss" || vals[0].Scalar != 0.5 || vals[1].Text[0] != "*hi*" {
		t.Errorf("%d events, values %+v; want 5 events with loss and notes", events, vals)
	}
}

// TestNewEventsWriter writes through tfevents writers made beforehand: a
// stream and a file, whose directory becomes the run directory; Close
// closes them.
func TestNewEventsWriter(t *testing.T) {
	var buf bytes.Buffer
	f, err := tfevents.NewEventWriter(&buf, &tfevents.FileOptions{WriterName: "mine"})
	if err != nil {
		t.Fatal(err)
	}
	w, err := NewEventsWriter(f, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Scalar("x", 1, 2); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if !errors.Is(f.Err(), tfevents.ErrClosed) {
		t.Errorf("the tfevents.Writer is still open after Close: %v", f.Err())
	}
	if vals, events := streamValues(t, buf.Bytes()); events != 2 || len(vals) != 1 || vals[0].Scalar != 2 {
		t.Errorf("%d events, values %+v; want the first event and x", events, vals)
	}

	dir := t.TempDir()
	ff, err := tfevents.CreateFile(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	fw, err := NewEventsWriter(ff, nil)
	if err != nil {
		t.Fatal(err)
	}
	if fw.Dir() != dir || fw.FileName() != ff.FileName() {
		t.Errorf("Dir() = %q, FileName() = %q; want %q and %q", fw.Dir(), fw.FileName(), dir, ff.FileName())
	}
	if err := fw.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := NewEventsWriter(nil, nil); err == nil {
		t.Error("NewEventsWriter(nil) gave no error")
	}
}

// hugeText returns a string of n zero bytes whose memory is never
// touched: make gives fresh pages, and only their addresses are taken.
func hugeText(n int) string {
	b := make([]byte, n)
	return unsafe.String(&b[0], n)
}

// TestWriterTooLarge writes values whose events are over the readers'
// limit, tfevents.DefaultMaxRecordLen: each is refused with an error
// naming its tag and size and wrapping tfevents.ErrRecordTooLarge, nothing
// of it reaches the file, and the values written after it are read back.
// Before the writer checked, all of them went into the file, where every
// reader stops.
func TestWriterTooLarge(t *testing.T) {
	const limit = tfevents.DefaultMaxRecordLen
	tests := []struct {
		desc  string
		long  bool // allocates and copies the value: skipped in -short mode
		write func(w *Writer) error
		tag   string
	}{
		{
			desc: "a text value built by hand",
			tag:  "big/value",
			write: func(w *Writer) error {
				// The bytes are never read: Size counts them.
				v := textValue("big/value", Meta{}, shape(), [][]byte{make([]byte, limit)})
				return w.WriteValue(3, v)
			},
		},
		{
			desc: "a 257 MiB text",
			tag:  "big/text",
			long: true,
			write: func(w *Writer) error {
				return w.Text("big/text", 3, hugeText(257<<20))
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			if tc.long && testing.Short() {
				t.Skip("copies 257 MiB; run without -short")
			}
			var buf bytes.Buffer
			w, err := NewStreamWriter(&buf, nil)
			if err != nil {
				t.Fatal(err)
			}
			if err := w.Scalar("loss", 1, 1); err != nil {
				t.Fatal(err)
			}
			before := buf.Len()
			err = tc.write(w)
			if !errors.Is(err, tfevents.ErrRecordTooLarge) || !strings.Contains(err.Error(), fmt.Sprintf("%q at step 3", tc.tag)) ||
				!regexp.MustCompile(`record too large: \d{9} bytes`).MatchString(err.Error()) {
				t.Fatalf("error %v, want ErrRecordTooLarge naming %q and the size", err, tc.tag)
			}
			if err := w.Scalar("loss", 2, 2); err != nil {
				t.Fatalf("the Writer is not usable after the refusal: %v", err)
			}
			if err := w.Flush(); !errors.Is(err, tfevents.ErrRecordTooLarge) {
				t.Errorf("Flush = %v, want the refusal reported", err)
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			if buf.Len()-before > 1<<10 {
				t.Errorf("%d bytes written after the scalar, want only the second scalar's", buf.Len()-before)
			}
			vals, _ := streamValues(t, buf.Bytes())
			if len(vals) != 2 || vals[1].Step != 2 {
				t.Errorf("values %+v, want both scalars", vals)
			}
			if w.buf != nil && cap(w.buf) > maxScratch {
				t.Errorf("the Writer keeps %d bytes of scratch", cap(w.buf))
			}
		})
	}
}

// bucketRun returns the events of the run at location in a store, its
// event files (segments) read in name order, and the number of files.
func bucketRun(t *testing.T, location string) ([]*tbpb.Event, int) {
	t.Helper()
	st, err := storage.Open(context.Background(), location)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	runs, err := tfevents.DiscoverRunsFS(st.FS(), ".")
	if err != nil {
		t.Fatal(err)
	}
	if len(runs) != 1 || runs[0].Name != "." {
		t.Fatalf("runs = %+v, want one run \".\"", runs)
	}
	var evs []*tbpb.Event
	for _, name := range runs[0].Files {
		f, err := st.FS().Open(name)
		if err != nil {
			t.Fatal(err)
		}
		file, err := tfevents.ReadEvents(f)
		f.Close()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		evs = append(evs, file...)
	}
	return evs, len(runs[0].Files)
}

// writeEveryKind writes every kind of summary: a session with a
// scalar, a histogram, an image, a text, a table, audio, a PR curve, a
// mesh and a video at three steps, flushing after each, and a graph.
func writeEveryKind(t *testing.T, w *Writer) {
	t.Helper()
	if err := w.StartSession(map[string]any{"lr": 0.1, "optimizer": "adam"}, nil); err != nil {
		t.Fatal(err)
	}
	if err := w.Graph(Graph{Nodes: []Node{{Name: "x", Op: "Placeholder"}, {Name: "layer/relu", Op: "Relu", Inputs: []string{"x"}}}}); err != nil {
		t.Fatal(err)
	}
	for step := range int64(3) {
		frames := []image.Image{image.NewGray(image.Rect(0, 0, 2, 2)), image.NewGray(image.Rect(0, 0, 2, 2))}
		for _, err := range []error{
			w.Scalar("loss", step, 1/float64(step+1)),
			w.Histogram("weights", step, []float64{float64(step), 1, 2, 3}),
			w.Image("sample", step, image.NewGray(image.Rect(0, 0, 4, 3))),
			w.Text("notes", step, "step *"+strconv.Itoa(int(step))+"*"),
			w.Table("table", step, [][]string{{"a", "b"}, {"1", strconv.Itoa(int(step))}}),
			w.Audio("tone", step, 8000, Clip{Samples: []float32{0, 0.5, -0.5, float32(step) / 4}}),
			w.PRCurve("pr", step, []bool{true, false, true}, []float64{0.9, 0.4, 0.2 * float64(step)}, nil),
			w.Mesh("cloud", step, Mesh{Vertices: [][][3]float32{{{0, 0, float32(step)}, {1, 1, 1}}}}),
			w.Video("clip", step, frames, 10),
			w.Flush(),
		} {
			if err != nil {
				t.Fatal(err)
			}
		}
	}
}

// TestNewWriterURL writes every kind of value to a run given as a URL,
// file:// and mem://, and reads back what a local run holds: the same
// values, each once, in order; a run in a bucket is one segment per
// Flush, the first uploaded by NewWriter.
func TestNewWriterURL(t *testing.T) {
	local := t.TempDir()
	w, err := NewWriter(local, &Options{Now: fixedClock})
	if err != nil {
		t.Fatal(err)
	}
	writeEveryKind(t, w)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	want := eventValues(t, readEvents(t, local))
	kinds := map[Kind]bool{}
	for _, v := range want {
		kinds[v.Kind] = true
	}
	if len(kinds) < 7 {
		t.Fatalf("the run holds %d kinds of value: %v", len(kinds), kinds)
	}

	for _, tc := range []struct {
		desc, location string
		files          int
	}{
		{"file", "file://" + filepath.ToSlash(t.TempDir()) + "/run", 1},
		{"mem", testenv.MemBucket(t) + "/logs/run", 4},
		{"s3", "", 4}, // a real S3 server
	} {
		t.Run(tc.desc, func(t *testing.T) {
			if tc.desc == "s3" {
				tc.location = s3test.Start(t).URL("tbgo", "logs/run")
			}
			w, err := NewWriter(tc.location, &Options{Now: fixedClock, Sink: &storage.SinkOptions{MaxAge: time.Hour}})
			if err != nil {
				t.Fatal(err)
			}
			if w.Dir() == "" || !strings.Contains(w.FileName(), tfevents.Infix) {
				t.Errorf("Dir() = %q, FileName() = %q", w.Dir(), w.FileName())
			}
			writeEveryKind(t, w)
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			evs, files := bucketRun(t, tc.location)
			if got := eventValues(t, evs); !reflect.DeepEqual(got, want) {
				t.Errorf("read back %d values, want the %d of a local run:\n got %+v\nwant %+v", len(got), len(want), got, want)
			}
			if files != tc.files {
				t.Errorf("%d event files, want %d", files, tc.files)
			}
		})
	}
}

// TestNewWriterURLDurable checks that Flush returns once what it flushed
// is in the bucket, and that a timed flush reaches it within the Sink's
// MaxAge without one.
func TestNewWriterURLDurable(t *testing.T) {
	loc := testenv.MemBucket(t) + "/run"
	w, err := NewWriter(loc, &Options{FlushInterval: 10 * time.Millisecond, Sink: &storage.SinkOptions{MaxAge: 100 * time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	scalars := func() int {
		evs, _ := bucketRun(t, loc)
		n := 0
		for _, v := range eventValues(t, evs) {
			if v.Kind == KindScalar {
				n++
			}
		}
		return n
	}
	if n := scalars(); n != 0 {
		t.Fatalf("%d scalars before any was written", n)
	}
	for step := range int64(5) {
		if err := w.Scalar("x", step, 1); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if n := scalars(); n != 5 {
		t.Fatalf("%d scalars in the bucket after Flush returned, want 5", n)
	}
	if err := w.Scalar("x", 5, 1); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for scalars() != 6 {
		if time.Now().After(deadline) {
			t.Fatal("a value written without Flush did not reach the bucket within 10 s (MaxAge 100 ms)")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestNewWriterURLRefusals checks what a Writer of a run in a bucket
// refuses: a second writer of the run (another host), an embedding, an
// unregistered scheme (with the import that registers it), and a
// location whose error would show a secret.
func TestNewWriterURLRefusals(t *testing.T) {
	loc := testenv.MemBucket(t) + "/run"
	w, err := NewWriter(loc, &Options{Sink: &storage.SinkOptions{Hostname: "first"}})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	_, err = NewWriter(loc, &Options{Sink: &storage.SinkOptions{Hostname: "second"}})
	if !errors.Is(err, storage.ErrRunBusy) || !strings.Contains(err.Error(), loc) {
		t.Errorf("a second writer of the run: %v, want ErrRunBusy naming %s", err, loc)
	}
	err = w.Embedding("e", 0, [][]float64{{1, 2}}, EmbeddingOptions{})
	if err == nil || !strings.Contains(err.Error(), "object store") {
		t.Errorf("Embedding into a bucket: %v, want a refusal", err)
	}

	_, err = NewWriter("s4://bucket/run?secret_key=hunter2", nil)
	if !errors.Is(err, storage.ErrUnknownScheme) || !strings.Contains(err.Error(), `import _ "github.com/tbgo/tbgo/storage/cloud"`) {
		t.Errorf("an unknown scheme: %v, want ErrUnknownScheme saying what to import", err)
	}
	if err != nil && strings.Contains(err.Error(), "hunter2") {
		t.Errorf("the error shows the secret: %v", err)
	}
	_, err = NewWriter("file://host/run", nil)
	if err == nil || !strings.Contains(err.Error(), "file://host/run") {
		t.Errorf("a file URL with a host: %v, want an error naming it", err)
	}
}
