package tfevents_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"testing"

	"github.com/tbgo/tbgo/proto/tbpb"
	"github.com/tbgo/tbgo/tfevents"
)

// readerSeeds returns streams made by our own Writer, whole and damaged.
func readerSeeds(f *testing.F) [][]byte {
	// Small inputs keep the fuzzer fast, and its minimizer above all.
	many, ends := frame(f, payload(0, 24), []byte{}, payload(2, 1), payload(3, 7), payload(4, 30), payload(5, 12))

	w, err := tfevents.CreateFile(f.TempDir(), &tfevents.FileOptions{Now: fixedNow, Hostname: "h"})
	if err != nil {
		f.Fatal(err)
	}
	for step := range int64(3) {
		if err := w.WriteEvent(scalarEvent(step, "loss", 0.5)); err != nil {
			f.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		f.Fatal(err)
	}
	file, err := os.ReadFile(w.FileName())
	if err != nil {
		f.Fatal(err)
	}

	return [][]byte{
		{},
		[]byte(goldenFirstRecord),
		[]byte(goldenLegacyScalar),
		many,
		file,
		many[:ends[3]+5],           // torn inside a header
		many[:len(many)-1],         // torn inside the last crc
		flip(many, ends[2]+9),      // length crc
		flip(many, ends[4]+20),     // data
		append(header(1<<62), 0),   // over the guard
		append(header(200<<20), 0), // under the guard, far past the input
		slices.Concat(header(3), []byte("abc"), header(0)), // torn after a bad data crc
	}
}

// chunkReader returns at most n bytes per Read, and records the largest
// buffer it was handed: the Reader reads into its own buffer, so that is
// how much the Reader allocated to hold data.
type chunkReader struct {
	b      []byte
	n      int
	maxBuf int
}

func (c *chunkReader) Read(p []byte) (int, error) {
	c.maxBuf = max(c.maxBuf, len(p))
	if len(c.b) == 0 {
		return 0, io.EOF
	}
	k := copy(p[:min(len(p), c.n)], c.b)
	c.b = c.b[k:]
	return k, nil
}

func FuzzReader(f *testing.F) {
	for _, seed := range readerSeeds(f) {
		f.Add(seed, uint8(0))
		f.Add(seed, uint8(7))
		f.Add(seed, uint8(255))
	}
	f.Fuzz(func(t *testing.T, in []byte, chunk uint8) {
		// Whole reads; chunk only varies how the bytes arrive, which
		// must not change what is read.
		whole := &chunkReader{b: in, n: len(in) + 1}
		wholeTrace := checkReader(t, tfevents.NewReader(whole), in)
		chunked := &chunkReader{b: in, n: int(chunk) + 1}
		chunkedTrace := checkReader(t, tfevents.NewReader(chunked), in)
		if !slices.Equal(wholeTrace, chunkedTrace) {
			t.Errorf("reads of at most %d bytes gave\n%q\nwhole reads gave\n%q", chunked.n, chunkedTrace, wholeTrace)
		}
		// The buffer starts at 64 KiB and grows only with data present;
		// no length field can make it larger.
		for _, c := range []*chunkReader{whole, chunked} {
			if limit := max(64<<10, 2*len(in)); c.maxBuf > limit {
				t.Errorf("reading %d bytes, %d at a time, the Reader's buffer grew to %d bytes, over %d",
					len(in), c.n, c.maxBuf, limit)
			}
		}
	})
}

// checkReader reads r, a stream of in, to its end, checking each result
// against in, and returns a trace of what it read.
func checkReader(t *testing.T, r *tfevents.Reader, in []byte) []string {
	var trace []string
	// Every result but the last consumes at least a record's framing.
	for range len(in)/tfevents.RecordLen(0) + 1 {
		off := int(r.Offset())
		data, err := r.Next()
		var ce *tfevents.CorruptError
		switch {
		case err == nil:
			if len(data) > len(in) {
				t.Fatalf("record of %d bytes from %d bytes of input", len(data), len(in))
			}
			rec := tfevents.AppendRecord(nil, data)
			if off+len(rec) > len(in) || !bytes.Equal(in[off:off+len(rec)], rec) {
				t.Fatalf("record of %d bytes at offset %d does not re-frame to the input's bytes", len(data), off)
			}
			if got := int(r.Offset()); got != off+len(rec) {
				t.Fatalf("Offset() after the record at %d = %d, want %d", off, got, off+len(rec))
			}
			trace = append(trace, fmt.Sprintf("record %d+%d", off, len(data)))
			continue

		case errors.As(err, &ce) && ce.Checksum == tfevents.DataChecksum:
			next := off + tfevents.RecordLen(int(ce.Length))
			if ce.Offset != int64(off) || int(r.Offset()) != next || next > len(in) {
				t.Fatalf("data crc error %+v read at %d: Offset() = %d, want %d within the %d-byte input",
					*ce, off, r.Offset(), next, len(in))
			}
			trace = append(trace, err.Error())
			continue

		case err == io.EOF:
			if off != len(in) {
				t.Fatalf("io.EOF at offset %d of %d", off, len(in))
			}
		case err == io.ErrUnexpectedEOF:
			if off >= len(in) {
				t.Fatalf("io.ErrUnexpectedEOF at offset %d of %d: nothing is torn", off, len(in))
			}
		case errors.As(err, &ce) && ce.Checksum == tfevents.LengthChecksum:
			if ce.Offset != int64(off) {
				t.Fatalf("length crc error at %d, want %d", ce.Offset, off)
			}
		case errors.Is(err, tfevents.ErrRecordTooLarge):
		default:
			t.Fatalf("unexpected error at offset %d: %v", off, err)
		}
		if data != nil {
			t.Fatalf("Next returned %d bytes with %v", len(data), err)
		}
		if int(r.Offset()) != off {
			t.Fatalf("Offset() moved from %d to %d on %v", off, r.Offset(), err)
		}
		// The end is stable: asking again gives the same answer.
		if _, err2 := r.Next(); err2 != err {
			t.Fatalf("Next after %v = %v, want the same", err, err2)
		}
		return append(trace, err.Error())
	}
	t.Fatalf("more results than %d bytes can frame", len(in))
	return nil
}

func FuzzReadEvent(f *testing.F) {
	for _, s := range []string{goldenFirstRecord, goldenLegacyScalar} {
		f.Add([]byte(s[12 : len(s)-4]))
	}
	f.Add([]byte{})
	f.Add([]byte{0x00})
	f.Add([]byte{0x2a, 0x03, 0x0a, 0x01, 0x0a})
	f.Fuzz(func(t *testing.T, body []byte) {
		r := tfevents.NewReader(bytes.NewReader(tfevents.AppendRecord(nil, body)))
		var ev tbpb.Event
		if err := r.ReadEvent(&ev); err != nil && !errors.Is(err, tfevents.ErrInvalidEvent) {
			t.Fatalf("ReadEvent of a well-framed record = %v, want nil or ErrInvalidEvent", err)
		}
		if err := r.ReadEvent(&ev); err != io.EOF {
			t.Fatalf("after the only record: %v, want io.EOF", err)
		}
	})
}
