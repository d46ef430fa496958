package tfevents_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"testing/iotest"
	"time"

	"github.com/tbgo/tbgo/tfevents"
)

// scanAll scans r to its end and returns copies of the records, their
// offsets, the damage reported and Err.
func scanAll(s *tfevents.Scanner) (recs [][]byte, offs []int64, dmg []tfevents.Damage, err error) {
	prev := s.Damaged
	s.Damaged = func(d *tfevents.Damage) error {
		dmg = append(dmg, *d)
		if prev != nil {
			return prev(d)
		}
		return nil
	}
	for s.Scan() {
		recs = append(recs, bytes.Clone(s.Record()))
		offs = append(offs, s.Offset())
	}
	return recs, offs, dmg, s.Err()
}

func TestScannerRoundTrip(t *testing.T) {
	t.Parallel()
	// Sizes straddle the 64 KiB initial buffer, so it must both compact
	// and grow.
	var payloads [][]byte
	for i, n := range []int{0, 1, 100, 65535, 65536, 70000, 10, 300000, 5} {
		payloads = append(payloads, payload(i, n))
	}
	stream, ends := frame(t, payloads...)
	for _, tc := range []struct {
		desc string
		wrap func(io.Reader) io.Reader
	}{
		{"whole reads", func(r io.Reader) io.Reader { return r }},
		{"one byte per read", iotest.OneByteReader},
		{"half of each read", iotest.HalfReader},
		{"io.EOF with the last data", iotest.DataErrReader},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			t.Parallel()
			s := tfevents.NewScanner(tc.wrap(bytes.NewReader(stream)))
			recs, offs, dmg, err := scanAll(s)
			if err != nil || len(dmg) != 0 {
				t.Fatalf("Err() = %v, damage %v; want a clean end", err, dmg)
			}
			if len(recs) != len(payloads) {
				t.Fatalf("got %d records, want %d", len(recs), len(payloads))
			}
			for i := range recs {
				if !bytes.Equal(recs[i], payloads[i]) {
					t.Errorf("record %d: %d bytes, want %d", i, len(recs[i]), len(payloads[i]))
				}
				want := int64(0)
				if i > 0 {
					want = int64(ends[i-1])
				}
				if offs[i] != want {
					t.Errorf("record %d at offset %d, want %d", i, offs[i], want)
				}
			}
			if s.End() != int64(len(stream)) || s.Pending() != 0 {
				t.Errorf("End() = %d, Pending() = %d; want %d, 0", s.End(), s.Pending(), len(stream))
			}
			if s.Scan() {
				t.Error("Scan after the end returned true")
			}
		})
	}
}

// TestScannerTruncation cuts a stream at every offset: the whole records
// before the cut come back, and what is left is a torn tail (reported
// without Follow, pending with it).
func TestScannerTruncation(t *testing.T) {
	t.Parallel()
	payloads := mixedPayloads()
	stream, ends := frame(t, payloads...)
	for cut := 0; cut <= len(stream); cut++ {
		whole := 0
		for whole < len(ends) && ends[whole] <= cut {
			whole++
		}
		boundary := 0
		if whole > 0 {
			boundary = ends[whole-1]
		}
		s := tfevents.NewScanner(bytes.NewReader(stream[:cut]))
		recs, _, dmg, err := scanAll(s)
		if err != nil || len(recs) != whole {
			t.Fatalf("cut at %d: %d records, Err %v; want %d, nil", cut, len(recs), err, whole)
		}
		if cut == boundary {
			if len(dmg) != 0 {
				t.Fatalf("cut at a boundary %d: damage %v", cut, dmg)
			}
			continue
		}
		if len(dmg) != 1 || dmg[0].Kind != tfevents.TornTail || dmg[0].Offset != int64(boundary) || dmg[0].Bytes != int64(cut-boundary) {
			t.Fatalf("cut at %d: damage %+v, want one torn tail at %d of %d bytes", cut, dmg, boundary, cut-boundary)
		}
		if !errors.Is(&dmg[0], io.ErrUnexpectedEOF) || errors.Is(&dmg[0], tfevents.ErrCorrupt) {
			t.Fatalf("torn tail %v: want it to match io.ErrUnexpectedEOF only", &dmg[0])
		}

		// With Follow, the tail waits: appending the rest completes it.
		rest := &growingReader{b: stream[:cut]}
		f := tfevents.NewScanner(rest)
		f.Follow = true
		recs, _, dmg, err = scanAll(f)
		if err != nil || len(recs) != whole || len(dmg) != 0 || f.Pending() != int64(cut-boundary) {
			t.Fatalf("follow, cut at %d: %d records, damage %v, Err %v, Pending %d", cut, len(recs), dmg, err, f.Pending())
		}
		rest.b = stream
		more, _, dmg, err := scanAll(f)
		if err != nil || len(dmg) != 0 || whole+len(more) != len(payloads) {
			t.Fatalf("follow, cut at %d, then the rest: %d more records, damage %v, Err %v", cut, len(more), dmg, err)
		}
	}
}

// growingReader reads b from where it left off, so that growing b models a
// file being appended to.
type growingReader struct {
	b   []byte
	off int
}

func (g *growingReader) Read(p []byte) (int, error) {
	if g.off >= len(g.b) {
		return 0, io.EOF
	}
	n := copy(p, g.b[g.off:])
	g.off += n
	return n, nil
}

// damagedStream is three good records around damage made by corrupt,
// which may change the stream's bytes in the second record (offset off,
// length n bytes framed).
func damagedStream(t *testing.T, corrupt func(b []byte, off, n int) []byte) (stream []byte, payloads [][]byte) {
	payloads = [][]byte{payload(1, 40), payload(2, 70000), payload(3, 10), payload(4, 200)}
	stream, ends := frame(t, payloads...)
	stream = corrupt(stream, ends[0], ends[1]-ends[0])
	return stream, payloads
}

func TestScannerDamage(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		desc    string
		corrupt func(b []byte, off, n int) []byte
		kind    tfevents.DamageKind
		bytes   func(n int) int64
		is      error
	}{
		{
			desc:    "data checksum: the record is skipped",
			corrupt: func(b []byte, off, n int) []byte { b[off+20]++; return b },
			kind:    tfevents.BadDataChecksum, bytes: func(n int) int64 { return int64(n) }, is: tfevents.ErrCorrupt,
		},
		{
			desc:    "length checksum: the scan resyncs at the next record",
			corrupt: func(b []byte, off, n int) []byte { b[off+9]++; return b },
			kind:    tfevents.BadLengthChecksum, bytes: func(n int) int64 { return int64(n) }, is: tfevents.ErrCorrupt,
		},
		{
			desc: "garbage in place of a record",
			corrupt: func(b []byte, off, n int) []byte {
				for i := off; i < off+n; i++ {
					b[i] = byte(i * 13)
				}
				return b
			},
			kind: tfevents.BadLengthChecksum, bytes: func(n int) int64 { return int64(n) }, is: tfevents.ErrCorrupt,
		},
		{
			desc: "bytes inserted between records",
			corrupt: func(b []byte, off, n int) []byte {
				return slices.Insert(b, off, []byte("not a record at all")...)
			},
			kind: tfevents.BadLengthChecksum, bytes: func(int) int64 { return 19 }, is: tfevents.ErrCorrupt,
		},
		{
			desc: "a record with a huge length whose checksum holds",
			corrupt: func(b []byte, off, n int) []byte {
				hdr := binary.LittleEndian.AppendUint64(nil, 1<<40)
				hdr = binary.LittleEndian.AppendUint32(hdr, tfevents.MaskedCRC(hdr))
				return slices.Insert(b, off, hdr...)
			},
			// It claims the rest of the stream and more.
			kind: tfevents.OversizedRecord, bytes: func(int) int64 { return 1<<40 + 16 }, is: tfevents.ErrRecordTooLarge,
		},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			t.Parallel()
			stream, payloads := damagedStream(t, tc.corrupt)
			_, ends := frame(t, payloads...)
			recs, _, dmg, err := scanAll(tfevents.NewScanner(iotest.HalfReader(bytes.NewReader(stream))))
			if err != nil {
				t.Fatalf("Err() = %v", err)
			}
			if len(dmg) != 1 {
				t.Fatalf("damage %v, want one", dmg)
			}
			d := dmg[0]
			if d.Kind != tc.kind || d.Offset != int64(ends[0]) || d.Bytes != tc.bytes(ends[1]-ends[0]) || !errors.Is(&d, tc.is) {
				t.Errorf("damage %+v (%v), want kind %v at %d covering %d bytes, matching %v",
					d, &d, tc.kind, ends[0], tc.bytes(ends[1]-ends[0]), tc.is)
			}
			want := [][]byte{payloads[0], payloads[2], payloads[3]}
			if tc.kind == tfevents.BadLengthChecksum && tc.bytes(0) == 19 || tc.kind == tfevents.OversizedRecord {
				want = append(payloads[:1:1], payloads[1:]...)
			}
			if tc.kind == tfevents.OversizedRecord {
				want = payloads[:1]
			}
			if !equalRecords(recs, want) {
				t.Errorf("got %d records, want %d", len(recs), len(want))
			}

			// Strict: the same damage ends the scan as its error.
			s := tfevents.NewScanner(bytes.NewReader(stream))
			s.Strict = true
			recs, _, _, err = scanAll(s)
			var got *tfevents.Damage
			if !errors.As(err, &got) || got.Kind != tc.kind || len(recs) != 1 {
				t.Errorf("strict: %d records, Err %v; want 1 record and the damage", len(recs), err)
			}
		})
	}
}

func equalRecords(a, b [][]byte) bool {
	return slices.EqualFunc(a, b, bytes.Equal)
}

// TestScannerOversizedSkipped is issue 11's first defect on the reading
// side: a record over the limit hides nothing after it.
func TestScannerOversizedSkipped(t *testing.T) {
	t.Parallel()
	payloads := [][]byte{payload(1, 10), payload(2, 5000), payload(3, 20)}
	stream, ends := frame(t, payloads...)
	r := &maxBufReader{r: bytes.NewReader(stream)}
	s := tfevents.NewScanner(r)
	s.MaxRecordLen = 1000
	recs, _, dmg, err := scanAll(s)
	if err != nil || !equalRecords(recs, [][]byte{payloads[0], payloads[2]}) {
		t.Fatalf("got %d records, Err %v; want the records around the oversized one", len(recs), err)
	}
	if len(dmg) != 1 || dmg[0].Kind != tfevents.OversizedRecord || dmg[0].Offset != int64(ends[0]) || dmg[0].Bytes != int64(ends[1]-ends[0]) {
		t.Fatalf("damage %+v, want the oversized record", dmg)
	}
	if r.max > 64<<10 {
		t.Errorf("the scanner read into a %d-byte buffer; the oversized record must not be buffered", r.max)
	}
}

type maxBufReader struct {
	r   io.Reader
	max int
}

func (m *maxBufReader) Read(p []byte) (int, error) {
	m.max = max(m.max, len(p))
	return m.r.Read(p)
}

func TestScannerDamagedStops(t *testing.T) {
	t.Parallel()
	stream, _ := damagedStream(t, func(b []byte, off, n int) []byte { b[off+20]++; return b })
	stop := errors.New("stop here")
	s := tfevents.NewScanner(bytes.NewReader(stream))
	s.Damaged = func(*tfevents.Damage) error { return stop }
	n := 0
	for s.Scan() {
		n++
	}
	if n != 1 || s.Err() != stop || s.Damages() != 1 {
		t.Errorf("%d records, Err %v, Damages %d; want 1, the callback's error, 1", n, s.Err(), s.Damages())
	}
}

func TestScannerReport(t *testing.T) {
	t.Parallel()
	payloads := [][]byte{payload(1, 10), payload(2, 30), payload(3, 20)}
	stream, ends := frame(t, payloads...)
	for _, strict := range []bool{false, true} {
		s := tfevents.NewScanner(bytes.NewReader(stream))
		s.Name = "run/events.out.tfevents.1"
		s.Strict = strict
		var dmg []tfevents.Damage
		s.Damaged = func(d *tfevents.Damage) error { dmg = append(dmg, *d); return nil }
		n := 0
		for s.Scan() {
			if n++; n == 2 && s.Report(tfevents.Damage{Kind: tfevents.InvalidEvent, Err: errors.New("bad tag")}) == strict {
				t.Errorf("strict=%v: Report returned %v", strict, !strict)
			}
		}
		if strict {
			var d *tfevents.Damage
			if n != 2 || !errors.As(s.Err(), &d) || d.Offset != int64(ends[0]) || !errors.Is(s.Err(), tfevents.ErrInvalidEvent) {
				t.Errorf("strict: %d records, Err %v", n, s.Err())
			}
			continue
		}
		if n != 3 || len(dmg) != 1 || dmg[0].Offset != int64(ends[0]) || dmg[0].Bytes != int64(ends[1]-ends[0]) {
			t.Fatalf("%d records, damage %+v", n, dmg)
		}
		want := fmt.Sprintf("tfevents: run/events.out.tfevents.1: offset %d: invalid event: bad tag (%d bytes skipped)", ends[0], ends[1]-ends[0])
		if got := dmg[0].Error(); got != want {
			t.Errorf("Error() = %q, want %q", got, want)
		}
	}
}

// TestScannerFollowDamage: in Follow mode, a search for the next record
// after damage waits for data rather than reporting the rest as damaged.
func TestScannerFollowDamage(t *testing.T) {
	t.Parallel()
	stream, payloads := damagedStream(t, func(b []byte, off, n int) []byte { b[off+9]++; return b })
	_, ends := frame(t, payloads...)
	g := &growingReader{b: stream[:ends[1]+5]} // damage, then a torn record
	s := tfevents.NewScanner(g)
	s.Follow = true
	recs, _, dmg, err := scanAll(s)
	if err != nil || len(recs) != 1 || len(dmg) != 0 {
		t.Fatalf("before the rest: %d records, damage %v, Err %v", len(recs), dmg, err)
	}
	g.b = stream
	recs, _, dmg, err = scanAll(s)
	if err != nil || !equalRecords(recs, payloads[2:]) || len(dmg) != 1 || dmg[0].Bytes != int64(ends[1]-ends[0]) {
		t.Fatalf("after the rest: %d records, damage %+v, Err %v", len(recs), dmg, err)
	}
}

func TestScannerReadError(t *testing.T) {
	t.Parallel()
	stream, _ := frame(t, mixedPayloads()...)
	boom := errors.New("disk on fire")
	s := tfevents.NewScanner(io.MultiReader(bytes.NewReader(stream[:100]), iotest.ErrReader(boom)))
	s.Name = "f"
	for s.Scan() {
	}
	if !errors.Is(s.Err(), boom) {
		t.Fatalf("Err() = %v, want the read error", s.Err())
	}
	s = tfevents.NewScanner(iotest.ErrReader(nil)) // 0, nil forever
	if s.Scan() || !errors.Is(s.Err(), io.ErrNoProgress) {
		t.Errorf("a reader making no progress: Err() = %v", s.Err())
	}
}

func TestScannerAt(t *testing.T) {
	t.Parallel()
	payloads := mixedPayloads()
	stream, ends := frame(t, payloads...)
	s := tfevents.NewScannerAt(bytes.NewReader(stream[ends[2]:]), int64(ends[2]))
	recs, offs, _, err := scanAll(s)
	if err != nil || !equalRecords(recs, payloads[3:]) || offs[0] != int64(ends[2]) {
		t.Fatalf("%d records from offset %v, Err %v", len(recs), offs, err)
	}
}

func TestScannerAwait(t *testing.T) {
	t.Parallel()
	name := filepath.Join(t.TempDir(), "events.out.tfevents.1")
	payloads := mixedPayloads()
	stream, ends := frame(t, payloads...)
	if err := os.WriteFile(name, stream[:ends[0]+3], 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	s := tfevents.NewScanner(f)
	s.Follow = true
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if !s.Await(ctx, time.Millisecond) || !bytes.Equal(s.Record(), payloads[0]) {
		t.Fatal("first record not found")
	}
	go func() {
		time.Sleep(20 * time.Millisecond)
		w, err := os.OpenFile(name, os.O_WRONLY|os.O_APPEND, 0)
		if err == nil {
			w.Write(stream[ends[0]+3:])
			w.Close()
		}
	}()
	for i := 1; i < len(payloads); i++ {
		if !s.Await(ctx, time.Millisecond) || !bytes.Equal(s.Record(), payloads[i]) {
			t.Fatalf("record %d: Await false, Err %v", i, s.Err())
		}
	}
	short, cancel2 := context.WithTimeout(ctx, 10*time.Millisecond)
	defer cancel2()
	if s.Await(short, time.Millisecond) || !errors.Is(s.Err(), context.DeadlineExceeded) {
		t.Errorf("Await past the end: Err %v, want the context's", s.Err())
	}
}

func BenchmarkScanner(b *testing.B) {
	for _, size := range []int{64, 1024, 65536, 1 << 20} {
		b.Run(fmt.Sprintf("size=%d", size), func(b *testing.B) {
			benchmarkScan(b, bytes.NewReader(recordStream(b, size)), size)
		})
	}
}

func BenchmarkScannerFile(b *testing.B) {
	name := filepath.Join(b.TempDir(), "events.out.tfevents.1")
	if err := os.WriteFile(name, recordStream(b, 65536), 0o644); err != nil {
		b.Fatal(err)
	}
	f, err := os.Open(name)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	b.Run("size=65536", func(b *testing.B) { benchmarkScan(b, f, 65536) })
}

// benchmarkScan scans records of size bytes from src, rewinding it at each
// end so that one Scanner, its buffer warm, reads throughout: in Follow
// mode, a Scan at the end reads on, from the start again.
func benchmarkScan(b *testing.B, src io.ReadSeeker, size int) {
	s := tfevents.NewScanner(src)
	s.Follow = true
	if !s.Scan() { // grow the buffer before timing
		b.Fatal(s.Err())
	}
	b.SetBytes(int64(size))
	b.ReportAllocs()
	for b.Loop() {
		if s.Scan() {
			continue
		}
		if s.Err() != nil || s.Pending() != 0 {
			b.Fatalf("Err %v, %d bytes pending", s.Err(), s.Pending())
		}
		if _, err := src.Seek(0, io.SeekStart); err != nil {
			b.Fatal(err)
		}
	}
}

// FuzzScanner checks the Scanner on any bytes: it never panics; every
// record it returns re-frames to the input's bytes at its offset; records
// and damage tile the input exactly, in order, so nothing is read twice
// and nothing is lost unreported; how the bytes arrive changes nothing;
// and the buffer never outgrows the data present.
func FuzzScanner(f *testing.F) {
	for _, seed := range readerSeeds(f) {
		f.Add(seed, uint8(0))
		f.Add(seed, uint8(7))
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

func TestReadEvents(t *testing.T) {
	t.Parallel()
	good := func() []byte {
		var b bytes.Buffer
		w := tfevents.NewWriter(&b)
		for step := range int64(3) {
			if err := w.WriteEvent(scalarEvent(step, "loss", 0.5)); err != nil {
				t.Fatal(err)
			}
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		return b.Bytes()
	}
	evs, err := tfevents.ReadEvents(bytes.NewReader(good()))
	if err != nil || len(evs) != 3 || evs[2].Step != 2 {
		t.Fatalf("ReadEvents: %d events, %v", len(evs), err)
	}
	infWall := tfevents.AppendRecord(good(), []byte{0x09, 0, 0, 0, 0, 0, 0, 0xf0, 0x7f}) // wall_time +Inf
	for _, tc := range []struct {
		desc string
		b    []byte
		kind tfevents.DamageKind
	}{
		{"torn tail", good()[:50], tfevents.TornTail},
		{"data crc", func() []byte { b := good(); b[20]++; return b }(), tfevents.BadDataChecksum},
		{"not an event", tfevents.AppendRecord(good(), []byte{0xff}), tfevents.InvalidEvent},
		{"infinite wall time", infWall, tfevents.NonFiniteWallTime},
	} {
		_, err := tfevents.ReadEvents(bytes.NewReader(tc.b))
		var d *tfevents.Damage
		if !errors.As(err, &d) || d.Kind != tc.kind {
			t.Errorf("%s: %v, want %v damage", tc.desc, err, tc.kind)
		}
	}
}
