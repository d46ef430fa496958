package tfevents_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/tbgo/tbgo/proto/tbpb"
	"github.com/tbgo/tbgo/tfevents"
)

// scanAll scans s to its end and returns copies of the records, their
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

// openScanner opens the named file at offset off and returns a Scanner
// over it, named after it; the file is closed when the test ends.
func openScanner(t testing.TB, name string, off int64) *tfevents.Scanner {
	t.Helper()
	f, err := os.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	if _, err := f.Seek(off, io.SeekStart); err != nil {
		t.Fatal(err)
	}
	s := tfevents.NewScannerAt(f, off)
	s.Name = name
	return s
}

// mixedPayloads are records of assorted sizes, an empty one included,
// about 2 KB once framed: small enough to cut at every offset.
func mixedPayloads() [][]byte {
	var ps [][]byte
	for i, n := range []int{24, 0, 1, 7, 100, 300, 1000, 50, 255} {
		ps = append(ps, payload(i, n))
	}
	return ps
}

// flip returns a copy of b with the byte at i inverted.
func flip(b []byte, i int) []byte {
	c := bytes.Clone(b)
	c[i] ^= 0xff
	return c
}

// header returns a record header announcing length n, with a valid crc.
func header(n uint64) []byte {
	h := binary.LittleEndian.AppendUint64(nil, n)
	return binary.LittleEndian.AppendUint32(h, tfevents.MaskedCRC(h))
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

// TestScannerTruncation cuts a stream at every offset, as a crash of its
// writer would: the whole records before the cut come back, and what is
// left is a torn tail, reported without Follow and pending with it, where
// appending the rest completes it.
func TestScannerTruncation(t *testing.T) {
	t.Parallel()
	payloads := mixedPayloads()
	stream, ends := frame(t, payloads...)
	for cut := 0; cut <= len(stream); cut++ {
		// The Writer through a TruncateWriter leaves the torn file a
		// crash would.
		var torn bytes.Buffer
		w := tfevents.NewWriter(iotest.TruncateWriter(&torn, int64(cut)))
		for _, p := range payloads {
			if err := w.WriteRecord(p); err != nil {
				t.Fatal(err)
			}
		}
		if err := w.Close(); err != nil || !bytes.Equal(torn.Bytes(), stream[:cut]) {
			t.Fatalf("cut at %d: the truncated Writer's output is not the stream's prefix (Close: %v)", cut, err)
		}
		whole := 0
		for whole < len(ends) && ends[whole] <= cut {
			whole++
		}
		boundary := 0
		if whole > 0 {
			boundary = ends[whole-1]
		}
		for _, src := range []struct {
			desc string
			r    io.Reader
		}{
			{"whole reads", bytes.NewReader(torn.Bytes())},
			{"one byte per read", iotest.OneByteReader(bytes.NewReader(torn.Bytes()))},
		} {
			s := tfevents.NewScanner(src.r)
			recs, _, dmg, err := scanAll(s)
			if err != nil || !equalRecords(recs, payloads[:whole]) || s.End() != int64(cut) {
				t.Fatalf("cut at %d, %s: %d records, Err %v, End %d; want the %d whole ones, nil, %d",
					cut, src.desc, len(recs), err, s.End(), whole, cut)
			}
			if cut == boundary {
				if len(dmg) != 0 {
					t.Fatalf("cut at a boundary %d, %s: damage %v", cut, src.desc, dmg)
				}
				continue
			}
			if len(dmg) != 1 || dmg[0].Kind != tfevents.TornTail || dmg[0].Offset != int64(boundary) || dmg[0].Bytes != int64(cut-boundary) {
				t.Fatalf("cut at %d, %s: damage %+v, want one torn tail at %d of %d bytes", cut, src.desc, dmg, boundary, cut-boundary)
			}
			if !errors.Is(&dmg[0], io.ErrUnexpectedEOF) || errors.Is(&dmg[0], tfevents.ErrCorrupt) {
				t.Fatalf("torn tail %v: want it to match io.ErrUnexpectedEOF only", &dmg[0])
			}
		}

		// With Follow, the tail waits: appending the rest completes it.
		rest := &growingReader{b: stream[:cut]}
		f := tfevents.NewScanner(rest)
		f.Follow = true
		recs, _, dmg, err := scanAll(f)
		if err != nil || !equalRecords(recs, payloads[:whole]) || len(dmg) != 0 || f.End() != int64(boundary) || f.Pending() != int64(cut-boundary) {
			t.Fatalf("follow, cut at %d: %d records, damage %v, Err %v, End %d, Pending %d", cut, len(recs), dmg, err, f.End(), f.Pending())
		}
		rest.b = stream
		more, _, dmg, err := scanAll(f)
		if err != nil || len(dmg) != 0 || !equalRecords(more, payloads[whole:]) || f.End() != int64(len(stream)) {
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

// TestScannerChecksums damages each part of a record's framing in turn: a
// failed length checksum sends the scan looking for the next valid record,
// a failed data checksum skips the one record; either way the damage names
// the file, the record's offset, the checksum and the bytes skipped, and
// every other record comes back.
func TestScannerChecksums(t *testing.T) {
	t.Parallel()
	payloads := [][]byte{payload(1, 10), payload(2, 20), {}, payload(4, 40)}
	stream, ends := frame(t, payloads...)
	for _, tc := range []struct {
		desc string
		at   int // byte to flip
		rec  int // the record it damages
		kind tfevents.DamageKind
	}{
		{"low byte of the length", ends[0], 1, tfevents.BadLengthChecksum},
		{"high byte of the length", ends[0] + 7, 1, tfevents.BadLengthChecksum},
		{"first byte of the length crc", ends[0] + 8, 1, tfevents.BadLengthChecksum},
		{"last byte of the length crc", ends[0] + 11, 1, tfevents.BadLengthChecksum},
		{"length of the first record", 2, 0, tfevents.BadLengthChecksum},
		{"first data byte", ends[0] + 12, 1, tfevents.BadDataChecksum},
		{"last data byte", ends[1] - 5, 1, tfevents.BadDataChecksum},
		{"data crc", ends[1] - 1, 1, tfevents.BadDataChecksum},
		{"crc of an empty record", ends[2] - 2, 2, tfevents.BadDataChecksum},
		{"last record", ends[3] - 3, 3, tfevents.BadDataChecksum},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			t.Parallel()
			start := 0
			if tc.rec > 0 {
				start = ends[tc.rec-1]
			}
			s := tfevents.NewScanner(bytes.NewReader(flip(stream, tc.at)))
			s.Name = "run/events.out.tfevents.1"
			recs, _, dmg, err := scanAll(s)
			want := slices.Delete(slices.Clone(payloads), tc.rec, tc.rec+1)
			if err != nil || !equalRecords(recs, want) || s.End() != int64(len(stream)) {
				t.Fatalf("%d records, Err %v, End %d; want the %d undamaged ones, nil, %d", len(recs), err, s.End(), len(want), len(stream))
			}
			wantDmg := tfevents.Damage{File: s.Name, Offset: int64(start), Kind: tc.kind, Bytes: int64(ends[tc.rec] - start), Count: 1}
			if len(dmg) != 1 || dmg[0].File != wantDmg.File || dmg[0].Offset != wantDmg.Offset || dmg[0].Kind != wantDmg.Kind ||
				dmg[0].Bytes != wantDmg.Bytes || dmg[0].Count != 1 {
				t.Fatalf("damage %+v, want %+v", dmg, wantDmg)
			}
			d := &dmg[0]
			if !errors.Is(d, tfevents.ErrCorrupt) || errors.Is(d, io.ErrUnexpectedEOF) || errors.Is(d, tfevents.ErrRecordTooLarge) {
				t.Errorf("%v: want it to match ErrCorrupt only", d)
			}
			prefix := fmt.Sprintf("tfevents: run/events.out.tfevents.1: offset %d: %v: ", start, tc.kind)
			suffix := fmt.Sprintf(" (%d bytes skipped)", wantDmg.Bytes)
			if msg := d.Error(); !strings.HasPrefix(msg, prefix) || !strings.HasSuffix(msg, suffix) {
				t.Errorf("message %q, want %q...%q", msg, prefix, suffix)
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

// TestScannerRecordLimit puts a record whose length checksum holds at and
// past the limit, up to lengths whose framed size overflows an int: one at
// the limit is read; one past it is skipped as OversizedRecord damage that
// claims the record's whole framed length, and nothing is allocated for it.
func TestScannerRecordLimit(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		desc   string
		max    int64
		length uint64
		ok     bool
	}{
		{desc: "at a custom limit", max: 100, length: 100, ok: true},
		{desc: "one over a custom limit", max: 100, length: 101},
		{desc: "one over the default limit", length: tfevents.DefaultMaxRecordLen + 1},
		{desc: "1<<62", length: 1 << 62},
		{desc: "near 2^64", length: 0xFFFFFFFFFFFFFFF0},
		{desc: "2^64-1", length: math.MaxUint64},
		{desc: "MaxInt64 under a MaxInt64 limit", max: math.MaxInt64, length: math.MaxInt64},
		{desc: "a length whose framed size overflows int", max: math.MaxInt64, length: math.MaxInt64 - 8},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			t.Parallel()
			first := payload(0, 24)
			stream := tfevents.AppendRecord(nil, first)
			second := len(stream)
			body := payload(1, int(min(tc.length, 100)))
			stream = append(stream, header(tc.length)...)
			stream = append(stream, body...)
			stream = binary.LittleEndian.AppendUint32(stream, tfevents.MaskedCRC(body))

			s := tfevents.NewScanner(bytes.NewReader(stream))
			s.MaxRecordLen = tc.max
			recs, _, dmg, err := scanAll(s)
			if err != nil {
				t.Fatalf("Err() = %v", err)
			}
			if tc.ok {
				if !equalRecords(recs, [][]byte{first, body}) || len(dmg) != 0 {
					t.Fatalf("%d records, damage %v; want the record at the limit read", len(recs), dmg)
				}
				return
			}
			wantBytes := int64(math.MaxInt64) // the rest of the stream, and more
			if tc.length <= math.MaxInt64-16 {
				wantBytes = int64(tc.length) + 16
			}
			if !equalRecords(recs, [][]byte{first}) || len(dmg) != 1 || dmg[0].Kind != tfevents.OversizedRecord ||
				dmg[0].Offset != int64(second) || dmg[0].Bytes != wantBytes {
				t.Fatalf("%d records, damage %+v; want the first record, then the oversized one at %d covering %d bytes",
					len(recs), dmg, second, wantBytes)
			}
			d := &dmg[0]
			if !errors.Is(d, tfevents.ErrRecordTooLarge) || errors.Is(d, tfevents.ErrCorrupt) {
				t.Errorf("%v: want ErrRecordTooLarge and not ErrCorrupt: the checksums hold", d)
			}
			if want := fmt.Sprintf("tfevents: offset %d: too large: length %d is over the limit", second, tc.length); !strings.HasPrefix(d.Error(), want) {
				t.Errorf("message %q, want the prefix %q", d, want)
			}
		})
	}
}

// TestScannerBoundedMemory proves that a length field alone cannot make
// the Scanner allocate: past the limit it skips the record through its
// 64 KiB buffer, and under a large limit the buffer grows only with the
// bytes that arrive. It is not parallel: it measures the whole process's
// allocation.
func TestScannerBoundedMemory(t *testing.T) {
	for _, tc := range []struct {
		desc   string
		max    int64
		length uint64
		kind   tfevents.DamageKind
	}{
		{"1<<62 over the default limit", 0, 1 << 62, tfevents.OversizedRecord},
		{"1 GiB over a 1 GiB limit", 1 << 30, 1<<30 + 1, tfevents.OversizedRecord},
		// More than the initial 64 KiB, so that the buffer must grow,
		// but only as far as the data present.
		{"1 GiB under a 1 GiB limit, 100 KiB present", 1 << 30, 1 << 30, tfevents.TornTail},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			stream := append(header(tc.length), make([]byte, 100<<10)...)
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			s := tfevents.NewScanner(bytes.NewReader(stream))
			s.MaxRecordLen = tc.max
			recs, _, dmg, err := scanAll(s)
			runtime.ReadMemStats(&after)
			if err != nil || len(recs) != 0 || len(dmg) != 1 || dmg[0].Kind != tc.kind {
				t.Errorf("%d records, damage %v, Err %v; want one %v", len(recs), dmg, err, tc.kind)
			}
			// The buffer may reach twice the data present; allow for
			// that and for noise, far below what the length asks for.
			if delta := after.TotalAlloc - before.TotalAlloc; delta > 1<<20 {
				t.Errorf("the scan allocated %d bytes for a %d-byte stream announcing %d", delta, len(stream), tc.length)
			}
		})
	}
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

// countReader returns a fixed count from Read, whatever it was given: a
// broken io.Reader.
type countReader int

func (c countReader) Read([]byte) (int, error) { return int(c), nil }

// TestScannerReadError: a read error ends the scan as Err, wrapped with the
// file's name and the offset, and is not damage; nor is a reader that
// breaks io.Reader's contract.
func TestScannerReadError(t *testing.T) {
	t.Parallel()
	stream, ends := frame(t, payload(1, 30), payload(2, 40))
	boom := errors.New("disk on fire")
	for _, tc := range []struct {
		desc string
		r    io.Reader
		name string
		recs int
		is   error  // checked with errors.Is, if not nil
		msg  string // prefix of the message
	}{
		{"error on the first read", iotest.ErrReader(boom), "", 0, boom, "tfevents: read at offset 0: disk on fire"},
		{"error on the first read, named", iotest.ErrReader(boom), "run/events.out.tfevents.1", 0, boom,
			"tfevents: run/events.out.tfevents.1: read at offset 0: disk on fire"},
		{"error inside the second record", io.MultiReader(bytes.NewReader(stream[:ends[0]+20]), iotest.ErrReader(boom)), "", 1, boom,
			fmt.Sprintf("tfevents: read at offset %d: disk on fire", ends[0]+20)},
		{"error at a record boundary is not the end", io.MultiReader(bytes.NewReader(stream[:ends[0]]), iotest.ErrReader(boom)), "", 1, boom,
			fmt.Sprintf("tfevents: read at offset %d: disk on fire", ends[0])},
		{"no progress: 0, nil forever", iotest.ErrReader(nil), "", 0, io.ErrNoProgress, "tfevents: multiple Read calls"},
		{"a count over what was asked", countReader(1 << 30), "", 0, nil, "tfevents: reader returned invalid count"},
		{"a negative count", countReader(-1), "", 0, nil, "tfevents: reader returned invalid count"},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			t.Parallel()
			s := tfevents.NewScanner(tc.r)
			s.Name = tc.name
			recs, _, dmg, err := scanAll(s)
			if len(recs) != tc.recs || len(dmg) != 0 {
				t.Errorf("%d records, damage %v; want %d records and no damage", len(recs), dmg, tc.recs)
			}
			if err == nil || tc.is != nil && !errors.Is(err, tc.is) || !strings.HasPrefix(err.Error(), tc.msg) {
				t.Errorf("Err() = %v, want %q... wrapping %v", err, tc.msg, tc.is)
			}
			if s.Scan() || s.Err() != err {
				t.Errorf("Scan after the error: Err() = %v, want the same error (sticky)", s.Err())
			}
		})
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

// TestScannerResumeFile stops a scan of a file after each record and
// resumes it at End with NewScannerAt on the file reopened: the rest of
// the records come back, at their offsets in the file, and damage past the
// resumption is reported at its offset in the file, under its name.
func TestScannerResumeFile(t *testing.T) {
	t.Parallel()
	payloads := mixedPayloads()
	stream, ends := frame(t, payloads...)
	const bad = 4 // the record whose data is damaged
	stream[ends[bad-1]+12] ^= 0xff
	var want [][]byte
	var starts []int64
	for i, p := range payloads {
		if i != bad {
			want = append(want, p)
			starts = append(starts, int64(ends[i]-tfevents.RecordLen(len(p))))
		}
	}
	name := filepath.Join(t.TempDir(), "events.out.tfevents.1")
	if err := os.WriteFile(name, stream, 0o644); err != nil {
		t.Fatal(err)
	}
	for n := 0; n <= len(want); n++ {
		s := openScanner(t, name, 0)
		for i := range n {
			if !s.Scan() {
				t.Fatalf("record %d: %v", i, s.Err())
			}
		}
		end := s.End()
		if n > 0 && end != starts[n-1]+s.RecordLen() {
			t.Fatalf("End() after %d records = %d, want %d", n, end, starts[n-1]+s.RecordLen())
		}

		r := openScanner(t, name, end)
		recs, offs, dmg, err := scanAll(r)
		if err != nil || !equalRecords(recs, want[n:]) || !slices.Equal(offs, starts[n:]) || r.End() != int64(len(stream)) {
			t.Fatalf("resumed at %d: %d records at %v, Err %v, End %d; want the last %d at %v",
				end, len(recs), offs, err, r.End(), len(want)-n, starts[n:])
		}
		wantDmg := 0
		if end <= int64(ends[bad-1]) {
			wantDmg = 1
		}
		if len(dmg) != wantDmg || wantDmg == 1 && (dmg[0].Offset != int64(ends[bad-1]) || dmg[0].File != name) {
			t.Errorf("resumed at %d: damage %+v, want %d at offset %d of %s", end, dmg, wantDmg, ends[bad-1], name)
		}
	}
}

// TestScannerAwait appends records to a file a piece at a time, each
// record in two writes, while Await reads them all.
func TestScannerAwait(t *testing.T) {
	t.Parallel()
	var payloads [][]byte
	for i := range 20 {
		payloads = append(payloads, payload(i, i*37%200))
	}
	stream, ends := frame(t, payloads...)
	name := filepath.Join(t.TempDir(), "events.out.tfevents.1")
	w, err := os.Create(name)
	if err != nil {
		t.Fatal(err)
	}
	s := openScanner(t, name, 0)
	s.Follow = true

	writeErr := make(chan error, 1)
	go func() {
		prev := 0
		for _, end := range ends {
			mid := (prev + end) / 2
			for _, part := range [][]byte{stream[prev:mid], stream[mid:end]} {
				if _, err := w.Write(part); err != nil {
					w.Close()
					writeErr <- err
					return
				}
				time.Sleep(time.Millisecond)
			}
			prev = end
		}
		writeErr <- w.Close()
	}()

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for i, want := range payloads {
		if !s.Await(ctx, time.Millisecond) {
			t.Fatalf("record %d: Await false, Err %v", i, s.Err())
		}
		if !bytes.Equal(s.Record(), want) {
			t.Fatalf("record %d: %d bytes, want %d", i, len(s.Record()), len(want))
		}
	}
	if err := <-writeErr; err != nil {
		t.Fatal(err)
	}
	if s.End() != int64(len(stream)) || s.Damages() != 0 {
		t.Errorf("End() = %d, Damages() = %d; want %d, 0", s.End(), s.Damages(), len(stream))
	}
	short, cancel2 := context.WithTimeout(ctx, 10*time.Millisecond)
	defer cancel2()
	if s.Await(short, time.Millisecond) || !errors.Is(s.Err(), context.DeadlineExceeded) {
		t.Errorf("Await past the end: Err %v, want the context's", s.Err())
	}
}

// TestScannerAwaitCancel: a context ends Await's wait at once, whether it
// was done before the call or ends during it, and the Scanner's place is
// kept, so that a new Scanner can resume there.
func TestScannerAwaitCancel(t *testing.T) {
	t.Parallel()
	stream, ends := frame(t, payload(1, 10), payload(2, 50))
	for _, tc := range []struct {
		desc string
		have int // bytes of stream present while Await waits
	}{
		{"at a clean end", ends[0]},
		{"inside a torn record", ends[0] + 30},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			t.Parallel()
			for _, during := range []bool{false, true} {
				s := tfevents.NewScanner(bytes.NewReader(stream[:tc.have]))
				s.Follow = true
				if !s.Scan() {
					t.Fatal(s.Err())
				}
				ctx, cancel := context.WithCancel(context.Background())
				defer cancel()
				if !during {
					cancel()
				}
				done := make(chan bool, 1)
				go func() { done <- s.Await(ctx, time.Hour) }()
				if during {
					time.Sleep(10 * time.Millisecond)
					cancel()
				}
				select {
				case got := <-done:
					if got || s.Err() != context.Canceled {
						t.Errorf("cancelled (during the wait: %v): Await = %v, Err %v; want false, context.Canceled", during, got, s.Err())
					}
				case <-time.After(10 * time.Second):
					t.Fatalf("Await did not return within 10s of the cancel (during the wait: %v)", during)
				}
				if s.End() != int64(ends[0]) || s.Pending() != int64(tc.have-ends[0]) {
					t.Errorf("End() = %d, Pending() = %d; want %d, %d", s.End(), s.Pending(), ends[0], tc.have-ends[0])
				}
			}
		})
	}
}

// TestScannerAwaitDamage: damage does not wait for more data. A Strict
// Await ends at once with it; otherwise it is reported before the wait.
func TestScannerAwaitDamage(t *testing.T) {
	t.Parallel()
	stream, ends := frame(t, payload(1, 10))
	damaged := flip(stream, ends[0]-1)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s := tfevents.NewScanner(bytes.NewReader(damaged))
	s.Follow, s.Strict = true, true
	var d *tfevents.Damage
	if s.Await(ctx, time.Hour) || !errors.As(s.Err(), &d) || d.Kind != tfevents.BadDataChecksum {
		t.Errorf("strict Await over a damaged record: Err %v, want the damage at once", s.Err())
	}

	short, cancel2 := context.WithTimeout(ctx, 20*time.Millisecond)
	defer cancel2()
	s = tfevents.NewScanner(bytes.NewReader(damaged))
	s.Follow = true
	var dmg []tfevents.Damage
	s.Damaged = func(d *tfevents.Damage) error { dmg = append(dmg, *d); return nil }
	if s.Await(short, time.Millisecond) || s.Err() != context.DeadlineExceeded || len(dmg) != 1 || dmg[0].Kind != tfevents.BadDataChecksum {
		t.Errorf("Await over a damaged record: Err %v, damage %v; want the damage reported, then the wait", s.Err(), dmg)
	}
}

// TestScannerFileTruncated truncates a file under a Follow scan, then
// rewrites it with other records, as a program that recreates its event
// file in place would. The scan returns nothing that is not a whole record
// of the file as it is: it waits while the file is shorter than its place,
// then reports the bytes between its place and the next valid record of
// the new content as damage.
func TestScannerFileTruncated(t *testing.T) {
	t.Parallel()
	old, _ := frame(t, payload(1, 100), payload(2, 100)) // 232 bytes
	var payloads [][]byte
	for i := range 5 {
		payloads = append(payloads, payload(10+i, 50)) // 66 bytes framed
	}
	rewritten, ends := frame(t, payloads...)
	// 232 falls inside the fourth record, at 198; the fifth starts at 264.
	name := filepath.Join(t.TempDir(), "events.out.tfevents.1")
	if err := os.WriteFile(name, old, 0o644); err != nil {
		t.Fatal(err)
	}
	s := openScanner(t, name, 0)
	s.Follow = true
	if recs, _, dmg, err := scanAll(s); err != nil || len(recs) != 2 || len(dmg) != 0 {
		t.Fatalf("before: %d records, damage %v, Err %v", len(recs), dmg, err)
	}

	if err := os.Truncate(name, 0); err != nil {
		t.Fatal(err)
	}
	if recs, _, dmg, err := scanAll(s); err != nil || len(recs) != 0 || len(dmg) != 0 || s.End() != int64(len(old)) {
		t.Fatalf("truncated: %d records, damage %v, Err %v, End %d; want nothing, at %d", len(recs), dmg, err, s.End(), len(old))
	}

	if err := os.WriteFile(name, rewritten, 0o644); err != nil {
		t.Fatal(err)
	}
	recs, offs, dmg, err := scanAll(s)
	if err != nil || !equalRecords(recs, payloads[4:]) || !slices.Equal(offs, []int64{int64(ends[3])}) {
		t.Fatalf("rewritten: %d records at %v, Err %v; want the fifth record at %d", len(recs), offs, err, ends[3])
	}
	if len(dmg) != 1 || dmg[0].Kind != tfevents.BadLengthChecksum || dmg[0].Offset != int64(len(old)) || dmg[0].Bytes != int64(ends[3]-len(old)) {
		t.Errorf("rewritten: damage %+v, want the %d bytes from %d to the next record", dmg, ends[3]-len(old), len(old))
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

// BenchmarkScannerResync scans 1 MiB with no valid record in it, the search
// that follows a failed length checksum. Random-looking bytes fail the
// length test at once; zeros pass it and cost a length checksum per
// offset, the worst case.
func BenchmarkScannerResync(b *testing.B) {
	const size = 1 << 20
	for _, in := range []struct {
		name string
		fill []byte
	}{{"garbage", []byte{0xa5, 0x00, 0x17, 0x3c}}, {"zeros", []byte{0, 0, 0, 0}}} {
		garbage := bytes.Repeat(in.fill, size/4)
		b.Run(fmt.Sprintf("size=%d/%s", size, in.name), func(b *testing.B) {
			b.SetBytes(size)
			b.ReportAllocs()
			for b.Loop() {
				s := tfevents.NewScanner(bytes.NewReader(garbage))
				if s.Scan() || s.Err() != nil || s.Damages() != 1 {
					b.Fatalf("Err %v, %d damaged stretches; want one covering the input", s.Err(), s.Damages())
				}
			}
		})
	}
}

// goldenEvents are three events that reading back must keep apart: the
// last has step 0 and no summary, so that decoding it into the Event of the
// one before would show.
func goldenEvents() []*tbpb.Event {
	return []*tbpb.Event{
		{WallTime: 1599759586, What: &tbpb.Event_FileVersion{FileVersion: tfevents.FileVersion}},
		scalarEvent(5, "loss", 0.25),
		{WallTime: 1.7e9, What: &tbpb.Event_SessionLog{SessionLog: &tbpb.SessionLog{Status: tbpb.SessionLog_START}}},
	}
}

// eventStream writes evs with a Writer and returns the stream.
func eventStream(t testing.TB, evs ...*tbpb.Event) []byte {
	t.Helper()
	var b bytes.Buffer
	w := tfevents.NewWriter(&b)
	for _, ev := range evs {
		if err := w.WriteEvent(ev); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestReadEvents(t *testing.T) {
	t.Parallel()
	want := goldenEvents()
	good := eventStream(t, want...)
	evs, err := tfevents.ReadEvents(bytes.NewReader(good))
	if err != nil || !slices.EqualFunc(evs, want, func(a, b *tbpb.Event) bool { return proto.Equal(a, b) }) {
		t.Fatalf("ReadEvents = %v, %v; want %v", evs, err, want)
	}
	valid, err := proto.Marshal(want[1])
	if err != nil {
		t.Fatal(err)
	}
	infWall := []byte{0x09, 0, 0, 0, 0, 0, 0, 0xf0, 0x7f} // wall_time +Inf
	_, offs, _, _ := scanAll(tfevents.NewScanner(bytes.NewReader(good)))
	second, third := int(offs[1]), int(offs[2])
	for _, tc := range []struct {
		desc string
		b    []byte
		kind tfevents.DamageKind
		at   int // offset of the damage
	}{
		{"torn tail", good[:len(good)-3], tfevents.TornTail, third},
		{"data crc", flip(good, 20), tfevents.BadDataChecksum, 0},
		{"length crc", flip(good, second+2), tfevents.BadLengthChecksum, second},
		{"not an event: field number 0", tfevents.AppendRecord(good, []byte{0x00}), tfevents.InvalidEvent, len(good)},
		{"not an event: truncated varint", tfevents.AppendRecord(good, []byte{0x10, 0xff}), tfevents.InvalidEvent, len(good)},
		{"not an event: length past the end", tfevents.AppendRecord(good, []byte{0x1a, 0x7f, 'x'}), tfevents.InvalidEvent, len(good)},
		{"not an event: end group without start", tfevents.AppendRecord(good, []byte{0x0c}), tfevents.InvalidEvent, len(good)},
		{"not an event: file_version not UTF-8", tfevents.AppendRecord(good, []byte{0x1a, 0x02, 0xff, 0xfe}), tfevents.InvalidEvent, len(good)},
		{"infinite wall time", tfevents.AppendRecord(good, infWall), tfevents.NonFiniteWallTime, len(good)},
		{"a bad event before a good one", tfevents.AppendRecord(tfevents.AppendRecord(nil, []byte{0x00}), valid), tfevents.InvalidEvent, 0},
	} {
		evs, err := tfevents.ReadEvents(bytes.NewReader(tc.b))
		var d *tfevents.Damage
		if !errors.As(err, &d) || d.Kind != tc.kind || d.Offset != int64(tc.at) {
			t.Errorf("%s: %v, want %v damage at offset %d", tc.desc, err, tc.kind, tc.at)
			continue
		}
		// Strict: every event before the damage, none after.
		if n := countBefore(tc.b, tc.at); len(evs) != n {
			t.Errorf("%s: %d events with the damage, want the %d before it", tc.desc, len(evs), n)
		}
	}
}

// countBefore counts the records of b that end at or before off.
func countBefore(b []byte, off int) int {
	recs, offs, _, _ := scanAll(tfevents.NewScanner(bytes.NewReader(b)))
	n := 0
	for i := range recs {
		if int(offs[i])+tfevents.RecordLen(len(recs[i])) <= off {
			n++
		}
	}
	return n
}

func TestReadEventFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	name := filepath.Join(dir, "events.out.tfevents.1")
	want := goldenEvents()
	if err := os.WriteFile(name, flip(eventStream(t, want...), 20), 0o644); err != nil {
		t.Fatal(err)
	}
	var d *tfevents.Damage
	if _, err := tfevents.ReadEventFile(name); !errors.As(err, &d) || d.File != name || !strings.HasPrefix(err.Error(), "tfevents: "+name+": offset 0: data crc") {
		t.Errorf("ReadEventFile of a damaged file: %v, want damage naming the file", err)
	}
	missing := filepath.Join(dir, "missing")
	if _, err := tfevents.ReadEventFile(missing); !errors.Is(err, fs.ErrNotExist) || !strings.HasPrefix(err.Error(), "tfevents: ") || !strings.Contains(err.Error(), missing) {
		t.Errorf("ReadEventFile of a missing file: %v, want fs.ErrNotExist, the tfevents: prefix and the name", err)
	}
}
