package storage_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/tbgo/tbgo/proto/tbpb"
	"github.com/tbgo/tbgo/storage"
	"github.com/tbgo/tbgo/tfevents"
)

// BenchmarkScalars compares logging scalars through a Sink (uploads to a
// mem:// bucket every MaxAge or MaxSize) with logging them to a local
// event file: the goal is the Sink within 10% of the local writer.
func BenchmarkScalars(b *testing.B) {
	ev := scalarEvent(0)
	write := func(b *testing.B, w *tfevents.Writer) {
		b.ReportAllocs()
		for i := range b.N {
			ev.Step = int64(i)
			ev.GetSummary().Value[0].GetValue().(*tbpb.Summary_Value_SimpleValue).SimpleValue = float32(i)
			if err := w.WriteEvent(ev); err != nil {
				b.Fatal(err)
			}
		}
		if err := w.Close(); err != nil {
			b.Fatal(err)
		}
	}
	b.Run("sink=local-file", func(b *testing.B) {
		w, err := tfevents.CreateFile(filepath.Join(b.TempDir(), "run"), nil)
		if err != nil {
			b.Fatal(err)
		}
		write(b, w)
	})
	b.Run("sink=bucket", func(b *testing.B) {
		st, err := storage.Open(context.Background(), "mem://"+b.Name())
		if err != nil {
			b.Fatal(err)
		}
		// Uploads cost nothing: what is measured is the Sink's own work.
		sink, err := storage.NewSink(context.Background(), discard{st.Bucket()}, "run",
			&storage.SinkOptions{AllowShared: true, MaxAge: time.Hour})
		if err != nil {
			b.Fatal(err)
		}
		write(b, eventWriter(b, sink))
		if err := sink.Close(); err != nil {
			b.Fatal(err)
		}
	})
}

// discard is a Bucket whose writes store nothing.
type discard struct{ storage.Bucket }

func (discard) Write(context.Context, string, []byte, storage.Version) error { return nil }
