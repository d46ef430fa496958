package main

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/tbgo/tbgo/proto/tbpb"
	"github.com/tbgo/tbgo/summary"
	"github.com/tbgo/tbgo/tfevents"
)

// pngBomb returns a valid-looking PNG whose header claims 100000x100000
// pixels (40 GB decoded) over a few bytes of data.
func pngBomb(t *testing.T) []byte {
	var buf bytes.Buffer
	if err := png.Encode(&buf, image.NewGray(image.Rect(0, 0, 1, 1))); err != nil {
		t.Fatal(err)
	}
	b := buf.Bytes()
	// IHDR is the first chunk: 8-byte signature, length, "IHDR", width,
	// height, ..., CRC over type and data.
	ihdr := b[8+8 : 8+8+13]
	binary.BigEndian.PutUint32(ihdr[0:], 100_000)
	binary.BigEndian.PutUint32(ihdr[4:], 100_000)
	binary.BigEndian.PutUint32(b[8+8+13:], crc32.ChecksumIEEE(b[8+4:8+8+13]))
	return b
}

// allocated runs f and returns the bytes it allocated; a decoded bomb would
// need gigabytes.
func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// TestHostileImageBomb writes an image summary holding a PNG that decodes
// to 40 GB: inspect and export must handle it without decoding it, with
// small memory, and export must extract its bytes unchanged.
func TestHostileImageBomb(t *testing.T) {
	logdir := t.TempDir()
	w, err := summary.NewWriter(logdir, nil)
	if err != nil {
		t.Fatal(err)
	}
	bomb := pngBomb(t)
	v, err := summary.ImageValue("bomb", 100_000, 100_000, [][]byte{bomb}, summary.Meta{})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.WriteValue(1, v); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "out")
	var runErr error
	alloc := allocated(func() {
		if _, _, err := runTool(t, "inspect", logdir); err != nil {
			runErr = err
			return
		}
		_, _, runErr = runTool(t, "export", "-what", "images", "-o", out, logdir)
	})
	if runErr != nil {
		t.Fatal(runErr)
	}
	if alloc > 64<<20 {
		t.Errorf("inspect and export allocated %d bytes for a %d-byte image", alloc, len(bomb))
	}
	var found bool
	filepath.WalkDir(out, func(path string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && filepath.Ext(path) == ".png" {
			b, _ := os.ReadFile(path)
			found = found || bytes.Equal(b, bomb)
		}
		return nil
	})
	if !found {
		t.Error("export did not extract the image's bytes unchanged")
	}
}

// TestHostileManyTags reads a run of a million distinct tags (100,000
// under the race detector): inspect and export must finish and count every
// one.
func TestHostileManyTags(t *testing.T) {
	tags := 1_000_000
	if raceBuild {
		tags = 100_000
	}
	logdir := t.TempDir()
	f, err := tfevents.CreateFile(logdir, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := range tags {
		v, err := summary.ScalarValue(fmt.Sprintf("t%07d", i), float64(i), summary.Meta{})
		if err != nil {
			t.Fatal(err)
		}
		ev := &tbpb.Event{WallTime: 1.7e9, Step: 1, What: &tbpb.Event_Summary{Summary: &tbpb.Summary{Value: []*tbpb.Summary_Value{v}}}}
		if err := f.WriteEvent(ev); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	out, _, err := runTool(t, "inspect", "-json", logdir)
	if err != nil {
		t.Fatal(err)
	}
	var rep inspectReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	if n := len(rep.Runs[0].Plugins[0].Tags); n != tags {
		t.Errorf("inspect found %d tags, want %d", n, tags)
	}
	csv := filepath.Join(t.TempDir(), "scalars.csv")
	if _, _, err := runTool(t, "export", "-o", csv, logdir); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(csv)
	if err != nil {
		t.Fatal(err)
	}
	if lines := bytes.Count(b, []byte("\n")); lines != tags+1 {
		t.Errorf("export wrote %d lines, want a header and %d rows", lines, tags)
	}
}
