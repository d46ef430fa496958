package tfevents_test

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
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

// benchmarkNext reads records of size bytes from src, rewinding it at
// each end so that one Reader, its buffer warm, reads throughout.
func benchmarkNext(b *testing.B, src io.ReadSeeker, size int) {
	r := tfevents.NewReader(src)
	if _, err := r.Next(); err != nil { // grow the buffer before timing
		b.Fatal(err)
	}
	b.SetBytes(int64(size))
	b.ReportAllocs()
	for b.Loop() {
		_, err := r.Next()
		if err == io.EOF {
			if _, err := src.Seek(0, io.SeekStart); err != nil {
				b.Fatal(err)
			}
			_, err = r.Next()
		}
		if err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkReaderNext(b *testing.B) {
	for _, size := range []int{64, 1024, 65536, 1 << 20} {
		b.Run(fmt.Sprintf("size=%d", size), func(b *testing.B) {
			benchmarkNext(b, bytes.NewReader(recordStream(b, size)), size)
		})
	}
}

func BenchmarkReaderNextFile(b *testing.B) {
	for _, size := range []int{65536} {
		b.Run(fmt.Sprintf("size=%d", size), func(b *testing.B) {
			name := filepath.Join(b.TempDir(), "events.out.tfevents.1")
			if err := os.WriteFile(name, recordStream(b, size), 0o644); err != nil {
				b.Fatal(err)
			}
			f, err := os.Open(name)
			if err != nil {
				b.Fatal(err)
			}
			defer f.Close()
			benchmarkNext(b, f, size)
		})
	}
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
