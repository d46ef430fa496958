package tfevents_test

import (
	"fmt"
	"io"
	"os"
	"testing"

	"github.com/tbgo/tbgo/tfevents"
)

func BenchmarkMaskedCRC(b *testing.B) {
	for _, size := range []int{64, 1024, 65536} {
		b.Run(fmt.Sprintf("size=%d", size), func(b *testing.B) {
			data := payload(1, size)
			b.SetBytes(int64(size))
			b.ReportAllocs()
			for b.Loop() {
				tfevents.MaskedCRC(data)
			}
		})
	}
}

func BenchmarkWriteRecord(b *testing.B) {
	for _, size := range []int{64, 1024, 65536} {
		b.Run(fmt.Sprintf("size=%d", size), func(b *testing.B) {
			w := tfevents.NewWriter(io.Discard)
			data := payload(1, size)
			b.SetBytes(int64(size))
			b.ReportAllocs()
			for b.Loop() {
				if err := w.WriteRecord(data); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkWriteEvent(b *testing.B) {
	w := tfevents.NewWriter(io.Discard)
	ev := scalarEvent(1, "loss", 0.5)
	b.ReportAllocs()
	for b.Loop() {
		if err := w.WriteEvent(ev); err != nil {
			b.Fatal(err)
		}
	}
}

// recordStream frames records of size bytes, at least 4 MiB of them.
func recordStream(b *testing.B, size int) []byte {
	n := max(4, (4<<20)/size)
	var stream []byte
	for i := range n {
		stream = tfevents.AppendRecord(stream, payload(i, size))
	}
	return stream
}

// BenchmarkCreateFile measures creating an event file with its flushed first
// event, and closing it. Each file is removed so that every CreateFile finds
// its first name free.
func BenchmarkCreateFile(b *testing.B) {
	dir := b.TempDir()
	b.ReportAllocs()
	for b.Loop() {
		w, err := tfevents.CreateFile(dir, &tfevents.FileOptions{Hostname: "h"})
		if err != nil {
			b.Fatal(err)
		}
		if err := w.Close(); err != nil {
			b.Fatal(err)
		}
		if err := os.Remove(w.FileName()); err != nil {
			b.Fatal(err)
		}
	}
}
