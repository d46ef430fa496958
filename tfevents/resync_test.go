package tfevents_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"slices"
	"strconv"
	"testing"
	"testing/iotest"

	"github.com/tbgo/tbgo/tfevents"
)

// naiveResync is Resync's specification written the slow way: try every
// offset with a fresh Reader.
func naiveResync(b []byte, from, limit int64) (int64, error) {
	for off := from; off < limit; off++ {
		r := tfevents.NewReaderAt(bytes.NewReader(b[off:limit]), off)
		if _, err := r.Next(); err == nil {
			return off, nil
		}
	}
	return 0, io.EOF
}

func TestResync(t *testing.T) {
	t.Parallel()
	stream, ends := frame(t, payload(1, 30), payload(2, 5), payload(3, 100), []byte{}, payload(5, 70000))
	// A header whose length checksum holds but whose data checksum does
	// not: the length CRC alone would take it for a record.
	fake := slices.Concat(header(4), []byte("abcd"), []byte{1, 2, 3, 4})
	garbage := bytes.Repeat([]byte{0xa5, 0x00, 0x17}, 40000) // 120000 bytes
	tests := []struct {
		desc        string
		in          []byte
		from, limit int64 // limit -1 means len(in)
		want        int64 // -1 means io.EOF
	}{
		{"at a record", stream, 0, -1, 0},
		{"inside the first record", stream, 1, -1, int64(ends[0])},
		{"empty record", stream, int64(ends[2]) - 3, -1, int64(ends[2])},
		{"garbage then records", slices.Concat(garbage, stream), 0, -1, int64(len(garbage))},
		{"fake header skipped", slices.Concat(fake, stream), 0, -1, int64(len(fake))},
		{"record past the limit", stream, int64(ends[3]), int64(len(stream)) - 1, -1},
		{"record ends at the limit", stream, int64(ends[3]), -1, int64(ends[3])},
		{"damaged length", flip(stream, 3), 1, -1, int64(ends[0])},
		{"damaged data", flip(stream, 15), 0, -1, int64(ends[0])},
		{"only garbage", garbage, 0, -1, -1},
		{"shorter than a record", []byte{1, 2, 3}, 0, -1, -1},
		{"from at the limit", stream, int64(len(stream)), -1, -1},
		// A record across the edge of the 64 KiB scan window.
		{"across windows", slices.Concat(garbage[:65536-5], stream), 0, -1, 65536 - 5},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			t.Parallel()
			limit := tt.limit
			if limit < 0 {
				limit = int64(len(tt.in))
			}
			got, err := tfevents.Resync(bytes.NewReader(tt.in), tt.from, limit)
			if tt.want < 0 {
				if err != io.EOF {
					t.Errorf("Resync = %d, %v; want io.EOF", got, err)
				}
			} else if err != nil || got != tt.want {
				t.Errorf("Resync = %d, %v; want %d", got, err, tt.want)
			}
			if len(tt.in) < 20000 { // the naive scan is quadratic
				naive, nerr := naiveResync(tt.in, tt.from, limit)
				if naive != got || (nerr == nil) != (err == nil) {
					t.Errorf("Resync = %d, %v; the naive scan finds %d, %v", got, err, naive, nerr)
				}
			}
		})
	}
}

// TestResyncReaderErrors shows that read errors are returned, not taken for
// the end of the data.
func TestResyncReaderErrors(t *testing.T) {
	t.Parallel()
	stream, _ := frame(t, payload(1, 30))
	boom := errors.New("boom")
	if _, err := tfevents.Resync(failingReaderAt{boom}, 0, int64(len(stream))); !errors.Is(err, boom) {
		t.Errorf("Resync over a failing reader: %v, want boom", err)
	}
	// A limit past the data is a short read, not a clean end.
	if _, err := tfevents.Resync(bytes.NewReader(stream), 0, int64(len(stream))+100); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("Resync with a limit past the data: %v, want io.ErrUnexpectedEOF", err)
	}
	if _, err := tfevents.Resync(bytes.NewReader(stream), -1, int64(len(stream))); err == nil {
		t.Error("Resync from -1 succeeded")
	}
	// A candidate longer than the scan window is checked by streaming its
	// data; a read error there is reported too.
	big, _ := frame(t, payload(9, 100000))
	r := &errAfter{ReaderAt: bytes.NewReader(big), n: 2}
	if _, err := tfevents.Resync(r, 0, int64(len(big))); !errors.Is(err, iotest.ErrTimeout) {
		t.Errorf("Resync with a failing data read: %v, want the reader's error", err)
	}
}

type failingReaderAt struct{ err error }

func (f failingReaderAt) ReadAt([]byte, int64) (int, error) { return 0, f.err }

// errAfter fails every ReadAt after the first n.
type errAfter struct {
	io.ReaderAt
	n int
}

func (e *errAfter) ReadAt(p []byte, off int64) (int, error) {
	if e.n == 0 {
		return 0, iotest.ErrTimeout
	}
	e.n--
	return e.ReaderAt.ReadAt(p, off)
}

// TestResyncRepairsStream uses Resync as repair does: after each length
// checksum failure, read on from the next valid record. Every record not
// touched by the damage comes back.
func TestResyncRepairsStream(t *testing.T) {
	t.Parallel()
	var payloads [][]byte
	for i := range 50 {
		payloads = append(payloads, payload(i, 10+i*13))
	}
	stream, ends := frame(t, payloads...)
	damaged := bytes.Clone(stream)
	hit := map[int]bool{}
	for _, rec := range []int{3, 17, 18, 40} {
		start := 0
		if rec > 0 {
			start = ends[rec-1]
		}
		damaged[start+2] ^= 0x40 // a length byte: the length CRC fails
		hit[rec] = true
	}
	var got [][]byte
	off := int64(0)
	for {
		r := tfevents.NewReaderAt(bytes.NewReader(damaged[off:]), off)
		for {
			data, err := r.Next()
			if err != nil {
				var ce *tfevents.CorruptError
				if !errors.As(err, &ce) || ce.Checksum != tfevents.LengthChecksum {
					if err != io.EOF {
						t.Fatalf("read error %v", err)
					}
					off = -1
				} else {
					off = ce.Offset
				}
				break
			}
			got = append(got, bytes.Clone(data))
		}
		if off < 0 {
			break
		}
		next, err := tfevents.Resync(bytes.NewReader(damaged), off+1, int64(len(damaged)))
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		off = next
	}
	var want [][]byte
	for i, p := range payloads {
		if !hit[i] {
			want = append(want, p)
		}
	}
	if !slices.EqualFunc(got, want, bytes.Equal) {
		t.Errorf("recovered %d records, want the %d undamaged ones", len(got), len(want))
	}
}

func FuzzResync(f *testing.F) {
	stream, ends := frame(f, payload(1, 30), payload(2, 5), []byte{}, payload(4, 300))
	f.Add(stream, uint16(0))
	f.Add(stream, uint16(1))
	f.Add(flip(stream, 2), uint16(0))
	f.Add(flip(stream, ends[1]+20), uint16(3))
	f.Add(slices.Concat(header(4), []byte("abcd"), []byte{1, 2, 3, 4}, stream), uint16(0))
	f.Add(binary.LittleEndian.AppendUint64(nil, 1<<63), uint16(0))
	f.Fuzz(func(t *testing.T, in []byte, from uint16) {
		start := min(int64(from), int64(len(in)))
		got, err := tfevents.Resync(bytes.NewReader(in), start, int64(len(in)))
		want, werr := naiveResync(in, start, int64(len(in)))
		if (err == nil) != (werr == nil) || got != want {
			t.Fatalf("Resync = %d, %v; the naive scan finds %d, %v", got, err, want, werr)
		}
		if err != nil && err != io.EOF {
			t.Fatalf("Resync over a byte slice: %v", err)
		}
	})
}

func BenchmarkResync(b *testing.B) {
	// Random-looking bytes fail the length test; zeros pass it and cost a
	// length checksum per offset, the worst case.
	inputs := []struct {
		name string
		fill []byte
	}{{"garbage", []byte{0xa5, 0x00, 0x17, 0x3c}}, {"zeros", []byte{0, 0, 0, 0}}}
	for _, in := range inputs {
		size := 1 << 20
		garbage := bytes.Repeat(in.fill, size/4)
		b.Run("size="+strconv.Itoa(size)+"/"+in.name, func(b *testing.B) {
			b.SetBytes(int64(size))
			b.ReportAllocs()
			r := bytes.NewReader(garbage)
			for b.Loop() {
				if _, err := tfevents.Resync(r, 0, int64(size)); err != io.EOF {
					b.Fatal(err)
				}
			}
		})
	}
}
