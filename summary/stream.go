package summary

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path"
	"path/filepath"

	"github.com/tbgo/tbgo/storage"
	"github.com/tbgo/tbgo/tfevents"
)

// NewStreamWriter returns a Writer of an event stream into out, such as an
// in-memory buffer or a sink that stores what is flushed as objects: what
// NewWriter would write to its file, first event included, goes to out.
// The Writer has no run directory, so Embedding, whose files go beside the
// event file, is refused, and FilenameSuffix and Comment do not apply.
// Close flushes but does not close out. A nil opts means the zero Options.
func NewStreamWriter(out io.Writer, opts *Options) (*Writer, error) {
	o, err := options(opts)
	if err != nil {
		return nil, err
	}
	f, err := tfevents.NewEventWriter(out, o.fileOptions())
	if err != nil {
		return nil, fmt.Errorf("summary: %w", err)
	}
	return newWriter(f, "", o)
}

// NewEventsWriter returns a Writer that writes summaries through f, an
// event file or stream that has its first event already, as
// tfevents.CreateFile and tfevents.NewEventWriter make them. The Writer
// owns f from then on: its Close closes f. f's own options rule flushing,
// so FlushInterval, Fsync, FilenameSuffix, BufferSize and Comment do not
// apply; the run directory is the directory of f's file, if it has one. A
// nil opts means the zero Options.
func NewEventsWriter(f *tfevents.Writer, opts *Options) (*Writer, error) {
	if f == nil {
		return nil, errors.New("summary: nil tfevents.Writer")
	}
	o, err := options(opts)
	if err != nil {
		return nil, err
	}
	dir := ""
	if name := f.FileName(); name != "" {
		dir = filepath.Dir(name)
	}
	return newWriter(f, dir, o)
}

// newBucketWriter returns a Writer of the run at location, a URL of an
// object store: the event stream goes through a storage.Sink, which
// uploads it as segments (see NewWriter).
func newBucketWriter(location string, o *Options) (*Writer, error) {
	ctx := context.Background()
	st, err := storage.Open(ctx, location)
	if err != nil {
		return nil, fmt.Errorf("summary: %w", err)
	}
	so := storage.SinkOptions{}
	if o.Sink != nil {
		so = *o.Sink
	}
	if so.Suffix == "" {
		so.Suffix = o.FilenameSuffix
	}
	sink, err := storage.NewSink(ctx, st.Bucket(), st.Key("."), &so)
	if err != nil {
		st.Close()
		return nil, fmt.Errorf("summary: %s: %w", storage.Display(location), err)
	}
	fo := o.fileOptions()
	// Flush and Close upload and return once the segment is stored; a
	// timed flush hands the records to the Sink, which uploads them
	// within its MaxAge.
	fo.Fsync = true
	// The first event is uploaded at once, as segment 0: the run is
	// claimed (a second writer is refused, see storage.NewSink), and a
	// bad credential or a missing bucket fails here, not later.
	f, err := tfevents.NewEventWriter(sink, fo)
	if err != nil {
		sink.Close()
		st.Close()
		return nil, fmt.Errorf("summary: %s: %w", storage.Display(location), err)
	}
	w, err := newWriter(f, location, o)
	if err != nil {
		sink.Close()
		st.Close()
		return nil, err
	}
	w.fileName = storage.Join(location, path.Base(sink.Name()))
	w.after = []io.Closer{sink, st}
	return w, nil
}
