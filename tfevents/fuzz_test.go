package tfevents_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/tbgo/tbgo/proto/tbpb"
	"github.com/tbgo/tbgo/tfevents"
)

// scannerSeeds returns streams made by our own Writer, whole and damaged.
func scannerSeeds(f *testing.F) [][]byte {
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
// buffer it was handed: the Scanner reads into its own buffer, so that is
// how much the Scanner allocated to hold data.
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

// FuzzScanner checks the Scanner on any bytes: it never panics; every
// record it returns re-frames to the input's bytes at its offset; records
// and damage tile the input exactly, in order, so nothing is read twice
// and nothing is lost unreported; how the bytes arrive changes nothing;
// and the buffer never outgrows the data present.
func FuzzScanner(f *testing.F) {
	for _, seed := range scannerSeeds(f) {
		f.Add(seed, uint8(0))
		f.Add(seed, uint8(7))
		f.Add(seed, uint8(255))
	}
	f.Fuzz(func(t *testing.T, in []byte, chunk uint8) {
		whole := &chunkReader{b: in, n: len(in) + 1}
		wholeTrace := checkScanner(t, tfevents.NewScanner(whole), in)
		chunked := &chunkReader{b: in, n: int(chunk) + 1}
		chunkedTrace := checkScanner(t, tfevents.NewScanner(chunked), in)
		if !slices.Equal(wholeTrace, chunkedTrace) {
			t.Errorf("reads of at most %d bytes gave\n%q\nwhole reads gave\n%q", chunked.n, chunkedTrace, wholeTrace)
		}
		for _, c := range []*chunkReader{whole, chunked} {
			if limit := max(64<<10, 2*len(in)); c.maxBuf > limit {
				t.Errorf("reading %d bytes, %d at a time, the buffer grew to %d bytes, over %d", len(in), c.n, c.maxBuf, limit)
			}
		}
	})
}

// checkScanner scans in through s and checks what comes back against in;
// it returns a trace of the records and damage.
func checkScanner(t *testing.T, s *tfevents.Scanner, in []byte) []string {
	var trace []string
	next := int64(0) // where the next record or damage must start
	s.Damaged = func(d *tfevents.Damage) error {
		if d.Offset != next || d.Bytes <= 0 {
			t.Fatalf("damage %v at %d covering %d bytes; the input up to %d is accounted for", d, d.Offset, d.Bytes, next)
		}
		trace = append(trace, fmt.Sprintf("damage %v at %d+%d", d.Kind, d.Offset, d.Bytes))
		next = min(d.Offset+d.Bytes, int64(len(in))) // an oversized record may claim more than there is
		return nil
	}
	for s.Scan() {
		off, rec := s.Offset(), tfevents.AppendRecord(nil, s.Record())
		if off != next || off+int64(len(rec)) > int64(len(in)) || !bytes.Equal(in[off:off+int64(len(rec))], rec) {
			t.Fatalf("record of %d bytes at offset %d (expected at %d) does not re-frame to the input's bytes", len(s.Record()), off, next)
		}
		trace = append(trace, fmt.Sprintf("record at %d+%d", off, len(rec)))
		next = off + int64(len(rec))
	}
	if s.Err() != nil {
		t.Fatalf("Err() = %v on an in-memory input", s.Err())
	}
	if next != int64(len(in)) || s.Pending() != 0 {
		t.Fatalf("the scan accounted for %d of %d bytes, %d pending", next, len(in), s.Pending())
	}
	return trace
}

// FuzzReadEvents frames body as a record after a valid first event and
// reads the stream back with ReadEvents: it never panics; the first event
// always comes back; body comes back as an event exactly when it decodes
// as one with a finite wall time, and otherwise the error is damage of the
// kind that says why, at body's record and covering it.
func FuzzReadEvents(f *testing.F) {
	for _, s := range []string{goldenFirstRecord, goldenLegacyScalar} {
		f.Add([]byte(s[12 : len(s)-4]))
	}
	f.Add([]byte{})
	f.Add([]byte{0x00})
	f.Add([]byte{0x2a, 0x03, 0x0a, 0x01, 0x0a})
	f.Add([]byte{0x09, 0, 0, 0, 0, 0, 0, 0xf8, 0x7f}) // wall_time NaN
	first := []byte(goldenFirstRecord)
	f.Fuzz(func(t *testing.T, body []byte) {
		stream := tfevents.AppendRecord(bytes.Clone(first), body)
		evs, err := tfevents.ReadEvents(bytes.NewReader(stream))
		if len(evs) == 0 || evs[0].GetFileVersion() != tfevents.FileVersion {
			t.Fatalf("ReadEvents = %v, %v; the first event did not come back", evs, err)
		}
		var want tbpb.Event
		var kind tfevents.DamageKind
		switch uerr := proto.Unmarshal(body, &want); {
		case uerr != nil:
			kind = tfevents.InvalidEvent
		case math.IsNaN(want.WallTime) || math.IsInf(want.WallTime, 0):
			kind = tfevents.NonFiniteWallTime
		default:
			if err != nil || len(evs) != 2 || !proto.Equal(evs[1], &want) {
				t.Fatalf("ReadEvents = %d events, %v; want the first and %v", len(evs), err, &want)
			}
			return
		}
		var d *tfevents.Damage
		if len(evs) != 1 || !errors.As(err, &d) || d.Kind != kind || d.Offset != int64(len(first)) || d.Bytes != int64(len(stream)-len(first)) {
			t.Fatalf("ReadEvents = %d events, %v; want the first, then %v damage at %d covering %d bytes",
				len(evs), err, kind, len(first), len(stream)-len(first))
		}
	})
}
