package archive_test

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/tbgo/tbgo/archive"
)

// benchLogdir writes a logdir of n scalar events per tag and returns it
// with its total size.
func benchLogdir(b *testing.B, n int) (string, int64) {
	b.Helper()
	dir := filepath.Join(b.TempDir(), "logdir")
	writeLogdir(b, dir, logdirSpec{scalars: n, images: 10, audio: 5})
	var size int64
	filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err == nil && info.Mode().IsRegular() {
			size += info.Size()
		}
		return err
	})
	return dir, size
}

func BenchmarkCreate(b *testing.B) {
	for _, n := range []int{1000, 100000} {
		logdir, size := benchLogdir(b, n)
		for _, c := range []struct {
			name string
			opts archive.Options
		}{{"lossless", archive.Options{}}, {"compact", archive.Options{Compaction: archive.Compaction{ScalarFactor: 10, KeepImages: 2}}}} {
			b.Run("size="+strconv.Itoa(n)+"/"+c.name, func(b *testing.B) {
				b.SetBytes(size)
				b.ReportAllocs()
				var buf bytes.Buffer
				for b.Loop() {
					buf.Reset()
					if _, err := archive.Create(&buf, logdir, c.opts); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(buf.Len())/float64(size), "ratio")
			})
		}
	}
}

// BenchmarkRead decompresses and checks an archived event file through
// the fs.FS interface.
func BenchmarkRead(b *testing.B) {
	logdir, _ := benchLogdir(b, 100000)
	var buf bytes.Buffer
	if _, err := archive.Create(&buf, logdir, archive.Options{}); err != nil {
		b.Fatal(err)
	}
	r, err := archive.NewReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		b.Fatal(err)
	}
	var name string
	var size int64
	for e := range r.Entries() {
		if e.Size > size {
			name, size = e.Path, e.Size
		}
	}
	b.Run("size="+strconv.FormatInt(size, 10), func(b *testing.B) {
		b.SetBytes(size)
		b.ReportAllocs()
		cp := make([]byte, 32<<10)
		for b.Loop() {
			f, err := r.Open(name)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := io.CopyBuffer(io.Discard, struct{ io.Reader }{f}, cp); err != nil {
				b.Fatal(err)
			}
			f.Close()
		}
	})
}
