package summary

import (
	"bytes"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"unsafe"

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
