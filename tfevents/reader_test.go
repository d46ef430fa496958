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
	"sync"
	"testing"
	"testing/iotest"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/tbgo/tbgo/proto/tbpb"
	"github.com/tbgo/tbgo/tfevents"
)

// mixedPayloads are records of assorted sizes, an empty one included, about
// 2 KB once framed: small enough to cut at every offset.
func mixedPayloads() [][]byte {
	var ps [][]byte
	for i, n := range []int{24, 0, 1, 7, 100, 300, 1000, 50, 255} {
		ps = append(ps, payload(i, n))
	}
	return ps
}

func TestReaderRoundTrip(t *testing.T) {
	t.Parallel()
	// Sizes straddle the reader's 64 KiB initial buffer, so the buffer
	// must both compact and grow.
	var payloads [][]byte
	for i, n := range []int{0, 1, 100, 65535, 65536, 70000, 10, 300000, 5} {
		payloads = append(payloads, payload(i, n))
	}
	stream, _ := frame(t, payloads...)

	tests := []struct {
		desc string
		wrap func(io.Reader) io.Reader
	}{
		{desc: "whole reads", wrap: func(r io.Reader) io.Reader { return r }},
		{desc: "one byte per read", wrap: iotest.OneByteReader},
		{desc: "half of each read", wrap: iotest.HalfReader},
		{desc: "io.EOF with the last data", wrap: iotest.DataErrReader},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			t.Parallel()
			r := tfevents.NewReader(tc.wrap(bytes.NewReader(stream)))
			got, err := readAll(r)
			if err != io.EOF {
				t.Errorf("read ended with %v, want exactly io.EOF", err)
			}
			if len(got) != len(payloads) {
				t.Fatalf("got %d records, want %d", len(got), len(payloads))
			}
			for i := range got {
				if !bytes.Equal(got[i], payloads[i]) {
					t.Errorf("record %d: got %d bytes, want %d bytes %.16x...", i, len(got[i]), len(payloads[i]), payloads[i])
				}
			}
			if got, want := r.Offset(), int64(len(stream)); got != want {
				t.Errorf("Offset() at the end = %d, want %d", got, want)
			}
			if _, err := r.Next(); err != io.EOF {
				t.Errorf("Next after the end = %v, want io.EOF again", err)
			}
		})
	}
}

// TestReaderTruncation cuts a valid file at every byte offset: the records
// wholly before the cut come back, then io.EOF if the cut falls on a record
// boundary and io.ErrUnexpectedEOF if it tears a record.
func TestReaderTruncation(t *testing.T) {
	t.Parallel()
	payloads := mixedPayloads()
	stream, ends := frame(t, payloads...)

	for cut := 0; cut <= len(stream); cut++ {
		// The Writer through a TruncateWriter produces the torn file a
		// crash would leave behind.
		var buf bytes.Buffer
		w := tfevents.NewWriter(iotest.TruncateWriter(&buf, int64(cut)))
		for _, p := range payloads {
			if err := w.WriteRecord(p); err != nil {
				t.Fatalf("WriteRecord: %v", err)
			}
		}
		if err := w.Close(); err != nil {
			t.Fatalf("Close: %v", err)
		}
		if !bytes.Equal(buf.Bytes(), stream[:cut]) {
			t.Fatalf("cut=%d: truncated writer output differs from the stream's prefix", cut)
		}

		wantN := 0
		for wantN < len(ends) && ends[wantN] <= cut {
			wantN++
		}
		wantErr, wantOff := io.EOF, 0
		if wantN > 0 {
			wantOff = ends[wantN-1]
		}
		if cut != wantOff {
			wantErr = io.ErrUnexpectedEOF
		}

		for _, src := range []struct {
			desc string
			r    io.Reader
		}{
			{"whole reads", bytes.NewReader(buf.Bytes())},
			{"one byte per read", iotest.OneByteReader(bytes.NewReader(buf.Bytes()))},
		} {
			r := tfevents.NewReader(src.r)
			got, err := readAll(r)
			if len(got) != wantN || err != wantErr {
				t.Errorf("cut=%d, %s: got %d records ending with %v, want %d ending with %v",
					cut, src.desc, len(got), err, wantN, wantErr)
				continue
			}
			for i := range got {
				if !bytes.Equal(got[i], payloads[i]) {
					t.Errorf("cut=%d, %s: record %d differs", cut, src.desc, i)
				}
			}
			if r.Offset() != int64(wantOff) {
				t.Errorf("cut=%d, %s: Offset() = %d, want %d", cut, src.desc, r.Offset(), wantOff)
			}
			if _, err := r.Next(); err != wantErr {
				t.Errorf("cut=%d, %s: Next again = %v, want %v", cut, src.desc, err, wantErr)
			}
		}
	}
}

// appendReader is a stream that grows, like a file another process is
// writing: at the end of the bytes appended so far it returns io.EOF, and
// later reads see what was appended since.
type appendReader struct {
	mu   sync.Mutex
	data []byte
	off  int
}

func (a *appendReader) Append(b []byte) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.data = append(a.data, b...)
}

func (a *appendReader) Read(p []byte) (int, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.off == len(a.data) {
		return 0, io.EOF
	}
	n := copy(p, a.data[a.off:])
	a.off += n
	return n, nil
}

// TestReaderResume splits a stream at every offset: the reader returns what
// the first part holds, and once the rest arrives it returns the remaining
// records, the torn one included.
func TestReaderResume(t *testing.T) {
	t.Parallel()
	payloads := mixedPayloads()
	stream, _ := frame(t, payloads...)

	for cut := 0; cut <= len(stream); cut++ {
		src := &appendReader{}
		src.Append(stream[:cut])
		r := tfevents.NewReader(src)
		first, err := readAll(r)
		if err != io.EOF && err != io.ErrUnexpectedEOF {
			t.Fatalf("cut=%d: first read ended with %v, want io.EOF or io.ErrUnexpectedEOF", cut, err)
		}
		src.Append(stream[cut:])
		rest, err := readAll(r)
		if err != io.EOF {
			t.Errorf("cut=%d: read after the append ended with %v, want io.EOF", cut, err)
		}
		got := append(first, rest...)
		if !slices.EqualFunc(got, payloads, bytes.Equal) {
			t.Errorf("cut=%d: got %d+%d records, want the %d written, in order", cut, len(first), len(rest), len(payloads))
		}
	}
}

func TestReaderResumeFile(t *testing.T) {
	t.Parallel()
	payloads := mixedPayloads()
	stream, ends := frame(t, payloads...)
	cut := ends[4] + 20 // inside the data of record 5
	name := filepath.Join(t.TempDir(), "events.out.tfevents.1")
	if err := os.WriteFile(name, stream[:cut], 0o644); err != nil {
		t.Fatal(err)
	}

	r, err := tfevents.Open(name, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	first, err := readAll(r)
	if len(first) != 5 || err != io.ErrUnexpectedEOF {
		t.Fatalf("torn file: got %d records ending with %v, want 5 ending with io.ErrUnexpectedEOF", len(first), err)
	}

	f, err := os.OpenFile(name, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write(stream[cut:]); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	rest, err := readAll(r)
	if err != io.EOF {
		t.Errorf("after the append: read ended with %v, want io.EOF", err)
	}
	if got := append(first, rest...); !slices.EqualFunc(got, payloads, bytes.Equal) {
		t.Errorf("got %d+%d records, want the %d written, in order", len(first), len(rest), len(payloads))
	}
}

// flip returns a copy of b with the byte at i inverted.
func flip(b []byte, i int) []byte {
	c := bytes.Clone(b)
	c[i] ^= 0xff
	return c
}

func TestReaderLengthChecksum(t *testing.T) {
	t.Parallel()
	payloads := [][]byte{payload(1, 10), payload(2, 20), payload(3, 30)}
	stream, ends := frame(t, payloads...)
	second := ends[0]

	tests := []struct {
		desc string
		at   int
	}{
		{desc: "low byte of the length", at: second},
		{desc: "high byte of the length", at: second + 7},
		{desc: "first byte of the length crc", at: second + 8},
		{desc: "last byte of the length crc", at: second + 11},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			t.Parallel()
			bad := flip(stream, tc.at)
			r := tfevents.NewReader(bytes.NewReader(bad))
			r.Name = "run/events.out.tfevents.1"
			got, err := readAll(r)
			if len(got) != 1 || !bytes.Equal(got[0], payloads[0]) {
				t.Errorf("got %d records before the damage, want 1", len(got))
			}
			var ce *tfevents.CorruptError
			if !errors.As(err, &ce) {
				t.Fatalf("error = %v (%T), want a *CorruptError", err, err)
			}
			if !errors.Is(err, tfevents.ErrCorrupt) {
				t.Errorf("errors.Is(%v, ErrCorrupt) = false", err)
			}
			want := tfevents.CorruptError{
				Name:     "run/events.out.tfevents.1",
				Offset:   int64(second),
				Checksum: tfevents.LengthChecksum,
				Length:   binary.LittleEndian.Uint64(bad[second:]),
			}
			if *ce != want {
				t.Errorf("error = %+v, want %+v", *ce, want)
			}
			if msg := fmt.Sprintf("tfevents: run/events.out.tfevents.1: length crc mismatch at offset %d", second); err.Error() != msg {
				t.Errorf("message = %q, want %q", err, msg)
			}

			// The length cannot be trusted, so nothing after it can be
			// framed: the error is sticky.
			for range 2 {
				if _, err2 := r.Next(); err2 != err {
					t.Errorf("Next after a length crc mismatch = %v, want the same error %v", err2, err)
				}
			}
			if r.Offset() != int64(second) {
				t.Errorf("Offset() = %d, want %d (start of the damaged record)", r.Offset(), second)
			}
		})
	}
}

func TestReaderDataChecksum(t *testing.T) {
	t.Parallel()
	payloads := [][]byte{payload(1, 10), payload(2, 20), {}, payload(4, 40)}
	stream, ends := frame(t, payloads...)

	tests := []struct {
		desc string
		at   int // byte to flip
		rec  int // index of the record it damages
	}{
		{desc: "first data byte", at: ends[0] + 12, rec: 1},
		{desc: "last data byte", at: ends[1] - 5, rec: 1},
		{desc: "data crc", at: ends[1] - 1, rec: 1},
		{desc: "crc of an empty record", at: ends[2] - 2, rec: 2},
		{desc: "last record", at: ends[3] - 3, rec: 3},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			t.Parallel()
			r := tfevents.NewReader(bytes.NewReader(flip(stream, tc.at)))
			start := 0
			if tc.rec > 0 {
				start = ends[tc.rec-1]
			}
			for i, want := range payloads {
				got, err := r.Next()
				if i != tc.rec {
					if err != nil || !bytes.Equal(got, want) {
						t.Fatalf("record %d: got %d bytes, %v; want it intact", i, len(got), err)
					}
					continue
				}
				var ce *tfevents.CorruptError
				if !errors.As(err, &ce) || !errors.Is(err, tfevents.ErrCorrupt) {
					t.Fatalf("record %d: error = %v, want a *CorruptError", i, err)
				}
				wantErr := tfevents.CorruptError{Offset: int64(start), Checksum: tfevents.DataChecksum, Length: uint64(len(want))}
				if *ce != wantErr {
					t.Errorf("record %d: error = %+v, want %+v", i, *ce, wantErr)
				}
				if got != nil {
					t.Errorf("record %d: got %d bytes with the error, want none", i, len(got))
				}
				if r.Offset() != int64(ends[i]) {
					t.Errorf("Offset() after the bad record = %d, want %d (skipped)", r.Offset(), ends[i])
				}
			}
			if _, err := r.Next(); err != io.EOF {
				t.Errorf("end: %v, want io.EOF", err)
			}
		})
	}
}

// header returns a record header announcing length n, with a valid crc.
func header(n uint64) []byte {
	h := binary.LittleEndian.AppendUint64(nil, n)
	return binary.LittleEndian.AppendUint32(h, tfevents.MaskedCRC(h))
}

func TestReaderRecordTooLarge(t *testing.T) {
	t.Parallel()
	tests := []struct {
		desc    string
		max     int64
		length  uint64
		wantErr error
	}{
		{desc: "at a custom guard", max: 100, length: 100, wantErr: nil},
		{desc: "one over a custom guard", max: 100, length: 101, wantErr: tfevents.ErrRecordTooLarge},
		{desc: "one over the default guard", length: tfevents.DefaultMaxRecordLen + 1, wantErr: tfevents.ErrRecordTooLarge},
		{desc: "1<<62", length: 1 << 62, wantErr: tfevents.ErrRecordTooLarge},
		{desc: "near 2^64", length: 0xFFFFFFFFFFFFFFF0, wantErr: tfevents.ErrRecordTooLarge},
		{desc: "2^64-1", length: math.MaxUint64, wantErr: tfevents.ErrRecordTooLarge},
		{desc: "MaxInt64 under a MaxInt64 guard", max: math.MaxInt64, length: math.MaxInt64, wantErr: tfevents.ErrRecordTooLarge},
		{desc: "a length whose framed size overflows int", max: math.MaxInt64, length: math.MaxInt64 - 8, wantErr: tfevents.ErrRecordTooLarge},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			t.Parallel()
			first := payload(0, 24)
			stream := tfevents.AppendRecord(nil, first)
			second := len(stream)
			stream = append(stream, header(tc.length)...)
			body := make([]byte, min(tc.length, 100))
			stream = append(stream, body...)
			stream = binary.LittleEndian.AppendUint32(stream, tfevents.MaskedCRC(body))

			r := tfevents.NewReader(bytes.NewReader(stream))
			r.MaxRecordLen = tc.max
			if got, err := r.Next(); err != nil || !bytes.Equal(got, first) {
				t.Fatalf("first record: %v, want it intact", err)
			}
			got, err := r.Next()
			if tc.wantErr == nil {
				if err != nil || !bytes.Equal(got, body) {
					t.Fatalf("record at the guard: got %d bytes, %v; want it intact", len(got), err)
				}
				return
			}
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("Next = %v, want %v", err, tc.wantErr)
			}
			if errors.Is(err, tfevents.ErrCorrupt) {
				t.Errorf("errors.Is(%v, ErrCorrupt) = true, want false: the checksums hold", err)
			}
			if want := fmt.Sprintf("offset %d has length %d", second, tc.length); !strings.Contains(err.Error(), want) {
				t.Errorf("message %q does not contain %q", err, want)
			}
			if !strings.HasPrefix(err.Error(), "tfevents: ") {
				t.Errorf("message %q lacks the tfevents: prefix", err)
			}
			if _, err2 := r.Next(); err2 != err {
				t.Errorf("Next again = %v, want the same error (sticky)", err2)
			}
		})
	}
}

// TestReaderGuardBeforeAllocation proves that a length field alone cannot
// make the reader allocate: over the guard it fails before allocating,
// and under a large guard the buffer grows only with the bytes that arrive.
// It is not parallel: it measures the whole process's allocation.
func TestReaderGuardBeforeAllocation(t *testing.T) {
	tests := []struct {
		desc    string
		max     int64
		length  uint64
		wantErr error
	}{
		{desc: "1<<62 over the default guard", length: 1 << 62, wantErr: tfevents.ErrRecordTooLarge},
		{desc: "1 GiB over a 1 GiB guard", max: 1 << 30, length: 1<<30 + 1, wantErr: tfevents.ErrRecordTooLarge},
		// More than the reader's initial 64 KiB, so that its buffer must
		// grow, but only to what is present.
		{desc: "1 GiB under a 1 GiB guard, 100 KiB present", max: 1 << 30, length: 1 << 30, wantErr: io.ErrUnexpectedEOF},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			stream := append(header(tc.length), make([]byte, 100<<10)...)
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			r := tfevents.NewReader(bytes.NewReader(stream))
			r.MaxRecordLen = tc.max
			_, err := r.Next()
			runtime.ReadMemStats(&after)
			if !errors.Is(err, tc.wantErr) {
				t.Errorf("Next = %v, want %v", err, tc.wantErr)
			}
			// The reader's buffer may reach twice the data present; allow
			// for that and for noise, far below what the length asks for.
			if delta := after.TotalAlloc - before.TotalAlloc; delta > 1<<20 {
				t.Errorf("Next allocated %d bytes for a %d-byte stream announcing %d", delta, len(stream), tc.length)
			}
		})
	}
}

func TestReaderOffsetResume(t *testing.T) {
	t.Parallel()
	payloads := mixedPayloads()
	stream, ends := frame(t, payloads...)
	name := filepath.Join(t.TempDir(), "events.out.tfevents.1")
	if err := os.WriteFile(name, stream, 0o644); err != nil {
		t.Fatal(err)
	}

	for n := 0; n <= len(payloads); n++ {
		r, err := tfevents.Open(name, 0)
		if err != nil {
			t.Fatal(err)
		}
		for i := range n {
			if _, err := r.Next(); err != nil {
				t.Fatalf("record %d: %v", i, err)
			}
		}
		off := r.Offset()
		wantOff := 0
		if n > 0 {
			wantOff = ends[n-1]
		}
		if off != int64(wantOff) {
			t.Errorf("Offset() after %d records = %d, want %d", n, off, wantOff)
		}
		if err := r.Close(); err != nil {
			t.Fatal(err)
		}

		for _, src := range []struct {
			desc string
			open func() (*tfevents.Reader, error)
		}{
			{"Open", func() (*tfevents.Reader, error) { return tfevents.Open(name, off) }},
			{"NewReaderAt", func() (*tfevents.Reader, error) {
				return tfevents.NewReaderAt(bytes.NewReader(stream[off:]), off), nil
			}},
		} {
			r, err := src.open()
			if err != nil {
				t.Fatalf("%s at %d: %v", src.desc, off, err)
			}
			rest, err := readAll(r)
			if err != io.EOF {
				t.Errorf("%s at %d: read ended with %v, want io.EOF", src.desc, off, err)
			}
			if !slices.EqualFunc(rest, payloads[n:], bytes.Equal) {
				t.Errorf("%s at %d: got %d records, want the last %d", src.desc, off, len(rest), len(payloads)-n)
			}
			if r.Offset() != int64(len(stream)) {
				t.Errorf("%s at %d: final Offset() = %d, want %d", src.desc, off, r.Offset(), len(stream))
			}
			r.Close()
		}
	}
}

func TestReaderAtErrorOffsets(t *testing.T) {
	t.Parallel()
	payloads := [][]byte{payload(1, 10), payload(2, 20), payload(3, 30)}
	stream, ends := frame(t, payloads...)
	name := filepath.Join(t.TempDir(), "events.out.tfevents.1")
	if err := os.WriteFile(name, flip(stream, ends[1]+12), 0o644); err != nil {
		t.Fatal(err)
	}
	// Resuming at the second record, the damaged third is still reported
	// at its offset in the file, with the file's name.
	r, err := tfevents.Open(name, int64(ends[0]))
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if _, err := r.Next(); err != nil {
		t.Fatal(err)
	}
	_, err = r.Next()
	var ce *tfevents.CorruptError
	if !errors.As(err, &ce) || ce.Offset != int64(ends[1]) || ce.Name != name {
		t.Errorf("error = %v, want a data crc mismatch in %s at offset %d", err, name, ends[1])
	}
}

func TestOpenErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	tests := []struct {
		desc   string
		name   string
		offset int64
		want   error
	}{
		{desc: "missing file", name: filepath.Join(dir, "missing"), want: fs.ErrNotExist},
		{desc: "negative offset", name: filepath.Join(dir, "present"), offset: -1, want: nil},
	}
	if err := os.WriteFile(filepath.Join(dir, "present"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			t.Parallel()
			r, err := tfevents.Open(tc.name, tc.offset)
			if err == nil {
				r.Close()
				t.Fatalf("Open(%q, %d) succeeded, want an error", tc.name, tc.offset)
			}
			if tc.want != nil && !errors.Is(err, tc.want) {
				t.Errorf("Open error = %v, want %v", err, tc.want)
			}
			if !strings.HasPrefix(err.Error(), "tfevents: ") || !strings.Contains(err.Error(), tc.name) {
				t.Errorf("Open error %q should start with tfevents: and name the file", err)
			}
		})
	}
}

func TestReadEvent(t *testing.T) {
	t.Parallel()
	events := []*tbpb.Event{
		{WallTime: 1599759586, What: &tbpb.Event_FileVersion{FileVersion: tfevents.FileVersion}},
		{WallTime: 1.6e9, Step: 5, What: &tbpb.Event_Summary{Summary: &tbpb.Summary{Value: []*tbpb.Summary_Value{{
			Tag:   "loss",
			Value: &tbpb.Summary_Value_SimpleValue{SimpleValue: 0.25},
		}}}}},
		// Step 0 and no summary: decoding into the same Event must not
		// leave the previous step or summary behind.
		{WallTime: 1.7e9, What: &tbpb.Event_SessionLog{SessionLog: &tbpb.SessionLog{Status: tbpb.SessionLog_START}}},
	}
	var buf bytes.Buffer
	w := tfevents.NewWriter(&buf)
	for _, ev := range events {
		if err := w.WriteEvent(ev); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}

	r := tfevents.NewReader(&buf)
	ev := &tbpb.Event{}
	for i, want := range events {
		if err := r.ReadEvent(ev); err != nil {
			t.Fatalf("event %d: %v", i, err)
		}
		if !proto.Equal(ev, want) {
			t.Errorf("event %d = %v, want %v", i, ev, want)
		}
	}
	if err := r.ReadEvent(ev); err != io.EOF {
		t.Errorf("after the last event: %v, want io.EOF", err)
	}
}

func TestReadEventInvalid(t *testing.T) {
	t.Parallel()
	good := &tbpb.Event{WallTime: 1, Step: 2}
	goodBytes, err := proto.Marshal(good)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		desc string
		body []byte
	}{
		{desc: "field number 0", body: []byte{0x00}},
		{desc: "truncated varint", body: []byte{0x10, 0xff}},
		{desc: "length past the end", body: []byte{0x1a, 0x7f, 'x'}},
		{desc: "end group without start", body: []byte{0x0c}},
		{desc: "file_version not UTF-8", body: []byte{0x1a, 0x02, 0xff, 0xfe}},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			t.Parallel()
			stream := tfevents.AppendRecord(nil, tc.body)
			second := len(stream)
			stream = tfevents.AppendRecord(stream, goodBytes)
			r := tfevents.NewReader(bytes.NewReader(stream))
			r.Name = "f"

			var ev tbpb.Event
			err := r.ReadEvent(&ev)
			if !errors.Is(err, tfevents.ErrInvalidEvent) {
				t.Fatalf("ReadEvent(% x) = %v, want ErrInvalidEvent", tc.body, err)
			}
			if errors.Is(err, tfevents.ErrCorrupt) {
				t.Errorf("errors.Is(%v, ErrCorrupt) = true; the checksums hold", err)
			}
			if !strings.HasPrefix(err.Error(), "tfevents: f: record at offset 0: ") {
				t.Errorf("message %q should name the file and offset 0", err)
			}
			if r.Offset() != int64(second) {
				t.Errorf("Offset() = %d, want %d: the bad record is consumed", r.Offset(), second)
			}
			// The reader stays usable.
			if err := r.ReadEvent(&ev); err != nil || !proto.Equal(&ev, good) {
				t.Errorf("next ReadEvent = %v, %v; want %v", &ev, err, good)
			}
		})
	}
}

var errBoom = errors.New("boom")

// countReader returns a fixed count from Read, whatever it was given.
type countReader int

func (c countReader) Read(p []byte) (int, error) { return int(c), nil }

func TestReaderIOErrors(t *testing.T) {
	t.Parallel()
	payloads := [][]byte{payload(1, 30), payload(2, 40)}
	stream, ends := frame(t, payloads...)

	tests := []struct {
		desc     string
		r        io.Reader
		name     string
		wantRecs int
		wantErr  error  // checked with errors.Is
		wantMsg  string // prefix of the error message
	}{
		{
			desc:    "error on the first read",
			r:       iotest.ErrReader(errBoom),
			wantErr: errBoom,
			wantMsg: "tfevents: boom",
		},
		{
			desc:    "error on the first read, named",
			r:       iotest.ErrReader(errBoom),
			name:    "run/events.out.tfevents.1",
			wantErr: errBoom,
			wantMsg: "tfevents: run/events.out.tfevents.1: boom",
		},
		{
			desc:     "error inside the second record",
			r:        io.MultiReader(bytes.NewReader(stream[:ends[0]+20]), iotest.ErrReader(errBoom)),
			wantRecs: 1,
			wantErr:  errBoom,
			wantMsg:  "tfevents: boom",
		},
		{
			desc:     "error at a record boundary is not io.EOF",
			r:        io.MultiReader(bytes.NewReader(stream[:ends[0]]), iotest.ErrReader(errBoom)),
			wantRecs: 1,
			wantErr:  errBoom,
			wantMsg:  "tfevents: boom",
		},
		{
			desc:    "reader claims more bytes than asked",
			r:       countReader(1 << 30),
			wantMsg: "tfevents: reader returned invalid count",
		},
		{
			desc:    "reader returns a negative count",
			r:       countReader(-1),
			wantMsg: "tfevents: reader returned invalid count",
		},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			t.Parallel()
			r := tfevents.NewReader(tc.r)
			r.Name = tc.name
			got, err := readAll(r)
			if len(got) != tc.wantRecs {
				t.Errorf("got %d records, want %d", len(got), tc.wantRecs)
			}
			if err == io.EOF || err == io.ErrUnexpectedEOF {
				t.Fatalf("read ended with %v, want the reader's error", err)
			}
			if tc.wantErr != nil && !errors.Is(err, tc.wantErr) {
				t.Errorf("error = %v, want one wrapping %v", err, tc.wantErr)
			}
			if err == nil || !strings.HasPrefix(err.Error(), tc.wantMsg) {
				t.Errorf("message = %v, want prefix %q", err, tc.wantMsg)
			}
		})
	}
}

// TestReaderTransientError checks that a failed Read loses nothing: after
// iotest.TimeoutReader's one timeout, inside the first record's header, the
// next call reads every record.
func TestReaderTransientError(t *testing.T) {
	t.Parallel()
	payloads := mixedPayloads()
	stream, _ := frame(t, payloads...)
	r := tfevents.NewReader(iotest.TimeoutReader(iotest.OneByteReader(bytes.NewReader(stream))))
	if _, err := r.Next(); !errors.Is(err, iotest.ErrTimeout) {
		t.Fatalf("first Next = %v, want iotest.ErrTimeout", err)
	}
	got, err := readAll(r)
	if err != io.EOF {
		t.Errorf("read ended with %v, want io.EOF", err)
	}
	if !slices.EqualFunc(got, payloads, bytes.Equal) {
		t.Errorf("got %d records after the timeout, want all %d", len(got), len(payloads))
	}
}

func TestReaderClose(t *testing.T) {
	t.Parallel()
	stream, _ := frame(t, payload(1, 10))
	name := filepath.Join(t.TempDir(), "events.out.tfevents.1")
	if err := os.WriteFile(name, stream, 0o644); err != nil {
		t.Fatal(err)
	}
	r, err := tfevents.Open(name, 0)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		if err := r.Close(); err != nil {
			t.Errorf("Close #%d = %v, want nil", i+1, err)
		}
	}
	if _, err := r.Next(); !errors.Is(err, os.ErrClosed) {
		t.Errorf("Next after Close = %v, want an error wrapping os.ErrClosed", err)
	}

	mem := tfevents.NewReader(bytes.NewReader(stream))
	if err := mem.Close(); err != nil {
		t.Errorf("Close of a NewReader = %v, want nil", err)
	}
	if got, err := mem.Next(); err != nil || !bytes.Equal(got, payload(1, 10)) {
		t.Errorf("Next after closing a NewReader = %v; its io.Reader is not the Reader's to close", err)
	}
}

// TestFollow appends records to a file a piece at a time, each record in
// two writes, while Follow reads them all.
func TestFollow(t *testing.T) {
	t.Parallel()
	var payloads [][]byte
	for i := range 20 {
		payloads = append(payloads, payload(i, i*37%200))
	}
	stream, ends := frame(t, payloads...)
	name := filepath.Join(t.TempDir(), "events.out.tfevents.1")
	f, err := os.Create(name)
	if err != nil {
		t.Fatal(err)
	}
	r, err := tfevents.Open(name, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()

	writeErr := make(chan error, 1)
	go func() {
		prev := 0
		for _, end := range ends {
			mid := (prev + end) / 2
			for _, part := range [][]byte{stream[prev:mid], stream[mid:end]} {
				if _, err := f.Write(part); err != nil {
					f.Close()
					writeErr <- err
					return
				}
				time.Sleep(time.Millisecond)
			}
			prev = end
		}
		writeErr <- f.Close()
	}()

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for i, want := range payloads {
		got, err := r.Follow(ctx, time.Millisecond)
		if err != nil {
			t.Fatalf("Follow, record %d: %v", i, err)
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("Follow, record %d: got %d bytes, want %d", i, len(got), len(want))
		}
	}
	if err := <-writeErr; err != nil {
		t.Fatal(err)
	}
	if r.Offset() != int64(len(stream)) {
		t.Errorf("Offset() = %d, want %d", r.Offset(), len(stream))
	}
}

func TestFollowContext(t *testing.T) {
	t.Parallel()
	stream, ends := frame(t, payload(1, 10), payload(2, 50))
	tests := []struct {
		desc string
		have int // bytes of stream present while Follow waits
	}{
		{desc: "at a clean end", have: ends[0]},
		{desc: "inside a torn record", have: ends[0] + 30},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			t.Parallel()
			src := &appendReader{}
			src.Append(stream[:tc.have])
			r := tfevents.NewReader(src)
			if _, err := r.Next(); err != nil {
				t.Fatal(err)
			}

			// An already cancelled context ends the wait at once.
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			if _, err := r.Follow(ctx, time.Hour); err != context.Canceled {
				t.Errorf("Follow with a cancelled context = %v, want context.Canceled", err)
			}

			// A cancel during the wait ends it, long before the poll.
			ctx, cancel = context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() {
				_, err := r.Follow(ctx, time.Hour)
				done <- err
			}()
			time.Sleep(10 * time.Millisecond)
			cancel()
			select {
			case err := <-done:
				if err != context.Canceled {
					t.Errorf("Follow after cancel = %v, want context.Canceled", err)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("Follow did not return within 10s of cancel")
			}

			// The wait lost nothing: the record arrives whole.
			src.Append(stream[tc.have:])
			got, err := r.Follow(context.Background(), time.Millisecond)
			if err != nil || !bytes.Equal(got, payload(2, 50)) {
				t.Errorf("Follow after the append = %d bytes, %v; want the second record", len(got), err)
			}
		})
	}
}

func TestFollowPassesCorruption(t *testing.T) {
	t.Parallel()
	stream, ends := frame(t, payload(1, 10))
	r := tfevents.NewReader(bytes.NewReader(flip(stream, ends[0]-1)))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := r.Follow(ctx, time.Millisecond); !errors.Is(err, tfevents.ErrCorrupt) {
		t.Errorf("Follow over a damaged record = %v, want ErrCorrupt at once", err)
	}
}

// stallReader returns 0, nil forever: a broken io.Reader.
type stallReader struct{}

func (stallReader) Read([]byte) (int, error) { return 0, nil }

func TestReaderNoProgress(t *testing.T) {
	_, err := tfevents.NewReader(stallReader{}).Next()
	if !errors.Is(err, io.ErrNoProgress) {
		t.Errorf("Next on a reader that never progresses: %v, want io.ErrNoProgress", err)
	}
}
