package summary

import (
	"errors"
	"image"
	"io"
	"strings"
	"sync"
	"testing"
)

// failAfter is an io.Writer that takes n bytes, then fails every write.
type failAfter struct{ n int }

var errSink = errors.New("sink broken")

func (f *failAfter) Write(p []byte) (int, error) {
	if len(p) > f.n {
		return 0, errSink
	}
	f.n -= len(p)
	return len(p), nil
}

// TestWriterReportsRefusals checks what a program that ignores the errors
// of its calls learns: OnError sees each, Err keeps the first, and Flush
// and Close report the values refused since the previous Flush or Close,
// counted once, with the first refusal's error.
func TestWriterReportsRefusals(t *testing.T) {
	var mu sync.Mutex
	var seen []error
	onError := func(err error) {
		mu.Lock()
		seen = append(seen, err)
		mu.Unlock()
	}
	w, err := NewStreamWriter(io.Discard, &Options{OnError: onError})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Flush(); err != nil || w.Err() != nil {
		t.Fatalf("Flush = %v, Err = %v on a new Writer", err, w.Err())
	}
	// A histogram and an image under one tag, as in the issue, and two
	// more refusals.
	w.Histogram("w", 0, []float64{1, 2})
	w.Image("w", 0, image.NewGray(image.Rect(0, 0, 1, 1)))
	w.Scalar("", 1, 1)
	w.Text("t", 1, "\xff")
	if len(seen) != 3 || !errors.Is(seen[0], ErrTagKind) || w.Err() != seen[0] {
		t.Fatalf("OnError saw %v, Err = %v; want the 3 refusals, the first ErrTagKind", seen, w.Err())
	}
	err = w.Flush()
	var r *RefusedError
	if !errors.As(err, &r) || r.Count != 3 || r.First != seen[0] || !errors.Is(err, ErrTagKind) ||
		!strings.HasPrefix(err.Error(), "summary: 3 values refused since the last Flush; first: ") {
		t.Fatalf("Flush = %v, want 3 values refused, the first ErrTagKind", err)
	}
	if err := w.Flush(); err != nil {
		t.Errorf("a second Flush = %v, want nil: the refusals were reported", err)
	}
	w.Scalar("w", 2, 1)
	if err := w.Close(); !errors.As(err, &r) || r.Count != 1 {
		t.Errorf("Close = %v, want the one refusal since the last Flush", err)
	}
	if w.Err() != seen[0] {
		t.Errorf("Err = %v after Close, want the first error still", w.Err())
	}
}

// TestWriterReportsFailedFile breaks the sink under a Writer: the file's
// sticky error is reported by Flush, Close, Err and OnError, and the
// values that could not be written for it are not counted as refusals.
func TestWriterReportsFailedFile(t *testing.T) {
	var seen []error
	sink := &failAfter{n: 1 << 10}
	w, err := NewStreamWriter(sink, &Options{FlushInterval: -1, OnError: func(err error) { seen = append(seen, err) }})
	if err != nil {
		t.Fatal(err)
	}
	sink.n = 0
	w.Scalar("x", 1, 1) // buffered
	if err := w.Flush(); !errors.Is(err, errSink) {
		t.Fatalf("Flush = %v, want the sink's error", err)
	}
	w.Scalar("x", 2, 1)
	err = w.Close()
	var r *RefusedError
	if !errors.Is(err, errSink) || errors.As(err, &r) {
		t.Errorf("Close = %v, want the sink's error and no refusals", err)
	}
	if !errors.Is(w.Err(), errSink) || len(seen) != 3 {
		t.Errorf("Err = %v, OnError saw %v; want the sink's error from Flush, Scalar and Close", w.Err(), seen)
	}
}
